/* alertsend.h - deliver alerts to Alertmanager and a webhook without ever
 * holding up indexing.
 *
 * Each destination has its own bounded queue and its own thread, so a
 * destination that is down delays neither the sink's loop nor the other
 * destination.  The loop only decides (alert.h) and enqueues, which never
 * blocks: when a queue is full the new alert is dropped, counted and
 * logged once.  A thread posts its queue in order; a delivery that fails
 * (no answer, 408, 429, 5xx) is tried again after a backoff doubling up
 * to 30 s, up to ALERTSEND_ATTEMPTS times, while later alerts wait behind
 * it (a firing alert must not arrive after its resolution).  Any other
 * 4xx is a refusal retrying cannot fix: that alert is counted as failed.
 * Counters live here as atomics and are moved into the sink's stats by
 * the loop's thread (stats.h has one writer). */
#ifndef TETRA_SINK_ALERTSEND_H
#define TETRA_SINK_ALERTSEND_H

#include <stddef.h>
#include "alert.h"
#include "util/stats.h"

#define ALERTSEND_ATTEMPTS 10

typedef struct alertsend_conf {
    const char *alertmanager; /* base URL (or .../api/v2/alerts), NULL for none */
    const char *webhook;      /* URL, NULL for none */
    const char *secret;       /* HMAC key for the webhook, NULL: unsigned */
    size_t queue_max;         /* alerts held per destination */
    long backoff_ms;          /* first retry delay (tests shorten it) */
    long timeout_ms;          /* one request */
} alertsend_conf;

typedef struct alertsend alertsend;

/* Start the destinations' threads.  Strings are copied.  NULL with err
 * filled. */
alertsend *alertsend_new(const alertsend_conf *c, char *err, size_t errlen);

/* Queue notice n of inc to every destination.  Never blocks. */
void alertsend_post(alertsend *a, const incident *inc, const alert_notice *n);

/* Alerts queued or being delivered, over all destinations. */
size_t alertsend_pending(alertsend *a);

/* Move the counters (alerts_sent, alert_retries, alerts_failed,
 * alerts_dropped) into st.  Call from the thread that owns st. */
void alertsend_stats(alertsend *a, stats *st);

/* Stop the threads and free; alerts still queued are counted as dropped
 * and said once, and the last counts moved into st (when not NULL).  a
 * may be NULL. */
void alertsend_free(alertsend *a, stats *st);

#endif
