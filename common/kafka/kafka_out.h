/* kafka_out.h - a Kafka producer that knows what was delivered.
 *
 * Wraps librdkafka's producer for the three programs: value, key and
 * headers per message, copied so the caller can reuse its buffers at once.
 * Every message gets a sequence number (0, 1, 2, ...) in produce order;
 * delivery reports arrive per partition, so out of that order, and
 * kafka_out_done() turns them into one watermark: every message below it
 * was delivered.  A program that must not lose input (a followed file, a
 * consumed topic) saves its position only up to that watermark.  A message
 * that failed for good stops the watermark for ever, so nothing after it
 * counts as safe: a restart sends it again rather than skipping it. */
#ifndef TETRA_KAFKA_OUT_H
#define TETRA_KAFKA_OUT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

typedef struct kafka_out kafka_out;

typedef struct kafka_hdr {
    const char *name;
    const void *value;
    size_t len;
} kafka_hdr;

/* Compression when the user names none: lz4 is built into every librdkafka
 * and cheap on CPU, and binary protobuf still shrinks well with it. */
#define KAFKA_OUT_DEFAULT_COMPRESSION "lz4"

/* How long the producer gathers a batch when the user names no linger.ms.
 * librdkafka's 5 ms sends a request per few records at steady rates, and
 * the broker's per-request cost then outweighs the records': at 5,000
 * events/s through capture and enrich, 50 ms cut the Kafka broker's CPU per
 * event from 41 to 16 us and the producers' own by a quarter, for at most
 * 50 ms more per hop of a 2 s capture-to-searchable budget (bench/latency.sh). */
#define KAFKA_OUT_DEFAULT_LINGER_MS "50"

/* Put the producer defaults into conf (idempotence on, compression
 * KAFKA_OUT_DEFAULT_COMPRESSION, linger.ms KAFKA_OUT_DEFAULT_LINGER_MS); call before applying the
 * user's settings so those win.  Returns 0, or -1 with err filled. */
int kafka_out_defaults(rd_kafka_conf_t *conf, char *err, size_t errlen);

/* A producer to topic.  Takes ownership of conf in every case.  Returns
 * NULL with err filled when librdkafka refuses the configuration. */
kafka_out *kafka_out_new(rd_kafka_conf_t *conf, const char *topic, char *err, size_t errlen);

/* Queue one message (key may be NULL).  Waits, serving delivery reports,
 * while librdkafka's queue is full, unless *stop becomes non-zero (stop may
 * be NULL).  Returns 0; 1 when the queue was full and *stop set (a caller
 * that must not wait passes a flag already set, and tries again later);
 * or -1 with err filled.  Unless it returns 0 the message was not queued. */
int kafka_out_produce(kafka_out *k, const void *val, size_t len, const void *key, size_t klen,
                      const kafka_hdr *hdrs, size_t nhdrs, volatile sig_atomic_t *stop, char *err,
                      size_t errlen);

/* Serve delivery reports, waiting at most ms milliseconds. */
void kafka_out_poll(kafka_out *k, int ms);

/* Messages queued so far (the next sequence number). */
uint64_t kafka_out_produced(const kafka_out *k);
/* Every message with a sequence number below this was delivered. */
uint64_t kafka_out_done(const kafka_out *k);
uint64_t kafka_out_delivered(const kafka_out *k);
uint64_t kafka_out_failed(const kafka_out *k);
/* The first delivery or fatal error, "" when none.  Static until free. */
const char *kafka_out_error(const kafka_out *k);

/* Wait until every queued message was delivered or failed, or *stop
 * becomes non-zero, or a fatal producer error.  Returns how many messages
 * were not delivered (failed or still queued). */
uint64_t kafka_out_flush(kafka_out *k, volatile sig_atomic_t *stop);

/* Destroy the producer (messages still queued are dropped; flush first). */
void kafka_out_free(kafka_out *k);

#endif
