/* cli.c - tetra-enrich's option table and its setters.
 *
 * The table is the only list of options: each row carries its default, its
 * range and its setter, getopt_long's tables, the defaults and --help come
 * from it, and tests/integration/05_manpages.sh checks man/tetra-enrich.1
 * against --help.  Defaults for the LLM come from the
 * environment the OpenAI tools use (OPENAI_BASE_URL, OPENAI_API_KEY) so a
 * sidecar needs no secret in its argv; for the same reason TETRA_KAFKA_*
 * variables are read, before -X so that -X wins over them. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "http/http.h"
#include "kafka/kafka_in.h"
#include "http/metrics.h"
#include "util/msg.h"
#include "util/prog.h"
#include "util/wipe.h"
#include "util/options.h"
#include "prompt.h"

#ifndef TETRA_VERSION
#define TETRA_VERSION "0.1.0"
#endif

extern char **environ; /* POSIX; glibc declares it only for _GNU_SOURCE */

enum {
    O_NO_BUILTIN = OPT_LONG_ONLY,
    O_LIST,
    O_DRY,
    O_URL,
    O_MODEL,
    O_KEYFILE,
    O_LLM_CA,
    O_AZURE,
    O_MODE,
    O_TIMEOUT,
    O_RETRIES,
    O_MINSEV,
    O_DAILY,
    O_RPM,
    O_TPM,
    O_CSIZE,
    O_CTTL,
    O_PIN,
    O_POUT,
    O_NOREDACT,
    O_MAXREC,
    O_BREAKER,
    O_CACHE_TOPIC,
    O_IDLE,
    O_CONC,
    O_COOLDOWN,
    O_TXN,
    O_ORDERED,
    O_MAXPEND,
    O_METRICS_ADDR,
    O_LOG_FORMAT,
    O_INC,
    O_INC_TOPIC,
    O_INC_MINSEV,
    O_INC_IDLE,
    O_INC_MAX,
    O_INC_EVENTS,
    O_LIN_MAX,
    O_LIN_GRACE,
    O_PER_EVENT,
    O_CLUSTER,
};

/* Setters with more to do than store a field; defined below the table. */
static int set_input_format(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_output_format(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int add_rules(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_ca_file(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_azure(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_mode(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_severity(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_incident_topic(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_seconds_as_ms(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_property(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int set_config(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int show_help(void *cfg, const opt_def *d, const char *a, char *err, size_t n);
static int show_version(void *cfg, const opt_def *d, const char *a, char *err, size_t n);

#define AT(field) .off = offsetof(enrich_opts, field)
#define MANY 1e15 /* "no limit" for counters that only need to be finite */

static const opt_def options[] = {
    {'b', "brokers", "BROKERS", "Kafka bootstrap servers (host:port,...)", opt_set_str,
     AT(brokers)},
    {'t', "topic", "TOPIC", "consume this raw topic instead of reading stdin", opt_set_str,
     AT(in_topic)},
    {'G', "group", "GROUP", "consumer group", opt_set_str, AT(group), .def = "tetra-enrich"},
    {'T', "output-topic", "TOPIC", "produce enriched records to this topic (with -t)", opt_set_str,
     AT(out_topic)},
    {O_CACHE_TOPIC, "cache-topic", "TOPIC",
     "share the explanation cache through this compacted topic", opt_set_str, AT(cache_topic)},
    {O_TXN, "transactional-id", "ID",
     "with -t: exactly-once, input offsets and output in Kafka transactions", opt_set_str,
     AT(txn_id)},
    {O_IDLE, "idle-exit", "MS", "with -t: exit after MS without a record, 0: never", opt_set_u64,
     AT(idle_exit_ms), 0, MANY, .def = "0"},
    {'X', "property", "KEY=VALUE", "librdkafka property; -X list shows them all", set_property,
     AT(kconf)},
    {'c', "config", "FILE", "read key=value librdkafka settings from FILE", set_config, AT(kconf)},
    {'I', "input-format", "FORMAT", "input format: json or proto (length-delimited)",
     set_input_format, .def = "json"},
    {'F', "format", "FORMAT", "output format: json or proto (length-delimited)", set_output_format,
     .def = "json"},
    {'r', "rules", "FILE", "load rules from FILE before the built-in ones (repeatable)",
     .set = add_rules},
    {O_NO_BUILTIN, "no-builtin-rules", NULL, "do not load the built-in rules", opt_set_true,
     AT(ec.no_builtin)},
    {O_LIST, "list-rules", NULL, "print the built-in rules in rules-file format and exit",
     opt_set_true, AT(list_rules)},
    {'n', "no-llm", NULL, "rules only: never call the LLM", opt_set_false, AT(ec.use_llm)},
    {O_DRY, "dry-run", NULL, "print the LLM requests that would be sent, send nothing",
     opt_set_true, AT(ec.dry_run)},
    {O_URL, "llm-url", "URL", "chat-completions base URL, else $OPENAI_BASE_URL or $LLM_URL",
     opt_set_str, AT(ec.llm.url)},
    {O_MODEL, "llm-model", "NAME", "model or deployment name, else $LLM_MODEL", opt_set_str,
     AT(ec.model)},
    {O_KEYFILE, "llm-key-file", "FILE", "read the API key from FILE, else $OPENAI_API_KEY",
     opt_set_str, AT(key_file)},
    {O_LLM_CA, "llm-ca-file", "FILE",
     "CA certificates to verify an https LLM URL with, not the system's", .set = set_ca_file},
    {O_AZURE, "llm-azure", "VERSION", "Azure OpenAI: api-key header and this api-version",
     .set = set_azure},
    {O_MODE, "llm-mode", "MODE", "reply constraint: json_schema, json_object or grammar", set_mode,
     .def = "json_schema"},
    {O_TIMEOUT, "llm-timeout", "MS", "time limit per LLM request", opt_set_long,
     AT(ec.llm.timeout_ms), 1, 600000, .def = "30000"},
    {O_RETRIES, "llm-retries", "N", "retries on 429, 5xx and transport errors", opt_set_int,
     AT(ec.llm.max_retries), 0, 20, .def = "3"},
    {O_BREAKER, "llm-breaker", "N", "open the circuit after N failures in a row", opt_set_unsigned,
     AT(ec.breaker_failures), 1, 1000, .def = "3"},
    {O_COOLDOWN, "llm-cooldown", "MS",
     "rules only for MS after the circuit opens, then one trial call", opt_set_u64,
     AT(ec.breaker_cooldown_ms), 0, 86400000, .def = "30000"},
    {O_CONC, "llm-concurrency", "N", "LLM requests in flight at once", opt_set_unsigned,
     AT(ec.llm.concurrency), 1, 1024, .def = "16"},
    {O_MAXPEND, "max-pending", "N",
     "records held at once, waiting or in order; reading pauses when full", opt_set_size,
     AT(max_pending), 1, 1000000, .def = "1000"},
    {O_ORDERED, "ordered", NULL, "write records in input order, not each as soon as it is ready",
     opt_set_true, AT(ordered)},
    {O_MINSEV, "min-severity", "SEVERITY", "ask the LLM for rules severity >= SEVERITY",
     set_severity, AT(ec.min_severity), .def = "medium"},
    {O_DAILY, "daily-tokens", "N", "LLM token budget per UTC day, 0: none", opt_set_u64,
     AT(ec.daily_tokens), 0, MANY, .def = "0"},
    {O_RPM, "rpm", "N", "at most N LLM requests per minute, 0: no limit", opt_set_double,
     AT(ec.rpm), 0, MANY, .def = "0"},
    {O_TPM, "tpm", "N", "at most N LLM tokens per minute, 0: no limit", opt_set_double, AT(ec.tpm),
     0, MANY, .def = "0"},
    {O_CSIZE, "cache-size", "N", "cached explanations kept", opt_set_size, AT(ec.cache_max), 1, 1e8,
     .def = "10000"},
    {O_CTTL, "cache-ttl", "SECONDS", "how long an explanation is reused", opt_set_u64,
     AT(ec.cache_ttl_s), 0, MANY, .def = "86400"},
    {O_PIN, "price-in", "PRICE", "cost per million input tokens, for est_cost", opt_set_double,
     AT(ec.price_in), 0, MANY, .def = "0"},
    {O_POUT, "price-out", "PRICE", "cost per million output tokens, for est_cost", opt_set_double,
     AT(ec.price_out), 0, MANY, .def = "0"},
    {O_NOREDACT, "no-redact-event", NULL,
     "keep secrets in the event's arguments (LLM still redacted)", opt_set_false,
     AT(ec.redact_event)},
    {O_MAXREC, "max-record-bytes", "N", "reject input records over N bytes", opt_set_size,
     AT(max_record), 64, 1 << 30, .def = "1m"},
    {O_INC, "incidents", NULL, "group events into incidents and write incident records",
     opt_set_true, AT(incidents)},
    {O_INC_TOPIC, "incident-topic", "TOPIC",
     "with -t: produce incident records to this topic (implies --incidents)",
     .set = set_incident_topic},
    {O_INC_MINSEV, "incident-min-severity", "SEVERITY",
     "an event at or above SEVERITY opens an incident", set_severity, AT(incident_min_severity),
     .def = "low"},
    {O_INC_IDLE, "incident-idle", "SECONDS",
     "close an incident after SECONDS of event time without events", set_seconds_as_ms,
     AT(incident_idle_ms), 1, 86400, .def = "60"},
    {O_INC_MAX, "incident-max", "SECONDS",
     "close an incident SECONDS of event time after it opened", set_seconds_as_ms,
     AT(incident_max_ms), 1, 604800, .def = "900"},
    {O_INC_EVENTS, "incident-max-events", "N",
     "timeline entries kept per incident; the rest are counted", opt_set_size,
     AT(incident_max_events), 1, 10000, .def = "100"},
    {O_LIN_MAX, "lineage-max", "N", "processes tracked per node", opt_set_size, AT(lineage_max), 16,
     1e8, .def = "200000"},
    {O_LIN_GRACE, "lineage-grace", "SECONDS", "keep exited processes this long of event time",
     set_seconds_as_ms, AT(lineage_grace_ms), 0, 86400, .def = "120"},
    {O_PER_EVENT, "llm-per-event", NULL,
     "with --incidents: also ask the LLM per event, not per incident only", opt_set_true,
     AT(llm_per_event)},
    {O_CLUSTER, "cluster", "NAME", "cluster name put in incident records (none when not given)",
     opt_set_str, AT(cluster)},
    {O_METRICS_ADDR, "metrics-addr", "HOST:PORT",
     "serve /metrics, /healthz and /readyz there (:PORT: all interfaces)", metrics_opt_set,
     AT(metrics_addr)},
    {O_LOG_FORMAT, "log-format", "FORMAT", "log lines as text or json, one object per line",
     opt_set_log_format, .def = "text"},
    {'q', "quiet", NULL, "print errors only: no warnings, no summary", opt_set_quiet,
     AT(verbosity)},
    {'v', "verbose", NULL, "print notes", opt_set_verbose, AT(verbosity)},
    {'h', "help", NULL, "show this help and exit", .set = show_help},
    {'V', "version", NULL, "show the version and exit", .set = show_version},
};
#define NOPTS (sizeof options / sizeof options[0])

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: %s [OPTIONS]\n"
            "Read Tetragon events from stdin, add an enrichment (rules, then the LLM\n"
            "for what deserves it) and write tetragonsidekick.EnrichedEvent records.\n\n"
            "options:\n",
            msg_progname());
    opts_help(fp, options, NOPTS);
    opts_help_aliases(fp, options, NOPTS);
    fprintf(fp, "\nenvironment: OPENAI_BASE_URL (or LLM_URL), OPENAI_API_KEY, LLM_MODEL;\n"
                "TETRA_KAFKA_<PROPERTY> sets a librdkafka property under -X.\n"
                "exit status: 0 ok, 1 runtime failure, 2 usage error.\n");
}

/* What no option sets, and the defaults that come from the environment. */
static void defaults(enrich_opts *o)
{
    memset(o, 0, sizeof *o);
    engine_conf *c = &o->ec;
    c->use_llm = 1;
    c->redact_event = 1;
    c->max_tokens = 400;
    c->llm.url = getenv("OPENAI_BASE_URL");
    if (c->llm.url == NULL || c->llm.url[0] == '\0')
        c->llm.url = getenv("LLM_URL");
    c->model = getenv("LLM_MODEL");
    c->llm.connect_timeout_ms = 2000;
    c->llm.backoff_ms = 500;
    c->llm.max_wait_ms = 10000;
    c->dry_out = stdout;
    o->verbosity = MSG_NORMAL;
    o->cluster = "";
}

/* json or proto */
static int parse_format(const opt_def *d, const char *arg, int *proto, char *err, size_t n)
{
    if (strcmp(arg, "json") == 0 || strcmp(arg, "proto") == 0) {
        *proto = strcmp(arg, "proto") == 0;
        return 0;
    }
    snprintf(err, n, "-%c: expected json or proto, got '%s'", d->id, arg);
    return -1;
}

static int set_input_format(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    int proto;
    if (parse_format(d, a, &proto, err, n) < 0)
        return -1;
    ((enrich_opts *)cfg)->input = proto ? FRAMER_VARINT : FRAMER_JSON;
    return 0;
}

static int set_output_format(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    return parse_format(d, a, &((enrich_opts *)cfg)->output_proto, err, n);
}

static int add_rules(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    enrich_opts *o = cfg;
    (void)d;
    if (o->nrules == CLI_MAX_RULES) {
        snprintf(err, n, "-r: at most %d rules files", CLI_MAX_RULES);
        return -1;
    }
    o->rules[o->nrules++] = a;
    return 0;
}

/* unreadable: a usage error now, not a failed call per record later */
static int set_ca_file(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    (void)d;
    if (access(a, R_OK) != 0) {
        snprintf(err, n, "--llm-ca-file: cannot read '%s': %s", a, strerror(errno));
        return -1;
    }
    ((enrich_opts *)cfg)->ec.llm.ca_file = a;
    return 0;
}

static int set_azure(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    enrich_opts *o = cfg;
    (void)d, (void)err, (void)n;
    o->ec.llm.azure = 1;
    o->ec.llm.azure_api_version = a;
    return 0;
}

static int set_mode(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    (void)d;
    int mode = prompt_mode_parse(a);
    if (mode < 0) {
        snprintf(err, n, "--llm-mode: expected json_schema, json_object or grammar, got '%s'", a);
        return -1;
    }
    ((enrich_opts *)cfg)->ec.mode = mode;
    return 0;
}

/* --min-severity and --incident-min-severity: a severity name into the
 * int at d->off */
static int set_severity(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    int sev = sev_parse(a);
    if (sev < 0) {
        snprintf(err, n, "--%s: '%s' is not a severity (info, low, medium, high, critical)",
                 d->name, a);
        return -1;
    }
    *(int *)(void *)((char *)cfg + d->off) = sev;
    return 0;
}

static int set_incident_topic(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    enrich_opts *o = cfg;
    (void)d, (void)err, (void)n;
    o->incident_topic = a;
    o->incidents = 1;
    return 0;
}

/* SECONDS on the command line, milliseconds (int64_t) in the settings */
static int set_seconds_as_ms(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    double v;
    if (opts_number(d, a, &v, err, n) < 0)
        return -1;
    *(int64_t *)(void *)((char *)cfg + d->off) = (int64_t)(v * 1000);
    return 0;
}

/* -X and -c land in both configurations, the producers' (the row's
 * kconf) and the consumer's (kconf_in): the shared setter, twice */
static int both_confs(opt_setter set, void *cfg, const opt_def *d, const char *a, char *err,
                      size_t n)
{
    opt_def in = *d;
    in.off = offsetof(enrich_opts, kconf_in);
    int r = set(cfg, d, a, err, n);
    return r != 0 ? r : set(cfg, &in, a, err, n);
}

static int set_property(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    return both_confs(opt_set_property, cfg, d, a, err, n);
}

static int set_config(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    return both_confs(opt_set_config_file, cfg, d, a, err, n);
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
    printf("tetra-enrich %s\n", TETRA_VERSION);
    return OPT_DONE;
}

/* The Kafka settings before the command line: the consumer defaults under
 * kconf_in's, then TETRA_KAFKA_* in both, so -X lands over them.  Returns
 * 0, or EXIT_USAGE after printing why. */
static int kafka_start(enrich_opts *o)
{
    char err[512];
    if (conf_init(&o->kconf, NULL, NULL) < 0 || conf_init(&o->kconf_in, NULL, NULL) < 0 ||
        kafka_in_defaults(o->kconf_in.rk, NULL, NULL, err, sizeof err) < 0) {
        errorf("cannot set up the Kafka configuration");
        return EXIT_USAGE;
    }
    if (conf_read_env(&o->kconf, environ, "TETRA_KAFKA_", err, sizeof err) < 0 ||
        conf_read_env(&o->kconf_in, environ, "TETRA_KAFKA_", err, sizeof err) < 0) {
        errorf("environment: %s", err);
        return EXIT_USAGE;
    }
    return 0;
}

static int kafka_finish(enrich_opts *o)
{
    if ((o->in_topic || o->cache_topic) && o->brokers == NULL) {
        errorf("-t and --cache-topic need -b BROKERS");
        return EXIT_USAGE;
    }
    if ((o->in_topic == NULL) != (o->out_topic == NULL)) {
        errorf("-t and -T go together: consume one topic, produce the other");
        return EXIT_USAGE;
    }
    if (o->txn_id && o->in_topic == NULL) {
        errorf("--transactional-id needs -t and -T");
        return EXIT_USAGE;
    }
    char err[512];
    if (o->metrics_addr && (metrics_kafka_conf(o->kconf.rk, err, sizeof err) < 0 ||
                            metrics_kafka_conf(o->kconf_in.rk, err, sizeof err) < 0)) {
        errorf("--metrics-addr: %s", err);
        return EXIT_USAGE;
    }
    o->kafka = conf_take_kafka(&o->kconf);
    if (o->kafka == NULL)
        return EXIT_USAGE;
    /* Built here so that a setting the consumer cannot run with
     * (enable.auto.commit=true) is a usage error before any network wait;
     * -b and -G go under TETRA_KAFKA_* and -X, like tetra-sink's. */
    if (o->in_topic && (o->consumer = kafka_in_conf(o->kconf_in.rk, o->brokers, o->group, NULL, err,
                                                    sizeof err)) == NULL) {
        errorf("kafka: %s", err);
        return EXIT_USAGE;
    }
    return 0;
}

/* --incidents: where the records go, and who calls the LLM. */
static int incidents_finish(enrich_opts *o)
{
    if (!o->incidents)
        return 0;
    if (o->incident_topic && o->in_topic == NULL) {
        errorf("--incident-topic needs -t (stdin mode writes incidents to stdout)");
        return EXIT_USAGE;
    }
    if (o->in_topic && o->incident_topic == NULL) {
        errorf("--incidents with -t needs --incident-topic");
        return EXIT_USAGE;
    }
    if (o->txn_id) {
        errorf("--incidents does not run with --transactional-id yet");
        return EXIT_USAGE;
    }
    if (!o->in_topic && o->output_proto) {
        errorf("--incidents on stdout needs -F json (incident lines between event lines)");
        return EXIT_USAGE;
    }
    o->incident_llm = o->ec.use_llm && !o->ec.dry_run;
    return 0;
}

static int finish(enrich_opts *o)
{
    engine_conf *c = &o->ec;
    char err[256];
    int k = kafka_finish(o);
    if (k == 0)
        k = incidents_finish(o);
    if (k != 0)
        return k;
    if (c->dry_run)
        c->use_llm = 1;
    if (c->dry_run && o->in_topic)
        c->dry_out = stderr; /* Kafka: stdout is no data channel */
    if (!c->use_llm)
        return 0;
    if (c->llm.url == NULL || c->llm.url[0] == '\0') {
        errorf("the LLM needs --llm-url or OPENAI_BASE_URL (or use --no-llm)");
        return EXIT_USAGE;
    }
    if (c->model == NULL || c->model[0] == '\0') {
        errorf("the LLM needs --llm-model or LLM_MODEL (or use --no-llm)");
        return EXIT_USAGE;
    }
    if (http_secret("OPENAI_API_KEY", o->key_file, &o->api_key, err, sizeof err) < 0) {
        errorf("%s", err);
        return EXIT_USAGE;
    }
    c->llm.api_key = o->api_key;
    /* incidents are the LLM's unit: the per-event calls only when asked */
    if (o->incidents && !o->llm_per_event && !c->dry_run)
        c->use_llm = 0;
    return 0;
}

int cli_parse(int argc, char **argv, enrich_opts *o)
{
    char err[512];
    defaults(o);
    if (kafka_start(o) != 0) {
        msg_try_help();
        return EXIT_USAGE;
    }
    if (opts_defaults(options, NOPTS, o, err, sizeof err) < 0) {
        errorf("%s", err);
        return EXIT_RUNTIME;
    }
    int rc = opts_parse(options, NOPTS, o, argc, argv);
    if (rc >= 0)
        return rc;
    if (optind < argc) {
        errorf("unexpected argument \"%s\"; input is read from stdin", argv[optind]);
        msg_try_help();
        return EXIT_USAGE;
    }
    o->ec.rules_files = o->rules;
    if (o->list_rules)
        return -1;
    if (finish(o) != 0) {
        msg_try_help();
        return EXIT_USAGE;
    }
    return -1;
}

void cli_free(enrich_opts *o)
{
    wipe_free_str(o->api_key);
    o->api_key = NULL;
    if (o->kafka)
        rd_kafka_conf_destroy(o->kafka);
    o->kafka = NULL;
    if (o->consumer)
        rd_kafka_conf_destroy(o->consumer);
    o->consumer = NULL;
    conf_free(&o->kconf);
    conf_free(&o->kconf_in);
}
