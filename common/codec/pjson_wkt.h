/* pjson_wkt.h - the textual forms protojson gives some values: Timestamp,
 * Duration, bytes (base64) and floating point numbers.
 *
 * Kept apart from the descriptor walkers because these are pure string
 * functions that the unit tests can hit with edge cases directly. */
#ifndef TETRA_PJSON_WKT_H
#define TETRA_PJSON_WKT_H

#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

/* Parse an RFC 3339 timestamp with any offset ("2024-01-02T03:04:05.123Z",
 * "...+02:00").  Returns 0 and sets seconds since the epoch (UTC) and nanos,
 * or -1 when malformed or outside years 0001-9999. */
int wkt_parse_timestamp(const char *s, size_t n, int64_t *sec, int32_t *nanos);
/* Append the UTC form with 0, 3, 6 or 9 fractional digits, quoted.
 * Returns 0, or -1 (out of memory, or out of range). */
int wkt_put_timestamp(buf *b, int64_t sec, int32_t nanos);
/* Whether protojson can write the value: a Timestamp within years
 * 1-9999 with 0 <= nanos < 1e9; a Duration within +-10,000 years whose
 * nanos have the seconds' sign.  Binary protobuf carries any int64. */
int wkt_timestamp_ok(int64_t sec, int32_t nanos);
int wkt_duration_ok(int64_t sec, int32_t nanos);

/* Parse "1.5s", "-0.000001s".  Returns 0 or -1. */
int wkt_parse_duration(const char *s, size_t n, int64_t *sec, int32_t *nanos);
int wkt_put_duration(buf *b, int64_t sec, int32_t nanos);

/* Append standard padded base64 of data, quoted.  Returns 0 or -1. */
int wkt_put_base64(buf *b, const unsigned char *data, size_t n);

/* Append a JSON number the way Go's protojson prints it (shortest text
 * that reads back to the same value; "NaN", "Infinity" as strings).
 * is_float: the value is a float32.  Returns 0 or -1. */
int wkt_put_double(buf *b, double v, int is_float);

#endif
