/* bulk.h - deliver bulk "create" lines to OpenSearch, none lost, none twice.
 *
 * Items (an action line and a document line) are queued, cut into requests
 * bounded by count and bytes (or sent when the oldest waited linger_ms),
 * gzip-compressed, and posted on up to max_inflight parallel connections
 * with curl multi.  Every item ends exactly once in the done callback:
 * indexed (201), duplicate (409: the same _id is already there, which a
 * replay produces by design) or rejected (a 4xx about the document
 * itself, such as a mapping error, with OpenSearch's reason).  429, 5xx,
 * timeouts and connection failures are not endings: the items wait with
 * exponential backoff and full jitter and are sent again, for as long as it
 * takes, so a slow or stopped cluster turns into backpressure (bulk_full)
 * rather than loss.
 * A whole request refused in a way retrying cannot fix (401, 403, a 400 on
 * the request) is fatal: bulk_pump returns -1 and nothing more is sent.  So
 * is a document answered 401, 403 or 404 (no permission for the index, a
 * write block, an index that may not be created): that is the cluster's
 * setup, not the document, and the next document would meet the same.  The
 * items refused are never finished; the rest of that answer still is. */
#ifndef TETRA_SINK_BULK_H
#define TETRA_SINK_BULK_H

#include <stddef.h>
#include <stdint.h>
#include "http/http.h"
#include "util/stats.h"

typedef enum bulk_outcome { BULK_INDEXED, BULK_DUPLICATE, BULK_REJECTED } bulk_outcome;

typedef struct bulk_result {
    bulk_outcome outcome;
    int status;         /* the item's HTTP status */
    const char *reason; /* rejected: "type: reason" from OpenSearch, else NULL */
    const char *lines;  /* the item as queued (action and document lines) */
    size_t len;
    int32_t part; /* as given to bulk_add */
    int64_t off;
} bulk_result;

typedef void (*bulk_done_fn)(void *opaque, const bulk_result *r);

typedef struct bulk_conf {
    const char *url;       /* cluster base URL */
    const http_conf *http; /* auth and TLS; must outlive the bulk */
    size_t max_docs;       /* items per request */
    size_t max_bytes;      /* uncompressed bytes per request */
    long linger_ms;        /* longest wait for a fuller request */
    int max_inflight;      /* parallel requests */
    int gzip;              /* compress request bodies */
    long backoff_ms;       /* first retry delay */
    long backoff_max_ms;   /* retry delay cap */
    size_t max_queued;     /* items held before bulk_full says stop */
    bulk_done_fn done;
    void *opaque;
    stats *st; /* counters: requests, retries, ... (may be NULL) */
} bulk_conf;

typedef struct bulk bulk;

/* Returns a new engine or NULL with err filled. */
bulk *bulk_new(const bulk_conf *c, char *err, size_t errlen);
/* Frees everything; unfinished items are dropped without a callback. */
void bulk_free(bulk *b);

/* Queue one item (copied).  Returns 0 or -1 when out of memory. */
int bulk_add(bulk *b, const char *lines, size_t len, int32_t part, int64_t off);

/* 1 when the caller should stop adding until pumping frees room. */
int bulk_full(const bulk *b);

/* Items queued, in flight or waiting for a retry. */
size_t bulk_pending(const bulk *b);

/* Send what is due, wait up to timeout_ms for network activity (or for fd
 * to become readable, when fd >= 0), and handle finished requests (done
 * callbacks run from here).  flush != 0 sends partial requests without
 * waiting for linger.  Returns 0, or -1 on a fatal refusal with err
 * filled. */
int bulk_pump(bulk *b, int timeout_ms, int flush, int fd, char *err, size_t errlen);

/* Answer the next request as if OpenSearch had: take the queued items one
 * request would carry and handle HTTP status code with body body[0..len)
 * exactly as an answer from the network (done callbacks, retries,
 * refusals).  No transfer takes place; this is how the fuzz target and
 * tests reach the response parser.  Returns 0, or -1 with err filled when
 * nothing is queued, memory ran out, or the answer (or an earlier one) was
 * a fatal refusal. */
int bulk_answer(bulk *b, long code, const char *body, size_t len, char *err, size_t errlen);

/* mono_ms() (util/clock.h) as a signed number, for the sink's deadline
 * arithmetic. */
int64_t bulk_now_ms(void);

/* The delay before retry number attempt (1-based): uniform in
 * [d/2, d] with d = min(base * 2^(attempt-1), cap); rnd is the PRNG state. */
long bulk_backoff(long base, long cap, int attempt, uint64_t *rnd);

#endif
