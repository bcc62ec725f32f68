/* offsets.c - commit points per partition (see offsets.h for the design). */
#include "offsets.h"
#include "util/ring.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    int64_t off;
    int done;
} entry;

typedef struct part {
    int32_t id;
    entry *ring; /* unfinished-or-later entries in read order */
    size_t cap, head, len;
    int64_t next; /* commit point when the ring is empty: last read + 1 */
    int64_t committed;
} part;

struct offsets {
    part *parts;
    size_t n, cap;
};

offsets *offsets_new(void)
{
    return calloc(1, sizeof(offsets));
}

void offsets_free(offsets *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n; i++)
        free(o->parts[i].ring);
    free(o->parts);
    free(o);
}

static part *find(const offsets *o, int32_t id)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->parts[i].id == id)
            return &o->parts[i];
    return NULL;
}

static part *find_or_add(offsets *o, int32_t id)
{
    part *p = find(o, id);
    if (p)
        return p;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        part *np = realloc(o->parts, cap * sizeof *np);
        if (!np)
            return NULL;
        o->parts = np;
        o->cap = cap;
    }
    p = &o->parts[o->n++];
    memset(p, 0, sizeof *p);
    p->id = id;
    p->next = p->committed = -1;
    return p;
}

static entry *at(const part *p, size_t i)
{
    return &p->ring[(p->head + i) % p->cap];
}

static int grow(part *p)
{
    entry *r = ring_grow(p->ring, sizeof *r, &p->cap, &p->head, p->len);
    if (!r)
        return -1;
    p->ring = r;
    return 0;
}

/* The partition is read again from off, without a revoke (librdkafka
 * re-fetched, e.g. after a seek or an offset reset).  Entries from off on
 * will be read again and are dropped; older ones stay, finished or not, so
 * a record below off still waiting for a retry keeps holding the commit
 * point: the re-read copies cannot finish it.  A late result of a dropped
 * entry is for the same record as its re-read copy, so finishing either is
 * right.  committed is forgotten so the new point is committed again even
 * when it is lower. */
static void rewind_to(part *p, int64_t off)
{
    while (p->len && at(p, p->len - 1)->off >= off)
        p->len--;
    if (!p->len)
        p->head = 0;
    p->committed = -1;
}

int offsets_read(offsets *o, int32_t id, int64_t off)
{
    part *p = find_or_add(o, id);
    if (!p)
        return -1;
    if (off < p->next) /* re-read from an earlier point */
        rewind_to(p, off);
    if (p->len == p->cap && grow(p) < 0)
        return -1;
    *at(p, p->len) = (entry){off, 0};
    p->len++;
    p->next = off + 1;
    return 0;
}

/* Binary search in the ring, whose offsets increase. */
static entry *lookup(const part *p, int64_t off)
{
    size_t lo = 0, hi = p->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        entry *e = at(p, mid);
        if (e->off == off)
            return e;
        if (e->off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void offsets_done(offsets *o, int32_t id, int64_t off)
{
    part *p = find(o, id);
    entry *e = p ? lookup(p, off) : NULL;
    if (!e)
        return;
    e->done = 1;
    while (p->len && at(p, 0)->done) {
        p->head = (p->head + 1) % p->cap;
        p->len--;
    }
}

void offsets_drop(offsets *o, int32_t id)
{
    part *p = find(o, id);
    if (!p)
        return;
    free(p->ring);
    *p = o->parts[--o->n];
}

static int64_t commit_point(const part *p)
{
    return p->len ? at(p, 0)->off : p->next;
}

size_t offsets_pending_commits(const offsets *o, int32_t *parts, int64_t *offs, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < o->n && k < max; i++) {
        int64_t c = commit_point(&o->parts[i]);
        if (c < 0 || c == o->parts[i].committed)
            continue;
        parts[k] = o->parts[i].id;
        offs[k++] = c;
    }
    return k;
}

void offsets_committed(offsets *o, int32_t id, int64_t off)
{
    part *p = find(o, id);
    if (p)
        p->committed = off;
}

size_t offsets_inflight(const offsets *o)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n; i++) {
        const part *p = &o->parts[i];
        for (size_t j = 0; j < p->len; j++)
            n += !at(p, j)->done;
    }
    return n;
}
