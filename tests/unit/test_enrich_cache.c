/* test_enrich_cache.c - the explanation cache: LRU eviction order, TTL
 * expiry, replacement of a key, and the key format. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../enrich/cache.c"
#include "../../enrich/fingerprint.c"
#include "../../enrich/facts.c"

START_TEST(lru_order)
{
    cache *c = cache_new(3, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(cache_put(c, "a", "1", 0), 0);
    ck_assert_int_eq(cache_put(c, "b", "2", 0), 0);
    ck_assert_int_eq(cache_put(c, "c", "3", 0), 0);
    ck_assert_str_eq(cache_get(c, "a", 0), "1");        /* a is now most recent */
    ck_assert_int_eq(cache_put(c, "d", "4", 0), 0);     /* evicts b */
    ck_assert_ptr_null(cache_get(c, "b", 0));
    ck_assert_str_eq(cache_get(c, "a", 0), "1");
    ck_assert_str_eq(cache_get(c, "c", 0), "3");
    ck_assert_str_eq(cache_get(c, "d", 0), "4");
    ck_assert_uint_eq(cache_size(c), 3);
    ck_assert_uint_eq(cache_evictions(c), 1);
    ck_assert_int_eq(cache_put(c, "c", "33", 0), 0);    /* replace, no eviction */
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

START_TEST(key_format)
{
    char k[64];
    ck_assert_int_eq(cache_key(k, sizeof k, "0123456789abcdef", "gpt", "p1"), 0);
    ck_assert_str_eq(k, "0123456789abcdef|gpt|p1");
    volatile size_t small = 8;   /* volatile: keep the compiler from proving the cut */
    ck_assert_int_eq(cache_key(k, small, "0123456789abcdef", "gpt", "p1"), -1);
}
END_TEST

int main(void) {
    Suite *s = suite_create("enrich_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, lru_order);
    tcase_add_test(tc, ttl_expiry);
    tcase_add_test(tc, many_keys);
    tcase_add_test(tc, key_format);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
