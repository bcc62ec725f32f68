/* framer.c - records out of a byte stream: JSON objects or varint-framed.
 *
 * The buffer holds the bytes of the record being assembled (plus whatever
 * was fed after it); "start" is where that record begins and "scan" how far
 * the scanner got, so every byte is looked at once however the input was
 * chunked.  Consumed bytes are dropped at the next feed, not on every
 * record, to keep the memmove count at one per chunk. */
#include "framer.h"

#include "plainrun.h"

#include <stdlib.h>
#include <string.h>

enum { REC_NONE, REC_OBJECT, REC_LINE };

struct framer {
    framer_mode mode;
    size_t max;
    char *p;
    size_t len, cap;
    size_t start, scan;
    uint64_t base; /* stream offset of p[0] */
    uint64_t line; /* line number of p[scan] */
    int col0;      /* p[scan] is the first byte of a line */
    int finished, dead;
    uint64_t resume;
    /* the record being assembled */
    int rec;
    int depth, in_str, esc;
    uint64_t rec_line, rec_start;
    int skipping;
    uint64_t dropped; /* bytes of a too-long record not kept in p */
    char head[FRAMER_HEAD_KEEP];
    size_t head_len;
    /* varint mode */
    int have_len;
    uint64_t need;
};

framer *framer_new(framer_mode mode, size_t max_record, uint64_t base_offset)
{
    framer *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->mode = mode;
    f->max = max_record > 0 ? max_record : 1;
    f->base = base_offset;
    f->resume = base_offset;
    f->line = 1;
    f->col0 = 1;
    return f;
}

void framer_free(framer *f)
{
    if (f == NULL)
        return;
    free(f->p);
    free(f);
}

static void compact(framer *f)
{
    if (f->start == 0)
        return;
    memmove(f->p, f->p + f->start, f->len - f->start);
    f->base += f->start;
    f->scan -= f->start;
    f->len -= f->start;
    f->start = 0;
}

int framer_feed(framer *f, const void *data, size_t n)
{
    compact(f);
    if (f->len + n > f->cap) {
        size_t cap = f->cap ? f->cap : 65536;
        while (cap < f->len + n)
            cap *= 2;
        char *p = realloc(f->p, cap);
        if (p == NULL)
            return -1;
        f->p = p;
        f->cap = cap;
    }
    memcpy(f->p + f->len, data, n);
    f->len += n;
    return 0;
}

void framer_finish(framer *f)
{
    f->finished = 1;
}

uint64_t framer_offset(const framer *f)
{
    return f->resume;
}

/* Keep the head of an over-long record and drop the bytes scanned so far. */
static void drop_scanned(framer *f)
{
    size_t n = f->scan - f->start;
    if (f->head_len < FRAMER_HEAD_KEEP) {
        size_t k = FRAMER_HEAD_KEEP - f->head_len;
        if (k > n)
            k = n;
        memcpy(f->head + f->head_len, f->p + f->start, k);
        f->head_len += k;
    }
    f->dropped += n;
    f->start = f->scan;
}

static void begin(framer *f, int kind)
{
    f->rec = kind;
    f->depth = f->in_str = f->esc = 0;
    f->rec_line = f->line;
    f->rec_start = f->base + f->scan;
    f->start = f->scan;
    f->skipping = 0;
    f->dropped = 0;
    f->head_len = 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Hand out the bytes [start, scan) as the current record. */
static int emit(framer *f, framer_record *r, const char *reject)
{
    if (f->skipping) {
        drop_scanned(f);
        r->data = f->head;
        r->len = f->head_len;
        r->reject = "too_long";
    } else {
        r->data = f->p + f->start;
        r->len = f->scan - f->start;
        r->reject = reject;
        /* a record cut at a line start carries that line's newline */
        while (f->mode == FRAMER_JSON && r->len > 0 && is_space(r->data[r->len - 1]))
            r->len--;
    }
    r->size = f->dropped + (f->scan - f->start);
    r->line = f->mode == FRAMER_JSON ? f->rec_line : 0;
    r->start = f->rec_start;
    r->end = f->base + f->scan;
    f->resume = r->end;
    f->start = f->scan;
    f->rec = REC_NONE;
    f->have_len = 0;
    return 1;
}

static void advance(framer *f, char c)
{
    f->scan++;
    if (c == '\n') {
        f->line++;
        f->col0 = 1;
    } else {
        f->col0 = 0;
    }
}

/* One byte inside an object.  Returns 1 when the record ends before this
 * byte (not consumed), 2 when it ends with this byte, 0 otherwise. */
static int object_byte(framer *f, char c)
{
    if (f->in_str) {
        if (f->esc) {
            /* no escape takes a raw newline: the line was cut after a
             * backslash, and the next line is a record of its own */
            f->esc = 0;
            if (c == '\n')
                return 1;
        } else if (c == '\\')
            f->esc = 1;
        else if (c == '"')
            f->in_str = 0;
        else if (c == '\n')
            return 1;
        return 0;
    }
    switch (c) {
    case '"':
        f->in_str = 1;
        return 0;
    case '{':
        if (f->depth > 0 && f->col0)
            return 1;
        f->depth++;
        return 0;
    case '}':
        return --f->depth == 0 ? 2 : 0;
    default:
        return 0;
    }
}

static int too_big(const framer *f)
{
    return f->dropped + (f->scan - f->start) > f->max;
}

/* The bytes object_byte() acts on, inside a string and outside one; all
 * others are skipped with one table load each. */
static const unsigned char in_string_stop[256] = {['"'] = 1, ['\\'] = 1, ['\n'] = 1};
static const unsigned char in_object_stop[256] = {['"'] = 1, ['{'] = 1, ['}'] = 1, ['\n'] = 1};

/* The hot loop of object mode.  An event has a few hundred quotes and
 * braces, and taking each through object_byte() and advance() cost more
 * than the rest of the framing; here they are handled with the state in
 * locals.  What needs the general path stops the loop there: a newline
 * (line numbers, the rule that a '{' opening a line starts a new record),
 * the brace that closes the record, an escape split across feeds, and the
 * size limit.  Returns 1 when it moved. */
static int scan_object(framer *f)
{
    if (f->rec != REC_OBJECT || f->skipping || f->col0 || (f->in_str && f->esc))
        return 0;
    const unsigned char *u = (const unsigned char *)f->p;
    size_t i = f->scan, n = f->len;
    if (n - f->start > f->max) /* not skipping: nothing was dropped yet */
        n = f->start + f->max;
    int in_str = f->in_str, depth = f->depth;
    while (i < n) {
        if (in_str) {
            i = plain_run(u, i, n);
            while (i < n && !in_string_stop[u[i]])
                i++;
            if (i == n)
                break;
            if (u[i] == '"') {
                in_str = 0;
                i++;
            } else if (u[i] == '\\' && i + 1 < n && u[i + 1] != '\n') {
                i += 2;
            } else {
                break;
            }
        } else {
            while (i < n && !in_object_stop[u[i]])
                i++;
            if (i == n)
                break;
            unsigned char c = u[i];
            if (c == '"')
                in_str = 1;
            else if (c == '{')
                depth++;
            else if (c == '}' && depth > 1)
                depth--;
            else
                break;
            i++;
        }
    }
    if (i == f->scan)
        return 0;
    f->scan = i;
    f->in_str = in_str;
    f->depth = depth;
    f->col0 = 0;
    return 1;
}

/* Everything else: a line that is not an object goes to its newline, and
 * an object being dropped for its size is skipped to its next stop byte. */
static int skip_plain(framer *f)
{
    if (scan_object(f))
        return 1;
    size_t i = f->scan, n = f->len;
    const char *p = f->p;
    if (f->rec == REC_LINE) {
        const char *nl = memchr(p + i, '\n', n - i);
        i = nl != NULL ? (size_t)(nl - p) : n;
    } else if (f->rec == REC_OBJECT && f->skipping && !(f->in_str && f->esc)) {
        const unsigned char *u = (const unsigned char *)p;
        const unsigned char *stop = f->in_str ? in_string_stop : in_object_stop;
        while (i < n && !stop[u[i]])
            i++;
    }
    if (i == f->scan)
        return 0;
    f->scan = i;
    f->col0 = 0;
    if (!f->skipping && too_big(f))
        f->skipping = 1;
    if (f->skipping)
        drop_scanned(f);
    return 1;
}

static int next_json(framer *f, framer_record *r)
{
    while (f->scan < f->len) {
        if (skip_plain(f))
            continue;
        char c = f->p[f->scan];
        if (f->rec == REC_NONE) {
            if (is_space(c)) {
                advance(f, c);
                f->start = f->scan;
                f->resume = f->base + f->scan;
                continue;
            }
            begin(f, c == '{' ? REC_OBJECT : REC_LINE);
        }
        int end = f->rec == REC_LINE ? (c == '\n') : object_byte(f, c);
        if (end == 1)
            return emit(f, r, NULL);
        advance(f, c);
        if (!f->skipping && too_big(f))
            f->skipping = 1;
        if (end == 2)
            return emit(f, r, NULL);
        if (f->skipping)
            drop_scanned(f);
    }
    if (f->finished && f->rec != REC_NONE)
        return emit(f, r, NULL);
    return 0;
}

/* Parse the varint at start.  Returns 1 when complete, 0 when more bytes
 * are needed, -1 when it is longer than 10 bytes. */
static int read_len(framer *f)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 10; i++) {
        if (f->start + i >= f->len)
            return 0;
        unsigned char b = (unsigned char)f->p[f->start + i];
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            f->scan = f->start + i + 1;
            f->need = v;
            return 1;
        }
    }
    return -1;
}

static int next_varint(framer *f, framer_record *r)
{
    if (f->dead)
        return f->dead < 0 ? -1 : 0;
    if (!f->have_len) {
        if (f->start == f->len)
            return 0;
        begin(f, REC_OBJECT);
        int rc = read_len(f);
        if (rc < 0) {
            f->dead = -1;
            return -1;
        }
        if (rc == 0) {
            if (!f->finished)
                return 0;
            f->scan = f->len;
            return emit(f, r, "truncated");
        }
        f->have_len = 1;
        f->start = f->scan; /* the record is the payload, without its prefix */
        f->skipping = f->need > f->max;
    }
    size_t avail = f->len - f->scan;
    size_t take = avail < f->need ? avail : (size_t)f->need;
    f->scan += take;
    f->need -= take;
    if (f->skipping)
        drop_scanned(f);
    if (f->need == 0)
        return emit(f, r, NULL);
    if (f->finished)
        return emit(f, r, "truncated");
    return 0;
}

int framer_next(framer *f, framer_record *r)
{
    return f->mode == FRAMER_VARINT ? next_varint(f, r) : next_json(f, r);
}
