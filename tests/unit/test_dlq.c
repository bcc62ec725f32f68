/* test_dlq.c - dead-letter lines are valid JSON that carry the record
 * whole (or as base64 when it is not UTF-8), checked by parsing them back
 * with jansson. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "kafka/dlq.h"

static json_t *parse_line(const char *line)
{
    json_error_t e;
    json_t *j = json_loads(line, 0, &e);
    ck_assert_msg(j != NULL, "not JSON: %s (%s)", line, e.text);
    return j;
}

START_TEST(format_text_record)
{
    const char rec[] = "{\"a\":\"q\\\"\"\n\t\x01 caf\xc3\xa9}";
    dlq_entry e = {"invalid_json",  "in.log",       7, 120, "bad \"thing\"", rec,
                   sizeof(rec) - 1, sizeof(rec) - 1};
    char out[1024];
    size_t n = dlq_format(&e, out, sizeof(out));
    ck_assert_uint_ne(n, (size_t)-1);
    ck_assert_int_eq(out[n - 1], '\n');
    ck_assert_ptr_null(memchr(out, '\n', n - 1)); /* one line */
    out[n] = '\0';
    json_t *j = parse_line(out);
    ck_assert_str_eq(json_string_value(json_object_get(j, "reason")), "invalid_json");
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "in.log");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "line")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "offset")), 120);
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")), "bad \"thing\"");
    ck_assert_str_eq(json_string_value(json_object_get(j, "record")), rec);
    ck_assert_ptr_null(json_object_get(j, "truncated"));
    json_decref(j);
}
END_TEST

START_TEST(format_binary_and_truncated)
{
    const unsigned char rec[] = {'{', 0xff, 0xfe, 'x', 0xc0, 0xaf};
    dlq_entry e = {"invalid_utf8", "-", 0, 0, NULL, rec, sizeof(rec), 5000};
    char out[512];
    size_t n = dlq_format(&e, out, sizeof(out));
    ck_assert_uint_ne(n, (size_t)-1);
    out[n] = '\0';
    json_t *j = parse_line(out);
    ck_assert_ptr_null(json_object_get(j, "record"));
    ck_assert_ptr_null(json_object_get(j, "line"));
    ck_assert_str_eq(json_string_value(json_object_get(j, "record_base64")), "e//+eMCv");
    ck_assert(json_is_true(json_object_get(j, "truncated")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "size")), 5000);
    json_decref(j);
    ck_assert_uint_eq(dlq_format(&e, out, 20), (size_t)-1);
}
END_TEST

START_TEST(utf8_validation)
{
    ck_assert_uint_eq(dlq_utf8_valid((const unsigned char *)"abc", 3), 3);
    ck_assert_uint_eq(dlq_utf8_valid((const unsigned char *)"\xe2\x82\xac", 3), 3);
    ck_assert_uint_eq(dlq_utf8_valid((const unsigned char *)"a\xc0\x80", 3), 1);    /* overlong */
    ck_assert_uint_eq(dlq_utf8_valid((const unsigned char *)"\xed\xa0\x80", 3), 0); /* surrogate */
    ck_assert_uint_eq(dlq_utf8_valid((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
    ck_assert_uint_eq(dlq_utf8_valid((const unsigned char *)"ab\xe2\x82", 4), 2); /* cut */
}
END_TEST

START_TEST(file_backend_appends)
{
    char path[] = "/tmp/test_dlq_XXXXXX", err[256], line[4096];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    for (int round = 0; round < 2; round++) {
        dlq *d = dlq_open_file(path, err, sizeof(err));
        ck_assert_ptr_nonnull(d);
        dlq_entry e = {"too_long", "x", 1, 0, NULL, "{\"big\":", 7, 9999};
        ck_assert_int_eq(dlq_write(d, &e, err, sizeof(err)), 0);
        ck_assert_uint_eq(dlq_count(d), 1);
        ck_assert_int_eq(dlq_close(d, err, sizeof(err)), 0);
    }
    FILE *fp = fopen(path, "r");
    int lines = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        json_t *j = parse_line(line);
        ck_assert_str_eq(json_string_value(json_object_get(j, "record")), "{\"big\":");
        json_decref(j);
        lines++;
    }
    fclose(fp);
    ck_assert_int_eq(lines, 2);
    unlink(path);
    ck_assert_ptr_null(dlq_open_file("-", err, sizeof(err)));
    ck_assert_ptr_null(dlq_open_file("/nonexistent/dir/dlq", err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/dlq"));
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, format_text_record);
    tcase_add_test(t, format_binary_and_truncated);
    tcase_add_test(t, utf8_validation);
    tcase_add_test(t, file_backend_appends);
}

int main(void)
{
    return check_main("dlq", add_tests);
}
