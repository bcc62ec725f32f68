/* deadletter.c - dead-letter destinations with delivery tracking (see
 * deadletter.h).  Entries are formatted by common/dlq so both destinations
 * carry the same JSON objects. */
#include "deadletter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_out.h"

typedef struct waiting {
    uint64_t seq; /* producer sequence number of the entry */
    int32_t part;
    int64_t off;
} waiting;

struct deadletter {
    dlq *file;
    kafka_out *out;
    waiting *w; /* in produce order, so in sequence order */
    size_t head, n, cap;
    char *line;
    size_t linecap;
};

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
    uint64_t seq = kafka_out_produced(d->out);
    kafka_hdr h = {"message-type", "tetragonsidekick.DeadLetter", 27};
    if (kafka_out_produce(d->out, d->line, n - (n && d->line[n - 1] == '\n'), NULL, 0, &h, 1, NULL,
                          err, errlen) < 0)
        return -1;
    if (remember(d, seq, part, off) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
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

size_t deadletter_pending(const deadletter *d)
{
    return d ? d->n : 0;
}

int deadletter_close(deadletter *d, char *err, size_t errlen)
{
    if (!d)
        return 0;
    int rc = 0;
    if (d->file)
        rc = dlq_close(d->file, err, errlen);
    if (d->out) {
        uint64_t left = kafka_out_flush(d->out, NULL);
        if (left || kafka_out_failed(d->out)) {
            snprintf(err, errlen, "dead-letter topic: %llu entries not delivered: %s",
                     (unsigned long long)left, kafka_out_error(d->out));
            rc = -1;
        }
        kafka_out_free(d->out);
    }
    free(d->w);
    free(d->line);
    free(d);
    return rc;
}
