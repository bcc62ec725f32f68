/* test_capture_checkpoint.c - the position capture saves never runs ahead
 * of delivery: an entry pops only once the events it needs are delivered,
 * the newest ready position wins, rejected records ride with the event
 * before them, and the ring keeps its order while it grows and wraps. */
#include <check.h>
#include <stdint.h>

#include "check_main.h"
#include "../../capture/checkpoint.h"

static follow_pos at(uint64_t offset)
{
    follow_pos p = {7, 9, offset};
    return p;
}

START_TEST(nothing_ready_until_delivered)
{
    ckpt_q q = CKPT_Q_INIT;
    follow_pos p = at(12345);
    ck_assert_int_eq(ckpt_pop_done(&q, 100, &p), 0); /* empty queue */
    ck_assert_uint_eq(p.offset, 12345);              /* untouched */
    ck_assert_int_eq(ckpt_push(&q, 1, at(10)), 0);
    ck_assert_int_eq(ckpt_push(&q, 2, at(20)), 0);
    ck_assert_int_eq(ckpt_pop_done(&q, 0, &p), 0); /* nothing delivered yet */
    ck_assert_int_eq(ckpt_pop_done(&q, 1, &p), 1);
    ck_assert_uint_eq(p.offset, 10);
    ck_assert_uint_eq(p.dev, 7);
    ck_assert_uint_eq(p.ino, 9);
    ck_assert_int_eq(ckpt_pop_done(&q, 1, &p), 0); /* popped once only */
    ck_assert_int_eq(ckpt_pop_done(&q, 5, &p), 1);
    ck_assert_uint_eq(p.offset, 20);
    ck_assert_uint_eq(q.len, 0);
    ckpt_free(&q);
}
END_TEST

/* Records rejected after event n push n again: they are handled as soon
 * as event n is delivered, and the queue keeps one entry for them all. */
START_TEST(same_count_merges)
{
    ckpt_q q = CKPT_Q_INIT;
    follow_pos p;
    ck_assert_int_eq(ckpt_push(&q, 1, at(100)), 0);
    ck_assert_int_eq(ckpt_push(&q, 1, at(150)), 0); /* a rejected record */
    ck_assert_int_eq(ckpt_push(&q, 1, at(180)), 0); /* another */
    ck_assert_uint_eq(q.len, 1);
    ck_assert_int_eq(ckpt_push(&q, 2, at(200)), 0);
    ck_assert_uint_eq(q.len, 2);
    ck_assert_int_eq(ckpt_pop_done(&q, 1, &p), 1);
    ck_assert_uint_eq(p.offset, 180);
    ckpt_free(&q);
}
END_TEST

/* Before the first event is delivered (n = 0: only rejected records so
 * far) their position is safe at once. */
START_TEST(rejected_before_any_event)
{
    ckpt_q q = CKPT_Q_INIT;
    follow_pos p;
    ck_assert_int_eq(ckpt_push(&q, 0, at(42)), 0);
    ck_assert_int_eq(ckpt_pop_done(&q, 0, &p), 1);
    ck_assert_uint_eq(p.offset, 42);
    ckpt_free(&q);
}
END_TEST

/* Many entries in flight, popped in slices so head wraps around the ring
 * while it grows: every position comes back in order, none skipped. */
START_TEST(grows_and_wraps_in_order)
{
    ckpt_q q = CKPT_Q_INIT;
    follow_pos p;
    uint64_t pushed = 0, done = 0;
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < 100; i++) {
            pushed++;
            ck_assert_int_eq(ckpt_push(&q, pushed, at(pushed * 10)), 0);
        }
        done += 70; /* delivery lags behind: the queue keeps growing */
        ck_assert_int_eq(ckpt_pop_done(&q, done, &p), 1);
        ck_assert_uint_eq(p.offset, done * 10);
        ck_assert_uint_eq(q.len, pushed - done);
    }
    ck_assert_int_eq(ckpt_pop_done(&q, pushed, &p), 1);
    ck_assert_uint_eq(p.offset, pushed * 10);
    ck_assert_uint_eq(q.len, 0);
    ck_assert_int_eq(ckpt_push(&q, pushed + 1, at(1)), 0); /* still usable */
    ckpt_free(&q);
    ck_assert_ptr_null(q.v);
    ck_assert_uint_eq(q.len, 0);
    ckpt_free(&q); /* twice is harmless */
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, nothing_ready_until_delivered);
    tcase_add_test(tc, same_count_merges);
    tcase_add_test(tc, rejected_before_any_event);
    tcase_add_test(tc, grows_and_wraps_in_order);
}

int main(void)
{
    return check_main("capture_checkpoint", add_tests);
}
