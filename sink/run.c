/* run.c - the sink's loop (see run.h).
 *
 * Delivery bookkeeping: every Kafka record is registered with the offset
 * tracker when read and marked finished exactly once: when its document is
 * indexed or found already indexed, when it is dead-lettered, or at once
 * when it cannot be decoded (after its dead-letter entry is written).  The
 * committed offset never passes an unfinished record, so a crash at any
 * point re-reads at most the unfinished tail, and the deterministic _id
 * turns those re-reads into 409s instead of doubles. */
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerting.h"
#include "bulk.h"
#include "deadletter.h"
#include "doc.h"
#include "incident.h"
#include "input.h"
#include "kafka/kafka_conf.h"
#include "kafka/kafka_in.h"
#include "kafka/kafka_out.h"
#include "http/metrics.h"
#include "util/msg.h"
#include "util/stats.h"
#include "template.h"

extern char **environ; /* POSIX; glibc declares it only for _GNU_SOURCE */

/* Incidents the alert book remembers: far more than are open at once. */
enum { ALERT_BOOK_CAP = 100000 };

typedef struct sink {
    sink_opts *o;
    stats st;
    bulk *b;
    sink_input *in[SINK_INPUTS_MAX]; /* by slot; stdin alone, or Kafka topics */
    const char *topic[SINK_INPUTS_MAX];
    int n_in;
    deadletter *dl;
    rd_kafka_conf_t *cin, *cout; /* consumer and dead-letter producer, until used */
    pj_arena *arena;
    buf line;
    doc_conf dc;
    incident_conf ic;
    alerting *alerts; /* NULL without an alert destination */
    int fatal;
    uint64_t dropped; /* records neither indexed nor dead-lettered */
} sink;

/* --- dead letters and completion ------------------------------------------------------ */

/* Without a dead-letter destination a bad record is dropped: the sink
 * goes on (a record that can never be indexed must not hold its partition
 * for ever), says where it was, and exits 1 at the end.  The first of each
 * reason is logged, then one reminder every 10 s with the count skipped. */
static void drop(sink *s, const char *reason, const char *error, const origin *o,
                 const char *source)
{
    s->dropped++;
    (void)stats_add(&s->st, "dropped", 1);
    uint64_t skipped;
    if (!msg_ratelimit(reason, 10, &skipped))
        return;
    char where[400];
    if (o->part >= 0)
        snprintf(where, sizeof where, "%s offset %lld", source, (long long)o->off);
    else if (o->line)
        snprintf(where, sizeof where, "stdin line %llu", (unsigned long long)o->line);
    else
        snprintf(where, sizeof where, "stdin byte %lld", (long long)o->off);
    char more[64] = "";
    if (skipped)
        snprintf(more, sizeof more, " (and %llu more since the last warning)",
                 (unsigned long long)skipped);
    warnf("dropped the record at %s (%s%s%s)%s: no --dlq or --dlq-topic", where, reason,
          error ? ": " : "", error ? error : "", more);
}

/* Write a dead-letter entry for the record rec of len bytes from o, or
 * drop it when there is no dead-letter destination.  Returns 1 when the
 * record is finished now, 0 when its entry is on its way to the topic
 * (drive_bulk() finishes it on delivery), -1 when the entry could not be
 * written: the record then stays unfinished so its offset is never
 * committed. */
static int dead_letter(sink *s, const char *reason, const char *error, const void *rec, size_t len,
                       const origin *o)
{
    (void)stats_add(&s->st, reason, 1);
    char source[300] = "-";
    if (o->part >= 0)
        snprintf(source, sizeof source, "%s/%d", s->topic[sink_tag_slot(o->part)],
                 (int)sink_tag_part(o->part));
    if (!s->dl) {
        drop(s, reason, error, o, source);
        return 1;
    }
    dlq_entry e = {reason, source, o->line, o->off < 0 ? 0 : (uint64_t)o->off,
                   error,  rec,    len,     o->size > len ? o->size : len};
    char err[256];
    int r = deadletter_write(s->dl, &e, o->part, o->off, err, sizeof err);
    if (r < 0) {
        errorf("dead-letter output: %s", err);
        s->fatal = 1;
        return -1;
    }
    (void)stats_add(&s->st, "dead_lettered", 1);
    return r;
}

static void finished(sink *s, int32_t part, int64_t off)
{
    int slot = sink_tag_slot(part);
    if (slot >= 0 && slot < s->n_in)
        sink_input_finished(s->in[slot], part, off);
}

/* Incidents are the only items with the "index" action (events use
 * "create"); a 409 on one is an older version refused, the convergence
 * incident.h describes, counted as such and alerting nobody. */
static void incident_done(sink *s, const bulk_result *r)
{
    if (r->len < 9 || memcmp(r->lines, "{\"index\":", 9))
        return;
    if (r->outcome == BULK_INDEXED)
        (void)stats_add(&s->st, "incidents_indexed", 1);
    else if (r->outcome == BULK_DUPLICATE)
        (void)stats_add(&s->st, "incidents_stale", 1);
    if (s->alerts)
        alerting_answered(s->alerts, r->part, r->off, r->outcome == BULK_INDEXED, &s->st);
}

static void on_done(void *opaque, const bulk_result *r)
{
    sink *s = opaque;
    origin o = {r->part, r->off, 0, 0};
    incident_done(s, r);
    if (r->outcome == BULK_REJECTED &&
        dead_letter(s, "os_rejected", r->reason, r->lines, r->len, &o) != 1)
        return;
    finished(s, r->part, r->off);
}

/* --emit-bulk: the lines go to stdout and count as delivered once written. */
static void emit(sink *s, int32_t part, int64_t off)
{
    if (fwrite(s->line.p, 1, s->line.len, stdout) != s->line.len) {
        errorf("stdout: %s", strerror(errno));
        s->fatal = 1;
        return;
    }
    (void)stats_add(&s->st, "emitted", 1);
    finished(s, part, off);
}

/* Reading pauses while the bulk engine holds enough, or while dead-letter
 * entries wait for room in the producer's queue: either way what is read
 * now would only pile up in memory. */
static int input_full(void *ctx)
{
    const sink *s = ctx;
    return bulk_full(s->b) || deadletter_busy(s->dl);
}

/* --- records ---------------------------------------------------------------------------------- */

/* The item (action and document lines) in s->line is built: emit it or
 * queue it.  Returns 0, or -1 after a fatal error. */
static int deliver(sink *s, int32_t part, int64_t off)
{
    if (s->o->emit_bulk) {
        emit(s, part, off);
        return 0;
    }
    if (bulk_add(s->b, s->line.p, s->line.len, part, off) == 0)
        return 0;
    errorf("out of memory");
    s->fatal = 1;
    return -1;
}

static void handle_incident(sink *s, const char *data, size_t len, int binary, const origin *o)
{
    const incident *inc = NULL;
    const char *reason = NULL;
    char msg[400] = "";
    (void)stats_add(&s->st, "incidents_read", 1);
    int ok = binary ? incident_from_proto(s->arena, data, len, &inc, &reason)
                    : incident_from_json(s->arena, data, len, &inc, &reason, msg, sizeof msg);
    buf_reset(&s->line);
    if (ok == 0)
        ok = incident_doc_build(&s->ic, inc, &s->line, &reason);
    if (ok == 0) {
        if (s->alerts)
            alerting_read(s->alerts, inc, o->part, o->off, &s->st);
        (void)deliver(s, o->part, o->off);
        return;
    }
    if (dead_letter(s, reason, msg[0] ? msg : NULL, data, len, o) == 1)
        finished(s, o->part, o->off);
}

static void handle(void *ctx, const char *data, size_t len, int binary, record_type t,
                   const origin *o)
{
    sink *s = ctx;
    int32_t part = o->part;
    int64_t off = o->off;
    (void)stats_add(&s->st, "read", 1);
    pj_arena_reset(s->arena);
    if (t == RECORD_INCIDENT || (!binary && incident_json_is(data, len))) {
        handle_incident(s, data, len, binary, o);
        return;
    }
    record r;
    const char *reason = NULL;
    char msg[400] = "";
    int ok = binary ? record_from_proto(s->arena, data, len, t, &r, &reason)
                    : record_from_json(s->arena, data, len, &r, &reason, msg, sizeof msg);
    doc_meta m;
    buf_reset(&s->line);
    if (ok == 0)
        ok = doc_build(&s->dc, r.event, r.enrichment, &s->line, &m, &reason);
    if (ok == 0) {
        (void)deliver(s, part, off);
        return;
    }
    if (dead_letter(s, reason, msg[0] ? msg : NULL, data, len, o) == 1)
        finished(s, part, off);
}

static void reject(void *ctx, const char *reason, const char *data, size_t len, const origin *o)
{
    (void)dead_letter(ctx, reason, NULL, data, len, o);
}

/* --- inputs ------------------------------------------------------------------------------- */

/* Read from every input; returns how many records came. */
static int read_inputs(sink *s)
{
    char err[512];
    int got = 0;
    for (int i = 0; i < s->n_in && !s->fatal; i++) {
        int n = sink_input_read(s->in[i], err, sizeof err);
        if (n < 0) {
            errorf("%s", err);
            s->fatal = 1;
            return got;
        }
        got += n;
    }
    return got;
}

static int inputs_ended(const sink *s)
{
    for (int i = 0; i < s->n_in; i++)
        if (!sink_input_ended(s->in[i]))
            return 0;
    return 1;
}

static int inputs_commit(const sink *s)
{
    for (int i = 0; i < s->n_in; i++)
        if (sink_input_commits(s->in[i]))
            return 1;
    return 0;
}

static void commit(sink *s, int force)
{
    int n = 0;
    for (int i = 0; i < s->n_in; i++)
        n += sink_input_commit(s->in[i], s->o->commit_ms, force);
    if (n)
        (void)stats_add(&s->st, "commits", 1);
}

/* --- setup
 * ---------------------------------------------------------------------------------------------- */

/* Install one template, retrying while the cluster cannot be reached.
 * Returns 0, -1 on a refusal retrying cannot fix (message written), or 1
 * when a stop signal came first. */
static int install_one(const template_conf *tc, int version)
{
    char err[600];
    const char *note;
    long delay = 500;
    while (template_install(tc, &note, err, sizeof err) < 0) {
        if (strstr(err, "HTTP 4") || !strncmp(err, HTTP_TLS_REFUSED, strlen(HTTP_TLS_REFUSED))) {
            errorf("index template %s: %s", tc->name, err);
            return -1;
        }
        warnf("index template %s: %s; trying again", tc->name, err);
        for (long t = 0; t < delay && !prog_stop; t += 100)
            usleep(100000);
        if (prog_stop)
            return 1;
        if (delay < 15000)
            delay *= 2;
    }
    notef("index template %s v%d: %s", tc->name, version, note);
    if (!tc->retention_days)
        return 0;
    int r = template_retention(tc, err, sizeof err);
    if (r < 0)
        warnf("retention policy: %s; indexing goes on without it", err);
    if (r == 0)
        infof("the ISM plugin is not installed: --retention-days is ignored");
    return 0;
}

/* The incident template is named after its indices' fixed prefix
 * ("tetragon-incidents-%Y.%m.%d" -> "tetragon-incidents"). */
static void incident_template_name(const char *pattern, char *out, size_t n)
{
    size_t p = strcspn(pattern, "%");
    while (p && strchr("-._", pattern[p - 1]))
        p--;
    snprintf(out, n, "%.*s", (int)p, pattern);
}

/* Install the event and the incident templates (and retention policies). */
static int install_template(sink *s)
{
    sink_opts *o = s->o;
    template_conf tc = {
        o->url, &o->http, o->template_name, o->index_pattern, o->data_stream, o->retention_days, 0};
    int r = install_one(&tc, TEMPLATE_VERSION);
    if (r)
        return r;
    char name[256];
    incident_template_name(o->incident_index, name, sizeof name);
    template_conf ti = {o->url, &o->http, name, o->incident_index, NULL, o->retention_days, 1};
    return install_one(&ti, INCIDENT_TEMPLATE_VERSION);
}

/* The dead-letter producer's settings under the user's: the producer
 * defaults and -b, then the environment, then -c and -X. */
static int producer_base(rd_kafka_conf_t *c, void *ctx, char *err, size_t errlen)
{
    const sink_opts *o = ctx;
    if (kafka_out_defaults(c, err, errlen) < 0)
        return -1;
    if (o->brokers &&
        rd_kafka_conf_set(c, "bootstrap.servers", o->brokers, err, errlen) != RD_KAFKA_CONF_OK)
        return -1;
    return kafka_conf_env(c, environ, err, errlen);
}

/* Build the Kafka configurations before anything waits on the network, so
 * a setting that cannot work is a usage error at once.  -b and -G are
 * defaults under the user's settings here, since the parsed options no
 * longer say where they stood among -X and -c.  Returns 0 or EXIT_USAGE
 * (message written). */
static int kafka_confs(sink *s)
{
    sink_opts *o = s->o;
    char err[512];
    if (o->topic &&
        !(s->cin = kafka_in_conf(o->kconf.rk, o->brokers, o->group, environ, err, sizeof err))) {
        errorf("kafka: %s", err);
        return EXIT_USAGE;
    }
    if (o->dlq_topic &&
        !(s->cout = kafka_conf_layer(o->kconf.rk, producer_base, o, 0, err, sizeof err))) {
        errorf("--dlq-topic: %s", err);
        return EXIT_USAGE;
    }
    return 0;
}

static int add_kafka_input(sink *s, rd_kafka_conf_t *kc, const char *topic, record_type t)
{
    static const sink_input_host host = {NULL, handle, reject, input_full};
    sink_input_host h = host;
    h.ctx = s;
    char err[512];
    sink_input *in = sink_input_kafka(&h, s->n_in, kc, topic, t, err, sizeof err);
    if (!in) {
        errorf("kafka: %s", err);
        return -1;
    }
    s->topic[s->n_in] = topic;
    s->in[s->n_in++] = in;
    return 0;
}

static int open_inputs(sink *s)
{
    sink_opts *o = s->o;
    if (o->topic) {
        rd_kafka_conf_t *c = s->cin, *ci = NULL;
        s->cin = NULL;
        if (o->incident_topic && !(ci = rd_kafka_conf_dup(c))) {
            rd_kafka_conf_destroy(c);
            errorf("out of memory");
            return -1;
        }
        if (add_kafka_input(s, c, o->topic, o->input_type) < 0) {
            if (ci)
                rd_kafka_conf_destroy(ci);
            return -1;
        }
        return ci ? add_kafka_input(s, ci, o->incident_topic, RECORD_INCIDENT) : 0;
    }
    sink_input_host h = {s, handle, reject, input_full};
    char err[512];
    if (!(s->in[0] =
              sink_input_stdin(&h, o->proto, o->input_type, o->max_record, err, sizeof err))) {
        errorf("%s", err);
        return -1;
    }
    s->n_in = 1;
    return 0;
}

static int open_deadletter(sink *s)
{
    sink_opts *o = s->o;
    char err[512];
    if (o->dlq_path)
        s->dl = deadletter_file(o->dlq_path, err, sizeof err);
    if (o->dlq_topic) {
        s->dl = deadletter_topic(s->cout, o->dlq_topic, err, sizeof err);
        s->cout = NULL; /* deadletter_topic took it */
    }
    if ((o->dlq_path || o->dlq_topic) && !s->dl) {
        errorf("dead-letter output: %s", err);
        return -1;
    }
    return 0;
}

/* The alert destinations' threads, when there is one. */
static int open_alerts(sink *s)
{
    sink_opts *o = s->o;
    char err[512];
    if (!o->alertmanager && !o->webhook)
        return 0;
    alerting_conf ac = {{o->alertmanager, o->webhook, o->webhook_secret, o->alert_queue, 500, 5000},
                        o->alert_min_severity,
                        o->emit_bulk,
                        ALERT_BOOK_CAP};
    if ((s->alerts = alerting_new(&ac, err, sizeof err)))
        return 0;
    errorf("%s", err);
    return -1;
}

/* Finish the records whose dead-letter entries reached the topic. */
static void deadletters_done(sink *s)
{
    int32_t parts[256];
    int64_t offs[256];
    char err[512];
    int n;
    while (s->dl && (n = deadletter_done(s->dl, parts, offs, 256, err, sizeof err)) != 0) {
        if (n < 0) {
            errorf("%s", err);
            s->fatal = 1;
            return;
        }
        for (int i = 0; i < n; i++)
            finished(s, parts[i], offs[i]);
    }
}

static size_t pending(const sink *s)
{
    return bulk_pending(s->b) + deadletter_pending(s->dl);
}

/* setup() result that means: go on and run. */
enum { RUN = -1 };

/* Returns RUN, or the exit status when the sink must not run (its
 * message written). */
static int setup(sink *s)
{
    sink_opts *o = s->o;
    char err[512];
    stats_init(&s->st);
    const char *heads[] = {"read",          "indexed", "duplicates", "rejected",
                           "dead_lettered", "retries", "requests"};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
        (void)stats_declare(&s->st, heads[i]); /* fixed valid names */
    s->dc = (doc_conf){o->index_pattern, o->data_stream, o->cluster_name, NULL};
    s->ic = (incident_conf){o->incident_index, o->cluster_name, NULL};
    int r = kafka_confs(s);
    if (r)
        return r;
    if (!(s->arena = pj_arena_new())) {
        errorf("out of memory");
        return EXIT_RUNTIME;
    }
    r = o->no_template || o->emit_bulk ? 0 : install_template(s);
    if (r == 1) {
        /* a stop, not a failure: nothing was read, so nothing is lost */
        warnf("stopped before the index template could be installed; nothing was read");
        return EXIT_OK;
    }
    if (r < 0)
        return EXIT_RUNTIME;
    if (open_deadletter(s) < 0 || open_alerts(s) < 0)
        return EXIT_RUNTIME;
    /* with --emit-bulk the engine stays empty; it only needs some URL */
    bulk_conf bc = {o->url ? o->url : "http://localhost:9200",
                    &o->http,
                    o->batch_docs,
                    o->batch_bytes,
                    o->linger_ms,
                    o->inflight,
                    o->gzip,
                    o->backoff_ms,
                    o->backoff_max_ms,
                    o->max_queued,
                    on_done,
                    s,
                    &s->st};
    if (!(s->b = bulk_new(&bc, err, sizeof err))) {
        errorf("%s", err);
        return EXIT_RUNTIME;
    }
    return open_inputs(s) < 0 ? EXIT_RUNTIME : RUN;
}

/* --- loop
 * -------------------------------------------------------------------------------------------------
 */

static int drive_bulk(sink *s, int timeout_ms, int flush)
{
    char err[600];
    int fd = s->n_in == 1 && !input_full(s) ? sink_input_fd(s->in[0]) : -1;
    if (bulk_pump(s->b, timeout_ms, flush, fd, err, sizeof err) < 0) {
        errorf("%s", err);
        s->fatal = 1;
        return -1;
    }
    deadletters_done(s);
    commit(s, 0);
    alerting_stats(s->alerts, &s->st);
    return 0;
}

/* How long the engine may wait: not at all while records keep coming;
 * on the input's descriptor when it has one; briefly otherwise, since a
 * Kafka consumer is polled, not waited on. */
static int wait_ms(const sink *s, int got, int ended)
{
    if (ended || input_full((void *)s))
        return 50;
    if (s->n_in == 1 && sink_input_fd(s->in[0]) >= 0)
        return 200;
    return got ? 0 : 20;
}

static void loop(sink *s)
{
    while (!prog_stop && !s->fatal) {
        int got = read_inputs(s);
        int ended = inputs_ended(s);
        if (ended && !pending(s))
            break;
        drive_bulk(s, wait_ms(s, got, ended), ended);
    }
}

/* After input ends or a stop was asked: send everything held, wait for it
 * up to --drain-ms (or until a second stop signal), then commit what
 * finished. */
static void drain(sink *s)
{
    int64_t deadline = bulk_now_ms() + s->o->drain_ms;
    while (!s->fatal && pending(s) && bulk_now_ms() < deadline && !prog_stop_now)
        drive_bulk(s, 50, 1);
    commit(s, 1);
    /* alerts get what is left of the same wait, never more */
    while (alerting_pending(s->alerts) && bulk_now_ms() < deadline && !prog_stop_now)
        usleep(50000);
}

static void teardown(sink *s)
{
    char err[256];
    for (int i = 0; i < s->n_in; i++)
        sink_input_close(s->in[i]);
    alerting_free(s->alerts, &s->st);
    bulk_free(s->b);
    if (deadletter_close(s->dl, err, sizeof err) < 0) {
        errorf("dead-letter output: %s", err);
        s->fatal = 1;
    }
    if (s->cin)
        rd_kafka_conf_destroy(s->cin);
    if (s->cout)
        rd_kafka_conf_destroy(s->cout);
    pj_arena_free(s->arena);
    buf_free(&s->line);
}

static int print_template(sink_opts *o)
{
    template_conf tc = {o->url, &o->http, o->template_name, o->index_pattern, o->data_stream, 0, 0};
    buf b = BUF_INIT;
    int r = template_body(&tc, &b);
    if (r == 0)
        r = fputs(b.p, stdout) < 0 || fputc('\n', stdout) < 0 ? -1 : 0;
    buf_free(&b);
    if (r < 0)
        errorf("cannot write the template");
    return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

/* /readyz: OpenSearch answers.  Runs on the metrics thread with its own
 * request, and a short time limit so a probe never hangs. */
static int opensearch_up(void *ctx, char *why, size_t n)
{
    const sink_opts *o = ctx;
    http_conf hc = o->http;
    hc.timeout_ms = hc.connect_timeout_ms = 3000;
    long status = 0;
    buf resp = BUF_INIT;
    char err[256];
    int r = http_request(&hc, "GET", o->url, NULL, &status, &resp, err, sizeof err);
    buf_free(&resp);
    if (r == 0 && status >= 200 && status < 300)
        return 0;
    if (r == 0)
        snprintf(why, n, "OpenSearch answered HTTP %ld", status);
    else
        snprintf(why, n, "OpenSearch: %s", err);
    return -1;
}

static int start_metrics(sink *s)
{
    const sink_opts *o = s->o;
    char err[512];
    metrics_conf mc = {.addr = o->metrics_addr,
                       .prog = "tetra-sink",
                       .st = &s->st,
                       .need_kafka = o->topic || o->dlq_topic,
                       .probe = o->emit_bulk ? NULL : opensearch_up,
                       .probe_ctx = s->o};
    if (!o->metrics_addr || metrics_start(&mc, err, sizeof err) == 0)
        return 0;
    errorf("%s", err);
    return -1;
}

int sink_run(sink_opts *o)
{
    if (o->print_template)
        return print_template(o);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        errorf("cannot initialise libcurl");
        return EXIT_RUNTIME;
    }
    /* cannot fail for these signals */
    (void)prog_signals();
    (void)prog_ignore_sigpipe();
    sink s;
    memset(&s, 0, sizeof s);
    s.o = o;
    int status = setup(&s);
    if (status == RUN && start_metrics(&s) < 0)
        status = EXIT_RUNTIME;
    if (status == RUN) {
        status = EXIT_OK;
        loop(&s);
        drain(&s);
        size_t left = pending(&s);
        /* no drain runs after a fatal error: say which ended the wait */
        if (left)
            errorf("%zu record%s not delivered %s%s", left, left == 1 ? " was" : "s were",
                   s.fatal         ? "because of the error above"
                   : prog_stop_now ? "before a second stop signal"
                                   : "before --drain-ms ran out",
                   inputs_commit(&s) ? "; their offsets were not committed" : "");
        if (left || s.fatal)
            status = EXIT_RUNTIME;
    }
    teardown(&s);
    if (s.fatal)
        status = EXIT_RUNTIME;
    if (s.dropped) {
        errorf("%llu record%s dropped: neither indexed nor dead-lettered (give --dlq FILE or "
               "--dlq-topic TOPIC to keep such records)",
               (unsigned long long)s.dropped, s.dropped == 1 ? " was" : "s were");
        status = EXIT_RUNTIME;
    }
    metrics_stop();
    char line[2048];
    stats_format(&s.st, line, sizeof line);
    infof("%s", line);
    curl_global_cleanup();
    return status;
}
