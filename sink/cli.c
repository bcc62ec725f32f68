/* cli.c - option table and parsing for tetra-sink (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "doc.h"
#include "http/metrics.h"
#include "incident.h"
#include "util/msg.h"
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
    O_INCIDENT_TOPIC,
    O_INCIDENT_INDEX,
    O_ALERTMANAGER,
    O_WEBHOOK,
    O_WEBHOOK_SECRET_FILE,
    O_ALERT_MIN,
    O_ALERT_QUEUE
};

const opt_def sink_opt_defs[] = {
    {'b', "brokers", "BROKERS", "Kafka bootstrap servers (host:port,...)"},
    {'t', "topic", "TOPIC", "consume this topic instead of reading stdin"},
    {'G', "group", "GROUP", "consumer group (default tetra-sink)"},
    {'X', "property", "KEY=VALUE", "librdkafka property; -X list shows them all"},
    {'c', "config", "FILE", "read key=value librdkafka settings from FILE"},
    {'F', "format", "FORMAT", "stdin format: json (default) or proto (varint length-delimited)"},
    {O_INPUT_TYPE, "input-type", "TYPE",
     "binary records are auto (message-type header, else enriched), enriched or event"},
    {O_OPENSEARCH, "opensearch", "URL", "OpenSearch URL (default $OPENSEARCH_URL)"},
    {O_INDEX, "index", "PATTERN",
     "daily index name, strftime of the event's UTC day (default tetragon-events-%Y.%m.%d)"},
    {O_DATA_STREAM, "data-stream", "NAME", "write to this data stream instead of daily indices"},
    {O_TEMPLATE_NAME, "template-name", "NAME",
     "index template and ISM policy name (default tetragon-events)"},
    {O_NO_TEMPLATE, "no-template", NULL, "do not install or update the index template"},
    {O_PRINT_TEMPLATE, "print-template", NULL, "write the index template to stdout and exit"},
    {O_EMIT_BULK, "emit-bulk", NULL,
     "write the bulk request lines to stdout instead of sending them"},
    {O_RETENTION, "retention-days", "DAYS", "attach an ISM policy deleting indices after DAYS"},
    {O_CLUSTER, "cluster-name", "NAME", "orchestrator.cluster.name for events that carry none"},
    {'u', "user", "USER",
     "basic auth user (default $OPENSEARCH_USER); password from $OPENSEARCH_PASSWORD"},
    {O_PASSWORD_FILE, "password-file", "FILE", "read the basic auth password from FILE"},
    {O_API_KEY_FILE, "api-key-file", "FILE", "read an API key from FILE (or $OPENSEARCH_API_KEY)"},
    {O_BEARER_FILE, "bearer-file", "FILE",
     "read a bearer token from FILE (or $OPENSEARCH_BEARER_TOKEN)"},
    {O_CA_FILE, "ca-file", "FILE", "CA certificates to verify OpenSearch with"},
    {O_CERT, "cert", "FILE", "client certificate (PEM)"},
    {O_KEY, "key", "FILE", "client certificate key (PEM)"},
    {'k', "insecure", NULL, "do not verify OpenSearch's certificate"},
    {O_BATCH_DOCS, "batch-docs", "N", "documents per bulk request (default 1000)"},
    {O_BATCH_BYTES, "batch-bytes", "SIZE", "bytes per bulk request before gzip (default 5m)"},
    {O_LINGER, "linger-ms", "MS", "longest wait for a fuller request (default 200)"},
    {O_INFLIGHT, "inflight", "N", "bulk requests in flight at once (default 4)"},
    {O_NO_GZIP, "no-gzip", NULL, "send request bodies uncompressed"},
    {O_TIMEOUT, "timeout-ms", "MS", "time limit of one request (default 60000)"},
    {O_RETRY_MAX, "retry-max-ms", "MS", "longest retry backoff (default 15000)"},
    {O_MAX_QUEUED, "max-queued", "N", "documents held before reading pauses (default 20000)"},
    {O_DLQ, "dlq", "FILE", "append rejected records and documents to FILE with the reason"},
    {O_DLQ_TOPIC, "dlq-topic", "TOPIC", "produce them to this Kafka topic instead (needs -b)"},
    {O_DRAIN, "drain-ms", "MS",
     "on SIGTERM or end of input, wait this long for deliveries (default 60000)"},
    {O_MAX_RECORD, "max-record", "SIZE", "longest input record (default 4m)"},
    {O_INCIDENT_TOPIC, "incident-topic", "TOPIC",
     "also consume incident records from this topic (with -t)"},
    {O_INCIDENT_INDEX, "incident-index", "PATTERN",
     "daily incident index, strftime of first_time's UTC day "
     "(default tetragon-incidents-%Y.%m.%d)"},
    {O_ALERTMANAGER, "alertmanager", "URL", "post incident alerts to this Alertmanager (API v2)"},
    {O_WEBHOOK, "webhook", "URL", "post incident alerts as JSON to this URL"},
    {O_WEBHOOK_SECRET_FILE, "webhook-secret-file", "FILE",
     "sign webhook bodies (HMAC-SHA256) with the key in FILE (or $TETRA_WEBHOOK_SECRET)"},
    {O_ALERT_MIN, "alert-min-severity", "LEVEL",
     "lowest incident severity that alerts: info, low, medium, high (default) or critical"},
    {O_ALERT_QUEUE, "alert-queue", "N",
     "alerts held per destination before new ones are dropped (default 1000)"},
{O_METRICS_ADDR, "metrics-addr", "HOST:PORT", "serve /metrics, /healthz and /readyz there (:PORT: all interfaces)"},
    {O_LOG_FORMAT, "log-format", "FORMAT", "log lines as text (default) or json, one object per line"},
    {'q', "quiet", NULL, "errors only"},
    {'v', "verbose", NULL, "notes too"},
    {'h', "help", NULL, "show this help"},
    {'V', "version", NULL, "show the version"},
};
const size_t sink_opt_count = sizeof sink_opt_defs / sizeof sink_opt_defs[0];

void cli_usage(FILE *fp)
{
    fprintf(fp,
            "usage: tetra-sink [options] [--opensearch URL]\n"
            "       tetra-sink -b BROKERS -t TOPIC [-G GROUP] [options]\n"
            "Index Tetragon events (enriched or plain) from stdin or Kafka into OpenSearch.\n\n");
    opts_help(fp, sink_opt_defs, sink_opt_count);
}

static void defaults(sink_opts *o)
{
    memset(o, 0, sizeof *o);
    o->group = "tetra-sink";
    o->url = getenv("OPENSEARCH_URL");
    o->index_pattern = "tetragon-events-%Y.%m.%d";
    o->template_name = "tetragon-events";
    o->incident_index = INCIDENT_INDEX_DEFAULT;
    o->alert_min_severity = 4; /* high */
    o->alert_queue = 1000;
    o->batch_docs = 1000;
    o->batch_bytes = 5u << 20;
    o->max_queued = 20000;
    o->max_record = 4u << 20;
    o->linger_ms = 200;
    o->backoff_ms = 100;
    o->backoff_max_ms = 15000;
    o->drain_ms = 60000;
    o->commit_ms = 1000;
    o->inflight = 4;
    o->gzip = 1;
    o->verbosity = MSG_NORMAL;
    o->http.timeout_ms = 60000;
    o->http.connect_timeout_ms = 10000;
}

static int num(const char *name, const char *s, unsigned long long min, unsigned long long max,
               unsigned long long *out)
{
    if (opts_parse_size(s, min, max, out) == 0)
        return 0;
    errorf("--%s: expected a number from %llu to %llu, got '%s'", name, min, max, s);
    return -1;
}

static int dupstr(char **dst, const char *s)
{
    free(*dst);
    *dst = strdup(s);
    if (*dst)
        return 0;
    errorf("out of memory");
    return -1;
}

/* Index names go into JSON action lines unescaped, so refuse what would
 * need escaping, and what OpenSearch refuses in a name anyway (upper case
 * included), here rather than as a rejection of every document.  An
 * --index pattern may hold only the conversions that write digits (doc.c
 * knows which the event's day fills), so they are checked there and
 * skipped here. */
static int index_name_ok(const char *name, const char *s, int pattern)
{
    char err[512];
    if (pattern && doc_index_pattern_check(s, err, sizeof err) < 0) {
        errorf("--%s: %s", name, err);
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
        errorf("--%s: '%s' is not a usable index name: OpenSearch refuses '%c' in one (use "
               "lower case, none of \\ / * ? \" < > | , # : or space)",
               name, s, *p);
    else
        errorf("--%s: the name is empty", name);
    return -1;
}

static int set_long(sink_opts *o, int id, const char *arg)
{
    unsigned long long v;
    const opt_def *d = NULL;
    for (size_t i = 0; i < sink_opt_count; i++)
        if (sink_opt_defs[i].id == id)
            d = &sink_opt_defs[i];
    switch (id) {
    case O_RETENTION:
        if (num(d->name, arg, 1, 36500, &v))
            return -1;
        o->retention_days = (int)v;
        break;
    case O_BATCH_DOCS:
        if (num(d->name, arg, 1, 100000, &v))
            return -1;
        o->batch_docs = v;
        break;
    case O_BATCH_BYTES:
        if (num(d->name, arg, 1024, 1ull << 30, &v))
            return -1;
        o->batch_bytes = v;
        break;
    case O_LINGER:
        if (num(d->name, arg, 0, 600000, &v))
            return -1;
        o->linger_ms = (long)v;
        break;
    case O_INFLIGHT:
        if (num(d->name, arg, 1, 64, &v))
            return -1;
        o->inflight = (int)v;
        break;
    case O_TIMEOUT:
        if (num(d->name, arg, 100, 3600000, &v))
            return -1;
        o->http.timeout_ms = (long)v;
        break;
    case O_RETRY_MAX:
        if (num(d->name, arg, 1, 3600000, &v))
            return -1;
        o->backoff_max_ms = (long)v;
        break;
    case O_MAX_QUEUED:
        if (num(d->name, arg, 1, 10000000, &v))
            return -1;
        o->max_queued = v;
        break;
    case O_DRAIN:
        if (num(d->name, arg, 0, 86400000, &v))
            return -1;
        o->drain_ms = (long)v;
        break;
    case O_MAX_RECORD:
        if (num(d->name, arg, 1024, 1ull << 30, &v))
            return -1;
        o->max_record = v;
        break;
    case O_ALERT_QUEUE:
        if (num(d->name, arg, 1, 1000000, &v))
            return -1;
        o->alert_queue = v;
        break;
    default:
        return -1;
    }
    return 0;
}

static int set_input_type(sink_opts *o, const char *a)
{
    if (!strcmp(a, "auto"))
        o->input_type = RECORD_AUTO;
    else if (!strcmp(a, "enriched"))
        o->input_type = RECORD_ENRICHED;
    else if (!strcmp(a, "event"))
        o->input_type = RECORD_EVENT;
    else {
        errorf("--input-type: expected auto, enriched or event, got '%s'", a);
        return -1;
    }
    return 0;
}

static int set_format(sink_opts *o, const char *a)
{
    if (!strcmp(a, "json"))
        o->proto = 0;
    else if (!strcmp(a, "proto"))
        o->proto = 1;
    else {
        errorf("-F: expected json or proto, got '%s'", a);
        return -1;
    }
    return 0;
}

static int set_alert_min(sink_opts *o, const char *a)
{
    o->alert_min_severity = alert_severity_of(a);
    if (o->alert_min_severity)
        return 0;
    errorf("--alert-min-severity: expected info, low, medium, high or critical, got '%s'", a);
    return -1;
}

static int read_config(sink_opts *o, const char *path)
{
    char err[512];
    if (conf_read_file(&o->kconf, path, err, sizeof err) == 0)
        return 0;
    errorf("%s", err);
    return -1;
}

static int set_property(sink_opts *o, const char *a)
{
    char err[512];
    if (!strcmp(a, "list")) {
        conf_list(stdout);
        return 1;
    }
    if (conf_set_kv(&o->kconf, a, err, sizeof err) == 0)
        return 0;
    errorf("-X %s", err);
    return -1;
}

/* Files named on the command line; secrets are read after parsing. */
typedef struct secret_files {
    const char *password, *api_key, *bearer, *webhook;
} secret_files;

static int one(sink_opts *o, secret_files *sf, int c, const char *a)
{
    switch (c) {
    case 'b':
        o->brokers = a;
        return 0;
    case 't':
        o->topic = a;
        return 0;
    case 'G':
        o->group = a;
        return 0;
    case 'X':
        return set_property(o, a);
    case 'c':
        return read_config(o, a);
    case 'F':
        return set_format(o, a);
    case O_INPUT_TYPE:
        return set_input_type(o, a);
    case O_OPENSEARCH:
        o->url = a;
        return 0;
    case O_INDEX:
        o->index_pattern = a;
        return index_name_ok("index", a, 1);
    case O_DATA_STREAM:
        o->data_stream = a;
        return index_name_ok("data-stream", a, 0);
    case O_TEMPLATE_NAME:
        o->template_name = a;
        return index_name_ok("template-name", a, 0);
    case O_NO_TEMPLATE:
        o->no_template = 1;
        return 0;
    case O_PRINT_TEMPLATE:
        o->print_template = 1;
        return 0;
    case O_EMIT_BULK:
        o->emit_bulk = 1;
        return 0;
    case O_CLUSTER:
        o->cluster_name = a;
        return 0;
    case 'u':
        return dupstr(&o->http.user, a);
    case O_PASSWORD_FILE:
        sf->password = a;
        return 0;
    case O_API_KEY_FILE:
        sf->api_key = a;
        return 0;
    case O_BEARER_FILE:
        sf->bearer = a;
        return 0;
    case O_CA_FILE:
        return dupstr(&o->http.ca_file, a);
    case O_CERT:
        return dupstr(&o->http.cert, a);
    case O_KEY:
        return dupstr(&o->http.key, a);
    case 'k':
        o->http.insecure = 1;
        return 0;
    case O_NO_GZIP:
        o->gzip = 0;
        return 0;
    case O_DLQ:
        o->dlq_path = a;
        return 0;
    case O_DLQ_TOPIC:
        o->dlq_topic = a;
        return 0;
    case O_METRICS_ADDR: {
        char err[300];
        if (metrics_addr_check(a, err, sizeof err) < 0) {
            errorf("%s", err);
            return -1;
        }
        o->metrics_addr = a;
        return 0;
    }
    case O_LOG_FORMAT:
        return msg_format_option(a);
    case O_INCIDENT_TOPIC:
        o->incident_topic = a;
        return 0;
    case O_INCIDENT_INDEX:
        o->incident_index = a;
        return index_name_ok("incident-index", a, 1);
    case O_ALERTMANAGER:
        o->alertmanager = a;
        return 0;
    case O_WEBHOOK:
        o->webhook = a;
        return 0;
    case O_WEBHOOK_SECRET_FILE:
        sf->webhook = a;
        return 0;
    case O_ALERT_MIN:
        return set_alert_min(o, a);
    case 'q':
        o->verbosity = MSG_QUIET;
        return 0;
    case 'v':
        o->verbosity = MSG_VERBOSE;
        return 0;
    case 'h':
        cli_usage(stdout);
        return 1;
    case 'V':
        printf("tetra-sink 0.1.0 (index template v%d)\n", TEMPLATE_VERSION);
        return 1;
    default:
        return set_long(o, c, a);
    }
}

/* A password without a user used to be dropped without a word, and the
 * cluster's 401 came only with the first request: say so at start, and
 * where the password came from. */
static int secrets(sink_opts *o, const secret_files *sf)
{
    char err[512];
    const char *user = getenv("OPENSEARCH_USER");
    if (!o->http.user && user && *user && dupstr(&o->http.user, user) < 0)
        return -1;
    const char *pw = getenv("OPENSEARCH_PASSWORD");
    if (!o->http.user && (sf->password || (pw && *pw))) {
        errorf("%s: a password needs a user: give --user USER or set OPENSEARCH_USER",
               sf->password ? "--password-file" : "OPENSEARCH_PASSWORD");
        return -1;
    }
    if (http_secret("OPENSEARCH_PASSWORD", sf->password, &o->http.password, err, sizeof err) < 0 ||
        http_secret("OPENSEARCH_API_KEY", sf->api_key, &o->http.api_key, err, sizeof err) < 0 ||
        http_secret("OPENSEARCH_BEARER_TOKEN", sf->bearer, &o->http.bearer, err, sizeof err) < 0 ||
        http_conf_finish(&o->http, err, sizeof err) < 0 ||
        http_secret("TETRA_WEBHOOK_SECRET", sf->webhook, &o->webhook_secret, err, sizeof err) < 0) {
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
    defaults(o);
    if (conf_init(&o->kconf, NULL, NULL) < 0) {
        errorf("out of memory");
        return 2;
    }
    struct option longopts[64];
    char shortopts[200];
    if (opts_build(sink_opt_defs, sink_opt_count, longopts, 64, shortopts, sizeof shortopts) < 0) {
        errorf("option table too large");
        return 2;
    }
    secret_files sf = {0};
    int c, r;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == '?' || c == ':') {
            char msg[256];
            opts_error(sink_opt_defs, sink_opt_count, c, optopt, argv[optind - 1], msg, sizeof msg);
            errorf("%s", msg);
            return 2;
        }
        if ((r = one(o, &sf, c, optarg)) != 0)
            return r < 0 ? 2 : 1;
    }
    if (optind < argc) {
        errorf("unexpected argument '%s'", argv[optind]);
        return 2;
    }
    msg_set_level(o->verbosity);
    if (check(o) < 0 || secrets(o, &sf) < 0)
        return 2;
    char err[512];
    if (o->metrics_addr && metrics_kafka_conf(o->kconf.rk, err, sizeof err) < 0) {
        errorf("--metrics-addr: %s", err);
        return 2;
    }
    return 0;
}

void cli_free(sink_opts *o)
{
    if (o->webhook_secret)
        memset(o->webhook_secret, 0, strlen(o->webhook_secret));
    free(o->webhook_secret);
    http_conf_free(&o->http);
    conf_free(&o->kconf);
}
