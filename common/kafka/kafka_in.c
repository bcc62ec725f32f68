/* kafka_in.c - consumer group with manual commits (see kafka_in.h). */
#include "kafka_in.h"
#include "kafka_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/msg.h"

struct kafka_in {
    rd_kafka_t *rk;
    char *topic;
    kafka_in_rebalance_fn cb;
    void *opaque;
    int paused;
    char refused[512]; /* the broker refused our credentials or TLS: set by on_error */
};

int kafka_in_defaults(rd_kafka_conf_t *conf, const char *brokers, const char *group, char *err,
                      size_t errlen)
{
    const char *kv[][2] = {{"bootstrap.servers", brokers},    {"group.id", group},
                           {"enable.auto.commit", "false"},   {"enable.auto.offset.store", "false"},
                           {"auto.offset.reset", "earliest"}, {"enable.partition.eof", "false"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (kv[i][1] &&
            rd_kafka_conf_set(conf, kv[i][0], kv[i][1], err, errlen) != RD_KAFKA_CONF_OK)
            return -1;
    return 0;
}

typedef struct consumer_base {
    const char *brokers, *group;
    char *const *envp;
} consumer_base;

static int fill(rd_kafka_conf_t *conf, void *ctx, char *err, size_t errlen)
{
    const consumer_base *b = ctx;
    if (kafka_in_defaults(conf, b->brokers, b->group, err, errlen) < 0)
        return -1;
    return b->envp ? kafka_conf_env(conf, b->envp, err, errlen) : 0;
}

static const char *get(const rd_kafka_conf_t *conf, const char *key, char *v, size_t n)
{
    if (rd_kafka_conf_get(conf, key, v, &n) != RD_KAFKA_CONF_OK)
        v[0] = '\0';
    return v;
}

/* With the defaults underneath, "true" here was set by the user. */
static int manual_commits(rd_kafka_conf_t *conf, char *err, size_t errlen)
{
    const char *keys[] = {"enable.auto.commit", "enable.auto.offset.store"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char v[16];
        if (strcmp(get(conf, keys[i], v, sizeof v), "false")) {
            snprintf(err, errlen,
                     "%s=%s: offsets are committed only behind finished records, and "
                     "librdkafka's own commits would pass unfinished ones",
                     keys[i], v);
            return -1;
        }
    }
    return 0;
}

rd_kafka_conf_t *kafka_in_conf(const rd_kafka_conf_t *user, const char *brokers, const char *group,
                               char *const *envp, char *err, size_t errlen)
{
    consumer_base b = {brokers, group, envp};
    /* Settings made over kafka_in_defaults() say enable.auto.commit=false
     * (true is refused below), and then their topic-level values are all
     * the user's; librdkafka's own default is true. */
    char v[16];
    int complete = !strcmp(get(user, "enable.auto.commit", v, sizeof v), "false");
    rd_kafka_conf_t *c = kafka_conf_layer(user, fill, &b, complete, err, errlen);
    if (c && manual_commits(c, err, errlen) < 0) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    return c;
}

static void notify_partitions(kafka_in *k, int assigned, rd_kafka_topic_partition_list_t *l)
{
    if (!k->cb || !l->cnt)
        return;
    int32_t *parts = malloc((size_t)l->cnt * sizeof *parts);
    if (!parts)
        return;
    size_t n = 0;
    for (int i = 0; i < l->cnt; i++)
        if (!strcmp(l->elems[i].topic, k->topic))
            parts[n++] = l->elems[i].partition;
    k->cb(k->opaque, assigned, parts, n);
    free(parts);
}

/* Cooperative and eager protocols both end here; errors from assign are
 * not fatal to us (the next rebalance fixes the assignment). */
static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *l,
                      void *opaque)
{
    kafka_in *k = opaque;
    int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_error_t *er = NULL;
        if (coop)
            er = rd_kafka_incremental_assign(rk, l);
        else
            rd_kafka_assign(rk, l);
        if (er)
            rd_kafka_error_destroy(er);
        if (k->paused)
            rd_kafka_pause_partitions(rk, l);
        notify_partitions(k, 1, l);
        return;
    }
    notify_partitions(k, 0, l);
    if (coop) {
        rd_kafka_error_t *er = rd_kafka_incremental_unassign(rk, l);
        if (er)
            rd_kafka_error_destroy(er);
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

/* librdkafka's own log lines (on its threads) repeat what report() says,
 * so, as for the producer, they are notes, shown with -v only. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    notef("kafka: %s: %s", fac, buf);
}

/* Client-wide errors (a broker down, a refused login) come here, on the
 * caller's thread inside kafka_in_poll, not as consumer messages.  A
 * refusal is kept for kafka_in_poll to fail with; the rest are warned
 * about at most every 10 seconds per kind and recovered by librdkafka. */
static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    (void)rk;
    kafka_in *k = opaque;
    kafka_error_seen(code, reason, "consumer", k->refused, sizeof k->refused);
}

kafka_in *kafka_in_new(rd_kafka_conf_t *conf, const char *topic, kafka_in_rebalance_fn cb,
                       void *opaque, char *err, size_t errlen)
{
    kafka_in *k = calloc(1, sizeof *k);
    if (!k || !(k->topic = strdup(topic))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    k->cb = cb;
    k->opaque = opaque;
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
    conf = NULL; /* owned by rk now, or destroyed below */
    if (!k->rk)
        goto fail;
    rd_kafka_poll_set_consumer(k->rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(k->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        snprintf(err, errlen, "subscribe %s: %s", topic, rd_kafka_err2str(e));
        goto fail;
    }
    return k;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    kafka_in_free(k);
    return NULL;
}

static int fatal_error(const rd_kafka_message_t *m)
{
    return m->err == RD_KAFKA_RESP_ERR__FATAL || kafka_refused(m->err, NULL) ||
           m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
           m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
}

/* Errors the consumer recovers from by itself (a broker that is down, a
 * topic that does not exist yet) are not the caller's to handle, but must
 * not pass unseen: the first of each kind is logged, then one reminder a
 * minute with the count in between. */
static void report(const rd_kafka_message_t *m)
{
    uint64_t skipped;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
        !msg_ratelimit(rd_kafka_err2name(m->err), 60, &skipped))
        return;
    char more[64] = "";
    if (skipped)
        snprintf(more, sizeof more, " (%llu more since the last warning)",
                 (unsigned long long)skipped);
    const char *what = rd_kafka_message_errstr(m);
    const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
    if (topic && strstr(what, topic))
        topic = NULL; /* librdkafka named it already */
    warnf("kafka: consumer: %s%s%s%s", topic ? topic : "", topic ? ": " : "", what, more);
}

int kafka_in_poll(kafka_in *k, int ms, rd_kafka_message_t **out, char *err, size_t errlen)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, ms);
    if (k->refused[0] != '\0') {
        snprintf(err, errlen, "refused by the broker: %.400s", k->refused);
        if (m)
            rd_kafka_message_destroy(m);
        return -1;
    }
    if (!m)
        return 0;
    if (!m->err) {
        *out = m;
        return 1;
    }
    int fatal = fatal_error(m);
    if (fatal)
        snprintf(err, errlen, "consumer: %s", rd_kafka_message_errstr(m));
    else
        report(m);
    rd_kafka_message_destroy(m);
    return fatal ? -1 : 0;
}

void kafka_in_pause(kafka_in *k, int paused)
{
    if (k->paused == paused)
        return;
    rd_kafka_topic_partition_list_t *l = NULL;
    if (rd_kafka_assignment(k->rk, &l) || !l)
        return;
    if (paused)
        rd_kafka_pause_partitions(k->rk, l);
    else
        rd_kafka_resume_partitions(k->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    k->paused = paused;
}

int kafka_in_commit(kafka_in *k, const int32_t *parts, const int64_t *offs, size_t n, char *err,
                    size_t errlen)
{
    if (!n)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, k->topic, parts[i])->offset = offs[i];
    rd_kafka_resp_err_t e = rd_kafka_commit(k->rk, l, 0);
    rd_kafka_topic_partition_list_destroy(l);
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        snprintf(err, errlen, "commit: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

const void *kafka_in_header(const rd_kafka_message_t *m, const char *name, size_t *len)
{
    rd_kafka_headers_t *h = NULL;
    const void *v = NULL;
    if (rd_kafka_message_headers(m, &h) || !h)
        return NULL;
    if (rd_kafka_header_get_last(h, name, &v, len))
        return NULL;
    return v;
}

void kafka_in_free(kafka_in *k)
{
    if (!k)
        return;
    if (k->rk) {
        rd_kafka_consumer_close(k->rk);
        rd_kafka_destroy(k->rk);
    }
    free(k->topic);
    free(k);
}
