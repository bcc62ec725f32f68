/* kafka.h - tetra-enrich's Kafka mode: consume the raw topic in a consumer
 * group, produce enriched records, share the explanation cache through a
 * compacted topic. */
#ifndef TETRA_ENRICH_KAFKA_H
#define TETRA_ENRICH_KAFKA_H

#include <signal.h>
#include "cli.h"
#include "flow.h"
#include "util/stats.h"

/* Load the cache topic into e's cache and arrange for new explanations to
 * be published to it; o->ec must outlive the engine.  Returns 0 or -1
 * (reported). */
int kafka_cache_attach(enrich_opts *o, engine_conf *ec);
/* Load every entry of the cache topic into e's cache.  Returns 0 (also
 * when the topic is missing or unreachable: the cache starts empty), or -1
 * (reported) when the settings are unusable or the broker refused the
 * login or TLS handshake. */
int kafka_cache_load(const enrich_opts *o, engine *e, uint64_t *loaded);
/* Flush and free the cache publisher. */
void kafka_cache_detach(void);

/* A producer's configuration: kafka_out_defaults() and -b under the
 * user's settings (o->kafka).  Returns it (the caller owns it) or NULL with
 * err filled. */
rd_kafka_conf_t *kafka_producer_conf(const enrich_opts *o, char *err, size_t errlen);

/* A dry run's line on stderr for the record it would have produced for
 * the input record at tag. */
void kafka_would_produce(const enrich_opts *o, flow_tag tag,
                         const Tetragonsidekick__EnrichedEvent *ee);

/* Consume, enrich and produce until *stop or --idle-exit; the consumer is
 * built from o->consumer (taken).  Returns 0 or 1. */
int run_kafka(enrich_opts *o, engine *e, stats *st, volatile sig_atomic_t *stop);

/* The same, exactly-once: finished records, in input order, and the input
 * offsets after them in Kafka transactions (o->txn_id).  Returns 0 or 1. */
int run_kafka_txn(enrich_opts *o, engine *e, stats *st, volatile sig_atomic_t *stop);

#endif
