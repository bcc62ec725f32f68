/* metrics.h - /metrics, /healthz and /readyz over HTTP for a running filter.
 *
 * One server per process (like msg.c, a process-wide module), started by
 * --metrics-addr HOST:PORT and served by libmicrohttpd's own thread.  The
 * counters on /metrics are the program's summary counters (common/util/stats.c)
 * read while the loop updates them, so /metrics and the exit summary line
 * are the same numbers under the same names: summary key K is the counter
 * tetra_<prog>_K_total.  Beside them: latency histograms (LLM requests,
 * bulk requests) observed by name, and gauges (librdkafka's consumer lag
 * per partition and brokers up, from its statistics callback; whether the
 * LLM circuit breaker is open).
 *
 * Readiness: the Kafka clients have a broker up (when the program uses
 * Kafka), the program's own probe passes (the sink asks OpenSearch), and
 * an open LLM breaker leaves the program ready but says "degraded". */
#ifndef TETRA_METRICS_H
#define TETRA_METRICS_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/stats.h"

typedef struct metrics_conf {
    const char *addr; /* HOST:PORT, or :PORT for every interface */
    const char *prog; /* "tetra-sink": metric names start with tetra_sink_ */
    const stats *st;  /* the summary counters; must outlive metrics_stop() */
    /* adds counters kept elsewhere to a copy of st, on the server thread
     * (must be thread-safe); may be NULL */
    void (*extra)(void *ctx, stats *snap);
    void *extra_ctx;
    int need_kafka; /* ready only while every Kafka client has a broker up */
    /* another dependency, on the server thread: 0 when it answers, else -1
     * with why filled; may be NULL */
    int (*probe)(void *ctx, char *why, size_t n);
    void *probe_ctx;
} metrics_conf;

/* Check an address as metrics_start() will read it (syntax and name
 * lookup, no bind).  Returns 0, or -1 with err filled. */
int metrics_addr_check(const char *addr, char *err, size_t errlen);

/* --metrics-addr as an option-table setter (util/options.h): checks the
 * address with metrics_addr_check and stores the pointer at d->off. */
struct opt_def;
int metrics_opt_set(void *cfg, const struct opt_def *d, const char *a, char *err, size_t n);

/* Start serving.  Returns 0, or -1 with err filled (bad address, port in
 * use).  The strings and pointers in c must outlive metrics_stop(). */
int metrics_start(const metrics_conf *c, char *err, size_t errlen);
/* Stop serving (a no-op when not started); waits for a scrape under way. */
void metrics_stop(void);

/* Make a Kafka configuration report to /metrics and /readyz: sets
 * statistics.interval.ms (1000 unless the user set one) and the statistics
 * callback.  Call it before rd_kafka_new() on every client configuration.
 * Returns 0, or -1 with err filled. */
int metrics_kafka_conf(rd_kafka_conf_t *conf, char *err, size_t errlen);

/* Observe one duration in seconds into the histogram name (for example
 * "llm_request_seconds"), made on first use.  Thread-safe; a no-op when
 * the histogram table is full. */
void metrics_observe(const char *name, double seconds);

/* Set a gauge with no labels (for example "llm_circuit_open").  Thread-safe. */
void metrics_gauge(const char *name, double value);

/* The /metrics page, Prometheus text format 0.0.4, appended to out: the
 * counters of snap as tetra_<prog>_<name>_total, then the histograms and
 * gauges observed so far.  Returns 0, or -1 out of memory. */
int metrics_format(buf *out, const char *prog, const stats *snap);

/* Forget every histogram, gauge and Kafka client seen (for tests). */
void metrics_reset(void);

#endif
