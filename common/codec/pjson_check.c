/* pjson_check.c - range check of a decoded message (see pjson_check.h).
 *
 * A walk over the descriptors, like the encoder's, but it only reads:
 * it visits the message fields that hold something and checks the two
 * well-known types whose JSON form has a range.  A oneof's members share
 * their storage, so only the member its case names is looked at. */
#include "pjson_check.h"

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
                 "timestamp seconds=%lld nanos=%d is outside years 1-9999",
                 (long long)t->seconds, (int)t->nanos);
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
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
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
