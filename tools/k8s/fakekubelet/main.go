// fakekubelet stands in for a node's kubelet in the tests under tests/k8s.
//
// kube-apiserver serves pods/log by proxying to
// https://<node address>:<status.daemonEndpoints.kubeletEndpoint.Port>/containerLogs/{ns}/{pod}/{container}
// so a test registers Nodes that point at this server and feeds it container
// logs from plain files.  It speaks only the part of the kubelet API that
// path needs (follow, sinceTime, sinceSeconds, timestamps, tailLines,
// limitBytes), plus /healthz and a few /control endpoints that let a test
// see the open streams and cut them, mid-line if it wants, to exercise the
// client's resume logic.
//
// Usage:
//
//	fakekubelet -logs DIR [-addr 127.0.0.1:0] [-port-file F] [-ca-file F]
//	            [-tls-cert F -tls-key F] [-poll D]
//	fakekubelet -free-ports N
//
// DIR holds one file per container, named <namespace>_<pod>_<container>.log
// (Kubernetes names never contain '_'), whose lines are
// "<RFC 3339 timestamp> <log line>", the shape of a CRI log file without its
// stream and tag columns.  Appending to a file is how a test emits events.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

type config struct {
	addr     string
	logDir   string
	portFile string
	caFile   string
	certFile string
	keyFile  string
	poll     time.Duration
	free     int
}

func parseFlags() config {
	var c config
	flag.StringVar(&c.addr, "addr", "127.0.0.1:0", "listen address (port 0: any free port)")
	flag.StringVar(&c.logDir, "logs", "", "directory of <ns>_<pod>_<container>.log files (required)")
	flag.StringVar(&c.portFile, "port-file", "", "write the port listened on to this file once serving")
	flag.StringVar(&c.caFile, "ca-file", "", "write the self-signed certificate (PEM) here, for --kubelet-certificate-authority")
	flag.StringVar(&c.certFile, "tls-cert", "", "serve this certificate instead of a generated one (needs -tls-key)")
	flag.StringVar(&c.keyFile, "tls-key", "", "private key for -tls-cert")
	flag.DurationVar(&c.poll, "poll", 20*time.Millisecond, "how often a follow stream looks for appended lines")
	flag.IntVar(&c.free, "free-ports", 0, "print this many free loopback TCP ports and exit (for tests/k8s/lib.sh)")
	flag.Parse()
	if c.free > 0 {
		return c
	}
	if c.logDir == "" || flag.NArg() != 0 || (c.certFile == "") != (c.keyFile == "") {
		flag.Usage()
		os.Exit(2)
	}
	return c
}

func main() {
	log.SetPrefix("fakekubelet: ")
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	c := parseFlags()
	if c.free > 0 {
		err := printFreePorts(c.free)
		if err != nil {
			log.Print(err)
			os.Exit(1)
		}
		return
	}
	if err := run(c); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func run(c config) error {
	tlsConf, err := serverTLS(c)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newServer(c).routes(), TLSConfig: tlsConf,
		ReadHeaderTimeout: 10 * time.Second}
	port := ln.Addr().(*net.TCPAddr).Port
	if c.portFile != "" {
		if err := writeFileAtomic(c.portFile, []byte(strconv.Itoa(port)+"\n")); err != nil {
			return err
		}
	}
	log.Printf("serving https://%s, logs from %s", ln.Addr(), c.logDir)
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case err := <-done:
		return err
	case s := <-sig:
		log.Printf("%v: stopping", s)
	}
	// Follow streams never end on their own: give them a moment, then drop them.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// printFreePorts prints n distinct ports the kernel had free on 127.0.0.1.
// All are held open until all are chosen so that they differ; a port can
// still be taken by someone else before the caller binds it, which the
// caller detects when its server fails to start.
func printFreePorts(n int) error {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		held = append(held, l)
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
	}
	return nil
}

// writeFileAtomic makes a reader that polls for the file never see it half written.
func writeFileAtomic(path string, data []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return nil
}
