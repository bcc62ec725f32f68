/* base64.c - base64 encoding and decoding (see base64.h).
 *
 * The decoder looks every character up in one table instead of branching
 * on ranges: the codec decodes bytes fields of every event with it. */
#include "base64.h"

#include <stdint.h>

#define SPACE 65

/* 0: not base64; 1..64: the digit's value + 1; SPACE: white space. */
/* clang-format off */
static const unsigned char digit[256] = {
     0,  0,  0,  0,  0,  0,  0,  0,  0, 65, 65,  0,  0, 65,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    65,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, 63,  0, 63,  0, 64,
    53, 54, 55, 56, 57, 58, 59, 60, 61, 62,  0,  0,  0,  0,  0,  0,
     0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,  0,  0,  0,  0, 64,
     0, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41,
    42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
};
/* clang-format on */

size_t b64_encode(char *dst, const void *src, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *d = src;
    char *o = dst;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = tab[(v >> 6) & 63];
        *o++ = tab[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0);
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    return (size_t)(o - dst);
}

long b64_decode(const char *s, size_t n, unsigned char *dst, unsigned flags)
{
    int skip = (flags & B64_SKIP_SPACE) != 0;
    while (n > 0 && (s[n - 1] == '=' || (skip && digit[(unsigned char)s[n - 1]] == SPACE)))
        n--;
    long o = 0;
    uint32_t acc = 0;
    int bits = 0;
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v = digit[(unsigned char)s[i]];
        if (v == SPACE && skip)
            continue;
        if (v == 0 || v == SPACE)
            return -1;
        acc = acc << 6 | (v - 1);
        digits++;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dst[o++] = (unsigned char)(acc >> bits);
        }
    }
    return digits % 4 == 1 ? -1 : o;
}
