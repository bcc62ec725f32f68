/* test_framer.c - the framer cuts JSON and varint streams into the right
 * records, whatever the chunking, with the right lines and offsets, and
 * handles over-long and damaged records without losing the next one. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "codec/framer.h"

#define MAXREC 64

typedef struct got {
    char data[16][FRAMER_HEAD_KEEP + 1];
    size_t len[16];
    uint64_t line[16], start[16], end[16], size[16];
    const char *reject[16];
    int n;
    int rc; /* last framer_next result */
} got;

static void take(framer *f, got *g)
{
    framer_record r;
    while ((g->rc = framer_next(f, &r)) == 1) {
        ck_assert_int_lt(g->n, 16);
        ck_assert_uint_le(r.len, FRAMER_HEAD_KEEP);
        memcpy(g->data[g->n], r.data, r.len);
        g->data[g->n][r.len] = '\0';
        g->len[g->n] = r.len;
        g->line[g->n] = r.line;
        g->start[g->n] = r.start;
        g->end[g->n] = r.end;
        g->size[g->n] = r.size;
        g->reject[g->n] = r.reject;
        g->n++;
    }
}

/* Feed s in chunks of `chunk` bytes (0: all at once), then finish. */
static void run(framer_mode mode, size_t max, const char *s, size_t len, size_t chunk, got *g)
{
    framer *f = framer_new(mode, max, 0);
    ck_assert_ptr_nonnull(f);
    memset(g, 0, sizeof(*g));
    size_t step = chunk ? chunk : (len ? len : 1);
    for (size_t i = 0; i < len; i += step) {
        size_t n = len - i < step ? len - i : step;
        ck_assert_int_eq(framer_feed(f, s + i, n), 0);
        take(f, g);
    }
    framer_finish(f);
    take(f, g);
    framer_free(f);
}

static void run_json(const char *s, size_t chunk, got *g)
{
    run(FRAMER_JSON, MAXREC, s, strlen(s), chunk, g);
}

START_TEST(one_per_line)
{
    const char *in = "{\"a\":1}\n{\"b\":\"x}{\"}\n\n  {\"c\":{\"d\":[1,{}]}}\n";
    for (size_t chunk = 0; chunk < 8; chunk++) {
        static got g;
        run_json(in, chunk, &g);
        ck_assert_int_eq(g.n, 3);
        ck_assert_str_eq(g.data[0], "{\"a\":1}");
        ck_assert_str_eq(g.data[1], "{\"b\":\"x}{\"}");
        ck_assert_str_eq(g.data[2], "{\"c\":{\"d\":[1,{}]}}");
        ck_assert_uint_eq(g.line[0], 1);
        ck_assert_uint_eq(g.line[1], 2);
        ck_assert_uint_eq(g.line[2], 4);
        ck_assert_uint_eq(g.start[2], 23);
        ck_assert_uint_eq(g.end[0], 7);
        ck_assert_uint_eq(g.end[2], strlen(in) - 1);
        ck_assert_ptr_null(g.reject[0]);
    }
}
END_TEST

START_TEST(pretty_printed)
{
    const char *in = "{\n  \"a\": {\n    \"b\": \"q\\\"}\"\n  },\n  \"c\": [\n    {\n"
                     "      \"d\": 1\n    }\n  ]\n}\n{\n  \"e\": 2\n}\n";
    for (size_t chunk = 0; chunk < 5; chunk++) {
        static got g;
        run_json(in, chunk, &g);
        ck_assert_int_eq(g.n, 2);
        ck_assert_uint_eq(g.line[0], 1);
        ck_assert_uint_eq(g.line[1], 11);
        ck_assert_str_eq(g.data[1], "{\n  \"e\": 2\n}");
        ck_assert_ptr_null(strstr(g.data[0], "\"e\""));
    }
}
END_TEST

START_TEST(concatenated_and_crlf)
{
    static got g;
    run_json("{\"a\":1}{\"b\":2}\r\n{\"c\":3}", 0, &g);
    ck_assert_int_eq(g.n, 3);
    ck_assert_str_eq(g.data[1], "{\"b\":2}");
    ck_assert_str_eq(g.data[2], "{\"c\":3}");
    ck_assert_uint_eq(g.line[2], 2);
}
END_TEST

/* Non-objects come out a line at a time for the decoder to name. */
START_TEST(garbage_lines)
{
    static got g;
    run_json("hello world\n[1,2]\n{\"ok\":1}\n42", 0, &g);
    ck_assert_int_eq(g.n, 4);
    ck_assert_str_eq(g.data[0], "hello world");
    ck_assert_str_eq(g.data[1], "[1,2]");
    ck_assert_str_eq(g.data[2], "{\"ok\":1}");
    ck_assert_str_eq(g.data[3], "42");
    ck_assert_uint_eq(g.line[3], 4);
}
END_TEST

/* An unterminated line loses only itself: a '{' in column 0 inside an open
 * object starts the next record, and so does a raw newline in a string. */
START_TEST(resync)
{
    static got g;
    run_json("{\"a\":{\"b\":1}\n{\"c\":2}\n{\"s\":\"abc\n{\"d\":3}\n{\"e\":", 1, &g);
    ck_assert_int_eq(g.n, 5);
    ck_assert_str_eq(g.data[0], "{\"a\":{\"b\":1}");
    ck_assert_str_eq(g.data[1], "{\"c\":2}");
    ck_assert_str_eq(g.data[2], "{\"s\":\"abc");
    ck_assert_str_eq(g.data[3], "{\"d\":3}");
    ck_assert_uint_eq(g.line[3], 4);
    ck_assert_str_eq(g.data[4], "{\"e\":"); /* cut by end of input */
    ck_assert_uint_eq(g.line[4], 5);
}
END_TEST

START_TEST(too_long_skipped_without_buffering)
{
    char in[4096];
    size_t n = 0;
    n += (size_t)snprintf(in + n, sizeof(in) - n, "{\"a\":1}\n{\"big\":\"");
    for (int i = 0; i < 1000; i++)
        in[n++] = (i % 7 == 0) ? '}' : 'x'; /* braces inside a string do not count */
    n += (size_t)snprintf(in + n, sizeof(in) - n, "\",\"n\":{\"m\":2}}\n{\"b\":2}\n");
    for (size_t chunk = 0; chunk < 40; chunk += 13) {
        static got g;
        run(FRAMER_JSON, MAXREC, in, n, chunk, &g);
        ck_assert_int_eq(g.n, 3);
        ck_assert_str_eq(g.data[0], "{\"a\":1}");
        ck_assert_str_eq(g.reject[1], "too_long");
        ck_assert_uint_eq(g.size[1], 8 + 1000 + 14);
        ck_assert_uint_eq(g.len[1], g.size[1] > FRAMER_HEAD_KEEP ? FRAMER_HEAD_KEEP : g.size[1]);
        ck_assert_int_eq(strncmp(g.data[1], "{\"big\":\"", 8), 0);
        ck_assert_uint_eq(g.line[1], 2);
        ck_assert_str_eq(g.data[2], "{\"b\":2}");
        ck_assert_ptr_null(g.reject[2]);
        ck_assert_uint_eq(g.line[2], 3);
    }
}
END_TEST

START_TEST(too_long_garbage_line)
{
    char in[512];
    memset(in, 'x', 300);
    memcpy(in + 300, "\n{\"b\":2}\n", 10);
    for (size_t chunk = 0; chunk < 70; chunk += 7) {
        static got g;
        run(FRAMER_JSON, MAXREC, in, 309, chunk, &g);
        ck_assert_int_eq(g.n, 2);
        ck_assert_str_eq(g.reject[0], "too_long");
        ck_assert_uint_eq(g.size[0], 300);
        ck_assert_uint_eq(g.end[0], 300);
        ck_assert_str_eq(g.data[1], "{\"b\":2}");
        ck_assert_uint_eq(g.line[1], 2);
    }
}
END_TEST

START_TEST(exactly_max_is_fine)
{
    char in[MAXREC + 2];
    memset(in, 'x', sizeof(in));
    in[0] = '{';
    in[1] = '"';
    in[MAXREC - 3] = '"';
    in[MAXREC - 2] = ':';
    in[MAXREC - 1] = '1';
    in[MAXREC] = '}';
    in[MAXREC + 1] = '\0';
    static got g;
    run_json(in + 0, 0, &g); /* MAXREC + 1 bytes: one too many */
    ck_assert_int_eq(g.n, 1);
    ck_assert_str_eq(g.reject[0], "too_long");
    memmove(in + MAXREC - 1, in + MAXREC, 2); /* drop one byte: exactly MAXREC */
    run_json(in, 0, &g);
    ck_assert_int_eq(g.n, 1);
    ck_assert_ptr_null(g.reject[0]);
    ck_assert_uint_eq(g.len[0], MAXREC);
}
END_TEST

START_TEST(base_offset)
{
    framer *f = framer_new(FRAMER_JSON, MAXREC, 1000);
    framer_record r;
    ck_assert_int_eq(framer_feed(f, "  {\"a\":1}\n", 10), 0);
    ck_assert_int_eq(framer_next(f, &r), 1);
    ck_assert_uint_eq(r.start, 1002);
    ck_assert_uint_eq(r.end, 1009);
    ck_assert_int_eq(framer_next(f, &r), 0);
    ck_assert_uint_eq(framer_offset(f), 1010);
    framer_free(f);
}
END_TEST

static size_t put_varint(char *p, uint64_t v)
{
    size_t n = 0;
    do {
        p[n++] = (char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

/* Escapes, braces and quotes inside strings, at every chunk boundary:
 * the framer's fast loop and its byte-at-a-time path must agree. */
START_TEST(chunking_never_changes_records)
{
    const char *in = "{\"a\":\"\\\\\",\"b\":\"}{\\\"{\"}\n"
                     "{\"c\":{\"d\":\"\\\\\\\"}\"},\"e\":[{},{\"f\":\"\xc3\xa9}\"}]}"
                     "{\"g\":\"x\\\\\"}\r\n{\"h\":\"{{{\"}\n";
    static got whole, g;
    run_json(in, 0, &whole);
    ck_assert_int_eq(whole.n, 4);
    ck_assert_str_eq(whole.data[0], "{\"a\":\"\\\\\",\"b\":\"}{\\\"{\"}");
    ck_assert_str_eq(whole.data[3], "{\"h\":\"{{{\"}");
    for (size_t chunk = 1; chunk < 20; chunk++) {
        run_json(in, chunk, &g);
        ck_assert_int_eq(g.n, whole.n);
        for (int i = 0; i < g.n; i++) {
            ck_assert_str_eq(g.data[i], whole.data[i]);
            ck_assert_uint_eq(g.line[i], whole.line[i]);
            ck_assert_uint_eq(g.end[i], whole.end[i]);
        }
    }
}
END_TEST

/* A line cut right after a backslash inside a string loses only itself:
 * the newline is not taken as the escaped character. */
START_TEST(cut_after_backslash)
{
    const char *in = "{\"a\":\"trunc\\\n{\"b\":1}\n{\"c\":2}\n";
    for (size_t chunk = 0; chunk < 6; chunk++) {
        static got g;
        run_json(in, chunk, &g);
        ck_assert_int_eq(g.n, 3);
        ck_assert_str_eq(g.data[0], "{\"a\":\"trunc\\");
        ck_assert_str_eq(g.data[1], "{\"b\":1}");
        ck_assert_str_eq(g.data[2], "{\"c\":2}");
        ck_assert_uint_eq(g.line[1], 2);
    }
}
END_TEST

START_TEST(varint_records)
{
    char in[512];
    size_t n = 0;
    n += put_varint(in + n, 3);
    memcpy(in + n, "abc", 3), n += 3;
    n += put_varint(in + n, 0);
    n += put_varint(in + n, 200); /* over MAXREC: skipped */
    memset(in + n, 'z', 200), n += 200;
    n += put_varint(in + n, 2);
    memcpy(in + n, "de", 2), n += 2;
    for (size_t chunk = 0; chunk < 10; chunk++) {
        static got g;
        run(FRAMER_VARINT, MAXREC, in, n, chunk, &g);
        ck_assert_int_eq(g.rc, 0);
        ck_assert_int_eq(g.n, 4);
        ck_assert_str_eq(g.data[0], "abc");
        ck_assert_uint_eq(g.start[0], 0);
        ck_assert_uint_eq(g.end[0], 4);
        ck_assert_uint_eq(g.len[1], 0);
        ck_assert_ptr_null(g.reject[1]);
        ck_assert_str_eq(g.reject[2], "too_long");
        ck_assert_uint_eq(g.size[2], 200);
        ck_assert_str_eq(g.data[3], "de");
        ck_assert_uint_eq(g.end[3], n);
        ck_assert_uint_eq(g.line[3], 0);
    }
}
END_TEST

START_TEST(varint_truncated_and_corrupt)
{
    static got g;
    char in[16] = {5, 'a', 'b'};
    run(FRAMER_VARINT, MAXREC, in, 3, 0, &g);
    ck_assert_int_eq(g.n, 1);
    ck_assert_str_eq(g.reject[0], "truncated");
    memset(in, 0xff, sizeof(in));
    run(FRAMER_VARINT, MAXREC, in, sizeof(in), 0, &g);
    ck_assert_int_eq(g.n, 0);
    ck_assert_int_eq(g.rc, -1);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, one_per_line);
    tcase_add_test(t, pretty_printed);
    tcase_add_test(t, concatenated_and_crlf);
    tcase_add_test(t, garbage_lines);
    tcase_add_test(t, resync);
    tcase_add_test(t, too_long_skipped_without_buffering);
    tcase_add_test(t, too_long_garbage_line);
    tcase_add_test(t, exactly_max_is_fine);
    tcase_add_test(t, base_offset);
    tcase_add_test(t, chunking_never_changes_records);
    tcase_add_test(t, cut_after_backslash);
    tcase_add_test(t, varint_records);
    tcase_add_test(t, varint_truncated_and_corrupt);
}

int main(void)
{
    return check_main("framer", add_tests);
}
