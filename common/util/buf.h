/* buf.h - a growable byte buffer, the one output type of the codec.
 *
 * Encoders append into a buf and the caller decides what to do with the
 * bytes (write(2), hand to librdkafka, post with curl), so no layer copies
 * data it does not own.  Growth is geometric; a buf is reused across records
 * with buf_reset() so the hot path allocates only while the largest record
 * seen so far grows. */
#ifndef TETRA_BUF_H
#define TETRA_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct buf {
    char *p;    /* bytes, always NUL-terminated after a successful append */
    size_t len; /* bytes in use, not counting the NUL */
    size_t cap; /* bytes allocated */
} buf;

/* clang-format 14 would split this braced initializer */
/* clang-format off */
#define BUF_INIT {NULL, 0, 0}
/* clang-format on */

/* The slow path of buf_reserve: grow b to hold n more bytes and a NUL.
 * Returns 0, or -1 when out of memory (the buffer is unchanged then). */
int buf_grow(buf *b, size_t n);
/* Make room for n more bytes. Returns 0, or -1 when out of memory (the
 * buffer is unchanged then).  Inline, as buf_append and buf_puts are: the
 * encoders append a few hundred pieces per event, and a call to check for
 * room that is nearly always there cost more than the copying. */
static inline int buf_reserve(buf *b, size_t n)
{
    return b->cap - b->len > n ? 0 : buf_grow(b, n);
}
/* Append n bytes / a NUL-terminated string / one byte. Return 0 or -1 (ENOMEM). */
static inline int buf_append(buf *b, const void *data, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}
static inline int buf_puts(buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}
/* Inline: the encoders write a few hundred single bytes (quotes, colons,
 * commas) per event, and a call per byte cost more than the writing. */
static inline int buf_putc(buf *b, char c)
{
    if (b->cap - b->len < 2 && buf_reserve(b, 1) < 0)
        return -1;
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
    return 0;
}
/* Append printf-style text. Returns 0 or -1. */
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append v in decimal, without printf: documents hold several numbers
 * each, and vsnprintf cost 1,800 instructions a call. Returns 0 or -1. */
int buf_put_i64(buf *b, int64_t v);
/* "TOPIC/PARTITION/OFFSET", the key of a record made from an input
 * record, into out (cap > 0 bytes, NUL-terminated, cut to fit like
 * snprintf), without printf: it is made once per record.  Returns the
 * length written. */
size_t buf_fmt_record_key(char *out, size_t cap, const char *topic, int32_t partition,
                          int64_t offset);
/* Append v as a protobuf base-128 varint. Returns 0 or -1. */
int buf_put_varint(buf *b, uint64_t v);
/* Forget the contents, keep the memory. */
void buf_reset(buf *b);
/* Release the memory; the buf is empty and reusable afterwards. */
void buf_free(buf *b);

#endif
