/* test_enrich_cache.c - the explanation cache: LRU eviction order, TTL
 * expiry, replacement of a key, the key format, and the memo slot that
 * keeps a parsed value (freed when the value changes or leaves). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "../../enrich/cache.h"

START_TEST(lru_order)
{
    cache *c = cache_new(3, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(cache_put(c, "a", "1", 0), 0);
    ck_assert_int_eq(cache_put(c, "b", "2", 0), 0);
    ck_assert_int_eq(cache_put(c, "c", "3", 0), 0);
    ck_assert_str_eq(cache_get(c, "a", 0), "1");    /* a is now most recent */
    ck_assert_int_eq(cache_put(c, "d", "4", 0), 0); /* evicts b */
    ck_assert_ptr_null(cache_get(c, "b", 0));
    ck_assert_str_eq(cache_get(c, "a", 0), "1");
    ck_assert_str_eq(cache_get(c, "c", 0), "3");
    ck_assert_str_eq(cache_get(c, "d", 0), "4");
    ck_assert_uint_eq(cache_size(c), 3);
    ck_assert_uint_eq(cache_evictions(c), 1);
    ck_assert_int_eq(cache_put(c, "c", "33", 0), 0); /* replace, no eviction */
    ck_assert_str_eq(cache_get(c, "c", 0), "33");
    ck_assert_uint_eq(cache_size(c), 3);
    cache_free(c);
}
END_TEST

START_TEST(ttl_expiry)
{
    cache *c = cache_new(10, 60);
    ck_assert_int_eq(cache_put(c, "k", "v", 1000), 0);
    ck_assert_str_eq(cache_get(c, "k", 1059), "v");
    ck_assert_ptr_null(cache_get(c, "k", 1060));
    ck_assert_uint_eq(cache_size(c), 0);
    cache_free(c);
}
END_TEST

START_TEST(many_keys)
{
    cache *c = cache_new(1000, 0);
    char k[32], v[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "key%d", i);
        snprintf(v, sizeof v, "val%d", i);
        ck_assert_int_eq(cache_put(c, k, v, 0), 0);
    }
    ck_assert_uint_eq(cache_size(c), 1000);
    ck_assert_ptr_null(cache_get(c, "key3999", 0));
    ck_assert_str_eq(cache_get(c, "key4000", 0), "val4000");
    cache_free(c);
}
END_TEST

static int memo_frees;

static void count_free(void *p)
{
    memo_frees++;
    free(p);
}

START_TEST(memo_follows_value)
{
    cache *c = cache_new(2, 10);
    void **m = NULL;
    memo_frees = 0;
    cache_set_memo_free(c, count_free);
    ck_assert_int_eq(cache_put(c, "a", "1", 0), 0);
    ck_assert_str_eq(cache_get_memo(c, "a", 0, &m), "1");
    ck_assert_ptr_null(*m);
    *m = strdup("parsed 1");
    ck_assert_str_eq(cache_get_memo(c, "a", 1, &m), "1");
    ck_assert_str_eq(*m, "parsed 1");               /* kept across hits */
    ck_assert_int_eq(cache_put(c, "a", "2", 1), 0); /* a new value drops the old parse */
    ck_assert_int_eq(memo_frees, 1);
    ck_assert_str_eq(cache_get_memo(c, "a", 1, &m), "2");
    ck_assert_ptr_null(*m);
    *m = strdup("parsed 2");
    ck_assert_ptr_null(cache_get_memo(c, "a", 20, &m)); /* expired: entry and memo go */
    ck_assert_int_eq(memo_frees, 2);
    ck_assert_int_eq(cache_put(c, "b", "3", 20), 0);
    ck_assert_ptr_nonnull(cache_get_memo(c, "b", 20, &m));
    *m = strdup("parsed 3");
    cache_free(c); /* and on free */
    ck_assert_int_eq(memo_frees, 3);
}
END_TEST

START_TEST(key_format)
{
    char k[64];
    ck_assert_int_eq(cache_key(k, sizeof k, "0123456789abcdef", "gpt", "p1"), 0);
    ck_assert_str_eq(k, "0123456789abcdef|gpt|p1");
    volatile size_t small = 8; /* volatile: keep the compiler from proving the cut */
    ck_assert_int_eq(cache_key(k, small, "0123456789abcdef", "gpt", "p1"), -1);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, lru_order);
    tcase_add_test(tc, ttl_expiry);
    tcase_add_test(tc, many_keys);
    tcase_add_test(tc, key_format);
    tcase_add_test(tc, memo_follows_value);
}

int main(void)
{
    return check_main("enrich_cache", add_tests);
}
