/* llm.c - chat-completions over curl's multi interface (see llm.h).
 *
 * A request lives in one of two places: the queue (not started, or
 * waiting for its retry to be due) or the multi handle (one transfer with
 * its own easy handle; connections are reused across them through the
 * multi handle's pool).  The reply envelope is parsed here
 * (choices[0].message.content and the usage counts); what the content
 * says is validated by finding.c.  A reply with a 4xx other than 429 is not
 * retried: the request itself is wrong. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include "http/http.h"
#include "llm.h"
#include "http/metrics.h"
#include "util/clock.h"

typedef struct req {
    struct req *next; /* in the queue */
    void *ud;
    char *body;
    CURL *h; /* while a transfer runs */
    buf raw;
    long retry_after; /* seconds from the last response, -1 when none */
    uint64_t due_ms;  /* a retry does not start before */
    int attempts;
    unsigned retried_429;
} req;

struct llm {
    llm_conf c;
    CURLM *m;
    http_conf hc;
    struct curl_slist *hdr;
    char endpoint[1024];
    req *qhead, *qtail; /* waiting to start, in submission order */
    req **run;          /* the transfers in the multi handle, concurrency slots */
    unsigned running;
    size_t pending;      /* submitted, outcome not reported */
    uint64_t hold_until; /* after a 429 with Retry-After: start nothing before */
    llm_gate_fn gate;
    void *gate_ctx;
};

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    req *l = ud;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
        char tmp[32];
        size_t m = len - (sizeof name - 1);
        if (m >= sizeof tmp)
            m = sizeof tmp - 1;
        memcpy(tmp, p + sizeof name - 1, m);
        tmp[m] = '\0';
        char *end;
        long v = strtol(tmp, &end, 10);
        if (end != tmp && v >= 0 && v < 86400)
            l->retry_after = v;
    }
    return len;
}

static int build_headers(llm *l, char *err, size_t errlen)
{
    l->hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (l->hdr == NULL)
        goto oom;
    if (l->c.api_key && l->c.api_key[0] && l->c.azure) {
        size_t n = strlen(l->c.api_key) + 16;
        char *h = malloc(n);
        if (h == NULL)
            goto oom;
        snprintf(h, n, "api-key: %s", l->c.api_key);
        struct curl_slist *nl = curl_slist_append(l->hdr, h);
        memset(h, 0, n);
        free(h);
        if (nl == NULL)
            goto oom;
        l->hdr = nl;
    } else if (l->c.api_key && l->c.api_key[0]) {
        if ((l->hc.bearer = strdup(l->c.api_key)) == NULL)
            goto oom;
    }
    if (http_conf_finish(&l->hc, err, errlen) < 0)
        return -1;
    /* http_setup sends our list instead of the conf's, so carry its auth over */
    for (struct curl_slist *h = l->hc.headers; h; h = h->next) {
        struct curl_slist *nl = curl_slist_append(l->hdr, h->data);
        if (nl == NULL)
            goto oom;
        l->hdr = nl;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

int llm_endpoint_url(const llm_conf *c, char *out, size_t cap)
{
    const char *u = c->url;
    size_t n = strlen(u);
    while (n > 0 && u[n - 1] == '/')
        n--;
    int w = c->azure ? snprintf(out, cap, "%.*s/chat/completions?api-version=%s", (int)n, u,
                                c->azure_api_version)
                     : snprintf(out, cap, "%.*s/chat/completions", (int)n, u);
    return (w < 0 || (size_t)w >= cap) ? -1 : 0;
}

static int build_endpoint(llm *l, char *err, size_t errlen)
{
    if (llm_endpoint_url(&l->c, l->endpoint, sizeof l->endpoint) < 0) {
        snprintf(err, errlen, "LLM URL too long");
        return -1;
    }
    return 0;
}

llm *llm_new(const llm_conf *c, char *err, size_t errlen)
{
    llm *l = calloc(1, sizeof *l);
    if (l == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->c = *c;
    if (c->ca_file && (l->hc.ca_file = strdup(c->ca_file)) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    l->hc.timeout_ms = c->timeout_ms;
    l->hc.connect_timeout_ms = c->connect_timeout_ms;
    if (build_endpoint(l, err, errlen) < 0 || build_headers(l, err, errlen) < 0)
        goto fail;
    if (l->c.concurrency == 0)
        l->c.concurrency = 1;
    if ((l->run = calloc(l->c.concurrency, sizeof *l->run)) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if ((l->m = curl_multi_init()) == NULL) {
        snprintf(err, errlen, "curl_multi_init failed");
        goto fail;
    }
    return l;
fail:
    llm_free(l);
    return NULL;
}

static void req_free(llm *l, req *r)
{
    if (r->h) {
        curl_multi_remove_handle(l->m, r->h);
        curl_easy_cleanup(r->h);
    }
    buf_free(&r->raw);
    free(r->body);
    free(r);
}

/* Requests still queued or running are dropped without an outcome. */
void llm_free(llm *l)
{
    if (l == NULL)
        return;
    while (l->qhead) {
        req *r = l->qhead;
        l->qhead = r->next;
        req_free(l, r);
    }
    for (unsigned i = 0; l->run && i < l->c.concurrency; i++)
        if (l->run[i])
            req_free(l, l->run[i]);
    free(l->run);
    if (l->m)
        curl_multi_cleanup(l->m);
    curl_slist_free_all(l->hdr);
    http_conf_free(&l->hc);
    free(l);
}

unsigned llm_backoff_ms(const llm_conf *c, int attempt, long retry_after_s, unsigned rnd)
{
    uint64_t ms;
    if (retry_after_s >= 0) {
        ms = (uint64_t)retry_after_s * 1000;
    } else {
        ms = (uint64_t)c->backoff_ms << (attempt < 16 ? attempt : 16);
        ms += c->backoff_ms ? rnd % (c->backoff_ms + 1) : 0;
    }
    return ms > c->max_wait_ms ? c->max_wait_ms : (unsigned)ms;
}

/* Pull content and usage out of the completion envelope. */
static int parse_envelope(const buf *raw, llm_reply *r, char *err, size_t errlen)
{
    json_error_t je;
    json_t *o = json_loadb(raw->p ? raw->p : "", raw->len, 0, &je);
    const char *content = NULL;
    json_t *usage;
    if (o == NULL) {
        snprintf(err, errlen, "LLM reply is not JSON: %s", je.text);
        return -1;
    }
    if (json_unpack(o, "{s:[{s:{s:s}}]}", "choices", "message", "content", &content) != 0) {
        snprintf(err, errlen, "LLM reply has no choices[0].message.content");
        json_decref(o);
        return -1;
    }
    if ((usage = json_object_get(o, "usage")) != NULL) {
        r->tokens_in = (unsigned)json_integer_value(json_object_get(usage, "prompt_tokens"));
        r->tokens_out = (unsigned)json_integer_value(json_object_get(usage, "completion_tokens"));
    }
    int rc = buf_puts(&r->content, content);
    json_decref(o);
    if (rc < 0)
        snprintf(err, errlen, "out of memory");
    return rc;
}

/* Start r's next attempt.  Returns 0, or -1 with err filled. */
static int start(llm *l, req *r, char *err, size_t errlen)
{
    buf_reset(&r->raw);
    r->retry_after = -1;
    r->attempts++;
    if ((r->h = curl_easy_init()) == NULL) {
        snprintf(err, errlen, "curl_easy_init failed");
        return -1;
    }
    if (http_setup(r->h, &l->hc, l->hdr, err, errlen) < 0)
        return -1;
    if (curl_easy_setopt(r->h, CURLOPT_URL, l->endpoint) != CURLE_OK ||
        curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->body) != CURLE_OK ||
        curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, http_buf_writer) != CURLE_OK ||
        curl_easy_setopt(r->h, CURLOPT_WRITEDATA, &r->raw) != CURLE_OK ||
        curl_easy_setopt(r->h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
        curl_easy_setopt(r->h, CURLOPT_HEADERDATA, r) != CURLE_OK ||
        curl_easy_setopt(r->h, CURLOPT_PRIVATE, r) != CURLE_OK ||
        curl_multi_add_handle(l->m, r->h) != CURLM_OK) {
        snprintf(err, errlen, "curl setup failed");
        return -1;
    }
    for (unsigned i = 0; i < l->c.concurrency; i++)
        if (l->run[i] == NULL) {
            l->run[i] = r;
            break;
        }
    l->running++;
    return 0;
}

static void enqueue(llm *l, req *r)
{
    r->next = NULL;
    if (l->qtail)
        l->qtail->next = r;
    else
        l->qhead = r;
    l->qtail = r;
}

int llm_submit(llm *l, char *body, void *ud)
{
    req *r = calloc(1, sizeof *r);
    if (r == NULL) {
        free(body);
        return -1;
    }
    r->body = body;
    r->ud = ud;
    r->retry_after = -1;
    enqueue(l, r);
    l->pending++;
    return 0;
}

size_t llm_pending(const llm *l)
{
    return l->pending;
}

void llm_set_gate(llm *l, llm_gate_fn fn, void *ctx)
{
    l->gate = fn;
    l->gate_ctx = ctx;
}

static void report(llm *l, req *r, int rc, llm_reply *rep, const char *err, llm_done_fn done,
                   void *ctx)
{
    rep->attempts = r->attempts;
    rep->retried_429 = r->retried_429;
    l->pending--;
    done(ctx, r->ud, rc, rep, err);
    req_free(l, r);
}

static int retryable(int transport_failed, long status)
{
    return transport_failed || status == 429 || status >= 500;
}

/* 1 while a request waits for a retry: the server is failing. */
static int retrying(const llm *l)
{
    for (const req *r = l->qhead; r; r = r->next)
        if (r->attempts > 0)
            return 1;
    return 0;
}

/* Start queued requests that are due while there is room: in queue order,
 * skipping retries not yet due, nothing while a Retry-After holds, and no
 * new request while one waits for a retry (a failing server gets its
 * retries, not a burst of new requests, and the circuit breaker gets the
 * failures before the burst is sent). */
static void start_due(llm *l, llm_done_fn done, void *ctx)
{
    uint64_t now = mono_ms();
    int hold_new = retrying(l);
    req **pp = &l->qhead, *last = NULL;
    while (*pp && l->running < l->c.concurrency && now >= l->hold_until) {
        req *r = *pp;
        char err[256];
        if (r->due_ms > now || (hold_new && r->attempts == 0)) {
            last = r;
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        if (l->qtail == r)
            l->qtail = last;
        if (l->gate && !l->gate(l->gate_ctx)) {
            llm_reply rep = {.refused = 1};
            report(l, r, LLM_FAIL, &rep, "circuit open", done, ctx);
        } else if (start(l, r, err, sizeof err) < 0) {
            llm_reply rep = {0};
            report(l, r, LLM_FAIL, &rep, err, done, ctx);
        }
        hold_new = retrying(l);
    }
}

/* A transfer ended: report it, or queue its retry. */
static void finished(llm *l, req *r, CURLcode cc, llm_done_fn done, void *ctx)
{
    llm_reply rep = {0};
    char err[256] = "";
    int tf = cc != CURLE_OK;
    double secs = 0;
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &rep.status);
    if (curl_easy_getinfo(r->h, CURLINFO_TOTAL_TIME, &secs) == CURLE_OK)
        metrics_observe("llm_request_seconds", secs);
    curl_multi_remove_handle(l->m, r->h);
    curl_easy_cleanup(r->h);
    r->h = NULL;
    for (unsigned i = 0; i < l->c.concurrency; i++)
        if (l->run[i] == r)
            l->run[i] = NULL;
    l->running--;
    if (tf) {
        rep.status = 0;
        snprintf(err, sizeof err, "LLM request failed: %s", curl_easy_strerror(cc));
    } else if (rep.status >= 200 && rep.status < 300) {
        int rc = parse_envelope(&r->raw, &rep, err, sizeof err) == 0 ? LLM_OK : LLM_FAIL;
        report(l, r, rc, &rep, err, done, ctx);
        buf_free(&rep.content);
        return;
    } else {
        snprintf(err, sizeof err, "LLM answered HTTP %ld", rep.status);
    }
    /* a Retry-After longer than the cap would stall the stream: fail */
    if (retryable(tf, rep.status) && r->attempts <= l->c.max_retries &&
        r->retry_after * 1000 <= (long)l->c.max_wait_ms) {
        uint64_t now = mono_ms();
        if (rep.status == 429)
            r->retried_429++;
        if (rep.status == 429 && r->retry_after >= 0 &&
            now + (uint64_t)r->retry_after * 1000 > l->hold_until)
            l->hold_until = now + (uint64_t)r->retry_after * 1000;
        r->due_ms = now + llm_backoff_ms(&l->c, r->attempts - 1, r->retry_after, (unsigned)rand());
        r->next = l->qhead; /* a retry keeps its turn before what came later */
        l->qhead = r;
        if (l->qtail == NULL)
            l->qtail = r;
        return;
    }
    report(l, r, LLM_FAIL, &rep, err, done, ctx);
}

/* How long the first queued request has to wait, capped at cap. */
static int queue_wait(const llm *l, int cap)
{
    uint64_t now = mono_ms(), best = now + (uint64_t)cap;
    if (l->running >= l->c.concurrency)
        return cap;
    int hold_new = retrying(l);
    for (const req *r = l->qhead; r; r = r->next) {
        if (hold_new && r->attempts == 0)
            continue;
        uint64_t t = r->due_ms > l->hold_until ? r->due_ms : l->hold_until;
        if (t < best)
            best = t;
    }
    return best <= now ? 0 : (int)(best - now);
}

int llm_run(llm *l, int wait_ms, int wake_fd, llm_done_fn done, void *ctx)
{
    int still, numfds;
    struct curl_waitfd wfd = {.fd = wake_fd, .events = CURL_WAIT_POLLIN};
    start_due(l, done, ctx);
    if (curl_multi_perform(l->m, &still) != CURLM_OK)
        return -1;
    int wait = l->qhead ? queue_wait(l, wait_ms) : wait_ms;
    if (wait > 0 &&
        curl_multi_poll(l->m, wake_fd >= 0 ? &wfd : NULL, wake_fd >= 0, wait, &numfds) != CURLM_OK)
        return -1;
    if (curl_multi_perform(l->m, &still) != CURLM_OK)
        return -1;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(l->m, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        req *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        finished(l, r, msg->data.result, done, ctx);
    }
    start_due(l, done, ctx);
    return 0;
}
