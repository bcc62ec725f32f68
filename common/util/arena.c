/* arena.c - the per-record allocator behind the codec.
 *
 * A decoded Tetragon event is a tree of a few hundred small allocations
 * (messages, strings, arrays) that all die together when the record has
 * been written out.  Bump allocation from a chain of blocks makes each of
 * them a pointer increment, and pj_arena_reset() frees the whole tree at
 * once.  Blocks are kept across resets (up to ARENA_KEEP bytes) so that a
 * steady stream of similar records stops calling malloc altogether.  The
 * arena also owns the JSON scanner's token array for the same reason. */
#include "codec/pjson.h"
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>

#define ARENA_BLOCK (64 * 1024)
#define ARENA_KEEP (4 * 1024 * 1024)

typedef struct ablock {
    struct ablock *next;
    size_t size, used;
    max_align_t data[];
} ablock;

struct pj_arena {
    ablock *head, *cur;
    ProtobufCAllocator pa;
    jscan scan;
};

static void *pa_alloc(void *ctx, size_t n)
{
    return pj_arena_alloc(ctx, n);
}

static void pa_free(void *ctx, void *p)
{
    (void)ctx;
    (void)p;
}

pj_arena *pj_arena_new(void)
{
    pj_arena *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->pa.alloc = pa_alloc;
    a->pa.free = pa_free;
    a->pa.allocator_data = a;
    return a;
}

static ablock *block_new(size_t size)
{
    ablock *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

/* Move to the next kept block that fits, or append a new one. */
static ablock *arena_grow(pj_arena *a, size_t n)
{
    ablock **link = a->cur ? &a->cur->next : &a->head;
    while (*link && (*link)->size < n) /* skip kept blocks too small for n */
        link = &(*link)->next;
    if (!*link) {
        *link = block_new(n > ARENA_BLOCK ? n : ARENA_BLOCK);
        if (!*link)
            return NULL;
    }
    (*link)->used = 0;
    a->cur = *link;
    return a->cur;
}

void *pj_arena_alloc(pj_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (n == 0)
        n = 8;
    ablock *b = a->cur;
    if (!b || b->size - b->used < n) {
        b = arena_grow(a, n);
        if (!b)
            return NULL;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

void pj_arena_reset(pj_arena *a)
{
    size_t kept = 0;
    ablock **link = &a->head;
    while (*link) {
        ablock *b = *link;
        if (kept + b->size > ARENA_KEEP) {
            *link = b->next;
            free(b);
            continue;
        }
        kept += b->size;
        b->used = 0;
        link = &b->next;
    }
    a->cur = a->head;
}

void pj_arena_free(pj_arena *a)
{
    if (!a)
        return;
    for (ablock *b = a->head, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    jscan_free(&a->scan);
    free(a);
}

ProtobufCAllocator *pj_arena_allocator(pj_arena *a)
{
    return &a->pa;
}

jscan *pj_arena_scanner(pj_arena *a)
{
    return &a->scan;
}
