/* record.c - one record: decode it, send the event, or reject it.
 *
 * A rejected record never stops the stream: it is counted under its
 * reason, logged (the first of each reason, then at most every
 * LOG_INTERVAL_S seconds), and written whole to the dead-letter file when
 * there is one.  Only failures of the outputs themselves stop the run. */
#include "capture.h"
#include "util/msg.h"

#include <stdio.h>
#include <string.h>

#define LOG_INTERVAL_S 10

static void describe(const capture *c, const framer_record *r, const char *reason,
                     const pj_error *pe, char *out, size_t n)
{
    if (strcmp(reason, "too_long") == 0)
        snprintf(out, n, "record of %llu bytes is over the limit of %llu (--max-record-bytes)",
                 (unsigned long long)r->size, c->opts->max_record);
    else if (strcmp(reason, "truncated") == 0)
        snprintf(out, n, "input ended inside a record");
    else if (pe != NULL && pe->path[0] != '\0')
        snprintf(out, n, "%s: %s", pe->path, pe->msg);
    else if (pe != NULL && pe->msg[0] != '\0')
        snprintf(out, n, "%s", pe->msg);
    else
        snprintf(out, n, "%s", reason);
}

static void log_reject(const capture *c, const framer_record *r, const char *reason,
                       const char *why)
{
    uint64_t suppressed;
    if (!msg_ratelimit(reason, LOG_INTERVAL_S, &suppressed))
        return;
    char where[64];
    if (r->line > 0)
        snprintf(where, sizeof(where), "%llu", (unsigned long long)r->line);
    else
        snprintf(where, sizeof(where), "offset %llu", (unsigned long long)r->start);
    char more[96] = "";
    if (suppressed > 0)
        snprintf(more, sizeof(more), " (%llu more %s records not logged)",
                 (unsigned long long)suppressed, reason);
    warnf("%s:%s: %s: %s%s", input_name(c->in), where, reason, why, more);
}

static int reject(capture *c, const framer_record *r, const char *reason, const pj_error *pe)
{
    char why[400], err[512];
    describe(c, r, reason, pe, why, sizeof(why));
    (void)stats_add(&c->st, "rejected", 1);
    (void)stats_add(&c->st, reason, 1);
    log_reject(c, r, reason, why);
    if (c->dlq == NULL)
        return 0;
    dlq_entry e = {reason, input_name(c->in), r->line, r->start, why, r->data, r->len, r->size};
    if (dlq_write(c->dlq, &e, err, sizeof(err)) == 0)
        return 0;
    errorf("dead-letter output: %s", err);
    return -1;
}

static int decode(capture *c, const framer_record *r, tetra_event **ev, const char **reason,
                  pj_error *pe)
{
    pj_decode_info info;
    memset(pe, 0, sizeof(*pe));
    if (c->opts->input == FRAMER_VARINT)
        return event_from_proto(c->arena, r->data, r->len, ev, reason, pe);
    memset(&info, 0, sizeof(info));
    int rc = event_from_json(c->arena, r->data, r->len, ev, reason, pe, &info);
    if (rc == 0 && info.unknown_fields > 0)
        (void)stats_add(&c->st, "unknown_fields", info.unknown_fields);
    return rc;
}

static int checkpoint(capture *c, const framer_record *r)
{
    if (c->opts->state == NULL)
        return 0;
    follow_pos p = c->file;
    p.offset = r->end;
    if (ckpt_push(&c->ckpts, output_written(c->out), p) == 0)
        return 0;
    errorf("out of memory");
    return -1;
}

int record_handle(capture *c, const framer_record *r)
{
    tetra_event *ev = NULL;
    const char *reason = NULL;
    pj_error pe;
    char err[512];
    int rc = 0;
    (void)stats_add(&c->st, "read", 1);
    if (r->reject != NULL)
        rc = reject(c, r, r->reject, NULL);
    else if (decode(c, r, &ev, &reason, &pe) < 0)
        rc = reject(c, r, reason != NULL ? reason : "invalid_json", &pe);
    else if (output_write(c->out, ev, err, sizeof(err)) < 0) {
        errorf("%s", err);
        rc = -1;
    }
    pj_arena_reset(c->arena);
    if (rc == 0)
        rc = checkpoint(c, r);
    return rc;
}
