/* pjson_encode.c - protobuf-c message -> canonical protojson (see pjson.h).
 *
 * Output matches what Go's protojson prints with proto field names, which is
 * what Tetragon's export looks like, so a record that went JSON -> protobuf
 * -> JSON compares equal to the original: fields in number order, zero
 * scalars of implicit-presence fields left out, 64-bit integers quoted,
 * enums by name, well-known types in their own forms.  Strings decoded from
 * binary protobuf are not guaranteed to be UTF-8 (protobuf-c does not check),
 * so invalid bytes are written as U+FFFD instead of producing invalid JSON. */
#include "pjson.h"
#include "pjson_desc.h"
#include "pjson_wkt.h"
#include "plainrun.h"
#include "utf8.h"

#include <inttypes.h>
#include <string.h>
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"

static int enc_message(const ProtobufCMessage *m, buf *b);

static int put_escape(buf *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
    switch (c) {
    case '"':
        return buf_append(b, "\\\"", 2);
    case '\\':
        return buf_append(b, "\\\\", 2);
    case '\b':
        return buf_append(b, "\\b", 2);
    case '\f':
        return buf_append(b, "\\f", 2);
    case '\n':
        return buf_append(b, "\\n", 2);
    case '\r':
        return buf_append(b, "\\r", 2);
    case '\t':
        return buf_append(b, "\\t", 2);
    default:
        return buf_append(b, e, 6);
    }
}

/* Bytes that cannot be copied as they are into a JSON string. */
/* kept in rows of 16 bytes by hand */
/* clang-format off */
static const unsigned char esc_stop[256] = {
    ROW16(1), ROW16(1),                             /* 0x00-0x1f: control */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x22 '"' */
    ROW16(0), ROW16(0),
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x5c '\\' */
    ROW16(0),
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, /* 0x7f DEL */
    ROW16(1), ROW16(1), ROW16(1), ROW16(1), ROW16(1), ROW16(1), ROW16(1), ROW16(1), /* 0x80-0xff */
};
/* clang-format on */

int pj_put_string(buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    if (buf_reserve(b, n + 2) < 0 || buf_putc(b, '"') < 0)
        return -1;
    size_t i = 0;
    while (i < n) {
        size_t run = plain_run(s, i, n);
        while (run < n && !esc_stop[s[run]])
            run++;
        if (run > i && buf_append(b, s + i, run - i) < 0)
            return -1;
        i = run;
        if (i >= n)
            break;
        if (s[i] < 0x80) {
            if (put_escape(b, s[i++]) < 0)
                return -1;
            continue;
        }
        size_t k = utf8_seq_len(s + i, n - i);
        int r;
        if (k == 0)
            r = buf_append(b, "\xEF\xBF\xBD", 3), k = 1;
        else if (k == 3 && s[i] == 0xE2 && s[i + 1] == 0x80 &&
                 (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
            r = buf_puts(b, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
        else
            r = buf_append(b, s + i, k);
        if (r < 0)
            return -1;
        i += k;
    }
    return buf_putc(b, '"');
}

static int put_cstring(buf *b, const char *s)
{
    return pj_put_string(b, s ? s : "", s ? strlen(s) : 0);
}

/* Decimal text of v, optionally negative and quoted, without printf:
 * numbers are most of what an event holds besides strings. */
static int put_uint(buf *b, uint64_t v, int neg, int quoted)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *p = e;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg)
        *--p = '-';
    if (buf_reserve(b, (size_t)(e - p) + 2) < 0)
        return -1;
    char *o = b->p + b->len;
    if (quoted)
        *o++ = '"';
    memcpy(o, p, (size_t)(e - p));
    o += e - p;
    if (quoted)
        *o++ = '"';
    b->len = (size_t)(o - b->p);
    b->p[b->len] = '\0';
    return 0;
}

static int put_int(buf *b, int64_t v, int quoted)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return put_uint(b, mag, v < 0, quoted);
}

/* "name": for a field; proto names never need escaping. */
static int put_name(buf *b, const char *name)
{
    size_t n = strlen(name);
    if (buf_reserve(b, n + 3) < 0)
        return -1;
    char *o = b->p + b->len;
    *o++ = '"';
    memcpy(o, name, n);
    o += n;
    *o++ = '"';
    *o++ = ':';
    b->len = (size_t)(o - b->p);
    b->p[b->len] = '\0';
    return 0;
}

static int put_enum(buf *b, const ProtobufCEnumDescriptor *ed, int v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);
    if (ev)
        return buf_putc(b, '"') < 0 || buf_puts(b, ev->name) < 0 ? -1 : buf_putc(b, '"');
    return put_int(b, v, 0);
}

/* One value of field f stored at p. */
static int enc_value(const ProtobufCFieldDescriptor *f, const void *p, buf *b)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return put_int(b, *(const int32_t *)p, 0);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return put_uint(b, *(const uint32_t *)p, 0, 0);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return put_int(b, *(const int64_t *)p, 1);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return put_uint(b, *(const uint64_t *)p, 0, 1);
    case PROTOBUF_C_TYPE_FLOAT:
        return wkt_put_double(b, *(const float *)p, 1);
    case PROTOBUF_C_TYPE_DOUBLE:
        return wkt_put_double(b, *(const double *)p, 0);
    case PROTOBUF_C_TYPE_BOOL:
        return buf_puts(b, *(const protobuf_c_boolean *)p ? "true" : "false");
    case PROTOBUF_C_TYPE_ENUM:
        return put_enum(b, f->descriptor, *(const int *)p);
    case PROTOBUF_C_TYPE_STRING:
        return put_cstring(b, *(char *const *)p);
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bd = p;
        return wkt_put_base64(b, bd->data, bd->len);
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        if (!m)
            return buf_puts(b, "{}");
        return enc_message(m, b);
    }
    }
    return -1;
}

static int is_zero(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)p)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(ProtobufCMessage *const *)p == NULL;
    default: {
        static const char zero[8];
        return memcmp(p, zero, pjd_elem_size(f->type)) == 0;
    }
    }
}

static int is_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const void *p = PJD_CAT(m, f->offset);
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return *(const size_t *)PJD_CAT(m, f->quantifier_offset) > 0;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)PJD_CAT(m, f->quantifier_offset) == f->id;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
        if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING)
            return *(void *const *)p != NULL;
        return *(const protobuf_c_boolean *)PJD_CAT(m, f->quantifier_offset);
    }
    if (f->label == PROTOBUF_C_LABEL_REQUIRED)
        return 1;
    return !is_zero(f, p);
}

/* Map keys are always JSON strings, whatever their proto type. */
static int put_map_key(buf *b, const ProtobufCFieldDescriptor *kf, const void *kp)
{
    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING:
        return put_cstring(b, *(char *const *)kp);
    case PROTOBUF_C_TYPE_BOOL:
        return buf_puts(b, *(const protobuf_c_boolean *)kp ? "\"true\"" : "\"false\"");
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return buf_printf(b, "\"%" PRId32 "\"", *(const int32_t *)kp);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return buf_printf(b, "\"%" PRIu32 "\"", *(const uint32_t *)kp);
    default: /* 64-bit integers are quoted already */
        return enc_value(kf, kp, b);
    }
}

static int enc_map(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m, buf *b)
{
    size_t n = *(const size_t *)PJD_CAT(m, f->quantifier_offset);
    ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)PJD_CAT(m, f->offset);
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &ed->fields[0];
    const ProtobufCFieldDescriptor *vf = &ed->fields[1];
    if (buf_putc(b, '{') < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int r = i ? buf_putc(b, ',') : 0;
        if (r == 0)
            r = put_map_key(b, kf, PJD_CAT(arr[i], kf->offset));
        if (r < 0 || buf_putc(b, ':') < 0 || enc_value(vf, PJD_CAT(arr[i], vf->offset), b) < 0)
            return -1;
    }
    return buf_putc(b, '}');
}

static int enc_repeated(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m, buf *b)
{
    if (f->type == PROTOBUF_C_TYPE_MESSAGE && pjd_is_map_entry(f->descriptor))
        return enc_map(f, m, b);
    size_t n = *(const size_t *)PJD_CAT(m, f->quantifier_offset);
    const char *arr = *(char *const *)PJD_CAT(m, f->offset);
    size_t es = pjd_elem_size(f->type);
    if (buf_putc(b, '[') < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((i && buf_putc(b, ',') < 0) || enc_value(f, arr + i * es, b) < 0)
            return -1;
    return buf_putc(b, ']');
}

static int enc_struct_value(const Google__Protobuf__Value *v, buf *b);

static int enc_list(const Google__Protobuf__ListValue *l, buf *b)
{
    if (buf_putc(b, '[') < 0)
        return -1;
    for (size_t i = 0; i < l->n_values; i++)
        if ((i && buf_putc(b, ',') < 0) || enc_struct_value(l->values[i], b) < 0)
            return -1;
    return buf_putc(b, ']');
}

static int enc_struct(const Google__Protobuf__Struct *s, buf *b)
{
    if (buf_putc(b, '{') < 0)
        return -1;
    for (size_t i = 0; i < s->n_fields; i++)
        if ((i && buf_putc(b, ',') < 0) || put_cstring(b, s->fields[i]->key) < 0 ||
            buf_putc(b, ':') < 0 || enc_struct_value(s->fields[i]->value, b) < 0)
            return -1;
    return buf_putc(b, '}');
}

static int enc_struct_value(const Google__Protobuf__Value *v, buf *b)
{
    if (!v)
        return buf_puts(b, "null");
    switch (v->kind_case) {
    case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
        return wkt_put_double(b, v->number_value, 0);
    case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
        return put_cstring(b, v->string_value);
    case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
        return buf_puts(b, v->bool_value ? "true" : "false");
    case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE:
        return v->struct_value ? enc_struct(v->struct_value, b) : buf_puts(b, "{}");
    case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE:
        return v->list_value ? enc_list(v->list_value, b) : buf_puts(b, "[]");
    default:
        return buf_puts(b, "null");
    }
}

static int enc_wkt(pjd_wkt kind, const ProtobufCMessage *m, buf *b)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    switch (kind) {
    case WKT_TIMESTAMP: {
        const Google__Protobuf__Timestamp *t = (const void *)m;
        return wkt_put_timestamp(b, t->seconds, t->nanos);
    }
    case WKT_DURATION: {
        const Google__Protobuf__Duration *du = (const void *)m;
        return wkt_put_duration(b, du->seconds, du->nanos);
    }
    case WKT_WRAPPER:
        return enc_value(&d->fields[0], PJD_CAT(m, d->fields[0].offset), b);
    case WKT_STRUCT:
        return enc_struct((const void *)m, b);
    case WKT_LISTVALUE:
        return enc_list((const void *)m, b);
    case WKT_VALUE:
        return enc_struct_value((const void *)m, b);
    default:
        return -1;
    }
}

static int enc_message(const ProtobufCMessage *m, buf *b)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    pjd_wkt kind = pjd_wkt_kind(d);
    if (kind != WKT_NONE)
        return enc_wkt(kind, m, b);
    if (buf_putc(b, '{') < 0)
        return -1;
    int first = 1;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!is_present(m, f))
            continue;
        if ((!first && buf_putc(b, ',') < 0) || put_name(b, f->name) < 0)
            return -1;
        first = 0;
        int r = f->label == PROTOBUF_C_LABEL_REPEATED ? enc_repeated(f, m, b)
                                                      : enc_value(f, PJD_CAT(m, f->offset), b);
        if (r < 0)
            return -1;
    }
    return buf_putc(b, '}');
}

int pj_encode(const ProtobufCMessage *m, buf *out)
{
    size_t start = out->len;
    if (enc_message(m, out) < 0) {
        out->len = start;
        if (out->p)
            out->p[start] = '\0';
        return -1;
    }
    return 0;
}
