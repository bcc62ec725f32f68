/* alert.h - when an incident update is an alert, and what the alert says.
 *
 * An analyst is paged once per incident and severity: when an incident
 * opens at or above the minimum severity, or escalates to a severity at or
 * above it that was not alerted yet, and never again for the same incident
 * and severity however many updates (events) follow.  When the incident
 * closes (or is closed as partial) every alert it raised is resolved.  The
 * book of what was alerted is per process and bounded: at its cap the
 * oldest incident is forgotten (an update of it would alert again, which
 * Alertmanager folds into the same alert since the labels are the same).
 * So after a restart the sink does not know what its predecessor raised:
 * a close then resolves nothing it did not raise itself, and the earlier
 * alerts end by themselves (ALERT_HOLD_S).  An incident first seen over
 * fires once with a short end (ALERT_LATE_HOLD_S) instead of firing and
 * resolving at once, which Alertmanager would never notify.
 * Updates older than one already seen (by version) are ignored, so a
 * replay or a late retry cannot re-open or re-page.
 *
 * This file only decides and writes; delivery (queues, retries, threads)
 * is alertsend.h.  Bodies: Alertmanager's API v2 (a JSON array of alerts,
 * labels alertname, severity, namespace, pod, technique, incident_id) and
 * a generic JSON webhook, optionally signed with HMAC-SHA256. */
#ifndef TETRA_SINK_ALERT_H
#define TETRA_SINK_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"
#include "incident.h"

#define ALERT_NAME "TetragonIncident"
/* How long a firing alert stays active in Alertmanager without news: it
 * covers an incident's life (tetra-enrich's --incident-max is 15 min by
 * default), and an incident whose close never comes still resolves. */
#define ALERT_HOLD_S 1800
/* An incident first seen already over (closed before this sink saw it
 * open, or after a restart) fires once and ends this much later by
 * itself: resolved at once, Alertmanager would never notify it. */
#define ALERT_LATE_HOLD_S 300
/* The webhook's signature header: "sha256=" and the hex HMAC of the body. */
#define ALERT_SIGNATURE_HEADER "X-Tetra-Signature"

typedef struct alert_notice {
    int severity; /* 1 info .. 5 critical */
    int resolved; /* 0: firing, 1: the incident is over */
    int late;     /* firing for an incident already over: ends after ALERT_LATE_HOLD_S */
} alert_notice;

typedef struct alert_book alert_book;

/* A book remembering at most cap incidents.  NULL when out of memory. */
alert_book *alert_book_new(size_t cap);
void alert_book_free(alert_book *b);

/* Note an update of inc, min_severity being the lowest that alerts, and
 * fill up to max notices (max >= 6 is always enough: one firing and five
 * resolved).  Returns how many, or -1 when out of memory. */
int alert_book_note(alert_book *b, const incident *inc, int min_severity, alert_notice *out,
                    size_t max);

/* Incidents the book remembers. */
size_t alert_book_size(const alert_book *b);

/* The severity named by s ("info" .. "critical"), or 0. */
int alert_severity_of(const char *s);

/* Append Alertmanager's API v2 body for notice n of inc to out: one alert
 * starting at the incident's first_time (now when later or missing),
 * ending at now when resolved, else now + ALERT_HOLD_S.  now_s is the
 * wall clock in seconds.  Returns 0, or -1 when out of memory. */
int alert_am_body(const incident *inc, const alert_notice *n, int64_t now_s, buf *out);

/* Append the webhook body for notice n of inc to out: the alert's fields
 * and the whole incident.  Returns 0 or -1. */
int alert_webhook_body(const incident *inc, const alert_notice *n, int64_t now_s, buf *out);

/* HMAC-SHA256 of data[0..len) with key as 64 lower-case hex digits and a
 * NUL into hex.  Returns 0, or -1 when the library fails. */
int alert_hmac_hex(const void *key, size_t keylen, const void *data, size_t len, char hex[65]);

#endif
