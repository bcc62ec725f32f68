// Routes, the registry of open log streams, and the /control endpoints a
// test uses to observe and disturb them.  The control endpoints have no
// authentication: the server listens on loopback for one test run.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"sync"
	"time"
)

type cutMode int

const (
	cutNow     cutMode = iota // close the stream at once
	cutMidline                // send half of the next line, then close
	cutEnd                    // end the response cleanly, as when the container exits
)

// stream is one open /containerLogs request.
type stream struct {
	ID        int       `json:"id"`
	Namespace string    `json:"namespace"`
	Pod       string    `json:"pod"`
	Container string    `json:"container"`
	Query     string    `json:"query"`
	Started   time.Time `json:"started"`
	Lines     int       `json:"lines"` // lines sent so far (read under server.mu)
	cut       chan cutMode
}

// request is one entry of the request history, for tests that check how a
// client reconnected (for instance with which sinceTime).
type request struct {
	Time  time.Time `json:"time"`
	Path  string    `json:"path"`
	Query string    `json:"query"`
	Code  int       `json:"code"`
}

type server struct {
	conf     config
	mu       sync.Mutex
	nextID   int
	streams  map[int]*stream
	requests []request
}

func newServer(c config) *server {
	return &server{conf: c, streams: map[int]*stream{}}
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET /containerLogs/{ns}/{pod}/{container}", s.containerLogs)
	mux.HandleFunc("GET /control/streams", s.listStreams)
	mux.HandleFunc("GET /control/requests", s.listRequests)
	mux.HandleFunc("POST /control/cut", s.cutStreams)
	return mux
}

func (s *server) register(st *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	st.ID = s.nextID
	st.cut = make(chan cutMode, 1)
	s.streams[st.ID] = st
}

func (s *server) unregister(st *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.streams, st.ID)
}

func (s *server) countLine(st *stream) {
	s.mu.Lock()
	st.Lines++
	s.mu.Unlock()
}

func (s *server) record(r *http.Request, code int) {
	s.mu.Lock()
	s.requests = append(s.requests, request{time.Now().UTC(), r.URL.Path, r.URL.RawQuery, code})
	s.mu.Unlock()
	log.Printf("%s %s?%s -> %d", r.Method, r.URL.Path, r.URL.RawQuery, code)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("writing response: %v", err)
	}
}

func (s *server) listStreams(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	list := make([]stream, 0, len(s.streams))
	for _, st := range s.streams {
		list = append(list, *st)
	}
	s.mu.Unlock()
	writeJSON(w, list)
}

func (s *server) listRequests(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	list := append([]request(nil), s.requests...)
	s.mu.Unlock()
	writeJSON(w, list)
}

// cutStreams handles POST /control/cut?mode=now|midline|end[&namespace=][&pod=][&container=]
// and answers {"streams": N}, the number of open streams it cut or armed.
func (s *server) cutStreams(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	mode := cutNow
	switch q.Get("mode") {
	case "", "now":
	case "midline":
		mode = cutMidline
	case "end":
		mode = cutEnd
	default:
		http.Error(w, "mode must be now, midline or end", http.StatusBadRequest)
		return
	}
	n := 0
	s.mu.Lock()
	for _, st := range s.streams {
		if !matches(q.Get("namespace"), st.Namespace) || !matches(q.Get("pod"), st.Pod) ||
			!matches(q.Get("container"), st.Container) {
			continue
		}
		select {
		case st.cut <- mode:
			n++
		default: // a cut is already pending on this stream
		}
	}
	s.mu.Unlock()
	log.Printf("cut mode=%s namespace=%q pod=%q container=%q: %d streams", q.Get("mode"),
		q.Get("namespace"), q.Get("pod"), q.Get("container"), n)
	writeJSON(w, map[string]int{"streams": n})
}

func matches(want, have string) bool { return want == "" || want == have }
