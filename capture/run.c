/* run.c - the capture loop: inputs -> framer -> records, then flush and
 * report.
 *
 * Reading stops at the end of the inputs or at the first SIGINT/SIGTERM;
 * then the output is flushed until every event is delivered (a second
 * signal gives up), the followed file's position is saved only up to what
 * was delivered, and one summary line goes to stderr.  About once a second
 * the output is synced and the position saved, so a crash re-sends at most
 * the last second's events and never skips one. */
#include "capture.h"
#include "http/metrics.h"
#include "k8s/k8s.h"
#include "util/msg.h"
#include "util/clock.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define SYNC_INTERVAL_MS 1000
#define CHUNK 65536

static int same_pos(follow_pos a, follow_pos b)
{
    return a.dev == b.dev && a.ino == b.ino && a.offset == b.offset;
}

/* Save the newest position whose events are all delivered. */
static int save_state(capture *c)
{
    follow_pos p;
    char err[512];
    if (c->opts->state == NULL || c->in == NULL ||
        !ckpt_pop_done(&c->ckpts, output_done(c->out), &p))
        return 0;
    if (c->have_saved && same_pos(p, c->saved))
        return 0;
    if (input_save(c->in, p, err, sizeof(err)) < 0) {
        errorf("saving the position: %s", err);
        return -1;
    }
    c->saved = p;
    c->have_saved = 1;
    return 0;
}

static int periodic(capture *c, int force)
{
    char err[512];
    uint64_t now = mono_ms();
    if (!force && now - c->last_sync_ms < SYNC_INTERVAL_MS)
        return 0;
    c->last_sync_ms = now;
    if (output_sync(c->out, 0, err, sizeof(err)) < 0) {
        errorf("%s", err);
        return -1;
    }
    return save_state(c);
}

/* Hand every complete record to record_handle().  Returns 0, -1 on a
 * failure that stops the run, or 2 when a binary input's length prefix is
 * corrupt: nothing after it can be framed, so the rest of that input is
 * skipped (counted as one rejection, like any other bad input). */
static int drain(capture *c, framer *fr)
{
    framer_record r;
    int rc;
    while ((rc = framer_next(fr, &r)) == 1)
        if (record_handle(c, &r) < 0)
            return -1;
    if (rc == 0)
        return 0;
    warnf("%s: offset %llu: bad_framing: malformed length prefix; the rest of this input is "
          "skipped",
          input_name(c->in), (unsigned long long)framer_offset(fr));
    (void)stats_add(&c->st, "rejected", 1);
    (void)stats_add(&c->st, "bad_framing", 1);
    return 2;
}

static framer *new_framer(capture *c, uint64_t base)
{
    framer *fr = framer_new(c->opts->input, (size_t)c->opts->max_record, base);
    if (fr == NULL)
        errorf("out of memory");
    return fr;
}

/* A followed file's chunk that does not continue the last one (a new file
 * after rotation, or the file truncated) starts a new framer, so record
 * offsets always belong to the file the record came from. */
static int place_chunk(capture *c, framer **fr, size_t n)
{
    if (!input_follows(c->in)) {
        if (*fr == NULL && (*fr = new_framer(c, 0)) == NULL)
            return -1;
        return 0;
    }
    follow_pos p = input_tell(c->in);
    uint64_t start = p.offset - n;
    if (*fr != NULL && p.dev == c->file.dev && p.ino == c->file.ino && start == c->file.offset) {
        c->file = p;
        return 0;
    }
    if (*fr != NULL) {
        framer_finish(*fr);
        int rc = drain(c, *fr);
        framer_free(*fr);
        *fr = NULL;
        if (rc != 0)
            return rc;
    }
    c->file = p;
    return (*fr = new_framer(c, start)) != NULL ? 0 : -1;
}

/* Before a read that may block (the last one came back short: a pipe or
 * a followed file that is drained), push out what is buffered, so events
 * reach the next filter of a pipe now rather than with the next input. */
static int flush_idle(capture *c)
{
    char err[512];
    if (output_sync(c->out, 0, err, sizeof(err)) == 0)
        return 0;
    errorf("%s", err);
    return -1;
}

/* Returns 1 when no more data is coming now (end of file; followed file:
 * nothing new, after waiting), 2 when the input cannot be framed any more,
 * 0 after feeding a chunk, -1 on failure. */
static int step(capture *c, framer **fr, char *chunk, int *short_read)
{
    char err[512];
    if (*short_read && flush_idle(c) < 0)
        return -1;
    errno = 0;
    ssize_t n = input_read(c->in, chunk, CHUNK, err, sizeof(err));
    *short_read = n < CHUNK;
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        errorf("%s", err);
        return -1;
    }
    if (n == 0) {
        if (!input_follows(c->in))
            return 1;
        if (periodic(c, 0) < 0)
            return -1;
        input_wait(c->in, SYNC_INTERVAL_MS);
        return 0;
    }
    int rc = place_chunk(c, fr, (size_t)n);
    if (rc != 0)
        return rc;
    if (framer_feed(*fr, chunk, (size_t)n) < 0) {
        errorf("out of memory");
        return -1;
    }
    rc = drain(c, *fr);
    if (rc != 0)
        return rc;
    return periodic(c, 0);
}

/* Read one input to its end (or until stopped).  Returns 0 or -1. */
static int read_input(capture *c)
{
    static char chunk[CHUNK];
    framer *fr = NULL;
    int rc = 0, short_read = 0;
    while (!*c->stop && (rc = step(c, &fr, chunk, &short_read)) == 0)
        ;
    if (rc == 1 && fr != NULL) { /* end of input: what is left is a record too */
        framer_finish(fr);
        rc = drain(c, fr);
    }
    framer_free(fr);
    return rc < 0 ? -1 : 0;
}

static input *open_input(const capture_opts *o, const char *path)
{
    char err[512];
    input *in = o->follow ? input_open_follow(path, o->state, o->from_end, err, sizeof(err))
                          : input_open_file(path, err, sizeof(err));
    if (in == NULL)
        errorf("%s", err);
    return in;
}

/* Read every input; a file that cannot be opened is reported and skipped
 * like cat does.  The last input stays open for the final state save. */
static int read_all(capture *c)
{
    const capture_opts *o = c->opts;
    int n = o->nfiles > 0 ? o->nfiles : 1, status = EXIT_OK;
    for (int i = 0; i < n && !*c->stop; i++) {
        input_close(c->in);
        c->in = open_input(o, o->nfiles > 0 ? o->files[i] : "-");
        if (c->in == NULL) {
            status = EXIT_RUNTIME;
            continue;
        }
        if (read_input(c) < 0)
            return EXIT_RUNTIME;
    }
    return status;
}

static int finish(capture *c, int status)
{
    char err[512];
    metrics_stop(); /* "written" is added below: a scrape would count it twice */
    int failed;
    uint64_t lost = output_flush(c->out, c->abort, &failed, err, sizeof(err));
    if (lost > 0 || failed) {
        errorf("%s", err);
        status = EXIT_RUNTIME;
    }
    if (save_state(c) < 0)
        status = EXIT_RUNTIME;
    (void)stats_add(&c->st, "written", output_written(c->out) - lost);
    if (lost > 0)
        (void)stats_add(&c->st, "undelivered", lost);
    if (c->in != NULL) {
        follow_stats fs = input_stats(c->in);
        (void)stats_add(&c->st, "rotations", fs.rotations);
        (void)stats_add(&c->st, "truncations", fs.truncations);
    }
    if (c->dlq != NULL && dlq_close(c->dlq, err, sizeof(err)) < 0) {
        errorf("dead-letter output: %s", err);
        status = EXIT_RUNTIME;
    }
    c->dlq = NULL;
    return status;
}

static void summary(const capture *c)
{
    char line[2048];
    stats_format(&c->st, line, sizeof(line));
    infof("%s", line);
}

static int setup(capture *c, capture_opts *o)
{
    char err[512];
    stats_init(&c->st);
    (void)stats_declare(&c->st, "read");
    (void)stats_declare(&c->st, "written");
    (void)stats_declare(&c->st, "rejected");
    if ((c->arena = pj_arena_new()) == NULL) {
        errorf("out of memory");
        return -1;
    }
    if (o->dlq != NULL && (c->dlq = dlq_open_file(o->dlq, err, sizeof(err))) == NULL) {
        errorf("dead-letter output: %s", err);
        return -1;
    }
    /* a full producer queue is waited out after the first signal too (the
     * record was read, so it is flushed with the rest); only the second
     * signal gives up */
    output_conf oc = {o->format, stdout, o->topic, conf_take_kafka(&o->conf), c->abort};
    if ((c->out = output_open(&oc, err, sizeof(err))) == NULL) {
        errorf("%s", err);
        return -1;
    }
    c->last_sync_ms = mono_ms();
    return 0;
}

static void teardown(capture *c)
{
    char err[512];
    if (c->dlq != NULL)
        (void)dlq_close(c->dlq, err, sizeof(err));
    output_free(c->out);
    input_close(c->in);
    pj_arena_free(c->arena);
    ckpt_free(&c->ckpts);
}

/* /metrics: records handed to the output so far, which the summary adds
 * only at the end (less any the output then could not deliver). */
static void live_written(void *ctx, stats *snap)
{
    const capture *c = ctx;
    (void)stats_add(snap, "written", output_written(c->out));
}

static int start_metrics(capture *c)
{
    char err[512];
    metrics_conf mc = {.addr = c->opts->metrics_addr,
                       .prog = "tetra-capture",
                       .st = &c->st,
                       .extra = live_written,
                       .extra_ctx = c,
                       .need_kafka = c->opts->format == OUTPUT_KAFKA};
    if (!mc.addr || metrics_start(&mc, err, sizeof(err)) == 0)
        return 0;
    errorf("%s", err);
    return -1;
}

int capture_run(capture_opts *opts, volatile sig_atomic_t *stop, volatile sig_atomic_t *abort)
{
    capture c;
    memset(&c, 0, sizeof(c));
    c.opts = opts;
    c.stop = stop;
    c.abort = abort;
    int status = EXIT_RUNTIME;
    if (setup(&c, opts) == 0 && start_metrics(&c) == 0) {
        /* --k8s runs its own loop and calls finish itself, so that it can
         * save its stream positions after the final flush */
        status = opts->k8s ? k8s_capture(&c, finish) : finish(&c, read_all(&c));
        summary(&c);
    }
    teardown(&c);
    return status;
}
