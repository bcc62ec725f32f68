/* waitlist.c - incident updates by (partition, offset) (see waitlist.h).
 *
 * A chained hash of fixed width: what is held is bounded by the bulk
 * engine's queue, and incidents are a small share of it. */
#include "waitlist.h"

#include <stdlib.h>
#include <string.h>

enum { BUCKETS = 1024 };

typedef struct held {
    struct held *next;
    int32_t part;
    int64_t off;
    size_t len;
    uint8_t data[];
} held;

struct waitlist {
    held *bucket[BUCKETS];
    size_t n;
};

static size_t bucket_of(int32_t part, int64_t off)
{
    uint64_t x = (uint64_t)off * 0x9e3779b97f4a7c15ULL ^ (uint32_t)part;
    return (size_t)(x >> 32) % BUCKETS;
}

waitlist *waitlist_new(void)
{
    return calloc(1, sizeof(waitlist));
}

void waitlist_free(waitlist *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < BUCKETS; i++)
        for (held *h = p->bucket[i], *next; h; h = next) {
            next = h->next;
            free(h);
        }
    free(p);
}

int waitlist_put(waitlist *p, int32_t part, int64_t off, const incident *inc)
{
    size_t len = protobuf_c_message_get_packed_size(&inc->base);
    held *h = malloc(sizeof *h + len);
    if (!h)
        return -1;
    h->part = part;
    h->off = off;
    h->len = protobuf_c_message_pack(&inc->base, h->data);
    size_t b = bucket_of(part, off);
    h->next = p->bucket[b];
    p->bucket[b] = h;
    p->n++;
    return 0;
}

incident *waitlist_take(waitlist *p, int32_t part, int64_t off)
{
    held **at = &p->bucket[bucket_of(part, off)];
    while (*at && ((*at)->part != part || (*at)->off != off))
        at = &(*at)->next;
    held *h = *at;
    if (!h)
        return NULL;
    *at = h->next;
    p->n--;
    incident *inc = (incident *)protobuf_c_message_unpack(&tetragonsidekick__incident__descriptor,
                                                          NULL, h->len, h->data);
    free(h);
    return inc;
}

void waitlist_release(incident *inc)
{
    if (inc)
        protobuf_c_message_free_unpacked(&inc->base, NULL);
}

size_t waitlist_count(const waitlist *p)
{
    return p ? p->n : 0;
}
