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
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bulk.h"
#include "deadletter.h"
#include "doc.h"
#include "codec/framer.h"
#include "kafka/kafka_conf.h"
#include "kafka/kafka_in.h"
#include "kafka/kafka_out.h"
#include "http/metrics.h"
#include "util/msg.h"
#include "kafka/offsets.h"
#include "util/stats.h"
#include "template.h"

extern char **environ; /* POSIX; glibc declares it only for _GNU_SOURCE */

typedef struct sink {
    sink_opts *o;
    stats st;
    bulk *b;
    kafka_in *kin;
    offsets *offs;
    deadletter *dl;
    rd_kafka_conf_t *cin, *cout; /* consumer and dead-letter producer, until used */
    framer *fr;
    pj_arena *arena;
    buf line;
    doc_conf dc;
    int eof, fatal;
    uint64_t dropped; /* records neither indexed nor dead-lettered */
    int in_done;      /* stdin at its end and every framed record handled */
    int stdin_flags;  /* to restore: O_NONBLOCK is shared with our parent */
    int64_t last_commit;
    char chunk[65536];
} sink;

/* --- dead letters and completion ------------------------------------------------------ */

/* Where a record came from. */
typedef struct origin {
    int32_t part;  /* Kafka partition, -1 for stdin */
    int64_t off;   /* Kafka offset, or byte offset in stdin */
    uint64_t line; /* stdin line where it starts, 0 when not known */
    uint64_t size; /* its full size, when the bytes at hand are only its head */
} origin;

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
        snprintf(source, sizeof source, "%s/%d", s->o->topic, (int)o->part);
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
    if (s->offs && part >= 0)
        offsets_done(s->offs, part, off);
}

static void on_done(void *opaque, const bulk_result *r)
{
    sink *s = opaque;
    origin o = {r->part, r->off, 0, 0};
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
static int input_full(const sink *s)
{
    return bulk_full(s->b) || deadletter_busy(s->dl);
}

/* --- records ---------------------------------------------------------------------------------- */

static void handle(sink *s, const char *data, size_t len, int binary, record_type t,
                   const origin *o)
{
    int32_t part = o->part;
    int64_t off = o->off;
    (void)stats_add(&s->st, "read", 1);
    if (s->offs && part >= 0 && offsets_read(s->offs, part, off) < 0) {
        errorf("out of memory");
        s->fatal = 1;
        return;
    }
    record r;
    const char *reason = NULL;
    char msg[400] = "";
    pj_arena_reset(s->arena);
    int ok = binary ? record_from_proto(s->arena, data, len, t, &r, &reason)
                    : record_from_json(s->arena, data, len, &r, &reason, msg, sizeof msg);
    doc_meta m;
    buf_reset(&s->line);
    if (ok == 0)
        ok = doc_build(&s->dc, r.event, r.enrichment, &s->line, &m, &reason);
    if (ok == 0 && s->o->emit_bulk) {
        emit(s, part, off);
        return;
    }
    if (ok == 0 && bulk_add(s->b, s->line.p, s->line.len, part, off) < 0) {
        errorf("out of memory");
        s->fatal = 1;
        return;
    }
    if (ok == 0)
        return;
    if (dead_letter(s, reason, msg[0] ? msg : NULL, data, len, o) == 1)
        finished(s, part, off);
}

/* --- stdin --- */

/* Hand out framed records until the framer needs input (returns 1), the
 * budget or the bulk engine is exhausted (0), or the stream is broken (-1). */
static int drain_framer(sink *s, int *budget)
{
    framer_record fr;
    while (*budget > 0 && !input_full(s) && !s->fatal) {
        int n = framer_next(s->fr, &fr);
        if (n == 0)
            return 1;
        if (n < 0) {
            errorf("stdin: a length prefix is malformed; the binary stream cannot be read further");
            s->fatal = 1;
            return -1;
        }
        (*budget)--;
        origin o = {-1, (int64_t)fr.start, fr.line, fr.size};
        if (fr.reject)
            dead_letter(s, fr.reject, NULL, fr.data, fr.len, &o);
        else
            handle(s, fr.data, fr.len, s->o->proto, s->o->input_type, &o);
    }
    return 0;
}

/* Read what stdin has without blocking, at most a budget of records per
 * call so the bulk engine gets its turn. */
static int read_stdin(sink *s)
{
    int budget = 2000;
    for (;;) {
        int r = drain_framer(s, &budget);
        if (r == 1 && s->eof)
            s->in_done = 1;
        if (r <= 0 || s->eof)
            return r;
        ssize_t n = read(0, s->chunk, sizeof s->chunk);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (n < 0) {
            errorf("stdin: %s", strerror(errno));
            s->fatal = 1;
            return -1;
        }
        if (n == 0) {
            s->eof = 1;
            framer_finish(s->fr);
        } else if (framer_feed(s->fr, s->chunk, (size_t)n) < 0) {
            errorf("out of memory");
            s->fatal = 1;
            return -1;
        }
    }
}

/* --- Kafka
 * ----------------------------------------------------------------------------------------- */

static record_type kafka_type(sink *s, const rd_kafka_message_t *m)
{
    if (s->o->input_type != RECORD_AUTO)
        return s->o->input_type;
    size_t len = 0;
    const char *v = kafka_in_header(m, "message-type", &len);
    record_type t = record_type_of(v, len);
    return t == RECORD_AUTO ? RECORD_ENRICHED : t;
}

/* Commit every partition whose point moved, a buffer's worth per call:
 * one call used to carry only the first 256, which left the rest for the
 * next timer tick and, at exit or on a revoke, for nobody. */
static void commit(sink *s)
{
    enum { CHUNK = 256 };
    int32_t parts[CHUNK];
    int64_t offs[CHUNK];
    char err[256];
    size_t n, total = 0;
    do {
        n = offsets_pending_commits(s->offs, parts, offs, CHUNK);
        if (kafka_in_commit(s->kin, parts, offs, n, err, sizeof err) < 0) {
            warnf("%s (will try again)", err);
            return;
        }
        for (size_t i = 0; i < n; i++)
            offsets_committed(s->offs, parts[i], offs[i]);
        total += n;
    } while (n == CHUNK);
    if (total)
        (void)stats_add(&s->st, "commits", 1);
    s->last_commit = bulk_now_ms();
}

static void on_rebalance(void *opaque, int assigned, const int32_t *parts, size_t n)
{
    sink *s = opaque;
    notef("%s %zu partition(s)", assigned ? "assigned" : "revoked", n);
    if (assigned)
        return;
    commit(s);
    for (size_t i = 0; i < n; i++)
        offsets_drop(s->offs, parts[i]);
}

static int read_kafka(sink *s, int *got)
{
    char err[512];
    *got = 0;
    kafka_in_pause(s->kin, input_full(s));
    for (int i = 0; i < 1000 && !s->fatal; i++) {
        rd_kafka_message_t *m = NULL;
        int r = kafka_in_poll(s->kin, 0, &m, err, sizeof err);
        if (r < 0) {
            errorf("%s", err);
            s->fatal = 1;
            return -1;
        }
        if (r == 0)
            break;
        int binary = !(m->len && ((const char *)m->payload)[0] == '{');
        origin o = {m->partition, m->offset, 0, 0};
        handle(s, m->payload ? m->payload : "", m->len, binary, kafka_type(s, m), &o);
        rd_kafka_message_destroy(m);
        (*got)++;
        if (input_full(s))
            break;
    }
    return 0;
}

/* --- setup
 * ---------------------------------------------------------------------------------------------- */

/* Install the index template, retrying while the cluster cannot be
 * reached.  Returns 0, -1 on a refusal retrying cannot fix (message
 * written), or 1 when a stop signal came first. */
static int install_template(sink *s)
{
    sink_opts *o = s->o;
    template_conf tc = {o->url,           &o->http,       o->template_name,
                        o->index_pattern, o->data_stream, o->retention_days};
    char err[600];
    const char *note;
    long delay = 500;
    while (template_install(&tc, &note, err, sizeof err) < 0) {
        if (strstr(err, "HTTP 4") || !strncmp(err, HTTP_TLS_REFUSED, strlen(HTTP_TLS_REFUSED))) {
            errorf("index template: %s", err);
            return -1;
        }
        warnf("index template: %s; trying again", err);
        for (long t = 0; t < delay && !prog_stop; t += 100)
            usleep(100000);
        if (prog_stop)
            return 1;
        if (delay < 15000)
            delay *= 2;
    }
    notef("index template %s v%d: %s", o->template_name, TEMPLATE_VERSION, note);
    if (!o->retention_days)
        return 0;
    int r = template_retention(&tc, err, sizeof err);
    if (r < 0)
        warnf("retention policy: %s; indexing goes on without it", err);
    if (r == 0)
        infof("the ISM plugin is not installed: --retention-days is ignored");
    return 0;
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

static int open_input(sink *s)
{
    char err[512];
    sink_opts *o = s->o;
    if (!o->topic) {
        int fl = s->stdin_flags = fcntl(0, F_GETFL);
        if (fl < 0 || fcntl(0, F_SETFL, fl | O_NONBLOCK) < 0) {
            errorf("stdin: %s", strerror(errno));
            return -1;
        }
        s->fr = framer_new(o->proto ? FRAMER_VARINT : FRAMER_JSON, o->max_record, 0);
        return s->fr ? 0 : -1;
    }
    if (!(s->offs = offsets_new())) {
        errorf("out of memory");
        return -1;
    }
    s->kin = kafka_in_new(s->cin, o->topic, on_rebalance, s, err, sizeof err);
    s->cin = NULL; /* kafka_in_new took it */
    if (!s->kin)
        errorf("kafka: %s", err);
    return s->kin ? 0 : -1;
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
    if (open_deadletter(s) < 0)
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
    return open_input(s) < 0 ? EXIT_RUNTIME : RUN;
}

/* --- loop
 * -------------------------------------------------------------------------------------------------
 */

static int drive_bulk(sink *s, int timeout_ms, int flush)
{
    char err[600];
    int fd = s->kin || s->eof || input_full(s) ? -1 : 0;
    if (bulk_pump(s->b, timeout_ms, flush, fd, err, sizeof err) < 0) {
        errorf("%s", err);
        s->fatal = 1;
        return -1;
    }
    deadletters_done(s);
    if (s->kin && bulk_now_ms() - s->last_commit >= s->o->commit_ms)
        commit(s);
    return 0;
}

static void loop(sink *s)
{
    while (!prog_stop && !s->fatal) {
        int got = 0;
        if (s->kin)
            read_kafka(s, &got);
        else if (!s->in_done)
            read_stdin(s);
        if (s->in_done && !pending(s))
            break;
        int wait = s->kin ? (got ? 0 : 20) : (s->in_done || input_full(s) ? 50 : 200);
        if (!s->kin && !s->in_done && s->eof && !input_full(s))
            wait = 0; /* framed records still to hand out */
        drive_bulk(s, wait, s->in_done);
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
    if (s->kin)
        commit(s);
}

static void teardown(sink *s)
{
    char err[256];
    kafka_in_free(s->kin);
    bulk_free(s->b);
    if (deadletter_close(s->dl, err, sizeof err) < 0) {
        errorf("dead-letter output: %s", err);
        s->fatal = 1;
    }
    offsets_free(s->offs);
    if (s->cin)
        rd_kafka_conf_destroy(s->cin);
    if (s->cout)
        rd_kafka_conf_destroy(s->cout);
    if (s->fr && s->stdin_flags >= 0)
        (void)fcntl(0, F_SETFL, s->stdin_flags);
    framer_free(s->fr);
    pj_arena_free(s->arena);
    buf_free(&s->line);
}

static int print_template(sink_opts *o)
{
    template_conf tc = {o->url, &o->http, o->template_name, o->index_pattern, o->data_stream, 0};
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
    metrics_conf mc = {.addr = o->metrics_addr, .prog = "tetra-sink", .st = &s->st,
                       .need_kafka = o->topic || o->dlq_topic,
                       .probe = o->emit_bulk ? NULL : opensearch_up, .probe_ctx = s->o};
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
    s.last_commit = bulk_now_ms();
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
                   s.fatal          ? "because of the error above"
                   : prog_stop_now ? "before a second stop signal"
                                   : "before --drain-ms ran out",
                   s.kin ? "; their offsets were not committed" : "");
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
