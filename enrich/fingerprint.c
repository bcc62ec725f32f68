/* fingerprint.c - behaviour fingerprints; see fingerprint.h for what is
 * kept and what is masked.  Masking is a single pass over alphanumeric
 * runs: cheap enough to run on every event. */
#include <string.h>
#include "fingerprint.h"
#include "util/hash.h"

/* Character classes by arithmetic: ASCII only, as the C locale the
 * programs run in has them, without a ctype call per byte of every field. */
static int is_digit(char c) { return (unsigned char)(c - '0') < 10; }
static int is_lower_az(char c, int n) { return (unsigned char)((c | 32) - 'a') < n; }
static int is_hex(char c) { return is_digit(c) || is_lower_az(c, 6); }
static int is_alnum(char c) { return is_digit(c) || is_lower_az(c, 26); }

/* Length of a UUID (8-4-4-4-12 hex) at s, or 0. */
static size_t uuid_len(const char *s) {
    static const int groups[] = {8, 4, 4, 4, 12};
    size_t n = 0;
    for (int g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, n++)
            if (!is_hex(s[n])) return 0;
        if (g < 4 && s[n++] != '-') return 0;
    }
    return is_alnum(s[n]) ? 0 : n;
}

/* Replace digit runs inside a short alphanumeric run with <n>. */
static int put_short_run(const char *s, size_t n, buf *out) {
    for (size_t i = 0; i < n;) {
        size_t j = i;
        if (is_digit(s[i])) {
            while (i < n && is_digit(s[i])) i++;
            if (buf_append(out, "<n>", 3) < 0) return -1;
            continue;
        }
        while (j < n && !is_digit(s[j])) j++;
        if (buf_append(out, s + i, j - i) < 0) return -1;
        i = j;
    }
    return 0;
}

static int put_run(const char *s, size_t n, buf *out) {
    size_t digits = 0, hex = 0;
    for (size_t i = 0; i < n; i++) {
        digits += is_digit(s[i]) != 0;
        hex += is_hex(s[i]);
    }
    if (digits == n) return buf_puts(out, "<n>");
    if (n >= 8 && hex == n && digits > 0) return buf_puts(out, "<hex>");
    if (n >= 10 && digits > 0) return buf_puts(out, "<id>");
    return put_short_run(s, n, out);
}

/* After a temporary directory prefix, the next path component is a
 * throw-away name; returns the prefix length at s or 0. */
static size_t tmpdir_len(const char *s) {
    static const struct { const char *dir; size_t len; } dirs[] = {
        {"/tmp/", 5}, {"/var/tmp/", 9}, {"/dev/shm/", 9}};
    if (s[0] != '/') return 0;   /* the common case, at every position */
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (strncmp(s, dirs[i].dir, dirs[i].len) == 0) return dirs[i].len;
    return 0;
}

int fp_normalize(const char *s, size_t max, buf *out) {
    size_t start = out->len;
    for (size_t i = 0; s[i] != '\0' && out->len - start < max;) {
        size_t n, t;
        if ((n = uuid_len(s + i)) > 0) {
            if (buf_puts(out, "<uuid>") < 0) return -1;
            i += n;
        } else if ((t = tmpdir_len(s + i)) > 0) {
            if (buf_append(out, s + i, t) < 0 || buf_puts(out, "<tmp>") < 0) return -1;
            i += t;
            while (s[i] != '\0' && s[i] != '/' && s[i] != ' ') i++;
        } else if (is_alnum(s[i])) {
            for (n = 0; is_alnum(s[i + n]); n++) {}
            if (put_run(s + i, n, out) < 0) return -1;
            i += n;
        } else {
            /* punctuation up to the next possible UUID, temporary path or
             * run is copied at once, never past max */
            size_t j = i + 1, room = max - (out->len - start);
            while (j - i < room && s[j] != '\0' && !is_alnum(s[j]) && s[j] != '/') j++;
            if (buf_append(out, s + i, j - i) < 0) return -1;
            i = j;
        }
    }
    return 0;
}

static int put_field(buf *out, const facts *fx, fact_field f, int mask) {
    if (buf_puts(out, facts_field_name(f)) < 0 || buf_putc(out, '=') < 0) return -1;
    if (mask ? fp_normalize(fx->f[f], 512, out) < 0 : buf_puts(out, fx->f[f]) < 0) return -1;
    return buf_putc(out, '\x1f');
}

int fp_text(const facts *fx, buf *out) {
    static const fact_field plain[] = {F_KIND, F_NAMESPACE, F_FUNCTION, F_POLICY, F_IN_CONTAINER,
                                       F_EXEC_PROBE, F_CONTAINER_INIT, F_PRIVILEGED};
    static const fact_field masked[] = {F_BINARY, F_ARGS, F_PARENT, F_WORKLOAD, F_KARGS};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (put_field(out, fx, plain[i], 0) < 0) return -1;
    for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++)
        if (put_field(out, fx, masked[i], 1) < 0) return -1;
    return 0;
}

int fp_compute(const facts *fx, buf *scratch, char out[17]) {
    buf_reset(scratch);
    if (fp_text(fx, scratch) < 0) return -1;
    uint64_t h = fnv1a64(scratch->p, scratch->len);
    for (int i = 15; i >= 0; i--, h >>= 4) out[i] = "0123456789abcdef"[h & 15];
    out[16] = '\0';
    return 0;
}
