/* txn.c - exactly-once consume-enrich-produce with Kafka transactions
 * (--transactional-id ID).
 *
 * Consumed records go through flow.c, many LLM requests in flight, but
 * the flow is ordered per partition: a record leaves only after every
 * earlier record of its own partition, so what a transaction holds of a
 * partition is always every record up to some offset, all of them
 * finished, and the offset after the last one is exactly that partition's
 * input position to commit (its oldest unfinished record).  Partitions do
 * not wait for one another: a slow LLM call on one holds back only the
 * records behind it in that partition, and the transaction commits the
 * others' progress.  Within a partition the order cannot be relaxed: a
 * transaction carries one consumer offset per partition, so a finished
 * record beyond the oldest unfinished one would be committed as output
 * but not as input, and produced again after a restart from that offset.
 * Records that wait for the LLM stay in the flow, outside any transaction;
 * while --max-pending records are held, fetching pauses.  Finished records are
 * gathered in batches (up to TXN_BATCH records or TXN_MS milliseconds); a
 * batch's enriched records and the consumer offsets after it travel in one
 * transaction (send_offsets_to_transaction), so the output of a batch and
 * the commit of its input become visible together or not at all.  Readers of the enriched topic
 * must read with isolation.level=read_committed: librdkafka's default (tetra-sink), not every
 * client's (kcat needs -X isolation.level=read_committed).
 *
 * Errors: an abortable one aborts the transaction, drops the records held
 * in the flow and rewinds the consumer to the committed offsets, so the
 * batch and what followed it are done again; a fatal one (a
 * newer instance with the same transactional id fenced this one) stops the
 * program with exit 1.  Before partitions are revoked in a rebalance the
 * open batch is committed and their held records dropped, so the next
 * owner starts where this one's output ended.  A dry run opens no producer
 * (initialising one would fence the real instance): it produces and
 * commits nothing and says on stderr what it would have produced.
 *
 * Own librdkafka handles rather than common/kafka_in and kafka_out: the
 * transactional API needs the producer and the consumer's group metadata
 * together, which those wrappers do not expose.
 *
 * Configurations: the consumer's is cli.c's (kafka_in_conf(): the user's
 * settings over the consumer defaults, automatic commits refused, which
 * here would commit offsets outside the transactions), the producer's is
 * kafka.c's with transactional.id set last, being what --transactional-id
 * says (librdkafka turns idempotence on for it and refuses a user's
 * enable.idempotence=false). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>
#include "flow.h"
#include "record.h"
#include "kafka.h"
#include "kafka/kafka_conf.h"
#include "util/msg.h"
#include "util/clock.h"

#define TXN_BATCH 1000
#define TXN_MS 500
#define TXN_TIMEOUT_MS 30000
#define MAX_PARTS 1024
#define TYPE_ENRICHED "tetragonsidekick.EnrichedEvent"

typedef struct txn_run {
    enrich_opts *o;
    stats *st;
    rd_kafka_t *c, *p; /* p is NULL in a dry run */
    flow *f;
    buf val;
    int open; /* a transaction is begun */
    size_t nbatch;
    uint64_t batch_start;
    int64_t next[MAX_PARTS]; /* offset after the last record of the batch, -1 none */
    volatile sig_atomic_t *stop;
    int fatal;
    char refused[512];         /* the broker refused our login or TLS: set by on_error */
    int paused;                /* fetching is paused: the flow is full */
    rd_kafka_message_t *stash; /* consumed while the flow was full: next in */
    uint64_t last_msg, would;
} txn_run;

static void clear_batch(txn_run *t)
{
    for (int i = 0; i < MAX_PARTS; i++)
        t->next[i] = -1;
    t->nbatch = 0;
    t->open = 0;
}

/* Back to the committed offsets of every assigned partition (after an
 * abort the batch's records are read again). */
static void rewind_consumer(txn_run *t)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(t->c, &a) != RD_KAFKA_RESP_ERR_NO_ERROR || a == NULL)
        return;
    if (a->cnt > 0 && rd_kafka_committed(t->c, a, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < a->cnt; i++)
            if (a->elems[i].offset < 0)
                a->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_error_t *err = rd_kafka_seek_partitions(t->c, a, 10000);
        if (err) {
            warnf("rewinding after an abort: %s", rd_kafka_error_string(err));
            rd_kafka_error_destroy(err);
        }
    }
    rd_kafka_topic_partition_list_destroy(a);
}

/* Pause (paused != 0) or resume fetching for the partitions of l, or of
 * the whole assignment when l is NULL. */
static void pause_fetch(txn_run *t, rd_kafka_topic_partition_list_t *l, int paused)
{
    rd_kafka_topic_partition_list_t *all = NULL;
    if (l == NULL && (rd_kafka_assignment(t->c, &all) != RD_KAFKA_RESP_ERR_NO_ERROR || all == NULL))
        return;
    if (paused)
        rd_kafka_pause_partitions(t->c, l ? l : all);
    else
        rd_kafka_resume_partitions(t->c, l ? l : all);
    if (all)
        rd_kafka_topic_partition_list_destroy(all);
}

static void drop_stash(txn_run *t, int32_t part)
{
    if (t->stash && (part < 0 || t->stash->partition == part)) {
        rd_kafka_message_destroy(t->stash);
        t->stash = NULL;
    }
}

/* Decide what an error of the transactional API means.  Returns 0 when the
 * batch was aborted and rewound (go on), -1 when fatal. */
static int txn_failed(txn_run *t, rd_kafka_error_t *err, const char *what)
{
    int abortable = rd_kafka_error_txn_requires_abort(err);
    warnf("transaction %s: %s", what, rd_kafka_error_string(err));
    if (!abortable || rd_kafka_error_is_fatal(err)) {
        errorf("transactional producer: fatal: %s", rd_kafka_error_string(err));
        rd_kafka_error_destroy(err);
        t->fatal = 1;
        return -1;
    }
    rd_kafka_error_destroy(err);
    rd_kafka_error_t *ae = rd_kafka_abort_transaction(t->p, TXN_TIMEOUT_MS);
    if (ae) {
        errorf("aborting the transaction: %s", rd_kafka_error_string(ae));
        rd_kafka_error_destroy(ae);
        t->fatal = 1;
        return -1;
    }
    stats_add(t->st, "txn_aborts", 1);
    clear_batch(t);
    flow_drop(t->f, -1);
    drop_stash(t, -1);
    rewind_consumer(t);
    return 0;
}

static rd_kafka_topic_partition_list_t *batch_offsets(txn_run *t)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (int i = 0; l && i < MAX_PARTS; i++)
        if (t->next[i] >= 0)
            rd_kafka_topic_partition_list_add(l, t->o->in_topic, i)->offset = t->next[i];
    return l;
}

/* Send the batch's offsets and commit.  Returns 0 or -1 (fatal). */
static int commit_batch(txn_run *t)
{
    if (t->p == NULL)
        clear_batch(t);
    if (!t->open)
        return 0;
    rd_kafka_topic_partition_list_t *offs = batch_offsets(t);
    rd_kafka_consumer_group_metadata_t *gm = rd_kafka_consumer_group_metadata(t->c);
    rd_kafka_error_t *err = NULL;
    if (offs == NULL || gm == NULL) {
        errorf("out of memory");
        t->fatal = 1;
    } else if (offs->cnt > 0) {
        err = rd_kafka_send_offsets_to_transaction(t->p, offs, gm, TXN_TIMEOUT_MS);
    }
    if (offs)
        rd_kafka_topic_partition_list_destroy(offs);
    if (gm)
        rd_kafka_consumer_group_metadata_destroy(gm);
    if (t->fatal)
        return -1;
    if (err)
        return txn_failed(t, err, "send offsets");
    while ((err = rd_kafka_commit_transaction(t->p, TXN_TIMEOUT_MS)) != NULL &&
           rd_kafka_error_is_retriable(err))
        rd_kafka_error_destroy(err);
    if (err)
        return txn_failed(t, err, "commit");
    stats_add(t->st, "txn_commits", 1);
    clear_batch(t);
    return 0;
}

static int begin(txn_run *t)
{
    if (t->open || t->p == NULL)
        return 0;
    rd_kafka_error_t *err = rd_kafka_begin_transaction(t->p);
    if (err) {
        errorf("begin transaction: %s", rd_kafka_error_string(err));
        rd_kafka_error_destroy(err);
        t->fatal = 1;
        return -1;
    }
    t->open = 1;
    t->batch_start = mono_ms();
    return 0;
}

/* Eager or cooperative: hand the partitions over (paused while the flow
 * is full); before losing some, commit what was done for them. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    txn_run *t = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e)
                rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, parts);
        }
        if (t->paused)
            pause_fetch(t, parts, 1);
        return;
    }
    if (commit_batch(t) < 0)
        warnf("rebalance: the open batch could not be committed");
    for (int i = 0; parts && i < parts->cnt; i++) {
        drop_stash(t, parts->elems[i].partition);
        flow_drop(t->f, parts->elems[i].partition);
    }
    if (coop) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e)
            rd_kafka_error_destroy(e);
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

/* Client-wide errors of both handles come here (from their polls).  A
 * refused login or TLS handshake is retried by librdkafka forever, so it
 * is kept for the run to stop on, as kafka_in and kafka_out do; the rest
 * are warned about at most every 10 seconds per kind. */
static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    txn_run *t = opaque;
    kafka_error_seen(code, reason, rd_kafka_type(rk) == RD_KAFKA_PRODUCER ? "producer" : "consumer",
                     t->refused, sizeof t->refused);
}

/* 1 after the broker refused us, with the error said once; the run stops. */
static int was_refused(txn_run *t)
{
    if (t->refused[0] == '\0')
        return 0;
    if (!t->fatal)
        errorf("kafka: refused by the broker: %s", t->refused);
    t->fatal = 1;
    return 1;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    uint64_t skipped;
    if (m->err && msg_ratelimit("txn_delivery", 10, &skipped))
        warnf("delivery: %s (the transaction will abort)", rd_kafka_err2str(m->err));
}

static int produce(txn_run *t, flow_tag tag, Tetragonsidekick__EnrichedEvent *ee)
{
    char key[300];
    const char *kind = event_kind(ee->event);
    if (kind == NULL)
        kind = "";
    buf_reset(&t->val);
    if (record_pack(&t->val, ee, NULL, 0, 0) < 0) { /* the event measured once */
        errorf("out of memory");
        return -1;
    }
    size_t sz = t->val.len;
    buf_fmt_record_key(key, sizeof key, t->o->in_topic, tag.lane, tag.off);
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            t->p, RD_KAFKA_V_TOPIC(t->o->out_topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE(t->val.p, sz), RD_KAFKA_V_KEY(key, strlen(key)),
            RD_KAFKA_V_HEADER("message-type", TYPE_ENRICHED, (ssize_t)strlen(TYPE_ENRICHED)),
            RD_KAFKA_V_HEADER("tetragon-event-kind", kind, (ssize_t)strlen(kind)), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
            return 0;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            errorf("producing to %s: %s", t->o->out_topic, rd_kafka_err2str(err));
            return -1;
        }
        rd_kafka_poll(t->p, 100);
    }
}

/* A finished record, in input order: into the open transaction. */
static int emit(void *ctx, flow_tag tag, Tetragonsidekick__EnrichedEvent *ee)
{
    txn_run *t = ctx;
    if (t->p == NULL) {
        t->would += ee != NULL;
        if (ee)
            kafka_would_produce(t->o, tag, ee);
        return 0;
    }
    if (begin(t) < 0)
        return -1;
    if (tag.lane >= 0 && tag.lane < MAX_PARTS)
        t->next[tag.lane] = tag.off + 1;
    t->nbatch++;
    if (ee == NULL)
        return 0;
    if (produce(t, tag, ee) < 0)
        return -1;
    stats_add(t->st, "written", 1);
    return 0;
}

/* One consumed record into the flow; one that is not an event goes in
 * as such (its offset is committed in its turn). */
static int take(txn_run *t, flow *f, const rd_kafka_message_t *m)
{
    tetra_event *ev = NULL;
    const char *reason;
    pj_error perr;
    stats_add(t->st, "read", 1);
    pj_arena *a = flow_arena(f);
    if (a == NULL) {
        errorf("out of memory");
        return -1;
    }
    if (event_from_proto(a, m->payload, m->len, &ev, &reason, &perr) < 0) {
        uint64_t skipped;
        ev = NULL;
        stats_add(t->st, "rejected", 1);
        stats_add(t->st, reason, 1);
        if (msg_ratelimit(reason, 10, &skipped))
            warnf("%s/%d@%lld: %s: %s%s%s", t->o->in_topic, (int)m->partition, (long long)m->offset,
                  reason, perr.path, perr.path[0] ? ": " : "", perr.msg);
    }
    return flow_add(f, (flow_tag){.lane = m->partition, .off = m->offset}, ev);
}

/* A polled message: a record into the flow, or an error warned about;
 * destroyed either way. */
static int take_one(txn_run *t, flow *f, rd_kafka_message_t *m)
{
    int rc = 0;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rc = take(t, f, m);
        t->last_msg = mono_ms(); /* idle means no input, not a slow LLM call */
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        uint64_t skipped;
        if (msg_ratelimit("consumer", 10, &skipped))
            warnf("consumer: %s", rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
    return rc;
}

static int read_txn(void *ctx, flow *f, int wait_ms)
{
    txn_run *t = ctx;
    if (t->stash) {
        rd_kafka_message_t *m = t->stash;
        t->stash = NULL;
        if (take_one(t, f, m) < 0)
            return -1;
    }
    for (int i = 0; i < 500 && !flow_full(f) && !t->fatal; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(t->c, i == 0 ? wait_ms : 0);
        if (m == NULL)
            break;
        if (take_one(t, f, m) < 0)
            return -1;
    }
    if (was_refused(t) || t->fatal)
        return -1;
    if (t->o->idle_exit_ms && !t->open && flow_held(f) == 0 &&
        mono_ms() - t->last_msg >= t->o->idle_exit_ms)
        return 0;
    return 1;
}

/* While --max-pending records are held, fetching pauses but the
 * consumer is still polled: rebalances are served and the member stays in
 * its group however long the LLM takes (see kafka.c's hold_back). */
static void hold_back(txn_run *t, flow *f)
{
    int full = flow_full(f);
    if (full != t->paused) {
        if (full)
            stats_add(t->st, "pauses", 1);
        pause_fetch(t, NULL, full);
        t->paused = full;
    }
    if (full && t->stash == NULL)
        t->stash = rd_kafka_consumer_poll(t->c, 0);
}

static int tick(void *ctx, flow *f)
{
    txn_run *t = ctx;
    hold_back(t, f);
    if (t->p)
        rd_kafka_poll(t->p, 0);
    if (was_refused(t))
        return -1;
    if (t->open && (t->nbatch >= TXN_BATCH || mono_ms() - t->batch_start >= TXN_MS) &&
        commit_batch(t) < 0)
        return -1;
    return t->fatal ? -1 : 0;
}

static const flow_io txn_ops = {.read = read_txn, .emit = emit, .tick = tick};

/* init_transactions in steps of a second, serving the error callback
 * between them: a refused login makes it time out (retriable), and
 * waiting out TXN_TIMEOUT_MS for that would only hide the reason. */
static int init_transactions(txn_run *t, char *err, size_t errlen)
{
    uint64_t deadline = mono_ms() + TXN_TIMEOUT_MS;
    for (;;) {
        rd_kafka_error_t *e = rd_kafka_init_transactions(t->p, 1000);
        if (e == NULL)
            return 0;
        rd_kafka_poll(t->p, 0);
        int again = rd_kafka_error_is_retriable(e) && t->refused[0] == '\0' &&
                    mono_ms() < deadline && !*t->stop;
        if (!again) {
            if (t->refused[0] != '\0')
                snprintf(err, errlen, "refused by the broker: %.400s", t->refused);
            else
                snprintf(err, errlen, "init_transactions: %s", rd_kafka_error_string(e));
        }
        rd_kafka_error_destroy(e);
        if (!again)
            return -1;
    }
}

static int open_producer(txn_run *t, char *err, size_t errlen)
{
    if (t->o->ec.dry_run)
        return 0;
    rd_kafka_conf_t *kc = kafka_producer_conf(t->o, err, errlen);
    if (kc == NULL)
        return -1;
    if (rd_kafka_conf_set(kc, "transactional.id", t->o->txn_id, err, errlen) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(kc);
        return -1;
    }
    rd_kafka_conf_set_dr_msg_cb(kc, on_delivery);
    rd_kafka_conf_set_error_cb(kc, on_error);
    rd_kafka_conf_set_opaque(kc, t);
    if ((t->p = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, errlen)) == NULL) {
        rd_kafka_conf_destroy(kc);
        return -1;
    }
    return init_transactions(t, err, errlen);
}

static int open_consumer(txn_run *t, char *err, size_t errlen)
{
    rd_kafka_conf_t *kc = t->o->consumer;
    t->o->consumer = NULL; /* ours now */
    if (kc == NULL) {
        snprintf(err, errlen, "no consumer configuration");
        return -1;
    }
    rd_kafka_conf_set_rebalance_cb(kc, on_rebalance);
    rd_kafka_conf_set_error_cb(kc, on_error);
    rd_kafka_conf_set_opaque(kc, t);
    if ((t->c = rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, errlen)) == NULL) {
        rd_kafka_conf_destroy(kc);
        return -1;
    }
    rd_kafka_poll_set_consumer(t->c);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, t->o->in_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(t->c, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        snprintf(err, errlen, "subscribe %s: %s", t->o->in_topic, rd_kafka_err2str(e));
    return e ? -1 : 0;
}

static void close_all(txn_run *t)
{
    if (t->c) {
        rd_kafka_consumer_close(t->c); /* may call on_rebalance: the batch is committed */
        rd_kafka_destroy(t->c);
    }
    if (t->p) {
        if (t->open && !t->fatal) {
            rd_kafka_error_t *e = rd_kafka_abort_transaction(t->p, TXN_TIMEOUT_MS);
            if (e)
                rd_kafka_error_destroy(e);
        }
        rd_kafka_destroy(t->p);
    }
}

int run_kafka_txn(enrich_opts *o, engine *e, stats *st, volatile sig_atomic_t *stop)
{
    txn_run *t = calloc(1, sizeof *t);
    char err[512];
    int rc = 1;
    if (t == NULL)
        return 1;
    *t = (txn_run){.o = o, .st = st, .stop = stop, .last_msg = mono_ms()};
    clear_batch(t);
    flow_conf fc = {.max_pending = o->max_pending, .ordered = 1, .wake_fd = -1};
    if ((t->f = flow_new(e, &fc, &txn_ops, t)) == NULL)
        errorf("out of memory");
    else if (open_producer(t, err, sizeof err) < 0 || open_consumer(t, err, sizeof err) < 0)
        errorf("kafka: %s", err);
    else if (flow_run(t->f, stop) == 0 && !t->fatal && commit_batch(t) == 0)
        rc = 0;
    close_all(t);
    if (o->ec.dry_run && t->c)
        infof("dry run: %" PRIu64 " records would have been produced to %s; nothing was produced"
              " or committed",
              t->would, o->out_topic);
    drop_stash(t, -1);
    flow_free(t->f);
    buf_free(&t->val);
    free(t);
    return rc;
}
