/* doc.c - build the OpenSearch document of an event (see doc.h).
 *
 * The document is written front to back with a small writer that opens a
 * nested object ("process", "orchestrator.resource", ...) only when its
 * first member is written, so absent fields leave no empty objects, as a
 * tree would not have them either.  Field values follow exactly what the
 * event's canonical protojson holds: empty strings and zero scalars are
 * absent, wrapped numbers (pid, uid) are present when the wrapper is, an
 * enum the schema does not know is its number.  Members keep the order
 * the former jansson-built documents had, so the bytes did not change.
 *
 * Identity (format v2, never change it without a new version: a change
 * means replays of old events are indexed again): the strings "v2", kind,
 * node_name, time, <kind>.process.exec_id, <kind>.process.tid (decimal,
 * empty when absent), <kind>.function_name and <kind>.policy_name joined
 * by 0x1f, then a hash of the kind's args (each argument's protobuf
 * encoding after its length as 8 little-endian bytes; none for kinds without args); when the event
 * has no process exec_id the compact, key-sorted JSON of the kind's
 * payload is added instead, as nothing else tells two such events apart.
 * v1 lacked the thread id and the arguments, so two kprobe events of one
 * process on two CPUs in the same nanosecond shared an _id and the second
 * was dropped as a duplicate.  The enrichment is deliberately
 * not part of it: an LLM answers differently on a replay. */
#include "doc.h"

#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec/pjson.h"
#include "codec/pjson_wkt.h"

typedef Tetragon__GetEventsResponse tetra_ev;
typedef Tetragonsidekick__Enrichment tetra_enr;

/* --- reading the message --------------------------------------------------------------- */

/* Field name of a payload message, found by name so that one lookup serves
 * every event kind (they all call them process, parent, args, ...). */
static const ProtobufCFieldDescriptor *field(const ProtobufCMessage *m, const char *name,
                                             ProtobufCType type)
{
    if (!m)
        return NULL;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    if (!f || f->type != type || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return NULL;
    return f;
}

static const void *at(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return (const char *)m + f->offset;
}

/* A string field, NULL when absent or empty (as protojson leaves it out). */
static const char *str_field(const ProtobufCMessage *m, const char *name)
{
    const ProtobufCFieldDescriptor *f = field(m, name, PROTOBUF_C_TYPE_STRING);
    if (!f || f->label == PROTOBUF_C_LABEL_REPEATED)
        return NULL;
    const char *s = *(char *const *)at(m, f);
    return s && *s ? s : NULL;
}

static const ProtobufCMessage *msg_field(const ProtobufCMessage *m, const char *name,
                                         const ProtobufCMessageDescriptor *d)
{
    const ProtobufCFieldDescriptor *f = field(m, name, PROTOBUF_C_TYPE_MESSAGE);
    if (!f || f->label == PROTOBUF_C_LABEL_REPEATED || f->descriptor != d)
        return NULL;
    return *(const ProtobufCMessage *const *)at(m, f);
}

static const char *nz(const char *s)
{
    return s && *s ? s : NULL;
}

/* The event kind and its payload (NULL for an empty one).  Returns the
 * kind's name (static, the oneof field's), or NULL for no event. */
static const char *kind_of(const tetra_ev *ev, const ProtobufCMessage **pl)
{
    if (ev->event_case == TETRAGON__GET_EVENTS_RESPONSE__EVENT__NOT_SET)
        return NULL;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(ev->base.descriptor, (unsigned)ev->event_case);
    if (!f)
        return NULL;
    *pl = *(const ProtobufCMessage *const *)((const char *)ev + f->offset);
    return f->name;
}

static const Tetragon__Process *process_of(const ProtobufCMessage *pl, const char *name)
{
    return (const Tetragon__Process *)msg_field(pl, name, &tetragon__process__descriptor);
}

/* A timestamp as protojson writes it, unquoted, into t; scratch is used
 * and left at its former length.  Returns 0, or -1 when it cannot be
 * written (out of range). */
static int stamp_text(int64_t seconds, int32_t nanos, buf *scratch, char t[48])
{
    size_t start = scratch->len;
    if (wkt_put_timestamp(scratch, seconds, nanos) < 0)
        return -1;
    size_t n = scratch->len - start - 2;
    int ok = n < 48;
    if (ok) {
        memcpy(t, scratch->p + start + 1, n);
        t[n] = 0;
    }
    scratch->len = start;
    scratch->p[start] = 0;
    return ok ? 0 : -1;
}

/* The event's time into t: 1 when there is one, 0 when there is none, -1
 * when it cannot be written. */
static int time_text(const tetra_ev *ev, buf *scratch, char t[48])
{
    if (!ev->time)
        return 0;
    return stamp_text(ev->time->seconds, ev->time->nanos, scratch, t) < 0 ? -1 : 1;
}

/* The time the sink got the event, for one that carries no usable time. */
static int ingest_text(const doc_conf *c, buf *scratch, char t[48])
{
    struct timespec now;
    if ((c->clock ? c->clock(&now) : clock_gettime(CLOCK_REALTIME, &now)) < 0)
        return -1;
    return stamp_text((int64_t)now.tv_sec, (int32_t)now.tv_nsec, scratch, t);
}

/* --- identity -------------------------------------------------------------- */

typedef struct h128 {
    uint64_t a, b;
} h128;

static void h_bytes(h128 *h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h->a = (h->a ^ s[i]) * 0x100000001b3ULL;
        h->b = (h->b ^ s[i]) * 0x100000001b3ULL;
        h->b ^= h->b >> 29;
    }
}

static void h_field(h128 *h, const char *s)
{
    if (s)
        h_bytes(h, s, strlen(s));
    h_bytes(h, "\x1f", 1);
}

/* v as 16 lower-case hex digits at out (no NUL): an id per document,
 * so no printf. */
static void put_hex16(char *out, uint64_t v)
{
    for (int i = 15; i >= 0; i--, v >>= 4)
        out[i] = "0123456789abcdef"[v & 15];
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* The payload as identity v1 and v2 hash it: canonical protojson parsed and
 * printed compact with sorted keys by jansson.  Rare (events without an
 * exec_id), so the slow, exact way is kept. */
static int h_payload(h128 *h, const ProtobufCMessage *pl)
{
    buf b = BUF_INIT;
    int r = pl ? pj_encode(pl, &b) : buf_puts(&b, "{}");
    json_t *j = r == 0 ? json_loadb(b.p, b.len, 0, NULL) : NULL;
    char *js = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (js)
        h_field(h, js);
    free(js);
    json_decref(j);
    buf_free(&b);
    return js ? 0 : -1;
}

/* The thread id as identity v2 hashes it: decimal, or nothing. */
static void h_tid(h128 *h, const Tetragon__Process *p)
{
    char d[16];
    int n = 0;
    if (p && p->tid) {
        uint32_t v = p->tid->value;
        char rev[16];
        int k = 0;
        do
            rev[k++] = (char)('0' + v % 10);
        while ((v /= 10) != 0);
        while (k > 0)
            d[n++] = rev[--k];
    }
    d[n] = '\0';
    h_field(h, d);
}

/* The kind's args (kprobe, tracepoint, uprobe, lsm, usdt all call them
 * "args"), each by its protobuf encoding: the same for an event read as
 * JSON or as protobuf, and cheap next to the JSON of the whole payload.
 * Each is preceded by its length so that argument boundaries count. */
static int h_args(h128 *h, const ProtobufCMessage *pl)
{
    const ProtobufCFieldDescriptor *f = field(pl, "args", PROTOBUF_C_TYPE_MESSAGE);
    if (!f || f->label != PROTOBUF_C_LABEL_REPEATED)
        return 0;
    size_t n = *(const size_t *)((const char *)pl + f->quantifier_offset);
    const ProtobufCMessage *const *args = *(const ProtobufCMessage *const *const *)at(pl, f);
    unsigned char stack[512];
    for (size_t i = 0; i < n; i++) {
        size_t len = protobuf_c_message_get_packed_size(args[i]);
        unsigned char *packed = len <= sizeof stack ? stack : malloc(len);
        if (!packed)
            return -1;
        protobuf_c_message_pack(args[i], packed);
        unsigned char le[8]; /* little-endian, so ids agree across machines */
        for (int b = 0; b < 8; b++)
            le[b] = (unsigned char)((uint64_t)len >> (8 * b));
        h_bytes(h, le, sizeof le);
        h_bytes(h, packed, len);
        if (packed != stack)
            free(packed);
    }
    h_bytes(h, "\x1f", 1);
    return 0;
}

static int id_of(const tetra_ev *ev, const char *kind, const ProtobufCMessage *pl, const char *time,
                 char id[DOC_ID_LEN + 1])
{
    h128 h = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    h_field(&h, "v2");
    h_field(&h, kind);
    h_field(&h, nz(ev->node_name));
    h_field(&h, time);
    const Tetragon__Process *p = process_of(pl, "process");
    const char *exec_id = p ? nz(p->exec_id) : NULL;
    h_field(&h, exec_id);
    h_tid(&h, p);
    h_field(&h, str_field(pl, "function_name"));
    h_field(&h, str_field(pl, "policy_name"));
    if (h_args(&h, pl) < 0 || (!exec_id && h_payload(&h, pl) < 0))
        return -1;
    put_hex16(id, mix(h.a));
    put_hex16(id + 16, mix(h.b ^ h.a));
    id[32] = '\0';
    return 0;
}

int doc_id(const tetra_ev *ev, char id[DOC_ID_LEN + 1])
{
    const ProtobufCMessage *pl;
    const char *kind = kind_of(ev, &pl);
    if (!kind)
        return -1;
    buf scratch = BUF_INIT;
    char t[48];
    int r = time_text(ev, &scratch, t);
    if (r >= 0)
        r = id_of(ev, kind, pl, r ? t : NULL, id);
    buf_free(&scratch);
    return r;
}

/* --- index name -------------------------------------------------------------- */

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* The UTC day of an RFC 3339 time as written by protojson ("...Z").
 * timegm() and gmtime_r() fill in the weekday and the day of the year:
 * %V, %G, %j, %U and the like are computed from those, and left at 0
 * every 2024 event was in ISO week 2023-W52. */
static int parse_day(const char *t, struct tm *tm)
{
    int y, m, d;
    if (!t || strlen(t) < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T')
        return -1;
    if (digits(t, 4, &y) || digits(t + 5, 2, &m) || digits(t + 8, 2, &d))
        return -1;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    if (t[strlen(t) - 1] != 'Z')
        return -1;
    memset(tm, 0, sizeof *tm);
    tm->tm_year = y - 1900;
    tm->tm_mon = m - 1;
    tm->tm_mday = d;
    time_t s = timegm(tm);
    if (s == (time_t)-1 || gmtime_r(&s, tm) == NULL)
        return -1;
    return 0;
}

/* What parse_day fills and what writes only digits: a name made of
 * these is lower case and needs no escaping, whatever the day. */
static const char index_convs[] = "YymdjGgVUWuw%";

int doc_index_pattern_check(const char *pattern, char *err, size_t errlen)
{
    int dates = 0;
    for (const char *p = strchr(pattern, '%'); p != NULL; p = strchr(p + 2, '%')) {
        if (p[1] == '\0') {
            snprintf(err, errlen, "'%s' ends in a lone '%%' (write %%%% for a '%%')", pattern);
            return -1;
        }
        if (strchr(index_convs, p[1]) == NULL) {
            snprintf(err, errlen,
                     "'%%%c' in '%s' is not a conversion an index name can use; use the numeric "
                     "date ones: %%Y %%y %%m %%d %%j %%G %%g %%V %%U %%W %%u %%w, or %%%% for '%%'",
                     p[1], pattern);
            return -1;
        }
        dates += p[1] != '%';
    }
    return dates;
}

static int index_name(const doc_conf *c, const struct tm *day, char *out, size_t n)
{
    if (c->data_stream)
        return snprintf(out, n, "%s", c->data_stream) < (int)n ? 0 : -1;
    size_t len = strftime(out, n, c->index_pattern, day);
    return len ? 0 : -1;
}

/* --- a JSON writer without a tree ------------------------------------------------ */

#define JW_DEPTH 8

/* Level 0 is the document; levels up to depth are open, those below
 * shown are written out.  Errors stick in err, so a run of writes is
 * checked once at the end. */
typedef struct jw {
    buf *b;
    int depth, shown, err;
    int count[JW_DEPTH];
    const char *name[JW_DEPTH];
} jw;

static void jw_sep(jw *w, int level)
{
    if (w->count[level]++)
        w->err |= buf_putc(w->b, ',');
}

/* "key": at the current level, writing out the objects still pending. */
static void jw_key(jw *w, const char *key)
{
    for (; w->shown <= w->depth; w->shown++) {
        jw_sep(w, w->shown - 1);
        w->err |= pj_put_string(w->b, w->name[w->shown], strlen(w->name[w->shown]));
        w->err |= buf_append(w->b, ":{", 2);
        w->count[w->shown] = 0;
    }
    jw_sep(w, w->depth);
    /* keys are this file's literals: nothing to escape */
    w->err |= buf_putc(w->b, '"');
    w->err |= buf_puts(w->b, key);
    w->err |= buf_append(w->b, "\":", 2);
}

static void jw_open(jw *w, const char *name)
{
    w->depth++;
    w->name[w->depth] = name;
}

static void jw_close(jw *w)
{
    if (w->shown > w->depth) {
        w->err |= buf_putc(w->b, '}');
        w->shown = w->depth;
    }
    w->depth--;
}

/* A string member; nothing when s is NULL (callers pass nz() for fields
 * that protojson leaves out when empty). */
static void jw_str(jw *w, const char *key, const char *s)
{
    if (!s)
        return;
    jw_key(w, key);
    w->err |= pj_put_string(w->b, s, strlen(s));
}

static void jw_strn(jw *w, const char *key, const char *s, size_t n)
{
    jw_key(w, key);
    w->err |= pj_put_string(w->b, s, n);
}

static void jw_int(jw *w, const char *key, long long v)
{
    jw_key(w, key);
    w->err |= buf_put_i64(w->b, v);
}

/* A wrapped unsigned number (pid), present when the wrapper is. */
static void jw_u32(jw *w, const char *key, const Google__Protobuf__UInt32Value *v)
{
    if (v)
        jw_int(w, key, v->value);
}

/* An array of strings: the members given, NULLs skipped. */
static void jw_elem(jw *w, int *n, const char *s, size_t len)
{
    if (!s)
        return;
    if ((*n)++)
        w->err |= buf_putc(w->b, ',');
    w->err |= pj_put_string(w->b, s, len);
}

/* --- ECS fields ------------------------------------------------------------------ */

static const char *basename_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* process.args: the executable then the argument string cut at blanks.
 * Tetragon gives the arguments as one string, so quoting is not undone.
 * Written whenever there is a process, empty if need be. */
static void put_args(jw *w, const char *bin, const char *args)
{
    int n = 0;
    jw_key(w, "args");
    w->err |= buf_putc(w->b, '[');
    if (bin)
        jw_elem(w, &n, bin, strlen(bin));
    for (const char *p = args; p && *p;) {
        p += strspn(p, " \t");
        size_t k = strcspn(p, " \t");
        if (k)
            jw_elem(w, &n, p, k);
        p += k;
    }
    w->err |= buf_putc(w->b, ']');
}

static void put_command_line(jw *w, const char *bin, const char *args)
{
    if (!bin)
        return;
    jw_key(w, "command_line");
    w->err |= pj_put_string(w->b, bin, strlen(bin));
    if (!args)
        return;
    w->b->len--; /* reopen the string */
    w->err |= buf_putc(w->b, ' ');
    size_t mid = w->b->len;
    w->err |= pj_put_string(w->b, args, strlen(args));
    if (w->err || w->b->len <= mid)
        return;
    memmove(w->b->p + mid, w->b->p + mid + 1, w->b->len - mid - 1); /* args' opening quote */
    w->b->len--;
    w->b->p[w->b->len] = 0;
}

static void put_labels(jw *w, const Tetragon__Pod *pod)
{
    if (!pod->n_pod_labels)
        return;
    jw_key(w, "label");
    w->err |= buf_putc(w->b, '[');
    int n = 0;
    for (size_t i = 0; i < pod->n_pod_labels; i++) {
        const Tetragon__Pod__PodLabelsEntry *e = pod->pod_labels[i];
        const char *k = e && e->key ? e->key : "", *v = e && e->value ? e->value : "";
        if (n++)
            w->err |= buf_putc(w->b, ',');
        /* "key=value" as one string: write both, then join them */
        w->err |= pj_put_string(w->b, k, strlen(k));
        if (w->err)
            return;
        w->b->p[w->b->len - 1] = '=';
        size_t mid = w->b->len;
        w->err |= pj_put_string(w->b, v, strlen(v));
        if (w->err)
            return;
        memmove(w->b->p + mid, w->b->p + mid + 1, w->b->len - mid - 1);
        w->b->len--;
        w->b->p[w->b->len] = 0;
    }
    w->err |= buf_putc(w->b, ']');
}

/* orchestrator.*: the cluster, and the pod when there is one. */
static void put_orchestrator(jw *w, const char *cluster, const Tetragon__Pod *pod)
{
    jw_open(w, "orchestrator");
    if (cluster) {
        jw_open(w, "cluster");
        jw_str(w, "name", cluster);
        jw_close(w);
    }
    if (pod) {
        jw_str(w, "type", "kubernetes");
        jw_str(w, "namespace", nz(pod->namespace_));
        jw_open(w, "resource");
        jw_str(w, "type", "pod");
        jw_str(w, "name", nz(pod->name));
        jw_open(w, "parent");
        jw_str(w, "name", nz(pod->workload));
        jw_str(w, "type", nz(pod->workload_kind));
        jw_close(w);
        put_labels(w, pod);
        jw_close(w);
    }
    jw_close(w);
}

/* Container ids come as "containerd://<hex>"; ECS wants the bare id. */
static void put_container(jw *w, const Tetragon__Container *c)
{
    if (!c)
        return;
    jw_open(w, "container");
    const char *id = nz(c->id);
    const char *sep = id ? strstr(id, "://") : NULL;
    if (sep) {
        jw_strn(w, "id", sep + 3, strlen(sep + 3));
        jw_strn(w, "runtime", id, (size_t)(sep - id));
    } else {
        jw_str(w, "id", id);
    }
    jw_str(w, "name", nz(c->name));
    jw_open(w, "image");
    jw_str(w, "name", c->image ? nz(c->image->name) : NULL);
    jw_close(w);
    jw_close(w);
}

static void put_process(jw *w, const Tetragon__Process *p, const Tetragon__Process *parent)
{
    const char *bin = nz(p->binary), *args = nz(p->arguments);
    jw_open(w, "process");
    jw_str(w, "executable", bin);
    if (bin)
        jw_str(w, "name", basename_of(bin));
    put_args(w, bin, args);
    put_command_line(w, bin, args);
    jw_u32(w, "pid", p->pid);
    if (p->uid) {
        jw_open(w, "user");
        jw_key(w, "id");
        w->err |= buf_putc(w->b, '"');
        w->err |= buf_put_i64(w->b, p->uid->value);
        w->err |= buf_putc(w->b, '"');
        jw_close(w);
    }
    jw_str(w, "entity_id", nz(p->exec_id));
    jw_str(w, "working_directory", nz(p->cwd));
    jw_open(w, "parent");
    jw_str(w, "entity_id", nz(p->parent_exec_id));
    if (parent) {
        jw_str(w, "executable", nz(parent->binary));
        jw_u32(w, "pid", parent->pid);
    }
    jw_close(w);
    jw_close(w);
}

/* "IPPROTO_TCP" -> "tcp" (ECS network.transport is lower case). */
static void put_transport(jw *w, const char *p)
{
    if (!p)
        return;
    if (!strncmp(p, "IPPROTO_", 8))
        p += 8;
    char b[32];
    size_t i = 0;
    for (; p[i] && i < sizeof b - 1; i++)
        b[i] = (char)tolower((unsigned char)p[i]);
    b[i] = 0;
    jw_open(w, "network");
    jw_str(w, "transport", b);
    jw_close(w);
}

static void put_peer(jw *w, const char *name, const char *ip, uint32_t port)
{
    jw_open(w, name);
    jw_str(w, "ip", nz(ip));
    if (port)
        jw_int(w, "port", port);
    jw_close(w);
}

/* Network peers from the first socket or skb argument of a probe. */
static void put_network(jw *w, const ProtobufCMessage *pl)
{
    const ProtobufCFieldDescriptor *f = field(pl, "args", PROTOBUF_C_TYPE_MESSAGE);
    if (!f || f->label != PROTOBUF_C_LABEL_REPEATED ||
        f->descriptor != &tetragon__kprobe_argument__descriptor)
        return;
    size_t n = *(const size_t *)((const char *)pl + f->quantifier_offset);
    Tetragon__KprobeArgument *const *args = *(Tetragon__KprobeArgument *const *const *)at(pl, f);
    for (size_t i = 0; i < n; i++) {
        const Tetragon__KprobeArgument *a = args[i];
        if (a && a->arg_case == TETRAGON__KPROBE_ARGUMENT__ARG_SOCK_ARG) {
            const Tetragon__KprobeSock *s = a->sock_arg;
            put_peer(w, "source", s ? s->saddr : NULL, s ? s->sport : 0);
            put_peer(w, "destination", s ? s->daddr : NULL, s ? s->dport : 0);
            put_transport(w, s ? nz(s->protocol) : NULL);
            return;
        }
        if (a && a->arg_case == TETRAGON__KPROBE_ARGUMENT__ARG_SKB_ARG) {
            const Tetragon__KprobeSkb *s = a->skb_arg;
            put_peer(w, "source", s ? s->saddr : NULL, s ? s->sport : 0);
            put_peer(w, "destination", s ? s->daddr : NULL, s ? s->dport : 0);
            put_transport(w, s ? nz(s->protocol) : NULL);
            return;
        }
    }
}

/* The action enum by name, or its number when the schema lacks it. */
static void put_action(jw *w, const ProtobufCMessage *pl)
{
    const ProtobufCFieldDescriptor *f = field(pl, "action", PROTOBUF_C_TYPE_ENUM);
    if (!f || f->label == PROTOBUF_C_LABEL_REPEATED)
        return;
    int v = *(const int *)at(pl, f);
    if (!v)
        return;
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
    if (ev)
        jw_str(w, "action", ev->name);
    else
        jw_int(w, "action", v);
}

static void put_probe(jw *w, const ProtobufCMessage *pl)
{
    const char *policy = str_field(pl, "policy_name");
    jw_open(w, "tetragon_probe");
    jw_str(w, "function_name", str_field(pl, "function_name"));
    jw_str(w, "policy_name", policy);
    put_action(w, pl);
    jw_close(w);
    jw_open(w, "rule");
    jw_str(w, "name", policy);
    jw_close(w);
    put_network(w, pl);
}

/* --- enrichment ---------------------------------------------------------------- */

static const char *const sev_names[] = {"unspecified", "info", "low", "medium", "high", "critical"};

int doc_severity(int v)
{
    return v >= 1 && v <= 5 ? v : 0;
}

const char *doc_severity_name(int severity)
{
    return sev_names[doc_severity(severity)];
}

/* The source enum without its prefix, lower case: SOURCE_LLM -> "llm". */
static void put_provider(jw *w, int v)
{
    const ProtobufCEnumValue *ev =
        v ? protobuf_c_enum_descriptor_get_value(&tetragonsidekick__source__descriptor, v) : NULL;
    if (!ev)
        return;
    const char *s = ev->name;
    if (!strncmp(s, "SOURCE_", 7))
        s += 7;
    char b[64];
    size_t i = 0;
    for (; s[i] && i < sizeof b - 1; i++)
        b[i] = (char)tolower((unsigned char)s[i]);
    b[i] = 0;
    jw_str(w, "provider", b);
}

/* One of the technique strings as an array (id, name or tactic). */
static void put_technique_list(jw *w, const char *key, const tetra_enr *e, size_t member)
{
    int n = 0;
    jw_key(w, key);
    w->err |= buf_putc(w->b, '[');
    for (size_t i = 0; i < e->n_techniques; i++) {
        const Tetragonsidekick__Technique *t = e->techniques[i];
        const char *s = !t ? NULL : member == 0 ? t->id : member == 1 ? t->name : t->tactic;
        if (nz(s))
            jw_elem(w, &n, s, strlen(s));
    }
    w->err |= buf_putc(w->b, ']');
}

static void put_threat(jw *w, const tetra_enr *e)
{
    if (!e->n_techniques)
        return;
    jw_open(w, "threat");
    jw_str(w, "framework", "MITRE ATT&CK");
    jw_open(w, "technique");
    put_technique_list(w, "id", e, 0);
    put_technique_list(w, "name", e, 1);
    jw_close(w);
    jw_open(w, "tactic");
    put_technique_list(w, "name", e, 2);
    jw_close(w);
    jw_close(w);
}

/* event.*: what the event is, and the enrichment's verdict. */
static void put_event(jw *w, const char *kind, const tetra_enr *e, const char *ingested)
{
    jw_open(w, "event");
    jw_str(w, "kind", e ? "alert" : "event");
    jw_str(w, "module", "tetragon");
    jw_str(w, "action", kind);
    int sev = e ? doc_severity(e->severity) : 0;
    if (sev) {
        jw_int(w, "severity", sev);
        jw_str(w, "severity_label", sev_names[sev]);
    }
    if (e)
        put_provider(w, e->source);
    jw_str(w, "ingested", ingested);
    jw_close(w);
}

/* tags: why @timestamp is the ingest time ("time_missing", "time_invalid"). */
static void put_tags(jw *w, const char *flag)
{
    if (!flag)
        return;
    jw_key(w, "tags");
    w->err |= buf_putc(w->b, '[');
    w->err |= pj_put_string(w->b, flag, strlen(flag));
    w->err |= buf_putc(w->b, ']');
}

/* --- the document ------------------------------------------------------------------ */

/* A member whose value the codec writes: the whole event or enrichment. */
static void put_encoded(jw *w, const char *key, const ProtobufCMessage *m)
{
    jw_key(w, key);
    if (!w->err && pj_encode(m, w->b) < 0)
        w->err = -1;
}

/* When the event: @timestamp, and why it is the ingest time if it is. */
typedef struct when {
    char stamp[48];   /* @timestamp */
    const char *flag; /* NULL, or the tag saying the time is the ingest time */
} when;

static int put_doc(jw *w, const doc_conf *c, const tetra_ev *ev, const tetra_enr *e,
                   const char *kind, const ProtobufCMessage *pl, const when *at)
{
    w->err |= buf_putc(w->b, '{');
    w->shown = 1;
    jw_str(w, "@timestamp", at->stamp);
    put_event(w, kind, e, at->flag ? at->stamp : NULL);
    put_tags(w, at->flag);
    jw_open(w, "host");
    jw_str(w, "name", nz(ev->node_name));
    jw_close(w);
    const char *cluster = nz(ev->cluster_name) ? ev->cluster_name : c->cluster_name;
    const Tetragon__Process *p = process_of(pl, "process");
    const Tetragon__Pod *pod = p ? p->pod : NULL;
    /* the cluster comes first when known, the pod's part after process */
    if (cluster)
        put_orchestrator(w, cluster, pod);
    if (p)
        put_process(w, p, process_of(pl, "parent"));
    if (!cluster && pod)
        put_orchestrator(w, NULL, pod);
    if (pod)
        put_container(w, pod->container);
    if (strcmp(kind, "process_exec") && strcmp(kind, "process_exit"))
        put_probe(w, pl);
    if (e) {
        jw_str(w, "message", nz(e->summary));
        put_threat(w, e);
        put_encoded(w, "enrichment", &e->base);
    }
    put_encoded(w, "tetragon", &ev->base);
    w->err |= buf_append(w->b, "}\n", 2);
    return w->err ? -1 : 0;
}

static int doc_fail(buf *out, size_t start, const char **reason, const char *why)
{
    out->len = start;
    if (out->p)
        out->p[start] = 0;
    *reason = why;
    return -1;
}

int doc_build(const doc_conf *c, const tetra_ev *ev, const tetra_enr *e, buf *out, doc_meta *m,
              const char **reason)
{
    size_t start = out->len;
    const ProtobufCMessage *pl = NULL;
    m->kind = kind_of(ev, &pl);
    if (!m->kind)
        return doc_fail(out, start, reason, "not_event");
    char t[48];
    int has_time = time_text(ev, out, t);
    if (has_time < 0) /* not even the event itself could be written */
        return doc_fail(out, start, reason, "bad_time");
    /* A missing time, or one no index day has (before 1970), is replaced
     * by the ingest time and the document says so: losing the event would
     * be worse.  The _id keeps the event's own time (or none), so a replay
     * is still the same document. */
    when at = {.flag = NULL};
    struct tm day;
    if (has_time)
        snprintf(at.stamp, sizeof at.stamp, "%s", t);
    if (!has_time || parse_day(t, &day) < 0) {
        at.flag = has_time ? "time_invalid" : "time_missing";
        if (ingest_text(c, out, at.stamp) < 0 || parse_day(at.stamp, &day) < 0)
            return doc_fail(out, start, reason, "bad_time");
    }
    if (index_name(c, &day, m->index, sizeof m->index) < 0)
        return doc_fail(out, start, reason, "bad_index");
    if (id_of(ev, m->kind, pl, has_time ? t : NULL, m->id) < 0)
        return doc_fail(out, start, reason, "no_memory");
    jw w = {.b = out};
    /* index names and ids need no escaping: strftime of a checked
     * pattern, and hex */
    if (buf_puts(out, "{\"create\":{\"_index\":\"") < 0 || buf_puts(out, m->index) < 0 ||
        buf_puts(out, "\",\"_id\":\"") < 0 || buf_puts(out, m->id) < 0 ||
        buf_puts(out, "\"}}\n") < 0 || put_doc(&w, c, ev, e, m->kind, pl, &at) < 0)
        return doc_fail(out, start, reason, "no_memory");
    return 0;
}
