/* dlq.h - the dead-letter output: every rejected record, whole, with why.
 *
 * A record the program cannot use is not lost: it is written here with its
 * reason, where it came from and the decoder's message, so it can be
 * inspected and replayed.  The format is JSON lines, one object per record:
 *   {"reason":"invalid_json","source":"tetragon.log","line":12,"offset":3401,
 *    "error":"...","record":"<the original text>"}
 * A record that is not valid UTF-8 (it cannot sit in a JSON string) is
 * written as "record_base64" instead of "record"; a too-long record keeps
 * only its first bytes and says "truncated":true and its full "size".
 * Backends sit behind a const table of functions; the file is the only
 * one here.  tetra-sink's --dlq-topic produces the same entries to Kafka
 * (sink/deadletter.c), formatted by this module's dlq_format. */
#ifndef TETRA_DLQ_H
#define TETRA_DLQ_H

#include <stddef.h>
#include <stdint.h>

typedef struct dlq dlq;

typedef struct dlq_entry {
    const char *reason; /* counter name, e.g. "invalid_json" */
    const char *source; /* file name, "-" for stdin, or a topic/partition */
    uint64_t line;      /* 1-based line, 0 when not line-oriented */
    uint64_t offset;    /* byte offset of the record in its source */
    const char *error;  /* decoder message, may be NULL */
    const void *record; /* the record's bytes as read */
    size_t len;
    uint64_t size; /* full size when record holds only a head, else len */
} dlq_entry;

/* Open the dead-letter file at path for appending (created 0644 if
 * missing; "-" is not allowed since stdout carries data).  Returns NULL
 * with err filled on failure. */
dlq *dlq_open_file(const char *path, char *err, size_t errlen);

/* Write one entry.  Returns 0, or -1 with err filled. */
int dlq_write(dlq *d, const dlq_entry *e, char *err, size_t errlen);

/* Entries written so far. */
uint64_t dlq_count(const dlq *d);

/* Flush and close; d is freed either way.  Returns 0, or -1 with err
 * filled when the last writes failed.  d may be NULL. */
int dlq_close(dlq *d, char *err, size_t errlen);

/* Append e as one JSON line (with '\n') to out of cap bytes, exposed for
 * tests and other backends.  Returns the length, or (size_t)-1 when it
 * did not fit (out is then unspecified). */
size_t dlq_format(const dlq_entry *e, char *out, size_t cap);

/* Length of the longest valid UTF-8 prefix of s (n when all valid). */
size_t dlq_utf8_valid(const unsigned char *s, size_t n);

#endif
