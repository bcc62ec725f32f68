/* pjson.h - protojson <-> protobuf-c messages, driven by descriptors.
 *
 * One converter serves every message type: it walks protobuf-c's
 * ProtobufCMessageDescriptor tables, so adding a field to proto/ needs no
 * code here.  It follows Go's protojson (what Tetragon's export writes):
 * proto or lowerCamelCase names in, proto names out; 64-bit integers as
 * strings; enums by name; bytes as base64; Timestamp and Duration as strings;
 * wrapper types as bare values; maps as objects; null as absent.
 *
 * Decoding allocates every message, string and array from a pj_arena, so a
 * record is freed with one pj_arena_reset() and the hot path does not call
 * malloc per field.  Messages decoded into an arena must not be freed with
 * protobuf_c_message_free_unpacked(). */
#ifndef TETRA_PJSON_H
#define TETRA_PJSON_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>
#include "util/buf.h"

typedef struct pj_arena pj_arena;

/* Returns a new arena, or NULL when out of memory. */
pj_arena *pj_arena_new(void);
/* Free everything allocated from the arena; keep one block for reuse. */
void pj_arena_reset(pj_arena *a);
void pj_arena_free(pj_arena *a);
/* A protobuf-c allocator backed by the arena (free is a no-op), e.g. for
 * protobuf_c_message_unpack() of binary records. */
ProtobufCAllocator *pj_arena_allocator(pj_arena *a);
/* Allocate n bytes, 8-byte aligned; NULL when out of memory. */
void *pj_arena_alloc(pj_arena *a, size_t n);

/* Why a decode failed; each maps to a counter name (pj_status_name). */
typedef enum pj_status {
    PJ_OK = 0,
    PJ_ERR_SYNTAX, /* not JSON: "invalid_json" */
    PJ_ERR_UTF8,   /* invalid UTF-8 or a lone surrogate escape: "invalid_utf8" */
    PJ_ERR_DEPTH,  /* nested deeper than PJ_MAX_DEPTH: "too_deep" */
    PJ_ERR_TYPE,   /* a value of the wrong JSON type for its field: "wrong_type" */
    PJ_ERR_RANGE,  /* a number out of range, a bad timestamp or base64: "bad_value" */
    PJ_ERR_NOMEM   /* out of memory: "no_memory" */
} pj_status;

#define PJ_MAX_DEPTH 64

typedef struct pj_error {
    pj_status status;
    size_t offset;  /* byte offset into the input where it went wrong */
    char path[160]; /* field path, e.g. "process_exec.process.pid" */
    char msg[160];  /* what was wrong, for a log line */
} pj_error;

/* Counts a decode keeps besides the message. */
typedef struct pj_decode_info {
    unsigned unknown_fields; /* fields skipped because the schema lacks them */
    char first_unknown[64];  /* name of the first unknown top-level field, "" if none */
} pj_decode_info;

/* Decode one JSON value (an object) of len bytes into a new message of type
 * desc, allocated in arena a.  Trailing white space is allowed, anything
 * else after the value is a syntax error.  Returns PJ_OK and sets *out, or
 * an error status with err filled (*out untouched).  info may be NULL. */
pj_status pj_decode(pj_arena *a, const ProtobufCMessageDescriptor *desc, const char *json,
                    size_t len, ProtobufCMessage **out, pj_decode_info *info, pj_error *err);

/* Append the canonical protojson of m (proto field names, no white space,
 * fields in number order) to out.  Returns 0, or -1 when out of memory. */
int pj_encode(const ProtobufCMessage *m, buf *out);

/* Append s[0..n) as a JSON string exactly as pj_encode writes strings:
 * '"', '\\' and control characters escaped as Go's protojson does, and
 * also DEL, U+2028 and U+2029, which Go writes raw (the JSON value is the
 * same; they are escaped so that a line of output is safe to paste into
 * JavaScript or a terminal); bytes that are not UTF-8 as U+FFFD (strings
 * unpacked from binary protobuf are not checked by protobuf-c).  Returns 0
 * or -1. */
int pj_put_string(buf *b, const char *s, size_t n);

/* The counter name of a status, e.g. "invalid_json". */
const char *pj_status_name(pj_status s);

#endif
