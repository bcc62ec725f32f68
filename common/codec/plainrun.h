/* plainrun.h - skip, eight bytes at a time, the part of a JSON string that
 * needs no attention.
 *
 * Strings are most of a Tetragon event, and three loops walk them byte by
 * byte: the framer (looking for the closing quote), the scanner (also
 * checking UTF-8 and control characters) and the writer (escaping).  Each
 * stops at a few bytes only, all of which are a quote, a backslash, a
 * control character, DEL or a byte with the high bit set.  plain_run()
 * jumps over whole 8-byte words that hold none of those (a handful of
 * word operations instead of eight table loads) and leaves the caller's
 * own byte loop to find exactly where, and whether, its run ends; so a
 * caller may stop on fewer bytes than these, never on more. */
#ifndef TETRA_PLAINRUN_H
#define TETRA_PLAINRUN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PR_ONES (UINT64_C(0x0101010101010101))
#define PR_HIGH (UINT64_C(0x8080808080808080))

/* The first index >= i, and <= n, at which the word starting there may
 * hold a byte a string loop stops at; n - i < 8 left are not looked at. */
static inline size_t plain_run(const unsigned char *s, size_t i, size_t n)
{
    while (n - i >= 8) {
        uint64_t v;
        memcpy(&v, s + i, 8); /* one unaligned load */
        uint64_t q = v ^ (PR_ONES * '"'), b = v ^ (PR_ONES * '\\');
        /* High bits of the result.  When no byte of v has its own (v is
         * ASCII) no term below borrows or carries across bytes, so each
         * is exact: v - 0x20.. marks the bytes < 0x20, q - 1.. the quotes,
         * b - 1.. the backslashes, v + 1.. DEL.  Otherwise v marks itself. */
        uint64_t hit = v | (v - PR_ONES * 0x20) | (q - PR_ONES) | (b - PR_ONES) | (v + PR_ONES);
        if (hit & PR_HIGH)
            return i;
        i += 8;
    }
    return i;
}

#endif
