/* incflow.c - the --incidents layer; see incflow.h.
 *
 * When an incident gets its LLM call: at its first record at high or
 * above (escalation), and at close when no call was made yet or its
 * behaviour fingerprint changed since (it grew); never for an incident
 * below --min-severity, never for a partial one (a stopping process must
 * not wait on the LLM).  The cache is the engine's, keyed by the incident
 * fingerprint, the model and INCIDENT_PROMPT_VERSION, so the same
 * behaviour in another pod or a replay costs no call.  A closing incident
 * whose request is in flight writes its last record when the answer comes
 * and is freed then. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "incflow.h"
#include "incident.h"
#include "incident_llm.h"
#include "incident_out.h"
#include "kafka.h"
#include "kafka/kafka_out.h"
#include "util/clock.h"
#include "util/msg.h"

#define TYPE_INCIDENT "tetragonsidekick.IncidentRecord"
#define ASKED_AT_CLOSE 99

struct incflow {
    const enrich_opts *o;
    engine *e;
    const flow_io *inner;
    void *ictx;
    flow_io ops;
    seqset ss;
    incidents *s;
    llm *l; /* NULL: no incident LLM calls */
    redactor *red;
    pj_arena *a;
    buf out;
    kafka_out *kout; /* Kafka mode: the incident topic */
    volatile sig_atomic_t *stop;
    int failed;
    uint64_t records, llm_calls, llm_cached, llm_failed;
};

static uint64_t wall_s(void)
{
    return (uint64_t)time(NULL);
}

/* --- writing records ------------------------------------------------------------ */

static int write_record(incflow *x, incident *in)
{
    char err[256];
    in->version++;
    pj_arena_reset(x->a);
    Tetragonsidekick__IncidentRecord *rec =
        incident_record(in, x->o->cluster, x->o->ec.model, x->a);
    if (rec == NULL || incident_encode(rec, x->kout != NULL, &x->out) < 0) {
        errorf("out of memory");
        return -1;
    }
    x->records++;
    if (x->kout) {
        kafka_hdr h = {"message-type", TYPE_INCIDENT, strlen(TYPE_INCIDENT)};
        if (kafka_out_produce(x->kout, x->out.p, x->out.len, in->id, strlen(in->id), &h, 1, x->stop,
                              err, sizeof err) == 0)
            return 0;
        errorf("producing to %s: %s", x->o->incident_topic, err);
        return -1;
    }
    if (x->o->ec.dry_run)
        return 0;
    if (fwrite(x->out.p, 1, x->out.len, stdout) == x->out.len && fflush(stdout) == 0)
        return 0;
    errorf("writing to stdout: failed");
    return -1;
}

/* --- the LLM -------------------------------------------------------------------- */

static int wants_llm(const incflow *x, const incident *in)
{
    return x->l && in->status != INC_PARTIAL && in->severity >= x->o->ec.min_severity;
}

static void key_of(const incflow *x, const char *fp, char *key, size_t cap)
{
    if (cache_key(key, cap, fp, x->o->ec.model ? x->o->ec.model : "", INCIDENT_PROMPT_VERSION) < 0)
        key[0] = '\0';
}

/* A cached story for fp: 1 taken, 0 none. */
static int from_cache(incflow *x, incident *in, const char *key)
{
    const char *hit = cache_get(engine_cache(x->e), key, wall_s());
    finding f;
    char err[128];
    if (hit == NULL || hit[0] != '{' ||
        finding_from_json(hit, strlen(hit), &f, err, sizeof err) < 0)
        return 0;
    incident_llm_take(in, &f, TETRAGONSIDEKICK__SOURCE__SOURCE_CACHE,
                      TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_CACHED);
    x->llm_cached++;
    return 1;
}

/* Ask about in now (or take the cached story).  Returns 1 when a request
 * is in flight, 0 when the story was cached, -1 when out of memory. */
static int ask(incflow *x, incident *in)
{
    char key[256];
    inc_fingerprint(in, in->llm_fp);
    in->llm_asked_sev = in->status == INC_OPEN ? in->severity : ASKED_AT_CLOSE;
    key_of(x, in->llm_fp, key, sizeof key);
    if (key[0] && from_cache(x, in, key))
        return 0;
    char *data = incident_llm_data(in, x->red);
    char *body =
        data ? incident_llm_body(data, x->o->ec.model, x->o->ec.mode, x->o->ec.max_tokens) : NULL;
    free(data);
    if (body == NULL || llm_submit(x->l, body, in) < 0)
        return -1; /* llm_submit takes body */
    in->llm_pending = 1;
    x->llm_calls++;
    return 1;
}

static int settle(incflow *x, incident *in);

static void on_done(void *ctx, void *ud, int rc, llm_reply *rep, const char *err)
{
    incflow *x = ctx;
    incident *in = ud;
    char key[256], why[256] = "";
    uint64_t skipped;
    finding f;
    in->llm_pending = 0;
    key_of(x, in->llm_fp, key, sizeof key);
    if (rc != LLM_OK) {
        x->llm_failed++;
        in->story.llm_status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_ERROR;
        if (msg_ratelimit("incident_llm", 10, &skipped))
            warnf("LLM (incident %s): %s", in->id, err);
    } else if (finding_from_json(rep->content.p ? rep->content.p : "", rep->content.len, &f, why,
                                 sizeof why) == 0) {
        char *json = finding_to_json(&f);
        if (json && key[0])
            (void)cache_put(engine_cache(x->e), key, json, wall_s());
        free(json);
        incident_llm_take(in, &f, TETRAGONSIDEKICK__SOURCE__SOURCE_LLM,
                          TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_OK);
    } else {
        x->llm_failed++;
        in->story.llm_status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_INVALID_OUTPUT;
        if (msg_ratelimit("incident_invalid", 10, &skipped))
            notef("LLM reply for incident rejected: %s", why);
    }
    if (!in->queued && settle(x, in) < 0)
        x->failed = 1; /* a queued one is settled by settle_ready */
}

/* --- incidents that changed --------------------------------------------------------- */

/* Write what in's change calls for; free it when it is closed and done. */
static int settle(incflow *x, incident *in)
{
    if (in->llm_pending)
        return 0; /* its answer writes the record */
    if (in->status == INC_OPEN) {
        int r = 0;
        if (in->severity >= SEV_HIGH && in->llm_asked_sev == 0 && wants_llm(x, in))
            r = ask(x, in);
        return r < 0 ? -1 : write_record(x, in);
    }
    char fp[17];
    inc_fingerprint(in, fp);
    int grew = in->llm_asked_sev == 0 || strcmp(fp, in->llm_fp) != 0;
    if (in->llm_asked_sev != ASKED_AT_CLOSE && grew && wants_llm(x, in)) {
        int r = ask(x, in);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
    int rc = write_record(x, in);
    inc_release(x->s, in);
    return rc;
}

/* Settle every incident update the store has ready, in its order. */
static int settle_ready(incflow *x)
{
    incident *in;
    while ((in = inc_next(x->s)) != NULL)
        if (settle(x, in) < 0)
            return -1;
    return x->failed ? -1 : 0;
}

/* --- the flow_io layer ------------------------------------------------------------- */

static int x_read(void *ctx, flow *f, int wait_ms)
{
    incflow *x = ctx;
    return x->inner->read(x->ictx, f, wait_ms);
}

static int x_emit(void *ctx, flow_tag tag, Tetragonsidekick__EnrichedEvent *ee)
{
    incflow *x = ctx;
    if (x->inner->emit(x->ictx, tag, ee) < 0)
        return -1;
    if (ee == NULL)
        return 0;
    if (inc_feed(x->s, tag.lane, ee->event, ee->enrichment) < 0) {
        errorf("out of memory");
        return -1;
    }
    return settle_ready(x);
}

static int drive_llm(incflow *x, int wait_ms)
{
    if (x->l && llm_pending(x->l) > 0 && llm_run(x->l, wait_ms, -1, on_done, x) < 0) {
        errorf("LLM client: curl failed");
        return -1;
    }
    return 0;
}

static int x_tick(void *ctx, flow *f)
{
    incflow *x = ctx;
    if (drive_llm(x, 0) < 0)
        return -1;
    inc_advance(x->s, mono_ms());
    if (settle_ready(x) < 0)
        return -1;
    if (x->kout)
        kafka_out_poll(x->kout, 0);
    return x->inner->tick(x->ictx, f);
}

const flow_io *incflow_ops(const incflow *x)
{
    return &x->ops;
}

/* --- life ----------------------------------------------------------------------- */

static int load_sequences(incflow *x, char *err, size_t errlen)
{
    const enrich_opts *o = x->o;
    for (size_t i = 0; o->rules[i]; i++)
        if (seq_load_file(&x->ss, o->rules[i], err, errlen) < 0)
            return -1;
    if (!o->ec.no_builtin && seq_load_builtin(&x->ss, err, errlen) < 0)
        return -1;
    return seq_prepare(&x->ss, err, errlen);
}

static int open_topic(incflow *x, char *err, size_t errlen)
{
    if (x->o->in_topic == NULL || x->o->ec.dry_run)
        return 0;
    rd_kafka_conf_t *pc = kafka_producer_conf(x->o, err, errlen);
    return pc && (x->kout = kafka_out_new(pc, x->o->incident_topic, err, errlen)) != NULL ? 0 : -1;
}

incflow *incflow_new(const enrich_opts *o, engine *e, const flow_io *inner, void *inner_ctx,
                     volatile sig_atomic_t *stop, char *err, size_t errlen)
{
    incflow *x = calloc(1, sizeof *x);
    if (x == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *x =
        (incflow){.o = o, .e = e, .inner = inner, .ictx = inner_ctx, .stop = stop, .out = BUF_INIT};
    x->ops = (flow_io){
        .read = x_read, .emit = x_emit, .tick = x_tick, .drain_on_stop = inner->drain_on_stop};
    inc_conf c = {.min_severity = o->incident_min_severity,
                  .idle_ms = o->incident_idle_ms,
                  .max_ms = o->incident_max_ms,
                  .max_events = o->incident_max_events,
                  .lineage_cap = o->lineage_max,
                  .grace_ms = o->lineage_grace_ms,
                  .cluster = o->cluster};
    if (load_sequences(x, err, errlen) < 0)
        goto fail;
    if ((x->s = inc_new(&c, &x->ss)) == NULL || (x->a = pj_arena_new()) == NULL ||
        (x->red = redact_new(err, errlen)) == NULL) {
        if (err[0] == '\0')
            snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (o->incident_llm && !o->ec.dry_run && (x->l = llm_new(&o->ec.llm, err, errlen)) == NULL)
        goto fail;
    if (open_topic(x, err, errlen) < 0)
        goto fail;
    return x;
fail:
    incflow_free(x, NULL);
    return NULL;
}

void incflow_revoke(incflow *x, int32_t lane)
{
    inc_close_all(x->s, lane, INC_PARTIAL);
    if (settle_ready(x) < 0)
        x->failed = 1;
    if (x->kout)
        kafka_out_flush(x->kout, x->stop);
}

/* The requests of closing incidents: wait for them (a stopping process
 * for at most 2 s), then write what is left without a story. */
static int finish_requests(incflow *x, int stopped)
{
    uint64_t limit =
        mono_ms() +
        (stopped
             ? 2000
             : (uint64_t)x->o->ec.llm.timeout_ms * (uint64_t)(x->o->ec.llm.max_retries + 1) + 1000);
    while (x->l && llm_pending(x->l) > 0 && mono_ms() < limit)
        if (drive_llm(x, 100) < 0)
            return -1;
    return x->failed ? -1 : 0;
}

/* Closed incidents whose answer did not come in time: their last record
 * goes out with the rules' words (the request is dropped with the client). */
static int write_waiting(incflow *x)
{
    size_t cur = 0;
    incident *in;
    int rc = 0;
    llm_free(x->l); /* its requests point at the incidents freed below */
    x->l = NULL;
    while ((in = inc_next_waiting(x->s, &cur)) != NULL) {
        in->llm_pending = 0;
        in->story.llm_status = TETRAGONSIDEKICK__LLM_STATUS__LLM_STATUS_ERROR;
        if (write_record(x, in) < 0)
            rc = -1;
        inc_release(x->s, in);
    }
    return rc;
}

int incflow_finish(incflow *x, int stopped)
{
    inc_close_all(x->s, -1, stopped ? INC_PARTIAL : INC_CLOSED);
    int rc = settle_ready(x) < 0 || finish_requests(x, stopped) < 0 ? -1 : 0;
    if (rc == 0 && (settle_ready(x) < 0 || write_waiting(x) < 0))
        rc = -1;
    if (x->kout) {
        uint64_t lost = kafka_out_flush(x->kout, NULL);
        if (lost > 0) {
            errorf("%" PRIu64 " incident records not delivered: %s", lost,
                   kafka_out_error(x->kout));
            rc = -1;
        }
    }
    return rc;
}

void incflow_free(incflow *x, stats *st)
{
    if (x == NULL)
        return;
    if (st && x->s) {
        inc_counts n;
        inc_counts_get(x->s, &n);
        stats_add(st, "incidents", n.opened);
        stats_add(st, "incidents_partial", n.partial);
        stats_add(st, "incident_records", x->records);
        stats_add(st, "incident_llm_calls", x->llm_calls);
        stats_add(st, "incident_llm_cached", x->llm_cached);
        stats_add(st, "incident_llm_failed", x->llm_failed);
        stats_add(st, "sequences", n.sequences);
        stats_add(st, "lineage_evicted_early", n.lineage.evicted_early);
        stats_add(st, "lineage_refused", n.lineage.refused);
    }
    llm_free(x->l); /* before the incidents its requests point to */
    inc_free(x->s);
    seq_free(&x->ss);
    redact_free(x->red);
    pj_arena_free(x->a);
    kafka_out_free(x->kout);
    buf_free(&x->out);
    free(x);
}
