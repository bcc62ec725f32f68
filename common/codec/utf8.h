/* utf8.h - the one definition of well-formed UTF-8 that the codec uses.
 *
 * The JSON scanner rejects a record whose strings are not UTF-8, and the
 * protojson writer replaces what is not UTF-8 with U+FFFD.  Both must mean
 * the same thing by "valid" (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF), or the writer could pass a string that the
 * scanner then rejects one stage later; so the rule lives here once and
 * each caller only decides how to report a failure.
 *
 * utf8_seq_len() is an inline definition: it runs once per non-ASCII
 * character in the scanner's and the writer's string loops, where a call
 * cost 2.5% more instructions on text that is mostly multi-byte.  utf8.c
 * holds its one external definition, for any caller the compiler does not
 * inline. */
#ifndef TETRA_UTF8_H
#define TETRA_UTF8_H

#include <stddef.h>

/* Sixteen entries of v, for the 256-entry byte tables (one row of 16 bytes
 * per line) with which the string loops find the end of a plain run. */
#define ROW16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v

/* Length (1-4) of the well-formed UTF-8 sequence that starts at s, of
 * which n >= 1 bytes are readable; 0 if the bytes there are not one. */
inline size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range */
    size_t k;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) /* 0xC0, 0xC1 could only start overlong forms */
        k = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* overlong */
        hi = c == 0xED ? 0x9F : 0xBF; /* U+D800-U+DFFF, the surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        lo = c == 0xF0 ? 0x90 : 0x80; /* overlong */
        hi = c == 0xF4 ? 0x8F : 0xBF; /* above U+10FFFF */
    } else
        return 0;
    if (n < k || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return k;
}

#endif
