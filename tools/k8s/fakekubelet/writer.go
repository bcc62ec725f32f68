// lineWriter puts log lines on the wire for one stream and carries out cuts.
// A cut aborts the handler with http.ErrAbortHandler, so the HTTP client (the
// API server) sees the connection break without a clean end of body, as it
// would if the kubelet died or the network dropped.
package main

import (
	"errors"
	"log"
	"net/http"
)

var errLimit = errors.New("limitBytes reached")

type lineWriter struct {
	srv     *server
	st      *stream
	w       http.ResponseWriter
	opts    logOpts
	written int64
	armed   bool // a midline cut waits for the next line
}

func logPrint(s string) { log.Print(s) }

func (out *lineWriter) format(l logLine) []byte {
	var b []byte
	if out.opts.timestamps {
		b = l.ts.UTC().AppendFormat(b, tsOut)
		b = append(b, ' ')
	}
	b = append(b, l.text...)
	return append(b, '\n')
}

func (out *lineWriter) writeAll(lines []logLine) error {
	for _, l := range lines {
		if err := out.writeLine(out.format(l)); err != nil {
			return err
		}
	}
	out.flush()
	return nil
}

func (out *lineWriter) writeLine(b []byte) error {
	if out.armed {
		out.srv.logf(out.st, "cut after %d of %d bytes of a line", len(b)/2, len(b))
		_, _ = out.w.Write(b[:len(b)/2])
		out.abort()
	}
	if out.opts.limit >= 0 && out.written+int64(len(b)) > out.opts.limit {
		_, err := out.w.Write(b[:out.opts.limit-out.written])
		if err != nil {
			return err
		}
		return errLimit
	}
	if _, err := out.w.Write(b); err != nil {
		return err
	}
	out.written += int64(len(b))
	out.srv.countLine(out.st)
	return nil
}

func (out *lineWriter) flush() {
	if f, ok := out.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (out *lineWriter) cut(mode cutMode) {
	if mode == cutMidline {
		out.armed = true
		out.srv.logf(out.st, "armed: the next line will be cut in half")
		return
	}
	out.srv.logf(out.st, "cut")
	out.abort()
}

// abort ends the handler without finishing the response.
func (out *lineWriter) abort() {
	out.flush()
	panic(http.ErrAbortHandler)
}
