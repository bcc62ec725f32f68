/* test_metrics.c - the /metrics page and the JSON log line.
 *
 * The page must say what the summary line says, under the summary's
 * names, in the Prometheus text format: a TYPE line before each family,
 * cumulative histogram buckets ending in +Inf that equal _count.  A copy
 * made while a second thread adds must never show a counter without its
 * name.  tests/integration/60_metrics.sh parses live pages with the real
 * Prometheus parser; these pin the formatter's details. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "http/metrics.h"
#include "util/msg.h"

static char *page(const stats *st)
{
    buf out = BUF_INIT;
    ck_assert_int_eq(metrics_format(&out, "tetra-sink", st), 0);
    return out.p;
}

static void has(const char *text, const char *line)
{
    ck_assert_msg(strstr(text, line) != NULL, "missing \"%s\" in:\n%s", line, text);
}

START_TEST(counters_are_the_summary)
{
    metrics_reset();
    stats st;
    stats_init(&st);
    stats_declare(&st, "read");
    stats_declare(&st, "rejected");
    stats_add(&st, "read", 94);
    stats_add(&st, "rejected", 2);
    stats_add(&st, "bad_time", 2);
    stats_add(&st, "x.y", 1); /* not a Prometheus name: summary only */
    char *p = page(&st);
    has(p, "# TYPE tetra_sink_read_total counter\ntetra_sink_read_total 94\n");
    has(p, "\ntetra_sink_rejected_total 2\n");
    has(p, "\ntetra_sink_bad_time_total 2\n");
    ck_assert_ptr_null(strstr(p, "x.y"));
    free(p);
}
END_TEST

START_TEST(histogram_buckets)
{
    metrics_reset();
    metrics_observe("bulk_request_seconds", 0.003);
    metrics_observe("bulk_request_seconds", 0.2);
    metrics_observe("bulk_request_seconds", 0.25); /* le is inclusive */
    metrics_observe("bulk_request_seconds", 400);  /* above every bucket */
    stats st;
    stats_init(&st);
    char *p = page(&st);
    has(p, "# TYPE tetra_sink_bulk_request_seconds histogram\n");
    has(p, "tetra_sink_bulk_request_seconds_bucket{le=\"0.005\"} 1\n");
    has(p, "tetra_sink_bulk_request_seconds_bucket{le=\"0.1\"} 1\n");
    has(p, "tetra_sink_bulk_request_seconds_bucket{le=\"0.25\"} 3\n");
    has(p, "tetra_sink_bulk_request_seconds_bucket{le=\"300\"} 3\n");
    has(p, "tetra_sink_bulk_request_seconds_bucket{le=\"+Inf\"} 4\n");
    has(p, "tetra_sink_bulk_request_seconds_count 4\n");
    has(p, "tetra_sink_bulk_request_seconds_sum 400.453\n");
    free(p);
}
END_TEST

START_TEST(gauges)
{
    metrics_reset();
    metrics_gauge("llm_circuit_open", 1);
    metrics_gauge("llm_circuit_open", 0);
    stats st;
    stats_init(&st);
    char *p = page(&st);
    has(p, "# TYPE tetra_sink_llm_circuit_open gauge\ntetra_sink_llm_circuit_open 0\n");
    free(p);
}
END_TEST

START_TEST(bad_address)
{
    stats st;
    stats_init(&st);
    char err[256];
    metrics_conf c = {.addr = "nocolon", .prog = "tetra-sink", .st = &st};
    ck_assert_int_eq(metrics_start(&c, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "HOST:PORT"));
    c.addr = "127.0.0.1:notaport";
    ck_assert_int_eq(metrics_start(&c, err, sizeof err), -1);
    metrics_stop(); /* nothing started: a no-op */
}
END_TEST

/* One thread adds new counters while this one copies: every copied
 * counter has its name, and values never exceed what was added. */
static void *adder(void *arg)
{
    stats *st = arg;
    char name[16];
    for (int i = 0; i < STATS_MAX; i++) {
        snprintf(name, sizeof name, "c%d", i);
        stats_add(st, name, (uint64_t)i + 1);
    }
    return NULL;
}

START_TEST(copy_while_adding)
{
    static stats st, snap;
    stats_init(&st);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, adder, &st), 0);
    for (int round = 0; round < 200; round++) {
        stats_copy(&snap, &st);
        for (int i = 0; i < snap.n; i++) {
            char want[16];
            snprintf(want, sizeof want, "c%d", i);
            ck_assert_str_eq(snap.c[i].name, want);
        }
    }
    pthread_join(t, NULL);
    stats_copy(&snap, &st);
    ck_assert_int_eq(snap.n, STATS_MAX);
    ck_assert_uint_eq(stats_get(&snap, "c63"), 64);
}
END_TEST

/* --log-format json: one object per line, message escaped. */
START_TEST(json_log_line)
{
    char path[] = "/tmp/test_metrics_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(2);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(fd, 2), 0);
    msg_init("tetra-sink", MSG_NORMAL);
    ck_assert_int_eq(msg_format_option("json"), 0);
    warnf("a \"quoted\"\tline");
    notef("hidden at normal level");
    ck_assert_int_eq(msg_format_option("text"), 0);
    warnf("plain");
    ck_assert_int_eq(msg_format_option("yaml"), -1);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char text[1024] = "";
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    close(fd);
    unlink(path);
    has(text,
        "\"level\":\"warning\",\"program\":\"tetra-sink\",\"message\":\"a \\\"quoted\\\"\\tline\"}\n");
    has(text, "{\"time\":\"20");
    has(text, "tetra-sink: warning: plain\n");
    ck_assert_ptr_null(strstr(text, "hidden"));
    has(text, "--log-format: expected text or json, got 'yaml'");
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, counters_are_the_summary);
    tcase_add_test(tc, histogram_buckets);
    tcase_add_test(tc, gauges);
    tcase_add_test(tc, bad_address);
    tcase_add_test(tc, copy_while_adding);
    tcase_add_test(tc, json_log_line);
}

int main(void)
{
    return check_main("metrics", add_tests);
}
