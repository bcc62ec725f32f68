/* kafka_out.c - librdkafka producer with a delivered-up-to watermark.
 *
 * The watermark is a ring of per-message states indexed by sequence
 * number, from the oldest undelivered message to the newest queued one;
 * it grows by doubling, so its size follows the number of messages in
 * flight, which librdkafka's own queue limit bounds. */
#include "kafka_out.h"
#include "kafka_conf.h"
#include "util/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ST_PENDING = 0, ST_OK = 1, ST_FAILED = 2 };

struct kafka_out {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    unsigned char *st; /* ring: state of seq s at st[s & (cap - 1)] */
    size_t cap;
    uint64_t low, next; /* oldest not yet delivered, next to assign */
    uint64_t delivered, failed;
    char error[512];
    char refused[512]; /* the broker refused our credentials or TLS: set by on_error */
};

static int set(rd_kafka_conf_t *conf, const char *k, const char *v, char *err, size_t errlen)
{
    return rd_kafka_conf_set(conf, k, v, err, errlen) == RD_KAFKA_CONF_OK ? 0 : -1;
}

int kafka_out_defaults(rd_kafka_conf_t *conf, char *err, size_t errlen)
{
    if (set(conf, "enable.idempotence", "true", err, errlen) < 0 ||
        set(conf, "linger.ms", KAFKA_OUT_DEFAULT_LINGER_MS, err, errlen) < 0)
        return -1;
    return set(conf, "compression.codec", KAFKA_OUT_DEFAULT_COMPRESSION, err, errlen);
}

static void note_error(kafka_out *k, const char *what)
{
    if (k->error[0] == '\0')
        snprintf(k->error, sizeof(k->error), "%s", what);
}

static void mark(kafka_out *k, uint64_t seq, int state)
{
    if (seq < k->low || seq >= k->next)
        return;
    k->st[seq & (k->cap - 1)] = (unsigned char)state;
    while (k->low < k->next && k->st[k->low & (k->cap - 1)] == ST_OK)
        k->low++;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    kafka_out *k = opaque;
    uint64_t seq = (uint64_t)(uintptr_t)m->_private;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        k->delivered++;
        mark(k, seq, ST_OK);
        return;
    }
    k->failed++;
    note_error(k, rd_kafka_err2str(m->err));
    mark(k, seq, ST_FAILED);
}

/* Served by rd_kafka_poll() on the caller's thread.  A broker that is down
 * reports the same error on every reconnect, so each error name is logged
 * at most every 10 seconds.  A fatal error is picked up by fatal(). */
static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    (void)rk;
    kafka_out *k = opaque;
    kafka_error_seen(code, reason, NULL, k->refused, sizeof k->refused);
}

/* Runs on librdkafka's own threads; its error logs repeat what on_error
 * reports, so they are notes, shown with -v only. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    notef("kafka: %s: %s", fac, buf);
}

kafka_out *kafka_out_new(rd_kafka_conf_t *conf, const char *topic, char *err, size_t errlen)
{
    kafka_out *k = calloc(1, sizeof(*k));
    if (k == NULL || (k->st = calloc(1024, 1)) == NULL) {
        free(k);
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    k->cap = 1024;
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
    if (k->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        kafka_out_free(k);
        return NULL;
    }
    k->rkt = rd_kafka_topic_new(k->rk, topic, NULL);
    if (k->rkt == NULL) {
        snprintf(err, errlen, "%s: %s", topic, rd_kafka_err2str(rd_kafka_last_error()));
        kafka_out_free(k);
        return NULL;
    }
    return k;
}

/* Make room for one more sequence number in the ring. */
static int ring_room(kafka_out *k)
{
    if (k->next - k->low < k->cap)
        return 0;
    size_t cap = k->cap * 2;
    unsigned char *st = calloc(cap, 1);
    if (st == NULL)
        return -1;
    for (uint64_t s = k->low; s < k->next; s++)
        st[s & (cap - 1)] = k->st[s & (k->cap - 1)];
    free(k->st);
    k->st = st;
    k->cap = cap;
    return 0;
}

static rd_kafka_headers_t *make_headers(const kafka_hdr *h, size_t n)
{
    if (n == 0)
        return NULL;
    rd_kafka_headers_t *hs = rd_kafka_headers_new(n);
    for (size_t i = 0; hs != NULL && i < n; i++)
        if (rd_kafka_header_add(hs, h[i].name, -1, h[i].value, (ssize_t)h[i].len) != 0) {
            rd_kafka_headers_destroy(hs);
            hs = NULL;
        }
    return hs;
}

static rd_kafka_resp_err_t produce_once(kafka_out *k, const void *val, size_t len, const void *key,
                                        size_t klen, const kafka_hdr *h, size_t nh)
{
    size_t kl = key != NULL ? klen : 0;
    rd_kafka_headers_t *hs = make_headers(h, nh);
    if (nh > 0 && hs == NULL)
        return RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
    rd_kafka_resp_err_t e = rd_kafka_producev(
        k->rk, RD_KAFKA_V_RKT(k->rkt), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE((void *)val, len),
        RD_KAFKA_V_KEY(key, kl), RD_KAFKA_V_HEADERS(hs),
        RD_KAFKA_V_OPAQUE((void *)(uintptr_t)k->next), RD_KAFKA_V_END);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && hs != NULL)
        rd_kafka_headers_destroy(hs);
    return e;
}

static int fatal(kafka_out *k, char *err, size_t errlen)
{
    char why[512];
    if (k->refused[0] != '\0') {
        snprintf(err, errlen, "refused by the broker: %.400s", k->refused);
        note_error(k, k->refused);
        return -1;
    }
    rd_kafka_resp_err_t e = rd_kafka_fatal_error(k->rk, why, sizeof(why));
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    snprintf(err, errlen, "fatal producer error: %.400s", why);
    note_error(k, why);
    return -1;
}

int kafka_out_produce(kafka_out *k, const void *val, size_t len, const void *key, size_t klen,
                      const kafka_hdr *hdrs, size_t nhdrs, volatile sig_atomic_t *stop, char *err,
                      size_t errlen)
{
    if (fatal(k, err, errlen) < 0)
        return -1;
    if (ring_room(k) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (;;) {
        rd_kafka_resp_err_t e = produce_once(k, val, len, key, klen, hdrs, nhdrs);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || (stop != NULL && *stop)) {
            snprintf(err, errlen, "produce: %s", rd_kafka_err2str(e));
            return e == RD_KAFKA_RESP_ERR__QUEUE_FULL ? 1 : -1;
        }
        rd_kafka_poll(k->rk, 100);
    }
    k->st[k->next & (k->cap - 1)] = ST_PENDING;
    k->next++;
    rd_kafka_poll(k->rk, 0);
    return 0;
}

void kafka_out_poll(kafka_out *k, int ms)
{
    rd_kafka_poll(k->rk, ms);
}

uint64_t kafka_out_produced(const kafka_out *k)
{
    return k->next;
}

uint64_t kafka_out_done(const kafka_out *k)
{
    return k->low;
}

uint64_t kafka_out_delivered(const kafka_out *k)
{
    return k->delivered;
}

uint64_t kafka_out_failed(const kafka_out *k)
{
    return k->failed;
}

const char *kafka_out_error(const kafka_out *k)
{
    return k->error;
}

uint64_t kafka_out_flush(kafka_out *k, volatile sig_atomic_t *stop)
{
    char why[512];
    while (rd_kafka_outq_len(k->rk) > 0) {
        if (stop != NULL && *stop)
            break;
        if (fatal(k, why, sizeof(why)) < 0)
            break;
        rd_kafka_flush(k->rk, 100);
    }
    rd_kafka_poll(k->rk, 0);
    return k->next - k->delivered;
}

void kafka_out_free(kafka_out *k)
{
    if (k == NULL)
        return;
    if (k->rkt != NULL)
        rd_kafka_topic_destroy(k->rkt);
    if (k->rk != NULL)
        rd_kafka_destroy(k->rk);
    free(k->st);
    free(k);
}
