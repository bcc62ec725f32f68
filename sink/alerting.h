/* alerting.h - from incident updates to alerts: the book of what was
 * alerted (alert.h), the wait for OpenSearch's answer (waitlist.h) and the
 * delivery threads (alertsend.h), behind four calls the loop makes.
 *
 * An update alerts only once OpenSearch took it, so a replay refused as
 * older pages nobody; with --emit-bulk there is no answer and it alerts
 * when read.  Everything here runs on the loop's thread but the delivery. */
#ifndef TETRA_SINK_ALERTING_H
#define TETRA_SINK_ALERTING_H

#include <stddef.h>
#include <stdint.h>
#include "alertsend.h"
#include "incident.h"
#include "util/stats.h"

typedef struct alerting alerting;

typedef struct alerting_conf {
    alertsend_conf send;
    int min_severity; /* 1 info .. 5 critical */
    int on_read;      /* alert when read: no index answer comes (--emit-bulk) */
    size_t book_cap;  /* incidents remembered */
} alerting_conf;

/* Start the destinations.  NULL with err filled. */
alerting *alerting_new(const alerting_conf *c, char *err, size_t errlen);

/* An update of an incident was read, and its bulk item carries (part,
 * off).  Counts into st. */
void alerting_read(alerting *a, const incident *inc, int32_t part, int64_t off, stats *st);

/* OpenSearch answered the item (part, off): took it (took != 0) or not. */
void alerting_answered(alerting *a, int32_t part, int64_t off, int took, stats *st);

/* Alerts queued or being delivered. */
size_t alerting_pending(alerting *a);

/* Move the delivery counters into st. */
void alerting_stats(alerting *a, stats *st);

/* Stop, count what was left into st, free.  a may be NULL. */
void alerting_free(alerting *a, stats *st);

#endif
