/* deadletter.c - dead-letter destinations with delivery tracking (see
 * deadletter.h).  Entries are formatted by common/dlq so both destinations
 * carry the same JSON objects.
 *
 * The topic backend never waits for room in librdkafka's queue: the sink's
 * one thread also drives the bulk requests, the consumer's group
 * membership and the stop flag, and librdkafka may need up to
 * message.timeout.ms to make room.  An entry that does not fit is held
 * here (copied) and produced from deadletter_done() once deliveries made
 * room; meanwhile deadletter_busy() tells the caller to stop reading, and
 * the entry's record stays unfinished, so nothing is committed past it. */
#include "deadletter.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/kafka_out.h"

typedef struct waiting {
    uint64_t seq; /* producer sequence number of the entry */
    int32_t part;
    int64_t off;
} waiting;

typedef struct held {
    char *line; /* the formatted entry, without its newline */
    size_t len;
    int32_t part;
    int64_t off;
} held;

struct deadletter {
    dlq *file;
    kafka_out *out;
    waiting *w; /* in produce order, so in sequence order */
    size_t head, n, cap;
    held *h; /* not yet produced, in write order */
    size_t hhead, hn, hcap;
    char *line;
    size_t linecap;
};

/* Makes kafka_out_produce() return at once when the queue is full. */
static volatile sig_atomic_t no_wait = 1;

deadletter *deadletter_file(const char *path, char *err, size_t errlen)
{
    deadletter *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!(d->file = dlq_open_file(path, err, errlen))) {
        free(d);
        return NULL;
    }
    return d;
}

deadletter *deadletter_topic(rd_kafka_conf_t *conf, const char *topic, char *err, size_t errlen)
{
    deadletter *d = calloc(1, sizeof *d);
    if (!d) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!(d->out = kafka_out_new(conf, topic, err, errlen))) {
        free(d);
        return NULL;
    }
    return d;
}

/* Format e into d->line, growing it (escapes can make text 6 times longer). */
static size_t format(deadletter *d, const dlq_entry *e)
{
    size_t need = e->len * 6 + (e->error ? strlen(e->error) * 6 : 0) + 1024;
    if (need > d->linecap) {
        char *p = realloc(d->line, need);
        if (!p)
            return (size_t)-1;
        d->line = p;
        d->linecap = need;
    }
    return dlq_format(e, d->line, d->linecap);
}

static int remember(deadletter *d, uint64_t seq, int32_t part, int64_t off)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        waiting *w = malloc(cap * sizeof *w);
        if (!w)
            return -1;
        for (size_t i = 0; i < d->n; i++)
            w[i] = d->w[(d->head + i) % d->cap];
        free(d->w);
        d->w = w;
        d->cap = cap;
        d->head = 0;
    }
    d->w[(d->head + d->n) % d->cap] = (waiting){seq, part, off};
    d->n++;
    return 0;
}

/* Produce one entry without waiting.  Returns 0 when queued, 1 when the
 * queue is full, -1 with err filled when it cannot be produced. */
static int try_produce(deadletter *d, const char *line, size_t len, int32_t part, int64_t off,
                       char *err, size_t errlen)
{
    uint64_t seq = kafka_out_produced(d->out);
    kafka_hdr h = {"message-type", "tetragonsidekick.DeadLetter", 27};
    int r = kafka_out_produce(d->out, line, len, NULL, 0, &h, 1, &no_wait, err, errlen);
    if (r == 0 && remember(d, seq, part, off) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return r;
}

static int hold(deadletter *d, const char *line, size_t len, int32_t part, int64_t off)
{
    if (d->hn == d->hcap) {
        size_t cap = d->hcap ? d->hcap * 2 : 16;
        held *h = malloc(cap * sizeof *h);
        if (!h)
            return -1;
        for (size_t i = 0; i < d->hn; i++)
            h[i] = d->h[(d->hhead + i) % d->hcap];
        free(d->h);
        d->h = h;
        d->hcap = cap;
        d->hhead = 0;
    }
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    memcpy(copy, line, len);
    d->h[(d->hhead + d->hn) % d->hcap] = (held){copy, len, part, off};
    d->hn++;
    return 0;
}

int deadletter_write(deadletter *d, const dlq_entry *e, int32_t part, int64_t off, char *err,
                     size_t errlen)
{
    if (d->file)
        return dlq_write(d->file, e, err, errlen) < 0 ? -1 : 1;
    size_t n = format(d, e);
    if (n == (size_t)-1) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    n -= n && d->line[n - 1] == '\n';
    int r = d->hn ? 1 : try_produce(d, d->line, n, part, off, err, errlen); /* keep the order */
    if (r == 1 && hold(d, d->line, n, part, off) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return r < 0 ? -1 : 0;
}

/* Produce held entries while there is room.  Returns 0 or -1. */
static int produce_held(deadletter *d, char *err, size_t errlen)
{
    while (d->hn) {
        held *h = &d->h[d->hhead];
        int r = try_produce(d, h->line, h->len, h->part, h->off, err, errlen);
        if (r < 0)
            return -1;
        if (r == 1)
            return 0;
        free(h->line);
        d->hhead = (d->hhead + 1) % d->hcap;
        d->hn--;
    }
    return 0;
}

int deadletter_done(deadletter *d, int32_t *parts, int64_t *offs, size_t max, char *err,
                    size_t errlen)
{
    if (!d->out)
        return 0;
    kafka_out_poll(d->out, 0);
    if (kafka_out_failed(d->out)) {
        snprintf(err, errlen, "dead-letter topic: %s", kafka_out_error(d->out));
        return -1;
    }
    if (produce_held(d, err, errlen) < 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "dead-letter topic: %s", why);
        return -1;
    }
    uint64_t done = kafka_out_done(d->out);
    size_t k = 0;
    while (d->n && k < max && d->w[d->head].seq < done) {
        parts[k] = d->w[d->head].part;
        offs[k++] = d->w[d->head].off;
        d->head = (d->head + 1) % d->cap;
        d->n--;
    }
    return (int)k;
}

int deadletter_busy(const deadletter *d)
{
    return d && d->hn > 0;
}

size_t deadletter_pending(const deadletter *d)
{
    return d ? d->n + d->hn : 0;
}

int deadletter_close(deadletter *d, char *err, size_t errlen)
{
    if (!d)
        return 0;
    int rc = 0;
    if (d->file)
        rc = dlq_close(d->file, err, errlen);
    if (d->out) {
        uint64_t left = kafka_out_flush(d->out, &no_wait) + d->hn;
        if (left || kafka_out_failed(d->out)) {
            snprintf(err, errlen, "dead-letter topic: %llu entries not delivered%s%s",
                     (unsigned long long)left, kafka_out_error(d->out)[0] ? ": " : "",
                     kafka_out_error(d->out));
            rc = -1;
        }
        kafka_out_free(d->out);
    }
    for (size_t i = 0; i < d->hn; i++)
        free(d->h[(d->hhead + i) % d->hcap].line);
    free(d->h);
    free(d->w);
    free(d->line);
    free(d);
    return rc;
}
