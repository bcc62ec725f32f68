/* bulk.c - batching, parallel _bulk requests and per-item results (see bulk.h).
 *
 * Items live on one of three lists: ready (waiting for a request), a
 * request slot's batch (in flight) or retry (waiting out a backoff).  An
 * item leaves the engine only through finish(), which calls the done
 * callback, so counting callbacks is counting deliveries.  Items of one
 * failed request, and the items one answer asked to retry, share one due
 * time so they travel together again instead of one request each. */
#include "bulk.h"
#include "http/metrics.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libdeflate.h>

#include "util/clock.h"
#include "util/msg.h"

typedef struct item {
    struct item *next;
    int32_t part;
    int64_t off;
    int attempts;
    int64_t due;
    size_t len;
    char data[];
} item;

typedef struct list {
    item *head, *tail;
    size_t n, bytes;
} list;

typedef struct slot {
    CURL *h;
    list batch;
    buf body, gz, resp;
    char errbuf[CURL_ERROR_SIZE]; /* curl's detail on a failed transfer */
} slot;

struct bulk {
    bulk_conf c;
    char url[1024];
    CURLM *multi;
    struct curl_slist *headers;
    struct libdeflate_compressor *gz; /* NULL without gzip */
    slot *slots;
    int busy;
    list ready, retry;
    int64_t ready_since;
    size_t max_docs, max_bytes; /* current limits; 413 halves max_bytes */
    uint64_t rnd;
    char fatal[512];
};

int64_t bulk_now_ms(void)
{
    return (int64_t)mono_ms(); /* signed: the sink's deadlines subtract */
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

long bulk_backoff(long base, long cap, int attempt, uint64_t *rnd)
{
    long d = base;
    for (int i = 1; i < attempt && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    if (d < 2)
        return d;
    return d / 2 + (long)(next_rand(rnd) % (uint64_t)(d / 2 + 1));
}

static void count(bulk *b, const char *name, uint64_t n)
{
    if (b->c.st && n)
        (void)stats_add(b->c.st, name, n); /* only fails for a bad name */
}

/* --- lists -------------------------------------------------------------------------- */

static void push(list *l, item *it)
{
    it->next = NULL;
    if (l->tail)
        l->tail->next = it;
    else
        l->head = it;
    l->tail = it;
    l->n++;
    l->bytes += it->len;
}

static item *pop(list *l)
{
    item *it = l->head;
    if (!it)
        return NULL;
    l->head = it->next;
    if (!l->head)
        l->tail = NULL;
    l->n--;
    l->bytes -= it->len;
    return it;
}

static void free_list(list *l)
{
    item *it;
    while ((it = pop(l)))
        free(it);
}

/* --- setup ------------------------------------------------------------------------------ */

static int build_headers(bulk *b)
{
    const char *own[] = {"Content-Type: application/x-ndjson",
                         "Expect:", b->c.gzip ? "Content-Encoding: gzip" : NULL};
    for (size_t i = 0; i < 3; i++) {
        if (!own[i])
            continue;
        struct curl_slist *l = curl_slist_append(b->headers, own[i]);
        if (!l)
            return -1;
        b->headers = l;
    }
    for (struct curl_slist *s = b->c.http->headers; s; s = s->next) {
        struct curl_slist *l = curl_slist_append(b->headers, s->data);
        if (!l)
            return -1;
        b->headers = l;
    }
    return 0;
}

static int setup_slots(bulk *b, char *err, size_t errlen)
{
    b->slots = calloc((size_t)b->c.max_inflight, sizeof *b->slots);
    if (!b->slots)
        return -1;
    for (int i = 0; i < b->c.max_inflight; i++) {
        slot *s = &b->slots[i];
        s->h = curl_easy_init();
        if (!s->h || http_setup(s->h, b->c.http, b->headers, err, errlen) < 0)
            return -1;
        CURLcode r = curl_easy_setopt(s->h, CURLOPT_URL, b->url);
        r |= curl_easy_setopt(s->h, CURLOPT_POST, 1L);
        r |= curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, http_buf_writer);
        r |= curl_easy_setopt(s->h, CURLOPT_WRITEDATA, &s->resp);
        r |= curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
        r |= curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, s->errbuf);
        if (r != CURLE_OK)
            return -1;
    }
    return 0;
}

bulk *bulk_new(const bulk_conf *c, char *err, size_t errlen)
{
    bulk *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->c = *c;
    b->max_docs = c->max_docs;
    b->max_bytes = c->max_bytes;
    b->rnd = (uint64_t)bulk_now_ms() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
    if (!b->rnd)
        b->rnd = 1;
    size_t ul = strlen(c->url);
    while (ul && c->url[ul - 1] == '/')
        ul--;
    snprintf(b->url, sizeof b->url, "%.*s/_bulk?filter_path=errors,items.*.status,items.*.error",
             (int)ul, c->url);
    err[0] = 0;
    b->multi = curl_multi_init();
    if (c->gzip && !(b->gz = libdeflate_alloc_compressor(1))) {
        snprintf(err, errlen, "out of memory for the gzip compressor");
        bulk_free(b);
        return NULL;
    }
    if (!b->multi || build_headers(b) < 0 || setup_slots(b, err, errlen) < 0) {
        if (!err[0])
            snprintf(err, errlen, "cannot set up libcurl");
        bulk_free(b);
        return NULL;
    }
    /* a cap only: without it curl still opens at most max_inflight */
    (void)curl_multi_setopt(b->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->max_inflight);
    return b;
}

void bulk_free(bulk *b)
{
    if (!b)
        return;
    for (int i = 0; b->slots && i < b->c.max_inflight; i++) {
        slot *s = &b->slots[i];
        if (s->h) {
            if (s->batch.n)
                (void)curl_multi_remove_handle(b->multi, s->h); /* at exit */
            curl_easy_cleanup(s->h);
        }
        free_list(&s->batch);
        buf_free(&s->body);
        buf_free(&s->gz);
        buf_free(&s->resp);
    }
    free(b->slots);
    free_list(&b->ready);
    free_list(&b->retry);
    if (b->multi)
        curl_multi_cleanup(b->multi);
    curl_slist_free_all(b->headers);
    libdeflate_free_compressor(b->gz);
    free(b);
}

/* --- queueing -------------------------------------------------------------------------------- */

int bulk_add(bulk *b, const char *lines, size_t len, int32_t part, int64_t off)
{
    item *it = malloc(sizeof *it + len);
    if (!it)
        return -1;
    memcpy(it->data, lines, len);
    it->len = len;
    it->part = part;
    it->off = off;
    it->attempts = 0;
    it->due = 0;
    if (!b->ready.n)
        b->ready_since = bulk_now_ms();
    push(&b->ready, it);
    return 0;
}

size_t bulk_pending(const bulk *b)
{
    size_t n = b->ready.n + b->retry.n;
    for (int i = 0; i < b->c.max_inflight; i++)
        n += b->slots[i].batch.n;
    return n;
}

int bulk_full(const bulk *b)
{
    return bulk_pending(b) >= b->c.max_queued;
}

static void finish(bulk *b, item *it, bulk_outcome o, int status, const char *reason)
{
    bulk_result r = {o, status, reason, it->data, it->len, it->part, it->off};
    count(b, o == BULK_INDEXED ? "indexed" : o == BULK_DUPLICATE ? "duplicates" : "rejected", 1);
    if (o == BULK_REJECTED &&
        status > 0) { /* item errors by status, for the summary and /metrics */
        char name[32];
        snprintf(name, sizeof name, "rejected_http_%d", status);
        count(b, name, 1);
    }
    b->c.done(b->c.opaque, &r);
    free(it);
}

/* Put it on the retry list, due after delay ms.  Callers give every item
 * of one answer the same delay (see retry_together). */
static void retry_later(bulk *b, item *it, long delay)
{
    it->attempts++;
    it->due = bulk_now_ms() + delay;
    count(b, "retries", 1);
    push(&b->retry, it);
}

static void due_retries(bulk *b)
{
    int64_t now = bulk_now_ms();
    list keep = {0};
    item *it;
    while ((it = pop(&b->retry))) {
        if (it->due <= now) {
            if (!b->ready.n)
                b->ready_since = 0; /* retried work goes out at once */
            push(&b->ready, it);
        } else {
            push(&keep, it);
        }
    }
    b->retry = keep;
}

/* --- sending ------------------------------------------------------------------------------------
 */

/* The whole body is in memory before it is sent, so a one-shot compressor
 * fits, and libdeflate's level 1 took half of zlib's level 1 time on our
 * bulk bodies (7.4 against 14.7 us per document) with output 10% smaller;
 * compression was the sink's largest CPU cost, and on a small machine that
 * CPU is taken from the OpenSearch it feeds. */
static int gzip_body(bulk *b, slot *s)
{
    buf_reset(&s->gz);
    size_t bound = libdeflate_gzip_compress_bound(b->gz, s->body.len);
    if (buf_reserve(&s->gz, bound) < 0)
        return -1;
    s->gz.len = libdeflate_gzip_compress(b->gz, s->body.p, s->body.len, s->gz.p, bound);
    return s->gz.len ? 0 : -1;
}

static slot *free_slot(bulk *b)
{
    for (int i = 0; i < b->c.max_inflight; i++)
        if (!b->slots[i].batch.n)
            return &b->slots[i];
    return NULL;
}

/* Move up to the request limits from ready into s->batch and its body. */
static int fill(bulk *b, slot *s)
{
    buf_reset(&s->body);
    while (b->ready.n && s->batch.n < b->max_docs &&
           (!s->batch.n || s->body.len + b->ready.head->len <= b->max_bytes)) {
        item *it = pop(&b->ready);
        push(&s->batch, it);
        if (buf_append(&s->body, it->data, it->len) < 0)
            return -1;
    }
    b->ready_since = b->ready.n ? bulk_now_ms() : 0;
    return 0;
}

static int start(bulk *b, slot *s)
{
    if (fill(b, s) < 0)
        return -1;
    const buf *out = &s->body;
    if (b->c.gzip) {
        if (gzip_body(b, s) < 0)
            return -1;
        out = &s->gz;
    }
    buf_reset(&s->resp);
    s->errbuf[0] = 0;
    CURLcode r = curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, out->p);
    r |= curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)out->len);
    if (r != CURLE_OK || curl_multi_add_handle(b->multi, s->h) != CURLM_OK)
        return -1;
    b->busy++;
    count(b, "requests", 1);
    return 0;
}

static int ready_to_send(const bulk *b, int flush)
{
    if (!b->ready.n)
        return 0;
    if (flush || b->ready.n >= b->max_docs || b->ready.bytes >= b->max_bytes)
        return 1;
    return bulk_now_ms() - b->ready_since >= b->c.linger_ms;
}

static int send_due(bulk *b, int flush)
{
    slot *s;
    while (ready_to_send(b, flush) && (s = free_slot(b)))
        if (start(b, s) < 0)
            return -1;
    return 0;
}

/* --- results
 * ---------------------------------------------------------------------------------------- */

/* Up to max bytes of p as one log line: control characters (a pretty-printed
 * body's newlines) become spaces, a cut is marked with "...", and a cut never
 * splits a UTF-8 sequence. */
static void one_line(const char *p, size_t len, size_t max, char *out, size_t n)
{
    if (max + 4 > n) /* n >= 4: room for "..." and the NUL */
        max = n - 4;
    size_t m = len;
    if (len > max)
        for (m = max; m && ((unsigned char)p[m] & 0xC0) == 0x80;)
            m--;
    for (size_t i = 0; i < m; i++)
        out[i] = (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? ' ' : p[i];
    memcpy(out + m, m < len ? "..." : "", m < len ? 4 : 1);
}

/* All of l waits out one backoff, sized by its most tried item, so the
 * items become due together and go out again as one request rather than
 * one request each. */
static void retry_together(bulk *b, list *l)
{
    int attempts = 0;
    for (item *it = l->head; it; it = it->next)
        if (it->attempts > attempts)
            attempts = it->attempts;
    long delay = bulk_backoff(b->c.backoff_ms, b->c.backoff_max_ms, attempts + 1, &b->rnd);
    item *it;
    while ((it = pop(l)))
        retry_later(b, it, delay);
}

/* key is the rate limit's name (a fixed string: msg_ratelimit keeps a small
 * table of them), why the changing detail shown. */
static void retry_batch(bulk *b, slot *s, const char *key, const char *why)
{
    uint64_t skipped;
    if (msg_ratelimit(key, 10, &skipped))
        warnf("bulk request failed (%s); %zu documents will be retried (%llu similar before)", why,
              s->batch.n, (unsigned long long)skipped);
    retry_together(b, &s->batch);
}

/* "type: reason (caused by: reason)" of an item error. */
static void error_text(json_t *e, char *out, size_t n)
{
    const char *type = json_string_value(json_object_get(e, "type"));
    const char *reason = json_string_value(json_object_get(e, "reason"));
    json_t *cause = json_object_get(e, "caused_by");
    const char *creason = json_string_value(json_object_get(cause, "reason"));
    snprintf(out, n, "%s%s%s%s%s%s", type ? type : "error", reason ? ": " : "",
             reason ? reason : "", creason ? " (caused by: " : "", creason ? creason : "",
             creason ? ")" : "");
}

/* OpenSearch's "type: reason" as a log line of at most about 200 bytes,
 * without the ";" some reasons end in, since more text follows. */
static void reason_line(const char *why, char *out, size_t n)
{
    one_line(why, strlen(why), 200, out, n);
    size_t len = strlen(out);
    while (len && (out[len - 1] == ';' || out[len - 1] == ' '))
        out[--len] = 0;
}

/* Keep items unfinished for good, with every waiting retry: their offsets
 * are never committed, and a restart after the fix sends them again. */
static void hold(bulk *b, list *l)
{
    item *it;
    while ((it = pop(l)))
        push(&b->retry, it);
    for (it = b->retry.head; it; it = it->next)
        it->due = INT64_MAX;
}

/* A document's 401, 403 or 404 is the cluster refusing this user or this
 * index, not a bad document: missing index permissions (the security
 * plugin answers per document), a write block, or an index that does not
 * exist and may not be created (a create can meet no other "not found").
 * Every later document to that index would meet the same, so treating them
 * as rejected would dead-letter and commit the whole stream.  Like a
 * refused request they stop the engine. */
static int refusal(int st)
{
    return st == 401 || st == 403 || st == 404;
}

/* What the operator can do about a refusal, from its status and error. */
static const char *refusal_hint(int st, const char *why)
{
    if (st == 401)
        return "check the sink's credentials";
    if (strncmp(why, "cluster_block_exception", 23) == 0)
        return "the index is blocked for writes (index.blocks.*): lift the block";
    if (st == 403)
        return "check the user's index permissions: it must write to the index "
               "(indices:data/write/bulk*) and create it (indices:admin/create) unless it exists";
    return "create the index or an index template for it, or let OpenSearch create it "
           "(action.auto_create_index)";
}

/* What an item's answer leaves to do: it finished, or it waits in the
 * caller's list for a retry or for good. */
typedef enum item_fate { ITEM_FINISHED, ITEM_RETRY, ITEM_REFUSED } item_fate;

/* The items of one response that did not finish, by fate, with the first
 * one's status and error to speak for them all. */
typedef struct unfinished {
    list items;
    int status;
    int mixed; /* some had another status */
    char why[1024];
} unfinished;

static item_fate item_result(bulk *b, item *it, json_t *res, int *st, char *why, size_t n)
{
    json_t *op = json_object_iter_value(json_object_iter(res));
    *st = (int)json_integer_value(json_object_get(op, "status"));
    if (*st >= 200 && *st < 300) {
        finish(b, it, BULK_INDEXED, *st, NULL);
        return ITEM_FINISHED;
    }
    if (*st == 409) {
        finish(b, it, BULK_DUPLICATE, *st, NULL);
        return ITEM_FINISHED;
    }
    error_text(json_object_get(op, "error"), why, n);
    if (*st == 429 || *st == 408 || *st >= 500 || *st == 0)
        return ITEM_RETRY;
    if (refusal(*st))
        return ITEM_REFUSED;
    finish(b, it, BULK_REJECTED, *st, why);
    return ITEM_FINISHED;
}

static void keep(unfinished *u, item *it, int st, const char *why)
{
    if (!u->items.n) {
        u->status = st;
        snprintf(u->why, sizeof u->why, "%s", why);
    } else if (st != u->status) {
        u->mixed = 1;
    }
    push(&u->items, it);
}

/* Documents an answer asked to retry (a full write queue's 429, a shard's
 * 5xx) are the cluster saying "slow down", which an operator wants to hear
 * about, but once in a while, not once per answer. */
static void retry_items(bulk *b, unfinished *u)
{
    uint64_t skipped;
    if (msg_ratelimit("bulk: document retries", 10, &skipped)) {
        char reason[260];
        reason_line(u->why, reason, sizeof reason);
        warnf("OpenSearch asked to retry %zu document%s (HTTP %d %s%s); they will be sent again "
              "(%llu similar answers before)",
              u->items.n, u->items.n == 1 ? "" : "s", u->status, reason,
              u->mixed ? ", and other statuses" : "", (unsigned long long)skipped);
    }
    retry_together(b, &u->items);
}

static void refused(bulk *b, unfinished *u)
{
    if (!b->fatal[0]) {
        char reason[260];
        reason_line(u->why, reason, sizeof reason);
        snprintf(b->fatal, sizeof b->fatal, "OpenSearch refused %zu document%s with HTTP %d %s; %s",
                 u->items.n, u->items.n == 1 ? "" : "s", u->status, reason,
                 refusal_hint(u->status, u->why));
    }
    hold(b, &u->items);
}

static void items_results(bulk *b, slot *s)
{
    json_error_t je;
    json_t *root = json_loadb(s->resp.p ? s->resp.p : "", s->resp.len, 0, &je);
    json_t *items = json_object_get(root, "items");
    if (!json_is_array(items) || json_array_size(items) != s->batch.n) {
        char why[300];
        if (!root)
            snprintf(why, sizeof why, "unreadable bulk response: %s", je.text);
        else
            snprintf(why, sizeof why, "bulk response with %zu results for %zu documents",
                     json_array_size(items), s->batch.n);
        retry_batch(b, s, "bulk: unreadable", why);
        json_decref(root);
        return;
    }
    int errors = json_is_true(json_object_get(root, "errors"));
    unfinished again = {0}, held = {0};
    char why[1024];
    int st = 0;
    size_t i = 0;
    item *it;
    while ((it = pop(&s->batch))) {
        item_fate f = ITEM_FINISHED;
        if (errors)
            f = item_result(b, it, json_array_get(items, i), &st, why, sizeof why);
        else
            finish(b, it, BULK_INDEXED, 201, NULL);
        if (f == ITEM_RETRY)
            keep(&again, it, st, why);
        else if (f == ITEM_REFUSED)
            keep(&held, it, st, why);
        i++;
    }
    if (again.items.n)
        retry_items(b, &again);
    if (held.items.n)
        refused(b, &held);
    json_decref(root);
}

/* 413: the request was too big; halve the byte limit and send again,
 * unless it was one document, which can never fit. */
static void too_large(bulk *b, slot *s)
{
    if (s->batch.n == 1) {
        finish(b, pop(&s->batch), BULK_REJECTED, 413,
               "request_too_large: document over http.max_content_length");
        return;
    }
    if (b->max_bytes > 65536)
        b->max_bytes /= 2;
    if (b->max_docs > 1)
        b->max_docs = (b->max_docs + 1) / 2;
    warnf("OpenSearch said 413 (request too large); requests now at most %zu bytes", b->max_bytes);
    item *it;
    while ((it = pop(&s->batch)))
        retry_later(b, it, 0);
}

static void fatal(bulk *b, slot *s, long code)
{
    char body[320];
    one_line(s->resp.p ? s->resp.p : "", s->resp.len, 300, body, sizeof body);
    if (!b->fatal[0])
        snprintf(b->fatal, sizeof b->fatal, "OpenSearch refused the bulk request with HTTP %ld: %s",
                 code, body);
    hold(b, &s->batch);
}

/* No answer: curl's detail, or its name for the failure when there is none,
 * e.g. "Failed to connect to 10.0.0.5 port 9200 after 3 ms: Couldn't connect". */
static void transport_failed(bulk *b, slot *s, CURLcode res)
{
    const char *name = curl_easy_strerror(res);
    char why[CURL_ERROR_SIZE + 128];
    if (!s->errbuf[0] || strstr(s->errbuf, name)) /* say it once */
        snprintf(why, sizeof why, "%s", s->errbuf[0] ? s->errbuf : name);
    else
        snprintf(why, sizeof why, "%s: %s", name, s->errbuf);
    retry_batch(b, s, "bulk: transport", why);
}

/* An answer worth retrying: the status and the start of what the server
 * said, which tells a full queue from a node leaving from a proxy's page. */
static void http_failed(bulk *b, slot *s, long code)
{
    char body[256], why[300];
    one_line(s->resp.p ? s->resp.p : "", s->resp.len, 200, body, sizeof body);
    snprintf(why, sizeof why, "HTTP %ld%s%s", code, body[0] ? ": " : "", body);
    retry_batch(b, s, code == 429 ? "bulk: HTTP 429" : "bulk: HTTP 5xx", why);
}

/* What the answer to s's request (transfer result res, HTTP status code,
 * body in s->resp) means for its items. */
static void answered(bulk *b, slot *s, CURLcode res, long code)
{
    if (res != CURLE_OK)
        transport_failed(b, s, res);
    else if (code == 200)
        items_results(b, s);
    else if (code == 429 || code >= 500 || code == 408)
        http_failed(b, s, code);
    else if (code == 413)
        too_large(b, s);
    else
        fatal(b, s, code);
}

static void completed(bulk *b, CURLMsg *m)
{
    /* getinfo and remove cannot fail for a handle this engine added */
    char *priv = NULL;
    (void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
    slot *s = (slot *)(void *)priv;
    CURLcode res = m->data.result;
    double took = 0;
    if (curl_easy_getinfo(m->easy_handle, CURLINFO_TOTAL_TIME, &took) == CURLE_OK)
        metrics_observe("bulk_request_seconds", took);
    (void)curl_multi_remove_handle(b->multi, m->easy_handle);
    b->busy--;
    long code = 0;
    (void)curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
    answered(b, s, res, code);
}

int bulk_answer(bulk *b, long code, const char *body, size_t len, char *err, size_t errlen)
{
    slot *s = free_slot(b);
    if (b->fatal[0] || !s || !b->ready.n) {
        snprintf(err, errlen, "%s", b->fatal[0] ? b->fatal : "no request to answer");
        return -1;
    }
    buf_reset(&s->resp);
    if (fill(b, s) < 0 || buf_append(&s->resp, body, len) < 0) {
        item *it;
        while ((it = pop(&s->batch)))
            push(&b->ready, it);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    answered(b, s, CURLE_OK, code);
    if (!b->fatal[0])
        return 0;
    snprintf(err, errlen, "%s", b->fatal);
    return -1;
}

/* How long curl may sleep: until the caller's timeout, the next retry, or
 * the linger deadline of waiting items, but the last two only matter when a
 * request slot is free to send them (else completions wake us anyway). */
static int next_wake(bulk *b, int timeout_ms)
{
    int64_t now = bulk_now_ms(), t = now + timeout_ms;
    if (!free_slot(b))
        return timeout_ms;
    for (item *it = b->retry.head; it; it = it->next)
        if (it->due < t)
            t = it->due;
    if (b->ready.n && b->ready_since + b->c.linger_ms < t)
        t = b->ready_since + b->c.linger_ms;
    return t <= now ? 0 : (int)(t - now);
}

int bulk_pump(bulk *b, int timeout_ms, int flush, int fd, char *err, size_t errlen)
{
    if (b->fatal[0])
        goto fatal;
    due_retries(b);
    if (send_due(b, flush) < 0) {
        snprintf(err, errlen, "out of memory building a bulk request");
        return -1;
    }
    int running = 0;
    struct curl_waitfd wfd = {fd, CURL_WAIT_POLLIN, 0};
    if (curl_multi_poll(b->multi, fd >= 0 ? &wfd : NULL, fd >= 0, next_wake(b, timeout_ms), NULL) !=
            CURLM_OK ||
        curl_multi_perform(b->multi, &running) != CURLM_OK) {
        snprintf(err, errlen, "libcurl multi interface failed");
        return -1;
    }
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(b->multi, &left)))
        if (m->msg == CURLMSG_DONE)
            completed(b, m);
    if (!b->fatal[0])
        return 0;
fatal:
    snprintf(err, errlen, "%s", b->fatal);
    return -1;
}
