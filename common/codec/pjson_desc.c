/* pjson_desc.c - descriptor lookups for the codec (see pjson_desc.h).
 *
 * protoc-c keeps each message's field names sorted (fields_sorted_by_name),
 * so the common case, a proto name as Tetragon writes it, is a binary
 * search with no allocation.  lowerCamelCase names are the rare case and
 * fall back to a linear scan that compares without building strings.
 * Well-known types are recognised by descriptor address, not by name. */
#include "pjson_desc.h"

#include <string.h>
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "google/protobuf/struct.pb-c.h"

/* Compare NUL-terminated name with key[0..len) like strcmp. */
static int name_cmp(const char *name, const char *key, size_t len)
{
    int c = strncmp(name, key, len);
    if (c != 0)
        return c;
    return name[len] != '\0';
}

/* Does key equal the lowerCamelCase form of proto name? */
static int camel_eq(const char *name, const char *key, size_t len)
{
    size_t k = 0;
    int up = 0;
    for (const char *p = name; *p; p++) {
        if (*p == '_') {
            up = 1;
            continue;
        }
        char c = *p;
        if (up && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        up = 0;
        if (k >= len || key[k] != c)
            return 0;
        k++;
    }
    return k == len;
}

const ProtobufCFieldDescriptor *pjd_field(const ProtobufCMessageDescriptor *d, const char *key,
                                          size_t len)
{
    unsigned lo = 0, hi = d->n_fields;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        const ProtobufCFieldDescriptor *f = &d->fields[d->fields_sorted_by_name[mid]];
        int c = name_cmp(f->name, key, len);
        if (c == 0)
            return f;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (unsigned i = 0; i < d->n_fields; i++)
        if (camel_eq(d->fields[i].name, key, len))
            return &d->fields[i];
    return NULL;
}

const ProtobufCFieldDescriptor *pjd_field_next(const ProtobufCMessageDescriptor *d, const char *key,
                                               size_t len, const ProtobufCFieldDescriptor **hint)
{
    const ProtobufCFieldDescriptor *f = *hint;
    if (!f || strncmp(f->name, key, len) != 0 || f->name[len] != '\0')
        f = pjd_field(d, key, len);
    *hint = f && f + 1 < d->fields + d->n_fields ? f + 1 : NULL;
    return f;
}

int pjd_is_map_entry(const ProtobufCMessageDescriptor *d)
{
    size_t n = strlen(d->name);
    return n > 5 && strcmp(d->name + n - 5, "Entry") == 0 && d->n_fields == 2 &&
           d->fields[0].id == 1 && strcmp(d->fields[0].name, "key") == 0 && d->fields[1].id == 2 &&
           strcmp(d->fields[1].name, "value") == 0;
}

pjd_wkt pjd_wkt_kind(const ProtobufCMessageDescriptor *d)
{
    static const ProtobufCMessageDescriptor *const wrappers[] = {
        &google__protobuf__double_value__descriptor, &google__protobuf__float_value__descriptor,
        &google__protobuf__int64_value__descriptor,  &google__protobuf__uint64_value__descriptor,
        &google__protobuf__int32_value__descriptor,  &google__protobuf__uint32_value__descriptor,
        &google__protobuf__bool_value__descriptor,   &google__protobuf__string_value__descriptor,
        &google__protobuf__bytes_value__descriptor,
    };
    if (d->package_name[0] != 'g')
        return WKT_NONE; /* fast path: not google.protobuf */
    if (d == &google__protobuf__timestamp__descriptor)
        return WKT_TIMESTAMP;
    if (d == &google__protobuf__duration__descriptor)
        return WKT_DURATION;
    if (d == &google__protobuf__struct__descriptor)
        return WKT_STRUCT;
    if (d == &google__protobuf__value__descriptor)
        return WKT_VALUE;
    if (d == &google__protobuf__list_value__descriptor)
        return WKT_LISTVALUE;
    for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
        if (d == wrappers[i])
            return WKT_WRAPPER;
    return WKT_NONE;
}

size_t pjd_elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}
