/* pjson_check.c - range check of a decoded message (see pjson_check.h).
 *
 * A walk over the descriptors, like the encoder's, but it only reads:
 * it visits the message fields that hold something and checks the two
 * well-known types whose JSON form has a range.  A oneof's members share
 * their storage, so only the member its case names is looked at.
 *
 * Most of an event cannot hold either type (capability sets, namespaces,
 * labels, traced-call arguments), so the walk only goes down the fields
 * whose message type can reach one: per message type a bit mask of those
 * fields, worked out once for every type reachable from the first type
 * asked about (a fixpoint, as types refer to each other in cycles) and
 * kept per thread.  A type the table has no room for is walked in full. */
#include "pjson_check.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "pjson_desc.h"
#include "pjson_wkt.h"

/* Put "name." before the path an error has built so far: the path is
 * made on the way out of a failed check only, so a good message (all but
 * a few) costs no formatting at all. */
static void path_prepend(pj_error *err, const char *name)
{
    size_t have = strlen(err->path), n = strlen(name), sep = have ? 1 : 0;
    if (n + sep + have >= sizeof err->path)
        return; /* too deep to say: keep the innermost part */
    memmove(err->path + n + sep, err->path, have + 1);
    memcpy(err->path, name, n);
    if (sep)
        err->path[n] = '.';
}

static int check(const ProtobufCMessage *m, pj_error *err, int depth);

/* --- which fields can lead to a Timestamp or Duration --------------------- */

#define TYPES_MAX 1024 /* message types in one closure, and in the table */

typedef struct type_slot {
    const ProtobufCMessageDescriptor *d;
    uint64_t fields; /* bit i: field i can lead to a checked type */
} type_slot;

static _Thread_local type_slot type_tab[TYPES_MAX * 2];

#define ALL_FIELDS UINT64_MAX

static int is_checked(const ProtobufCMessageDescriptor *d)
{
    pjd_wkt k = pjd_wkt_kind(d);
    return k == WKT_TIMESTAMP || k == WKT_DURATION;
}

static size_t type_hash(const ProtobufCMessageDescriptor *d)
{
    return (size_t)(((uintptr_t)d >> 4) * UINT64_C(0x9E3779B97F4A7C15) >> 40) % (TYPES_MAX * 2);
}

/* d's slot, or the empty slot where it belongs, or NULL when full. */
static type_slot *type_find(const ProtobufCMessageDescriptor *d)
{
    for (size_t i = type_hash(d), n = 0; n < TYPES_MAX * 2; i = (i + 1) % (TYPES_MAX * 2), n++)
        if (type_tab[i].d == d || type_tab[i].d == NULL)
            return &type_tab[i];
    return NULL;
}

static const ProtobufCMessageDescriptor *field_type(const ProtobufCFieldDescriptor *f)
{
    return f->type == PROTOBUF_C_TYPE_MESSAGE ? f->descriptor : NULL;
}

/* Every message type reachable from root into set (root first); the
 * count, or 0 when more than TYPES_MAX. */
static size_t closure(const ProtobufCMessageDescriptor *root,
                      const ProtobufCMessageDescriptor **set)
{
    size_t n = 1;
    set[0] = root;
    for (size_t i = 0; i < n; i++)
        for (unsigned k = 0; k < set[i]->n_fields; k++) {
            const ProtobufCMessageDescriptor *t = field_type(&set[i]->fields[k]);
            size_t j = 0;
            while (t && j < n && set[j] != t)
                j++;
            if (!t || j < n)
                continue;
            if (n == TYPES_MAX)
                return 0;
            set[n++] = t;
        }
    return n;
}

static size_t index_of(const ProtobufCMessageDescriptor *const *set, size_t n,
                       const ProtobufCMessageDescriptor *t)
{
    size_t j = 0;
    while (j < n && set[j] != t)
        j++;
    return j;
}

/* reach[i]: set[i] is a checked type or has a field that leads to one. */
static void fixpoint(const ProtobufCMessageDescriptor *const *set, size_t n, unsigned char *reach)
{
    for (size_t i = 0; i < n; i++)
        reach[i] = (unsigned char)is_checked(set[i]);
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < n; i++)
            for (unsigned k = 0; !reach[i] && k < set[i]->n_fields; k++) {
                const ProtobufCMessageDescriptor *t = field_type(&set[i]->fields[k]);
                if (t && reach[index_of(set, n, t)])
                    reach[i] = changed = 1;
            }
    }
}

static uint64_t field_mask(const ProtobufCMessageDescriptor *d,
                           const ProtobufCMessageDescriptor *const *set, size_t n,
                           const unsigned char *reach)
{
    if (d->n_fields > 64)
        return ALL_FIELDS;
    uint64_t mask = 0;
    for (unsigned k = 0; k < d->n_fields; k++) {
        const ProtobufCMessageDescriptor *t = field_type(&d->fields[k]);
        if (t && reach[index_of(set, n, t)])
            mask |= UINT64_C(1) << k;
    }
    return mask;
}

/* Fill the table for every type reachable from root. */
static void learn(const ProtobufCMessageDescriptor *root)
{
    static _Thread_local const ProtobufCMessageDescriptor *set[TYPES_MAX];
    static _Thread_local unsigned char reach[TYPES_MAX];
    size_t n = closure(root, set);
    if (n > 0)
        fixpoint(set, n, reach);
    for (size_t i = 0; i < n; i++) {
        type_slot *slot = type_find(set[i]);
        if (slot && slot->d == NULL)
            *slot = (type_slot){set[i], field_mask(set[i], set, n, reach)};
    }
}

/* The fields of d worth walking into. */
static uint64_t fields_to_walk(const ProtobufCMessageDescriptor *d)
{
    type_slot *slot = type_find(d);
    if (slot && slot->d == NULL) {
        learn(d);
        slot = type_find(d);
    }
    return slot && slot->d == d ? slot->fields : ALL_FIELDS;
}

static int check_one(const ProtobufCMessage *m, pj_error *err, int depth)
{
    if (!m)
        return 0;
    pjd_wkt k = pjd_wkt_kind(m->descriptor);
    if (k == WKT_TIMESTAMP) {
        const Google__Protobuf__Timestamp *t = (const Google__Protobuf__Timestamp *)m;
        if (wkt_timestamp_ok(t->seconds, t->nanos))
            return 0;
        snprintf(err->msg, sizeof err->msg,
                 "timestamp seconds=%lld nanos=%d is outside years 1-9999", (long long)t->seconds,
                 (int)t->nanos);
        return -1;
    }
    if (k == WKT_DURATION) {
        const Google__Protobuf__Duration *d = (const Google__Protobuf__Duration *)m;
        if (wkt_duration_ok(d->seconds, d->nanos))
            return 0;
        snprintf(err->msg, sizeof err->msg,
                 "duration seconds=%lld nanos=%d is out of range or of mixed sign",
                 (long long)d->seconds, (int)d->nanos);
        return -1;
    }
    return check(m, err, depth + 1);
}

static int check(const ProtobufCMessage *m, pj_error *err, int depth)
{
    if (depth > 100) { /* protobuf-c's unpack nests no deeper than its input */
        snprintf(err->msg, sizeof err->msg, "messages nested too deep");
        return -1;
    }
    const ProtobufCMessageDescriptor *d = m->descriptor;
    uint64_t walk = fields_to_walk(d);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE || (i < 64 && !(walk >> i & 1)))
            continue;
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)PJD_CAT(m, f->quantifier_offset) != f->id)
            continue;
        int r = 0;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)PJD_CAT(m, f->quantifier_offset);
            ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)PJD_CAT(m, f->offset);
            for (size_t j = 0; j < n && r == 0; j++)
                r = check_one(v[j], err, depth);
        } else {
            r = check_one(*(ProtobufCMessage *const *)PJD_CAT(m, f->offset), err, depth);
        }
        if (r < 0) {
            path_prepend(err, f->name);
            return -1;
        }
    }
    return 0;
}

int pj_check_ranges(const ProtobufCMessage *m, pj_error *err)
{
    memset(err, 0, sizeof *err);
    if (check(m, err, 0) == 0)
        return 0;
    err->status = PJ_ERR_RANGE;
    return -1;
}
