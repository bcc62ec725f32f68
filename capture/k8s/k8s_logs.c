/* k8s_logs.c - one follow stream of container logs per pod.
 *
 * GET pods/<pod>/log?container=C&follow=true&timestamps=true[&sinceTime=T]
 * through the API server.  Bytes are cut into lines here; only a line that
 * ended in '\n' counts, so a stream that breaks mid-line (the API server
 * ends it cleanly then) never passes half an event on: the partial line is
 * dropped with the transfer and comes again, whole, after the reconnect.
 * Every line is checked against the stream's position (kube_resume.h)
 * before it reaches record_handle(), which treats it exactly like a line of
 * stdin.  Whatever the reason a stream ended, it is reconnected while the
 * pod is wanted: a clean end soon, an error after a growing backoff. */
#include "k8s.h"
#include "util/msg.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRBODY_MAX 8192
#define BACKOFF_CAP_MS 8000u
#define BACKOFF_CAP_HTTP_MS 30000u
#define CLEAN_END_RETRY_MS 500

int k8s_pend_push(k8s *k, k8s_pod *p)
{
    uint64_t n = output_written(k->c->out);
    if (k->qlen > 0) { /* same n and pod as the last entry (a rejected line): update it */
        k8s_pend *last = &k->q[(k->qhead + k->qlen - 1) % k->qcap];
        if (last->n == n && last->slot == p->slot && last->gen == p->gen) {
            last->ts = p->pos.ts;
            last->count = p->pos.count;
            return 0;
        }
    }
    if (k->qlen == k->qcap) {
        size_t nc = k->qcap ? k->qcap * 2 : 256;
        k8s_pend *nq = malloc(nc * sizeof(*nq));
        if (nq == NULL)
            return -1;
        for (size_t i = 0; i < k->qlen; i++)
            nq[i] = k->q[(k->qhead + i) % k->qcap];
        free(k->q);
        k->q = nq;
        k->qcap = nc;
        k->qhead = 0;
    }
    k8s_pend e = {n, p->slot, p->gen, p->pos.ts, p->pos.count};
    k->q[(k->qhead + k->qlen++) % k->qcap] = e;
    return 0;
}

/* One complete line (without its newline) of pod p. */
/* A line is n bytes kept plus dropped bytes not kept (a line longer
 * than any record may be is only counted, and rejected as too_long). */
static int handle_line(k8s *k, k8s_pod *p, const char *line, size_t n, uint64_t dropped)
{
    capture *c = k->c;
    int64_t ts;
    const char *text;
    size_t tn;
    int stamped = kube_log_split(line, n, &ts, &text, &tn) == 0;
    p->got++;
    p->lineno++;
    uint64_t start = p->offset;
    p->offset += n + dropped + 1;
    if (stamped && !kube_resume_accept(&p->pos, ts)) {
        (void)stats_add(&c->st, "k8s_duplicates", 1);
        return 0;
    }
    while (tn > 0 && (text[tn - 1] == '\r' || text[tn - 1] == ' ' || text[tn - 1] == '\t'))
        tn--;
    if (tn > 0) {
        framer_record r = {text, tn, tn + dropped, p->lineno, start, p->offset, NULL};
        if (tn + dropped > c->opts->max_record) {
            r.reject = "too_long";
            r.len = tn < FRAMER_HEAD_KEEP ? tn : FRAMER_HEAD_KEEP;
        }
        c->in = p->in;
        int rc = record_handle(c, &r);
        c->in = NULL;
        k->handled++;
        if (rc < 0)
            return -1;
    }
    if (stamped && c->opts->state != NULL && k8s_pend_push(k, p) < 0) {
        errorf("out of memory");
        return -1;
    }
    return 0;
}

static void keep_error_body(k8s_pod *p, const char *data, size_t n)
{
    if (p->errbody.len < ERRBODY_MAX)
        (void)buf_append(&p->errbody, data, n < ERRBODY_MAX ? n : ERRBODY_MAX);
}

static int oom(void)
{
    errorf("out of memory");
    return -1;
}

/* Complete lines are handed on straight from curl's buffer; only the
 * unfinished tail of a chunk is copied into p->line, and freed once its
 * line is complete, so an idle stream holds no line buffer at all (it held
 * one grown to twice the largest chunk before: 32 KB a pod). */
/* Keep up to a line's worth of what a record may be (plus room for the
 * timestamp prefix), count the rest: a pod writing without newlines must
 * not grow the buffer without bound. */
static int keep_part(k8s *k, k8s_pod *p, const char *at, size_t len)
{
    size_t cap = k->c->opts->max_record + 64;
    size_t room = p->line.len < cap ? cap - p->line.len : 0;
    size_t take = len < room ? len : room;
    if (take > 0 && buf_append(&p->line, at, take) < 0)
        return oom();
    p->line_dropped += len - take;
    return 0;
}

int k8s_logs_take(k8s *k, k8s_pod *p, const char *data, size_t n)
{
    const char *at = data, *end = data + n, *nl;
    while ((nl = memchr(at, '\n', (size_t)(end - at))) != NULL) {
        const char *line = at;
        size_t len = (size_t)(nl - at);
        uint64_t dropped = 0;
        if (p->line.len > 0 || p->line_dropped > 0) { /* a line begun in an earlier chunk */
            if (keep_part(k, p, at, len) < 0)
                return -1;
            line = p->line.p;
            len = p->line.len;
            dropped = p->line_dropped;
        }
        if (handle_line(k, p, line, len, dropped) < 0)
            return -1;
        if (p->line.p != NULL)
            buf_free(&p->line); /* a follow stream is idle most of the time */
        p->line_dropped = 0;
        at = nl + 1;
    }
    if (at < end && keep_part(k, p, at, (size_t)(end - at)) < 0)
        return -1;
    return 0;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *userdata)
{
    k8s_pod *p = userdata;
    k8s *k = NULL;
    size_t n = size * nmemb;
    if (p->status == 0 && curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &p->status) != CURLE_OK)
        p->status = -1;
    if (p->status != 200) {
        keep_error_body(p, data, n);
        return n;
    }
    if (curl_easy_getinfo(p->h, CURLINFO_PRIVATE, (char **)&k) != CURLE_OK || k == NULL)
        return 0;
    if (k8s_logs_take(k, p, data, n) < 0) {
        k->fatal = 1; /* already said why */
        return 0;
    }
    return n;
}

static int stream_path(k8s *k, k8s_pod *p, char *path, size_t n)
{
    char since[64], q[80] = "";
    if (kube_resume_since(&p->pos, since, sizeof(since)) < 0)
        return -1;
    if (since[0] != '\0')
        snprintf(q, sizeof(q), "&sinceTime=%s", since);
    int w = snprintf(path, n,
                     "/api/v1/namespaces/%s/pods/%s/log?container=%s&follow=true&timestamps=true%s",
                     k->ns, p->name, k->container, q);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

int k8s_logs_start(k8s *k, k8s_pod *p)
{
    char path[1024], err[512];
    if (stream_path(k, p, path, sizeof(path)) < 0) {
        errorf("k8s:%s/%s: request path too long", k->ns, p->name);
        return -1;
    }
    if ((p->h = curl_easy_init()) == NULL) {
        errorf("out of memory");
        return -1;
    }
    if (kube_client_setup(k->api, p->h, path, &p->hdrs, err, sizeof(err)) < 0) {
        errorf("%s", err);
        curl_easy_cleanup(p->h);
        p->h = NULL;
        return -1;
    }
    CURLcode r = curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, on_data);
    r |= curl_easy_setopt(p->h, CURLOPT_WRITEDATA, p);
    r |= curl_easy_setopt(p->h, CURLOPT_PRIVATE, (char *)k);
    if (r != CURLE_OK || curl_multi_add_handle(k->multi, p->h) != CURLM_OK) {
        errorf("libcurl rejected the log stream of %s", p->source);
        k8s_logs_close(k, p);
        return -1;
    }
    p->status = 0;
    p->got = 0;
    buf_reset(&p->line);
    buf_reset(&p->errbody);
    kube_resume_reconnect(&p->pos);
    notef("%s: following container %s%s", p->source, k->container,
          strstr(path, "sinceTime") != NULL ? strstr(path, "&sinceTime") : "");
    return 0;
}

void k8s_logs_close(k8s *k, k8s_pod *p)
{
    if (p->h != NULL) {
        (void)curl_multi_remove_handle(k->multi, p->h);
        curl_easy_cleanup(p->h);
    }
    curl_slist_free_all(p->hdrs);
    p->h = NULL;
    p->hdrs = NULL;
    buf_free(&p->line); /* an incomplete line never counts */
}

static void http_error(k8s *k, k8s_pod *p)
{
    char what[1024];
    uint64_t suppressed;
    kube_describe(p->status, p->errbody.p, p->errbody.len, "get", "pods/log", k->ns, what,
                  sizeof(what));
    if (p->status == 403 && msg_ratelimit("k8s_forbidden", 30, &suppressed))
        errorf("%s: %s", p->source, what);
    else if (p->status != 403)
        warnf("%s: %s; retrying in %u ms", p->source, what, p->backoff);
    (void)stats_add(&k->c->st, "k8s_stream_errors", 1);
}

void k8s_logs_done(k8s *k, k8s_pod *p, CURLcode rc)
{
    long status = p->status;
    uint64_t got = p->got;
    if (status == 0)
        (void)curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &status);
    p->status = status;
    k8s_logs_close(k, p);
    uint64_t now = mono_ms();
    if (got > 0)
        p->backoff = 0;
    if (status == 200 && rc == CURLE_OK) { /* clean end: a cut stream or a container restart */
        p->retry_at = now + (got > 0 ? CLEAN_END_RETRY_MS
                                     : (p->backoff = k8s_backoff(p->backoff, BACKOFF_CAP_MS)));
    } else if (status != 200 && status != 0) {
        p->backoff = k8s_backoff(p->backoff, BACKOFF_CAP_HTTP_MS);
        p->retry_at = now + p->backoff;
        http_error(k, p);
    } else {
        p->backoff = k8s_backoff(p->backoff, BACKOFF_CAP_MS);
        p->retry_at = now + p->backoff;
        if (!*k->c->stop)
            notef("%s: stream broke (%s); reconnecting in %u ms", p->source, curl_easy_strerror(rc),
                  p->backoff);
    }
    if (p->wanted && !*k->c->stop)
        (void)stats_add(&k->c->st, "k8s_reconnects", 1);
    buf_free(&p->errbody); /* read by http_error; a healthy stream needs none */
}
