/* kafka.c - consume-enrich-produce with at-least-once delivery, the
 * default (exactly-once with --transactional-id is txn.c).
 *
 * Why at-least-once by default: transactions need a stable id per replica
 * and hold records back until their batch commits.  Records go through
 * flow.c and leave as soon as each is ready, so they are produced out of
 * input order; a record is finished when the enriched record it produced
 * was acknowledged (kafka_out's delivery watermark), and each partition is
 * committed up to its oldest unfinished record (common/kafka/offsets.c, as in
 * tetra-sink).  A crash therefore re-sends at most what was finished
 * beyond that floor; every enriched record's key is the coordinates of its
 * source record ("topic/partition/offset"), so a re-sent record carries
 * the same key and consumers can drop the duplicate.  A dry run opens no
 * producer: it produces and commits nothing and says on stderr what it
 * would have produced.
 *
 * The explanation cache is shared through a compacted topic keyed by the
 * cache key: read to its end at start-up (so a restart or a new replica
 * reuses every explanation), appended to whenever the LLM explains a new
 * behaviour.
 *
 * Every client's configuration is the program's settings with the user's
 * (TETRA_KAFKA_* and -X, gathered by cli.c) over them, through
 * kafka_conf_layer(); only what a client cannot work without is set after
 * the user's: the cache loader's own group and its manual offsets. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kafka.h"
#include "kafka/kafka_conf.h"
#include "kafka/kafka_in.h"
#include "kafka/kafka_out.h"
#include "util/msg.h"
#include "util/prog.h"
#include "kafka/offsets.h"
#include "flow.h"
#include "record.h"
#include "incflow.h"
#include "util/clock.h"

#define TYPE_ENRICHED "tetragonsidekick.EnrichedEvent"
#define MAX_PARTS 1024

/* --- the shared cache ------------------------------------------------------------ */

static kafka_out *cache_out;
static volatile sig_atomic_t never_stop;

static void publish(void *ctx, const char *key, const char *value)
{
    char err[256];
    (void)ctx;
    if (cache_out && kafka_out_produce(cache_out, value, strlen(value), key, strlen(key), NULL, 0,
                                       &never_stop, err, sizeof err) != 0)
        warnf("cache topic: %s", err);
}

static int fill_brokers(rd_kafka_conf_t *c, void *ctx, char *err, size_t errlen)
{
    const enrich_opts *o = ctx;
    return rd_kafka_conf_set(c, "bootstrap.servers", o->brokers, err, errlen) == RD_KAFKA_CONF_OK
               ? 0
               : -1;
}

static int fill_producer(rd_kafka_conf_t *c, void *ctx, char *err, size_t errlen)
{
    return kafka_out_defaults(c, err, errlen) < 0 ? -1 : fill_brokers(c, ctx, err, errlen);
}

rd_kafka_conf_t *kafka_producer_conf(const enrich_opts *o, char *err, size_t errlen)
{
    return kafka_conf_layer(o->kafka, fill_producer, (void *)o, 0, err, errlen);
}

int kafka_cache_attach(enrich_opts *o, engine_conf *ec)
{
    char err[512];
    rd_kafka_conf_t *kc = kafka_producer_conf(o, err, sizeof err);
    if (kc == NULL || (cache_out = kafka_out_new(kc, o->cache_topic, err, sizeof err)) == NULL) {
        errorf("cache topic %s: %s", o->cache_topic, err);
        return -1;
    }
    ec->publish = publish;
    return 0;
}

void kafka_cache_detach(void)
{
    if (cache_out == NULL)
        return;
    if (kafka_out_flush(cache_out, NULL) > 0)
        warnf("cache topic: %s", kafka_out_error(cache_out));
    kafka_out_free(cache_out);
    cache_out = NULL;
}

/* Assign every partition of the topic from the beginning; returns how
 * many, with their end offsets in high[]. */
static int assign_all(rd_kafka_t *rk, const char *topic, int64_t *high, int max)
{
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    if (t == NULL || rd_kafka_metadata(rk, 0, t, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (t)
            rd_kafka_topic_destroy(t);
        return -1;
    }
    int n = md->topic_cnt == 1 && md->topics[0].err == 0 ? md->topics[0].partition_cnt : 0;
    if (n > max)
        n = max;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n ? n : 1);
    for (int p = 0; p < n; p++) {
        int64_t lo;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &high[p], 10000) != 0)
            high[p] = 0;
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    int rc = rd_kafka_assign(rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR ? n : -1;
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

static void load_one(engine *e, const rd_kafka_message_t *m, uint64_t *loaded)
{
    char key[256];
    if (m->key_len == 0 || m->key_len >= sizeof key || m->payload == NULL)
        return;
    memcpy(key, m->key, m->key_len);
    key[m->key_len] = '\0';
    char *v = strndup(m->payload, m->len);
    if (v && cache_put(engine_cache(e), key, v, (uint64_t)time(NULL)) == 0)
        (*loaded)++;
    free(v);
}

/* A refused login or TLS handshake, kept by the loader's error callback:
 * librdkafka would retry it forever and the load would end empty without a
 * word.  Other errors are warned about (kafka_error_seen). */
typedef struct loader_refusal {
    char reason[512]; /* empty: not refused */
} loader_refusal;

static void on_loader_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    loader_refusal *r = opaque;
    (void)rk;
    kafka_error_seen(code, reason, "cache loader", r->reason, sizeof r->reason);
}

/* Read until every partition reached the end it had when we started, or
 * the broker refused us. */
static void consume_to_end(rd_kafka_t *rk, engine *e, int64_t *high, int n, uint64_t *loaded,
                           const loader_refusal *refused)
{
    int64_t *pos = calloc((size_t)n, sizeof *pos);
    uint64_t deadline = mono_ms() + 30000;
    if (pos == NULL)
        return;
    for (;;) {
        int done = 1;
        for (int p = 0; p < n; p++)
            done &= pos[p] >= high[p];
        if (done || mono_ms() > deadline || refused->reason[0] != '\0')
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (m == NULL)
            continue;
        if (m->err == 0 && m->partition >= 0 && m->partition < n) {
            load_one(e, m, loaded);
            pos[m->partition] = m->offset + 1;
        }
        rd_kafka_message_destroy(m);
    }
    free(pos);
}

int kafka_cache_load(const enrich_opts *o, engine *e, uint64_t *loaded)
{
    char err[512];
    int64_t high[MAX_PARTS];
    /* It reads every partition from its start by assignment and commits
     * nothing: the user's -X group.id is the input group's, not its own. */
    rd_kafka_conf_t *kc = kafka_conf_layer(o->kafka, fill_brokers, (void *)o, 0, err, sizeof err);
    if (kc == NULL ||
        rd_kafka_conf_set(kc, "group.id", "tetra-enrich-cache-loader", err, sizeof err) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(kc, "enable.auto.commit", "false", err, sizeof err) != RD_KAFKA_CONF_OK) {
        errorf("cache topic: %s", err);
        if (kc)
            rd_kafka_conf_destroy(kc);
        return -1;
    }
    loader_refusal refused = {""};
    rd_kafka_conf_set_error_cb(kc, on_loader_error);
    rd_kafka_conf_set_opaque(kc, &refused);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, sizeof err);
    if (rk == NULL) {
        errorf("cache topic: %s", err);
        rd_kafka_conf_destroy(kc);
        return -1;
    }
    rd_kafka_poll_set_consumer(rk);
    int n = assign_all(rk, o->cache_topic, high, MAX_PARTS);
    if (n > 0)
        consume_to_end(rk, e, high, n, loaded, &refused);
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 0); /* serves on_loader_error */
    if (m)
        rd_kafka_message_destroy(m);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (refused.reason[0] == '\0')
        return 0;
    errorf("cache topic %s: refused by the broker: %s", o->cache_topic, refused.reason);
    return -1;
}

/* --- consume, enrich, produce ---------------------------------------------------- */

/* A produced record waiting for its delivery: done once kafka_out_done()
 * reaches need. */
typedef struct awaiting_delivery {
    uint64_t need;
    int32_t part;
    int64_t off;
} awaiting_delivery;

typedef struct kafka_run {
    enrich_opts *o;
    stats *st;
    kafka_in *in;
    kafka_out *out; /* NULL in a dry run */
    offsets *offs;  /* the commit floor per partition */
    flow *f;
    incflow *inc; /* --incidents, else NULL */
    buf val;
    awaiting_delivery *q; /* in produce order, so in need order */
    size_t head, n, cap;
    rd_kafka_message_t *stash; /* consumed while the flow was full: next in */
    uint64_t last_commit, last_msg, would;
    int paused;
    volatile sig_atomic_t *stop;
} kafka_run;

static int await_delivery(kafka_run *k, uint64_t need, int32_t part, int64_t off)
{
    if (k->head + k->n == k->cap) {
        if (k->head > 0) {
            memmove(k->q, k->q + k->head, k->n * sizeof *k->q);
            k->head = 0;
        } else {
            size_t cap = k->cap ? k->cap * 2 : 1024;
            awaiting_delivery *nq = realloc(k->q, cap * sizeof *nq);
            if (nq == NULL)
                return -1;
            k->q = nq;
            k->cap = cap;
        }
    }
    k->q[k->head + k->n++] = (awaiting_delivery){need, part, off};
    return 0;
}

/* Records whose output was delivered are finished. */
static void advance(kafka_run *k)
{
    uint64_t done = k->out ? kafka_out_done(k->out) : 0;
    while (k->n > 0 && k->q[k->head].need <= done) {
        offsets_done(k->offs, k->q[k->head].part, k->q[k->head].off);
        k->head++;
        k->n--;
    }
}

/* Commit every partition's floor: the oldest record not finished.  A dry
 * run commits nothing. */
static void commit(kafka_run *k)
{
    int32_t parts[MAX_PARTS];
    int64_t offs[MAX_PARTS];
    char err[256];
    if (k->out == NULL)
        return;
    advance(k);
    size_t n = offsets_pending_commits(k->offs, parts, offs, MAX_PARTS);
    if (n == 0)
        return;
    if (kafka_in_commit(k->in, parts, offs, n, err, sizeof err) < 0) {
        warnf("commit: %s (will retry)", err);
        return;
    }
    for (size_t i = 0; i < n; i++)
        offsets_committed(k->offs, parts[i], offs[i]);
}

/* Before partitions go: deliver what was produced for them, commit their
 * floor, and drop their records still waiting (the next owner reads them
 * again from the floor; their requests still fill the cache). */
static void on_rebalance(void *opaque, int assigned, const int32_t *parts, size_t n)
{
    kafka_run *k = opaque;
    if (assigned)
        return;
    if (k->out)
        kafka_out_flush(k->out, k->stop);
    commit(k);
    for (size_t i = 0; i < n; i++) {
        if (k->inc)
            incflow_revoke(k->inc, parts[i]);
        if (k->stash && k->stash->partition == parts[i]) {
            rd_kafka_message_destroy(k->stash);
            k->stash = NULL;
        }
        if (k->f)
            flow_drop(k->f, parts[i]);
        offsets_drop(k->offs, parts[i]);
    }
}

static int produce(kafka_run *k, flow_tag tag, Tetragonsidekick__EnrichedEvent *ee)
{
    char key[300], err[256];
    const char *kind = event_kind(ee->event);
    if (kind == NULL)
        kind = "";
    buf_reset(&k->val);
    if (record_pack(&k->val, ee, NULL, 0, 0) < 0) { /* the event measured once */
        errorf("out of memory");
        return -1;
    }
    size_t sz = k->val.len;
    buf_fmt_record_key(key, sizeof key, k->o->in_topic, tag.lane, tag.off);
    kafka_hdr h[2] = {{"message-type", TYPE_ENRICHED, strlen(TYPE_ENRICHED)},
                      {"tetragon-event-kind", kind, strlen(kind)}};
    if (kafka_out_produce(k->out, k->val.p, sz, key, strlen(key), h, 2, k->stop, err, sizeof err) !=
        0) {
        errorf("producing to %s: %s", k->o->out_topic, err);
        return -1;
    }
    return 0;
}

void kafka_would_produce(const enrich_opts *o, flow_tag tag,
                         const Tetragonsidekick__EnrichedEvent *ee)
{
    const Tetragonsidekick__Enrichment *m = ee->enrichment;
    const ProtobufCEnumValue *sev = protobuf_c_enum_descriptor_get_value(
        &tetragonsidekick__severity__descriptor, (int)m->severity);
    const ProtobufCEnumValue *st = protobuf_c_enum_descriptor_get_value(
        &tetragonsidekick__llm_status__descriptor, (int)m->llm_status);
    infof("dry run: would produce to %s: key %s/%" PRId32 "/%" PRId64
          ", severity %s, llm_status %s",
          o->out_topic, o->in_topic, tag.lane, tag.off, sev ? sev->name : "?", st ? st->name : "?");
}

static int emit(void *ctx, flow_tag tag, Tetragonsidekick__EnrichedEvent *ee)
{
    kafka_run *k = ctx;
    if (ee == NULL || k->out == NULL) {
        if (ee)
            kafka_would_produce(k->o, tag, ee);
        k->would += ee != NULL;
        offsets_done(k->offs, tag.lane, tag.off);
        return 0;
    }
    if (produce(k, tag, ee) < 0)
        return -1;
    stats_add(k->st, "written", 1);
    if (await_delivery(k, kafka_out_produced(k->out), tag.lane, tag.off) == 0)
        return 0;
    errorf("out of memory");
    return -1;
}

/* One consumed record into the flow; a record that is not an event is
 * finished at once (nothing to produce, its offset may be committed). */
static int take(kafka_run *k, flow *f, const rd_kafka_message_t *m)
{
    tetra_event *ev;
    const char *reason;
    pj_error perr;
    stats_add(k->st, "read", 1);
    pj_arena *a = flow_arena(f);
    if (a == NULL || offsets_read(k->offs, m->partition, m->offset) < 0) {
        errorf("out of memory");
        return -1;
    }
    if (event_from_proto(a, m->payload, m->len, &ev, &reason, &perr) == 0)
        return flow_add(f, (flow_tag){.lane = m->partition, .off = m->offset}, ev);
    uint64_t skipped;
    stats_add(k->st, "rejected", 1);
    stats_add(k->st, reason, 1);
    if (msg_ratelimit(reason, 10, &skipped))
        warnf("%s/%d@%lld: %s: %s%s%s", k->o->in_topic, (int)m->partition, (long long)m->offset,
              reason, perr.path, perr.path[0] ? ": " : "", perr.msg);
    offsets_done(k->offs, m->partition, m->offset);
    return 0;
}

/* One record from the consumer into the flow, and it is destroyed. */
static int take_one(kafka_run *k, flow *f, rd_kafka_message_t *m)
{
    int rc = take(k, f, m);
    rd_kafka_message_destroy(m);
    k->last_msg = mono_ms(); /* idle means no input, not a slow LLM call */
    return rc;
}

/* Up to a few hundred records per pass, the first waited for up to
 * wait_ms.  The end of the input is --idle-exit with nothing held. */
static int read_kafka(void *ctx, flow *f, int wait_ms)
{
    kafka_run *k = ctx;
    char err[256];
    if (k->stash) {
        rd_kafka_message_t *m = k->stash;
        k->stash = NULL;
        if (take_one(k, f, m) < 0)
            return -1;
    }
    for (int i = 0; i < 500 && !flow_full(f); i++) {
        rd_kafka_message_t *m;
        int r = kafka_in_poll(k->in, i == 0 ? wait_ms : 0, &m, err, sizeof err);
        if (r < 0) {
            errorf("consumer: %s", err);
            return -1;
        }
        if (r == 0)
            break;
        if (take_one(k, f, m) < 0)
            return -1;
    }
    if (k->o->idle_exit_ms && mono_ms() - k->last_msg >= k->o->idle_exit_ms && flow_held(f) == 0)
        return 0;
    return 1;
}

/* While --max-pending records are held, fetching pauses (every assigned
 * partition, and those assigned meanwhile) but the consumer is still
 * polled, so rebalances and errors are served and the member stays in
 * its group however long the LLM takes.  A record that still comes (one
 * fetched before the pause) is kept aside and goes in first when a slot
 * frees; on resume librdkafka fetches again from after the last record
 * polled, so nothing is skipped. */
static int hold_back(kafka_run *k, flow *f)
{
    char err[256];
    int full = flow_full(f);
    if (full && !k->paused)
        stats_add(k->st, "pauses", 1);
    k->paused = full;
    kafka_in_pause(k->in, full);
    if (!full || k->stash)
        return 0;
    if (kafka_in_poll(k->in, 0, &k->stash, err, sizeof err) >= 0)
        return 0;
    errorf("consumer: %s", err);
    return -1;
}

static int tick(void *ctx, flow *f)
{
    kafka_run *k = ctx;
    if (hold_back(k, f) < 0)
        return -1;
    if (k->out)
        kafka_out_poll(k->out, 0);
    advance(k);
    if (mono_ms() - k->last_commit >= 1000) {
        commit(k);
        k->last_commit = mono_ms();
    }
    return 0;
}

static const flow_io kafka_ops = {.read = read_kafka, .emit = emit, .tick = tick};

static int open_clients(kafka_run *k, char *err, size_t errlen)
{
    rd_kafka_conf_t *cc = k->o->consumer;
    if (!k->o->ec.dry_run) {
        rd_kafka_conf_t *pc = kafka_producer_conf(k->o, err, errlen);
        if (pc == NULL || (k->out = kafka_out_new(pc, k->o->out_topic, err, errlen)) == NULL)
            return -1;
    }
    k->o->consumer = NULL; /* kafka_in_new takes it */
    k->in = kafka_in_new(cc, k->o->in_topic, on_rebalance, k, err, errlen);
    return k->in ? 0 : -1;
}

static void finish(kafka_run *k, int *rc)
{
    if (k->out) {
        uint64_t lost = kafka_out_flush(k->out, &prog_stop_now);
        if (lost > 0) {
            errorf("%" PRIu64 " enriched records not delivered: %s", lost, kafka_out_error(k->out));
            *rc = 1;
        }
    }
    if (k->in)
        commit(k);
    if (k->out == NULL && k->in)
        infof("dry run: %" PRIu64 " records would have been produced to %s; nothing was produced"
              " or committed",
              k->would, k->o->out_topic);
}

int run_kafka(enrich_opts *o, engine *e, stats *st, volatile sig_atomic_t *stop)
{
    kafka_run *k = calloc(1, sizeof *k);
    char err[512];
    int rc = 1;
    if (k == NULL)
        return 1;
    *k = (kafka_run){.o = o,
                     .st = st,
                     .stop = stop,
                     .offs = offsets_new(),
                     .last_commit = mono_ms(),
                     .last_msg = mono_ms()};
    flow_conf fc = {.max_pending = o->max_pending, .ordered = o->ordered, .wake_fd = -1};
    err[0] = '\0';
    if (o->incidents && (k->inc = incflow_new(o, e, &kafka_ops, k, stop, err, sizeof err)) == NULL)
        errorf("incidents: %s", err);
    else if (k->offs == NULL || (k->f = flow_new(e, &fc, k->inc ? incflow_ops(k->inc) : &kafka_ops,
                                                 k->inc ? (void *)k->inc : k)) == NULL)
        errorf("out of memory");
    else if (open_clients(k, err, sizeof err) < 0)
        errorf("kafka: %s", err);
    else if (flow_run(k->f, stop) == 0)
        rc = 0;
    /* the stream goes on without us: what is open is partial, also at --idle-exit */
    if (k->inc && k->f && incflow_finish(k->inc, 1) < 0)
        rc = 1;
    finish(k, &rc);
    kafka_in_free(k->in); /* may call on_rebalance: the flow is still there */
    incflow_free(k->inc, st);
    k->inc = NULL;
    flow_free(k->f);
    kafka_out_free(k->out);
    offsets_free(k->offs);
    if (k->stash)
        rd_kafka_message_destroy(k->stash);
    buf_free(&k->val);
    free(k->q);
    free(k);
    return rc;
}
