/* alerting.c - the book, the wait list and the delivery together (see
 * alerting.h). */
#include "alerting.h"

#include <stdio.h>
#include <stdlib.h>

#include "alert.h"
#include "util/msg.h"
#include "waitlist.h"

struct alerting {
    alert_book *book;
    waitlist *waiting;
    alertsend *send;
    int min_severity, on_read;
};

alerting *alerting_new(const alerting_conf *c, char *err, size_t errlen)
{
    alerting *a = calloc(1, sizeof *a);
    if (!a || !(a->book = alert_book_new(c->book_cap)) || !(a->waiting = waitlist_new())) {
        snprintf(err, errlen, "out of memory");
        alerting_free(a, NULL);
        return NULL;
    }
    a->min_severity = c->min_severity;
    a->on_read = c->on_read;
    if (!(a->send = alertsend_new(&c->send, err, errlen))) {
        alerting_free(a, NULL);
        return NULL;
    }
    return a;
}

void alerting_free(alerting *a, stats *st)
{
    if (!a)
        return;
    alertsend_free(a->send, st);
    alert_book_free(a->book);
    waitlist_free(a->waiting);
    free(a);
}

/* Page about an update when the book says it is news. */
static void note(alerting *a, const incident *inc, stats *st)
{
    alert_notice n[8];
    int k = alert_book_note(a->book, inc, a->min_severity, n, 8);
    if (k < 0)
        warnf("out of memory: an incident update was not checked for alerts");
    for (int i = 0; i < k; i++) {
        (void)stats_add(st, n[i].resolved ? "alerts_resolved" : "alerts_fired", 1);
        alertsend_post(a->send, inc, &n[i]);
    }
}

void alerting_read(alerting *a, const incident *inc, int32_t part, int64_t off, stats *st)
{
    if (a->on_read)
        note(a, inc, st);
    else if (waitlist_put(a->waiting, part, off, inc) < 0)
        warnf("out of memory: an incident update will not be checked for alerts");
}

void alerting_answered(alerting *a, int32_t part, int64_t off, int took, stats *st)
{
    incident *inc = waitlist_take(a->waiting, part, off);
    if (inc && took)
        note(a, inc, st);
    waitlist_release(inc);
}

size_t alerting_pending(alerting *a)
{
    return a ? alertsend_pending(a->send) : 0;
}

void alerting_stats(alerting *a, stats *st)
{
    if (a)
        alertsend_stats(a->send, st);
}
