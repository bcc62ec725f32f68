/* metrics.c - the metrics and health server (see metrics.h).
 *
 * Threads: libmicrohttpd answers on its own thread; the program's loop
 * updates the stats counters (atomic, stats.h), observes histograms and
 * sets gauges, and librdkafka calls the statistics callback on the thread
 * that polls.  Everything here that more than one of them touches (the
 * histogram, gauge and Kafka client tables) sits behind one mutex, held
 * only to copy or update a few numbers; the page is written from copies.
 * The server's configuration is written before the daemon starts and only
 * read afterwards. */
#include "metrics.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/msg.h"
#include "util/options.h"

#define NAME_MAX_LEN 48
#define HIST_MAX 8
#define GAUGE_MAX 8
#define CLIENT_MAX 8
#define LAG_MAX 256

/* Seconds: from a fast bulk request to a slow CPU-only LLM. */
static const double bucket_le[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                   2.5,   5,    10,    30,   60,  120,  300};
#define NBUCKETS (sizeof bucket_le / sizeof bucket_le[0])

typedef struct hist {
    char name[NAME_MAX_LEN];
    uint64_t bucket[NBUCKETS]; /* not cumulative; summed when written */
    uint64_t count;
    double sum;
} hist;

typedef struct gauge {
    char name[NAME_MAX_LEN];
    double value;
} gauge;

typedef struct lag {
    char topic[128];
    int32_t partition;
    int64_t lag;
} lag;

/* What librdkafka's last statistics said about one client. */
typedef struct client {
    char name[64]; /* "rdkafka#consumer-1" */
    int consumer;
    int brokers, brokers_up;
    uint64_t tx_errors, rx_errors;
    int64_t queued;
    int nlag;
    lag lags[LAG_MAX];
} client;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static hist hists[HIST_MAX];
static int nhist;
static gauge gauges[GAUGE_MAX];
static int ngauge;
static client clients[CLIENT_MAX];
static int nclient;

static struct MHD_Daemon *daemon_;
static metrics_conf conf;

/* --- recording ------------------------------------------------------------------ */

/* The index of name in the table at base, whose entries start with a name and are
 * stride bytes apart, added at the end when new; -1 when the table is
 * full.  Called with mu held. */
static int slot(char *base, size_t stride, int *n, int max, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(base + (size_t)i * stride, name) == 0)
            return i;
    if (*n == max || strlen(name) >= NAME_MAX_LEN)
        return -1;
    snprintf(base + (size_t)*n * stride, NAME_MAX_LEN, "%s", name);
    return (*n)++;
}

void metrics_observe(const char *name, double seconds)
{
    pthread_mutex_lock(&mu);
    int i = slot((char *)hists, sizeof hists[0], &nhist, HIST_MAX, name);
    if (i >= 0) {
        size_t b = 0;
        while (b < NBUCKETS && seconds > bucket_le[b])
            b++;
        if (b < NBUCKETS) /* above the last bucket: only in +Inf */
            hists[i].bucket[b]++;
        hists[i].count++;
        hists[i].sum += seconds;
    }
    pthread_mutex_unlock(&mu);
}

void metrics_gauge(const char *name, double value)
{
    pthread_mutex_lock(&mu);
    int i = slot((char *)gauges, sizeof gauges[0], &ngauge, GAUGE_MAX, name);
    if (i >= 0)
        gauges[i].value = value;
    pthread_mutex_unlock(&mu);
}

void metrics_reset(void)
{
    pthread_mutex_lock(&mu);
    nhist = ngauge = nclient = 0;
    memset(hists, 0, sizeof hists);
    pthread_mutex_unlock(&mu);
}

/* --- librdkafka statistics ---------------------------------------------------------- */

static int64_t jint(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void read_brokers(client *c, json_t *brokers)
{
    const char *k;
    json_t *b;
    c->brokers = c->brokers_up = 0;
    c->tx_errors = c->rx_errors = 0;
    json_object_foreach(brokers, k, b) {
        if (jint(b, "nodeid") < 0) /* bootstrap and internal pseudo-brokers */
            continue;
        c->brokers++;
        c->brokers_up += strcmp(jstr(b, "state"), "UP") == 0;
        c->tx_errors += (uint64_t)jint(b, "txerrs");
        c->rx_errors += (uint64_t)jint(b, "rxerrs");
    }
}

/* Consumer lag of the partitions this client consumes (-1: not known yet). */
static void read_lags(client *c, json_t *topics)
{
    const char *tk, *pk;
    json_t *t, *p;
    c->nlag = 0;
    json_object_foreach(topics, tk, t) {
        json_object_foreach(json_object_get(t, "partitions"), pk, p) {
            int64_t part = jint(p, "partition"), l = jint(p, "consumer_lag");
            if (part < 0 || l < 0 || c->nlag == LAG_MAX)
                continue;
            lag *x = &c->lags[c->nlag++];
            snprintf(x->topic, sizeof x->topic, "%s", tk);
            x->partition = (int32_t)part;
            x->lag = l;
        }
    }
}

static int on_kafka_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    (void)opaque;
    json_t *j = json_loadb(json, len, 0, NULL);
    const char *name = json_string_value(json_object_get(j, "name"));
    if (!name) {
        json_decref(j);
        return 0;
    }
    pthread_mutex_lock(&mu);
    int i = 0;
    while (i < nclient && strcmp(clients[i].name, name) != 0)
        i++;
    if (i == nclient && nclient < CLIENT_MAX)
        snprintf(clients[nclient++].name, sizeof clients[0].name, "%s", name);
    if (i < nclient) {
        client *c = &clients[i];
        c->consumer = strcmp(jstr(j, "type"), "consumer") == 0;
        c->queued = jint(j, "msg_cnt");
        read_brokers(c, json_object_get(j, "brokers"));
        read_lags(c, json_object_get(j, "topics"));
    }
    pthread_mutex_unlock(&mu);
    json_decref(j);
    return 0; /* librdkafka frees json */
}

int metrics_kafka_conf(rd_kafka_conf_t *kc, char *err, size_t errlen)
{
    char v[32];
    size_t n = sizeof v;
    if (rd_kafka_conf_get(kc, "statistics.interval.ms", v, &n) == RD_KAFKA_CONF_OK &&
        strcmp(v, "0") == 0 &&
        rd_kafka_conf_set(kc, "statistics.interval.ms", "1000", err, errlen) != RD_KAFKA_CONF_OK)
        return -1;
    rd_kafka_conf_set_stats_cb(kc, on_kafka_stats);
    return 0;
}

/* --- the page ------------------------------------------------------------------------ */

/* "tetra-sink" -> "tetra_sink" */
static void prefix_of(const char *prog, char *out, size_t n)
{
    snprintf(out, n, "%s", prog);
    for (char *p = out; *p; p++)
        if (*p == '-')
            *p = '_';
}

static int put_counters(buf *out, const char *pre, const char *prog, const stats *snap)
{
    int r = 0;
    int n = atomic_load_explicit(&snap->n, memory_order_acquire);
    for (int i = 0; i < n && r == 0; i++) {
        const char *k = snap->c[i].name;
        if (strchr(k, '.')) /* not a Prometheus name; stays on the summary line */
            continue;
        r = buf_printf(out,
                       "# HELP %s_%s_total %s summary counter %s.\n# TYPE %s_%s_total counter\n"
                       "%s_%s_total %llu\n",
                       pre, k, prog, k, pre, k, pre, k, (unsigned long long)stats_get(snap, k));
    }
    return r;
}

static int put_hist(buf *out, const char *pre, const hist *h)
{
    int r = buf_printf(out, "# HELP %s_%s Duration in seconds.\n# TYPE %s_%s histogram\n", pre,
                       h->name, pre, h->name);
    uint64_t cum = 0;
    for (size_t b = 0; b < NBUCKETS && r == 0; b++) {
        cum += h->bucket[b];
        r = buf_printf(out, "%s_%s_bucket{le=\"%g\"} %llu\n", pre, h->name, bucket_le[b],
                       (unsigned long long)cum);
    }
    if (r == 0)
        r = buf_printf(out, "%s_%s_bucket{le=\"+Inf\"} %llu\n%s_%s_sum %.9g\n%s_%s_count %llu\n",
                       pre, h->name, (unsigned long long)h->count, pre, h->name, h->sum, pre,
                       h->name, (unsigned long long)h->count);
    return r;
}

/* Topic names are [a-zA-Z0-9._-]: nothing to escape in a label value. */
static int put_kafka(buf *out, const char *pre, const client *cs, int n)
{
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        {"kafka_brokers_up", "gauge", "Brokers this Kafka client is connected to."},
        {"kafka_tx_errors", "counter", "Kafka transmission errors (librdkafka txerrs)."},
        {"kafka_rx_errors", "counter", "Kafka receive errors (librdkafka rxerrs)."},
        {"kafka_queued_messages", "gauge", "Messages in this client's queues."},
    };
    int r = 0;
    for (size_t f = 0; f < sizeof fam / sizeof fam[0] && r == 0; f++) {
        const char *sfx = strcmp(fam[f].type, "counter") ? "" : "_total";
        r = buf_printf(out, "# HELP %s_%s%s %s\n# TYPE %s_%s%s %s\n", pre, fam[f].name, sfx,
                       fam[f].help, pre, fam[f].name, sfx, fam[f].type);
        for (int i = 0; i < n && r == 0; i++) {
            long long v = f == 0   ? cs[i].brokers_up
                          : f == 1 ? (long long)cs[i].tx_errors
                          : f == 2 ? (long long)cs[i].rx_errors
                                   : cs[i].queued;
            r = buf_printf(out, "%s_%s%s{client=\"%s\"} %lld\n", pre, fam[f].name, sfx, cs[i].name,
                           v);
        }
    }
    if (r == 0)
        r = buf_printf(out,
                       "# HELP %s_kafka_consumer_lag Messages behind the partition's end.\n"
                       "# TYPE %s_kafka_consumer_lag gauge\n",
                       pre, pre);
    for (int i = 0; i < n && r == 0; i++)
        for (int k = 0; k < cs[i].nlag && r == 0; k++)
            r = buf_printf(out, "%s_kafka_consumer_lag{topic=\"%s\",partition=\"%d\"} %lld\n", pre,
                           cs[i].lags[k].topic, (int)cs[i].lags[k].partition,
                           (long long)cs[i].lags[k].lag);
    return r;
}

int metrics_format(buf *out, const char *prog, const stats *snap)
{
    char pre[64];
    prefix_of(prog, pre, sizeof pre);
    int r = put_counters(out, pre, prog, snap);
    /* copies, so the page is written without the lock */
    static hist hs[HIST_MAX];
    static gauge gs[GAUGE_MAX];
    static client cs[CLIENT_MAX];
    static pthread_mutex_t page_mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&page_mu);
    pthread_mutex_lock(&mu);
    int nh = nhist, ng = ngauge, nc = nclient;
    memcpy(hs, hists, sizeof hists);
    memcpy(gs, gauges, sizeof gauges);
    memcpy(cs, clients, sizeof clients);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < nh && r == 0; i++)
        r = put_hist(out, pre, &hs[i]);
    for (int i = 0; i < ng && r == 0; i++)
        r = buf_printf(out, "# TYPE %s_%s gauge\n%s_%s %g\n", pre, gs[i].name, pre, gs[i].name,
                       gs[i].value);
    if (nc && r == 0)
        r = put_kafka(out, pre, cs, nc);
    pthread_mutex_unlock(&page_mu);
    return r;
}

/* --- readiness ------------------------------------------------------------------------ */

/* 0 ready, 1 ready but degraded, -1 not ready; why says what. */
static int readiness(char *why, size_t n)
{
    why[0] = 0;
    int state = 0;
    pthread_mutex_lock(&mu);
    if (conf.need_kafka && nclient == 0) {
        snprintf(why, n, "Kafka: no statistics from the client yet");
        state = -1;
    }
    for (int i = 0; i < nclient && state == 0; i++)
        if (clients[i].brokers_up == 0) {
            snprintf(why, n, "Kafka: %s has no broker up", clients[i].name);
            state = -1;
        }
    for (int i = 0; i < ngauge; i++)
        if (state == 0 && strcmp(gauges[i].name, "llm_circuit_open") == 0 && gauges[i].value > 0) {
            snprintf(why, n,
                     "degraded: the LLM circuit breaker is open; events get the rules' "
                     "enrichment");
            state = 1;
        }
    pthread_mutex_unlock(&mu);
    if (state >= 0 && conf.probe && conf.probe(conf.probe_ctx, why, n) < 0)
        state = -1;
    return state;
}

/* --- the server ------------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *cn, unsigned status, const char *type,
                             const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ok = MHD_queue_response(cn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result page_metrics(struct MHD_Connection *cn)
{
    stats *snap = malloc(sizeof *snap);
    buf out = BUF_INIT;
    int r = -1;
    if (snap) {
        stats_copy(snap, conf.st);
        if (conf.extra)
            conf.extra(conf.extra_ctx, snap);
        r = metrics_format(&out, conf.prog, snap);
    }
    enum MHD_Result ok =
        r == 0 ? reply(cn, 200, "text/plain; version=0.0.4; charset=utf-8", out.p, out.len)
               : reply(cn, 500, "text/plain", "out of memory\n", 14);
    buf_free(&out);
    free(snap);
    return ok;
}

static enum MHD_Result page_ready(struct MHD_Connection *cn)
{
    char why[512], body[600];
    int state = readiness(why, sizeof why);
    int n = snprintf(body, sizeof body, "%s%s%s\n", state < 0 ? "not ready" : "ready",
                     why[0] ? ": " : "", why);
    return reply(cn, state < 0 ? 503 : 200, "text/plain", body,
                 n > 0 && (size_t)n < sizeof body ? (size_t)n : strlen(body));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *cn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_len, void **state)
{
    (void)cls, (void)version, (void)data, (void)data_len, (void)state;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(cn, 405, "text/plain", "GET only\n", 9);
    if (strcmp(url, "/metrics") == 0)
        return page_metrics(cn);
    if (strcmp(url, "/healthz") == 0)
        return reply(cn, 200, "text/plain", "ok\n", 3);
    if (strcmp(url, "/readyz") == 0)
        return page_ready(cn);
    return reply(cn, 404, "text/plain", "not found: try /metrics, /healthz or /readyz\n", 45);
}

/* HOST:PORT, [V6]:PORT or :PORT into a socket address. */
static int resolve(const char *addr, struct sockaddr_storage *sa, char *err, size_t errlen)
{
    const char *colon = strrchr(addr, ':');
    char host[256];
    if (!colon || !colon[1] || (size_t)(colon - addr) >= sizeof host) {
        snprintf(err, errlen, "--metrics-addr '%s': expected HOST:PORT or :PORT", addr);
        return -1;
    }
    size_t hl = (size_t)(colon - addr);
    const char *h = addr;
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
        h++, hl -= 2;
    memcpy(host, h, hl);
    host[hl] = 0;
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(hl ? host : "0.0.0.0", colon + 1, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "--metrics-addr '%s': %s", addr, gai_strerror(rc));
        return -1;
    }
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

int metrics_opt_set(void *cfg, const struct opt_def *d, const char *a, char *err, size_t n)
{
    if (metrics_addr_check(a, err, n) < 0)
        return -1;
    return opt_set_str(cfg, d, a, err, n);
}

int metrics_addr_check(const char *addr, char *err, size_t errlen)
{
    struct sockaddr_storage sa;
    return resolve(addr, &sa, err, errlen);
}

int metrics_start(const metrics_conf *c, char *err, size_t errlen)
{
    struct sockaddr_storage sa;
    if (resolve(c->addr, &sa, err, errlen) < 0)
        return -1;
    conf = *c;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    daemon_ = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
                               (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                               MHD_OPTION_END);
    if (!daemon_) {
        snprintf(err, errlen, "--metrics-addr '%s': cannot listen there (in use?)", c->addr);
        return -1;
    }
    notef("metrics, health and readiness on http://%s/metrics, /healthz, /readyz", c->addr);
    return 0;
}

void metrics_stop(void)
{
    if (daemon_)
        MHD_stop_daemon(daemon_);
    daemon_ = NULL;
}
