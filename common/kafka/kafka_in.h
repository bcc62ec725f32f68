/* kafka_in.h - a consumer-group member that commits only what it is told.
 *
 * tetra-sink and tetra-enrich read a topic in a consumer group so replicas
 * share the partitions, and must not lose a record when they crash: so
 * offsets are never committed automatically, only by kafka_in_commit() with
 * the offsets the program knows are finished.  When a rebalance takes
 * partitions away, the revoke callback runs first so the program can commit
 * what is finished and forget the rest (another member will read it again;
 * the sink's deterministic ids make that harmless).  While the program is
 * backed up it pauses fetching but keeps polling, so it stays in the group. */
#ifndef TETRA_KAFKA_IN_H
#define TETRA_KAFKA_IN_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

typedef struct kafka_in kafka_in;

/* Called from kafka_in_poll() before partitions are revoked (parts lists
 * them) or after they were assigned (assigned != 0). */
typedef void (*kafka_in_rebalance_fn)(void *opaque, int assigned, const int32_t *parts, size_t n);

/* Put the consumer defaults into conf: group.id and bootstrap.servers (each
 * skipped when NULL), no auto commit, no automatic offset store, start at
 * the earliest offset when the group has none, no partition EOF events.
 * For a configuration the user's settings go into afterwards (so they
 * win): a program that applies them at parse time calls this right after
 * conf_init().  Returns 0 or -1 with err filled. */
int kafka_in_defaults(rd_kafka_conf_t *conf, const char *brokers, const char *group, char *err,
                      size_t errlen);

/* The consumer's configuration built from the user's settings (-X, -c):
 * kafka_in_defaults() with brokers and group first, then the TETRA_KAFKA_*
 * variables of envp, then user's settings over them (kafka_conf_layer(),
 * whose notes on topic-level properties apply: when user was not made
 * over kafka_in_defaults(), an auto.offset.reset at librdkafka's default
 * cannot be told from one nobody set and reads as earliest, the side on
 * which nothing is skipped).  Automatic commits and offset stores are
 * forced off: librdkafka's own commits would pass records the program has
 * not finished, so a user who turned either on gets NULL with err naming
 * it.  user is not changed.  Returns the new configuration (the caller
 * owns it) or NULL with err filled; every failure is a setting the
 * program cannot run with, except running out of memory. */
rd_kafka_conf_t *kafka_in_conf(const rd_kafka_conf_t *user, const char *brokers, const char *group,
                               char *const *envp, char *err, size_t errlen);

/* Join the group and subscribe to topic.  Takes ownership of conf in every
 * case.  cb may be NULL.  Returns NULL with err filled. */
kafka_in *kafka_in_new(rd_kafka_conf_t *conf, const char *topic, kafka_in_rebalance_fn cb,
                       void *opaque, char *err, size_t errlen);

/* Wait up to ms for one record.  Returns 1 with *m set (the caller destroys
 * it with rd_kafka_message_destroy), 0 when none came, -1 on a fatal consumer
 * error with err filled.  Transient errors are not returned but warned
 * about, the first of each kind and then once a minute; partition EOF is
 * neither. */
int kafka_in_poll(kafka_in *k, int ms, rd_kafka_message_t **m, char *err, size_t errlen);

/* Stop (paused != 0) or resume fetching for every assigned partition. */
void kafka_in_pause(kafka_in *k, int paused);

/* Commit offset offs[i] (the next record to read) for partition parts[i] of
 * the topic, synchronously.  Returns 0, or -1 with err filled. */
int kafka_in_commit(kafka_in *k, const int32_t *parts, const int64_t *offs, size_t n, char *err,
                    size_t errlen);

/* The value of header name of m, or NULL (*len set when found). */
const void *kafka_in_header(const rd_kafka_message_t *m, const char *name, size_t *len);

/* Leave the group (this revokes: the callback runs) and free.  k may be NULL. */
void kafka_in_free(kafka_in *k);

#endif
