/* jsonscan.c - strict single-pass JSON tokenizer (see jsonscan.h).
 *
 * Iterative, with an explicit stack of open containers bounded by
 * PJ_MAX_DEPTH, so hostile nesting cannot exhaust the C stack.  The string
 * scanner skips plain ASCII in a tight loop and only decodes multi-byte
 * UTF-8 and escapes where they occur, which is what keeps it near memory
 * speed on Tetragon events (mostly ASCII, few escapes). */
#include "jsonscan.h"

#include <stdlib.h>
#include <string.h>
#include "plainrun.h"
#include "utf8.h"

typedef struct scanner {
    const unsigned char *s;
    size_t len, pos;
    jscan *sc;
    const char *msg;
    pj_status st;
} scanner;

static int fail(scanner *p, pj_status st, const char *msg)
{
    p->st = st;
    p->msg = msg;
    return -1;
}

/* The position is advanced in a local and stored once: s is unsigned
 * char, which may alias p->pos, so a loop on p->pos itself stores and
 * reloads it for every byte (3% of decoding, and more in scan_string). */
static void skip_ws(scanner *p)
{
    size_t i = p->pos, n = p->len;
    const unsigned char *s = p->s;
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
        i++;
    p->pos = i;
}

static jtok *new_tok(scanner *p, int type)
{
    jscan *sc = p->sc;
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 1024;
        jtok *t = realloc(sc->t, cap * sizeof *t);
        if (!t) {
            fail(p, PJ_ERR_NOMEM, "out of memory");
            return NULL;
        }
        sc->t = t;
        sc->cap = cap;
    }
    jtok *t = &sc->t[sc->n++];
    t->start = (uint32_t)p->pos;
    t->len = 0;
    t->next = (uint32_t)sc->n;
    t->size = 0;
    t->type = (uint8_t)type;
    t->esc = 0;
    return t;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Read the 4 hex digits of a \u escape at s[i]; -1 if malformed. */
static long hex4(const unsigned char *s, size_t i, size_t len)
{
    if (len - i < 4)
        return -1;
    long v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = hexval(s[i + k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Validate one escape starting at the backslash; advance past it. */
static int scan_escape(scanner *p)
{
    const unsigned char *s = p->s;
    size_t i = p->pos + 1;
    if (i >= p->len)
        return fail(p, PJ_ERR_SYNTAX, "unterminated string");
    switch (s[i]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        p->pos = i + 1;
        return 0;
    case 'u':
        break;
    default:
        return fail(p, PJ_ERR_SYNTAX, "invalid escape in string");
    }
    long u = hex4(s, i + 1, p->len);
    if (u < 0)
        return fail(p, PJ_ERR_SYNTAX, "invalid \\u escape in string");
    p->pos = i + 5;
    if (u >= 0xDC00 && u <= 0xDFFF)
        return fail(p, PJ_ERR_UTF8, "lone low surrogate escape in string");
    if (u < 0xD800 || u > 0xDBFF)
        return 0;
    if (p->len - p->pos < 6 || s[p->pos] != '\\' || s[p->pos + 1] != 'u')
        return fail(p, PJ_ERR_UTF8, "high surrogate escape without its low half");
    long lo = hex4(s, p->pos + 2, p->len);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return fail(p, PJ_ERR_UTF8, "high surrogate escape without its low half");
    p->pos += 6;
    return 0;
}

/* Validate one multi-byte UTF-8 sequence at pos (first byte >= 0x80). */
static int scan_utf8(scanner *p)
{
    unsigned char c = p->s[p->pos];
    size_t n = utf8_seq_len(p->s + p->pos, p->len - p->pos);
    if (n == 0)
        return fail(p, PJ_ERR_UTF8,
                    c >= 0xC2 && c <= 0xF4 ? "invalid UTF-8 sequence in string"
                                           : "invalid UTF-8 byte in string");
    p->pos += n;
    return 0;
}

/* Bytes that end the plain run of a string: '"', '\\', control characters
 * and every non-ASCII byte (checked as UTF-8).  One table load per byte
 * instead of four compares: strings are most of a Tetragon event. */
/* kept in rows of 16 bytes by hand */
/* clang-format off */
static const unsigned char str_stop[256] = {
    ROW16(1), ROW16(1),                             /* 0x00-0x1f: control */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x22 '"' */
    ROW16(0), ROW16(0),
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x5c '\\' */
    ROW16(0), ROW16(0),
    ROW16(1), ROW16(1), ROW16(1), ROW16(1), ROW16(1), ROW16(1), ROW16(1), ROW16(1), /* 0x80-0xff */
};
/* clang-format on */

static int scan_string(scanner *p)
{
    p->pos++; /* opening quote */
    jtok *t = new_tok(p, JT_STR);
    if (!t)
        return -1;
    size_t tokidx = p->sc->n - 1;
    const unsigned char *s = p->s;
    int esc = 0;
    for (;;) {
        size_t i = plain_run(s, p->pos, p->len), n = p->len;
        while (i < n && !str_stop[s[i]])
            i++;
        p->pos = i;
        if (p->pos >= p->len)
            return fail(p, PJ_ERR_SYNTAX, "unterminated string");
        unsigned char c = s[p->pos];
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(p, PJ_ERR_SYNTAX, "control character in string");
        if (c == '\\') {
            esc = 1;
            if (scan_escape(p) < 0)
                return -1;
        } else if (scan_utf8(p) < 0)
            return -1;
    }
    t = &p->sc->t[tokidx];
    t->len = (uint32_t)(p->pos - t->start);
    t->esc = (uint8_t)esc;
    p->pos++; /* closing quote */
    return 0;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int scan_number(scanner *p)
{
    jtok *t = new_tok(p, JT_NUM);
    if (!t)
        return -1;
    const unsigned char *s = p->s;
    size_t i = p->pos, n = p->len;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || !is_digit(s[i]))
        return fail(p, PJ_ERR_SYNTAX, "invalid number");
    if (s[i] == '0')
        i++;
    else
        while (i < n && is_digit(s[i]))
            i++;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i]))
            return fail(p, PJ_ERR_SYNTAX, "invalid number: digit expected after '.'");
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return fail(p, PJ_ERR_SYNTAX, "invalid number: digit expected in exponent");
        while (i < n && is_digit(s[i]))
            i++;
    }
    t->len = (uint32_t)(i - p->pos);
    p->pos = i;
    return 0;
}

static int scan_literal(scanner *p, const char *word, int type)
{
    size_t wl = strlen(word);
    if (p->len - p->pos < wl || memcmp(p->s + p->pos, word, wl) != 0)
        return fail(p, PJ_ERR_SYNTAX, "invalid literal");
    jtok *t = new_tok(p, type);
    if (!t)
        return -1;
    t->len = (uint32_t)wl;
    p->pos += wl;
    return 0;
}

/* Scan a scalar, or open a container (pushed on stack). */
static int scan_value(scanner *p, uint32_t *stack, int *depth)
{
    if (p->pos >= p->len)
        return fail(p, PJ_ERR_SYNTAX, "unexpected end of input, value expected");
    unsigned char c = p->s[p->pos];
    switch (c) {
    case '{':
    case '[':
        if (*depth >= PJ_MAX_DEPTH)
            return fail(p, PJ_ERR_DEPTH, "nested too deep");
        if (!new_tok(p, c == '{' ? JT_OBJ : JT_ARR))
            return -1;
        stack[(*depth)++] = (uint32_t)(p->sc->n - 1);
        p->pos++;
        return 0;
    case '"':
        return scan_string(p);
    case 't':
        return scan_literal(p, "true", JT_TRUE);
    case 'f':
        return scan_literal(p, "false", JT_FALSE);
    case 'n':
        return scan_literal(p, "null", JT_NULL);
    default:
        if (c == '-' || is_digit(c))
            return scan_number(p);
        return fail(p, PJ_ERR_SYNTAX, "unexpected character, value expected");
    }
}

/* In an object, after '{' or ',': a key string and a colon. */
static int scan_key(scanner *p)
{
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != '"')
        return fail(p, PJ_ERR_SYNTAX, "object key (a string) expected");
    if (scan_string(p) < 0)
        return -1;
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != ':')
        return fail(p, PJ_ERR_SYNTAX, "':' expected after object key");
    p->pos++;
    skip_ws(p);
    return 0;
}

static void close_container(scanner *p, uint32_t *stack, int *depth)
{
    jtok *t = &p->sc->t[stack[--(*depth)]];
    t->next = (uint32_t)p->sc->n;
    t->len = (uint32_t)(p->pos + 1 - t->start);
    p->pos++;
}

/* After a value inside a container: ',' or the closing bracket. */
static int scan_after(scanner *p, uint32_t *stack, int *depth, int *want_value)
{
    for (;;) {
        skip_ws(p);
        if (*depth == 0)
            return 0;
        if (p->pos >= p->len)
            return fail(p, PJ_ERR_SYNTAX, "unexpected end of input inside a container");
        jtok *top = &p->sc->t[stack[*depth - 1]];
        unsigned char c = p->s[p->pos];
        if (c == ',') {
            p->pos++;
            top->size++;
            if (top->type == JT_OBJ && scan_key(p) < 0)
                return -1;
            skip_ws(p);
            *want_value = 1;
            return 0;
        }
        if ((c == '}' && top->type == JT_OBJ) || (c == ']' && top->type == JT_ARR)) {
            top->size++;
            close_container(p, stack, depth);
            continue;
        }
        return fail(p, PJ_ERR_SYNTAX,
                    top->type == JT_OBJ ? "',' or '}' expected" : "',' or ']' expected");
    }
}

/* Right after an opening bracket: empty container, or its first member. */
static int scan_open(scanner *p, uint32_t *stack, int *depth)
{
    skip_ws(p);
    jtok *top = &p->sc->t[stack[*depth - 1]];
    unsigned char c = p->pos < p->len ? p->s[p->pos] : 0;
    if ((top->type == JT_OBJ && c == '}') || (top->type == JT_ARR && c == ']')) {
        close_container(p, stack, depth);
        return 1;
    }
    if (top->type == JT_OBJ && scan_key(p) < 0)
        return -1;
    return 0;
}

static int scan_all(scanner *p)
{
    uint32_t stack[PJ_MAX_DEPTH];
    int depth = 0;
    skip_ws(p);
    for (;;) {
        size_t before = p->sc->n;
        if (scan_value(p, stack, &depth) < 0)
            return -1;
        int opened = depth > 0 && stack[depth - 1] == before &&
                     (p->sc->t[before].type == JT_OBJ || p->sc->t[before].type == JT_ARR);
        if (opened) {
            int r = scan_open(p, stack, &depth);
            if (r < 0)
                return -1;
            if (r == 0)
                continue; /* first member follows */
        }
        int want_value = 0;
        if (scan_after(p, stack, &depth, &want_value) < 0)
            return -1;
        if (depth == 0)
            break;
    }
    skip_ws(p);
    if (p->pos != p->len)
        return fail(p, PJ_ERR_SYNTAX, "trailing characters after the JSON value");
    return 0;
}

pj_status jscan_run(jscan *sc, const char *s, size_t len, size_t *erroff, const char **msg)
{
    scanner p = {(const unsigned char *)s, len, 0, sc, NULL, PJ_OK};
    sc->n = 0;
    if (len >= UINT32_MAX) {
        *erroff = 0;
        *msg = "record larger than 4 GiB";
        return PJ_ERR_SYNTAX;
    }
    if (scan_all(&p) < 0) {
        *erroff = p.pos;
        *msg = p.msg;
        return p.st;
    }
    return PJ_OK;
}

static size_t put_utf8(char *d, unsigned long cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static char unescape_simple(unsigned char c)
{
    switch (c) {
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return (char)c; /* '"', '\\', '/' */
    }
}

size_t jscan_unescape(const char *src, const jtok *t, char *dst)
{
    const unsigned char *s = (const unsigned char *)src + t->start;
    size_t n = t->len, o = 0;
    if (!t->esc) {
        memcpy(dst, s, n);
        dst[n] = '\0';
        return n;
    }
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            dst[o++] = (char)s[i++];
            continue;
        }
        if (s[i + 1] != 'u') { /* validated by the scanner */
            dst[o++] = unescape_simple(s[i + 1]);
            i += 2;
            continue;
        }
        unsigned long cp = (unsigned long)hex4(s, i + 2, n);
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned long lo = (unsigned long)hex4(s, i + 2, n);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
        }
        o += put_utf8(dst + o, cp);
    }
    dst[o] = '\0';
    return o;
}

void jscan_free(jscan *sc)
{
    free(sc->t);
    sc->t = NULL;
    sc->n = sc->cap = 0;
}
