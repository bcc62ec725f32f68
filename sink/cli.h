/* cli.h - tetra-sink's options: the table, the parsed settings, --help.
 *
 * The table is the one description of every option; getopt's tables and
 * --help come from it and a test checks man/tetra-sink.1 against it. */
#ifndef TETRA_SINK_CLI_H
#define TETRA_SINK_CLI_H

#include <stddef.h>
#include <stdio.h>
#include "util/conf.h"
#include "http/http.h"
#include "util/options.h"
#include "record.h"

typedef struct sink_opts {
    const char *brokers, *topic, *group; /* Kafka input when topic is set */
    int proto;                           /* -I proto: binary length-delimited stdin */
    record_type input_type;
    const char *url; /* --opensearch or OPENSEARCH_URL */
    const char *index_pattern, *data_stream, *template_name, *cluster_name;
    int no_template, print_template, emit_bulk;
    int retention_days;
    const char *dlq_path, *dlq_topic;
    size_t batch_docs, batch_bytes, max_queued;
    long linger_ms, backoff_ms, backoff_max_ms, drain_ms, commit_ms;
    int inflight, gzip;
    size_t max_record;
    int verbosity;
    const char *metrics_addr; /* --metrics-addr, NULL: no server */
    /* --password-file, --api-key-file, --bearer-file: read after parsing */
    const char *password_file, *api_key_file, *bearer_file, *webhook_secret_file;
    const char *incident_topic; /* Kafka topic of incident records */
    const char *incident_index; /* strftime pattern of incident indices */
    const char *alertmanager;   /* Alertmanager base URL, NULL: none */
    const char *webhook;        /* alert webhook URL, NULL: none */
    char *webhook_secret;       /* HMAC key (file or env, never argv) */
    int alert_min_severity;     /* 1 info .. 5 critical */
    size_t alert_queue;         /* alerts held per destination */
    http_conf http;
    conf kconf; /* -X settings for librdkafka */
} sink_opts;

extern const opt_def sink_opt_defs[];
extern const size_t sink_opt_count;

/* Parse argv into o (the table's defaults first, then the environment,
 * then options).  Returns -1 to run, EXIT_OK when --help, --version or
 * -X list was served, or EXIT_USAGE/EXIT_RUNTIME after the message (and
 * the "Try ... --help" line of a usage error) was written to stderr. */
int cli_parse(sink_opts *o, int argc, char **argv);

/* Free what cli_parse allocated. */
void cli_free(sink_opts *o);

void cli_usage(FILE *fp);

#endif
