/* cli.c - tetra-capture's option table and its one path into the settings.
 *
 * The table below is the only list of options: each row carries its
 * default, its range and its setter; getopt_long's tables, the defaults
 * and --help are built from it, and tests/integration/05_manpages.sh
 * checks man/tetra-capture.1 against --help. */
#include "cli.h"
#include "kafka/kafka_out.h"
#include "http/metrics.h"
#include "util/msg.h"
#include "util/options.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TETRA_VERSION
#define TETRA_VERSION "0.1.0"
#endif

enum {
    OPT_STATE = OPT_LONG_ONLY,
    OPT_DLQ,
    OPT_MAX_RECORD,
    OPT_FROM_END,
    OPT_K8S,
    OPT_KUBECONFIG,
    OPT_NAMESPACE,
    OPT_SELECTOR,
    OPT_CONTAINER,
    OPT_SHARD,
    OPT_METRICS_ADDR,
    OPT_LOG_FORMAT
};

/* Setters; defined below the table. */
static int set_key(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_brokers(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int show_help(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int show_version(void *cfg, const opt_def *d, const char *a, char *err, size_t n);

#define AT(field) .off = offsetof(capture_opts, field)

/* An option with .key is a spelling of that conf key: its setter hands the
 * value to conf_set(), so "-t x", "-X topic=x", "topic=x" in a -c file and
 * TETRA_CAPTURE_TOPIC=x are one path; owner() below stores the keys, and
 * takes a number's range from this table. */
static const opt_def options[] = {
    {'b', "brokers", "BROKERS", "produce to these Kafka brokers (host:port,...)",
     .set = set_brokers},
    {'t', "topic", "TOPIC", "produce to this Kafka topic", set_key, .key = "topic"},
    {'X', "property", "KEY=VALUE", "set a setting or librdkafka property; -X list shows them",
     opt_set_property, AT(conf)},
    {'z', "compression", "CODEC", "Kafka compression: none, gzip, snappy, lz4, zstd", set_key,
     .def = "lz4", .key = "compression.codec"},
    {'F', "format", "FORMAT", "stdout format: json or proto (length-delimited)", set_key,
     .def = "json", .key = "format"},
    {'I', "input-format", "FORMAT", "input format: json or proto (length-delimited)", set_key,
     .def = "json", .key = "input.format"},
    {'c', "config", "FILE", "read key=value settings from FILE", opt_set_config_file, AT(conf)},
    {'f', "follow", NULL, "follow FILE like tail -F, across rotation and truncation", opt_set_true,
     AT(follow)},
    {OPT_STATE, "state", "FILE", "with --follow or --k8s: resume from and save positions in FILE",
     set_key, .key = "state"},
    {OPT_FROM_END, "from-end", NULL, "with --follow and no saved state: start at the end",
     opt_set_true, AT(from_end)},
    {OPT_K8S, "k8s", NULL, "follow the Tetragon pods' logs through the Kubernetes API",
     opt_set_true, AT(k8s)},
    {OPT_KUBECONFIG, "kubeconfig", "FILE",
     "with --k8s: use FILE, else $KUBECONFIG, else in cluster", set_key, .key = "kubeconfig"},
    {OPT_NAMESPACE, "namespace", "NS", "with --k8s: the pods' namespace", set_key,
     .def = "kube-system", .key = "k8s.namespace"},
    {OPT_SELECTOR, "selector", "SELECTOR", "with --k8s: label selector", set_key,
     .def = "app.kubernetes.io/name=tetragon", .key = "k8s.selector"},
    {OPT_CONTAINER, "container", "NAME", "with --k8s: the container to follow", set_key,
     .def = "export-stdout", .key = "k8s.container"},
    {OPT_SHARD, "shard", "I/N", "with --k8s: take only the pods of nodes hashing to I of N",
     set_key, .key = "k8s.shard"},
    {OPT_DLQ, "dlq", "FILE", "append rejected records to FILE as JSON lines", set_key,
     .key = "dlq"},
    {OPT_MAX_RECORD, "max-record-bytes", "N", "reject records over N bytes", set_key, .min = 16,
     .max = 1 << 30, .def = "1m", .key = "max.record.bytes"},
    {OPT_METRICS_ADDR, "metrics-addr", "HOST:PORT",
     "serve /metrics, /healthz and /readyz there (:PORT: all interfaces)", metrics_opt_set,
     AT(metrics_addr)},
    {OPT_LOG_FORMAT, "log-format", "FORMAT", "log lines as text or json, one object per line",
     opt_set_log_format, .def = "text"},
    {'q', "quiet", NULL, "print errors only: no warnings, no summary", opt_set_quiet,
     AT(verbosity)},
    {'v', "verbose", NULL, "print notes, and every rejected record", opt_set_verbose,
     AT(verbosity)},
    {'h', "help", NULL, "show this help and exit", .set = show_help},
    {'V', "version", NULL, "show the version and exit", .set = show_version},
};
#define NOPTS (sizeof(options) / sizeof(options[0]))

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: %s [OPTIONS] [FILE...]\n"
            "       %s --k8s [OPTIONS]\n"
            "Read Tetragon JSON events from FILEs or stdin (-) and write them as\n"
            "tetragon.GetEventsResponse messages to stdout or to a Kafka topic.\n\n"
            "options:\n",
            msg_progname(), msg_progname());
    opts_help(fp, options, NOPTS);
    opts_help_aliases(fp, options, NOPTS);
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
        const opt_def *d = opts_find(options, NOPTS, OPT_MAX_RECORD);
        double v;
        char why[256];
        if (opts_number(d, val, &v, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "max.record.bytes: %s", why);
            return -1;
        }
        o->max_record = (unsigned long long)v;
        return 1;
    }
    return 0;
}

static int set_key(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    return conf_set(&((capture_opts *)cfg)->conf, d->key, a, err, n);
}

static int set_brokers(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    capture_opts *o = cfg;
    (void)d;
    o->brokers_given = 1;
    return conf_set(&o->conf, "bootstrap.servers", a, err, n);
}

static int show_help(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    (void)cfg, (void)d, (void)a, (void)err, (void)n;
    usage(stdout);
    return OPT_DONE;
}

static int show_version(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    (void)cfg, (void)d, (void)a, (void)err, (void)n;
    printf("tetra-capture %s (librdkafka %s)\n", TETRA_VERSION, rd_kafka_version_str());
    return OPT_DONE;
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

/* Every usage error ends with the "Try ... --help" line, as in the other
 * programs. */
static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
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
    } else if (o->brokers_given)
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
    o->verbosity = MSG_NORMAL;
    snprintf(err, sizeof(err), "out of memory");
    if (conf_init(&o->conf, owner, o) < 0 || kafka_out_defaults(o->conf.rk, err, sizeof(err)) < 0 ||
        opts_defaults(options, NOPTS, o, err, sizeof(err)) < 0) {
        errorf("cannot set up the configuration: %s", err);
        return EXIT_RUNTIME;
    }
    o->format_given = 0; /* the default json is no -F: -t may still pick Kafka */
    if (conf_read_env(&o->conf, envp, "TETRA_CAPTURE_", err, sizeof(err)) < 0 ||
        conf_read_env(&o->conf, envp, "TETRA_KAFKA_", err, sizeof(err)) < 0)
        return usage_error("environment: %s", err);
    int rc = opts_parse(options, NOPTS, o, argc, argv);
    o->files = argv + optind;
    o->nfiles = argc - optind;
    if (rc < 0 && o->metrics_addr && metrics_kafka_conf(o->conf.rk, err, sizeof(err)) < 0)
        return usage_error("--metrics-addr: %s", err);
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
