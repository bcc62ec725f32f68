/* testkit.h - fixtures more than one unit test needs: a scenario event's
 * text, and librdkafka's mock cluster (a real Kafka protocol peer inside
 * the process), so tests of Kafka paths need no broker. */
#ifndef TETRA_TESTKIT_H
#define TETRA_TESTKIT_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* The text of tests/fixtures/scenarios/NAME.json under $ROOT (or the
 * current folder); the test fails when it cannot be read.  Caller frees. */
char *scenario_read(const char *name);

typedef struct kafka_mock {
    rd_kafka_t *owner; /* the mock cluster needs a handle to live on */
    rd_kafka_mock_cluster_t *mc;
} kafka_mock;

/* A one-broker mock cluster with topic of partitions; fails the test when
 * it cannot start.  kafka_mock_bootstraps gives its address. */
void kafka_mock_start(kafka_mock *m, const char *topic, int partitions);
void kafka_mock_stop(kafka_mock *m);
const char *kafka_mock_bootstraps(const kafka_mock *m);

#endif
