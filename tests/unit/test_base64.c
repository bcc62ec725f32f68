/* test_base64.c - the one base64 of the tree: RFC 4648's test vectors both
 * ways, both alphabets, optional padding, white space only when asked
 * (kubeconfig), and the malformed inputs every user must refuse. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "util/base64.h"

static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

START_TEST(rfc4648_vectors)
{
    char out[32];
    unsigned char back[32];
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        size_t n = strlen(plain[i]);
        ck_assert_uint_eq(b64_encode(out, plain[i], n), strlen(coded[i]));
        ck_assert_uint_eq(B64_ENCODED_LEN(n), strlen(coded[i]));
        ck_assert_mem_eq(out, coded[i], strlen(coded[i]));
        long len = b64_decode(coded[i], strlen(coded[i]), back, 0);
        ck_assert_int_eq(len, (long)n);
        ck_assert_mem_eq(back, plain[i], n);
    }
}
END_TEST

START_TEST(every_byte_round_trips)
{
    unsigned char all[256], back[B64_DECODED_MAX(B64_ENCODED_LEN(256))];
    char text[B64_ENCODED_LEN(256)];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)(255 - i);
    for (size_t n = 0; n <= 256; n += 1 + n / 8) {
        size_t k = b64_encode(text, all, n);
        ck_assert_int_eq(b64_decode(text, k, back, 0), (long)n);
        ck_assert_mem_eq(back, all, n);
    }
}
END_TEST

START_TEST(url_safe_and_unpadded)
{
    unsigned char back[16];
    /* 0xfb 0xff 0xbf: "+/+/" standard, "-_-_" URL-safe */
    ck_assert_int_eq(b64_decode("-_-_", 4, back, 0), 3);
    ck_assert_int_eq(back[0], 0xfb);
    ck_assert_int_eq(back[1], 0xff);
    ck_assert_int_eq(back[2], 0xbf);
    ck_assert_int_eq(b64_decode("+/+/", 4, back, 0), 3);
    ck_assert_int_eq(back[2], 0xbf);
    ck_assert_int_eq(b64_decode("Zg", 2, back, 0), 1);
    ck_assert_int_eq(back[0], 'f');
    ck_assert_int_eq(b64_decode("Zm8", 3, back, 0), 2);
}
END_TEST

START_TEST(white_space_on_request)
{
    unsigned char back[16];
    ck_assert_int_eq(b64_decode("TWE=\n", 5, back, B64_SKIP_SPACE), 2);
    ck_assert_mem_eq(back, "Ma", 2);
    ck_assert_int_eq(b64_decode("T Q\n==", 6, back, B64_SKIP_SPACE), 1);
    ck_assert_int_eq(back[0], 'M');
    ck_assert_int_eq(b64_decode("\tTW\r\nFu \n", 9, back, B64_SKIP_SPACE), 3);
    ck_assert_mem_eq(back, "Man", 3);
    ck_assert_int_eq(b64_decode("TWE=\n", 5, back, 0), -1);
    ck_assert_int_eq(b64_decode("T Q==", 5, back, 0), -1);
}
END_TEST

START_TEST(malformed)
{
    unsigned char back[16];
    ck_assert_int_eq(b64_decode("T", 1, back, 0), -1); /* a lone last digit */
    ck_assert_int_eq(b64_decode("TWFuT", 5, back, 0), -1);
    ck_assert_int_eq(b64_decode("TW%u", 4, back, 0), -1);     /* not an alphabet */
    ck_assert_int_eq(b64_decode("TQ==TQ==", 8, back, 0), -1); /* data after padding */
    ck_assert_int_eq(b64_decode("TQ==TQ==", 8, back, B64_SKIP_SPACE), -1);
    ck_assert_int_eq(b64_decode("T=Q", 3, back, 0), -1);
    ck_assert_int_eq(b64_decode("TWFu\x80", 5, back, 0), -1);
    ck_assert_int_eq(b64_decode("", 0, back, 0), 0);
    ck_assert_int_eq(b64_decode("==", 2, back, 0), 0);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, rfc4648_vectors);
    tcase_add_test(t, every_byte_round_trips);
    tcase_add_test(t, url_safe_and_unpadded);
    tcase_add_test(t, white_space_on_request);
    tcase_add_test(t, malformed);
}

int main(void)
{
    return check_main("base64", add_tests);
}
