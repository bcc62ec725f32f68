/* lineage.c - per-node process tables; see lineage.h.
 *
 * Each node's table is open addressing with linear probing keyed by the
 * exec_id hash, grown by doubling while under the cap, and deletion by
 * backward shift (no tombstones, so a long run never slows lookups).
 * Exits go to a FIFO in event-time order; eviction pops it, and an entry
 * whose process is gone or was seen alive again is skipped. */
#include <stdlib.h>
#include <string.h>
#include "lineage.h"
#include "util/hash.h"

typedef struct exit_rec {
    uint64_t id;
    int64_t t_ms;
} exit_rec;

struct lnode {
    char *name;
    lproc *slot;
    size_t mask, used; /* slots - 1, processes held */
    exit_rec *exits;   /* ring of exits in order */
    size_t ehead, elen, ecap;
    int64_t clock;
    lineage *owner;
    struct lnode *next;
};

struct lineage {
    size_t cap;
    int64_t grace_ms;
    lnode *nodes;
    lineage_counts n;
};

uint64_t lineage_hash(const char *s)
{
    uint64_t h = fnv1a64(s, strlen(s));
    return h ? h : 1;
}

lineage *lineage_new(size_t cap, int64_t grace_ms)
{
    lineage *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->cap = cap ? cap : 1;
    l->grace_ms = grace_ms;
    return l;
}

void lineage_free(lineage *l)
{
    if (l == NULL)
        return;
    for (lnode *n = l->nodes, *next; n; n = next) {
        next = n->next;
        free(n->name);
        free(n->slot);
        free(n->exits);
        free(n);
    }
    free(l);
}

lnode *lineage_node(lineage *l, const char *name)
{
    lnode **pp = &l->nodes;
    for (; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->name, name) == 0) {
            lnode *n = *pp; /* most recently used first: one node per partition is common */
            *pp = n->next;
            n->next = l->nodes;
            l->nodes = n;
            return n;
        }
    lnode *n = calloc(1, sizeof *n);
    if (n == NULL || (n->name = strdup(name)) == NULL ||
        (n->slot = calloc(1024, sizeof *n->slot)) == NULL) {
        if (n)
            free(n->name);
        free(n);
        return NULL;
    }
    n->mask = 1023;
    n->owner = l;
    n->next = l->nodes;
    l->nodes = n;
    l->n.nodes++;
    return n;
}

static size_t home(const lnode *n, uint64_t id)
{
    return (size_t)(id ^ (id >> 29)) & n->mask;
}

lproc *lnode_get(lnode *n, uint64_t id)
{
    for (size_t i = home(n, id);; i = (i + 1) & n->mask) {
        if (n->slot[i].id == id)
            return &n->slot[i];
        if (n->slot[i].id == 0)
            return NULL;
    }
}

/* Remove the process in slot i, shifting back the run after it: an
 * entry moves into the hole unless its home lies cyclically in (i, j]. */
static void remove_at(lnode *n, size_t i)
{
    if (n->slot[i].exit_ms == 0 && n->owner->n.live > 0)
        n->owner->n.live--;
    for (size_t j = i;;) {
        j = (j + 1) & n->mask;
        if (n->slot[j].id == 0)
            break;
        size_t k = home(n, n->slot[j].id);
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays)
            continue;
        n->slot[i] = n->slot[j];
        i = j;
    }
    n->slot[i].id = 0;
    n->used--;
}

static int grow(lnode *n)
{
    size_t size = (n->mask + 1) * 2;
    lproc *old = n->slot, *nv = calloc(size, sizeof *nv);
    size_t oldsize = n->mask + 1;
    if (nv == NULL)
        return -1;
    n->slot = nv;
    n->mask = size - 1;
    for (size_t i = 0; i < oldsize; i++) {
        if (old[i].id == 0)
            continue;
        size_t k = home(n, old[i].id);
        while (n->slot[k].id != 0)
            k = (k + 1) & n->mask;
        n->slot[k] = old[i];
    }
    free(old);
    return 0;
}

/* Pop the oldest exit; evict its process when it is still exited.
 * Returns 1 when a process left, 0 when the entry was stale, -1 when the
 * queue is empty or its head is not due (force: due anyway). */
static int evict_one(lnode *n, int force)
{
    if (n->elen == 0)
        return -1;
    exit_rec *e = &n->exits[n->ehead];
    if (!force && e->t_ms + n->owner->grace_ms > n->clock)
        return -1;
    uint64_t id = e->id;
    int64_t t = e->t_ms;
    n->ehead = (n->ehead + 1) % n->ecap;
    n->elen--;
    lproc *p = lnode_get(n, id);
    if (p == NULL || p->exit_ms != t)
        return 0;
    remove_at(n, (size_t)(p - n->slot));
    n->owner->n.evicted++;
    if (force)
        n->owner->n.evicted_early++;
    return 1;
}

int64_t lnode_clock(lnode *n, int64_t t_ms)
{
    if (t_ms > n->clock)
        n->clock = t_ms;
    while (evict_one(n, 0) >= 0) {
    }
    return n->clock;
}

/* Room for one more: grow under the cap, else evict an exited process. */
static int make_room(lnode *n)
{
    lineage *l = n->owner;
    if (n->used < l->cap) {
        if ((n->used + 1) * 4 > (n->mask + 1) * 3)
            return grow(n);
        return 0;
    }
    int r;
    while ((r = evict_one(n, 1)) == 0) {
    }
    if (r > 0)
        return 0;
    l->n.refused++;
    return -1;
}

lproc *lnode_put(lnode *n, uint64_t id, uint64_t parent, uint64_t pod, uint8_t flags)
{
    lproc *p = lnode_get(n, id);
    if (p != NULL) {
        if (p->parent == 0)
            p->parent = parent;
        if (p->pod == 0)
            p->pod = pod;
        p->flags |= flags;
        return p;
    }
    if (make_room(n) < 0)
        return NULL;
    size_t i = home(n, id);
    while (n->slot[i].id != 0)
        i = (i + 1) & n->mask;
    n->slot[i] = (lproc){.id = id, .parent = parent, .pod = pod, .flags = flags};
    n->used++;
    n->owner->n.live++;
    n->owner->n.tracked++;
    return &n->slot[i];
}

int lnode_exit(lnode *n, lproc *p, int64_t t_ms)
{
    if (p->exit_ms != 0)
        return 0;
    if (n->elen == n->ecap) {
        size_t cap = n->ecap ? n->ecap * 2 : 256;
        exit_rec *nv = malloc(cap * sizeof *nv);
        if (nv == NULL)
            return -1;
        for (size_t i = 0; i < n->elen; i++)
            nv[i] = n->exits[(n->ehead + i) % n->ecap];
        free(n->exits);
        n->exits = nv;
        n->ecap = cap;
        n->ehead = 0;
    }
    p->exit_ms = t_ms ? t_ms : 1;
    n->exits[(n->ehead + n->elen++) % n->ecap] = (exit_rec){p->id, p->exit_ms};
    if (n->owner->n.live > 0)
        n->owner->n.live--;
    return 0;
}

void lnode_each(lnode *n, void (*fn)(void *ctx, lproc *p), void *ctx)
{
    for (size_t i = 0; i <= n->mask; i++)
        if (n->slot[i].id != 0)
            fn(ctx, &n->slot[i]);
}

void lineage_counts_get(const lineage *l, lineage_counts *out)
{
    *out = l->n;
}

size_t lineage_bytes(const lineage *l)
{
    size_t b = sizeof *l;
    for (const lnode *n = l->nodes; n; n = n->next)
        b += sizeof *n + (n->mask + 1) * sizeof(lproc) + n->ecap * sizeof(exit_rec);
    return b;
}
