/* alert.c - the alert book and the alert bodies (see alert.h).
 *
 * The book is a chained hash of incident ids plus a ring of the same
 * entries in the order they came, which is the order they are forgotten
 * in at the cap.  An entry holds the order (incident_order) of the last update seen, one bit per
 * severity alerted, and whether the incident is over. */
#include "alert.h"

#include <jansson.h>
#include <stdio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doc.h"
#include "codec/pjson_wkt.h"

typedef struct entry {
    struct entry *next; /* in its bucket */
    uint64_t order;     /* incident_order() of the newest update seen */
    unsigned alerted;   /* bit s: severity s was alerted */
    int seen, over;
    char id[];
} entry;

struct alert_book {
    entry **bucket;
    size_t nbuckets; /* a power of two */
    entry **ring;    /* entries oldest first, from head */
    size_t cap, head, n;
};

int alert_severity_of(const char *s)
{
    for (int i = 1; i <= 5; i++)
        if (!strcmp(s, doc_severity_name(i)))
            return i;
    return 0;
}

alert_book *alert_book_new(size_t cap)
{
    alert_book *b = cap ? calloc(1, sizeof *b) : NULL;
    if (!b)
        return NULL;
    b->cap = cap;
    for (b->nbuckets = 64; b->nbuckets < cap; b->nbuckets *= 2)
        ;
    b->bucket = calloc(b->nbuckets, sizeof *b->bucket);
    b->ring = calloc(cap, sizeof *b->ring);
    if (!b->bucket || !b->ring) {
        alert_book_free(b);
        return NULL;
    }
    return b;
}

void alert_book_free(alert_book *b)
{
    if (!b)
        return;
    for (size_t i = 0; b->ring && i < b->n; i++)
        free(b->ring[(b->head + i) % b->cap]);
    free(b->ring);
    free(b->bucket);
    free(b);
}

size_t alert_book_size(const alert_book *b)
{
    return b->n;
}

static size_t slot_of(const alert_book *b, const char *id)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return (size_t)(h ^ h >> 32) & (b->nbuckets - 1);
}

static entry **find(alert_book *b, const char *id)
{
    entry **e = &b->bucket[slot_of(b, id)];
    while (*e && strcmp((*e)->id, id))
        e = &(*e)->next;
    return e;
}

/* Forget the oldest entry to make room. */
static void evict(alert_book *b)
{
    entry *old = b->ring[b->head];
    entry **e = find(b, old->id);
    *e = old->next;
    free(old);
    b->head = (b->head + 1) % b->cap;
    b->n--;
}

static entry *lookup(alert_book *b, const char *id)
{
    entry **e = find(b, id);
    if (*e)
        return *e;
    if (b->n == b->cap)
        evict(b);
    size_t len = strlen(id);
    entry *n = calloc(1, sizeof *n + len + 1);
    if (!n)
        return NULL;
    memcpy(n->id, id, len + 1);
    e = find(b, id); /* eviction may have changed the chain */
    *e = n;
    b->ring[(b->head + b->n++) % b->cap] = n;
    return n;
}

int alert_book_note(alert_book *b, const incident *inc, int min_severity, alert_notice *out,
                    size_t max)
{
    entry *e = lookup(b, inc->id);
    if (!e)
        return -1;
    uint64_t order = inc->version ? incident_order(inc) : 0;
    if ((order && e->order && order <= e->order) || e->over)
        return 0; /* a replay or a late retry: nothing new */
    if (order)
        e->order = order;
    size_t n = 0;
    int sev = inc->severity >= 1 && inc->severity <= 5 ? (int)inc->severity : 0;
    int first = !e->seen, over = incident_is_over(inc);
    e->seen = 1;
    if (sev && sev >= min_severity && !(e->alerted & 1u << sev) && n < max) {
        out[n++] = (alert_notice){sev, 0, first && over};
        if (first && over) { /* fired and ended at once: nothing to resolve */
            e->over = 1;
            return (int)n;
        }
        e->alerted |= 1u << sev;
    }
    if (!over)
        return (int)n;
    e->over = 1;
    for (int s = 1; s <= 5 && n < max; s++)
        if (e->alerted & 1u << s)
            out[n++] = (alert_notice){s, 1, 0};
    return (int)n;
}

/* --- bodies -------------------------------------------------------------------------------- */

static json_t *stamp(int64_t sec, int32_t nanos)
{
    buf b = BUF_INIT;
    json_t *s = NULL;
    if (wkt_put_timestamp(&b, sec, nanos) == 0 && b.len >= 2)
        s = json_stringn(b.p + 1, b.len - 2);
    buf_free(&b);
    return s;
}

static int add(json_t *o, const char *key, const char *s)
{
    return s && *s ? json_object_set_new(o, key, json_string(s)) : 0;
}

static const char *first_technique(const incident *inc)
{
    for (size_t i = 0; i < inc->n_techniques; i++)
        if (inc->techniques[i] && inc->techniques[i]->id && *inc->techniques[i]->id)
            return inc->techniques[i]->id;
    return NULL;
}

/* "T1105 Ingress Tool Transfer, T1222 ...": every technique, for humans. */
static char *technique_text(const incident *inc)
{
    buf b = BUF_INIT;
    int r = buf_puts(&b, "");
    for (size_t i = 0; i < inc->n_techniques; i++) {
        const Tetragonsidekick__Technique *t = inc->techniques[i];
        if (!t || !t->id || !*t->id)
            continue;
        if (b.len)
            r |= buf_puts(&b, ", ");
        r |= buf_puts(&b, t->id);
        if (t->name && *t->name)
            r |= buf_putc(&b, ' ') | buf_puts(&b, t->name);
    }
    if (r < 0) {
        buf_free(&b);
        return NULL;
    }
    return b.p;
}

static json_t *labels(const incident *inc, const alert_notice *n)
{
    json_t *l = json_pack("{s:s, s:s, s:s}", "alertname", ALERT_NAME, "severity",
                          doc_severity_name(n->severity), "incident_id", inc->id);
    if (!l)
        return NULL;
    int r = add(l, "namespace", inc->namespace_) | add(l, "pod", inc->pod) |
            add(l, "technique", first_technique(inc)) | add(l, "cluster", inc->cluster);
    if (r < 0) {
        json_decref(l);
        return NULL;
    }
    return l;
}

static json_t *annotations(const incident *inc)
{
    const char *summary = inc->summary && *inc->summary
                              ? inc->summary
                              : "an incident at this severity; see tetragon-incidents-*";
    char count[24];
    snprintf(count, sizeof count, "%llu", (unsigned long long)inc->event_count);
    /* Alertmanager takes only strings as annotation values */
    json_t *a = json_pack("{s:s, s:s, s:s}", "summary", summary, "status",
                          incident_status_name(inc->status), "event_count", count);
    char *tech = a ? technique_text(inc) : NULL;
    int r = a && tech ? add(a, "techniques", tech) : -1;
    free(tech);
    if (r < 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* The alert's start: first_time, unless missing or after now (a clock
 * ahead of ours), since Alertmanager refuses an end before the start. */
static json_t *starts_at(const incident *inc, int64_t now_s)
{
    if (inc->first_time && inc->first_time->seconds >= 0 && inc->first_time->seconds <= now_s)
        return stamp(inc->first_time->seconds, inc->first_time->nanos);
    return stamp(now_s, 0);
}

static json_t *am_alert(const incident *inc, const alert_notice *n, int64_t now_s)
{
    return json_pack("{s:o*, s:o*, s:o*, s:o*}", "labels", labels(inc, n), "annotations",
                     annotations(inc), "startsAt", starts_at(inc, now_s), "endsAt",
                     stamp(n->resolved ? now_s
                           : n->late   ? now_s + ALERT_LATE_HOLD_S
                                       : now_s + ALERT_HOLD_S,
                           0));
}

static int dump(json_t *v, buf *out)
{
    char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    int r = s ? buf_puts(out, s) : -1;
    free(s);
    return r;
}

int alert_am_body(const incident *inc, const alert_notice *n, int64_t now_s, buf *out)
{
    json_t *a = am_alert(inc, n, now_s);
    /* all four members or none: a missing one means memory ran out */
    if (a && json_object_size(a) != 4) {
        json_decref(a);
        a = NULL;
    }
    return a ? dump(json_pack("[o]", a), out) : -1;
}

int alert_webhook_body(const incident *inc, const alert_notice *n, int64_t now_s, buf *out)
{
    buf enc = BUF_INIT;
    json_t *whole = pj_encode(&inc->base, &enc) == 0 ? json_loadb(enc.p, enc.len, 0, NULL) : NULL;
    buf_free(&enc);
    json_t *body = json_pack("{s:s, s:s, s:s, s:o*, s:o*, s:o*, s:o*, s:o*}", "status",
                             n->resolved ? "resolved" : "firing", "incident_id", inc->id,
                             "severity", doc_severity_name(n->severity), "labels", labels(inc, n),
                             "annotations", annotations(inc), "startsAt", starts_at(inc, now_s),
                             "sentAt", stamp(now_s, 0), "incident", whole);
    if (body && json_object_size(body) != 8) {
        json_decref(body);
        body = NULL;
    }
    return body ? dump(body, out) : -1;
}

int alert_hmac_hex(const void *key, size_t keylen, const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (keylen > INT32_MAX || !HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &mdlen) ||
        mdlen != 32)
        return -1;
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
    }
    hex[64] = 0;
    return 0;
}
