/* test_sink_offsets.c - the commit point never passes an unfinished record.
 *
 * sink/ is not part of libtetra; this test links libsink.a, which the
 * Makefile gives every test_sink_*.c. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "check_main.h"
#include "kafka/offsets.h"

static int64_t point(offsets *o, int32_t pid)
{
    int32_t parts[8];
    int64_t offs[8];
    size_t n = offsets_pending_commits(o, parts, offs, 8);
    for (size_t i = 0; i < n; i++)
        if (parts[i] == pid)
            return offs[i];
    return -2; /* nothing new to commit */
}

START_TEST(in_order_and_out_of_order)
{
    offsets *o = offsets_new();
    ck_assert_ptr_nonnull(o);
    for (int64_t i = 10; i < 15; i++)
        ck_assert_int_eq(offsets_read(o, 0, i), 0);
    ck_assert_int_eq(point(o, 0), 10);
    offsets_done(o, 0, 12);
    offsets_done(o, 0, 11);
    ck_assert_int_eq(point(o, 0), 10); /* 10 still unfinished */
    offsets_done(o, 0, 10);
    ck_assert_int_eq(point(o, 0), 13);
    offsets_committed(o, 0, 13);
    ck_assert_int_eq(point(o, 0), -2);
    offsets_done(o, 0, 14);
    ck_assert_int_eq(point(o, 0), -2); /* 13 holds it at the committed point */
    offsets_done(o, 0, 13);
    ck_assert_int_eq(point(o, 0), 15); /* all finished: one past the last read */
    ck_assert_uint_eq(offsets_inflight(o), 0);
    offsets_free(o);
}
END_TEST

START_TEST(partitions_are_independent)
{
    offsets *o = offsets_new();
    ck_assert_int_eq(offsets_read(o, 0, 0), 0);
    ck_assert_int_eq(offsets_read(o, 1, 100), 0);
    offsets_done(o, 1, 100);
    ck_assert_int_eq(point(o, 0), 0);
    ck_assert_int_eq(point(o, 1), 101);
    offsets_drop(o, 1);
    ck_assert_int_eq(point(o, 1), -2);
    offsets_done(o, 1, 100); /* late result of a revoked partition: ignored */
    ck_assert_uint_eq(offsets_inflight(o), 1);
    offsets_free(o);
}
END_TEST

/* A seek back forgets what comes again but not an older unfinished record. */
START_TEST(reread_from_earlier_point)
{
    offsets *o = offsets_new();
    for (int64_t i = 0; i < 5; i++)
        offsets_read(o, 3, i);
    offsets_done(o, 3, 0);
    ck_assert_int_eq(offsets_read(o, 3, 2), 0); /* seek back to 2; 1 is still out */
    ck_assert_int_eq(point(o, 3), 1);
    offsets_done(o, 3, 2);
    ck_assert_int_eq(point(o, 3), 1);
    offsets_done(o, 3, 1);
    ck_assert_int_eq(point(o, 3), 3); /* 3 and 4 were dropped and not read again yet */
    ck_assert_int_eq(offsets_read(o, 3, 3), 0);
    offsets_done(o, 3, 3);
    ck_assert_int_eq(point(o, 3), 4);
    ck_assert_uint_eq(offsets_inflight(o), 0);
    offsets_free(o);
}
END_TEST

/* The reviewer's sequence: 100 waits for a 429 retry while 101-200 are
 * indexed; librdkafka fetches again from 150 without a revoke; 150-200
 * come back as 409s.  The point must stay at 100 until 100 is indexed. */
START_TEST(rewind_keeps_floor_at_unfinished_record)
{
    offsets *o = offsets_new();
    for (int64_t i = 100; i <= 200; i++)
        ck_assert_int_eq(offsets_read(o, 0, i), 0);
    for (int64_t i = 101; i <= 200; i++)
        offsets_done(o, 0, i);
    ck_assert_int_eq(point(o, 0), 100);
    offsets_committed(o, 0, 100);
    for (int64_t i = 150; i <= 200; i++)
        ck_assert_int_eq(offsets_read(o, 0, i), 0);
    for (int64_t i = 150; i <= 200; i++)
        offsets_done(o, 0, i);          /* the 409s */
    ck_assert_int_eq(point(o, 0), 100); /* not 201: 100 is not indexed */
    offsets_done(o, 0, 100);            /* the retry finally indexes 100 */
    ck_assert_int_eq(point(o, 0), 201);
    ck_assert_uint_eq(offsets_inflight(o), 0);
    offsets_free(o);
}
END_TEST

/* A late result of a record read before the seek, after its re-read
 * copy: the entry is gone or finished, nothing moves twice. */
START_TEST(late_result_after_rewind)
{
    offsets *o = offsets_new();
    for (int64_t i = 0; i < 4; i++)
        offsets_read(o, 1, i);
    offsets_read(o, 1, 2); /* seek back; 2 and 3 are out twice now */
    offsets_done(o, 1, 2); /* the old copy of 2 */
    ck_assert_int_eq(point(o, 1), 0);
    offsets_done(o, 1, 0);
    offsets_done(o, 1, 1);
    ck_assert_int_eq(point(o, 1), 3); /* 3 (not yet read again) was dropped */
    offsets_done(o, 1, 2);            /* the new copy of 2: ignored */
    offsets_done(o, 1, 3);            /* the old copy of 3: unknown, ignored */
    ck_assert_int_eq(point(o, 1), 3);
    offsets_free(o);
}
END_TEST

/* Many records finishing in a scrambled order: the point is always the
 * lowest unfinished one, through several ring growths. */
START_TEST(scrambled_completion)
{
    enum { N = 5000 };
    offsets *o = offsets_new();
    int64_t *order = malloc(N * sizeof *order);
    char *done = calloc(N, 1);
    for (int64_t i = 0; i < N; i++) {
        ck_assert_int_eq(offsets_read(o, 7, i), 0);
        order[i] = i;
    }
    srand(42);
    for (int i = N - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        int64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    int64_t low = 0, last = -1;
    for (int i = 0; i < N; i++) {
        offsets_done(o, 7, order[i]);
        done[order[i]] = 1;
        while (low < N && done[low])
            low++;
        int64_t p = point(o, 7);
        if (p == -2) {
            ck_assert_int_eq(low, last); /* nothing new */
            continue;
        }
        ck_assert_int_eq(p, low);
        offsets_committed(o, 7, p);
        last = p;
    }
    free(order);
    free(done);
    offsets_free(o);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, in_order_and_out_of_order);
    tcase_add_test(tc, partitions_are_independent);
    tcase_add_test(tc, reread_from_earlier_point);
    tcase_add_test(tc, rewind_keeps_floor_at_unfinished_record);
    tcase_add_test(tc, late_result_after_rewind);
    tcase_add_test(tc, scrambled_completion);
}

int main(void)
{
    return check_main("sink_offsets", add_tests);
}
