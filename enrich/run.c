/* run.c - the stdin -> stdout loop.
 *
 * Input is cut into records by the shared framer (JSON objects, pretty or
 * one per line, or varint-delimited protobuf), each record decoded into a
 * GetEventsResponse in a per-record arena, enriched, and written as one
 * JSON line or one varint-delimited EnrichedEvent.  A record that is not an
 * event is counted under its reason and skipped; only output failures stop
 * the loop. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "msg.h"
#include "run.h"

typedef struct loop {
    const enrich_opts *o;
    engine *e;
    stats *st;
    pj_arena *arena;
    buf out;
} loop;

static int write_record(loop *l, Tetragonsidekick__EnrichedEvent *ee) {
    buf_reset(&l->out);
    if (l->o->output_proto) {
        size_t n = protobuf_c_message_get_packed_size(&ee->base);
        if (buf_put_varint(&l->out, n) < 0 || buf_reserve(&l->out, n) < 0) return -1;
        protobuf_c_message_pack(&ee->base, (uint8_t *)l->out.p + l->out.len);
        l->out.len += n;
    } else if (pj_encode(&ee->base, &l->out) < 0 || buf_putc(&l->out, '\n') < 0) {
        return -1;
    }
    if (l->o->ec.dry_run) return 0;   /* dry-run prints requests, not records */
    return fwrite(l->out.p, 1, l->out.len, stdout) == l->out.len ? 0 : -1;
}

static void reject(loop *l, const framer_record *r, const char *reason, const char *detail) {
    uint64_t skipped;
    stats_add(l->st, "rejected", 1);
    stats_add(l->st, reason, 1);
    if (msg_ratelimit(reason, 10, &skipped))
        warnf("record at line %llu: %s%s%s", (unsigned long long)r->line, reason,
              detail ? ": " : "", detail ? detail : "");
}

static int one(loop *l, const framer_record *r) {
    tetra_event *ev;
    const char *reason;
    pj_error perr;
    char err[256];
    stats_add(l->st, "read", 1);
    if (r->reject) {
        reject(l, r, r->reject, NULL);
        return 0;
    }
    pj_arena_reset(l->arena);
    int rc = l->o->input == FRAMER_VARINT
                 ? event_from_proto(l->arena, r->data, r->len, &ev, &reason)
                 : event_from_json(l->arena, r->data, r->len, &ev, &reason, &perr, NULL);
    if (rc < 0) {
        reject(l, r, reason, l->o->input == FRAMER_VARINT ? NULL : perr.msg);
        return 0;
    }
    Tetragonsidekick__EnrichedEvent *ee;
    if (engine_enrich(l->e, l->arena, ev, &ee, err, sizeof err) < 0) {
        errorf("%s", err);
        return -1;
    }
    if (write_record(l, ee) < 0) {
        errorf("writing to stdout: %s", strerror(errno));
        return -1;
    }
    stats_add(l->st, "written", 1);
    return 0;
}

static int drain(loop *l, framer *f) {
    framer_record r;
    int rc;
    while ((rc = framer_next(f, &r)) == 1)
        if (one(l, &r) < 0) return -1;
    if (rc < 0) {
        errorf("input: malformed length prefix; cannot resynchronise");
        return -1;
    }
    return 0;
}

static int pump(loop *l, framer *f, volatile sig_atomic_t *stop) {
    char chunk[65536];
    for (;;) {
        if (*stop) return 0;
        ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            errorf("reading stdin: %s", strerror(errno));
            return -1;
        }
        if (n == 0) break;
        if (framer_feed(f, chunk, (size_t)n) < 0 || drain(l, f) < 0) return -1;
    }
    framer_finish(f);
    return drain(l, f);
}

int run_stdio(const enrich_opts *o, engine *e, stats *st, volatile sig_atomic_t *stop) {
    loop l = {o, e, st, pj_arena_new(), BUF_INIT};
    framer *f = framer_new(o->input, o->max_record, 0);
    int rc = 1;
    if (l.arena == NULL || f == NULL) {
        errorf("out of memory");
    } else if (pump(&l, f, stop) == 0) {
        rc = 0;
    }
    if (fflush(stdout) != 0 && rc == 0) {
        errorf("writing to stdout: %s", strerror(errno));
        rc = 1;
    }
    framer_free(f);
    pj_arena_free(l.arena);
    buf_free(&l.out);
    return rc;
}
