/* test_kafka_conf.c - a program's Kafka settings go under the user's.
 *
 * The reported failures: group.id from a config file was overwritten by
 * the consumer defaults, and so was -X auto.offset.reset=latest.  These
 * tests build the user's settings the way the programs do (conf_set_kv)
 * and check what kafka_conf_layer() and kafka_in_conf() make of them:
 * global properties exactly, topic-level ones merged as kafka_conf.h
 * says (never losing the sink's earliest start because some other
 * topic-level property such as acks was set), environment in between,
 * automatic commits refused. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "util/conf.h"
#include "kafka/kafka_conf.h"
#include "kafka/kafka_in.h"

static int calls;

static int consumer_base(rd_kafka_conf_t *c, void *ctx, char *err, size_t errlen)
{
    (void)ctx;
    calls++;
    return kafka_in_defaults(c, "default:9092", "default-group", err, errlen);
}

static int failing_base(rd_kafka_conf_t *c, void *ctx, char *err, size_t errlen)
{
    (void)c;
    (void)ctx;
    snprintf(err, errlen, "no good");
    return -1;
}

static const char *get(rd_kafka_conf_t *c, const char *key)
{
    static char v[256];
    size_t n = sizeof v;
    ck_assert_int_eq(rd_kafka_conf_get(c, key, v, &n), RD_KAFKA_CONF_OK);
    return v;
}

static void user_set(conf *u, const char *kv)
{
    char err[256];
    ck_assert_msg(conf_set_kv(u, kv, err, sizeof err) == 0, "%s: %s", kv, err);
}

START_TEST(global_settings_win_even_at_librdkafka_defaults)
{
    conf u;
    char err[256];
    ck_assert_int_eq(conf_init(&u, NULL, NULL), 0);
    user_set(&u, "group.id=from-file");
    user_set(&u, "bootstrap.servers=user:9092");
    user_set(&u, "enable.partition.eof=true");
    user_set(&u, "client.id=rdkafka"); /* librdkafka's default value */
    calls = 0;
    rd_kafka_conf_t *c = kafka_conf_layer(u.rk, consumer_base, NULL, 0, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_int_eq(calls, 1);
    ck_assert_str_eq(get(c, "group.id"), "from-file");
    ck_assert_str_eq(get(c, "bootstrap.servers"), "user:9092");
    ck_assert_str_eq(get(c, "enable.partition.eof"), "true");
    ck_assert_str_eq(get(c, "enable.auto.commit"), "false"); /* from the defaults */
    ck_assert_str_eq(get(c, "auto.offset.reset"), "smallest");
    /* the user's configuration is as it was, and a copy of the result
     * does not run the defaults again */
    ck_assert_str_eq(get(u.rk, "enable.auto.commit"), "true");
    rd_kafka_conf_t *d = rd_kafka_conf_dup(c);
    ck_assert_int_eq(calls, 1);
    ck_assert_str_eq(get(d, "group.id"), "from-file");
    rd_kafka_conf_destroy(d);
    rd_kafka_conf_destroy(c);
    conf_free(&u);
}
END_TEST

START_TEST(defaults_where_the_user_set_nothing)
{
    conf u;
    char err[256];
    ck_assert_int_eq(conf_init(&u, NULL, NULL), 0);
    rd_kafka_conf_t *c = kafka_conf_layer(u.rk, consumer_base, NULL, 0, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(get(c, "auto.offset.reset"), "smallest");
    ck_assert_str_eq(get(c, "group.id"), "default-group");
    ck_assert_str_eq(get(c, "bootstrap.servers"), "default:9092");
    rd_kafka_conf_destroy(c);
    conf_free(&u);
}
END_TEST

/* librdkafka copies a default topic configuration whole: a user's acks
 * (topic-level) must neither drop the consumer's earliest start, which
 * would skip what a new group should read, nor be dropped itself. */
START_TEST(topic_level_settings_are_merged)
{
    conf u;
    char err[256];
    ck_assert_int_eq(conf_init(&u, NULL, NULL), 0);
    user_set(&u, "acks=1");
    user_set(&u, "message.timeout.ms=1234");
    rd_kafka_conf_t *c = kafka_conf_layer(u.rk, consumer_base, NULL, 0, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_str_eq(get(c, "auto.offset.reset"), "smallest");
    ck_assert_str_eq(get(c, "acks"), "1");
    ck_assert_str_eq(get(c, "message.timeout.ms"), "1234");
    rd_kafka_conf_destroy(c);
    user_set(&u, "auto.offset.reset=error"); /* not librdkafka's default: the user's */
    c = kafka_conf_layer(u.rk, consumer_base, NULL, 0, err, sizeof err);
    ck_assert_str_eq(get(c, "auto.offset.reset"), "error");
    ck_assert_str_eq(get(c, "acks"), "1");
    rd_kafka_conf_destroy(c);
    conf_free(&u);
}
END_TEST

/* latest is librdkafka's own default, so it can only be told from "not
 * set" when the user's settings were made over the defaults, as a
 * program does that applies kafka_in_defaults() at parse time. */
START_TEST(latest_over_parse_time_defaults)
{
    conf u;
    char err[256];
    ck_assert_int_eq(conf_init(&u, NULL, NULL), 0);
    ck_assert_int_eq(kafka_in_defaults(u.rk, NULL, NULL, err, sizeof err), 0);
    user_set(&u, "auto.offset.reset=latest");
    user_set(&u, "group.id=g");
    rd_kafka_conf_t *c = kafka_in_conf(u.rk, "b:9092", "default-group", NULL, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_str_eq(get(c, "auto.offset.reset"), "largest");
    ck_assert_str_eq(get(c, "group.id"), "g");
    ck_assert_str_eq(get(c, "bootstrap.servers"), "b:9092");
    rd_kafka_conf_destroy(c);
    conf_free(&u);
    /* without the defaults underneath, the safe reading */
    ck_assert_int_eq(conf_init(&u, NULL, NULL), 0);
    user_set(&u, "auto.offset.reset=latest");
    c = kafka_in_conf(u.rk, "b:9092", "default-group", NULL, err, sizeof err);
    ck_assert_str_eq(get(c, "auto.offset.reset"), "smallest");
    rd_kafka_conf_destroy(c);
    conf_free(&u);
}
END_TEST

/* The environment goes over the program's values and under -X. */
START_TEST(environment_between)
{
    char *envp[] = {"TETRA_KAFKA_SASL_PASSWORD=s3cret",
                    "TETRA_KAFKA_GROUP_ID=env-group",
                    "TETRA_KAFKA_CLIENT_ID=env-client",
                    "TETRA_KAFKA_AUTO_OFFSET_RESET=latest",
                    "OTHER=1",
                    NULL};
    conf u;
    char err[256];
    ck_assert_int_eq(conf_init(&u, NULL, NULL), 0);
    user_set(&u, "client.id=x-client");
    rd_kafka_conf_t *c = kafka_in_conf(u.rk, "b:9092", "default-group", envp, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    ck_assert_str_eq(get(c, "sasl.password"), "s3cret");
    ck_assert_str_eq(get(c, "group.id"), "env-group");
    ck_assert_str_eq(get(c, "client.id"), "x-client");
    ck_assert_str_eq(get(c, "auto.offset.reset"), "largest");
    rd_kafka_conf_destroy(c);
    char *bad[] = {"TETRA_KAFKA_NO_SUCH_THING=1", NULL};
    ck_assert_ptr_null(kafka_in_conf(u.rk, "b:9092", "g", bad, err, sizeof err));
    ck_assert_msg(strstr(err, "TETRA_KAFKA_NO_SUCH_THING") != NULL, "%s", err);
    conf_free(&u);
}
END_TEST

START_TEST(fill_failure_is_reported)
{
    conf u;
    char err[256] = "";
    ck_assert_int_eq(conf_init(&u, NULL, NULL), 0);
    ck_assert_ptr_null(kafka_conf_layer(u.rk, failing_base, NULL, 0, err, sizeof err));
    ck_assert_str_eq(err, "no good");
    conf_free(&u);
}
END_TEST

START_TEST(automatic_commits_are_refused)
{
    const char *on[] = {"enable.auto.commit=true", "enable.auto.offset.store=true"};
    for (size_t i = 0; i < 2; i++) {
        conf u;
        char err[256];
        ck_assert_int_eq(conf_init(&u, NULL, NULL), 0);
        user_set(&u, on[i]);
        ck_assert_ptr_null(kafka_in_conf(u.rk, "b:9092", "g", NULL, err, sizeof err));
        ck_assert_msg(strncmp(err, on[i], strlen(on[i])) == 0, "%s", err);
        conf_free(&u);
    }
    conf u;
    char err[256];
    ck_assert_int_eq(conf_init(&u, NULL, NULL), 0);
    user_set(&u, "enable.auto.commit=false"); /* what the sink does anyway: fine */
    rd_kafka_conf_t *c = kafka_in_conf(u.rk, "b:9092", "g", NULL, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(get(c, "enable.auto.offset.store"), "false");
    rd_kafka_conf_destroy(c);
    conf_free(&u);
}
END_TEST

/* A refused login or handshake only a configuration change fixes stops the
 * client; a broker that is down or a connection cut is retried. */
START_TEST(refusals_stop_other_errors_are_retried)
{
    ck_assert(kafka_refused(RD_KAFKA_RESP_ERR__AUTHENTICATION, "SASL authentication error"));
    ck_assert(kafka_refused(RD_KAFKA_RESP_ERR__SSL, "certificate verify failed"));
    ck_assert(
        kafka_refused(RD_KAFKA_RESP_ERR__TRANSPORT,
                      "Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate"));
    ck_assert(!kafka_refused(RD_KAFKA_RESP_ERR__TRANSPORT, "Connection refused"));
    ck_assert(!kafka_refused(RD_KAFKA_RESP_ERR__TRANSPORT, NULL));
    ck_assert(!kafka_refused(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "1/1 brokers are down"));
}
END_TEST

/* The error callbacks keep the first refusal and only that; a broker that
 * is down leaves nothing to stop on (it is warned about). */
START_TEST(error_seen_keeps_the_first_refusal)
{
    char refused[64] = "";
    kafka_error_seen(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "1/1 brokers are down", "consumer",
                     refused, sizeof refused);
    ck_assert_str_eq(refused, "");
    kafka_error_seen(RD_KAFKA_RESP_ERR__AUTHENTICATION, "SASL authentication error: first", NULL,
                     refused, sizeof refused);
    kafka_error_seen(RD_KAFKA_RESP_ERR__SSL, "certificate verify failed", "producer", refused,
                     sizeof refused);
    ck_assert_str_eq(refused, "SASL authentication error: first");
    char small[8] = "";
    kafka_error_seen(RD_KAFKA_RESP_ERR__SSL, "certificate verify failed", NULL, small,
                     sizeof small);
    ck_assert_str_eq(small, "certifi"); /* cut to fit, terminated */
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, global_settings_win_even_at_librdkafka_defaults);
    tcase_add_test(tc, defaults_where_the_user_set_nothing);
    tcase_add_test(tc, topic_level_settings_are_merged);
    tcase_add_test(tc, latest_over_parse_time_defaults);
    tcase_add_test(tc, environment_between);
    tcase_add_test(tc, fill_failure_is_reported);
    tcase_add_test(tc, automatic_commits_are_refused);
    tcase_add_test(tc, refusals_stop_other_errors_are_retried);
    tcase_add_test(tc, error_seen_keeps_the_first_refusal);
}

int main(void)
{
    return check_main("kafka_conf", add_tests);
}
