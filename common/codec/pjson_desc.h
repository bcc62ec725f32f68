/* pjson_desc.h - questions the codec asks of protobuf-c descriptors:
 * which field a JSON key names, whether a message is a map entry or a
 * well-known type with a special JSON form, and where a field's value and
 * presence live inside a message struct. */
#ifndef TETRA_PJSON_DESC_H
#define TETRA_PJSON_DESC_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

typedef enum pjd_wkt {
    WKT_NONE = 0,
    WKT_TIMESTAMP,
    WKT_DURATION,
    WKT_WRAPPER, /* DoubleValue ... BytesValue: one field "value" */
    WKT_STRUCT,
    WKT_VALUE,
    WKT_LISTVALUE
} pjd_wkt;

/* The field named key[0..len) by its proto name or its lowerCamelCase JSON
 * name, or NULL. */
const ProtobufCFieldDescriptor *pjd_field(const ProtobufCMessageDescriptor *d, const char *key,
                                          size_t len);
/* The same, trying *hint first and leaving there the field after the one
 * found: writers emit fields in declaration order, so walking an object
 * this way mostly costs one compare per key.  *hint starts at NULL. */
const ProtobufCFieldDescriptor *pjd_field_next(const ProtobufCMessageDescriptor *d, const char *key,
                                               size_t len, const ProtobufCFieldDescriptor **hint);
/* Non-zero when d is the synthetic entry message of a map field. */
int pjd_is_map_entry(const ProtobufCMessageDescriptor *d);
pjd_wkt pjd_wkt_kind(const ProtobufCMessageDescriptor *d);
/* Bytes one value of type t occupies in a message or a repeated array. */
size_t pjd_elem_size(ProtobufCType t);

#define PJD_AT(m, off) ((void *)((char *)(m) + (off)))
#define PJD_CAT(m, off) ((const void *)((const char *)(m) + (off)))

#endif
