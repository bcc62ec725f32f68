/* test_enrich_incident_lineage.c - the per-node process tables under
 * incidents: lookups across growth and deletion, eviction of exited
 * processes after their grace (event time), and what happens at the cap:
 * exited processes go early, and a table full of live ones refuses. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "check_main.h"
#include "../../enrich/lineage.h"

START_TEST(put_get_grow_delete)
{
    lineage *l = lineage_new(100000, 1000);
    lnode *n = lineage_node(l, "node-a");
    ck_assert_ptr_nonnull(n);
    ck_assert_ptr_eq(lineage_node(l, "node-a"), n);
    for (uint64_t i = 1; i <= 5000; i++)
        ck_assert_ptr_nonnull(lnode_put(n, i * 7919, i, 3, 0));
    for (uint64_t i = 1; i <= 5000; i++) {
        lproc *p = lnode_get(n, i * 7919);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq(p->parent, i);
    }
    /* exit every other one and let the grace pass: the rest must still be found */
    for (uint64_t i = 1; i <= 5000; i += 2)
        ck_assert_int_eq(lnode_exit(n, lnode_get(n, i * 7919), 10), 0);
    lnode_clock(n, 10 + 999);
    ck_assert_ptr_nonnull(lnode_get(n, 1 * 7919)); /* still in its grace */
    lnode_clock(n, 10 + 1000);
    for (uint64_t i = 1; i <= 5000; i++) {
        if (i % 2)
            ck_assert_ptr_null(lnode_get(n, i * 7919));
        else
            ck_assert_ptr_nonnull(lnode_get(n, i * 7919));
    }
    lineage_counts c;
    lineage_counts_get(l, &c);
    ck_assert_uint_eq(c.evicted, 2500);
    ck_assert_uint_eq(c.live, 2500);
    lineage_free(l);
}
END_TEST

START_TEST(known_process_keeps_its_parent)
{
    lineage *l = lineage_new(10, 0);
    lnode *n = lineage_node(l, "n");
    ck_assert_ptr_nonnull(lnode_put(n, 5, 0, 0, 0));
    lproc *p = lnode_put(n, 5, 4, 9, LP_INIT); /* parent and pod filled in, flags added */
    ck_assert_uint_eq(p->parent, 4);
    ck_assert_uint_eq(p->pod, 9);
    ck_assert_int_eq(p->flags, LP_INIT);
    p = lnode_put(n, 5, 77, 88, 0);
    ck_assert_uint_eq(p->parent, 4);
    lineage_free(l);
}
END_TEST

START_TEST(cap_evicts_exited_then_refuses)
{
    lineage *l = lineage_new(16, 60000);
    lnode *n = lineage_node(l, "n");
    for (uint64_t i = 1; i <= 16; i++)
        ck_assert_ptr_nonnull(lnode_put(n, i, 0, 0, 0));
    ck_assert_int_eq(lnode_exit(n, lnode_get(n, 3), 100), 0);
    ck_assert_int_eq(lnode_exit(n, lnode_get(n, 4), 200), 0);
    /* full: the oldest exit goes first, before its grace */
    ck_assert_ptr_nonnull(lnode_put(n, 100, 0, 0, 0));
    ck_assert_ptr_null(lnode_get(n, 3));
    ck_assert_ptr_nonnull(lnode_get(n, 4));
    ck_assert_ptr_nonnull(lnode_put(n, 101, 0, 0, 0));
    ck_assert_ptr_null(lnode_get(n, 4));
    /* every process alive: the new one is refused, the old ones stay */
    ck_assert_ptr_null(lnode_put(n, 102, 0, 0, 0));
    ck_assert_ptr_nonnull(lnode_get(n, 1));
    lineage_counts c;
    lineage_counts_get(l, &c);
    ck_assert_uint_eq(c.evicted_early, 2);
    ck_assert_uint_eq(c.refused, 1);
    lineage_free(l);
}
END_TEST

START_TEST(nodes_are_separate)
{
    lineage *l = lineage_new(100, 0);
    lnode *a = lineage_node(l, "a"), *b = lineage_node(l, "b");
    ck_assert_ptr_nonnull(lnode_put(a, 42, 1, 0, 0));
    ck_assert_ptr_null(lnode_get(b, 42));
    ck_assert_uint_ne(lineage_hash(""), 0);
    ck_assert_uint_ne(lineage_hash("x"), lineage_hash("y"));
    ck_assert_uint_gt(lineage_bytes(l), 2 * 1024 * sizeof(lproc) - 1);
    lineage_free(l);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, put_get_grow_delete);
    tcase_add_test(tc, known_process_keeps_its_parent);
    tcase_add_test(tc, cap_evicts_exited_then_refuses);
    tcase_add_test(tc, nodes_are_separate);
}

int main(void)
{
    return check_main("enrich_incident_lineage", add_tests);
}
