/* test_kafka_out.c - the producer's delivered-up-to watermark against
 * librdkafka's mock cluster (a real Kafka protocol peer inside the
 * process): every message delivered moves it to the end across several
 * partitions; a message that fails for good stops it there, and flush
 * counts the loss. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "check_main.h"
#include "kafka/kafka_out.h"

typedef struct mock {
    rd_kafka_t *owner; /* the mock cluster needs a handle to live on */
    rd_kafka_mock_cluster_t *mc;
} mock;

static void mock_start(mock *m, int partitions)
{
    char err[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    ck_assert_int_eq(rd_kafka_conf_set(c, "log_level", "0", err, sizeof(err)), RD_KAFKA_CONF_OK);
    m->owner = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    ck_assert_ptr_nonnull(m->owner);
    m->mc = rd_kafka_mock_cluster_new(m->owner, 1);
    ck_assert_ptr_nonnull(m->mc);
    ck_assert_int_eq(rd_kafka_mock_topic_create(m->mc, "t", partitions, 1), 0);
}

static void mock_stop(mock *m)
{
    rd_kafka_mock_cluster_destroy(m->mc);
    rd_kafka_destroy(m->owner);
}

static kafka_out *producer(mock *m, const char *extra_key, const char *extra_val)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    ck_assert_int_eq(kafka_out_defaults(c, err, sizeof(err)), 0);
    ck_assert_int_eq(rd_kafka_conf_set(c, "bootstrap.servers",
                                       rd_kafka_mock_cluster_bootstraps(m->mc), err, sizeof(err)),
                     RD_KAFKA_CONF_OK);
    ck_assert_int_eq(rd_kafka_conf_set(c, "log_level", "0", err, sizeof(err)), RD_KAFKA_CONF_OK);
    if (extra_key != NULL)
        ck_assert_int_eq(rd_kafka_conf_set(c, extra_key, extra_val, err, sizeof(err)),
                         RD_KAFKA_CONF_OK);
    kafka_out *k = kafka_out_new(c, "t", err, sizeof(err));
    ck_assert_msg(k != NULL, "%s", err);
    return k;
}

static void produce_n(kafka_out *k, int n)
{
    char err[512], key[16], val[32];
    kafka_hdr h = {"kind", "x", 1};
    for (int i = 0; i < n; i++) {
        int kl = snprintf(key, sizeof(key), "node-%d", i % 7);
        int vl = snprintf(val, sizeof(val), "value-%d", i);
        ck_assert_int_eq(
            kafka_out_produce(k, val, (size_t)vl, key, (size_t)kl, &h, 1, NULL, err, sizeof(err)),
            0);
    }
}

START_TEST(all_delivered)
{
    mock m;
    mock_start(&m, 4);
    kafka_out *k = producer(&m, NULL, NULL);
    produce_n(k, 3000); /* more than the ring's first size */
    ck_assert_uint_eq(kafka_out_produced(k), 3000);
    ck_assert_uint_le(kafka_out_done(k), 3000);
    ck_assert_uint_eq(kafka_out_flush(k, NULL), 0);
    ck_assert_uint_eq(kafka_out_done(k), 3000);
    ck_assert_uint_eq(kafka_out_delivered(k), 3000);
    ck_assert_uint_eq(kafka_out_failed(k), 0);
    ck_assert_str_eq(kafka_out_error(k), "");
    kafka_out_free(k);
    mock_stop(&m);
}
END_TEST

START_TEST(failure_stops_watermark)
{
    mock m;
    mock_start(&m, 1);
    /* a short timeout and a broker that is down: everything times out */
    kafka_out *k = producer(&m, "message.timeout.ms", "1000");
    rd_kafka_mock_broker_set_down(m.mc, 1);
    produce_n(k, 10);
    uint64_t lost = kafka_out_flush(k, NULL);
    ck_assert_uint_eq(lost, 10);
    ck_assert_uint_eq(kafka_out_done(k), 0);
    ck_assert_uint_eq(kafka_out_failed(k), 10);
    ck_assert_ptr_nonnull(strstr(kafka_out_error(k), "timed out"));
    /* the broker comes back: later messages are delivered, but the
     * watermark stays before the failed ones, never past them */
    rd_kafka_mock_broker_set_up(m.mc, 1);
    produce_n(k, 5);
    lost = kafka_out_flush(k, NULL);
    ck_assert_uint_eq(kafka_out_delivered(k), 5);
    ck_assert_uint_eq(lost, 10);
    ck_assert_uint_eq(kafka_out_done(k), 0);
    kafka_out_free(k);
    mock_stop(&m);
}
END_TEST

START_TEST(bad_config)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    ck_assert_int_eq(kafka_out_defaults(c, err, sizeof(err)), 0);
    char v[64];
    size_t n = sizeof(v);
    ck_assert_int_eq(rd_kafka_conf_get(c, "enable.idempotence", v, &n), RD_KAFKA_CONF_OK);
    ck_assert_str_eq(v, "true");
    n = sizeof(v);
    ck_assert_int_eq(rd_kafka_conf_get(c, "compression.codec", v, &n), RD_KAFKA_CONF_OK);
    ck_assert_str_eq(v, KAFKA_OUT_DEFAULT_COMPRESSION);
    n = sizeof(v);
    ck_assert_int_eq(rd_kafka_conf_get(c, "linger.ms", v, &n), RD_KAFKA_CONF_OK);
    ck_assert_str_eq(v, KAFKA_OUT_DEFAULT_LINGER_MS);
    /* idempotence needs acks=all: librdkafka refuses the pair at creation */
    ck_assert_int_eq(rd_kafka_conf_set(c, "acks", "1", err, sizeof(err)), RD_KAFKA_CONF_OK);
    ck_assert_ptr_null(kafka_out_new(c, "t", err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "acks"));
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_set_timeout(t, 60);
    tcase_add_test(t, all_delivered);
    tcase_add_test(t, failure_stops_watermark);
    tcase_add_test(t, bad_config);
}

int main(void)
{
    return check_main("kafka_out", add_tests);
}
