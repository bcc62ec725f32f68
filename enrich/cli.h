/* cli.h - tetra-enrich's command line: one option table, parsed into the
 * engine's configuration and the I/O settings. */
#ifndef TETRA_ENRICH_CLI_H
#define TETRA_ENRICH_CLI_H

#include "util/conf.h"
#include "engine.h"
#include "codec/framer.h"

#define CLI_MAX_RULES 16

typedef struct enrich_opts {
    engine_conf ec;
    const char *rules[CLI_MAX_RULES + 1];
    size_t nrules;
    framer_mode input; /* JSON lines or varint-delimited protobuf */
    int output_proto;  /* 1: varint-delimited EnrichedEvent on stdout */
    int list_rules;
    int verbosity;
    size_t max_record;
    size_t max_pending; /* records held at once (waiting for the LLM or for order) */
    int ordered;        /* --ordered: output in input order */
    char *api_key;      /* from OPENAI_API_KEY or --llm-key-file, owned */
    const char *key_file;
    const char *brokers, *in_topic, *group, *out_topic, *cache_topic;
    const char *txn_id;       /* --transactional-id: exactly-once mode */
    uint64_t idle_exit_ms;    /* Kafka mode: stop after this long without a record */
    const char *metrics_addr; /* --metrics-addr, NULL: no server */
    /* --incidents (incflow.h) */
    int incidents, incident_llm, llm_per_event;
    const char *incident_topic, *cluster;
    int incident_min_severity;
    int64_t incident_idle_ms, incident_max_ms, lineage_grace_ms;
    size_t incident_max_events, lineage_max;
    /* The user's librdkafka settings, TETRA_KAFKA_* then -X, twice: kconf
     * alone for the producers and the cache loader, kconf_in over the
     * consumer defaults (kafka_in_defaults) so that a topic-level value
     * such as -X auto.offset.reset=latest is known to be the user's. */
    conf kconf, kconf_in;
    rd_kafka_conf_t *kafka;    /* taken from kconf once parsing is done */
    rd_kafka_conf_t *consumer; /* with -t: the input consumer's, whoever uses it takes it */
} enrich_opts;

/* Parse argv into o (the table's defaults, the environment, then argv).
 * Returns -1 to run, EXIT_OK when --help, --version or -X list was
 * served, or EXIT_USAGE after the error and the "Try ... --help" line
 * were printed. */
int cli_parse(int argc, char **argv, enrich_opts *o);
void cli_free(enrich_opts *o);

#endif
