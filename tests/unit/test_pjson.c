/* test_pjson.c - unit tests of the protojson codec: every accepting and
 * rejecting rule, the canonical output, and round trips of the real
 * Tetragon samples and of our own fixtures.
 *
 * Round trips compare JSON values with jansson, an independent parser, so
 * the codec does not judge its own output.  Most cases go through pjtest.All
 * (tests/proto/pjtest.proto), which has one field of every kind, so a rule is tested on its own,
 * independent of Tetragon's schema; the round trips then prove the rules compose on real events. */
#include <check.h>
#include <jansson.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "codec/event.h"
#include "codec/pjson.h"
#include "codec/pjson_wkt.h"
#include "pjtest.pb-c.h"

static pj_arena *A;

static void setup(void)
{
    A = pj_arena_new();
    ck_assert_ptr_nonnull(A);
}

static void teardown(void)
{
    pj_arena_free(A);
}

/* Decode json as pjtest.All; returns the status, fills *err. */
static pj_status dec(const char *json, Pjtest__All **out, pj_error *err, pj_decode_info *info)
{
    ProtobufCMessage *m = NULL;
    pj_status st = pj_decode(A, &pjtest__all__descriptor, json, strlen(json), &m, info, err);
    if (st == PJ_OK)
        *out = (Pjtest__All *)m;
    return st;
}

/* Decode then encode; the canonical text must equal want. */
static void roundtrip_is(const char *json, const char *want)
{
    Pjtest__All *m;
    pj_error err;
    pj_status st = dec(json, &m, &err, NULL);
    ck_assert_msg(st == PJ_OK, "decode of %s failed: %s at %s: %s", json, pj_status_name(st),
                  err.path, err.msg);
    buf b = BUF_INIT;
    ck_assert_int_eq(pj_encode(&m->base, &b), 0);
    ck_assert_str_eq(b.p, want);
    buf_free(&b);
}

static void rejects(const char *json, pj_status want, const char *path)
{
    Pjtest__All *m;
    pj_error err;
    pj_status st = dec(json, &m, &err, NULL);
    ck_assert_msg(st == want, "%s: got %s (%s), want %s", json, pj_status_name(st), err.msg,
                  pj_status_name(want));
    if (path)
        ck_assert_str_eq(err.path, path);
}

START_TEST(names_proto_and_camel)
{
    Pjtest__All *m;
    pj_error err;
    ck_assert_int_eq(dec("{\"f_int32\":5,\"fString\":\"x\",\"rInt32\":[1,2]}", &m, &err, NULL),
                     PJ_OK);
    ck_assert_int_eq(m->f_int32, 5);
    ck_assert_str_eq(m->f_string, "x");
    ck_assert_uint_eq(m->n_r_int32, 2);
}
END_TEST

START_TEST(int64_as_string_or_number)
{
    roundtrip_is("{\"f_int64\":\"-9223372036854775808\",\"f_uint64\":18446744073709551615}",
                 "{\"f_int64\":\"-9223372036854775808\",\"f_uint64\":\"18446744073709551615\"}");
    roundtrip_is("{\"f_int32\":\"7\",\"f_uint32\":1e3,\"f_sint64\":\"-2\"}",
                 "{\"f_int32\":7,\"f_uint32\":1000,\"f_sint64\":\"-2\"}");
    rejects("{\"f_int32\":2147483648}", PJ_ERR_RANGE, "f_int32");
    rejects("{\"f_uint32\":-1}", PJ_ERR_RANGE, "f_uint32");
    rejects("{\"f_uint64\":\"18446744073709551616\"}", PJ_ERR_RANGE, "f_uint64");
    rejects("{\"f_int32\":1.5}", PJ_ERR_RANGE, "f_int32");
    rejects("{\"f_int64\":\" 1\"}", PJ_ERR_RANGE, "f_int64");
    rejects("{\"f_int32\":true}", PJ_ERR_TYPE, "f_int32");
    /* a fraction or exponent is placed exactly, not through a double */
    roundtrip_is("{\"f_int64\":\"123456789012345678.0\",\"f_uint64\":\"1234567890123456789e1\"}",
                 "{\"f_int64\":\"123456789012345678\",\"f_uint64\":\"12345678901234567890\"}");
    roundtrip_is("{\"f_uint64\":\"18446744073709551615.000\",\"f_int32\":150e-1}",
                 "{\"f_int32\":15,\"f_uint64\":\"18446744073709551615\"}");
    roundtrip_is("{\"f_int32\":0e-400,\"f_sint64\":\"-1E+2\"}", "{\"f_sint64\":\"-100\"}");
    rejects("{\"f_int64\":1e-400}", PJ_ERR_RANGE, "f_int64");
    rejects("{\"f_int32\":15e-1}", PJ_ERR_RANGE, "f_int32");
    rejects("{\"f_uint64\":\"18446744073709551615.5\"}", PJ_ERR_RANGE, "f_uint64");
    rejects("{\"f_uint64\":1844674407370955161.6e1}", PJ_ERR_RANGE, "f_uint64");
    rejects("{\"f_uint64\":2e19}", PJ_ERR_RANGE, "f_uint64");
}
END_TEST

START_TEST(enums_by_name_or_number)
{
    roundtrip_is("{\"f_enum\":\"COLOR_BLUE\",\"r_enum\":[1,\"COLOR_BLUE\",7]}",
                 "{\"f_enum\":\"COLOR_BLUE\",\"r_enum\":[\"COLOR_RED\",\"COLOR_BLUE\",7]}");
    Pjtest__All *m;
    pj_error err;
    pj_decode_info info;
    ck_assert_int_eq(dec("{\"f_enum\":\"COLOR_GREEN\",\"f_int32\":1}", &m, &err, &info), PJ_OK);
    ck_assert_int_eq(m->f_enum, 0);
    ck_assert_uint_eq(info.unknown_fields, 1);
    rejects("{\"f_enum\":{}}", PJ_ERR_TYPE, "f_enum");
}
END_TEST

START_TEST(bytes_base64)
{
    roundtrip_is("{\"f_bytes\":\"aGk_\"}", "{\"f_bytes\":\"aGk/\"}");
    roundtrip_is("{\"f_bytes\":\"aGk\"}", "{\"f_bytes\":\"aGk=\"}");
    roundtrip_is("{\"r_bytes\":[\"AA==\",\"\"]}", "{\"r_bytes\":[\"AA==\",\"\"]}");
    rejects("{\"f_bytes\":\"a$==\"}", PJ_ERR_RANGE, "f_bytes");
    rejects("{\"f_bytes\":\"a\"}", PJ_ERR_RANGE, "f_bytes");
}
END_TEST

START_TEST(timestamps_and_durations)
{
    roundtrip_is("{\"ts\":\"2022-10-18T05:16:18.2735468+02:00\"}",
                 "{\"ts\":\"2022-10-18T03:16:18.273546800Z\"}");
    roundtrip_is("{\"ts\":\"1970-01-01T00:00:00Z\"}", "{\"ts\":\"1970-01-01T00:00:00Z\"}");
    roundtrip_is("{\"ts\":\"0001-01-01T00:00:00.5Z\"}", "{\"ts\":\"0001-01-01T00:00:00.500Z\"}");
    roundtrip_is("{\"ts\":\"1969-12-31T23:59:59.000001Z\"}",
                 "{\"ts\":\"1969-12-31T23:59:59.000001Z\"}");
    roundtrip_is("{\"dur\":\"-1.5s\"}", "{\"dur\":\"-1.500s\"}");
    roundtrip_is("{\"dur\":\"0.000000001s\"}", "{\"dur\":\"0.000000001s\"}");
    rejects("{\"ts\":\"2022-02-30T00:00:00Z\"}", PJ_ERR_RANGE, "ts");
    rejects("{\"ts\":\"2022-10-18 03:16:18Z\"}", PJ_ERR_RANGE, "ts");
    rejects("{\"ts\":\"2022-10-18T03:16:18\"}", PJ_ERR_RANGE, "ts");
    rejects("{\"ts\":\"2022-10-18T03:16:18.1234567890Z\"}", PJ_ERR_RANGE, "ts");
    rejects("{\"ts\":12}", PJ_ERR_TYPE, "ts");
    rejects("{\"dur\":\"1.5\"}", PJ_ERR_RANGE, "dur");
}
END_TEST

START_TEST(wrappers_bare_and_zero_kept)
{
    roundtrip_is("{\"w_u32\":0,\"w_bool\":false,\"w_i64\":\"5\",\"w_str\":\"\",\"w_bytes\":\"\"}",
                 "{\"w_u32\":0,\"w_bool\":false,\"w_i64\":\"5\",\"w_str\":\"\",\"w_bytes\":\"\"}");
    roundtrip_is("{\"w_double\":\"NaN\"}", "{\"w_double\":\"NaN\"}");
    rejects("{\"w_u32\":{\"value\":1}}", PJ_ERR_TYPE, "w_u32");
}
END_TEST

START_TEST(maps_as_objects)
{
    roundtrip_is(
        "{\"m_str\":{\"app.kubernetes.io/name\":\"x\",\"b\":\"\"},\"m_int\":{\"-3\":\"4\"},"
        "\"m_msg\":{\"k\":{\"n\":1}}}",
        "{\"m_str\":{\"app.kubernetes.io/name\":\"x\",\"b\":\"\"},\"m_msg\":{\"k\":{\"n\":1}},"
        "\"m_int\":{\"-3\":\"4\"}}");
    rejects("{\"m_int\":{\"x\":1}}", PJ_ERR_RANGE, "m_int");
    rejects("{\"m_str\":{\"a\":null}}", PJ_ERR_TYPE, "m_str");
    rejects("{\"m_str\":[]}", PJ_ERR_TYPE, "m_str");
}
END_TEST

START_TEST(oneofs)
{
    roundtrip_is("{\"c_int\":0}", "{\"c_int\":0}");
    roundtrip_is("{\"c_msg\":{}}", "{\"c_msg\":{}}");
    roundtrip_is("{\"c_str\":null,\"c_int\":3}", "{\"c_int\":3}");
    rejects("{\"c_str\":\"a\",\"c_int\":3}", PJ_ERR_TYPE, "c_int");
}
END_TEST

START_TEST(null_is_absent_and_zero_omitted)
{
    roundtrip_is(
        "{\"f_msg\":null,\"f_string\":null,\"r_int32\":null,\"f_int32\":0,\"f_bool\":false,"
        "\"f_string\":\"\",\"r_string\":[],\"f_enum\":\"COLOR_UNSPECIFIED\"}",
        "{}");
    rejects("{\"r_int32\":[1,null]}", PJ_ERR_TYPE, "r_int32[1]");
}
END_TEST

START_TEST(unknown_fields_counted)
{
    Pjtest__All *m;
    pj_error err;
    pj_decode_info info;
    ck_assert_int_eq(dec("{\"zz_new\":{\"a\":[1,{\"b\":2}]},\"f_int32\":1,\"f_msg\":{\"nn\":1}}",
                         &m, &err, &info),
                     PJ_OK);
    ck_assert_int_eq(m->f_int32, 1);
    ck_assert_uint_eq(info.unknown_fields, 2);
    ck_assert_str_eq(info.first_unknown, "zz_new");
}
END_TEST

START_TEST(wrong_type_names_path)
{
    rejects("{\"r_msg\":[{\"name\":\"a\"},{\"name\":5}]}", PJ_ERR_TYPE, "r_msg[1].name");
    rejects("{\"f_msg\":{\"n\":\"x\"}}", PJ_ERR_RANGE, "f_msg.n");
    rejects("{\"f_bool\":\"true\"}", PJ_ERR_TYPE, "f_bool");
    rejects("{\"f_string\":1}", PJ_ERR_TYPE, "f_string");
    rejects("[1]", PJ_ERR_TYPE, NULL);
}
END_TEST

START_TEST(strings_escapes_and_utf8)
{
    roundtrip_is("{\"f_string\":\"a\\\"b\\\\c\\/\\u00e9\\ud83d\\ude00\\n\\u0001\\u007f<>&\"}",
                 "{\"f_string\":\"a\\\"b\\\\c/\xc3\xa9\xf0\x9f\x98\x80\\n\\u0001\\u007f<>&\"}");
    roundtrip_is("{\"f_string\":\"\xe2\x80\xa8\"}", "{\"f_string\":\"\\u2028\"}");
    rejects("{\"f_string\":\"\xff\"}", PJ_ERR_UTF8, NULL);
    rejects("{\"f_string\":\"\xc0\xaf\"}", PJ_ERR_UTF8, NULL);     /* overlong */
    rejects("{\"f_string\":\"\xed\xa0\x80\"}", PJ_ERR_UTF8, NULL); /* surrogate */
    rejects("{\"f_string\":\"\\ud800x\"}", PJ_ERR_UTF8, NULL);
    rejects("{\"f_string\":\"\\udc00\"}", PJ_ERR_UTF8, NULL);
    rejects("{\"f_string\":\"a\tb\"}", PJ_ERR_SYNTAX, NULL);
    rejects("{\"f_string\":\"\\x\"}", PJ_ERR_SYNTAX, NULL);
}
END_TEST

START_TEST(syntax_is_strict)
{
    const char *bad[] = {
        "",           "{",          "{\"a\":1,}", "{\"a\" 1}", "{\"a\":tru}",  "{\"a\":01}",
        "{\"a\":1.}", "{\"a\":-}",  "{\"a\":1e}", "{} x",      "{\"a\":[1,]}", "{\"a\":NaN}",
        "{'a':1}",    "{\"a\":1}}", "{\"a\":[}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        rejects(bad[i], PJ_ERR_SYNTAX, NULL);
    roundtrip_is(" \r\n\t{ \"f_int32\" : 1 } \n", "{\"f_int32\":1}");
    roundtrip_is("{\n \"r_int32\": [\n  1,\n  2 ] ,\"r_msg\" :[ {} , { \"n\" : 3 } ]\n}",
                 "{\"r_int32\":[1,2],\"r_msg\":[{},{\"n\":3}]}");
}
END_TEST

START_TEST(depth_limit)
{
    char deep[PJ_MAX_DEPTH * 8 + 64];
    size_t o = 0;
    o += (size_t)snprintf(deep + o, sizeof deep - o, "{\"zz\":");
    for (int i = 0; i < PJ_MAX_DEPTH; i++)
        deep[o++] = '[';
    for (int i = 0; i < PJ_MAX_DEPTH; i++)
        deep[o++] = ']';
    deep[o++] = '}';
    deep[o] = '\0';
    rejects(deep, PJ_ERR_DEPTH, NULL);
}
END_TEST

START_TEST(floats_like_go)
{
    roundtrip_is("{\"f_double\":0.1,\"f_float\":0.1}", "{\"f_double\":0.1,\"f_float\":0.1}");
    roundtrip_is("{\"f_double\":1e21}", "{\"f_double\":1e+21}");
    roundtrip_is("{\"f_double\":1.5e-7}", "{\"f_double\":1.5e-7}");
    roundtrip_is("{\"f_double\":123456789}", "{\"f_double\":123456789}");
    roundtrip_is("{\"f_double\":\"-Infinity\"}", "{\"f_double\":\"-Infinity\"}");
    /* short decimals take the path without printf; its edges and beyond */
    roundtrip_is("{\"f_double\":0.6}", "{\"f_double\":0.6}");
    roundtrip_is("{\"f_double\":-2.25}", "{\"f_double\":-2.25}");
    roundtrip_is("{\"f_double\":0.000001}", "{\"f_double\":0.000001}");
    roundtrip_is("{\"f_double\":1e-6}", "{\"f_double\":0.000001}");
    roundtrip_is("{\"f_double\":0.0000015}", "{\"f_double\":0.0000015}");
    roundtrip_is("{\"f_double\":999999999.999999}", "{\"f_double\":999999999.999999}");
    roundtrip_is("{\"f_double\":0.30000000000000004}", "{\"f_double\":0.30000000000000004}");
    roundtrip_is("{\"f_double\":1000000000.5}", "{\"f_double\":1000000000.5}");
    rejects("{\"f_float\":1e39}", PJ_ERR_RANGE, "f_float");
    rejects("{\"f_double\":1e400}", PJ_ERR_RANGE, "f_double");
}
END_TEST

START_TEST(arena_reuse_many_records)
{
    for (int i = 0; i < 2000; i++) {
        pj_arena_reset(A);
        roundtrip_is("{\"r_msg\":[{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},{\"n\":2}]}",
                     "{\"r_msg\":[{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},{\"n\":2}]}");
    }
}
END_TEST

START_TEST(event_reasons)
{
    tetra_event *ev;
    const char *reason = NULL;
    pj_error err;
    const char *notev = "{\"node_name\":\"n1\"}";
    ck_assert_int_eq(event_from_json(A, notev, strlen(notev), &ev, &reason, &err, NULL), -1);
    ck_assert_str_eq(reason, "not_event");
    const char *unk = "{\"process_future\":{\"x\":1},\"node_name\":\"n1\"}";
    ck_assert_int_eq(event_from_json(A, unk, strlen(unk), &ev, &reason, &err, NULL), -1);
    ck_assert_str_eq(reason, "unknown_kind");
    const char *ok = "{\"process_exit\":{\"status\":1},\"node_name\":\"n1\"}";
    ck_assert_int_eq(event_from_json(A, ok, strlen(ok), &ev, &reason, &err, NULL), 0);
    ck_assert_str_eq(event_kind(ev), "process_exit");
    ck_assert_int_eq(event_from_json(A, "[1,2]", 5, &ev, &reason, &err, NULL), -1);
    ck_assert_str_eq(reason, "not_event");
    const char *bad = "{\"process_exec\":{\"process\":{\"pid\":\"x\"}}}";
    ck_assert_int_eq(event_from_json(A, bad, strlen(bad), &ev, &reason, &err, NULL), -1);
    ck_assert_str_eq(reason, "bad_value");
    ck_assert_str_eq(err.path, "process_exec.process.pid");
}
END_TEST

/* Read a whole file into memory (caller frees). */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf b = BUF_INIT;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        ck_assert_int_eq(buf_append(&b, tmp, n), 0);
    fclose(f);
    *len = b.len;
    return b.p;
}

/* Every JSON object in the file must round-trip to an equal JSON value. */
static int roundtrip_file(const char *path)
{
    size_t len;
    char *text = slurp(path, &len);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    json_error_t jerr;
    size_t off = 0;
    int count = 0;
    while (off < len) {
        while (off < len && strchr(" \r\n\t", text[off]))
            off++;
        if (off >= len)
            break;
        json_t *orig = json_loadb(text + off, len - off, JSON_DISABLE_EOF_CHECK, &jerr);
        ck_assert_msg(orig != NULL, "%s: not JSON at byte %zu", path, off);
        size_t vlen = jerr.position;
        tetra_event *ev;
        const char *reason;
        pj_error err;
        pj_arena_reset(A);
        ck_assert_msg(event_from_json(A, text + off, vlen, &ev, &reason, &err, NULL) == 0,
                      "%s: event at byte %zu rejected: %s %s %s", path, off, reason, err.path,
                      err.msg);
        buf b = BUF_INIT;
        ck_assert_int_eq(pj_encode(&ev->base, &b), 0);
        json_t *back = json_loadb(b.p, b.len, 0, &jerr);
        ck_assert_msg(back != NULL, "%s: our output is not JSON: %s", path, b.p);
        ck_assert_msg(json_equal(orig, back), "%s: round trip differs at byte %zu:\n%s", path, off,
                      b.p);
        json_decref(orig);
        json_decref(back);
        buf_free(&b);
        off += vlen;
        count++;
    }
    free(text);
    return count;
}

static int roundtrip_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (!((n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) ||
              (n > 6 && strcmp(e->d_name + n - 6, ".jsonl") == 0)))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        total += roundtrip_file(path);
    }
    closedir(d);
    return total;
}

START_TEST(roundtrip_shared_samples)
{
    const char *dir = getenv("SAMPLES_DIR");
    if (!dir)
        dir = "../shared/samples/tetragon";
    int n = roundtrip_dir(dir);
    if (n < 0) {
        /* on a developer's machine the samples may be elsewhere; under CI
           their absence means the test did not run, which is a failure */
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0)
            ck_abort_msg(
                "%s is absent and CI=true: the real Tetragon samples must be round-tripped", dir);
        printf("NOTICE: %s is absent; the real Tetragon samples were not round-tripped\n", dir);
        return;
    }
    ck_assert_int_gt(n, 10);
}
END_TEST

/* A Timestamp out of protojson's range is refused wherever it sits in a
 * binary event, however deep: the check only walks the fields whose types
 * can hold one, and must still find these. */
static void proto_refused(tetra_event *ev, const char *want_path)
{
    size_t n = protobuf_c_message_get_packed_size(&ev->base);
    uint8_t *pb = malloc(n);
    ck_assert_ptr_nonnull(pb);
    protobuf_c_message_pack(&ev->base, pb);
    tetra_event *back;
    const char *reason = NULL;
    pj_error err;
    ck_assert_int_eq(event_from_proto(A, pb, n, &back, &reason, &err), -1);
    ck_assert_str_eq(reason, "bad_value");
    ck_assert_str_eq(err.path, want_path);
    free(pb);
}

START_TEST(proto_time_ranges_nested)
{
    const char *js =
        "{\"process_exec\":{\"process\":{\"binary\":\"/bin/a\",\"pod\":{\"container\":"
        "{\"start_time\":\"2024-01-01T00:00:00Z\"}}},\"ancestors\":[{\"binary\":\"/b\"},"
        "{\"start_time\":\"2024-01-01T00:00:00Z\"}]},\"time\":\"2024-01-01T00:00:00Z\"}";
    tetra_event *ev;
    const char *reason = NULL;
    pj_error err;
    ck_assert_int_eq(event_from_json(A, js, strlen(js), &ev, &reason, &err, NULL), 0);
    size_t n = protobuf_c_message_get_packed_size(&ev->base);
    uint8_t *pb = malloc(n);
    ck_assert_ptr_nonnull(pb);
    protobuf_c_message_pack(&ev->base, pb);
    tetra_event *back;
    ck_assert_int_eq(event_from_proto(A, pb, n, &back, &reason, &err), 0); /* in range */
    free(pb);
    ev->process_exec->process->pod->container->start_time->seconds = 253402300800LL;
    proto_refused(ev, "process_exec.process.pod.container.start_time");
    ev->process_exec->process->pod->container->start_time->seconds = 0;
    ev->process_exec->ancestors[1]->start_time->nanos = -1;
    proto_refused(ev, "process_exec.ancestors.start_time");
    ev->process_exec->ancestors[1]->start_time->nanos = 0;
    ev->time->seconds = -62135596801LL;
    proto_refused(ev, "time");
}
END_TEST

START_TEST(roundtrip_fixtures)
{
    int n = roundtrip_dir("tests/fixtures/kinds");
    ck_assert_int_gt(n, 10);
}
END_TEST

START_TEST(wkt_text_helpers)
{
    buf b = BUF_INIT;
    ck_assert_int_eq(wkt_put_timestamp(&b, 253402300799LL, 999999999), 0);
    ck_assert_str_eq(b.p, "\"9999-12-31T23:59:59.999999999Z\"");
    buf_reset(&b);
    ck_assert_int_eq(wkt_put_timestamp(&b, 253402300800LL, 0), -1);
    int64_t s;
    int32_t ns;
    ck_assert_int_eq(wkt_parse_timestamp("2024-02-29T23:59:59-00:30", 25, &s, &ns), 0);
    ck_assert_int_eq(s, 1709252999LL);
    ck_assert_int_eq(wkt_parse_timestamp("2023-02-29T00:00:00Z", 20, &s, &ns), -1);
    buf_free(&b);
}
END_TEST

/* Binary protobuf can carry a time protojson cannot write; the record is
 * refused as bad_value where it is decoded, naming the field, whether
 * the time is the event's own or one inside the oneof's payload. */
START_TEST(binary_time_out_of_range)
{
    Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
    Tetragon__ProcessExec pe = TETRAGON__PROCESS_EXEC__INIT;
    Tetragon__Process p = TETRAGON__PROCESS__INIT;
    Google__Protobuf__Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT, st = t;
    p.binary = "/bin/true";
    p.start_time = &st;
    pe.process = &p;
    ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC;
    ev.process_exec = &pe;
    ev.time = &t;
    struct {
        int64_t time, start;
        int32_t nanos;
        const char *path; /* NULL: accepted */
    } cases[] = {
        {1700000000, 1700000000, 5, NULL},
        {253402300799LL, -62135596800LL, 999999999, NULL}, /* the very ends */
        {300000000000LL, 0, 0, "time"},
        {0, 253402300800LL, 0, "process_exec.process.start_time"},
        {0, 0, -1, "time"},
    };
    pj_arena *a = pj_arena_new();
    ck_assert_ptr_nonnull(a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t.seconds = cases[i].time;
        t.nanos = cases[i].nanos;
        st.seconds = cases[i].start;
        uint8_t wire[256];
        size_t n = tetragon__get_events_response__pack(&ev, wire);
        ck_assert_uint_le(n, sizeof wire);
        tetra_event *back;
        const char *reason = NULL;
        pj_error err;
        pj_arena_reset(a);
        int rc = event_from_proto(a, wire, n, &back, &reason, &err);
        if (!cases[i].path) {
            ck_assert_int_eq(rc, 0);
            continue;
        }
        ck_assert_int_eq(rc, -1);
        ck_assert_str_eq(reason, "bad_value");
        ck_assert_str_eq(err.path, cases[i].path);
        ck_assert_ptr_nonnull(strstr(err.msg, "outside years 1-9999"));
    }
    pj_arena_free(a);
}
END_TEST

/* A \u0000 would cut a protobuf-c string short, or make a key match a
 * shorter field name; both are refused as bad_value, not truncated. */
START_TEST(nul_escape_refused)
{
    const char *in[] = {
        "{\"node_name\":\"a\\u0000b\",\"process_exec\":{}}",
        "{\"node_name\\u0000junk\":\"x\",\"process_exec\":{}}",
    };
    pj_arena *a = pj_arena_new();
    ck_assert_ptr_nonnull(a);
    for (size_t i = 0; i < 2; i++) {
        tetra_event *ev;
        const char *reason = NULL;
        pj_error err;
        pj_arena_reset(a);
        ck_assert_int_eq(event_from_json(a, in[i], strlen(in[i]), &ev, &reason, &err, NULL), -1);
        ck_assert_str_eq(reason, "bad_value");
        ck_assert_ptr_nonnull(strstr(err.msg, "\\u0000"));
    }
    const char *ok = "{\"node_name\":\"a\\u00e9b\",\"process_exec\":{}}";
    tetra_event *ev;
    const char *reason = NULL;
    pj_error err;
    pj_arena_reset(a);
    ck_assert_int_eq(event_from_json(a, ok, strlen(ok), &ev, &reason, &err, NULL), 0);
    ck_assert_str_eq(ev->node_name, "a\xc3\xa9"
                                    "b");
    pj_arena_free(a);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, names_proto_and_camel);
    tcase_add_test(t, int64_as_string_or_number);
    tcase_add_test(t, enums_by_name_or_number);
    tcase_add_test(t, bytes_base64);
    tcase_add_test(t, timestamps_and_durations);
    tcase_add_test(t, wrappers_bare_and_zero_kept);
    tcase_add_test(t, maps_as_objects);
    tcase_add_test(t, oneofs);
    tcase_add_test(t, null_is_absent_and_zero_omitted);
    tcase_add_test(t, unknown_fields_counted);
    tcase_add_test(t, wrong_type_names_path);
    tcase_add_test(t, strings_escapes_and_utf8);
    tcase_add_test(t, syntax_is_strict);
    tcase_add_test(t, depth_limit);
    tcase_add_test(t, floats_like_go);
    tcase_add_test(t, arena_reuse_many_records);
    tcase_add_test(t, event_reasons);
    tcase_add_test(t, proto_time_ranges_nested);
    tcase_add_test(t, roundtrip_shared_samples);
    tcase_add_test(t, roundtrip_fixtures);
    tcase_add_test(t, wkt_text_helpers);
    tcase_add_test(t, binary_time_out_of_range);
    tcase_add_test(t, nul_escape_refused);
}

int main(void)
{
    return check_main("pjson", add_tests);
}
