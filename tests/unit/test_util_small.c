/* test_util_small.c - the small shared helpers: FNV-1a against its
 * published test vectors (its output is stored in state files and
 * fingerprints, so it must never change), the monotonic clock, a ring
 * buffer that keeps its order when it grows while wrapped, and the wiping
 * of secrets. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_main.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/ring.h"
#include "util/wipe.h"

START_TEST(fnv1a_vectors)
{
    /* from the FNV reference (draft-eastlake-fnv) */
    ck_assert_uint_eq(fnv1a64("", 0), 0xcbf29ce484222325ULL);
    ck_assert_uint_eq(fnv1a64("a", 1), 0xaf63dc4c8601ec8cULL);
    ck_assert_uint_eq(fnv1a64("foobar", 6), 0x85944171f73967e8ULL);
    ck_assert_uint_eq(fnv1a32("", 0), 0x811c9dc5u);
    ck_assert_uint_eq(fnv1a32("a", 1), 0xe40c292cu);
    ck_assert_uint_eq(fnv1a32("foobar", 6), 0xbf9cf968u);
}
END_TEST

START_TEST(clock_moves_forward)
{
    uint64_t a = mono_ms();
    struct timespec pause = {0, 30 * 1000000};
    nanosleep(&pause, NULL);
    uint64_t b = mono_ms();
    ck_assert_uint_ge(b, a + 30);
    ck_assert_uint_lt(b, a + 30000);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ref = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    ck_assert_uint_le(b, ref);
    ck_assert_uint_ge(b + 1000, ref);
}
END_TEST

typedef struct item {
    uint64_t seq;
    int pad;
} item;

START_TEST(ring_grows_in_order)
{
    item *ring = NULL;
    size_t cap = 0, head = 0, len = 0;
    uint64_t next_in = 0, next_out = 0;
    /* push 3, pop 2, so the ring wraps before each growth */
    for (int round = 0; round < 2000; round++) {
        for (int k = 0; k < 3; k++) {
            if (len == cap) {
                item *r = ring_grow(ring, sizeof *r, &cap, &head, len);
                ck_assert_ptr_nonnull(r);
                ck_assert_uint_eq(head, 0);
                ring = r;
            }
            ring[(head + len++) % cap] = (item){next_in++, k};
        }
        for (int k = 0; k < 2; k++) {
            ck_assert_uint_eq(ring[head].seq, next_out++);
            head = (head + 1) % cap;
            len--;
        }
    }
    ck_assert_uint_ge(cap, len);
    ck_assert_uint_eq(cap % RING_FIRST_CAP, 0);
    while (len) {
        ck_assert_uint_eq(ring[head].seq, next_out++);
        head = (head + 1) % cap;
        len--;
    }
    ck_assert_uint_eq(next_out, next_in);
    free(ring);
}
END_TEST

START_TEST(ring_refuses_overflow)
{
    size_t cap = SIZE_MAX / 2 + 1, head = 0;
    int dummy = 0;
    ck_assert_ptr_null(ring_grow(&dummy, 4, &cap, &head, 0));
    ck_assert_uint_eq(cap, SIZE_MAX / 2 + 1); /* untouched */
}
END_TEST

/* wipe zeroes exactly the bytes it is given; the freeing forms take NULL
 * and free what they wipe (ASan's leak check sees a missed free). */
START_TEST(wipe_zeroes_and_frees)
{
    char secret[] = "hunter2-and-more";
    wipe(secret, 7);
    for (size_t i = 0; i < 7; i++)
        ck_assert_int_eq(secret[i], 0);
    ck_assert_str_eq(secret + 7, "-and-more");
    wipe_free(NULL, 8);
    wipe_free_str(NULL);
    char *key = malloc(32);
    ck_assert_ptr_nonnull(key);
    memset(key, 'k', 32);
    wipe_free(key, 32);
    char *token = strdup("s3cr3t-token");
    ck_assert_ptr_nonnull(token);
    wipe_free_str(token);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, fnv1a_vectors);
    tcase_add_test(t, clock_moves_forward);
    tcase_add_test(t, ring_grows_in_order);
    tcase_add_test(t, ring_refuses_overflow);
    tcase_add_test(t, wipe_zeroes_and_frees);
}

int main(void)
{
    return check_main("util_small", add_tests);
}
