/* test_plainrun.c - plain_run() never jumps over a byte a string loop must
 * see (quote, backslash, control, DEL, non-ASCII), at any place in a word
 * and next to any other byte, and skips words that hold none of them. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "codec/plainrun.h"

static int must_stop(unsigned c)
{
    return c == '"' || c == '\\' || c < 0x20 || c >= 0x7f;
}

START_TEST(one_byte_anywhere)
{
    for (unsigned c = 0; c < 256; c++)
        for (size_t at = 0; at < 8; at++) {
            unsigned char w[16];
            memset(w, 'a', sizeof w);
            w[at + 8] = (unsigned char)c;
            size_t r = plain_run(w, 0, sizeof w);
            /* the clean first word is skipped; the second is stopped at
             * exactly when it holds a stop byte */
            ck_assert_uint_eq(r, must_stop(c) ? 8 : 16);
        }
}
END_TEST

START_TEST(every_pair)
{
    /* borrows and carries between neighbours must not hide a stop byte */
    for (unsigned a = 0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++)
            for (size_t at = 0; at < 7; at += 3) {
                unsigned char w[8];
                memset(w, 'z', sizeof w);
                w[at] = (unsigned char)a;
                w[at + 1] = (unsigned char)b;
                size_t r = plain_run(w, 0, sizeof w);
                if (must_stop(a) || must_stop(b))
                    ck_assert_uint_eq(r, 0);
                else
                    ck_assert_uint_eq(r, 8);
            }
}
END_TEST

START_TEST(short_tail_left_alone)
{
    const unsigned char s[] = "abcdefgh\"bc";
    ck_assert_uint_eq(plain_run(s, 0, 11), 8); /* 3 left: not looked at */
    ck_assert_uint_eq(plain_run(s, 4, 11), 4); /* the word at 4 has the quote */
    ck_assert_uint_eq(plain_run(s, 11, 11), 11);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, one_byte_anywhere);
    tcase_add_test(t, every_pair);
    tcase_add_test(t, short_tail_left_alone);
}

int main(void)
{
    return check_main("plainrun", add_tests);
}
