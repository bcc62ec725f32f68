/* test_capture_record.c - one framed record through record_handle: a good
 * event reaches the output, a bad one is counted under its reason and
 * written whole to the dead-letter file without stopping the stream, the
 * framer's own rejections (too long, truncated) are described, unknown
 * fields are counted, and with --state every record leaves a checkpoint
 * that waits for the events before it.  Only a failing dead-letter output
 * stops the run. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "util/msg.h"
#include "../../capture/capture.h"

static const char good[] = "{\"process_exec\":{\"process\":{\"pid\":42,\"binary\":\"/bin/sh\"}},"
                           "\"node_name\":\"n1\"}";

typedef struct rig {
    capture c;
    capture_opts opts;
    FILE *out_fp;
} rig;

static rig R;
static char dlq_tmp[64];

static void rig_open(const char *dlq_path, const char *state)
{
    char err[256];
    memset(&R, 0, sizeof R);
    R.opts.input = FRAMER_JSON;
    R.opts.max_record = 1024;
    R.opts.state = (char *)state;
    R.c.opts = &R.opts;
    stats_init(&R.c.st);
    R.c.arena = pj_arena_new();
    ck_assert_ptr_nonnull(R.c.arena);
    R.out_fp = tmpfile();
    ck_assert_ptr_nonnull(R.out_fp);
    output_conf oc = {OUTPUT_JSON, R.out_fp, NULL, NULL, NULL};
    R.c.out = output_open(&oc, err, sizeof err);
    ck_assert_msg(R.c.out != NULL, "%s", err);
    R.c.in = input_open_named("events.json", err, sizeof err);
    ck_assert_ptr_nonnull(R.c.in);
    follow_pos file = {3, 4, 0};
    R.c.file = file;
    if (dlq_path != NULL) {
        R.c.dlq = dlq_open_file(dlq_path, err, sizeof err);
        ck_assert_msg(R.c.dlq != NULL, "%s", err);
    }
}

static void rig_close(void)
{
    char err[256];
    if (R.c.dlq != NULL)
        ck_assert_int_eq(dlq_close(R.c.dlq, err, sizeof err), 0);
    output_free(R.c.out);
    input_close(R.c.in);
    pj_arena_free(R.c.arena);
    ckpt_free(&R.c.ckpts);
    fclose(R.out_fp);
}

static void setup(void)
{
    msg_init("test_capture_record", MSG_QUIET);
    msg_ratelimit_reset();
    snprintf(dlq_tmp, sizeof dlq_tmp, "/tmp/test_capture_record.XXXXXX");
}

static int handle(const char *data, size_t size, uint64_t line, uint64_t start, const char *reject)
{
    size_t len = strlen(data);
    framer_record r = {data,  len, size ? size : len, line, start, start + (size ? size : len),
                       reject};
    return record_handle(&R.c, &r);
}

/* The dead-letter file's lines as JSON objects (array; caller frees). */
static json_t *dead_letters(const char *path)
{
    FILE *fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    json_t *all = json_array();
    char line[8192];
    while (fgets(line, sizeof line, fp) != NULL) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        ck_assert_msg(o != NULL, "dead letter is not JSON: %s", je.text);
        json_array_append_new(all, o);
    }
    fclose(fp);
    return all;
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static char *output_text(void)
{
    static char text[4096];
    ck_assert_int_eq(fflush(R.out_fp), 0);
    rewind(R.out_fp);
    size_t n = fread(text, 1, sizeof text - 1, R.out_fp);
    text[n] = '\0';
    return text;
}

static char *temp_path(void)
{
    int fd = mkstemp(dlq_tmp);
    ck_assert_int_ge(fd, 0);
    close(fd);
    return dlq_tmp;
}

START_TEST(good_event_reaches_output)
{
    rig_open(NULL, NULL);
    ck_assert_int_eq(handle(good, 0, 1, 0, NULL), 0);
    ck_assert_uint_eq(stats_get(&R.c.st, "read"), 1);
    ck_assert_uint_eq(stats_get(&R.c.st, "rejected"), 0);
    ck_assert_uint_eq(output_written(R.c.out), 1);
    const char *text = output_text();
    ck_assert_ptr_nonnull(strstr(text, "\"binary\":\"/bin/sh\""));
    ck_assert_ptr_nonnull(strstr(text, "\"node_name\":\"n1\""));
    rig_close();
}
END_TEST

/* Bad records are counted and dead-lettered; the good ones around them
 * still go out. */
START_TEST(bad_records_counted_and_dead_lettered)
{
    char *path = temp_path();
    rig_open(path, NULL);
    ck_assert_int_eq(handle(good, 0, 1, 0, NULL), 0);
    ck_assert_int_eq(handle("{\"process_exec\":", 0, 2, 60, NULL), 0);    /* not JSON */
    ck_assert_int_eq(handle("[1,2]", 0, 3, 80, NULL), 0);                 /* not an event */
    ck_assert_int_eq(handle("{\"node_name\":7}", 0, 4, 90, NULL), 0);     /* wrong type */
    ck_assert_int_eq(handle("{\"x\":\"\xff\xfe\"}", 0, 5, 110, NULL), 0); /* bad UTF-8 */
    ck_assert_int_eq(handle(good, 0, 6, 130, NULL), 0);
    ck_assert_uint_eq(stats_get(&R.c.st, "read"), 6);
    ck_assert_uint_eq(stats_get(&R.c.st, "rejected"), 4);
    ck_assert_uint_eq(stats_get(&R.c.st, "invalid_json"), 1);
    ck_assert_uint_eq(stats_get(&R.c.st, "not_event"), 1);
    ck_assert_uint_eq(stats_get(&R.c.st, "wrong_type"), 1);
    ck_assert_uint_eq(stats_get(&R.c.st, "invalid_utf8"), 1);
    ck_assert_uint_eq(output_written(R.c.out), 2);
    rig_close();

    json_t *dl = dead_letters(path);
    ck_assert_uint_eq(json_array_size(dl), 4);
    json_t *first = json_array_get(dl, 0);
    ck_assert_str_eq(str(first, "reason"), "invalid_json");
    ck_assert_str_eq(str(first, "source"), "events.json");
    ck_assert_int_eq(json_integer_value(json_object_get(first, "line")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(first, "offset")), 60);
    ck_assert_str_eq(str(first, "record"), "{\"process_exec\":");
    /* the wrong type names the field that had it */
    ck_assert_ptr_nonnull(strstr(str(json_array_get(dl, 2), "error"), "node_name"));
    /* bytes that are not UTF-8 travel as base64, whole */
    ck_assert_ptr_nonnull(json_object_get(json_array_get(dl, 3), "record_base64"));
    json_decref(dl);
    remove(path);
}
END_TEST

/* The framer's rejections carry their own words: the limit for too_long
 * (with the full size, though only a head is kept), end of input for
 * truncated. */
START_TEST(framer_rejections_described)
{
    char *path = temp_path();
    rig_open(path, NULL);
    ck_assert_int_eq(handle("{\"process_exec\":{\"process\"", 5000, 1, 0, "too_long"), 0);
    ck_assert_int_eq(handle("{\"node_", 0, 9, 5000, "truncated"), 0);
    ck_assert_uint_eq(stats_get(&R.c.st, "too_long"), 1);
    ck_assert_uint_eq(stats_get(&R.c.st, "truncated"), 1);
    ck_assert_uint_eq(stats_get(&R.c.st, "rejected"), 2);
    ck_assert_uint_eq(output_written(R.c.out), 0);
    rig_close();
    json_t *dl = dead_letters(path);
    json_t *big = json_array_get(dl, 0);
    ck_assert_ptr_nonnull(strstr(str(big, "error"), "5000 bytes"));
    ck_assert_ptr_nonnull(strstr(str(big, "error"), "1024"));
    ck_assert(json_is_true(json_object_get(big, "truncated")));
    ck_assert_int_eq(json_integer_value(json_object_get(big, "size")), 5000);
    ck_assert_str_eq(str(json_array_get(dl, 1), "error"), "input ended inside a record");
    json_decref(dl);
    remove(path);
}
END_TEST

START_TEST(unknown_fields_counted_not_rejected)
{
    rig_open(NULL, NULL);
    const char *ev = "{\"process_exec\":{\"process\":{\"pid\":1}},\"from_the_future\":1,"
                     "\"also_new\":{\"x\":[1]}}";
    ck_assert_int_eq(handle(ev, 0, 1, 0, NULL), 0);
    ck_assert_uint_eq(stats_get(&R.c.st, "rejected"), 0);
    ck_assert_uint_eq(stats_get(&R.c.st, "unknown_fields"), 2);
    ck_assert_uint_eq(output_written(R.c.out), 1);
    rig_close();
}
END_TEST

/* With --state each record's end is a checkpoint that waits for the
 * events written so far; a rejected record waits for the same event as
 * the one before it. */
START_TEST(checkpoints_follow_the_events)
{
    rig_open(NULL, "/nonexistent/state");
    follow_pos p;
    ck_assert_int_eq(handle("not json", 0, 1, 0, NULL), 0); /* before any event */
    ck_assert_int_eq(handle(good, 0, 2, 9, NULL), 0);
    ck_assert_int_eq(handle("nope", 0, 3, 9 + sizeof good - 1, NULL), 0);
    ck_assert_int_eq(ckpt_pop_done(&R.c.ckpts, 0, &p), 1);
    ck_assert_uint_eq(p.offset, 8); /* the first record's end */
    ck_assert_uint_eq(p.dev, 3);
    ck_assert_uint_eq(p.ino, 4);
    ck_assert_int_eq(ckpt_pop_done(&R.c.ckpts, 0, &p), 0); /* the event is not delivered */
    ck_assert_int_eq(ckpt_pop_done(&R.c.ckpts, 1, &p), 1);
    ck_assert_uint_eq(p.offset, 9 + sizeof good - 1 + 4); /* past the rejected record */
    rig_close();
}
END_TEST

START_TEST(no_checkpoints_without_state)
{
    rig_open(NULL, NULL);
    ck_assert_int_eq(handle(good, 0, 1, 0, NULL), 0);
    ck_assert_uint_eq(R.c.ckpts.len, 0);
    rig_close();
}
END_TEST

/* A dead-letter file that cannot be written stops the run: the record
 * would be lost otherwise. */
START_TEST(dead_letter_failure_stops)
{
    rig_open("/dev/full", NULL);
    ck_assert_int_eq(handle("garbage", 0, 1, 0, NULL), -1);
    ck_assert_uint_eq(stats_get(&R.c.st, "rejected"), 1);
    char err[256];
    (void)dlq_close(R.c.dlq, err, sizeof err);
    R.c.dlq = NULL;
    rig_close();
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, good_event_reaches_output);
    tcase_add_test(tc, bad_records_counted_and_dead_lettered);
    tcase_add_test(tc, framer_rejections_described);
    tcase_add_test(tc, unknown_fields_counted_not_rejected);
    tcase_add_test(tc, checkpoints_follow_the_events);
    tcase_add_test(tc, no_checkpoints_without_state);
    tcase_add_test(tc, dead_letter_failure_stops);
}

int main(void)
{
    return check_main("capture_record", add_tests);
}
