/* cli.c - tetra-capture's option table and its one path into the settings.
 *
 * The table below is the only list of options: getopt_long's tables and
 * --help are built from it, and tests/integration/05_manpages.sh
 * checks man/tetra-capture.1 against --help. */
#include "cli.h"
#include "kafka/kafka_out.h"
#include "http/metrics.h"
#include "util/msg.h"
#include "util/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef TETRA_VERSION
#define TETRA_VERSION "0.1.0"
#endif

enum {
    OPT_STATE = OPT_LONG_ONLY, OPT_DLQ, OPT_MAX_RECORD, OPT_FROM_END, OPT_K8S, OPT_KUBECONFIG,
    OPT_NAMESPACE, OPT_SELECTOR, OPT_CONTAINER, OPT_SHARD, OPT_METRICS_ADDR, OPT_LOG_FORMAT
};

static const opt_def options[] = {
    {'b', "brokers", "BROKERS", "produce to these Kafka brokers (host:port,...)"},
    {'t', "topic", "TOPIC", "produce to this Kafka topic"},
    {'X', "property", "KEY=VALUE", "set a setting or librdkafka property; -X list shows them"},
    {'z', "compression", "CODEC", "Kafka compression: none, gzip, snappy, lz4 (default), zstd"},
    {'F', "format", "FORMAT", "stdout format: json (default) or proto (length-delimited)"},
    {'I', "input-format", "FORMAT", "input format: json (default) or proto (length-delimited)"},
    {'c', "config", "FILE", "read key=value settings from FILE"},
    {'f', "follow", NULL, "follow FILE like tail -F, across rotation and truncation"},
    {OPT_STATE, "state", "FILE", "with --follow or --k8s: resume from and save positions in FILE"},
    {OPT_FROM_END, "from-end", NULL, "with --follow and no saved state: start at the end"},
    {OPT_K8S, "k8s", NULL, "follow the Tetragon pods' logs through the Kubernetes API"},
    {OPT_KUBECONFIG, "kubeconfig", "FILE", "with --k8s: use FILE (default: in cluster, $KUBECONFIG)"},
    {OPT_NAMESPACE, "namespace", "NS", "with --k8s: the pods' namespace (default kube-system)"},
    {OPT_SELECTOR, "selector", "SEL", "with --k8s: label selector (app.kubernetes.io/name=tetragon)"},
    {OPT_CONTAINER, "container", "NAME", "with --k8s: the container to follow (export-stdout)"},
    {OPT_SHARD, "shard", "I/N", "with --k8s: take only the pods of nodes hashing to I of N"},
    {OPT_DLQ, "dlq", "FILE", "append rejected records to FILE as JSON lines"},
    {OPT_MAX_RECORD, "max-record-bytes", "N", "reject records over N bytes (default 1M)"},
{OPT_METRICS_ADDR, "metrics-addr", "HOST:PORT", "serve /metrics, /healthz and /readyz there (:PORT: all interfaces)"},
    {OPT_LOG_FORMAT, "log-format", "FORMAT", "log lines as text (default) or json, one object per line"},
    {'q', "quiet", NULL, "print errors only: no warnings, no summary"},
    {'v', "verbose", NULL, "print notes, and every rejected record"},
    {'h', "help", NULL, "show this help and exit"},
    {'V', "version", NULL, "show the version and exit"},
};
#define NOPTS (sizeof(options) / sizeof(options[0]))

static void usage(FILE *fp)
{
    fprintf(fp, "usage: %s [OPTIONS] [FILE...]\n"
                "       %s --k8s [OPTIONS]\n"
                "Read Tetragon JSON events from FILEs or stdin (-) and write them as\n"
                "tetragon.GetEventsResponse messages to stdout or to a Kafka topic.\n\n"
                "options:\n",
            msg_progname(), msg_progname());
    opts_help(fp, options, NOPTS);
    fprintf(fp, "\nenvironment: TETRA_CAPTURE_<KEY> and TETRA_KAFKA_<PROPERTY> set keys the\n"
                "way -X does (TETRA_KAFKA_SASL_PASSWORD is sasl.password).\n"
                "exit status: 0 ok, 1 runtime failure, 2 usage error.\n");
}

static int set_string(char **dst, const char *val, char *err, size_t errlen)
{
    char *s = strdup(val);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    free(*dst);
    *dst = s;
    return 1;
}

/* "I/N" with 0 <= I < N <= 1024. */
static int set_shard(capture_opts *o, const char *val, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long i = strtol(val, &end, 10);
    long n = -1;
    if (errno == 0 && end != val && *end == '/') {
        const char *ns = end + 1;
        n = strtol(ns, &end, 10);
        if (end == ns || *end != '\0')
            n = -1;
    }
    if (errno != 0 || n < 1 || n > 1024 || i < 0 || i >= n) {
        snprintf(err, errlen, "k8s.shard: \"%s\" is not I/N with 0 <= I < N <= 1024", val);
        return -1;
    }
    o->shard_i = (unsigned)i;
    o->shard_n = (unsigned)n;
    return 1;
}

static int set_format(capture_opts *o, const char *val, int input, char *err, size_t errlen)
{
    output_kind k;
    if (output_kind_parse(val, &k) < 0) {
        snprintf(err, errlen, "unknown format \"%s\" (json or proto)", val);
        return -1;
    }
    if (input)
        o->input = k == OUTPUT_PROTO ? FRAMER_VARINT : FRAMER_JSON;
    else {
        o->format = k;
        o->format_given = 1;
    }
    return 1;
}

/* The keys tetra-capture owns; everything else belongs to librdkafka. */
static int owner(void *ctx, const char *key, const char *val, char *err, size_t errlen)
{
    capture_opts *o = ctx;
    if (strcmp(key, "topic") == 0)
        return set_string(&o->topic, val, err, errlen);
    if (strcmp(key, "dlq") == 0)
        return set_string(&o->dlq, val, err, errlen);
    if (strcmp(key, "state") == 0)
        return set_string(&o->state, val, err, errlen);
    if (strcmp(key, "kubeconfig") == 0)
        return set_string(&o->kubeconfig, val, err, errlen);
    if (strcmp(key, "k8s.namespace") == 0)
        return set_string(&o->k8s_namespace, val, err, errlen);
    if (strcmp(key, "k8s.selector") == 0)
        return set_string(&o->k8s_selector, val, err, errlen);
    if (strcmp(key, "k8s.container") == 0)
        return set_string(&o->k8s_container, val, err, errlen);
    if (strcmp(key, "k8s.shard") == 0)
        return set_shard(o, val, err, errlen);
    if (strcmp(key, "format") == 0)
        return set_format(o, val, 0, err, errlen);
    if (strcmp(key, "input.format") == 0)
        return set_format(o, val, 1, err, errlen);
    if (strcmp(key, "max.record.bytes") == 0) {
        if (opts_parse_size(val, 16, 1ULL << 30, &o->max_record) < 0) {
            snprintf(err, errlen, "max.record.bytes: \"%s\" is not a size from 16 to 1G", val);
            return -1;
        }
        return 1;
    }
    return 0;
}

static int apply(capture_opts *o, const char *key, const char *val)
{
    char err[512];
    if (conf_set(&o->conf, key, val, err, sizeof(err)) == 0)
        return 0;
    errorf("%s", err);
    return -1;
}

/* One option from getopt; returns -1 to go on, or an exit status. */
static int option(capture_opts *o, int c, const char *arg)
{
    char err[512];
    switch (c) {
    case 'b':
        o->brokers_given = 1;
        return apply(o, "bootstrap.servers", arg) < 0 ? EXIT_USAGE : -1;
    case 't': return apply(o, "topic", arg) < 0 ? EXIT_USAGE : -1;
    case 'z': return apply(o, "compression.codec", arg) < 0 ? EXIT_USAGE : -1;
    case 'F': return apply(o, "format", arg) < 0 ? EXIT_USAGE : -1;
    case 'I': return apply(o, "input.format", arg) < 0 ? EXIT_USAGE : -1;
    case OPT_STATE: return apply(o, "state", arg) < 0 ? EXIT_USAGE : -1;
    case OPT_DLQ: return apply(o, "dlq", arg) < 0 ? EXIT_USAGE : -1;
    case OPT_MAX_RECORD: return apply(o, "max.record.bytes", arg) < 0 ? EXIT_USAGE : -1;
    case OPT_KUBECONFIG: return apply(o, "kubeconfig", arg) < 0 ? EXIT_USAGE : -1;
    case OPT_NAMESPACE: return apply(o, "k8s.namespace", arg) < 0 ? EXIT_USAGE : -1;
    case OPT_SELECTOR: return apply(o, "k8s.selector", arg) < 0 ? EXIT_USAGE : -1;
    case OPT_CONTAINER: return apply(o, "k8s.container", arg) < 0 ? EXIT_USAGE : -1;
    case OPT_SHARD: return apply(o, "k8s.shard", arg) < 0 ? EXIT_USAGE : -1;
    case OPT_K8S: o->k8s = 1; return -1;
    case OPT_METRICS_ADDR:
        if (metrics_addr_check(arg, err, sizeof(err)) == 0) {
            o->metrics_addr = arg;
            return -1;
        }
        errorf("%s", err);
        return EXIT_USAGE;
    case OPT_LOG_FORMAT: return msg_format_option(arg) < 0 ? EXIT_USAGE : -1;
    case 'f': o->follow = 1; return -1;
    case OPT_FROM_END: o->from_end = 1; return -1;
    case 'q': o->verbosity = MSG_QUIET; msg_set_level(MSG_QUIET); return -1;
    case 'v': o->verbosity = MSG_VERBOSE; msg_set_level(MSG_VERBOSE); return -1;
    case 'h': usage(stdout); return EXIT_OK;
    case 'V': printf("tetra-capture %s (librdkafka %s)\n", TETRA_VERSION, rd_kafka_version_str());
              return EXIT_OK;
    case 'X':
        if (strcmp(arg, "list") == 0) {
            conf_list(stdout);
            return EXIT_OK;
        }
        if (conf_set_kv(&o->conf, arg, err, sizeof(err)) == 0)
            return -1;
        errorf("-X %s", err);
        return EXIT_USAGE;
    case 'c':
        if (conf_read_file(&o->conf, arg, err, sizeof(err)) == 0)
            return -1;
        errorf("%s", err);
        return EXIT_USAGE;
    default:
        return EXIT_USAGE;
    }
}

static int bad_option(int c, char **argv)
{
    char msg[256];
    opts_error(options, NOPTS, c, optopt, argv[optind - 1], msg, sizeof msg);
    errorf("%s", msg);
    msg_try_help();
    return EXIT_USAGE;
}

static int parse_argv(capture_opts *o, int argc, char **argv)
{
    struct option lo[NOPTS + 1];
    char so[3 * NOPTS + 2];
    if (opts_build(options, NOPTS, lo, NOPTS + 1, so, sizeof(so)) < 0)
        return EXIT_RUNTIME;
    int c;
    while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        if (c == '?' || c == ':')
            return bad_option(c, argv);
        int rc = option(o, c, optarg);
        if (rc >= 0)
            return rc;
    }
    o->files = argv + optind;
    o->nfiles = argc - optind;
    return -1;
}

static int has_kafka_target(capture_opts *o)
{
    char v[512];
    size_t n = sizeof(v);
    if (rd_kafka_conf_get(o->conf.rk, "bootstrap.servers", v, &n) == RD_KAFKA_CONF_OK && v[0])
        return 1;
    n = sizeof(v);
    return rd_kafka_conf_get(o->conf.rk, "test.mock.num.brokers", v, &n) == RD_KAFKA_CONF_OK &&
           v[0] != '\0' && strcmp(v, "0") != 0;
}

static int usage_error(const char *what)
{
    errorf("%s", what);
    msg_try_help();
    return EXIT_USAGE;
}

/* Combinations no single option can reject on its own. */
static int check(capture_opts *o)
{
    if (o->topic != NULL) {
        if (o->format_given)
            return usage_error("-F selects the stdout format; it cannot go with -t");
        if (!has_kafka_target(o))
            return usage_error("-t needs brokers (-b)");
        o->format = OUTPUT_KAFKA;
    }
    else if (o->brokers_given)
        return usage_error("-b needs a topic (-t)");
    if (o->k8s && (o->follow || o->nfiles > 0))
        return usage_error("--k8s reads the pods' logs, not FILEs: it cannot go with FILE or -f");
    if (o->k8s && o->from_end)
        return usage_error("--from-end needs --follow");
    if (o->k8s && o->input != FRAMER_JSON)
        return usage_error("--k8s reads JSON lines; -I proto cannot go with it");
    if (o->follow && (o->nfiles != 1 || strcmp(o->files[0], "-") == 0))
        return usage_error("--follow needs exactly one FILE (not stdin)");
    if (!o->follow && !o->k8s && (o->state != NULL || o->from_end))
        return usage_error("--state and --from-end need --follow (--state: or --k8s)");
    return -1;
}

int cli_parse(capture_opts *o, int argc, char **argv, char **envp)
{
    char err[512];
    memset(o, 0, sizeof(*o));
    o->format = OUTPUT_JSON;
    o->input = FRAMER_JSON;
    o->max_record = CAPTURE_DEFAULT_MAX_RECORD;
    o->verbosity = MSG_NORMAL;
    snprintf(err, sizeof(err), "out of memory");
    if (conf_init(&o->conf, owner, o) < 0 ||
        kafka_out_defaults(o->conf.rk, err, sizeof(err)) < 0) {
        errorf("cannot set up the Kafka configuration: %s", err);
        return EXIT_RUNTIME;
    }
    if (conf_read_env(&o->conf, envp, "TETRA_CAPTURE_", err, sizeof(err)) < 0 ||
        conf_read_env(&o->conf, envp, "TETRA_KAFKA_", err, sizeof(err)) < 0) {
        errorf("environment: %s", err);
        return EXIT_USAGE;
    }
    int rc = parse_argv(o, argc, argv);
    if (rc < 0 && o->metrics_addr && metrics_kafka_conf(o->conf.rk, err, sizeof(err)) < 0) {
        errorf("--metrics-addr: %s", err);
        return EXIT_USAGE;
    }
    return rc >= 0 ? rc : check(o);
}

void cli_free(capture_opts *o)
{
    conf_free(&o->conf);
    free(o->topic);
    free(o->dlq);
    free(o->state);
    free(o->kubeconfig);
    free(o->k8s_namespace);
    free(o->k8s_selector);
    free(o->k8s_container);
}
