/* pjson_check.h - is a message decoded from binary protobuf writable as
 * protojson?
 *
 * The JSON decoder refuses a Timestamp or Duration out of protojson's
 * range as it reads it, but binary protobuf carries any int64, and a
 * record that decodes fine could then not be written: the encoder has no
 * text for year 10000.  Checking once, where binary records come in,
 * turns that into a rejected record (bad_value, dead-lettered like any
 * other) instead of a failed write in the middle of a run. */
#ifndef TETRA_PJSON_CHECK_H
#define TETRA_PJSON_CHECK_H

#include <protobuf-c/protobuf-c.h>

#include "pjson.h"

/* 0 when every Timestamp and Duration in m (nested, repeated, in maps
 * and in the set member of a oneof) is in range; else -1 with err's
 * status PJ_ERR_RANGE, path naming the field and msg saying why. */
int pj_check_ranges(const ProtobufCMessage *m, pj_error *err);

#endif
