/* test_stats.c - the summary line: declared counters first and always,
 * reason counters after them in name order and only when non-zero. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "util/stats.h"

START_TEST(summary_shape)
{
    stats s;
    char line[256];
    stats_init(&s);
    ck_assert_int_eq(stats_declare(&s, "read"), 0);
    ck_assert_int_eq(stats_declare(&s, "written"), 0);
    ck_assert_int_eq(stats_declare(&s, "rejected"), 0);
    stats_format(&s, line, sizeof(line));
    ck_assert_str_eq(line, "read=0 written=0 rejected=0");
    stats_add(&s, "read", 100);
    stats_add(&s, "written", 98);
    stats_add(&s, "unknown_kind", 1);
    stats_add(&s, "rejected", 2);
    stats_add(&s, "invalid_json", 1);
    stats_add(&s, "rotations", 0);
    size_t n = stats_format(&s, line, sizeof(line));
    ck_assert_str_eq(line, "read=100 written=98 rejected=2 invalid_json=1 unknown_kind=1");
    ck_assert_uint_eq(n, strlen(line));
    ck_assert_uint_eq(stats_get(&s, "invalid_json"), 1);
    ck_assert_uint_eq(stats_get(&s, "nope"), 0);
}
END_TEST

START_TEST(cut_and_bad_names)
{
    stats s;
    char line[12];
    stats_init(&s);
    stats_declare(&s, "read");
    stats_add(&s, "read", 123456789);
    size_t n = stats_format(&s, line, sizeof(line));
    ck_assert_uint_eq(n, strlen("read=123456789"));
    ck_assert_str_eq(line, ""); /* an item that does not fit is left out whole */
    ck_assert_int_eq(stats_add(&s, "Bad Name", 1), -1);
    ck_assert_int_eq(stats_add(&s, "", 1), -1);
    ck_assert_int_eq(stats_add(&s, "a=b", 1), -1);
}
END_TEST

START_TEST(table_full)
{
    stats s;
    char name[16];
    stats_init(&s);
    for (int i = 0; i < STATS_MAX; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        ck_assert_int_eq(stats_add(&s, name, 1), 0);
    }
    ck_assert_int_eq(stats_add(&s, "one_more", 1), -1);
    ck_assert_int_eq(stats_add(&s, "c3", 1), 0);
    ck_assert_uint_eq(stats_get(&s, "c3"), 2);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, summary_shape);
    tcase_add_test(t, cut_and_bad_names);
    tcase_add_test(t, table_full);
}

int main(void)
{
    return check_main("stats", add_tests);
}
