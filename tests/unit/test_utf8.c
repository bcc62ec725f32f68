/* test_utf8.c - utf8_seq_len() against RFC 3629's boundaries, and the two
 * codec loops that share it: whatever the protojson writer emits, the JSON
 * scanner must accept, and the scanner must accept a raw sequence exactly
 * when utf8_seq_len() does.  The expected lengths come from an encoder
 * written here, not from the function under test. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "util/buf.h"
#include "codec/jsonscan.h"
#include "codec/pjson.h"
#include "codec/utf8.h"

/* The UTF-8 form of code point u in out; returns its length. */
static size_t encode(unsigned long u, unsigned char *out)
{
    if (u < 0x80) {
        out[0] = (unsigned char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (unsigned char)(0xC0 | u >> 6);
        out[1] = (unsigned char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        out[0] = (unsigned char)(0xE0 | u >> 12);
        out[1] = (unsigned char)(0x80 | (u >> 6 & 0x3F));
        out[2] = (unsigned char)(0x80 | (u & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | u >> 18);
    out[1] = (unsigned char)(0x80 | (u >> 12 & 0x3F));
    out[2] = (unsigned char)(0x80 | (u >> 6 & 0x3F));
    out[3] = (unsigned char)(0x80 | (u & 0x3F));
    return 4;
}

START_TEST(every_code_point)
{
    unsigned char s[4];
    for (unsigned long u = 0; u <= 0x10FFFF; u++) {
        size_t k = encode(u, s);
        size_t want = u >= 0xD800 && u <= 0xDFFF ? 0 : k;
        ck_assert_msg(utf8_seq_len(s, k) == want, "U+%04lX: %zu, want %zu", u, utf8_seq_len(s, k),
                      want);
        if (k > 1)
            ck_assert_msg(utf8_seq_len(s, k - 1) == 0, "U+%04lX cut short accepted", u);
    }
}
END_TEST

static const struct {
    const char *s;
    const char *why;
} bad[] = {
    {"\x80", "continuation byte first"},
    {"\xBF", "continuation byte first"},
    {"\xC0\x80", "overlong U+0000"},
    {"\xC1\xBF", "overlong U+007F"},
    {"\xE0\x9F\xBF", "overlong U+07FF"},
    {"\xED\xA0\x80", "surrogate U+D800"},
    {"\xED\xBF\xBF", "surrogate U+DFFF"},
    {"\xF0\x8F\xBF\xBF", "overlong U+FFFF"},
    {"\xF4\x90\x80\x80", "U+110000"},
    {"\xF5\x80\x80\x80", "lead byte above F4"},
    {"\xFF", "0xFF"},
    {"\xC3\x28", "ASCII where a continuation belongs"},
    {"\xE2\x82\x28", "ASCII as the third byte"},
    {"\xF0\x90\x80\xC0", "a lead byte as the fourth byte"},
};

START_TEST(malformed)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const unsigned char *s = (const unsigned char *)bad[i].s;
        ck_assert_msg(utf8_seq_len(s, strlen(bad[i].s)) == 0, "%s accepted", bad[i].why);
    }
}
END_TEST

/* {"s":"<bytes>"} through the scanner; PJ_OK or its error. */
static pj_status scan_string_of(const unsigned char *s, size_t n)
{
    char json[64];
    size_t erroff;
    const char *msg;
    jscan sc = {0};
    memcpy(json, "{\"s\":\"", 6);
    memcpy(json + 6, s, n);
    memcpy(json + 6 + n, "\"}", 2);
    pj_status st = jscan_run(&sc, json, n + 8, &erroff, &msg);
    jscan_free(&sc);
    return st;
}

/* Every two-byte string, the lead bytes' whole neighbourhood: the scanner
 * agrees with utf8_seq_len() on the raw bytes, and the writer's output of
 * them always scans. */
START_TEST(scanner_and_writer_agree)
{
    buf b = BUF_INIT;
    for (unsigned v = 0x8000; v <= 0xFFFF; v++) {
        unsigned char s[2] = {(unsigned char)(v >> 8), (unsigned char)v};
        int valid = utf8_seq_len(s, 2) == 2;
        pj_status st = scan_string_of(s, 2);
        ck_assert_msg((st == PJ_OK) == valid, "%02X %02X: scanner %d, utf8_seq_len %d", s[0], s[1],
                      st, valid);
        buf_reset(&b);
        ck_assert_int_eq(pj_put_string(&b, (const char *)s, 2), 0);
        ck_assert_msg(b.len >= 2 && b.len - 2 <= 24, "%02X %02X: %zu bytes", s[0], s[1], b.len);
        ck_assert_msg(scan_string_of((const unsigned char *)b.p + 1, b.len - 2) == PJ_OK,
                      "%02X %02X: writer output %s rejected", s[0], s[1], b.p);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_reset(&b);
        ck_assert_int_eq(pj_put_string(&b, bad[i].s, strlen(bad[i].s)), 0);
        ck_assert_msg(scan_string_of((const unsigned char *)bad[i].s, strlen(bad[i].s)) ==
                          PJ_ERR_UTF8,
                      "scanner accepted %s", bad[i].why);
        ck_assert_msg(scan_string_of((const unsigned char *)b.p + 1, b.len - 2) == PJ_OK,
                      "writer output for %s rejected", bad[i].why);
    }
    buf_free(&b);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, every_code_point);
    tcase_add_test(t, malformed);
    tcase_add_test(t, scanner_and_writer_agree);
}

int main(void)
{
    return check_main("utf8", add_tests);
}
