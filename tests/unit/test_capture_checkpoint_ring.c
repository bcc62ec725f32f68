/* test_capture_checkpoint_ring.c - the checkpoint FIFO of tetra-capture
 * keeps its order while it grows wrapped around (util/ring.h does the
 * growing), merges entries of the same n, and hands back the newest
 * position whose events are all delivered. */
#include <check.h>
#include <stdint.h>

#include "check_main.h"
#include "../../capture/checkpoint.h"

static follow_pos at(uint64_t off)
{
    follow_pos p = {1, 2, off};
    return p;
}

START_TEST(grows_wrapped_in_order)
{
    ckpt_q q = CKPT_Q_INIT;
    follow_pos pos;
    uint64_t pushed = 0, done = 0;
    /* three pushed per two delivered: the queue wraps, then grows */
    for (int round = 0; round < 3000; round++) {
        for (int k = 0; k < 3; k++) {
            pushed++;
            ck_assert_int_eq(ckpt_push(&q, pushed, at(pushed * 10)), 0);
        }
        done += 2;
        ck_assert_int_eq(ckpt_pop_done(&q, done, &pos), 1);
        ck_assert_uint_eq(pos.offset, done * 10);
    }
    ck_assert_uint_eq(q.len, pushed - done);
    ck_assert_uint_gt(q.cap, 256);
    ck_assert_int_eq(ckpt_pop_done(&q, done, &pos), 0); /* nothing new is ready */
    ck_assert_int_eq(ckpt_pop_done(&q, pushed, &pos), 1);
    ck_assert_uint_eq(pos.offset, pushed * 10);
    ck_assert_uint_eq(q.len, 0);
    ckpt_free(&q);
}
END_TEST

START_TEST(same_n_merges)
{
    ckpt_q q = CKPT_Q_INIT;
    follow_pos pos;
    ck_assert_int_eq(ckpt_push(&q, 1, at(5)), 0);
    ck_assert_int_eq(ckpt_push(&q, 1, at(9)), 0); /* a rejected record after it */
    ck_assert_uint_eq(q.len, 1);
    ck_assert_int_eq(ckpt_pop_done(&q, 0, &pos), 0);
    ck_assert_int_eq(ckpt_pop_done(&q, 1, &pos), 1);
    ck_assert_uint_eq(pos.offset, 9);
    ckpt_free(&q);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, grows_wrapped_in_order);
    tcase_add_test(t, same_n_merges);
}

int main(void)
{
    return check_main("capture_checkpoint_ring", add_tests);
}
