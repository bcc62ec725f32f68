/* k8s.h - tetra-capture --k8s: the Tetragon pods' logs through the API.
 *
 * One curl multi carries everything: the watch of the pods (k8s_watch.c)
 * and one follow stream per running pod (k8s_logs.c); k8s.c runs the loop,
 * ties delivered events back to stream positions and saves them.  A pod is
 * a slot that is never freed while the loop runs (only reused, with a new
 * generation), so curl callbacks and queued positions can point at it. */
#ifndef CAPTURE_K8S_H
#define CAPTURE_K8S_H

#include <curl/curl.h>
#include <stdint.h>
#include "util/buf.h"
#include "../capture.h"
#include "kube_resume.h"
#include "kube_state.h"
#include "kubeapi.h"

typedef struct k8s_pod {
    int used, wanted, seen;
    unsigned gen;
    size_t slot; /* its index in k8s.pods */
    char uid[KUBE_UID_MAX];
    char name[256];
    char node[256];
    char source[300]; /* "k8s:<ns>/<pod>", the input name of its records */
    input *in;        /* named input for record.c's messages and dead letters */
    /* the follow stream */
    CURL *h;
    struct curl_slist *hdrs;
    long status;             /* HTTP status of the open transfer, 0 before headers */
    buf line;                /* an incomplete line, kept until its newline comes */
    uint64_t line_dropped;   /* bytes of that line beyond what is kept of it */
    buf errbody;             /* body of an error answer */
    uint64_t got;            /* complete lines received on the open transfer */
    uint64_t lineno, offset; /* lines/bytes over all transfers, for messages */
    kube_resume pos;         /* what was passed on */
    int64_t dts;             /* what was delivered (saved with --state) */
    uint64_t dcount;
    uint64_t retry_at, close_at; /* ms; close_at: deleted, close the stream then */
    unsigned backoff;
} k8s_pod;

typedef struct k8s_pend { /* "once n events are delivered, pod slot is at (ts, count)" */
    uint64_t n;
    size_t slot;
    unsigned gen;
    int64_t ts;
    uint64_t count;
} k8s_pend;

typedef struct k8s {
    capture *c;
    kube_client *api;
    CURLM *multi;
    const char *ns, *selector, *container;
    char selector_q[512]; /* selector, URL-escaped */
    k8s_pod **pods;
    size_t npods;
    /* list and watch */
    CURL *wh;
    struct curl_slist *whdrs;
    long wstatus;
    buf wbuf;
    char rv[64];
    int listed, relist;
    uint64_t watch_at;
    unsigned watch_backoff;
    /* delivery positions */
    k8s_pend *q;
    size_t qcap, qhead, qlen;
    kube_pos *saved; /* loaded from --state, not yet matched to a pod */
    size_t nsaved;
    int dirty;
    int fatal;   /* an output failed: stop */
    int handled; /* records handled since the last output sync */
} k8s;

/* Run the --k8s capture on c (set up by run.c); finish is run.c's flush and
 * summary step.  Returns the exit status. */
int k8s_capture(capture *c, int (*finish)(capture *, int));

/* Exponential backoff: the next delay after cur (0 = first), at most cap. */
unsigned k8s_backoff(unsigned cur, unsigned cap);

/* k8s_watch.c: list and watch the pods.  k8s_watch_step starts a list and a
 * watch when none is running and it is time; k8s_watch_done handles the
 * end of the watch transfer.  Return 0, or -1 on a failure that stops. */
int k8s_watch_step(k8s *k, uint64_t now);
void k8s_watch_done(k8s *k, CURLcode rc);
void k8s_watch_close(k8s *k);
/* One line of the watch's body (one JSON event, without its newline):
 * ADDED/MODIFIED/DELETED pods, BOOKMARK, ERROR.  A line that is not JSON
 * is ignored.  Returns 0, or -1 when a pod slot could not be made.  The
 * parser the curl callback runs; public for tests and the fuzz target. */
int k8s_watch_event(k8s *k, const char *line, size_t n);

/* k8s_logs.c: the follow streams. */
int k8s_logs_start(k8s *k, k8s_pod *p);
void k8s_logs_done(k8s *k, k8s_pod *p, CURLcode rc);
void k8s_logs_close(k8s *k, k8s_pod *p);
/* Take n bytes of p's log stream as they arrived: complete lines (each
 * "TIMESTAMP TEXT") go to record_handle(), the unfinished tail waits in
 * p->line.  Returns 0, or -1 when the program must stop.  The parser the
 * curl callback runs; public for tests and the fuzz target. */
int k8s_logs_take(k8s *k, k8s_pod *p, const char *data, size_t n);
/* Queue the position of a record handled from p.  Returns 0 or -1. */
int k8s_pend_push(k8s *k, k8s_pod *p);

/* k8s.c: pod slots. */
k8s_pod *k8s_pod_find(k8s *k, const char *uid);
k8s_pod *k8s_pod_add(k8s *k, const char *uid);
void k8s_pod_remove(k8s *k, k8s_pod *p);
/* Close every transfer and free all k holds (k itself is the caller's). */
void k8s_close(k8s *k);

#endif
