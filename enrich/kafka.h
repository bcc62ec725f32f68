/* kafka.h - tetra-enrich's Kafka mode: consume the raw topic in a consumer
 * group, produce enriched records, share the explanation cache through a
 * compacted topic. */
#ifndef TETRA_ENRICH_KAFKA_H
#define TETRA_ENRICH_KAFKA_H

#include <signal.h>
#include "cli.h"
#include "stats.h"

/* Load the cache topic into e's cache and arrange for new explanations to
 * be published to it; o->ec must outlive the engine.  Returns 0 or -1
 * (reported). */
int kafka_cache_attach(enrich_opts *o, engine_conf *ec);
/* Load every entry of the cache topic into e's cache. Returns 0 or -1. */
int kafka_cache_load(const enrich_opts *o, engine *e, uint64_t *loaded);
/* Flush and free the cache publisher. */
void kafka_cache_detach(void);

/* Consume, enrich and produce until *stop or --idle-exit.  Returns 0 or 1. */
int run_kafka(enrich_opts *o, engine *e, stats *st, volatile sig_atomic_t *stop);

/* The same, exactly-once: batches of records and their input offsets in
 * Kafka transactions (o->txn_id).  Returns 0 or 1. */
int run_kafka_txn(enrich_opts *o, engine *e, stats *st, volatile sig_atomic_t *stop);

#endif
