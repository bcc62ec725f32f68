/* deadletter.h - where rejected records go: a file or a Kafka topic.
 *
 * A rejected Kafka record may only count as finished (and its offset be
 * committed) once its dead-letter entry is safe.  The file backend writes
 * and flushes at once; the topic backend produces asynchronously, so each
 * entry keeps the (partition, offset) it stands for until the producer's
 * delivery watermark passes it, and deadletter_done() hands those back.
 * The topic backend never blocks: an entry librdkafka has no room for yet
 * is held and sent from deadletter_done(), and deadletter_busy() asks the
 * caller to stop reading until it went out. */
#ifndef TETRA_SINK_DEADLETTER_H
#define TETRA_SINK_DEADLETTER_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>
#include "kafka/dlq.h"

typedef struct deadletter deadletter;

/* A file destination (appended, JSON lines).  NULL with err filled. */
deadletter *deadletter_file(const char *path, char *err, size_t errlen);
/* A topic destination; takes conf in every case.  NULL with err filled. */
deadletter *deadletter_topic(rd_kafka_conf_t *conf, const char *topic, char *err, size_t errlen);

/* Store e for the record at (part, off) (part < 0: not from Kafka); e is
 * copied.  Returns 1 when it is safe already, 0 when it is on its way (see
 * deadletter_done), -1 with err filled when it could not be stored. */
int deadletter_write(deadletter *d, const dlq_entry *e, int32_t part, int64_t off, char *err,
                     size_t errlen);

/* Serve deliveries, send held entries there is room for now, and fill up
 * to max (partition, offset) pairs of entries now safe.  Returns how many,
 * or -1 with err filled when an entry failed for good (its record must
 * then never be committed). */
int deadletter_done(deadletter *d, int32_t *parts, int64_t *offs, size_t max, char *err,
                    size_t errlen);

/* Entries written but not yet safe. */
size_t deadletter_pending(const deadletter *d);

/* 1 while entries wait for room in the producer's queue: read no more
 * records until deadletter_done() sent them.  d may be NULL. */
int deadletter_busy(const deadletter *d);

/* Close; d is freed.  Entries still on their way (topic) are given up
 * without waiting: wait for deadletter_pending() to reach 0 first.  Their
 * records were never reported safe, so nothing was committed past them.
 * Returns 0, or -1 with err filled (also when entries were given up).  d
 * may be NULL. */
int deadletter_close(deadletter *d, char *err, size_t errlen);

#endif
