/* cli.h - tetra-capture's options: the table, parsing, and the settings.
 *
 * Everything a user can set arrives here, from argv, from config files
 * (-c), or from the environment (TETRA_CAPTURE_* for this program's keys,
 * TETRA_KAFKA_* for librdkafka's), and all of it passes through one
 * conf_set(), so "-X topic=t", "topic=t" in a file and
 * TETRA_CAPTURE_TOPIC=t are the same thing. */
#ifndef CAPTURE_CLI_H
#define CAPTURE_CLI_H

#include "util/conf.h"
#include "codec/framer.h"
#include "output.h"
#include "util/prog.h"

typedef struct capture_opts {
    output_kind format; /* -F; OUTPUT_KAFKA when a topic is set */
    int format_given;
    framer_mode input;             /* -I json|proto */
    char *topic;                   /* -t, topic= */
    char *dlq;                     /* --dlq, dlq= */
    char *state;                   /* --state, state= */
    unsigned long long max_record; /* --max-record-bytes, max.record.bytes= */
    int follow, from_end;
    int k8s;                   /* --k8s: follow Tetragon pods through the Kubernetes API */
    char *kubeconfig;          /* --kubeconfig, kubeconfig= (NULL: in cluster or default) */
    char *k8s_namespace;       /* --namespace, k8s.namespace= */
    char *k8s_selector;        /* --selector, k8s.selector= */
    char *k8s_container;       /* --container, k8s.container= */
    unsigned shard_i, shard_n; /* --shard I/N, k8s.shard=; n 0 = no sharding */
    int brokers_given;         /* -b on the command line */
    int verbosity;
    const char *metrics_addr; /* --metrics-addr, NULL: no server */
    char **files;             /* FILE... (points into argv) */
    int nfiles;
    conf conf; /* librdkafka settings */
} capture_opts;

/* Parse the command line and the environment into o.  Returns -1 when the
 * program should go on, or an exit status (after --help, --version,
 * -X list, or a usage error that was already reported). */
int cli_parse(capture_opts *o, int argc, char **argv, char **envp);

/* Free what cli_parse allocated. */
void cli_free(capture_opts *o);

#endif
