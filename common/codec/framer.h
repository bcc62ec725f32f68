/* framer.h - cut a byte stream into records, whatever shape the writer chose.
 *
 * Tetragon writes one JSON object per line, people paste pretty-printed
 * objects over many lines, and the next filter in a pipe reads binary
 * messages each preceded by its length as a protobuf varint.  The framer
 * turns any of these into records without parsing JSON: in JSON mode it
 * tracks only strings, escapes and brace depth, so it costs one pass over
 * the bytes.  A record larger than the limit is not buffered: the framer
 * keeps its first bytes for the dead-letter output, skips the rest up to
 * the record's end, and hands it out marked "too_long".
 *
 * Resynchronising after damage: a raw newline inside a JSON string cannot
 * be valid, so it ends the record there; a '{' in the first column while an
 * object is still open starts a new record (pretty printers indent nested
 * objects), so one unterminated line loses only itself.  Anything at the
 * top level that is not an object is handed out a line at a time for the
 * decoder to name (invalid JSON, or JSON that is no event).
 *
 * Usage: framer_feed() a chunk, call framer_next() until it returns 0, feed
 * the next chunk; at end of input call framer_finish() and drain again. */
#ifndef TETRA_FRAMER_H
#define TETRA_FRAMER_H

#include <stddef.h>
#include <stdint.h>

typedef enum framer_mode {
    FRAMER_JSON,  /* JSON objects, one per line or pretty-printed */
    FRAMER_VARINT /* varint length prefix, then that many bytes */
} framer_mode;

typedef struct framer framer;

typedef struct framer_record {
    const char *data;   /* the record's bytes; valid until the next framer call */
    size_t len;         /* bytes in data (for too_long: only the kept head) */
    uint64_t size;      /* the record's full size in the stream */
    uint64_t line;      /* 1-based line where it starts (JSON mode), 0 in varint mode */
    uint64_t start;     /* stream offset of its first byte */
    uint64_t end;       /* stream offset just past its last byte */
    const char *reject; /* NULL, or "too_long" / "truncated" (cut off by end of input) */
} framer_record;

/* Bytes of an over-long record kept for the dead-letter output. */
#define FRAMER_HEAD_KEEP 4096

/* A framer that allows records of at most max_record bytes (> 0); offsets
 * and line numbers start at base_offset and line 1.  NULL when out of
 * memory. */
framer *framer_new(framer_mode mode, size_t max_record, uint64_t base_offset);
void framer_free(framer *f);

/* Append n input bytes.  Invalidates the last record.  Returns 0, or -1
 * when out of memory. */
int framer_feed(framer *f, const void *data, size_t n);

/* Mark the end of input: a record still open is handed out by the next
 * framer_next() as it is (JSON: for the decoder to reject; varint:
 * "truncated"). */
void framer_finish(framer *f);

/* Take the next complete record.  Returns 1 and fills *r, 0 when more
 * input is needed (or, after framer_finish, when all is drained), -1 when
 * a varint length prefix is malformed (more than 10 bytes): the stream
 * cannot be resynchronised and the framer yields nothing more. */
int framer_next(framer *f, framer_record *r);

/* Stream offset just past the last byte handed out in a record or skipped
 * as white space between records: where a reader may resume. */
uint64_t framer_offset(const framer *f);

#endif
