/* cli.c - tetra-sink's option table and its setters (see cli.h).
 *
 * Every option is one row of sink_opt_defs: its default, its range and
 * its setter are there, so --help, the defaults and the parse come from
 * the same row.  Most rows store a field through the shared opt_set_*
 * setters; the few below the table check more than a range. */
#include "cli.h"

#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "doc.h"
#include "incident.h"
#include "http/metrics.h"
#include "util/msg.h"
#include "util/prog.h"
#include "util/wipe.h"
#include "template.h"

enum {
    O_INPUT_TYPE = OPT_LONG_ONLY,
    O_OPENSEARCH,
    O_INDEX,
    O_DATA_STREAM,
    O_TEMPLATE_NAME,
    O_NO_TEMPLATE,
    O_PRINT_TEMPLATE,
    O_RETENTION,
    O_CLUSTER,
    O_PASSWORD_FILE,
    O_API_KEY_FILE,
    O_BEARER_FILE,
    O_CA_FILE,
    O_CERT,
    O_KEY,
    O_BATCH_DOCS,
    O_BATCH_BYTES,
    O_LINGER,
    O_INFLIGHT,
    O_NO_GZIP,
    O_TIMEOUT,
    O_RETRY_MAX,
    O_MAX_QUEUED,
    O_DLQ,
    O_DRAIN,
    O_MAX_RECORD,
    O_EMIT_BULK,
    O_DLQ_TOPIC,
    O_METRICS_ADDR,
    O_LOG_FORMAT,
    O_OLD_MAX_RECORD,
    O_INCIDENT_TOPIC,
    O_INCIDENT_INDEX,
    O_ALERTMANAGER,
    O_WEBHOOK,
    O_WEBHOOK_SECRET_FILE,
    O_ALERT_MIN,
    O_ALERT_QUEUE
};

/* Setters with more to do than store a field; defined below the table. */
static int set_input_format(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_input_type(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_index(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_index_name(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_incident_index(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_alert_min(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_user(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_http_file(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int show_help(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int show_version(void *cfg, const opt_def *d, const char *a, char *err, size_t n);

#define AT(field) .off = offsetof(sink_opts, field)
#define MS_HOUR 3600000

const opt_def sink_opt_defs[] = {
    {'b', "brokers", "BROKERS", "Kafka bootstrap servers (host:port,...)", opt_set_str,
     AT(brokers)},
    {'t', "topic", "TOPIC", "consume this topic instead of reading stdin", opt_set_str, AT(topic)},
    {'G', "group", "GROUP", "consumer group", opt_set_str, AT(group), .def = "tetra-sink"},
    {'X', "property", "KEY=VALUE", "librdkafka property; -X list shows them all", opt_set_property,
     AT(kconf)},
    {'c', "config", "FILE", "read key=value librdkafka settings from FILE", opt_set_config_file,
     AT(kconf)},
    {'I', "input-format", "FORMAT", "stdin format: json or proto (varint length-delimited)",
     set_input_format, .def = "json"},
    {O_INPUT_TYPE, "input-type", "TYPE",
     "binary records are auto (message-type header, else enriched), enriched or event",
     set_input_type, .def = "auto"},
    {O_OPENSEARCH, "opensearch", "URL", "OpenSearch URL, else $OPENSEARCH_URL", opt_set_str,
     AT(url)},
    {O_INDEX, "index", "PATTERN", "daily index name, strftime of the event's UTC day", set_index,
     .def = "tetragon-events-%Y.%m.%d"},
    {O_DATA_STREAM, "data-stream", "NAME", "write to this data stream instead of daily indices",
     set_index_name, AT(data_stream)},
    {O_TEMPLATE_NAME, "template-name", "NAME", "index template and ISM policy name", set_index_name,
     AT(template_name), .def = "tetragon-events"},
    {O_NO_TEMPLATE, "no-template", NULL, "do not install or update the index template",
     opt_set_true, AT(no_template)},
    {O_PRINT_TEMPLATE, "print-template", NULL, "write the index template to stdout and exit",
     opt_set_true, AT(print_template)},
    {O_EMIT_BULK, "emit-bulk", NULL,
     "write the bulk request lines to stdout instead of sending them", opt_set_true, AT(emit_bulk)},
    {O_RETENTION, "retention-days", "DAYS", "attach an ISM policy deleting indices after DAYS",
     opt_set_int, AT(retention_days), 1, 36500},
    {O_CLUSTER, "cluster-name", "NAME", "orchestrator.cluster.name for events that carry none",
     opt_set_str, AT(cluster_name)},
    {'u', "user", "USER",
     "basic auth user, else $OPENSEARCH_USER; password from $OPENSEARCH_PASSWORD", .set = set_user},
    {O_PASSWORD_FILE, "password-file", "FILE", "read the basic auth password from FILE",
     opt_set_str, AT(password_file)},
    {O_API_KEY_FILE, "api-key-file", "FILE", "read an API key from FILE (or $OPENSEARCH_API_KEY)",
     opt_set_str, AT(api_key_file)},
    {O_BEARER_FILE, "bearer-file", "FILE",
     "read a bearer token from FILE (or $OPENSEARCH_BEARER_TOKEN)", opt_set_str, AT(bearer_file)},
    {O_CA_FILE, "ca-file", "FILE", "CA certificates to verify OpenSearch with", set_http_file,
     AT(http.ca_file)},
    {O_CERT, "cert", "FILE", "client certificate (PEM)", set_http_file, AT(http.cert)},
    {O_KEY, "key", "FILE", "client certificate key (PEM)", set_http_file, AT(http.key)},
    {'k', "insecure", NULL, "do not verify OpenSearch's certificate", opt_set_true,
     AT(http.insecure)},
    {O_BATCH_DOCS, "batch-docs", "N", "documents per bulk request", opt_set_size, AT(batch_docs), 1,
     100000, .def = "1000"},
    {O_BATCH_BYTES, "batch-bytes", "SIZE", "bytes per bulk request before gzip", opt_set_size,
     AT(batch_bytes), 1024, 1 << 30, .def = "5m"},
    {O_LINGER, "linger-ms", "MS", "longest wait for a fuller request", opt_set_long, AT(linger_ms),
     0, 600000, .def = "200"},
    {O_INFLIGHT, "inflight", "N", "bulk requests in flight at once", opt_set_int, AT(inflight), 1,
     64, .def = "4"},
    {O_NO_GZIP, "no-gzip", NULL, "send request bodies uncompressed", opt_set_false, AT(gzip)},
    {O_TIMEOUT, "timeout-ms", "MS", "time limit of one request", opt_set_long, AT(http.timeout_ms),
     100, MS_HOUR, .def = "60000"},
    {O_RETRY_MAX, "retry-max-ms", "MS", "longest retry backoff", opt_set_long, AT(backoff_max_ms),
     1, MS_HOUR, .def = "15000"},
    {O_MAX_QUEUED, "max-queued", "N", "documents held before reading pauses", opt_set_size,
     AT(max_queued), 1, 10000000, .def = "20000"},
    {O_DLQ, "dlq", "FILE", "append rejected records and documents to FILE with the reason",
     opt_set_str, AT(dlq_path)},
    {O_DLQ_TOPIC, "dlq-topic", "TOPIC", "produce them to this Kafka topic instead (needs -b)",
     opt_set_str, AT(dlq_topic)},
    {O_DRAIN, "drain-ms", "MS", "on a stop signal or end of input, wait this long for deliveries",
     opt_set_long, AT(drain_ms), 0, 24 * MS_HOUR, .def = "60000"},
    {O_MAX_RECORD, "max-record-bytes", "SIZE", "longest input record", opt_set_size, AT(max_record),
     1024, 1 << 30, .def = "4m"},
    {O_INCIDENT_TOPIC, "incident-topic", "TOPIC",
     "also consume incident records from this topic (with -t)", opt_set_str, AT(incident_topic)},
    {O_INCIDENT_INDEX, "incident-index", "PATTERN",
     "daily incident index, strftime of first_time's UTC day", set_incident_index,
     .def = INCIDENT_INDEX_DEFAULT},
    {O_ALERTMANAGER, "alertmanager", "URL", "post incident alerts to this Alertmanager (API v2)",
     opt_set_str, AT(alertmanager)},
    {O_WEBHOOK, "webhook", "URL", "post incident alerts as JSON to this URL", opt_set_str,
     AT(webhook)},
    {O_WEBHOOK_SECRET_FILE, "webhook-secret-file", "FILE",
     "sign webhook bodies (HMAC-SHA256) with the key in FILE (or $TETRA_WEBHOOK_SECRET)",
     opt_set_str, AT(webhook_secret_file)},
    {O_ALERT_MIN, "alert-min-severity", "LEVEL",
     "lowest incident severity that alerts: info, low, medium, high or critical", set_alert_min,
     .def = "high"},
    {O_ALERT_QUEUE, "alert-queue", "N", "alerts held per destination before new ones are dropped",
     opt_set_size, AT(alert_queue), 1, 1000000, .def = "1000"},
    {O_METRICS_ADDR, "metrics-addr", "HOST:PORT",
     "serve /metrics, /healthz and /readyz there (:PORT: all interfaces)", metrics_opt_set,
     AT(metrics_addr)},
    {O_LOG_FORMAT, "log-format", "FORMAT", "log lines as text or json, one object per line",
     opt_set_log_format, .def = "text"},
    {'q', "quiet", NULL, "errors only", opt_set_quiet, AT(verbosity)},
    {'v', "verbose", NULL, "notes too", opt_set_verbose, AT(verbosity)},
    {'h', "help", NULL, "show this help", .set = show_help},
    {'V', "version", NULL, "show the version", .set = show_version},
    /* old spellings, kept for one release (0.2): -F is the output format
     * in the other two programs */
    {'F', "format", NULL, NULL, .alias_of = 'I'},
    {O_OLD_MAX_RECORD, "max-record", NULL, NULL, .alias_of = O_MAX_RECORD},
};
const size_t sink_opt_count = sizeof sink_opt_defs / sizeof sink_opt_defs[0];

void cli_usage(FILE *fp)
{
    fprintf(fp,
            "usage: tetra-sink [options] [--opensearch URL]\n"
            "       tetra-sink -b BROKERS -t TOPIC [-G GROUP] [options]\n"
            "Index Tetragon events (enriched or plain) from stdin or Kafka into OpenSearch.\n\n");
    opts_help(fp, sink_opt_defs, sink_opt_count);
    opts_help_aliases(fp, sink_opt_defs, sink_opt_count);
    fprintf(fp, "exit status: 0 ok, 1 runtime failure, 2 usage error.\n");
}

/* What no option sets, and what comes from the environment. */
static void defaults(sink_opts *o)
{
    memset(o, 0, sizeof *o);
    o->url = getenv("OPENSEARCH_URL");
    o->backoff_ms = 100;
    o->commit_ms = 1000;
    o->gzip = 1;
    o->verbosity = MSG_NORMAL;
    o->http.connect_timeout_ms = 10000;
}

static int dupstr(char **dst, const char *s, char *err, size_t n)
{
    free(*dst);
    *dst = strdup(s);
    if (*dst)
        return 0;
    snprintf(err, n, "out of memory");
    return -1;
}

/* Index names go into JSON action lines unescaped, so refuse what would
 * need escaping, and what OpenSearch refuses in a name anyway (upper case
 * included), here rather than as a rejection of every document.  An
 * --index pattern may hold only the conversions that write digits (doc.c
 * knows which the event's day fills), so they are checked there and
 * skipped here. */
static int index_name_ok(const char *name, const char *s, int pattern, char *err, size_t n)
{
    char why[512];
    if (pattern && doc_index_pattern_check(s, why, sizeof why) < 0) {
        snprintf(err, n, "--%s: %s", name, why);
        return -1;
    }
    const char *p = s;
    for (; *p; p++) {
        if (pattern && *p == '%' && p[1]) {
            p++;
            continue;
        }
        if (strchr("\"\\ ,#*?<>|/:", *p) || (*p >= 'A' && *p <= 'Z'))
            break;
    }
    if (*s && !*p)
        return 0;
    if (*p)
        snprintf(err, n,
                 "--%s: '%s' is not a usable index name: OpenSearch refuses '%c' in one (use "
                 "lower case, none of \\ / * ? \" < > | , # : or space)",
                 name, s, *p);
    else
        snprintf(err, n, "--%s: the name is empty", name);
    return -1;
}

static int set_index(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    sink_opts *o = cfg;
    o->index_pattern = a;
    return index_name_ok(d->name, a, 1, err, n);
}

/* --data-stream and --template-name: a plain name, stored at d->off */
static int set_index_name(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    if (index_name_ok(d->name, a, 0, err, n) < 0)
        return -1;
    return opt_set_str(cfg, d, a, err, n);
}

static int set_incident_index(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    ((sink_opts *)cfg)->incident_index = a;
    return index_name_ok(d->name, a, 1, err, n);
}

static int set_alert_min(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    sink_opts *o = cfg;
    (void)d;
    o->alert_min_severity = alert_severity_of(a);
    if (o->alert_min_severity)
        return 0;
    snprintf(err, n, "--alert-min-severity: expected info, low, medium, high or critical, got '%s'",
             a);
    return -1;
}

static int set_input_type(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    sink_opts *o = cfg;
    (void)d;
    if (!strcmp(a, "auto"))
        o->input_type = RECORD_AUTO;
    else if (!strcmp(a, "enriched"))
        o->input_type = RECORD_ENRICHED;
    else if (!strcmp(a, "event"))
        o->input_type = RECORD_EVENT;
    else {
        snprintf(err, n, "--input-type: expected auto, enriched or event, got '%s'", a);
        return -1;
    }
    return 0;
}

static int set_input_format(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    sink_opts *o = cfg;
    (void)d;
    if (!strcmp(a, "json"))
        o->proto = 0;
    else if (!strcmp(a, "proto"))
        o->proto = 1;
    else {
        snprintf(err, n, "-I: expected json or proto, got '%s'", a);
        return -1;
    }
    return 0;
}

static int set_user(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    (void)d;
    return dupstr(&((sink_opts *)cfg)->http.user, a, err, n);
}

/* --ca-file, --cert, --key: http.c owns and frees them */
static int set_http_file(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    return dupstr((char **)(void *)((char *)cfg + d->off), a, err, n);
}

static int show_help(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    (void)cfg, (void)d, (void)a, (void)err, (void)n;
    cli_usage(stdout);
    return OPT_DONE;
}

static int show_version(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    (void)cfg, (void)d, (void)a, (void)err, (void)n;
    printf("tetra-sink 0.1.0 (index template v%d)\n", TEMPLATE_VERSION);
    return OPT_DONE;
}

/* A password without a user used to be dropped without a word, and the
 * cluster's 401 came only with the first request: say so at start, and
 * where the password came from. */
static int secrets(sink_opts *o)
{
    char err[512];
    const char *user = getenv("OPENSEARCH_USER");
    if (!o->http.user && user && *user && dupstr(&o->http.user, user, err, sizeof err) < 0) {
        errorf("%s", err);
        return -1;
    }
    const char *pw = getenv("OPENSEARCH_PASSWORD");
    if (!o->http.user && (o->password_file || (pw && *pw))) {
        errorf("%s: a password needs a user: give --user USER or set OPENSEARCH_USER",
               o->password_file ? "--password-file" : "OPENSEARCH_PASSWORD");
        return -1;
    }
    if (http_secret("OPENSEARCH_PASSWORD", o->password_file, &o->http.password, err, sizeof err) <
            0 ||
        http_secret("OPENSEARCH_API_KEY", o->api_key_file, &o->http.api_key, err, sizeof err) < 0 ||
        http_secret("OPENSEARCH_BEARER_TOKEN", o->bearer_file, &o->http.bearer, err, sizeof err) <
            0 ||
        http_conf_finish(&o->http, err, sizeof err) < 0 ||
        http_secret("TETRA_WEBHOOK_SECRET", o->webhook_secret_file, &o->webhook_secret, err,
                    sizeof err) < 0) {
        errorf("%s", err);
        return -1;
    }
    return 0;
}

static int check(sink_opts *o)
{
    if ((o->topic || o->dlq_topic) && !o->brokers) {
        errorf("-t and --dlq-topic need -b BROKERS");
        return -1;
    }
    if (o->incident_topic && !o->topic) {
        errorf("--incident-topic needs -t TOPIC: from stdin, incident lines come with the events");
        return -1;
    }
    if (o->incident_topic && o->topic && !strcmp(o->incident_topic, o->topic)) {
        errorf("--incident-topic: give a topic other than -t's");
        return -1;
    }
    if (o->dlq_path && o->dlq_topic) {
        errorf("choose one of --dlq and --dlq-topic");
        return -1;
    }
    if (!o->print_template && !o->emit_bulk && (!o->url || !*o->url)) {
        errorf("no OpenSearch URL: give --opensearch URL or set OPENSEARCH_URL");
        return -1;
    }
    char err[512];
    if (!o->data_stream && (doc_index_pattern_check(o->index_pattern, err, sizeof err) < 1 ||
                            o->index_pattern[0] == '%')) {
        errorf("--index: '%s' needs a fixed prefix and a date (e.g. tetragon-events-%%Y.%%m.%%d)",
               o->index_pattern);
        return -1;
    }
    if (doc_index_pattern_check(o->incident_index, err, sizeof err) < 1 ||
        o->incident_index[0] == '%') {
        errorf("--incident-index: '%s' needs a fixed prefix and a date (e.g. "
               "tetragon-incidents-%%Y.%%m.%%d)",
               o->incident_index);
        return -1;
    }
    return 0;
}

int cli_parse(sink_opts *o, int argc, char **argv)
{
    char err[512];
    defaults(o);
    if (conf_init(&o->kconf, NULL, NULL) < 0) {
        errorf("out of memory");
        return EXIT_RUNTIME;
    }
    if (opts_defaults(sink_opt_defs, sink_opt_count, o, err, sizeof err) < 0) {
        errorf("%s", err);
        return EXIT_RUNTIME;
    }
    int r = opts_parse(sink_opt_defs, sink_opt_count, o, argc, argv);
    if (r >= 0)
        return r;
    if (optind < argc) {
        errorf("unexpected argument '%s'", argv[optind]);
        msg_try_help();
        return EXIT_USAGE;
    }
    if (check(o) < 0 || secrets(o) < 0) {
        msg_try_help();
        return EXIT_USAGE;
    }
    if (o->metrics_addr && metrics_kafka_conf(o->kconf.rk, err, sizeof err) < 0) {
        errorf("--metrics-addr: %s", err);
        msg_try_help();
        return EXIT_USAGE;
    }
    return -1;
}

void cli_free(sink_opts *o)
{
    wipe_free_str(o->webhook_secret);
    http_conf_free(&o->http);
    conf_free(&o->kconf);
}
