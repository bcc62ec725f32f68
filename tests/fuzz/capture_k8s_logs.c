/* capture_k8s_logs.c - fuzz target: the Kubernetes log-stream parser
 * (capture/k8s/k8s_logs.c, k8s_logs_take: cutting lines, the timestamp prefix
 * of timestamps=true, resume positions, and on to record_handle()).
 *
 * A log line is what the container wrote, stamped by the runtime, and the
 * container is Tetragon printing what workloads did.  Byte 0 picks the
 * record limit, byte 1 seeds the chunk sizes; the rest is the stream.  The
 * stream is taken twice, whole and in small chunks as curl may deliver it,
 * and both must pass on the same events, count the same rejections and
 * end at the same position.  Every timestamp that parses must also format
 * back to a time that parses to the same instant (the sinceTime a resumed
 * stream asks for). */
#include "k8s_fixture.h"

#include "../../capture/k8s/kube_resume.h"

typedef struct outcome {
    char *events;
    size_t len;
    uint64_t read, rejected, duplicates, lineno, offset, count;
    int64_t ts;
} outcome;

static void take(const uint8_t *in, size_t n, unsigned long long max, unsigned seed,
                 size_t chunk_max, outcome *o)
{
    k8s_fixture f;
    fixture_open(&f, max, 0, 0);
    k8s_pod *p = k8s_pod_add(&f.k, "0b6c5f7e-fuzz");
    FUZZ_CHECK(p != NULL);
    size_t at = 0;
    while (at < n) {
        size_t step = n - at;
        if (chunk_max > 0) {
            seed = seed * 1103515245u + 12345u;
            size_t c = 1 + (seed >> 16) % chunk_max;
            step = c < step ? c : step;
        }
        FUZZ_CHECK(k8s_logs_take(&f.k, p, (const char *)in + at, step) == 0);
        at += step;
        /* the unfinished tail is bounded by the record limit */
        FUZZ_CHECK(p->line.len <= max + 64);
    }
    fixture_flush(&f);
    FUZZ_CHECK((o->events = malloc(f.out_len + 1)) != NULL);
    memcpy(o->events, f.out_text, f.out_len);
    o->len = f.out_len;
    o->read = stats_get(&f.c.st, "read");
    o->rejected = stats_get(&f.c.st, "rejected");
    o->duplicates = stats_get(&f.c.st, "k8s_duplicates");
    o->lineno = p->lineno;
    o->offset = p->offset;
    o->ts = p->pos.ts;
    o->count = p->pos.count;
    fixture_close(&f);
}

/* Each timestamp that parses formats to text that parses to it again. */
static void check_times(const uint8_t *in, size_t n)
{
    const char *at = (const char *)in, *end = at + n;
    while (at < end) {
        const char *nl = memchr(at, '\n', (size_t)(end - at));
        size_t len = nl != NULL ? (size_t)(nl - at) : (size_t)(end - at);
        int64_t ts, back;
        const char *text;
        size_t tn;
        char stamp[64];
        if (kube_log_split(at, len, &ts, &text, &tn) == 0) {
            FUZZ_CHECK(text >= at && text + tn == at + len);
            if (kube_time_format(ts, stamp, sizeof(stamp)) == 0) {
                FUZZ_CHECK(kube_time_parse(stamp, strlen(stamp), &back) == strlen(stamp));
                FUZZ_CHECK(back == ts);
            }
        }
        at += len + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned long long limits[] = {16, 200, 4096, 1 << 20};
    if (size < 2)
        return 0;
    unsigned long long max = limits[data[0] % 4];
    outcome whole, chunked;
    take(data + 2, size - 2, max, data[1], 0, &whole);
    take(data + 2, size - 2, max, data[1], 1 + data[1] % 23, &chunked);
    FUZZ_CHECK(whole.len == chunked.len && memcmp(whole.events, chunked.events, whole.len) == 0);
    FUZZ_CHECK(whole.read == chunked.read && whole.rejected == chunked.rejected);
    FUZZ_CHECK(whole.duplicates == chunked.duplicates);
    FUZZ_CHECK(whole.lineno == chunked.lineno && whole.offset == chunked.offset);
    FUZZ_CHECK(whole.ts == chunked.ts && whole.count == chunked.count);
    free(whole.events);
    free(chunked.events);
    check_times(data + 2, size - 2);
    return 0;
}
