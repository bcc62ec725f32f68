/* buf.c - growable byte buffer (see buf.h for why the codec writes into one). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int buf_grow(buf *b, size_t n)
{
    if (b->cap - b->len > n)
        return 0;
    size_t want = b->len + n + 1;
    if (want < b->len)
        return -1; /* overflow */
    size_t cap = b->cap ? b->cap : 256;
    while (cap < want) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) < 0)
        return -1;
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    b->len += (size_t)n;
    return 0;
}

/* Decimal digits of v at the end of tmp[24]; returns where they start. */
static char *digits(char tmp[24], int64_t v)
{
    char *d = tmp + 24;
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--d = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0)
        *--d = '-';
    return d;
}

int buf_put_i64(buf *b, int64_t v)
{
    char tmp[24], *d = digits(tmp, v);
    return buf_append(b, d, (size_t)(tmp + sizeof tmp - d));
}

/* Copy n bytes of s to out at *len, as far as cap leaves room for a NUL. */
static void put_cut(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
    size_t room = cap - 1 - *len;
    if (n > room)
        n = room;
    memcpy(out + *len, s, n);
    *len += n;
}

size_t buf_fmt_record_key(char *out, size_t cap, const char *topic, int32_t partition,
                          int64_t offset)
{
    char tmp[24], *d;
    size_t len = 0;
    put_cut(out, cap, &len, topic, strlen(topic));
    put_cut(out, cap, &len, "/", 1);
    d = digits(tmp, partition);
    put_cut(out, cap, &len, d, (size_t)(tmp + sizeof tmp - d));
    put_cut(out, cap, &len, "/", 1);
    d = digits(tmp, offset);
    put_cut(out, cap, &len, d, (size_t)(tmp + sizeof tmp - d));
    out[len] = '\0';
    return len;
}

int buf_put_varint(buf *b, uint64_t v)
{
    if (buf_reserve(b, 10) < 0)
        return -1;
    while (v >= 0x80) {
        b->p[b->len++] = (char)((v & 0x7f) | 0x80);
        v >>= 7;
    }
    b->p[b->len++] = (char)v;
    b->p[b->len] = '\0';
    return 0;
}

void buf_reset(buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

void buf_free(buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
