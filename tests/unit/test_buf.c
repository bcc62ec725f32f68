/* test_buf.c - the byte buffer every encoder writes into: the inline
 * single-byte path grows the buffer like the others and keeps it
 * NUL-terminated, and decimals are right at both ends of int64. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "buf.h"

START_TEST(putc_grows_and_terminates)
{
    buf b = BUF_INIT;
    for (int i = 0; i < 1000; i++) {
        ck_assert_int_eq(buf_putc(&b, (char)('a' + i % 26)), 0);
        ck_assert_uint_gt(b.cap, b.len);
        ck_assert_int_eq(b.p[b.len], '\0');
    }
    ck_assert_uint_eq(b.len, 1000);
    ck_assert_int_eq(b.p[999], 'a' + 999 % 26);
    buf_free(&b);
}
END_TEST

START_TEST(decimals)
{
    buf b = BUF_INIT;
    const int64_t v[] = {0, 7, -1, 10, 4294967295, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        ck_assert_int_eq(buf_put_i64(&b, v[i]), 0);
        ck_assert_int_eq(buf_putc(&b, ' '), 0);
    }
    ck_assert_str_eq(b.p, "0 7 -1 10 4294967295 9223372036854775807 -9223372036854775808 ");
    buf_free(&b);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, putc_grows_and_terminates);
    tcase_add_test(t, decimals);
}

int main(void)
{
    return check_main("buf", add_tests);
}
