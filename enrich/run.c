/* run.c - the stdin -> stdout loop.
 *
 * Input is cut into records by the shared framer (JSON objects, pretty or
 * one per line, or varint-delimited protobuf), each record decoded into a
 * GetEventsResponse in a per-record arena, enriched, and written as one
 * JSON line or one varint-delimited EnrichedEvent.  A record that is not an
 * event is counted under its reason and skipped; only output failures stop
 * the loop.
 *
 * Batching (--llm-batch N > 1): a record whose enrichment waits for the LLM
 * holds back the records after it (output order is input order) until N
 * such records are collected, the window is full, input pauses for
 * LINGER_MS, or input ends; then one request asks for all of them.  Records
 * that need no LLM while nothing waits are written at once. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "msg.h"
#include "run.h"

#define WIN_MAX 256
#define LINGER_MS 100

typedef struct slot {
    pj_arena *a;
    enrich_job j;
} slot;

typedef struct loop {
    const enrich_opts *o;
    engine *e;
    stats *st;
    buf out;
    slot win[WIN_MAX];
    size_t nwin, nllm;
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

static void reject(loop *l, const framer_record *r, const char *reason, const pj_error *pe) {
    uint64_t skipped;
    stats_add(l->st, "rejected", 1);
    stats_add(l->st, reason, 1);
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

/* Ask for the waiting records in batches, then write the window in order. */
static int flush(loop *l) {
    enrich_job *ask[WIN_MAX];
    char err[256] = "";
    size_t n = 0, batch = l->o->llm_batch ? l->o->llm_batch : 1;
    int rc = 0;
    for (size_t i = 0; i < l->nwin; i++)
        if (l->win[i].j.need_llm) ask[n++] = &l->win[i].j;
    for (size_t i = 0; i < n && rc == 0; i += batch)
        rc = engine_ask(l->e, ask + i, n - i < batch ? n - i : batch);
    for (size_t i = 0; i < l->nwin; i++) {
        Tetragonsidekick__EnrichedEvent *ee;
        if (engine_end(l->e, &l->win[i].j, &ee, err, sizeof err) < 0 || rc < 0) {
            rc = -1;
            continue;   /* end the rest too: they own memory */
        }
        if (write_record(l, ee) < 0) {
            errorf("writing to stdout: %s", strerror(errno));
            rc = -1;
        } else {
            stats_add(l->st, "written", 1);
        }
    }
    if (rc < 0 && err[0] == '\0') errorf("out of memory");
    l->nwin = l->nllm = 0;
    return rc;
}

static int one(loop *l, const framer_record *r) {
    tetra_event *ev;
    const char *reason;
    pj_error perr = {0};
    char err[256];
    stats_add(l->st, "read", 1);
    if (r->reject) {
        reject(l, r, r->reject, &perr);
        return 0;
    }
    slot *s = &l->win[l->nwin];
    if (s->a == NULL && (s->a = pj_arena_new()) == NULL) {
        errorf("out of memory");
        return -1;
    }
    pj_arena_reset(s->a);
    int rc = l->o->input == FRAMER_VARINT
                 ? event_from_proto(s->a, r->data, r->len, &ev, &reason, &perr)
                 : event_from_json(s->a, r->data, r->len, &ev, &reason, &perr, NULL);
    if (rc < 0) {
        reject(l, r, reason, &perr);
        return 0;
    }
    if (engine_begin(l->e, s->a, ev, &s->j, err, sizeof err) < 0) {
        engine_discard(&s->j);
        errorf("%s", err);
        return -1;
    }
    l->nwin++;
    l->nllm += s->j.need_llm;
    if (l->nllm == 0 || l->nllm >= (l->o->llm_batch ? l->o->llm_batch : 1) || l->nwin == WIN_MAX)
        return flush(l);
    return 0;
}

/* With records held for a batch, wait briefly for more input; flush when
 * none comes, so a quiet stream is not held back. */
static int linger(loop *l) {
    if (l->nwin == 0) return 0;
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    int r = poll(&p, 1, LINGER_MS);
    return r == 0 ? flush(l) : 0;
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

/* Before a read that would block, hand what is written so far to the
 * reader: a filter in a pipeline must not sit on finished records while
 * its input is quiet.  One poll per read of up to 64 KiB, not per record. */
static int idle_flush(void) {
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    if (poll(&p, 1, 0) != 0) return 0;
    if (fflush(stdout) == 0) return 0;
    errorf("writing to stdout: %s", strerror(errno));
    return -1;
}

static int pump(loop *l, framer *f, volatile sig_atomic_t *stop) {
    char chunk[65536];
    for (;;) {
        if (*stop) return flush(l);
        if (linger(l) < 0 || idle_flush() < 0) return -1;
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
    return drain(l, f) < 0 ? -1 : flush(l);
}

int run_stdio(const enrich_opts *o, engine *e, stats *st, volatile sig_atomic_t *stop) {
    loop *l = calloc(1, sizeof *l);   /* the window is large: not on the stack */
    framer *f = framer_new(o->input, o->max_record, 0);
    int rc = 1;
    if (l == NULL || f == NULL) {
        errorf("out of memory");
    } else {
        l->o = o;
        l->e = e;
        l->st = st;
        rc = pump(l, f, stop) == 0 ? 0 : 1;
    }
    if (fflush(stdout) != 0 && rc == 0) {
        errorf("writing to stdout: %s", strerror(errno));
        rc = 1;
    }
    framer_free(f);
    if (l) {
        if (l->nwin) flush(l);   /* after an error: release what is held */
        for (size_t i = 0; i < WIN_MAX; i++) pj_arena_free(l->win[i].a);
        buf_free(&l->out);
        free(l);
    }
    return rc;
}
