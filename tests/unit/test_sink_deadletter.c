/* test_sink_deadletter.c - dead-letter routing: the file backend is safe at
 * once; the topic backend (against librdkafka's mock cluster, a real Kafka
 * protocol peer inside the process) hands back each entry's (partition,
 * offset) only once it was delivered, keeps write order when librdkafka's
 * queue is full (entries are held, busy says stop reading), and a
 * delivery that fails for good is an error, never a finished record. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "testkit.h"
#include "../../sink/deadletter.h"

static dlq_entry entry(const char *reason, const char *record)
{
    dlq_entry e = {reason,         "tetragon.enriched/0", 0, 0, "bad", record,
                   strlen(record), strlen(record)};
    return e;
}

START_TEST(file_is_safe_at_once)
{
    char path[] = "/tmp/test_sink_deadletter.XXXXXX", err[256];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    deadletter *d = deadletter_file(path, err, sizeof err);
    ck_assert_msg(d != NULL, "%s", err);
    dlq_entry e = entry("invalid_json", "{\"x\":");
    ck_assert_int_eq(deadletter_write(d, &e, 0, 17, err, sizeof err), 1);
    ck_assert_int_eq(deadletter_write(d, &e, -1, 0, err, sizeof err), 1); /* not from Kafka */
    ck_assert_uint_eq(deadletter_pending(d), 0);
    ck_assert_int_eq(deadletter_busy(d), 0);
    int32_t parts[4];
    int64_t offs[4];
    ck_assert_int_eq(deadletter_done(d, parts, offs, 4, err, sizeof err), 0);
    ck_assert_int_eq(deadletter_close(d, err, sizeof err), 0);

    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, fp) != NULL) {
        json_t *o = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(o);
        ck_assert_str_eq(json_string_value(json_object_get(o, "record")), "{\"x\":");
        json_decref(o);
        n++;
    }
    fclose(fp);
    ck_assert_int_eq(n, 2);
    remove(path);
}
END_TEST

START_TEST(file_errors)
{
    char err[256] = "";
    ck_assert_ptr_null(deadletter_file("/nonexistent/dir/dead.json", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/dead.json"));
    ck_assert_int_eq(deadletter_close(NULL, err, sizeof err), 0);
    ck_assert_int_eq(deadletter_busy(NULL), 0);
    ck_assert_uint_eq(deadletter_pending(NULL), 0);
    deadletter *d = deadletter_file("/dev/full", err, sizeof err);
    ck_assert_ptr_nonnull(d);
    dlq_entry e = entry("too_long", "x");
    ck_assert_int_eq(deadletter_write(d, &e, 0, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/dev/full"));
    (void)deadletter_close(d, err, sizeof err);
}
END_TEST

/* --- the topic backend ---------------------------------------------------------- */

static deadletter *topic(kafka_mock *m, const char *k1, const char *v1)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    ck_assert_int_eq(
        rd_kafka_conf_set(c, "bootstrap.servers", kafka_mock_bootstraps(m), err, sizeof err),
        RD_KAFKA_CONF_OK);
    ck_assert_int_eq(rd_kafka_conf_set(c, "log_level", "0", err, sizeof err), RD_KAFKA_CONF_OK);
    ck_assert_int_eq(rd_kafka_conf_set(c, "linger.ms", "0", err, sizeof err), RD_KAFKA_CONF_OK);
    if (k1 != NULL)
        ck_assert_int_eq(rd_kafka_conf_set(c, k1, v1, err, sizeof err), RD_KAFKA_CONF_OK);
    deadletter *d = deadletter_topic(c, "dead", err, sizeof err);
    ck_assert_msg(d != NULL, "%s", err);
    return d;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Call deadletter_done until want offsets came back (or 20 s); they are
 * appended to offs.  Returns how many came. */
static size_t collect(deadletter *d, int64_t *offs, size_t want)
{
    char err[512];
    size_t got = 0;
    uint64_t end = now_ms() + 20000;
    while (got < want && now_ms() < end) {
        int32_t parts[64];
        int r = deadletter_done(d, parts, offs + got, want - got < 64 ? want - got : 64, err,
                                sizeof err);
        ck_assert_msg(r >= 0, "%s", err);
        for (int i = 0; i < r; i++)
            ck_assert_int_eq(parts[i], 3);
        got += (size_t)r;
        if (r == 0)
            usleep(10000);
    }
    return got;
}

START_TEST(topic_hands_back_delivered_in_order)
{
    kafka_mock m;
    kafka_mock_start(&m, "dead", 1);
    deadletter *d = topic(&m, NULL, NULL);
    char err[512];
    for (int64_t off = 100; off < 110; off++) {
        dlq_entry e = entry("wrong_type", "{\"tetragon\":7}");
        ck_assert_int_eq(deadletter_write(d, &e, 3, off, err, sizeof err), 0); /* on its way */
    }
    ck_assert_uint_eq(deadletter_pending(d), 10);
    int64_t offs[10];
    ck_assert_uint_eq(collect(d, offs, 10), 10);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(offs[i], 100 + i);
    ck_assert_uint_eq(deadletter_pending(d), 0);
    ck_assert_int_eq(deadletter_close(d, err, sizeof err), 0);
    kafka_mock_stop(&m);
}
END_TEST

/* A queue of one message: the second entry does not fit, is held (busy),
 * and goes out from deadletter_done in write order. */
START_TEST(full_queue_holds_in_order)
{
    kafka_mock m;
    kafka_mock_start(&m, "dead", 1);
    deadletter *d = topic(&m, "queue.buffering.max.messages", "1");
    char err[512];
    for (int64_t off = 0; off < 5; off++) {
        dlq_entry e = entry("invalid_json", "[");
        ck_assert_int_eq(deadletter_write(d, &e, 3, off, err, sizeof err), 0);
    }
    ck_assert_int_eq(deadletter_busy(d), 1);
    ck_assert_uint_eq(deadletter_pending(d), 5);
    int64_t offs[5];
    ck_assert_uint_eq(collect(d, offs, 5), 5);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(offs[i], i);
    ck_assert_int_eq(deadletter_busy(d), 0);
    ck_assert_int_eq(deadletter_close(d, err, sizeof err), 0);
    kafka_mock_stop(&m);
}
END_TEST

/* The broker is gone and deliveries time out: the error surfaces, the
 * records are never handed back as finished, and close says how many
 * entries were not delivered. */
START_TEST(failed_delivery_is_an_error)
{
    kafka_mock m;
    kafka_mock_start(&m, "dead", 1);
    rd_kafka_mock_broker_set_down(m.mc, 1);
    deadletter *d = topic(&m, "message.timeout.ms", "500");
    char err[512];
    dlq_entry e = entry("bad_value", "{}");
    ck_assert_int_eq(deadletter_write(d, &e, 3, 7, err, sizeof err), 0);
    int32_t parts[4];
    int64_t offs[4];
    int r = 0;
    uint64_t end = now_ms() + 20000;
    while (r == 0 && now_ms() < end) {
        r = deadletter_done(d, parts, offs, 4, err, sizeof err);
        if (r == 0)
            usleep(20000);
    }
    ck_assert_int_eq(r, -1);
    ck_assert_ptr_nonnull(strstr(err, "dead-letter topic"));
    ck_assert_int_eq(deadletter_close(d, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not delivered"));
    kafka_mock_stop(&m);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, file_is_safe_at_once);
    tcase_add_test(tc, file_errors);
    tcase_add_test(tc, topic_hands_back_delivered_in_order);
    tcase_add_test(tc, full_queue_holds_in_order);
    tcase_add_test(tc, failed_delivery_is_an_error);
}

int main(void)
{
    return check_main("sink_deadletter", add_tests);
}
