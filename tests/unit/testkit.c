/* testkit.c - shared unit-test fixtures; see testkit.h. */
#include "testkit.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

char *scenario_read(const char *name)
{
    char path[512], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/tests/fixtures/scenarios/%s.json",
             getenv("ROOT") ? getenv("ROOT") : ".", name);
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    ck_assert_int_ne(getdelim(&text, &len, '\0', fp), -1);
    fclose(fp);
    return text;
}

void kafka_mock_start(kafka_mock *m, const char *topic, int partitions)
{
    char err[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    ck_assert_int_eq(rd_kafka_conf_set(c, "log_level", "0", err, sizeof err), RD_KAFKA_CONF_OK);
    m->owner = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    ck_assert_msg(m->owner != NULL, "%s", err);
    m->mc = rd_kafka_mock_cluster_new(m->owner, 1);
    ck_assert_ptr_nonnull(m->mc);
    ck_assert_int_eq(rd_kafka_mock_topic_create(m->mc, topic, partitions, 1), 0);
}

void kafka_mock_stop(kafka_mock *m)
{
    rd_kafka_mock_cluster_destroy(m->mc);
    rd_kafka_destroy(m->owner);
}

const char *kafka_mock_bootstraps(const kafka_mock *m)
{
    return rd_kafka_mock_cluster_bootstraps(m->mc);
}
