/* sink_bulk.c - fuzz target: the OpenSearch _bulk response parser
 * (sink/bulk.c, reached through bulk_answer(), the same code a response
 * from the network runs).
 *
 * Input: byte 0 picks the HTTP status, byte 1 how many documents the
 * request carried (1 to 16), the rest is the response body.  The body
 * comes from a server, or from whatever proxy or load balancer answers in
 * its place.  Checks besides the sanitizers, from bulk.h's contract:
 * every item ends at most once in the done callback, with its own bytes,
 * a rejection carries a reason, and an item that did not end is still
 * pending (never lost). */
#include "fuzz.h"

#include <string.h>
#include "util/msg.h"
#include "../../sink/bulk.h"

#define MAX_DOCS 16

typedef struct seen {
    int done[MAX_DOCS];
    int ndone;
} seen;

static void on_done(void *opaque, const bulk_result *r)
{
    seen *s = opaque;
    char want[64];
    FUZZ_CHECK(r->off >= 0 && r->off < MAX_DOCS);
    FUZZ_CHECK(s->done[r->off]++ == 0);
    s->ndone++;
    int n = snprintf(want, sizeof(want), "{\"create\":{\"_id\":\"%d\"}}\n{}\n", (int)r->off);
    FUZZ_CHECK(r->len == (size_t)n && memcmp(r->lines, want, r->len) == 0);
    FUZZ_CHECK(r->outcome != BULK_REJECTED || r->reason != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long codes[] = {200, 200, 200, 200, 200, 200, 200, 200, 201, 400,
                                 401, 403, 404, 408, 409, 413, 429, 500, 502, 503};
    static int ready;
    if (!ready) {
        msg_init("fuzz-bulk", MSG_QUIET);
        ready = 1;
    }
    if (size < 2)
        return 0;
    http_conf hc;
    memset(&hc, 0, sizeof(hc));
    seen s;
    memset(&s, 0, sizeof(s));
    bulk_conf bc = {.url = "http://127.0.0.1:9/",
                    .http = &hc,
                    .max_docs = MAX_DOCS,
                    .max_bytes = 1 << 20,
                    .linger_ms = 0,
                    .max_inflight = 1,
                    .gzip = 0,
                    .backoff_ms = 100,
                    .backoff_max_ms = 1000,
                    .max_queued = 64,
                    .done = on_done,
                    .opaque = &s,
                    .st = NULL};
    char err[600];
    bulk *b = bulk_new(&bc, err, sizeof(err));
    FUZZ_CHECK(b != NULL);
    size_t n = 1 + data[1] % MAX_DOCS;
    for (size_t i = 0; i < n; i++) {
        char lines[64];
        int len = snprintf(lines, sizeof(lines), "{\"create\":{\"_id\":\"%d\"}}\n{}\n", (int)i);
        FUZZ_CHECK(bulk_add(b, lines, (size_t)len, 0, (int64_t)i) == 0);
    }
    long code = codes[data[0] % (sizeof(codes) / sizeof(codes[0]))];
    (void)bulk_answer(b, code, (const char *)data + 2, size - 2, err, sizeof(err));
    FUZZ_CHECK((size_t)s.ndone + bulk_pending(b) == n);
    bulk_free(b);
    return 0;
}
