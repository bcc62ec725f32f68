/* test_conf.c - one configuration path: the program's keys reach its
 * owner callback, the rest reach librdkafka, and files and the environment
 * say where a bad setting came from. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "util/conf.h"

typedef struct seen {
    char topic[64];
    int calls;
} seen;

static int owner(void *ctx, const char *key, const char *val, char *err, size_t errlen)
{
    seen *s = ctx;
    s->calls++;
    if (strcmp(key, "topic") != 0)
        return 0;
    if (*val == '\0') {
        snprintf(err, errlen, "topic: empty");
        return -1;
    }
    snprintf(s->topic, sizeof(s->topic), "%s", val);
    return 1;
}

static void kafka_get(conf *c, const char *key, char *out, size_t n)
{
    ck_assert_int_eq(rd_kafka_conf_get(c->rk, key, out, &n), RD_KAFKA_CONF_OK);
}

START_TEST(owned_and_kafka_keys)
{
    conf c;
    seen s = {"", 0};
    char err[512], v[256];
    ck_assert_int_eq(conf_init(&c, owner, &s), 0);
    ck_assert_int_eq(conf_set_kv(&c, " topic = events ", err, sizeof(err)), 0);
    ck_assert_str_eq(s.topic, "events");
    ck_assert_int_eq(conf_set_kv(&c, "bootstrap.servers=h1:9092,h2:9092", err, sizeof(err)), 0);
    kafka_get(&c, "bootstrap.servers", v, sizeof(v));
    ck_assert_str_eq(v, "h1:9092,h2:9092");
    /* a topic-level property goes through the same call */
    ck_assert_int_eq(conf_set(&c, "message.timeout.ms", "5000", err, sizeof(err)), 0);
    ck_assert_uint_eq(c.kafka_keys, 2);
    ck_assert_int_eq(conf_set(&c, "no.such.property", "1", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "no.such.property"));
    ck_assert_int_eq(conf_set(&c, "topic", "", err, sizeof(err)), -1);
    ck_assert_str_eq(err, "topic: empty");
    ck_assert_int_eq(conf_set_kv(&c, "novalue", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "key=value"));
    /* a secret on the command line is refused, named, and never echoed */
    ck_assert_int_eq(conf_set_kv(&c, "sasl.password=hunter2", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "TETRA_KAFKA_SASL_PASSWORD"));
    ck_assert_ptr_null(strstr(err, "hunter2"));
    ck_assert_int_eq(conf_set_kv(&c, "SSL.Key.Password=x", err, sizeof(err)), -1);
    ck_assert_int_eq(conf_set_kv(&c, "sasl.oauthbearer.client.secret=x", err, sizeof(err)), -1);
    ck_assert_int_eq(conf_set_kv(&c, "ssl.key.pem=x", err, sizeof(err)), -1);
    ck_assert_int_eq(conf_key_is_secret("ssl.key.location"), 0);
    ck_assert_int_eq(conf_key_is_secret("sasl.oauthbearer.token.endpoint.url"), 0);
    ck_assert_int_eq(conf_key_is_secret("ssl.ca.pem"), 0);
    /* the same key from a file or the environment is the right way */
    ck_assert_int_eq(conf_set(&c, "sasl.password", "hunter2", err, sizeof(err)), 0);
    kafka_get(&c, "sasl.password", v, sizeof(v));
    ck_assert_str_eq(v, "hunter2");
    ck_assert_int_eq(conf_set(&c, "compression.codec", "brotli", err, sizeof(err)), -1);
    rd_kafka_conf_t *rk = conf_take_kafka(&c);
    ck_assert_ptr_nonnull(rk);
    ck_assert_ptr_null(conf_take_kafka(&c));
    ck_assert_int_eq(conf_set(&c, "linger.ms", "5", err, sizeof(err)), -1);
    rd_kafka_conf_destroy(rk);
    conf_free(&c);
}
END_TEST

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_ge(fputs(text, fp), 0);
    ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(config_file)
{
    conf c;
    seen s = {"", 0};
    char err[512], v[256];
    char path[] = "/tmp/test_conf_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    write_file(path, "# settings\n\n  topic=from-file\nclient.id = capture-1\n");
    ck_assert_int_eq(conf_init(&c, owner, &s), 0);
    ck_assert_int_eq(conf_read_file(&c, path, err, sizeof(err)), 0);
    ck_assert_str_eq(s.topic, "from-file");
    kafka_get(&c, "client.id", v, sizeof(v));
    ck_assert_str_eq(v, "capture-1");

    write_file(path, "topic=a\n# fine\nlinger.ms=notanumber\n");
    ck_assert_int_eq(conf_read_file(&c, path, err, sizeof(err)), -1);
    char want[128];
    snprintf(want, sizeof(want), "%s:3: ", path);
    ck_assert_int_eq(strncmp(err, want, strlen(want)), 0);
    write_file(path, "topic=a\njust words\n");
    ck_assert_int_eq(conf_read_file(&c, path, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:2: expected key=value", path);
    ck_assert_str_eq(err, want);
    unlink(path);
    ck_assert_int_eq(conf_read_file(&c, path, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
    conf_free(&c);
}
END_TEST

START_TEST(environment)
{
    conf c;
    seen s = {"", 0};
    char err[512], v[256];
    char *env[] = {"PATH=/bin", "TETRA_KAFKA_CLIENT_ID=from-env", "TETRA_X_TOPIC=t1",
                   "TETRA_KAFKA_LINGER_MS=7", NULL};
    ck_assert_int_eq(conf_init(&c, owner, &s), 0);
    ck_assert_int_eq(conf_read_env(&c, env, "TETRA_KAFKA_", err, sizeof(err)), 0);
    kafka_get(&c, "client.id", v, sizeof(v));
    ck_assert_str_eq(v, "from-env");
    kafka_get(&c, "linger.ms", v, sizeof(v));
    ck_assert_str_eq(v, "7");
    ck_assert_str_eq(s.topic, "");
    ck_assert_int_eq(conf_read_env(&c, env, "TETRA_X_", err, sizeof(err)), 0);
    ck_assert_str_eq(s.topic, "t1");
    char *bad[] = {"TETRA_KAFKA_NOT_A_PROP=1", NULL};
    ck_assert_int_eq(conf_read_env(&c, bad, "TETRA_KAFKA_", err, sizeof(err)), -1);
    ck_assert_int_eq(strncmp(err, "TETRA_KAFKA_NOT_A_PROP: ", 24), 0);
    conf_free(&c);
}
END_TEST

START_TEST(list_properties)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(fp);
    conf_list(fp);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(text, "bootstrap.servers"));
    ck_assert_ptr_nonnull(strstr(text, "compression.codec"));
    free(text);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, owned_and_kafka_keys);
    tcase_add_test(t, config_file);
    tcase_add_test(t, environment);
    tcase_add_test(t, list_properties);
}

int main(void)
{
    return check_main("conf", add_tests);
}
