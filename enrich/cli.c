/* cli.c - tetra-enrich's option table and its parsing.
 *
 * The table is the only list of options: getopt_long's tables and --help
 * come from it, and tests/integration/05_manpages.sh checks
 * man/tetra-enrich.1 against --help.  Defaults for the LLM come from the
 * environment the OpenAI tools use (OPENAI_BASE_URL, OPENAI_API_KEY) so a
 * sidecar needs no secret in its argv; for the same reason TETRA_KAFKA_*
 * variables are read, before -X so that -X wins over them. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "http/http.h"
#include "kafka/kafka_in.h"
#include "http/metrics.h"
#include "util/msg.h"
#include "util/options.h"
#include "prompt.h"

#ifndef TETRA_VERSION
#define TETRA_VERSION "0.1.0"
#endif

extern char **environ; /* POSIX; glibc declares it only for _GNU_SOURCE */

enum {
    O_NO_BUILTIN = OPT_LONG_ONLY, O_LIST, O_DRY, O_URL, O_MODEL, O_KEYFILE, O_LLM_CA, O_AZURE, O_MODE,
    O_TIMEOUT, O_RETRIES, O_MINSEV, O_DAILY, O_RPM, O_TPM, O_CSIZE, O_CTTL, O_PIN, O_POUT,
    O_NOREDACT, O_MAXREC, O_BREAKER, O_CACHE_TOPIC, O_IDLE, O_CONC, O_COOLDOWN, O_TXN, O_ORDERED, O_MAXPEND,
    O_METRICS_ADDR, O_LOG_FORMAT,
};

static const opt_def options[] = {
    {'b', "brokers", "BROKERS", "Kafka bootstrap servers (host:port,...)"},
    {'t', "topic", "TOPIC", "consume this raw topic instead of reading stdin"},
    {'G', "group", "GROUP", "consumer group (default tetra-enrich)"},
    {'T', "output-topic", "TOPIC", "produce enriched records to this topic (with -t)"},
    {O_CACHE_TOPIC, "cache-topic", "TOPIC", "share the explanation cache through this compacted topic"},
    {O_TXN, "transactional-id", "ID", "with -t: exactly-once, input offsets and output in Kafka transactions"},
    {O_IDLE, "idle-exit", "MS", "with -t: exit after MS without a record (default 0: never)"},
    {'X', "property", "KEY=VALUE", "librdkafka property; -X list shows them all"},
    {'I', "input-format", "FORMAT", "input format: json (default) or proto (length-delimited)"},
    {'F', "format", "FORMAT", "output format: json (default) or proto (length-delimited)"},
    {'r', "rules", "FILE", "load rules from FILE before the built-in ones (repeatable)"},
    {O_NO_BUILTIN, "no-builtin-rules", NULL, "do not load the built-in rules"},
    {O_LIST, "list-rules", NULL, "print the built-in rules in rules-file format and exit"},
    {'n', "no-llm", NULL, "rules only: never call the LLM"},
    {O_DRY, "dry-run", NULL, "print the LLM requests that would be sent, send nothing"},
    {O_URL, "llm-url", "URL", "chat-completions base URL (default $OPENAI_BASE_URL, $LLM_URL)"},
    {O_MODEL, "llm-model", "NAME", "model or deployment name (default $LLM_MODEL)"},
    {O_KEYFILE, "llm-key-file", "FILE", "read the API key from FILE (default $OPENAI_API_KEY)"},
    {O_LLM_CA, "llm-ca-file", "FILE", "CA certificates to verify an https LLM URL with (default: system store)"},
    {O_AZURE, "llm-azure", "VERSION", "Azure OpenAI: api-key header and this api-version"},
    {O_MODE, "llm-mode", "MODE", "reply constraint: json_schema (default), json_object or grammar"},
    {O_TIMEOUT, "llm-timeout", "MS", "time limit per LLM request (default 30000)"},
    {O_RETRIES, "llm-retries", "N", "retries on 429, 5xx and transport errors (default 3)"},
    {O_BREAKER, "llm-breaker", "N", "open the circuit after N failures in a row (default 3)"},
    {O_COOLDOWN, "llm-cooldown", "MS", "rules only for MS after the circuit opens, then one trial call (default 30000)"},
    {O_CONC, "llm-concurrency", "N", "LLM requests in flight at once (default 16)"},
    {O_MAXPEND, "max-pending", "N", "records held at once, waiting or in order; reading pauses when full (default 1000)"},
    {O_ORDERED, "ordered", NULL, "write records in input order (default: each as soon as it is ready)"},
    {O_MINSEV, "min-severity", "SEV", "ask the LLM for rules severity >= SEV (default medium)"},
    {O_DAILY, "daily-tokens", "N", "LLM token budget per UTC day (default 0: none)"},
    {O_RPM, "rpm", "N", "at most N LLM requests per minute (default 0: no limit)"},
    {O_TPM, "tpm", "N", "at most N LLM tokens per minute (default 0: no limit)"},
    {O_CSIZE, "cache-size", "N", "cached explanations kept (default 10000)"},
    {O_CTTL, "cache-ttl", "SECONDS", "how long an explanation is reused (default 86400)"},
    {O_PIN, "price-in", "PRICE", "cost per million input tokens, for est_cost (default 0)"},
    {O_POUT, "price-out", "PRICE", "cost per million output tokens, for est_cost (default 0)"},
    {O_NOREDACT, "no-redact-event", NULL, "keep secrets in the event's arguments (LLM still redacted)"},
    {O_MAXREC, "max-record-bytes", "N", "reject input records over N bytes (default 1M)"},
    {O_METRICS_ADDR, "metrics-addr", "HOST:PORT", "serve /metrics, /healthz and /readyz there (:PORT: all interfaces)"},
    {O_LOG_FORMAT, "log-format", "FORMAT", "log lines as text (default) or json, one object per line"},
    {'q', "quiet", NULL, "print errors only: no warnings, no summary"},
    {'v', "verbose", NULL, "print notes"},
    {'h', "help", NULL, "show this help and exit"},
    {'V', "version", NULL, "show the version and exit"},
};
#define NOPTS (sizeof options / sizeof options[0])

static void usage(FILE *fp) {
    fprintf(fp, "usage: %s [OPTIONS]\n"
                "Read Tetragon events from stdin, add an enrichment (rules, then the LLM\n"
                "for what deserves it) and write tetragonsidekick.EnrichedEvent records.\n\n"
                "options:\n", msg_progname());
    opts_help(fp, options, NOPTS);
    fprintf(fp, "\nenvironment: OPENAI_BASE_URL (or LLM_URL), OPENAI_API_KEY, LLM_MODEL;\n"
                "TETRA_KAFKA_<PROPERTY> sets a librdkafka property under -X.\n"
                "exit status: 0 ok, 1 runtime failure, 2 usage error.\n");
}

static int num(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || d < lo || d > hi) return -1;
    *out = d;
    return 0;
}

static void defaults(enrich_opts *o) {
    memset(o, 0, sizeof *o);
    engine_conf *c = &o->ec;
    c->use_llm = 1;
    c->redact_event = 1;
    c->mode = PROMPT_JSON_SCHEMA;
    c->max_tokens = 400;
    c->min_severity = SEV_MEDIUM;
    c->cache_max = 10000;
    c->cache_ttl_s = 86400;
    c->breaker_failures = 3;
    c->breaker_cooldown_ms = 30000;
    c->llm.url = getenv("OPENAI_BASE_URL");
    if (c->llm.url == NULL || c->llm.url[0] == '\0') c->llm.url = getenv("LLM_URL");
    c->model = getenv("LLM_MODEL");
    c->llm.timeout_ms = 30000;
    c->llm.connect_timeout_ms = 2000;
    c->llm.max_retries = 3;
    c->llm.backoff_ms = 500;
    c->llm.max_wait_ms = 10000;
    c->dry_out = stdout;
    o->verbosity = MSG_NORMAL;
    o->max_record = 1 << 20;
    o->max_pending = 1000;
    c->llm.concurrency = 16;
}

/* Options that take a number.  Returns 0, or -1 when out of range. */
static int set_number(enrich_opts *o, int id, const char *arg) {
    engine_conf *c = &o->ec;
    double d;
    if (num(arg, 0, 1e15, &d) < 0) return -1;
    switch (id) {
    case O_TIMEOUT: if (d < 1 || d > 600000) return -1; c->llm.timeout_ms = (long)d; break;
    case O_RETRIES: if (d > 20) return -1; c->llm.max_retries = (int)d; break;
    case O_BREAKER: if (d < 1 || d > 1000) return -1; c->breaker_failures = (unsigned)d; break;
    case O_COOLDOWN: if (d > 86400000) return -1; c->breaker_cooldown_ms = (uint64_t)d; break;
    case O_DAILY: c->daily_tokens = (uint64_t)d; break;
    case O_RPM: c->rpm = d; break;
    case O_TPM: c->tpm = d; break;
    case O_CSIZE: if (d < 1 || d > 1e8) return -1; c->cache_max = (size_t)d; break;
    case O_CTTL: c->cache_ttl_s = (uint64_t)d; break;
    case O_PIN: c->price_in = d; break;
    case O_POUT: c->price_out = d; break;
    case O_CONC: if (d < 1 || d > 1024) return -1; c->llm.concurrency = (unsigned)d; break;
    case O_MAXPEND: if (d < 1 || d > 1000000) return -1; o->max_pending = (size_t)d; break;
    case O_IDLE: o->idle_exit_ms = (uint64_t)d; break;
    case O_MAXREC: if (d < 64 || d > 1 << 30) return -1; o->max_record = (size_t)d; break;
    default: return -1;
    }
    return 0;
}

static int set_format(const char *arg, int *proto) {
    if (strcmp(arg, "json") == 0) *proto = 0;
    else if (strcmp(arg, "proto") == 0) *proto = 1;
    else return -1;
    return 0;
}

static int set_property(enrich_opts *o, const char *arg) {
    char err[256];
    if (strcmp(arg, "list") == 0) {
        conf_list(stdout);
        exit(0);
    }
    if (conf_set_kv(&o->kconf, arg, err, sizeof err) == 0 &&
        conf_set_kv(&o->kconf_in, arg, err, sizeof err) == 0)
        return 0;
    errorf("-X %s", err);
    return -1;
}

/* The Kafka settings before the command line: the consumer defaults under
 * kconf_in's, then TETRA_KAFKA_* in both, so -X lands over them.  Returns
 * 0, or 2 after printing why. */
static int kafka_start(enrich_opts *o) {
    char err[512];
    if (conf_init(&o->kconf, NULL, NULL) < 0 || conf_init(&o->kconf_in, NULL, NULL) < 0 ||
        kafka_in_defaults(o->kconf_in.rk, NULL, NULL, err, sizeof err) < 0) {
        errorf("cannot set up the Kafka configuration");
        return 2;
    }
    if (conf_read_env(&o->kconf, environ, "TETRA_KAFKA_", err, sizeof err) < 0 ||
        conf_read_env(&o->kconf_in, environ, "TETRA_KAFKA_", err, sizeof err) < 0) {
        errorf("environment: %s", err);
        return 2;
    }
    return 0;
}

static int apply(enrich_opts *o, int id, const char *arg, size_t *nrules) {
    engine_conf *c = &o->ec;
    int p;
    switch (id) {
    case 'b': o->brokers = arg; return 0;
    case 't': o->in_topic = arg; return 0;
    case 'G': o->group = arg; return 0;
    case 'T': o->out_topic = arg; return 0;
    case O_CACHE_TOPIC: o->cache_topic = arg; return 0;
    case O_TXN: o->txn_id = arg; return 0;
    case 'X': return set_property(o, arg);
    case 'I': if (set_format(arg, &p) < 0) return -1; o->input = p ? FRAMER_VARINT : FRAMER_JSON; return 0;
    case 'F': return set_format(arg, &o->output_proto);
    case 'r': if (*nrules == CLI_MAX_RULES) return -1; o->rules[(*nrules)++] = arg; return 0;
    case O_NO_BUILTIN: c->no_builtin = 1; return 0;
    case O_LIST: o->list_rules = 1; return 0;
    case 'n': c->use_llm = 0; return 0;
    case O_DRY: c->dry_run = 1; return 0;
    case O_URL: c->llm.url = arg; return 0;
    case O_MODEL: c->model = arg; return 0;
    case O_KEYFILE: o->key_file = arg; return 0;
    case O_LLM_CA: /* unreadable: a usage error now, not a failed call per record later */
        if (access(arg, R_OK) != 0) return -1;
        c->llm.ca_file = arg;
        return 0;
    case O_AZURE: c->llm.azure = 1; c->llm.azure_api_version = arg; return 0;
    case O_MODE: return (c->mode = prompt_mode_parse(arg)) < 0 ? -1 : 0;
    case O_MINSEV: return (c->min_severity = sev_parse(arg)) < 0 ? -1 : 0;
    case O_NOREDACT: c->redact_event = 0; return 0;
    case O_ORDERED: o->ordered = 1; return 0;
    case O_METRICS_ADDR: {
        char err[300];
        o->metrics_addr = arg;
        return metrics_addr_check(arg, err, sizeof err);
    }
    case O_LOG_FORMAT:
        if (strcmp(arg, "text") != 0 && strcmp(arg, "json") != 0) return -1;
        return msg_format_option(arg);
    case 'q': o->verbosity = MSG_QUIET; return 0;
    case 'v': o->verbosity = MSG_VERBOSE; return 0;
    default: return set_number(o, id, arg);
    }
}

static int kafka_finish(enrich_opts *o) {
    if ((o->in_topic || o->cache_topic) && o->brokers == NULL) {
        errorf("-t and --cache-topic need -b BROKERS");
        return 2;
    }
    if ((o->in_topic == NULL) != (o->out_topic == NULL)) {
        errorf("-t and -T go together: consume one topic, produce the other");
        return 2;
    }
    if (o->txn_id && o->in_topic == NULL) {
        errorf("--transactional-id needs -t and -T");
        return 2;
    }
    if (o->group == NULL) o->group = "tetra-enrich";
    char err[512];
    if (o->metrics_addr && (metrics_kafka_conf(o->kconf.rk, err, sizeof err) < 0 ||
                            metrics_kafka_conf(o->kconf_in.rk, err, sizeof err) < 0)) {
        errorf("--metrics-addr: %s", err);
        return 2;
    }
    o->kafka = conf_take_kafka(&o->kconf);
    if (o->kafka == NULL) return 2;
    /* Built here so that a setting the consumer cannot run with
     * (enable.auto.commit=true) is a usage error before any network wait;
     * -b and -G go under TETRA_KAFKA_* and -X, like tetra-sink's. */
    if (o->in_topic && (o->consumer = kafka_in_conf(o->kconf_in.rk, o->brokers, o->group, NULL,
                                                    err, sizeof err)) == NULL) {
        errorf("kafka: %s", err);
        return 2;
    }
    return 0;
}

static int finish(enrich_opts *o) {
    engine_conf *c = &o->ec;
    char err[256];
    int k = kafka_finish(o);
    if (k != 0) return k;
    if (c->dry_run) c->use_llm = 1;
    if (c->dry_run && o->in_topic) c->dry_out = stderr;   /* Kafka: stdout is no data channel */
    if (!c->use_llm) return 0;
    if (c->llm.url == NULL || c->llm.url[0] == '\0') {
        errorf("the LLM needs --llm-url or OPENAI_BASE_URL (or use --no-llm)");
        return 2;
    }
    if (c->model == NULL || c->model[0] == '\0') {
        errorf("the LLM needs --llm-model or LLM_MODEL (or use --no-llm)");
        return 2;
    }
    if (http_secret("OPENAI_API_KEY", o->key_file, &o->api_key, err, sizeof err) < 0) {
        errorf("%s", err);
        return 2;
    }
    c->llm.api_key = o->api_key;
    return 0;
}

static const char *option_name(int id) {
    for (size_t i = 0; i < NOPTS; i++)
        if (options[i].id == id) return options[i].name;
    return "?";
}

int cli_parse(int argc, char **argv, enrich_opts *o) {
    struct option longopts[NOPTS + 1];
    char shortopts[3 * NOPTS + 2];
    size_t nrules = 0;
    int c;
    defaults(o);
    if (kafka_start(o) != 0) return 2;
    if (opts_build(options, NOPTS, longopts, NOPTS + 1, shortopts, sizeof shortopts) < 0) return 2;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == 'h') { usage(stdout); return 1; }
        if (c == 'V') { printf("tetra-enrich %s\n", TETRA_VERSION); return 1; }
        if (c == '?' || c == ':') {
            char msg[256];
            opts_error(options, NOPTS, c, optopt, argv[optind - 1], msg, sizeof msg);
            errorf("%s", msg);
            return 2;
        }
        if (apply(o, c, optarg, &nrules) < 0) {
            /* -X said why already, and its value may be a secret */
            if (c != 'X')
                errorf("bad value for --%s: \"%s\"", option_name(c), optarg ? optarg : "");
            return 2;
        }
    }
    if (optind < argc) {
        errorf("unexpected argument \"%s\"; input is read from stdin", argv[optind]);
        return 2;
    }
    o->ec.rules_files = o->rules;
    return o->list_rules ? 0 : finish(o);
}

void cli_free(enrich_opts *o) {
    if (o->api_key) {
        memset(o->api_key, 0, strlen(o->api_key));
        free(o->api_key);
    }
    o->api_key = NULL;
    if (o->kafka) rd_kafka_conf_destroy(o->kafka);
    o->kafka = NULL;
    if (o->consumer) rd_kafka_conf_destroy(o->consumer);
    o->consumer = NULL;
    conf_free(&o->kconf);
    conf_free(&o->kconf_in);
}
