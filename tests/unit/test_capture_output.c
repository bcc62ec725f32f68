/* test_capture_output.c - the stdout backends: JSON is one canonical line per
 * event, proto is varint length + the packed message (and unpacks to the
 * same event), and "done" moves only when the data was flushed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "codec/event.h"
#include "../../capture/output.h"

static const char ev_json[] =
    "{\"process_exec\":{\"process\":{\"pid\":42,\"binary\":\"/bin/sh\"}},\"node_name\":\"n1\"}";

static tetra_event *decode(pj_arena *a)
{
    tetra_event *ev = NULL;
    const char *reason = NULL;
    pj_error e;
    ck_assert_int_eq(event_from_json(a, ev_json, strlen(ev_json), &ev, &reason, &e, NULL), 0);
    return ev;
}

static output *open_kind(output_kind k, FILE *fp)
{
    char err[256];
    output_conf oc = {k, fp, NULL, NULL, NULL};
    output *o = output_open(&oc, err, sizeof(err));
    ck_assert_msg(o != NULL, "%s", err);
    return o;
}

START_TEST(json_lines)
{
    pj_arena *a = pj_arena_new();
    char *text = NULL, err[256];
    size_t len = 0;
    int failed;
    FILE *fp = open_memstream(&text, &len);
    output *o = open_kind(OUTPUT_JSON, fp);
    tetra_event *ev = decode(a);
    ck_assert_int_eq(output_write(o, ev, err, sizeof(err)), 0);
    ck_assert_int_eq(output_write(o, ev, err, sizeof(err)), 0);
    ck_assert_uint_eq(output_written(o), 2);
    ck_assert_uint_eq(output_done(o), 0); /* still in stdio's buffer */
    ck_assert_int_eq(output_sync(o, 0, err, sizeof(err)), 0);
    ck_assert_uint_eq(output_done(o), 2);
    ck_assert_uint_eq(output_flush(o, NULL, &failed, err, sizeof(err)), 0);
    ck_assert_int_eq(failed, 0);
    output_free(o);
    fclose(fp);
    char want[256];
    snprintf(want, sizeof(want), "%s\n%s\n", ev_json, ev_json);
    ck_assert_str_eq(text, want);
    free(text);
    pj_arena_free(a);
}
END_TEST

START_TEST(proto_framing)
{
    pj_arena *a = pj_arena_new();
    char *data = NULL, err[256];
    size_t len = 0;
    int failed;
    FILE *fp = open_memstream(&data, &len);
    output *o = open_kind(OUTPUT_PROTO, fp);
    tetra_event *ev = decode(a);
    size_t n = protobuf_c_message_get_packed_size(&ev->base);
    ck_assert_uint_lt(n, 128); /* one-byte varint */
    ck_assert_int_eq(output_write(o, ev, err, sizeof(err)), 0);
    ck_assert_uint_eq(output_flush(o, NULL, &failed, err, sizeof(err)), 0);
    output_free(o);
    fclose(fp);
    ck_assert_uint_eq(len, 1 + n);
    ck_assert_uint_eq((unsigned char)data[0], n);
    tetra_event *back = NULL;
    const char *reason = NULL;
    ck_assert_int_eq(event_from_proto(a, data + 1, n, &back, &reason, NULL), 0);
    ck_assert_str_eq(back->node_name, "n1");
    ck_assert_str_eq(event_kind(back), "process_exec");
    free(data);
    pj_arena_free(a);
}
END_TEST

START_TEST(kinds)
{
    output_kind k;
    ck_assert_int_eq(output_kind_parse("json", &k), 0);
    ck_assert_int_eq(k, OUTPUT_JSON);
    ck_assert_int_eq(output_kind_parse("proto", &k), 0);
    ck_assert_int_eq(k, OUTPUT_PROTO);
    ck_assert_int_eq(output_kind_parse("xml", &k), -1);
}
END_TEST

START_TEST(write_error)
{
    pj_arena *a = pj_arena_new();
    char err[256];
    int failed;
    FILE *fp = fopen("/dev/full", "w");
    ck_assert_ptr_nonnull(fp);
    output *o = open_kind(OUTPUT_JSON, fp);
    tetra_event *ev = decode(a);
    ck_assert_int_eq(output_write(o, ev, err, sizeof(err)), 0); /* buffered */
    ck_assert_int_eq(output_sync(o, 0, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "stdout"));
    ck_assert_uint_eq(output_done(o), 0);
    output_flush(o, NULL, &failed, err, sizeof(err));
    ck_assert_int_eq(failed, 1);
    output_free(o);
    fclose(fp);
    pj_arena_free(a);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, json_lines);
    tcase_add_test(t, proto_framing);
    tcase_add_test(t, kinds);
    tcase_add_test(t, write_error);
}

int main(void)
{
    return check_main("output", add_tests);
}
