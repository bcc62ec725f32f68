/* fingerprint.c - behaviour fingerprints; see fingerprint.h for what is
 * kept and what is masked.  Masking is a single pass over alphanumeric
 * runs: cheap enough to run on every event. */
#include <stdint.h>
#include <string.h>
#include "fingerprint.h"
#include "util/hash.h"

/* Character classes from one table: ASCII only, as the C locale the
 * programs run in has them, one load per byte of every field (the masks
 * read each byte of five fields of every event up to three times). */
enum { C_DIGIT = 1, C_HEX = 2, C_ALNUM = 4 };
#define CLS(c)                                                                                     \
    ((c) >= '0' && (c) <= '9'                 ? C_DIGIT | C_HEX | C_ALNUM                          \
     : ((c) | 32) >= 'a' && ((c) | 32) <= 'f' ? C_HEX | C_ALNUM                                    \
     : ((c) | 32) >= 'g' && ((c) | 32) <= 'z' ? C_ALNUM                                            \
                                              : 0)
#define CLS4(c) CLS(c), CLS((c) + 1), CLS((c) + 2), CLS((c) + 3)
#define CLS16(c) CLS4(c), CLS4((c) + 4), CLS4((c) + 8), CLS4((c) + 12)
#define CLS64(c) CLS16(c), CLS16((c) + 16), CLS16((c) + 32), CLS16((c) + 48)
static const unsigned char cls[256] = {CLS64(0), CLS64(64), CLS64(128), CLS64(192)};

static int is_digit(char c)
{
    return cls[(unsigned char)c] & C_DIGIT;
}
static int is_hex(char c)
{
    return cls[(unsigned char)c] & C_HEX;
}
static int is_alnum(char c)
{
    return cls[(unsigned char)c] & C_ALNUM;
}

/* Length of a UUID (8-4-4-4-12 hex) at s, or 0. */
static size_t uuid_len(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    size_t n = 0;
    for (int g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, n++)
            if (!is_hex(s[n]))
                return 0;
        if (g < 4 && s[n++] != '-')
            return 0;
    }
    return is_alnum(s[n]) ? 0 : n;
}

/* The masks write into room reserved up front (3 bytes out per byte in at
 * most: a one-digit run becomes "<n>"), through a cursor: a buf call per
 * piece cost more than the masking, several pieces a word on every event. */
static char *put(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

/* Replace digit runs inside a short alphanumeric run with <n>. */
static char *put_short_run(const char *s, size_t n, char *o)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        if (is_digit(s[i])) {
            while (i < n && is_digit(s[i]))
                i++;
            o = PUT_LIT(o, "<n>");
            continue;
        }
        while (j < n && !is_digit(s[j]))
            j++;
        o = put(o, s + i, j - i);
        i = j;
    }
    return o;
}

static char *put_run(const char *s, size_t n, char *o)
{
    size_t digits = 0, hex = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned k = cls[(unsigned char)s[i]];
        digits += k & C_DIGIT;
        hex += (k & C_HEX) != 0;
    }
    if (digits == n)
        return PUT_LIT(o, "<n>");
    if (n >= 8 && hex == n && digits > 0)
        return PUT_LIT(o, "<hex>");
    if (n >= 10 && digits > 0)
        return PUT_LIT(o, "<id>");
    return put_short_run(s, n, o);
}

/* 1 when s starts with lit; stops at s's NUL, as it differs from lit. */
static int starts(const char *s, const char *lit)
{
    for (; *lit; s++, lit++)
        if (*s != *lit)
            return 0;
    return 1;
}

/* After a temporary directory prefix, the next path component is a
 * throw-away name; returns the prefix length at s or 0. */
static size_t tmpdir_len(const char *s)
{
    if (s[0] != '/')
        return 0; /* the common case, at every position */
    switch (s[1]) {
    case 't':
        return starts(s, "/tmp/") ? 5 : 0;
    case 'v':
        return starts(s, "/var/tmp/") ? 9 : 0;
    case 'd':
        return starts(s, "/dev/shm/") ? 9 : 0;
    default:
        return 0;
    }
}

int fp_normalize(const char *s, size_t max, buf *out)
{
    size_t len = strlen(s);
    if (len > (SIZE_MAX - 16) / 3 || buf_reserve(out, 3 * len + 16) < 0)
        return -1;
    char *const o0 = out->p + out->len;
    char *o = o0;
    for (size_t i = 0; s[i] != '\0' && (size_t)(o - o0) < max;) {
        size_t n, t;
        if ((n = uuid_len(s + i)) > 0) {
            o = PUT_LIT(o, "<uuid>");
            i += n;
        } else if ((t = tmpdir_len(s + i)) > 0) {
            o = PUT_LIT(put(o, s + i, t), "<tmp>");
            i += t;
            while (s[i] != '\0' && s[i] != '/' && s[i] != ' ')
                i++;
        } else if (is_alnum(s[i])) {
            for (n = 0; is_alnum(s[i + n]); n++) {
            }
            o = put_run(s + i, n, o);
            i += n;
        } else {
            /* punctuation up to the next possible UUID, temporary path or
             * run is copied at once, never past max */
            size_t j = i + 1, room = max - (size_t)(o - o0);
            while (j - i < room && s[j] != '\0' && !is_alnum(s[j]) && s[j] != '/')
                j++;
            o = put(o, s + i, j - i);
            i = j;
        }
    }
    out->len += (size_t)(o - o0);
    out->p[out->len] = '\0';
    return 0;
}

static int put_field(buf *out, const facts *fx, fact_field f, int mask)
{
    if (buf_puts(out, facts_field_name(f)) < 0 || buf_putc(out, '=') < 0)
        return -1;
    if (mask ? fp_normalize(fx->f[f], 512, out) < 0 : buf_puts(out, fx->f[f]) < 0)
        return -1;
    return buf_putc(out, '\x1f');
}

int fp_text(const facts *fx, buf *out)
{
    static const fact_field plain[] = {F_KIND,           F_NAMESPACE,    F_FUNCTION,
                                       F_POLICY,         F_IN_CONTAINER, F_EXEC_PROBE,
                                       F_CONTAINER_INIT, F_PRIVILEGED};
    static const fact_field masked[] = {F_BINARY, F_ARGS, F_PARENT, F_WORKLOAD, F_KARGS};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (put_field(out, fx, plain[i], 0) < 0)
            return -1;
    for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++)
        if (put_field(out, fx, masked[i], 1) < 0)
            return -1;
    return 0;
}

int fp_compute(const facts *fx, buf *scratch, char out[17])
{
    buf_reset(scratch);
    if (fp_text(fx, scratch) < 0)
        return -1;
    uint64_t h = fnv1a64(scratch->p, scratch->len);
    for (int i = 15; i >= 0; i--, h >>= 4)
        out[i] = "0123456789abcdef"[h & 15];
    out[16] = '\0';
    return 0;
}
