/* stats.c - named counters and the key=value summary line. */
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void stats_init(stats *s)
{
    memset(s, 0, sizeof(*s));
}

static int valid_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len >= STATS_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.'))
            return 0;
    }
    return 1;
}

static int count(const stats *s)
{
    return atomic_load_explicit(&s->n, memory_order_acquire);
}

static int find(const stats *s, const char *name)
{
    int n = count(s);
    for (int i = 0; i < n; i++)
        if (strcmp(s->c[i].name, name) == 0)
            return i;
    return -1;
}

static int find_or_add(stats *s, const char *name)
{
    int i = find(s, name);
    if (i >= 0)
        return i;
    if (s->n == STATS_MAX || !valid_name(name))
        return -1;
    i = s->n;
    memcpy(s->c[i].name, name, strlen(name) + 1);
    atomic_store_explicit(&s->c[i].value, 0, memory_order_relaxed);
    s->c[i].declared = 0;
    atomic_store_explicit(&s->n, i + 1, memory_order_release); /* name first, then n */
    return i;
}

int stats_declare(stats *s, const char *name)
{
    int i = find_or_add(s, name);
    if (i < 0)
        return -1;
    s->c[i].declared = 1;
    return 0;
}

int stats_add(stats *s, const char *name, uint64_t n)
{
    int i = find_or_add(s, name);
    if (i < 0)
        return -1;
    atomic_fetch_add_explicit(&s->c[i].value, n, memory_order_relaxed);
    return 0;
}

uint64_t stats_get(const stats *s, const char *name)
{
    int i = find(s, name);
    return i < 0 ? 0 : atomic_load_explicit(&s->c[i].value, memory_order_relaxed);
}

void stats_copy(stats *dst, const stats *src)
{
    stats_init(dst);
    int n = count(src);
    for (int i = 0; i < n; i++) {
        memcpy(dst->c[i].name, src->c[i].name, sizeof dst->c[i].name);
        dst->c[i].declared = src->c[i].declared;
        atomic_store_explicit(&dst->c[i].value,
                              atomic_load_explicit(&src->c[i].value, memory_order_relaxed),
                              memory_order_relaxed);
    }
    atomic_store_explicit(&dst->n, n, memory_order_release);
}

static int by_name(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return strcmp(x, y);
}

/* Append "name=value" with a separating space; keeps counting the needed
 * length after the buffer is full, as snprintf does. */
static size_t put(char *out, size_t n, size_t at, const char *name, uint64_t v)
{
    char item[STATS_NAME_MAX + 24];
    int len =
        snprintf(item, sizeof(item), "%s%s=%llu", at > 0 ? " " : "", name, (unsigned long long)v);
    if (len < 0)
        return at;
    if (at + (size_t)len < n) /* whole items only: a cut line stays parseable */
        memcpy(out + at, item, (size_t)len + 1);
    return at + (size_t)len;
}

size_t stats_format(const stats *s, char *out, size_t n)
{
    const char *extra[STATS_MAX];
    int nextra = 0;
    size_t at = 0;
    if (n > 0)
        out[0] = '\0';
    int total = count(s);
    for (int i = 0; i < total; i++) {
        if (s->c[i].declared)
            at = put(out, n, at, s->c[i].name, stats_get(s, s->c[i].name));
        else if (stats_get(s, s->c[i].name) != 0)
            extra[nextra++] = s->c[i].name;
    }
    qsort(extra, (size_t)nextra, sizeof(extra[0]), by_name);
    for (int i = 0; i < nextra; i++)
        at = put(out, n, at, extra[i], stats_get(s, extra[i]));
    return at;
}
