/* pjson_decode.c - protojson text -> protobuf-c message (see pjson.h).
 *
 * Two passes over one record: jsonscan validates the whole text and leaves
 * a token array, then this file walks the tokens alongside the message
 * descriptor and stores each value straight into the struct protoc-c
 * generated, at the offset the field descriptor gives.  Nothing here knows
 * a Tetragon type; well-known types are the only special cases, because
 * protojson gives them a JSON form of their own.
 *
 * Leniency follows Go's protojson with DiscardUnknown: unknown fields and
 * unknown enum names are skipped and counted (newer Tetragon versions add
 * both), while a known field with a value of the wrong type or range is an
 * error naming its path, since it means the producer and we disagree on
 * the schema. */
#include "pjson.h"
#include "util/arena.h"
#include "pjson_desc.h"
#include "pjson_wkt.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "util/base64.h"

typedef struct dctx {
    pj_arena *a;
    const char *js;
    const jtok *t;
    pj_decode_info *info;
    pj_error *err;
    int depth;
    const char *path[PJ_MAX_DEPTH + 4];
    long idx[PJ_MAX_DEPTH + 4]; /* array index at that level, or -1 */
} dctx;

static int dec_value(dctx *c, const ProtobufCFieldDescriptor *f, uint32_t vi, void *dst);
/* null means "absent" for every field but a google.protobuf.Value. */
static int null_is_value(const ProtobufCFieldDescriptor *f)
{
    return f->type == PROTOBUF_C_TYPE_MESSAGE && pjd_wkt_kind(f->descriptor) == WKT_VALUE;
}

static int dec_object(dctx *c, const ProtobufCMessageDescriptor *d, uint32_t ti,
                      ProtobufCMessage *m);
static int dec_message(dctx *c, const ProtobufCMessageDescriptor *d, uint32_t ti,
                       ProtobufCMessage **out);

static void push(dctx *c, const char *name, long idx)
{
    if (c->depth < (int)(sizeof c->path / sizeof c->path[0])) {
        c->path[c->depth] = name;
        c->idx[c->depth] = idx;
    }
    c->depth++;
}

static void pop(dctx *c)
{
    c->depth--;
}

static void fill_path(dctx *c)
{
    size_t o = 0, cap = sizeof c->err->path;
    int n = c->depth < (int)(sizeof c->path / sizeof c->path[0]) ? c->depth : PJ_MAX_DEPTH;
    c->err->path[0] = '\0';
    for (int i = 0; i < n && o < cap; i++) {
        int w = c->idx[i] >= 0
                    ? snprintf(c->err->path + o, cap - o, "[%ld]", c->idx[i])
                    : snprintf(c->err->path + o, cap - o, "%s%s", o ? "." : "", c->path[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

__attribute__((format(printf, 4, 5))) static int derr(dctx *c, pj_status st, uint32_t ti,
                                                      const char *fmt, ...)
{
    c->err->status = st;
    c->err->offset = c->t[ti].start;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->msg, sizeof c->err->msg, fmt, ap);
    va_end(ap);
    fill_path(c);
    return -1;
}

/* Also what a failed str_dup returns through: keep the error it set. */
static int nomem(dctx *c, uint32_t ti)
{
    if (c->err->status != PJ_OK)
        return -1;
    return derr(c, PJ_ERR_NOMEM, ti, "out of memory");
}

static const char *type_word(const jtok *t)
{
    switch (t->type) {
    case JT_OBJ:
        return "an object";
    case JT_ARR:
        return "an array";
    case JT_STR:
        return "a string";
    case JT_NUM:
        return "a number";
    case JT_NULL:
        return "null";
    default:
        return "a boolean";
    }
}

static int wrong(dctx *c, uint32_t ti, const char *want)
{
    return derr(c, PJ_ERR_TYPE, ti, "%s expected, got %s", want, type_word(&c->t[ti]));
}

/* The string token ti, unescaped into the arena; NULL on out of memory. */
static char *str_dup(dctx *c, uint32_t ti, size_t *len)
{
    const jtok *t = &c->t[ti];
    char *s = pj_arena_alloc(c->a, (size_t)t->len + 1);
    if (!s)
        return NULL;
    size_t n = jscan_unescape(c->js, t, s);
    /* protobuf-c strings end at the first NUL: a \u0000 would silently
     * cut the value (or make a key match a shorter name), so refuse it */
    if (t->esc && memchr(s, '\0', n)) {
        derr(c, PJ_ERR_RANGE, ti, "\\u0000 in a string, which this schema's strings cannot hold");
        return NULL;
    }
    if (len)
        *len = n;
    return s;
}

/* The text of a number or string token, NUL-terminated (arena copy only
 * when the string holds escapes). */
static const char *tok_text(dctx *c, uint32_t ti, size_t *len)
{
    const jtok *t = &c->t[ti];
    if (t->type == JT_STR && t->esc)
        return str_dup(c, ti, len);
    *len = t->len;
    return c->js + t->start;
}

/* Strict JSON number grammar on a string's contents. */
static int is_number_text(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    size_t d0 = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == d0 || (s[d0] == '0' && i - d0 > 1))
        return 0;
    if (i < n && s[i] == '.') {
        size_t f0 = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == f0)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == e0)
            return 0;
    }
    return i == n;
}

static double text_to_double(const char *s, size_t n)
{
    char tmp[128];
    if (n >= sizeof tmp) {
        char *h = malloc(n + 1);
        if (!h)
            return NAN;
        memcpy(h, s, n);
        h[n] = '\0';
        double v = strtod(h, NULL);
        free(h);
        return v;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return strtod(tmp, NULL);
}

/* v * 10 + d, or -1 on overflow. */
static int push_digit(uint64_t *v, unsigned d)
{
    if (*v > (UINT64_MAX - d) / 10)
        return -1;
    *v = *v * 10 + d;
    return 0;
}

/* Parse integer text: digits, or a number with a fraction or exponent
 * whose value is integral ("1.0", "15e2", protojson allows them).  The
 * digits are placed by the exponent exactly: through a double, an
 * 18-digit "123456789012345678.0" came out as ...680.  Returns 0 and
 * sets *mag, *neg, or -1 (not integral, or over 64 bits). */
static int parse_integer(const char *s, size_t n, int *neg, uint64_t *mag)
{
    if (!is_number_text(s, n))
        return -1;
    size_t i = (size_t)(*neg = s[0] == '-');
    size_t int0 = i, int1 = i;
    while (int1 < n && s[int1] >= '0' && s[int1] <= '9')
        int1++;
    size_t frac0 = int1, frac1 = int1;
    if (frac1 < n && s[frac1] == '.') {
        frac0 = frac1 + 1;
        for (frac1 = frac0; frac1 < n && s[frac1] >= '0' && s[frac1] <= '9'; frac1++)
            ;
    }
    long exp = 0;
    if (frac1 < n) { /* 'e' or 'E', sign, digits: is_number_text checked the form */
        size_t e = frac1 + 1;
        int eneg = s[e] == '-';
        e += (size_t)(s[e] == '-' || s[e] == '+');
        for (; e < n; e++)
            if (exp < 100000)
                exp = exp * 10 + (s[e] - '0');
        if (eneg)
            exp = -exp;
    }
    /* the mantissa's digits, integer part then fraction, are d[0..len) */
    size_t ilen = int1 - int0, flen = frac1 - frac0, len = ilen + flen;
#define DIGIT(k) ((unsigned)(s[(k) < ilen ? int0 + (k) : frac0 + (k)-ilen] - '0'))
    long shift = exp - (long)flen; /* value = d * 10^shift */
    size_t keep = shift >= 0 ? len : (size_t)-shift >= len ? 0 : len - (size_t)-shift;
    for (size_t k = keep; k < len; k++) /* what a negative shift cuts off */
        if (DIGIT(k) != 0)
            return -1;
    uint64_t v = 0;
    for (size_t k = 0; k < keep; k++)
        if (push_digit(&v, DIGIT(k)) < 0)
            return -1;
#undef DIGIT
    for (long k = 0; k < shift && v != 0; k++)
        if (push_digit(&v, 0) < 0)
            return -1;
    *mag = v;
    return 0;
}

/* Integer-typed field from a number or a string token. */
static int dec_int(dctx *c, uint32_t vi, ProtobufCType type, void *dst)
{
    const jtok *t = &c->t[vi];
    if (t->type != JT_NUM && t->type != JT_STR)
        return wrong(c, vi, "an integer (number or string)");
    size_t n;
    const char *s = tok_text(c, vi, &n);
    if (!s)
        return nomem(c, vi);
    int neg;
    uint64_t mag;
    if (parse_integer(s, n, &neg, &mag) < 0)
        return derr(c, PJ_ERR_RANGE, vi, "not an integer: \"%.*s\"", (int)(n > 40 ? 40 : n), s);
    int is_signed = type == PROTOBUF_C_TYPE_INT32 || type == PROTOBUF_C_TYPE_SINT32 ||
                    type == PROTOBUF_C_TYPE_SFIXED32 || type == PROTOBUF_C_TYPE_INT64 ||
                    type == PROTOBUF_C_TYPE_SINT64 || type == PROTOBUF_C_TYPE_SFIXED64 ||
                    type == PROTOBUF_C_TYPE_ENUM;
    int wide = pjd_elem_size(type) == 8;
    uint64_t lim = is_signed ? (wide ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX)
                             : (wide ? UINT64_MAX : (uint64_t)UINT32_MAX);
    if ((neg && !is_signed && mag != 0) || mag > lim + (uint64_t)(neg && is_signed))
        return derr(c, PJ_ERR_RANGE, vi, "integer out of range for this field");
    if (is_signed) {
        int64_t sv = neg ? (int64_t)(0 - mag) : (int64_t)mag;
        if (wide)
            *(int64_t *)dst = sv;
        else
            *(int32_t *)dst = (int32_t)sv;
    } else if (wide)
        *(uint64_t *)dst = mag;
    else
        *(uint32_t *)dst = (uint32_t)mag;
    return 0;
}

static int dec_float(dctx *c, uint32_t vi, int is_float, void *dst)
{
    const jtok *t = &c->t[vi];
    double v;
    size_t n;
    if (t->type != JT_NUM && t->type != JT_STR)
        return wrong(c, vi, "a number");
    const char *s = tok_text(c, vi, &n);
    if (!s)
        return nomem(c, vi);
    if (t->type == JT_STR && n == 3 && memcmp(s, "NaN", 3) == 0)
        v = NAN;
    else if (t->type == JT_STR && n == 8 && memcmp(s, "Infinity", 8) == 0)
        v = INFINITY;
    else if (t->type == JT_STR && n == 9 && memcmp(s, "-Infinity", 9) == 0)
        v = -INFINITY;
    else if (!is_number_text(s, n))
        return derr(c, PJ_ERR_RANGE, vi, "not a number");
    else {
        v = text_to_double(s, n);
        if (isinf(v) || (is_float && fabs(v) > FLT_MAX))
            return derr(c, PJ_ERR_RANGE, vi, "number out of range for this field");
    }
    if (is_float)
        *(float *)dst = (float)v;
    else
        *(double *)dst = v;
    return 0;
}

static int dec_bytes(dctx *c, uint32_t vi, ProtobufCBinaryData *dst)
{
    if (c->t[vi].type != JT_STR)
        return wrong(c, vi, "a base64 string");
    size_t n;
    const char *s = tok_text(c, vi, &n);
    unsigned char *d = s ? pj_arena_alloc(c->a, n / 4 * 3 + 4) : NULL;
    if (!d)
        return nomem(c, vi);
    long len = b64_decode(s, n, d, 0);
    if (len < 0)
        return derr(c, PJ_ERR_RANGE, vi, "invalid base64");
    dst->data = d;
    dst->len = (size_t)len;
    return 0;
}

/* Enum names seen lately, per thread: an event carries dozens (its
 * capability sets) and protobuf-c finds each by a binary search of
 * strcmp calls, a tenth of the decoder's time on capability-rich events.
 * A direct-mapped table keyed by descriptor and name answers the repeats;
 * a wrong guess is impossible, as the name is compared in full. */
#define ENUM_SEEN 1024
typedef struct enum_slot {
    const ProtobufCEnumDescriptor *ed;
    const ProtobufCEnumValue *ev;
} enum_slot;
static _Thread_local enum_slot enum_seen_tab[ENUM_SEEN];

static size_t enum_slot_of(const ProtobufCEnumDescriptor *ed, const char *s, size_t n)
{
    uint32_t h = 2166136261u ^ (uint32_t)(uintptr_t)ed; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h % ENUM_SEEN;
}

static const ProtobufCEnumValue *enum_seen(const ProtobufCEnumDescriptor *ed, const char *s,
                                           size_t n)
{
    const enum_slot *e = &enum_seen_tab[enum_slot_of(ed, s, n)];
    if (e->ed != ed || strncmp(e->ev->name, s, n) != 0 || e->ev->name[n] != '\0')
        return NULL;
    return e->ev;
}

static void enum_remember(const ProtobufCEnumDescriptor *ed, const char *s, size_t n,
                          const ProtobufCEnumValue *ev)
{
    enum_seen_tab[enum_slot_of(ed, s, n)] = (enum_slot){ed, ev};
}

/* Enum by name or number.  Returns 1 when the name is unknown (skip). */
static int dec_enum(dctx *c, const ProtobufCEnumDescriptor *ed, uint32_t vi, int *dst)
{
    const jtok *t = &c->t[vi];
    if (t->type == JT_NUM)
        return dec_int(c, vi, PROTOBUF_C_TYPE_ENUM, dst);
    if (t->type != JT_STR)
        return wrong(c, vi, "an enum name or number");
    char small[128];
    if (t->len >= sizeof small || t->esc) {
        const ProtobufCEnumValue *ev = NULL;
        char *s = str_dup(c, vi, NULL);
        if (!s)
            return nomem(c, vi);
        ev = protobuf_c_enum_descriptor_get_value_by_name(ed, s);
        if (!ev)
            return 1;
        *dst = ev->value;
        return 0;
    }
    const ProtobufCEnumValue *ev = enum_seen(ed, c->js + t->start, t->len);
    if (!ev) {
        memcpy(small, c->js + t->start, t->len);
        small[t->len] = '\0';
        if (!(ev = protobuf_c_enum_descriptor_get_value_by_name(ed, small)))
            return 1;
        enum_remember(ed, c->js + t->start, t->len, ev);
    }
    *dst = ev->value;
    return 0;
}

static int dec_scalar(dctx *c, const ProtobufCFieldDescriptor *f, uint32_t vi, void *dst)
{
    const jtok *t = &c->t[vi];
    switch (f->type) {
    case PROTOBUF_C_TYPE_FLOAT:
        return dec_float(c, vi, 1, dst);
    case PROTOBUF_C_TYPE_DOUBLE:
        return dec_float(c, vi, 0, dst);
    case PROTOBUF_C_TYPE_BOOL:
        if (t->type != JT_TRUE && t->type != JT_FALSE)
            return wrong(c, vi, "true or false");
        *(protobuf_c_boolean *)dst = t->type == JT_TRUE;
        return 0;
    case PROTOBUF_C_TYPE_STRING:
        if (t->type != JT_STR)
            return wrong(c, vi, "a string");
        if (!(*(char **)dst = str_dup(c, vi, NULL)))
            return nomem(c, vi);
        return 0;
    case PROTOBUF_C_TYPE_BYTES:
        return dec_bytes(c, vi, dst);
    case PROTOBUF_C_TYPE_ENUM:
        return dec_enum(c, f->descriptor, vi, dst);
    case PROTOBUF_C_TYPE_MESSAGE:
        return dec_message(c, f->descriptor, vi, dst);
    default:
        return dec_int(c, vi, f->type, dst);
    }
}

static ProtobufCMessage *new_message(dctx *c, const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = pj_arena_alloc(c->a, d->sizeof_message);
    /* through protobuf-c, not d->message_init(m): the generated init takes
     * its own struct type, so calling it through the generic pointer type
     * is undefined behaviour (clang's -fsanitize=function says so) */
    if (m)
        protobuf_c_message_init(d, m);
    return m;
}

static int dec_timestamp(dctx *c, uint32_t ti, ProtobufCMessage *m)
{
    Google__Protobuf__Timestamp *ts = (Google__Protobuf__Timestamp *)m;
    if (c->t[ti].type != JT_STR)
        return wrong(c, ti, "an RFC 3339 timestamp string");
    size_t n;
    const char *s = tok_text(c, ti, &n);
    if (!s)
        return nomem(c, ti);
    if (wkt_parse_timestamp(s, n, &ts->seconds, &ts->nanos) < 0)
        return derr(c, PJ_ERR_RANGE, ti, "invalid RFC 3339 timestamp \"%.*s\"",
                    (int)(n > 40 ? 40 : n), s);
    return 0;
}

static int dec_duration(dctx *c, uint32_t ti, ProtobufCMessage *m)
{
    Google__Protobuf__Duration *du = (Google__Protobuf__Duration *)m;
    if (c->t[ti].type != JT_STR)
        return wrong(c, ti, "a duration string such as \"1.5s\"");
    size_t n;
    const char *s = tok_text(c, ti, &n);
    if (!s)
        return nomem(c, ti);
    if (wkt_parse_duration(s, n, &du->seconds, &du->nanos) < 0)
        return derr(c, PJ_ERR_RANGE, ti, "invalid duration");
    return 0;
}

static int dec_struct_value(dctx *c, uint32_t ti, Google__Protobuf__Value *v);

static int dec_list(dctx *c, uint32_t ti, Google__Protobuf__ListValue *l)
{
    const jtok *t = &c->t[ti];
    if (t->type != JT_ARR)
        return wrong(c, ti, "an array");
    l->values = pj_arena_alloc(c->a, sizeof *l->values * (t->size ? t->size : 1));
    if (!l->values)
        return nomem(c, ti);
    uint32_t e = ti + 1;
    for (uint32_t i = 0; i < t->size; i++, e = c->t[e].next) {
        l->values[i] =
            (Google__Protobuf__Value *)new_message(c, &google__protobuf__value__descriptor);
        if (!l->values[i])
            return nomem(c, e);
        push(c, NULL, (long)i);
        int r = dec_struct_value(c, e, l->values[i]);
        pop(c);
        if (r < 0)
            return -1;
    }
    l->n_values = t->size;
    return 0;
}

static int dec_struct(dctx *c, uint32_t ti, Google__Protobuf__Struct *s)
{
    const jtok *t = &c->t[ti];
    if (t->type != JT_OBJ)
        return wrong(c, ti, "an object");
    s->fields = pj_arena_alloc(c->a, sizeof *s->fields * (t->size ? t->size : 1));
    if (!s->fields)
        return nomem(c, ti);
    uint32_t k = ti + 1;
    for (uint32_t i = 0; i < t->size; i++) {
        uint32_t v = k + 1;
        Google__Protobuf__Struct__FieldsEntry *e =
            (void *)new_message(c, &google__protobuf__struct__fields_entry__descriptor);
        if (!e || !(e->key = str_dup(c, k, NULL)))
            return nomem(c, k);
        e->value = (Google__Protobuf__Value *)new_message(c, &google__protobuf__value__descriptor);
        if (!e->value)
            return nomem(c, k);
        push(c, e->key, -1);
        int r = dec_struct_value(c, v, e->value);
        pop(c);
        if (r < 0)
            return -1;
        s->fields[i] = e;
        k = c->t[v].next;
    }
    s->n_fields = t->size;
    return 0;
}

static int dec_struct_value(dctx *c, uint32_t ti, Google__Protobuf__Value *v)
{
    const jtok *t = &c->t[ti];
    switch (t->type) {
    case JT_NULL:
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
        return 0;
    case JT_TRUE:
    case JT_FALSE:
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
        v->bool_value = t->type == JT_TRUE;
        return 0;
    case JT_NUM:
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
        return dec_float(c, ti, 0, &v->number_value);
    case JT_STR:
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
        return (v->string_value = str_dup(c, ti, NULL)) ? 0 : nomem(c, ti);
    case JT_ARR:
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
        v->list_value = (void *)new_message(c, &google__protobuf__list_value__descriptor);
        return v->list_value ? dec_list(c, ti, v->list_value) : nomem(c, ti);
    default:
        v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
        v->struct_value = (void *)new_message(c, &google__protobuf__struct__descriptor);
        return v->struct_value ? dec_struct(c, ti, v->struct_value) : nomem(c, ti);
    }
}

/* A message-typed value: a JSON object, or a well-known type's own form. */
static int dec_message(dctx *c, const ProtobufCMessageDescriptor *d, uint32_t ti,
                       ProtobufCMessage **out)
{
    ProtobufCMessage *m = new_message(c, d);
    if (!m)
        return nomem(c, ti);
    int r;
    switch (pjd_wkt_kind(d)) {
    case WKT_TIMESTAMP:
        r = dec_timestamp(c, ti, m);
        break;
    case WKT_DURATION:
        r = dec_duration(c, ti, m);
        break;
    case WKT_WRAPPER:
        r = dec_scalar(c, &d->fields[0], ti, PJD_AT(m, d->fields[0].offset));
        break;
    case WKT_STRUCT:
        r = dec_struct(c, ti, (Google__Protobuf__Struct *)m);
        break;
    case WKT_LISTVALUE:
        r = dec_list(c, ti, (Google__Protobuf__ListValue *)m);
        break;
    case WKT_VALUE:
        r = dec_struct_value(c, ti, (Google__Protobuf__Value *)m);
        break;
    default:
        if (c->t[ti].type != JT_OBJ)
            return wrong(c, ti, "an object");
        r = dec_object(c, d, ti, m);
    }
    if (r == 1) /* unknown enum name inside a wrapper: leave the wrapper empty */
        r = 0;
    if (r < 0)
        return -1;
    *out = m;
    return 0;
}

/* Parse a map key (always a JSON string) into the entry's key field. */
static int dec_map_key(dctx *c, const ProtobufCFieldDescriptor *kf, uint32_t ki, void *dst)
{
    if (kf->type == PROTOBUF_C_TYPE_STRING)
        return (*(char **)dst = str_dup(c, ki, NULL)) ? 0 : nomem(c, ki);
    if (kf->type == PROTOBUF_C_TYPE_BOOL) {
        size_t n;
        const char *s = tok_text(c, ki, &n);
        if (!s)
            return nomem(c, ki);
        if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0)) {
            *(protobuf_c_boolean *)dst = n == 4;
            return 0;
        }
        return derr(c, PJ_ERR_RANGE, ki, "map key must be \"true\" or \"false\"");
    }
    return dec_int(c, ki, kf->type, dst);
}

static int dec_map(dctx *c, const ProtobufCFieldDescriptor *f, uint32_t vi, ProtobufCMessage *m)
{
    const jtok *t = &c->t[vi];
    if (t->type != JT_OBJ)
        return wrong(c, vi, "an object (map)");
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    ProtobufCMessage **arr = pj_arena_alloc(c->a, sizeof *arr * (t->size ? t->size : 1));
    if (!arr)
        return nomem(c, vi);
    size_t n = 0;
    uint32_t k = vi + 1;
    for (uint32_t i = 0; i < t->size; i++) {
        uint32_t v = k + 1;
        ProtobufCMessage *e = new_message(c, ed);
        if (!e)
            return nomem(c, k);
        if (dec_map_key(c, &ed->fields[0], k, PJD_AT(e, ed->fields[0].offset)) < 0)
            return -1;
        if (c->t[v].type == JT_NULL)
            return derr(c, PJ_ERR_TYPE, v, "map value must not be null");
        int r = dec_value(c, &ed->fields[1], v, PJD_AT(e, ed->fields[1].offset));
        if (r < 0)
            return -1;
        if (r == 0)
            arr[n++] = e;
        k = c->t[v].next;
    }
    *(ProtobufCMessage ***)PJD_AT(m, f->offset) = arr;
    *(size_t *)PJD_AT(m, f->quantifier_offset) = n;
    return 0;
}

static int dec_repeated(dctx *c, const ProtobufCFieldDescriptor *f, uint32_t vi,
                        ProtobufCMessage *m)
{
    const jtok *t = &c->t[vi];
    if (f->type == PROTOBUF_C_TYPE_MESSAGE && pjd_is_map_entry(f->descriptor))
        return dec_map(c, f, vi, m);
    if (t->type != JT_ARR)
        return wrong(c, vi, "an array");
    size_t es = pjd_elem_size(f->type);
    char *arr = pj_arena_alloc(c->a, es * (t->size ? t->size : 1));
    if (!arr)
        return nomem(c, vi);
    size_t n = 0;
    uint32_t e = vi + 1;
    for (uint32_t i = 0; i < t->size; i++, e = c->t[e].next) {
        push(c, NULL, (long)i);
        if (c->t[e].type == JT_NULL)
            return derr(c, PJ_ERR_TYPE, e, "null is not allowed in a repeated field");
        int r = dec_value(c, f, e, arr + n * es);
        pop(c);
        if (r < 0)
            return -1;
        if (r == 0)
            n++;
    }
    *(void **)PJD_AT(m, f->offset) = arr;
    *(size_t *)PJD_AT(m, f->quantifier_offset) = n;
    return 0;
}

/* One value of field f into dst. 0 stored, 1 skipped (unknown enum name). */
static int dec_value(dctx *c, const ProtobufCFieldDescriptor *f, uint32_t vi, void *dst)
{
    int r = dec_scalar(c, f, vi, dst);
    if (r == 1 && c->info)
        c->info->unknown_fields++;
    return r;
}

static int dec_field(dctx *c, const ProtobufCFieldDescriptor *f, uint32_t vi, ProtobufCMessage *m)
{
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return dec_repeated(c, f, vi, m);
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *cs = PJD_AT(m, f->quantifier_offset);
        if (*cs != 0 && *cs != f->id)
            return derr(c, PJ_ERR_TYPE, vi, "more than one member of a oneof is set");
        int r = dec_value(c, f, vi, PJD_AT(m, f->offset));
        if (r < 0)
            return -1;
        if (r == 0)
            *cs = f->id;
        return 0;
    }
    int r = dec_value(c, f, vi, PJD_AT(m, f->offset));
    if (r < 0)
        return -1;
    if (r == 0 && f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
        f->type != PROTOBUF_C_TYPE_STRING)
        *(protobuf_c_boolean *)PJD_AT(m, f->quantifier_offset) = 1;
    return 0;
}

static void note_unknown(dctx *c, uint32_t ki)
{
    if (!c->info)
        return;
    c->info->unknown_fields++;
    if (c->depth == 0 && !c->info->first_unknown[0]) {
        const jtok *k = &c->t[ki];
        size_t n =
            k->len < sizeof c->info->first_unknown - 1 ? k->len : sizeof c->info->first_unknown - 1;
        memcpy(c->info->first_unknown, c->js + k->start, n);
        c->info->first_unknown[n] = '\0';
    }
}

static int dec_object(dctx *c, const ProtobufCMessageDescriptor *d, uint32_t ti,
                      ProtobufCMessage *m)
{
    const jtok *t = &c->t[ti];
    uint32_t k = ti + 1;
    const ProtobufCFieldDescriptor *hint = NULL;
    for (uint32_t i = 0; i < t->size; i++) {
        uint32_t v = k + 1;
        const jtok *kt = &c->t[k];
        const ProtobufCFieldDescriptor *f;
        if (kt->esc) {
            char *key = str_dup(c, k, NULL);
            if (!key)
                return nomem(c, k);
            f = pjd_field_next(d, key, strlen(key), &hint);
        } else
            f = pjd_field_next(d, c->js + kt->start, kt->len, &hint);
        if (!f)
            note_unknown(c, k);
        else if (c->t[v].type != JT_NULL || null_is_value(f)) {
            push(c, f->name, -1);
            int r = dec_field(c, f, v, m);
            pop(c);
            if (r < 0)
                return -1;
        }
        k = c->t[v].next;
    }
    return 0;
}

pj_status pj_decode(pj_arena *a, const ProtobufCMessageDescriptor *desc, const char *json,
                    size_t len, ProtobufCMessage **out, pj_decode_info *info, pj_error *err)
{
    jscan *sc = pj_arena_scanner(a);
    memset(err, 0, sizeof *err);
    if (info)
        memset(info, 0, sizeof *info);
    const char *msg = NULL;
    pj_status st = jscan_run(sc, json, len, &err->offset, &msg);
    if (st != PJ_OK) {
        err->status = st;
        snprintf(err->msg, sizeof err->msg, "%s", msg);
        return st;
    }
    dctx c = {a, json, sc->t, info, err, 0, {0}, {0}};
    if (sc->t[0].type != JT_OBJ) {
        derr(&c, PJ_ERR_TYPE, 0, "a JSON object expected, got %s", type_word(&sc->t[0]));
        return err->status;
    }
    ProtobufCMessage *m;
    if (dec_message(&c, desc, 0, &m) < 0)
        return err->status;
    *out = m;
    return PJ_OK;
}

const char *pj_status_name(pj_status s)
{
    switch (s) {
    case PJ_OK:
        return "ok";
    case PJ_ERR_SYNTAX:
        return "invalid_json";
    case PJ_ERR_UTF8:
        return "invalid_utf8";
    case PJ_ERR_DEPTH:
        return "too_deep";
    case PJ_ERR_TYPE:
        return "wrong_type";
    case PJ_ERR_RANGE:
        return "bad_value";
    case PJ_ERR_NOMEM:
        return "no_memory";
    }
    return "unknown";
}
