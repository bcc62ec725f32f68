/* cache.h - the explanation cache: an LRU with a time-to-live, keyed by
 * fingerprint + model + prompt version, holding a finding as JSON text.
 *
 * The same behaviour is explained once: a hit costs a hash lookup and no
 * LLM call.  Values are JSON text (not parsed findings) because that is
 * also what the compacted Kafka topic carries, so entries loaded from the
 * topic and entries made here are the same thing.  Time is passed in by the
 * caller (seconds), which keeps the TTL testable. */
#ifndef TETRA_ENRICH_CACHE_H
#define TETRA_ENRICH_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cache cache;

/* A cache of at most max entries (> 0) living ttl_s seconds (0: forever).
 * NULL when out of memory. */
cache *cache_new(size_t max, uint64_t ttl_s);
void cache_free(cache *c);

/* The value for key, or NULL when absent or expired (an expired entry is
 * dropped).  A hit makes the entry most recently used.  The pointer stays
 * valid until the next cache_put or cache_free. */
const char *cache_get(cache *c, const char *key, uint64_t now);

/* cache_get, and *memo set to the entry's memo slot: the caller may park
 * a parsed form of the value there (NULL until then) so a hit need not
 * parse the value again.  The slot is valid until the next call on c; the
 * cache frees what it holds with the function given to
 * cache_set_memo_free when the entry's value is replaced or the entry
 * leaves. */
const char *cache_get_memo(cache *c, const char *key, uint64_t now, void ***memo);
void cache_set_memo_free(cache *c, void (*fn)(void *));

/* Store a copy of key and value, stamped now; evicts the least recently
 * used entry when full.  Returns 0, or -1 when out of memory. */
int cache_put(cache *c, const char *key, const char *value, uint64_t now);

size_t cache_size(const cache *c);
uint64_t cache_evictions(const cache *c);

/* Write the cache key "fingerprint|model|prompt_version" into out.
 * Returns 0, or -1 when it does not fit. */
int cache_key(char *out, size_t cap, const char *fp, const char *model, const char *prompt_version);

#endif
