/* dlq.c - dead-letter records as JSON lines, file backend. */
#include "dlq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec/utf8.h"
#include "util/base64.h"

typedef struct dlq_ops {
    int (*write)(dlq *d, const char *line, size_t len, char *err, size_t errlen);
    int (*close)(dlq *d, char *err, size_t errlen);
} dlq_ops;

struct dlq {
    const dlq_ops *ops;
    FILE *fp;
    char *path;
    char *line; /* formatting buffer, grown to the largest entry */
    size_t cap;
    uint64_t count;
};

/* --- formatting ---------------------------------------------------------- */

typedef struct out {
    char *p;
    size_t len, cap;
    int overflow;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->overflow || o->len + n > o->cap) {
        o->overflow = 1;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_json_string(out *o, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
        if (c == '"' || c == '\\') {
            char two[2] = {'\\', (char)c};
            put(o, two, 2);
        } else if (c == '\n') {
            put(o, "\\n", 2);
        } else if (c == '\t') {
            put(o, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            put(o, esc, 6);
        } else {
            put(o, (const char *)&s[i], 1);
        }
    }
    put(o, "\"", 1);
}

static void put_base64(out *o, const unsigned char *s, size_t n)
{
    if (o->overflow || o->cap - o->len < B64_ENCODED_LEN(n) + 2) {
        o->overflow = 1;
        return;
    }
    put(o, "\"", 1);
    o->len += b64_encode(o->p + o->len, s, n);
    put(o, "\"", 1);
}

static void put_u64(out *o, const char *key, uint64_t v)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof(tmp), ",\"%s\":%llu", key, (unsigned long long)v);
    if (n > 0)
        put(o, tmp, (size_t)n);
}

size_t dlq_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq_len(s + i, n - i);
        if (k == 0)
            return i;
        i += k;
    }
    return n;
}

size_t dlq_format(const dlq_entry *e, char *buf, size_t cap)
{
    out o = {buf, 0, cap, 0};
    const unsigned char *rec = e->record;
    puts_(&o, "{\"reason\":");
    put_json_string(&o, (const unsigned char *)e->reason, strlen(e->reason));
    puts_(&o, ",\"source\":");
    const char *src = e->source != NULL ? e->source : "-";
    put_json_string(&o, (const unsigned char *)src, strlen(src));
    if (e->line > 0)
        put_u64(&o, "line", e->line);
    put_u64(&o, "offset", e->offset);
    if (e->error != NULL && *e->error != '\0') {
        puts_(&o, ",\"error\":");
        put_json_string(&o, (const unsigned char *)e->error,
                        dlq_utf8_valid((const unsigned char *)e->error, strlen(e->error)));
    }
    if (e->size > e->len) {
        puts_(&o, ",\"truncated\":true");
        put_u64(&o, "size", e->size);
    }
    if (dlq_utf8_valid(rec, e->len) == e->len) {
        puts_(&o, ",\"record\":");
        put_json_string(&o, rec, e->len);
    } else {
        puts_(&o, ",\"record_base64\":");
        put_base64(&o, rec, e->len);
    }
    puts_(&o, "}\n");
    return o.overflow ? (size_t)-1 : o.len;
}

/* --- file backend ----------------------------------------------------------- */

static int file_write(dlq *d, const char *line, size_t len, char *err, size_t errlen)
{
    if (fwrite(line, 1, len, d->fp) != len || fflush(d->fp) != 0) {
        snprintf(err, errlen, "%s: %s", d->path, strerror(errno));
        return -1;
    }
    return 0;
}

static int file_close(dlq *d, char *err, size_t errlen)
{
    int bad = ferror(d->fp);
    if (fclose(d->fp) != 0 || bad) {
        snprintf(err, errlen, "%s: %s", d->path, bad ? "write error" : strerror(errno));
        return -1;
    }
    return 0;
}

static const dlq_ops file_ops = {file_write, file_close};

dlq *dlq_open_file(const char *path, char *err, size_t errlen)
{
    if (strcmp(path, "-") == 0) {
        snprintf(err, errlen, "the dead-letter output cannot be stdout");
        return NULL;
    }
    dlq *d = calloc(1, sizeof(*d));
    if (d == NULL || (d->path = strdup(path)) == NULL) {
        free(d);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->fp = fopen(path, "a");
    if (d->fp == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(d->path);
        free(d);
        return NULL;
    }
    d->ops = &file_ops;
    return d;
}

/* Worst case per record byte is a \u00XX escape (6 bytes) or base64. */
static int grow(dlq *d, const dlq_entry *e)
{
    size_t need = 6 * e->len + 6 * 1024 + (e->source ? 6 * strlen(e->source) : 0) +
                  (e->error ? 6 * strlen(e->error) : 0) + 6 * strlen(e->reason);
    if (need <= d->cap)
        return 0;
    char *p = realloc(d->line, need);
    if (p == NULL)
        return -1;
    d->line = p;
    d->cap = need;
    return 0;
}

int dlq_write(dlq *d, const dlq_entry *e, char *err, size_t errlen)
{
    if (grow(d, e) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = dlq_format(e, d->line, d->cap);
    if (n == (size_t)-1) {
        snprintf(err, errlen, "dead-letter entry too large");
        return -1;
    }
    if (d->ops->write(d, d->line, n, err, errlen) < 0)
        return -1;
    d->count++;
    return 0;
}

uint64_t dlq_count(const dlq *d)
{
    return d != NULL ? d->count : 0;
}

int dlq_close(dlq *d, char *err, size_t errlen)
{
    if (d == NULL)
        return 0;
    int rc = d->ops->close(d, err, errlen);
    free(d->line);
    free(d->path);
    free(d);
    return rc;
}
