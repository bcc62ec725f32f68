/* cache.c - LRU with TTL: an open hash table (chaining) for lookup and a
 * doubly linked list in use order for eviction.  Both are intrusive in one
 * node so a hit moves one node and allocates nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cache.h"
#include "fingerprint.h"
#include "util/hash.h"

typedef struct node {
    struct node *hnext;       /* hash chain */
    struct node *prev, *next; /* use order: head is most recent */
    uint64_t stamp;
    char *key, *value;
    void *memo; /* the caller's parsed form of value, or NULL */
} node;

struct cache {
    node **bucket;
    size_t nbucket, n, max;
    uint64_t ttl, evictions;
    node *head, *tail;
    void (*memo_free)(void *);
};

cache *cache_new(size_t max, uint64_t ttl_s)
{
    cache *c = calloc(1, sizeof *c);
    if (c == NULL || max == 0) {
        free(c);
        return NULL;
    }
    c->nbucket = 16;
    while (c->nbucket < max)
        c->nbucket *= 2;
    c->bucket = calloc(c->nbucket, sizeof *c->bucket);
    if (c->bucket == NULL) {
        free(c);
        return NULL;
    }
    c->max = max;
    c->ttl = ttl_s;
    return c;
}

static node **slot(const cache *c, const char *key)
{
    return &c->bucket[fnv1a64(key, strlen(key)) & (c->nbucket - 1)];
}

static void unlink_use(cache *c, node *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(cache *c, node *e)
{
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (c->tail == NULL)
        c->tail = e;
}

static void forget_memo(cache *c, node *e)
{
    if (e->memo && c->memo_free)
        c->memo_free(e->memo);
    e->memo = NULL;
}

static void drop(cache *c, node *e)
{
    for (node **pp = slot(c, e->key); *pp; pp = &(*pp)->hnext)
        if (*pp == e) {
            *pp = e->hnext;
            break;
        }
    unlink_use(c, e);
    forget_memo(c, e);
    free(e->key);
    free(e->value);
    free(e);
    c->n--;
}

static node *find(const cache *c, const char *key)
{
    for (node *e = *slot(c, key); e; e = e->hnext)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

const char *cache_get_memo(cache *c, const char *key, uint64_t now, void ***memo)
{
    node *e = find(c, key);
    if (e == NULL)
        return NULL;
    if (c->ttl && now >= e->stamp + c->ttl) {
        drop(c, e);
        return NULL;
    }
    unlink_use(c, e);
    push_front(c, e);
    if (memo)
        *memo = &e->memo;
    return e->value;
}

const char *cache_get(cache *c, const char *key, uint64_t now)
{
    return cache_get_memo(c, key, now, NULL);
}

void cache_set_memo_free(cache *c, void (*fn)(void *))
{
    c->memo_free = fn;
}

int cache_put(cache *c, const char *key, const char *value, uint64_t now)
{
    char *v = strdup(value);
    if (v == NULL)
        return -1;
    node *e = find(c, key);
    if (e != NULL) {
        free(e->value);
        forget_memo(c, e);
        e->value = v;
        e->stamp = now;
        unlink_use(c, e);
        push_front(c, e);
        return 0;
    }
    e = calloc(1, sizeof *e);
    if (e == NULL || (e->key = strdup(key)) == NULL) {
        free(e);
        free(v);
        return -1;
    }
    if (c->n == c->max) {
        drop(c, c->tail);
        c->evictions++;
    }
    e->value = v;
    e->stamp = now;
    node **s = slot(c, key);
    e->hnext = *s;
    *s = e;
    push_front(c, e);
    c->n++;
    return 0;
}

size_t cache_size(const cache *c)
{
    return c->n;
}
uint64_t cache_evictions(const cache *c)
{
    return c->evictions;
}

void cache_free(cache *c)
{
    if (c == NULL)
        return;
    while (c->head)
        drop(c, c->head);
    free(c->bucket);
    free(c);
}

/* "fp|model|prompt_version" by hand: it is made for every event on the
 * LLM path, cache hits included, where snprintf was a measurable part. */
int cache_key(char *out, size_t cap, const char *fp, const char *model, const char *prompt_version)
{
    const char *const parts[] = {fp, "|", model, "|", prompt_version};
    size_t n = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t len = strlen(parts[i]);
        if (len >= cap - n)
            return -1;
        memcpy(out + n, parts[i], len);
        n += len;
    }
    out[n] = '\0';
    return 0;
}
