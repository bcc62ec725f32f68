// /containerLogs/{ns}/{pod}/{container}: serves a container's log file the
// way the kubelet serves a CRI log, which is what kube-apiserver proxies
// pods/log to.
//
// Semantics kept from the kubelet because clients depend on them:
// sinceTime keeps lines whose timestamp is >= sinceTime (the API server
// forwards sinceTime truncated to whole seconds, so a client resuming from
// its last event gets that second again and must drop what it already
// passed on); timestamps=true prefixes each line with its time in
// fixed-width RFC 3339 nanoseconds and a space; follow=true keeps the stream
// open and sends lines as they are appended; only complete lines are sent.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// The kubelet's own output layout: always nine fractional digits.
const tsOut = "2006-01-02T15:04:05.000000000Z07:00"

var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)

type logOpts struct {
	follow     bool
	timestamps bool
	since      time.Time // zero: no lower bound
	tail       int       // -1: all lines
	limit      int64     // -1: no byte limit
}

func parseBool(q url.Values, key string) (bool, error) {
	v := q.Get(key)
	if v == "" {
		return false, nil
	}
	return strconv.ParseBool(v)
}

func parseLogOpts(q url.Values) (logOpts, error) {
	o := logOpts{tail: -1, limit: -1}
	var err error
	if o.follow, err = parseBool(q, "follow"); err != nil {
		return o, fmt.Errorf("follow: %w", err)
	}
	if o.timestamps, err = parseBool(q, "timestamps"); err != nil {
		return o, fmt.Errorf("timestamps: %w", err)
	}
	if v := q.Get("sinceTime"); v != "" {
		if o.since, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return o, fmt.Errorf("sinceTime: %w", err)
		}
	}
	if v := q.Get("sinceSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return o, fmt.Errorf("sinceSeconds: must be a positive integer")
		}
		o.since = time.Now().Add(-time.Duration(n) * time.Second)
	}
	if v := q.Get("tailLines"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return o, fmt.Errorf("tailLines: must be a non-negative integer")
		}
		o.tail = n
	}
	if v := q.Get("limitBytes"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return o, fmt.Errorf("limitBytes: must be a positive integer")
		}
		o.limit = n
	}
	return o, nil
}

// logLine is one line of a log file: its time and its content without newline.
type logLine struct {
	ts   time.Time
	text []byte
}

// readLines returns the complete lines from off on and the offset after the
// last of them; a trailing line still being written stays for the next read.
func readLines(f *os.File, off int64) ([]logLine, int64, error) {
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, off, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, off, err
	}
	var lines []logLine
	for {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			return lines, off, nil
		}
		if l, ok := parseLine(data[:nl]); ok {
			lines = append(lines, l)
		}
		off += int64(nl + 1)
		data = data[nl+1:]
	}
}

// parseLine splits "<timestamp> <text>"; a line without a valid timestamp
// is skipped, as the kubelet skips lines of a CRI log it cannot parse.
func parseLine(raw []byte) (logLine, bool) {
	sp := bytes.IndexByte(raw, ' ')
	if sp < 0 {
		return logLine{}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, string(raw[:sp]))
	if err != nil {
		return logLine{}, false
	}
	return logLine{ts: ts, text: raw[sp+1:]}, true
}

func (o *logOpts) keep(l logLine) bool {
	return o.since.IsZero() || !l.ts.Before(o.since)
}

func (s *server) containerLogs(w http.ResponseWriter, r *http.Request) {
	ns, pod, ctr := r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container")
	if !nameRE.MatchString(ns) || !nameRE.MatchString(pod) || !nameRE.MatchString(ctr) {
		s.fail(w, r, http.StatusBadRequest, "invalid namespace, pod or container name")
		return
	}
	opts, err := parseLogOpts(r.URL.Query())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	f, err := os.Open(filepath.Join(s.conf.logDir, ns+"_"+pod+"_"+ctr+".log"))
	if err != nil {
		s.fail(w, r, http.StatusNotFound,
			fmt.Sprintf("container %q in pod %q is not available", ctr, pod))
		return
	}
	defer f.Close()
	st := &stream{Namespace: ns, Pod: pod, Container: ctr, Query: r.URL.RawQuery,
		Started: time.Now().UTC()}
	s.register(st)
	defer s.unregister(st)
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	s.record(r, http.StatusOK)
	out := &lineWriter{srv: s, st: st, w: w, opts: opts}
	if err := s.serveLog(r, f, out); err != nil {
		s.logf(st, "stream ended: %v", err)
	}
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	s.record(r, code)
	http.Error(w, msg, code)
}

func (s *server) logf(st *stream, format string, args ...any) {
	prefix := fmt.Sprintf("stream %d %s/%s/%s: ", st.ID, st.Namespace, st.Pod, st.Container)
	logPrint(prefix + fmt.Sprintf(format, args...))
}

// serveLog writes what is in the file, then, when following, what gets
// appended, until the client goes away or a test cuts the stream.
func (s *server) serveLog(r *http.Request, f *os.File, out *lineWriter) error {
	lines, off, err := readLines(f, 0)
	if err != nil {
		return err
	}
	lines = out.opts.filter(lines)
	if err := out.writeAll(lines); err != nil || !out.opts.follow {
		return err
	}
	tick := time.NewTicker(s.conf.poll)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case mode := <-out.st.cut:
			if mode == cutEnd {
				out.srv.logf(out.st, "ended")
				return nil
			}
			out.cut(mode)
		case <-tick.C:
			if off, err = out.followFrom(f, off); err != nil {
				return err
			}
		}
	}
}

func (o *logOpts) filter(lines []logLine) []logLine {
	kept := lines[:0]
	for _, l := range lines {
		if o.keep(l) {
			kept = append(kept, l)
		}
	}
	if o.tail >= 0 && len(kept) > o.tail {
		kept = kept[len(kept)-o.tail:]
	}
	return kept
}

// followFrom sends the lines appended since off and returns the new offset.
// A file that shrank was replaced (as on a container restart): start over.
func (out *lineWriter) followFrom(f *os.File, off int64) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return off, err
	}
	if fi.Size() < off {
		off = 0
	}
	if fi.Size() == off {
		return off, nil
	}
	lines, off, err := readLines(f, off)
	if err != nil {
		return off, err
	}
	var kept []logLine
	for _, l := range lines {
		if out.opts.keep(l) {
			kept = append(kept, l)
		}
	}
	return off, out.writeAll(kept)
}
