/* input.c - tetra-sink's stdin and Kafka inputs (see input.h).
 *
 * stdin is read without blocking through the framer; the loop waits on
 * its descriptor inside the bulk engine's curl wait.  A Kafka input owns
 * its consumer and the offset tracker of its topic: every record is
 * registered when read, and a commit names, per partition, the first
 * record not finished yet. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulk.h"
#include "codec/framer.h"
#include "kafka/kafka_in.h"
#include "util/msg.h"
#include "kafka/offsets.h"

typedef struct input_ops {
    int (*read)(sink_input *in, char *err, size_t errlen);
    int (*fd)(const sink_input *in);
    int (*ended)(const sink_input *in);
    void (*finished)(sink_input *in, int32_t part, int64_t off);
    int (*commit)(sink_input *in, long commit_ms, int force);
    size_t (*inflight)(const sink_input *in);
    void (*close)(sink_input *in);
} input_ops;

struct sink_input {
    const input_ops *ops;
    sink_input_host h;
    /* stdin */
    framer *fr;
    int eof, drained, stdin_flags;
    int binary; /* length-prefixed protobuf, not JSON lines */
    char *chunk;
    /* Kafka */
    int slot;
    kafka_in *kin;
    offsets *offs;
    record_type type;
    const char *topic;
    int64_t last_commit;
};

enum { CHUNK = 65536, STDIN_BUDGET = 2000, KAFKA_BUDGET = 1000 };

/* --- stdin --------------------------------------------------------------------------------- */

/* Hand out framed records until the framer needs input (returns 1), the
 * budget is spent or the host is full (0), or the stream is broken (-1). */
static int drain_framer(sink_input *in, int *budget, char *err, size_t errlen)
{
    framer_record fr;
    while (*budget > 0 && !in->h.full(in->h.ctx)) {
        int n = framer_next(in->fr, &fr);
        if (n == 0)
            return 1;
        if (n < 0) {
            snprintf(
                err, errlen,
                "stdin: a length prefix is malformed; the binary stream cannot be read further");
            return -1;
        }
        (*budget)--;
        origin o = {-1, (int64_t)fr.start, fr.line, fr.size};
        if (fr.reject)
            in->h.reject(in->h.ctx, fr.reject, fr.data, fr.len, &o);
        else
            in->h.record(in->h.ctx, fr.data, fr.len, in->binary, in->type, &o);
    }
    return 0;
}

static int stdin_read(sink_input *in, char *err, size_t errlen)
{
    int budget = STDIN_BUDGET;
    while (!in->drained) {
        int r = drain_framer(in, &budget, err, errlen);
        if (r == 1 && in->eof)
            in->drained = 1;
        if (r <= 0 || in->eof)
            return r < 0 ? -1 : STDIN_BUDGET - budget;
        ssize_t n = read(0, in->chunk, CHUNK);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (n < 0) {
            snprintf(err, errlen, "stdin: %s", strerror(errno));
            return -1;
        }
        if (n == 0) {
            in->eof = 1;
            framer_finish(in->fr);
        } else if (framer_feed(in->fr, in->chunk, (size_t)n) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return STDIN_BUDGET - budget;
}

/* Wait on stdin only while it may have more; after its end the framer
 * still hands out what it holds, without waiting. */
static int stdin_fd(const sink_input *in)
{
    return in->eof ? -1 : 0;
}

static int stdin_ended(const sink_input *in)
{
    return in->drained;
}

static void stdin_finished(sink_input *in, int32_t part, int64_t off)
{
    (void)in, (void)part, (void)off;
}

static int stdin_commit(sink_input *in, long commit_ms, int force)
{
    (void)in, (void)commit_ms, (void)force;
    return 0;
}

static size_t stdin_inflight(const sink_input *in)
{
    (void)in;
    return 0;
}

static void stdin_close(sink_input *in)
{
    if (in->stdin_flags >= 0)
        (void)fcntl(0, F_SETFL, in->stdin_flags);
    framer_free(in->fr);
    free(in->chunk);
}

static const input_ops stdin_ops = {stdin_read,   stdin_fd,       stdin_ended, stdin_finished,
                                    stdin_commit, stdin_inflight, stdin_close};

sink_input *sink_input_stdin(const sink_input_host *h, int varint, record_type type,
                             size_t max_record, char *err, size_t errlen)
{
    sink_input *in = calloc(1, sizeof *in);
    if (!in || !(in->chunk = malloc(CHUNK)) ||
        !(in->fr = framer_new(varint ? FRAMER_VARINT : FRAMER_JSON, max_record, 0))) {
        if (in)
            free(in->chunk);
        free(in);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    in->ops = &stdin_ops;
    in->h = *h;
    in->binary = varint;
    in->type = type;
    in->slot = -1;
    int fl = in->stdin_flags = fcntl(0, F_GETFL);
    if (fl < 0 || fcntl(0, F_SETFL, fl | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "stdin: %s", strerror(errno));
        in->stdin_flags = -1;
        sink_input_close(in);
        return NULL;
    }
    return in;
}

/* --- Kafka --------------------------------------------------------------------------------- */

static record_type kafka_type(const sink_input *in, const rd_kafka_message_t *m)
{
    if (in->type != RECORD_AUTO)
        return in->type;
    size_t len = 0;
    const char *v = kafka_in_header(m, "message-type", &len);
    record_type t = record_type_of(v, len);
    return t == RECORD_AUTO ? RECORD_ENRICHED : t;
}

static int kafka_read(sink_input *in, char *err, size_t errlen)
{
    int got = 0;
    kafka_in_pause(in->kin, in->h.full(in->h.ctx));
    while (got < KAFKA_BUDGET) {
        rd_kafka_message_t *m = NULL;
        int r = kafka_in_poll(in->kin, 0, &m, err, errlen);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        int32_t part = sink_tag(in->slot, m->partition);
        if (offsets_read(in->offs, part, m->offset) < 0) {
            rd_kafka_message_destroy(m);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        int binary = !(m->len && ((const char *)m->payload)[0] == '{');
        origin o = {part, m->offset, 0, 0};
        in->h.record(in->h.ctx, m->payload ? m->payload : "", m->len, binary, kafka_type(in, m),
                     &o);
        rd_kafka_message_destroy(m);
        got++;
        if (in->h.full(in->h.ctx))
            break;
    }
    return got;
}

static int kafka_fd(const sink_input *in)
{
    (void)in;
    return -1;
}

static int kafka_ended(const sink_input *in)
{
    (void)in;
    return 0;
}

static void kafka_finished(sink_input *in, int32_t part, int64_t off)
{
    offsets_done(in->offs, part, off);
}

/* Commit every partition whose point moved, a buffer's worth per call:
 * one call used to carry only the first 256, which left the rest for the
 * next timer tick and, at exit or on a revoke, for nobody. */
static int kafka_commit(sink_input *in, long commit_ms, int force)
{
    enum { BATCH = 256 };
    if (!force && bulk_now_ms() - in->last_commit < commit_ms)
        return 0;
    int32_t tagged[BATCH], parts[BATCH];
    int64_t offs[BATCH];
    char err[256];
    size_t n, total = 0;
    do {
        n = offsets_pending_commits(in->offs, tagged, offs, BATCH);
        for (size_t i = 0; i < n; i++)
            parts[i] = sink_tag_part(tagged[i]);
        if (kafka_in_commit(in->kin, parts, offs, n, err, sizeof err) < 0) {
            warnf("%s (will try again)", err);
            return (int)total;
        }
        for (size_t i = 0; i < n; i++)
            offsets_committed(in->offs, tagged[i], offs[i]);
        total += n;
    } while (n == BATCH);
    in->last_commit = bulk_now_ms();
    return (int)total;
}

static size_t kafka_inflight(const sink_input *in)
{
    return offsets_inflight(in->offs);
}

static void kafka_close(sink_input *in)
{
    kafka_in_free(in->kin); /* the revoke callback commits */
    offsets_free(in->offs);
}

static const input_ops kafka_ops = {kafka_read,   kafka_fd,       kafka_ended, kafka_finished,
                                    kafka_commit, kafka_inflight, kafka_close};

static void on_rebalance(void *opaque, int assigned, const int32_t *parts, size_t n)
{
    sink_input *in = opaque;
    notef("%s: %s %zu partition(s)", in->topic, assigned ? "assigned" : "revoked", n);
    if (assigned)
        return;
    (void)kafka_commit(in, 0, 1);
    for (size_t i = 0; i < n; i++)
        offsets_drop(in->offs, sink_tag(in->slot, parts[i]));
}

sink_input *sink_input_kafka(const sink_input_host *h, int slot, rd_kafka_conf_t *conf,
                             const char *topic, record_type type, char *err, size_t errlen)
{
    sink_input *in = calloc(1, sizeof *in);
    if (!in || !(in->offs = offsets_new())) {
        free(in);
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    in->ops = &kafka_ops;
    in->h = *h;
    in->slot = slot;
    in->type = type;
    in->topic = topic;
    in->stdin_flags = -1;
    in->last_commit = bulk_now_ms();
    in->kin = kafka_in_new(conf, topic, on_rebalance, in, err, errlen); /* takes conf */
    if (!in->kin) {
        offsets_free(in->offs);
        free(in);
        return NULL;
    }
    return in;
}

/* --- dispatch ------------------------------------------------------------------------------ */

int sink_input_read(sink_input *in, char *err, size_t errlen)
{
    return in->ops->read(in, err, errlen);
}

int sink_input_fd(const sink_input *in)
{
    return in->ops->fd(in);
}

int sink_input_ended(const sink_input *in)
{
    return in->ops->ended(in);
}

void sink_input_finished(sink_input *in, int32_t part, int64_t off)
{
    in->ops->finished(in, part, off);
}

int sink_input_commit(sink_input *in, long commit_ms, int force)
{
    return in->ops->commit(in, commit_ms, force);
}

size_t sink_input_inflight(const sink_input *in)
{
    return in->ops->inflight(in);
}

int sink_input_commits(const sink_input *in)
{
    return in->ops == &kafka_ops;
}

void sink_input_close(sink_input *in)
{
    if (!in)
        return;
    in->ops->close(in);
    free(in);
}
