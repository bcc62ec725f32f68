/* llm.c - chat-completions over one reused curl easy handle (keep-alive).
 *
 * The reply envelope is parsed here (choices[0].message.content and the
 * usage counts); what the content says is validated by finding.c.  A reply
 * with a 4xx other than 429 is not retried: the request itself is wrong. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include "http.h"
#include "llm.h"

struct llm {
    llm_conf c;
    CURL *h;
    http_conf hc;
    struct curl_slist *hdr;
    char endpoint[1024];
    long retry_after;       /* seconds from the last response, -1 when none */
};

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    llm *l = ud;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
        char tmp[32];
        size_t m = len - (sizeof name - 1);
        if (m >= sizeof tmp) m = sizeof tmp - 1;
        memcpy(tmp, p + sizeof name - 1, m);
        tmp[m] = '\0';
        char *end;
        long v = strtol(tmp, &end, 10);
        if (end != tmp && v >= 0 && v < 86400) l->retry_after = v;
    }
    return len;
}

static int build_headers(llm *l, char *err, size_t errlen) {
    l->hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (l->hdr == NULL) goto oom;
    if (l->c.api_key && l->c.api_key[0] && l->c.azure) {
        size_t n = strlen(l->c.api_key) + 16;
        char *h = malloc(n);
        if (h == NULL) goto oom;
        snprintf(h, n, "api-key: %s", l->c.api_key);
        struct curl_slist *nl = curl_slist_append(l->hdr, h);
        memset(h, 0, n);
        free(h);
        if (nl == NULL) goto oom;
        l->hdr = nl;
    } else if (l->c.api_key && l->c.api_key[0]) {
        if ((l->hc.bearer = strdup(l->c.api_key)) == NULL) goto oom;
    }
    if (http_conf_finish(&l->hc, err, errlen) < 0) return -1;
    /* http_setup sends our list instead of the conf's, so carry its auth over */
    for (struct curl_slist *h = l->hc.headers; h; h = h->next) {
        struct curl_slist *nl = curl_slist_append(l->hdr, h->data);
        if (nl == NULL) goto oom;
        l->hdr = nl;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

int llm_endpoint_url(const llm_conf *c, char *out, size_t cap) {
    const char *u = c->url;
    size_t n = strlen(u);
    while (n > 0 && u[n - 1] == '/') n--;
    int w = c->azure ? snprintf(out, cap, "%.*s/chat/completions?api-version=%s", (int)n, u,
                                c->azure_api_version)
                     : snprintf(out, cap, "%.*s/chat/completions", (int)n, u);
    return (w < 0 || (size_t)w >= cap) ? -1 : 0;
}

static int build_endpoint(llm *l, char *err, size_t errlen) {
    if (llm_endpoint_url(&l->c, l->endpoint, sizeof l->endpoint) < 0) {
        snprintf(err, errlen, "LLM URL too long");
        return -1;
    }
    return 0;
}

llm *llm_new(const llm_conf *c, char *err, size_t errlen) {
    llm *l = calloc(1, sizeof *l);
    if (l == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->c = *c;
    l->hc.timeout_ms = c->timeout_ms;
    l->hc.connect_timeout_ms = c->connect_timeout_ms;
    if (build_endpoint(l, err, errlen) < 0 || build_headers(l, err, errlen) < 0) goto fail;
    if ((l->h = curl_easy_init()) == NULL) {
        snprintf(err, errlen, "curl_easy_init failed");
        goto fail;
    }
    return l;
fail:
    llm_free(l);
    return NULL;
}

void llm_free(llm *l) {
    if (l == NULL) return;
    if (l->h) curl_easy_cleanup(l->h);
    curl_slist_free_all(l->hdr);
    http_conf_free(&l->hc);
    free(l);
}

const char *llm_endpoint(const llm *l) { return l->endpoint; }

unsigned llm_backoff_ms(const llm_conf *c, int attempt, long retry_after_s, unsigned rnd) {
    uint64_t ms;
    if (retry_after_s >= 0) {
        ms = (uint64_t)retry_after_s * 1000;
    } else {
        ms = (uint64_t)c->backoff_ms << (attempt < 16 ? attempt : 16);
        ms += c->backoff_ms ? rnd % (c->backoff_ms + 1) : 0;
    }
    return ms > c->max_wait_ms ? c->max_wait_ms : (unsigned)ms;
}

static void sleep_ms(unsigned ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

/* Pull content and usage out of the completion envelope. */
static int parse_envelope(const buf *raw, llm_reply *r, char *err, size_t errlen) {
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
    if (rc < 0) snprintf(err, errlen, "out of memory");
    return rc;
}

/* One attempt.  Returns 0 with the HTTP status set, -1 on transport error. */
static int attempt(llm *l, const char *body, buf *raw, long *status, char *err, size_t errlen) {
    CURL *h = l->h;
    curl_easy_reset(h);
    buf_reset(raw);
    l->retry_after = -1;
    if (http_setup(h, &l->hc, l->hdr, err, errlen) < 0) return -1;
    if (curl_easy_setopt(h, CURLOPT_URL, l->endpoint) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_buf_writer) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, raw) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HEADERDATA, l) != CURLE_OK) {
        snprintf(err, errlen, "curl setup failed");
        return -1;
    }
    CURLcode rc = curl_easy_perform(h);
    *status = 0;
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "LLM request failed: %s", curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

static int retryable(int transport_failed, long status) {
    return transport_failed || status == 429 || status >= 500;
}

int llm_call(llm *l, const char *body, llm_reply *r, char *err, size_t errlen) {
    buf raw = BUF_INIT;
    int rc = LLM_FAIL;
    buf_reset(&r->content);
    r->tokens_in = r->tokens_out = 0;
    r->attempts = 0;
    r->retried_429 = 0;
    for (int i = 0; i <= l->c.max_retries; i++) {
        r->attempts++;
        int tf = attempt(l, body, &raw, &r->status, err, errlen) < 0;
        if (!tf && r->status >= 200 && r->status < 300) {
            rc = parse_envelope(&raw, r, err, errlen) == 0 ? LLM_OK : LLM_FAIL;
            break;
        }
        if (!tf) snprintf(err, errlen, "LLM answered HTTP %ld", r->status);
        if (!retryable(tf, r->status) || i == l->c.max_retries) break;
        if (l->retry_after * 1000 > (long)l->c.max_wait_ms) break;   /* would stall the stream */
        if (r->status == 429) r->retried_429++;                      /* a retry that happens */
        sleep_ms(llm_backoff_ms(&l->c, i, l->retry_after, (unsigned)rand()));
    }
    buf_free(&raw);
    return rc;
}
