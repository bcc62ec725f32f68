/* run.c - the stdin -> stdout mode: input and output ops for flow.c.
 *
 * Input is cut into records by the shared framer (JSON objects, pretty or
 * one per line, or varint-delimited protobuf), each record decoded into a
 * GetEventsResponse in the arena the flow hands out, and each finished
 * record written as one JSON line or one varint-delimited EnrichedEvent.
 * A record that is not an event is counted under its reason and skipped;
 * only output failures stop the run.  Records leave in the order they are
 * ready (--ordered: input order).  When the flow is full no more records
 * are taken from the framer and stdin is not read, so memory stays bounded
 * by --max-pending; on a stop signal the records held are finished first. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "flow.h"
#include "incflow.h"
#include "record.h"
#include "util/msg.h"
#include "run.h"
#include "util/clock.h"

#define FLUSH_MS 5

typedef struct in_stdio {
    const enrich_opts *o;
    stats *st;
    framer *fr;
    buf out;
    int ended;          /* stdin reached its end (the framer may still hold records) */
    uint64_t unflushed; /* when the first record since the last fflush was written, 0: none */
    int64_t n;          /* records read, for the tags */
} in_stdio;

static int write_record(in_stdio *s, flow_tag tag, Tetragonsidekick__EnrichedEvent *ee)
{
    buf_reset(&s->out);
    if (s->o->output_proto) {
        if (record_pack(&s->out, ee, tag.event_pb, tag.event_pb_len, 1) < 0)
            return -1;
    } else if (pj_encode(&ee->base, &s->out) < 0 || buf_putc(&s->out, '\n') < 0) {
        return -1;
    }
    return fwrite(s->out.p, 1, s->out.len, stdout) == s->out.len ? 0 : -1;
}

static int emit(void *ctx, flow_tag tag, Tetragonsidekick__EnrichedEvent *ee)
{
    in_stdio *s = ctx;
    if (ee == NULL || s->o->ec.dry_run)
        return 0; /* dry-run prints requests, not records */
    if (write_record(s, tag, ee) < 0) {
        errorf("writing to stdout: %s", errno ? strerror(errno) : "out of memory");
        return -1;
    }
    if (s->unflushed == 0)
        s->unflushed = mono_ms();
    stats_add(s->st, "written", 1);
    return 0;
}

static void reject(in_stdio *s, const framer_record *r, const char *reason, const pj_error *pe)
{
    uint64_t skipped;
    stats_add(s->st, "rejected", 1);
    stats_add(s->st, reason, 1);
    if (!msg_ratelimit(reason, 10, &skipped))
        return;
    /* binary input has no lines: say the byte offset instead */
    char where[48];
    if (r->line > 0)
        snprintf(where, sizeof where, "line %llu", (unsigned long long)r->line);
    else
        snprintf(where, sizeof where, "offset %llu", (unsigned long long)r->start);
    warnf("record at %s: %s%s%s%s%s", where, reason, pe->msg[0] ? ": " : "", pe->path,
          pe->path[0] ? ": " : "", pe->msg);
}

static const void *keep(pj_arena *a, const framer_record *r)
{
    void *p = pj_arena_alloc(a, r->len ? r->len : 1);
    if (p != NULL && r->len)
        memcpy(p, r->data, r->len);
    return p;
}

static int take(in_stdio *s, flow *f, const framer_record *r)
{
    tetra_event *ev;
    const char *reason;
    pj_error perr = {0};
    stats_add(s->st, "read", 1);
    if (r->reject) {
        reject(s, r, r->reject, &perr);
        return 0;
    }
    pj_arena *a = flow_arena(f);
    if (a == NULL) {
        errorf("out of memory");
        return -1;
    }
    int rc = s->o->input == FRAMER_VARINT
                 ? event_from_proto(a, r->data, r->len, &ev, &reason, &perr)
                 : event_from_json(a, r->data, r->len, &ev, &reason, &perr, NULL);
    if (rc < 0) {
        reject(s, r, reason, &perr);
        return 0;
    }
    flow_tag tag = {0, s->n++, NULL, 0};
    /* protobuf out of protobuf: keep the event's bytes for record_pack,
     * in the arena, as the framer's are gone by the time a record that
     * waited for the LLM leaves */
    if (s->o->input == FRAMER_VARINT && s->o->output_proto && (tag.event_pb = keep(a, r)) != NULL)
        tag.event_pb_len = r->len;
    return flow_add(f, tag, ev);
}

/* Hand the framer's records to the flow while it has room.  Returns 1 when
 * the framer has no complete record left, 0 when the flow is full. */
static int drain(in_stdio *s, flow *f)
{
    framer_record r;
    int rc;
    while (!flow_full(f)) {
        if ((rc = framer_next(s->fr, &r)) == 0)
            return 1;
        if (rc < 0) {
            errorf("input: malformed length prefix; cannot resynchronise");
            return -1;
        }
        if (take(s, f, &r) < 0)
            return -1;
    }
    return 0;
}

static int read_stdin(void *ctx, flow *f, int wait_ms)
{
    in_stdio *s = ctx;
    char chunk[65536];
    int d = drain(s, f);
    if (d <= 0)
        return d < 0 ? -1 : 1; /* failed, or full: come back later */
    if (s->ended)
        return 0;
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    int ready = poll(&p, 1, wait_ms);
    if (ready == 0 || (ready < 0 && errno == EINTR))
        return 1; /* a signal: let the loop see it, not block in read */
    ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
        return 1;
    if (n < 0) {
        errorf("reading stdin: %s", strerror(errno));
        return -1;
    }
    if (n == 0) {
        s->ended = 1;
        framer_finish(s->fr);
    } else if (framer_feed(s->fr, chunk, (size_t)n) < 0) {
        errorf("out of memory");
        return -1;
    }
    d = drain(s, f);
    return d < 0 ? -1 : 1;
}

/* Hand what is written to the reader when the input is quiet, or when it
 * has waited FLUSH_MS: a filter in a pipeline must not sit on finished
 * records, neither while its input is quiet nor while a steady trickle of
 * input keeps it busy but leaves the output buffer half full (records
 * that wait for the LLM write nothing meanwhile).  At most one poll and
 * one write per pass, not per record. */
static int tick(void *ctx, flow *f)
{
    in_stdio *s = ctx;
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    (void)f;
    if (s->unflushed == 0)
        return 0;
    if (!s->ended && mono_ms() - s->unflushed < FLUSH_MS && poll(&p, 1, 0) != 0)
        return 0;
    s->unflushed = 0;
    if (fflush(stdout) == 0)
        return 0;
    errorf("writing to stdout: %s", strerror(errno));
    return -1;
}

static const flow_io stdio_ops = {
    .read = read_stdin,
    .emit = emit,
    .tick = tick,
    .drain_on_stop = 1,
};

int run_stdio(const enrich_opts *o, engine *e, stats *st, volatile sig_atomic_t *stop)
{
    in_stdio s = {.o = o, .st = st, .fr = framer_new(o->input, o->max_record, 0)};
    flow_conf fc = {.max_pending = o->max_pending, .ordered = o->ordered, .wake_fd = STDIN_FILENO};
    char err[512] = "";
    incflow *ix =
        o->incidents && s.fr ? incflow_new(o, e, &stdio_ops, &s, stop, err, sizeof err) : NULL;
    int ok = !o->incidents || ix;
    flow *f = s.fr && ok ? flow_new(e, &fc, ix ? incflow_ops(ix) : &stdio_ops, ix ? (void *)ix : &s)
                         : NULL;
    int rc = 1;
    if (f == NULL)
        errorf("%s", err[0] ? err : "out of memory");
    else
        rc = flow_run(f, stop) == 0 ? 0 : 1;
    if (ix && rc == 0 && incflow_finish(ix, *stop != 0) < 0)
        rc = 1;
    incflow_free(ix, st);
    if (fflush(stdout) != 0 && rc == 0) {
        errorf("writing to stdout: %s", strerror(errno));
        rc = 1;
    }
    flow_free(f);
    framer_free(s.fr);
    buf_free(&s.out);
    return rc;
}
