/* alertsend.c - one thread and one bounded queue per destination (see
 * alertsend.h).
 *
 * The queue holds finished bodies, so the loop's thread writes the JSON
 * and the delivery thread only posts it: no incident is shared between
 * threads.  A thread sleeps on its condition variable, both for new work
 * and for a backoff, so a stop wakes it at once; a request in progress
 * ends within timeout_ms. */
#include "alertsend.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http.h"
#include "util/msg.h"

enum { BACKOFF_CAP_MS = 30000 };

typedef struct job {
    char *body;
    int attempts;
} job;

typedef struct dest {
    const char *what; /* "alertmanager", "webhook": for messages */
    char *url;
    char *secret; /* webhook HMAC key, or NULL */
    int alertmanager;
    long backoff_ms, timeout_ms;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *ring;
    size_t cap, head, n;
    int stop;
    /* counters, read by the loop's thread */
    _Atomic uint64_t sent, retries, failed, dropped;
    uint64_t sent_seen, retries_seen, failed_seen, dropped_seen;
    _Atomic int drop_said;
} dest;

struct alertsend {
    dest d[2];
    int n;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- one delivery ------------------------------------------------------------------------ */

typedef enum outcome { SENT, RETRY, REFUSED } outcome;

/* Headers of one post: the signature, when there is a key. */
static struct curl_slist *signature(const dest *d, const char *body)
{
    char hex[65], line[128];
    if (!d->secret)
        return NULL;
    if (alert_hmac_hex(d->secret, strlen(d->secret), body, strlen(body), hex) < 0)
        return NULL;
    snprintf(line, sizeof line, "%s: sha256=%s", ALERT_SIGNATURE_HEADER, hex);
    return curl_slist_append(NULL, line);
}

static outcome post(dest *d, const char *body, char *why, size_t whylen)
{
    http_conf hc;
    memset(&hc, 0, sizeof hc);
    hc.timeout_ms = d->timeout_ms;
    hc.connect_timeout_ms = d->timeout_ms;
    hc.headers = signature(d, body);
    if (d->secret && !hc.headers) {
        snprintf(why, whylen, "cannot sign the body");
        return RETRY;
    }
    long status = 0;
    buf resp = BUF_INIT;
    int r = http_request(&hc, "POST", d->url, body, &status, &resp, why, whylen);
    curl_slist_free_all(hc.headers);
    if (r == 0 && (status < 200 || status >= 300)) /* the answer's head says why */
        snprintf(why, whylen, "HTTP %ld: %.200s", status, resp.p ? resp.p : "");
    buf_free(&resp);
    if (r < 0)
        return RETRY;
    if (status >= 200 && status < 300)
        return SENT;
    return status == 408 || status == 429 || status >= 500 ? RETRY : REFUSED;
}

/* --- the thread ---------------------------------------------------------------------------- */

/* Wait on the condition until ms from now or a stop; the lock is held. */
static void sleep_locked(dest *d, long ms)
{
    int64_t until = now_ms() + ms;
    struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000L};
    while (!d->stop && now_ms() < until)
        if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) == ETIMEDOUT)
            break;
}

static long backoff(const dest *d, int attempts)
{
    long ms = d->backoff_ms;
    for (int i = 1; i < attempts && ms < BACKOFF_CAP_MS; i++)
        ms *= 2;
    return ms < BACKOFF_CAP_MS ? ms : BACKOFF_CAP_MS;
}

/* What a finished attempt does to the head of the queue; lock held. */
static void settle(dest *d, job *j, outcome o, const char *why, int *down)
{
    if (o == SENT) {
        atomic_fetch_add(&d->sent, 1);
        if (*down)
            notef("%s: delivering alerts again", d->what);
        *down = 0;
    } else if (o == RETRY && j->attempts < ALERTSEND_ATTEMPTS) {
        atomic_fetch_add(&d->retries, 1);
        if (!*down)
            warnf("%s: %s; alerts wait and are tried again", d->what, why);
        *down = 1;
        sleep_locked(d, backoff(d, j->attempts));
        return; /* still the head */
    } else {
        /* said once: a destination refusing every alert would say it for each */
        if (!atomic_fetch_add(&d->failed, 1))
            warnf("%s: an alert was given up after %d attempt%s: %s (further ones are counted "
                  "in alerts_failed)",
                  d->what, j->attempts, j->attempts == 1 ? "" : "s", why);
    }
    free(j->body);
    d->head = (d->head + 1) % d->cap;
    d->n--;
}

static void *run(void *arg)
{
    dest *d = arg;
    int down = 0;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!d->stop && !d->n)
            pthread_cond_wait(&d->cv, &d->mu);
        if (d->stop)
            break;
        job *j = &d->ring[d->head];
        char *body = j->body;
        pthread_mutex_unlock(&d->mu);
        char why[512] = "";
        outcome o = post(d, body, why, sizeof why);
        pthread_mutex_lock(&d->mu);
        j->attempts++;
        settle(d, j, o, why, &down);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* --- setup --------------------------------------------------------------------------------- */

static char *am_url(const char *base)
{
    static const char path[] = "/api/v2/alerts";
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    int has = n >= sizeof path - 1 && !memcmp(base + n - (sizeof path - 1), path, sizeof path - 1);
    char *u = malloc(n + sizeof path);
    if (u) {
        memcpy(u, base, n);
        memcpy(u + n, has ? "" : path, has ? 1 : sizeof path);
    }
    return u;
}

static int dest_start(dest *d, const char *what, const char *url, const char *secret, int am,
                      const alertsend_conf *c, char *err, size_t errlen)
{
    d->what = what;
    d->alertmanager = am;
    d->backoff_ms = c->backoff_ms > 0 ? c->backoff_ms : 500;
    d->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 5000;
    d->cap = c->queue_max ? c->queue_max : 1;
    d->url = am ? am_url(url) : strdup(url);
    d->secret = secret ? strdup(secret) : NULL;
    d->ring = calloc(d->cap, sizeof *d->ring);
    if (!d->url || (secret && !d->secret) || !d->ring) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (pthread_mutex_init(&d->mu, NULL) || pthread_cond_init(&d->cv, NULL) ||
        pthread_create(&d->thread, NULL, run, d)) {
        snprintf(err, errlen, "%s: cannot start its thread", what);
        return -1;
    }
    d->started = 1;
    return 0;
}

static void dest_stop(dest *d)
{
    if (d->started) {
        pthread_mutex_lock(&d->mu);
        d->stop = 1;
        pthread_cond_signal(&d->cv);
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->thread, NULL);
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
    }
    if (d->n)
        warnf("%s: %zu alert%s not delivered before the end", d->what, d->n,
              d->n == 1 ? " was" : "s were");
    for (size_t i = 0; i < d->n; i++)
        free(d->ring[(d->head + i) % d->cap].body);
    atomic_fetch_add(&d->dropped, d->n);
    free(d->ring);
    free(d->url);
    if (d->secret)
        memset(d->secret, 0, strlen(d->secret));
    free(d->secret);
}

alertsend *alertsend_new(const alertsend_conf *c, char *err, size_t errlen)
{
    alertsend *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int r = 0;
    if (c->alertmanager)
        r = dest_start(&a->d[a->n++], "alertmanager", c->alertmanager, NULL, 1, c, err, errlen);
    if (r == 0 && c->webhook)
        r = dest_start(&a->d[a->n++], "webhook", c->webhook, c->secret, 0, c, err, errlen);
    if (r < 0) {
        alertsend_free(a, NULL);
        return NULL;
    }
    return a;
}

void alertsend_free(alertsend *a, stats *st)
{
    if (!a)
        return;
    for (int i = 0; i < a->n; i++)
        dest_stop(&a->d[i]);
    if (st)
        alertsend_stats(a, st);
    free(a);
}

/* --- the loop's side ----------------------------------------------------------------------- */

static void enqueue(dest *d, char *body)
{
    pthread_mutex_lock(&d->mu);
    int room = d->n < d->cap;
    if (room) {
        d->ring[(d->head + d->n++) % d->cap] = (job){body, 0};
        pthread_cond_signal(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    if (room)
        return;
    free(body);
    atomic_fetch_add(&d->dropped, 1);
    if (!atomic_exchange(&d->drop_said, 1))
        warnf("%s: its queue is full (%zu alerts); new alerts are dropped and counted in "
              "alerts_dropped",
              d->what, d->cap);
}

void alertsend_post(alertsend *a, const incident *inc, const alert_notice *n)
{
    int64_t now_s = now_ms() / 1000;
    for (int i = 0; i < a->n; i++) {
        dest *d = &a->d[i];
        buf b = BUF_INIT;
        int r = d->alertmanager ? alert_am_body(inc, n, now_s, &b)
                                : alert_webhook_body(inc, n, now_s, &b);
        if (r < 0) {
            buf_free(&b);
            atomic_fetch_add(&d->dropped, 1);
            warnf("%s: out of memory writing an alert", d->what);
            continue;
        }
        enqueue(d, b.p);
    }
}

size_t alertsend_pending(alertsend *a)
{
    size_t n = 0;
    for (int i = 0; a && i < a->n; i++) {
        pthread_mutex_lock(&a->d[i].mu);
        n += a->d[i].n;
        pthread_mutex_unlock(&a->d[i].mu);
    }
    return n;
}

static void move(stats *st, const char *name, _Atomic uint64_t *now, uint64_t *seen)
{
    uint64_t v = atomic_load(now);
    if (v > *seen)
        (void)stats_add(st, name, v - *seen);
    *seen = v;
}

void alertsend_stats(alertsend *a, stats *st)
{
    for (int i = 0; a && i < a->n; i++) {
        dest *d = &a->d[i];
        move(st, "alerts_sent", &d->sent, &d->sent_seen);
        move(st, "alert_retries", &d->retries, &d->retries_seen);
        move(st, "alerts_failed", &d->failed, &d->failed_seen);
        move(st, "alerts_dropped", &d->dropped, &d->dropped_seen);
    }
}
