/* test_buf.c - the byte buffer every encoder writes into: the inline
 * single-byte path grows the buffer like the others and keeps it
 * NUL-terminated, decimals are right at both ends of int64, and record
 * keys read as snprintf would write them, cut the same way. */
#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "util/buf.h"

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

START_TEST(record_keys_like_snprintf)
{
    static const struct {
        const char *topic;
        int32_t part;
        int64_t off;
    } k[] = {
        {"raw", 0, 0},
        {"tetragon-raw", 11, 123456789012},
        {"t", -1, -1001},
        {"", INT32_MAX, INT64_MIN},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        for (size_t cap = 1; cap <= 48; cap++) {
            char want[48], got[48];
            snprintf(want, cap, "%s/%" PRId32 "/%" PRId64, k[i].topic, k[i].part, k[i].off);
            size_t n = buf_fmt_record_key(got, cap, k[i].topic, k[i].part, k[i].off);
            ck_assert_str_eq(got, want);
            ck_assert_uint_eq(n, strlen(want));
        }
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, record_keys_like_snprintf);
    tcase_add_test(t, putc_grows_and_terminates);
    tcase_add_test(t, decimals);
}

int main(void)
{
    return check_main("buf", add_tests);
}
