/* test_capture_kube_resume.c - the resume rules of tetra-capture --k8s without a
 * cluster: kubelet timestamps, the drop-what-was-sent rule across
 * reconnects (whole-second sinceTime, several lines at one timestamp, a
 * line cut off), sinceTime values, the state file, and the messages made
 * from API server errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "../../capture/k8s/kube_resume.h"
#include "../../capture/k8s/kube_state.h"
#include "../../capture/k8s/kubeapi.h"

#define NS 1000000000LL

START_TEST(time_parse)
{
    int64_t t;
    ck_assert_uint_eq(kube_time_parse("1970-01-01T00:00:00Z", 20, &t), 20);
    ck_assert_int_eq(t, 0);
    ck_assert_uint_eq(kube_time_parse("2026-11-26T23:44:58.123456789Z x", 32, &t), 30);
    ck_assert_int_eq(t, 1795736698LL * NS + 123456789);
    ck_assert_uint_eq(kube_time_parse("2026-11-26T23:44:58.5Z", 22, &t), 22);
    ck_assert_int_eq(t, 1795736698LL * NS + 500000000);
    ck_assert_uint_eq(kube_time_parse("2026-11-27T01:44:58+02:00", 25, &t), 25);
    ck_assert_int_eq(t, 1795736698LL * NS);
    ck_assert_uint_eq(kube_time_parse("2024-02-29T12:00:00.0000000001Z", 31, &t),
                      31); /* >9 digits */
    ck_assert_int_eq(t, 1709208000LL * NS);
    ck_assert_uint_eq(kube_time_parse("2026-11-26 23:44:58Z", 20, &t), 0);
    ck_assert_uint_eq(kube_time_parse("2026-13-26T23:44:58Z", 20, &t), 0);
    ck_assert_uint_eq(kube_time_parse("2026-11-26T23:44:58.Z", 21, &t), 0);
    ck_assert_uint_eq(kube_time_parse("2026-11-26T23:44:58", 19, &t), 0);
    ck_assert_uint_eq(kube_time_parse("2026-11-26T23:44:58Z", 10, &t), 0); /* n bounds it */
    ck_assert_uint_eq(kube_time_parse("{\"a\":1}", 7, &t), 0);
    /* found by fuzzing: years outside int64_t nanoseconds (1677..2262)
     * overflowed; they are no timestamp now */
    ck_assert_uint_eq(kube_time_parse("0001-01-01T00:00:00Z", 20, &t), 0);
    ck_assert_uint_eq(kube_time_parse("9999-12-31T23:59:59Z", 20, &t), 0);
    ck_assert_uint_eq(kube_time_parse("1677-09-22T00:00:00Z", 20, &t), 20);
    ck_assert_uint_eq(kube_time_parse("2262-04-10T00:00:00Z", 20, &t), 20);
}
END_TEST

START_TEST(log_split)
{
    const char *text;
    size_t n;
    int64_t t;
    const char *l = "2026-11-26T23:44:58.000000001Z {\"a\":1}";
    ck_assert_int_eq(kube_log_split(l, strlen(l), &t, &text, &n), 0);
    ck_assert_int_eq(t, 1795736698LL * NS + 1);
    ck_assert_uint_eq(n, 7);
    ck_assert_int_eq(memcmp(text, "{\"a\":1}", 7), 0);
    ck_assert_int_eq(kube_log_split(l, 30, &t, &text, &n), 0); /* a bare timestamp: empty line */
    ck_assert_uint_eq(n, 0);
    const char *plain = "{\"a\":1}";
    ck_assert_int_eq(kube_log_split(plain, 7, &t, &text, &n), -1);
    ck_assert_ptr_eq(text, plain);
    ck_assert_uint_eq(n, 7);
    const char *glued = "2026-11-26T23:44:58Z{}";
    ck_assert_int_eq(kube_log_split(glued, strlen(glued), &t, &text, &n), -1);
}
END_TEST

/* Lines a, b, c at t1; d at t2; e at t3.  Pass a..d, then reconnect: the
 * kubelet resends from t1's second (a, b, c, d) plus new e. */
START_TEST(resume_same_timestamp)
{
    kube_resume r = {0, 0, 0};
    int64_t t1 = 100 * NS + 5, t2 = 100 * NS + 7, t3 = 101 * NS;
    ck_assert_int_eq(kube_resume_accept(&r, t1), 1);
    ck_assert_int_eq(kube_resume_accept(&r, t1), 1);
    ck_assert_int_eq(kube_resume_accept(&r, t1), 1);
    ck_assert_uint_eq(r.count, 3);
    ck_assert_int_eq(kube_resume_accept(&r, t2), 1);
    kube_resume_reconnect(&r);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(kube_resume_accept(&r, i < 3 ? t1 : t2), 0);
    ck_assert_int_eq(kube_resume_accept(&r, t3), 1);
    ck_assert_int_eq(r.ts, t3);
    ck_assert_uint_eq(r.count, 1);
}
END_TEST

/* Two of three lines at t were passed on when the stream broke (the third
 * cut mid-line): after the reconnect the first two are dropped and the
 * third passes. */
START_TEST(resume_cut_between_equal_stamps)
{
    kube_resume r = {0, 0, 0};
    int64_t t = 200 * NS + 1;
    ck_assert_int_eq(kube_resume_accept(&r, 200 * NS), 1);
    ck_assert_int_eq(kube_resume_accept(&r, t), 1);
    ck_assert_int_eq(kube_resume_accept(&r, t), 1);
    kube_resume_reconnect(&r);
    ck_assert_int_eq(kube_resume_accept(&r, 200 * NS), 0);
    ck_assert_int_eq(kube_resume_accept(&r, t), 0);
    ck_assert_int_eq(kube_resume_accept(&r, t), 0);
    ck_assert_int_eq(kube_resume_accept(&r, t), 1);
    ck_assert_uint_eq(r.count, 3);
    /* a second reconnect right away drops all three */
    kube_resume_reconnect(&r);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(kube_resume_accept(&r, t), 0);
    ck_assert_int_eq(kube_resume_accept(&r, t), 1);
    ck_assert_uint_eq(r.count, 4);
}
END_TEST

START_TEST(resume_fresh_and_older)
{
    kube_resume r = {0, 0, 0};
    char since[40];
    ck_assert_int_eq(kube_resume_since(&r, since, sizeof(since)), 0);
    ck_assert_str_eq(since, ""); /* nothing yet: from the start */
    ck_assert_int_eq(kube_resume_accept(&r, 1795736698LL * NS + 999999999), 1);
    ck_assert_int_eq(kube_resume_since(&r, since, sizeof(since)), 0);
    ck_assert_str_eq(since, "2026-11-26T23:44:58Z"); /* floored, not rounded */
    ck_assert_int_eq(kube_resume_since(&r, since, 10), -1);
    kube_resume_reconnect(&r);
    ck_assert_int_eq(kube_resume_accept(&r, 1795736698LL * NS), 0); /* older, same second */
    ck_assert_int_eq(kube_resume_accept(&r, 1795736697LL * NS), 0);
    ck_assert_int_eq(kube_time_format(1795736698LL * NS + 42, since, sizeof(since)), 0);
    ck_assert_str_eq(since, "2026-11-26T23:44:58.000000042Z");
}
END_TEST

START_TEST(state_file)
{
    char dir[] = "/tmp/test_kube_state.XXXXXX", path[300], err[256], cmd[400];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/state", dir);
    kube_pos *v;
    size_t n;
    ck_assert_int_eq(kube_state_load(path, &v, &n, err, sizeof(err)), 0); /* missing: empty */
    ck_assert_uint_eq(n, 0);
    kube_pos in[2];
    memset(in, 0, sizeof(in));
    snprintf(in[0].uid, sizeof(in[0].uid), "0b3c-11");
    snprintf(in[0].container, sizeof(in[0].container), "export-stdout");
    snprintf(in[0].name, sizeof(in[0].name), "kube-system/tetragon-a");
    in[0].ts = 1795736698LL * NS + 1;
    in[0].count = 3;
    in[1] = in[0];
    snprintf(in[1].uid, sizeof(in[1].uid), "77aa");
    in[1].ts = -5;
    in[1].count = 18446744073709551615ULL;
    ck_assert_int_eq(kube_state_save(path, in, 2, err, sizeof(err)), 0);
    ck_assert_int_eq(kube_state_load(path, &v, &n, err, sizeof(err)), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(v[0].uid, "0b3c-11");
    ck_assert_str_eq(v[0].container, "export-stdout");
    ck_assert_str_eq(v[0].name, "kube-system/tetragon-a");
    ck_assert_int_eq(v[0].ts, in[0].ts);
    ck_assert_uint_eq(v[0].count, 3);
    ck_assert_int_eq(v[1].ts, -5);
    ck_assert_uint_eq(v[1].count, 18446744073709551615ULL);
    free(v);
    snprintf(cmd, sizeof(cmd), "test ! -e '%s.tmp'", path);
    ck_assert_int_eq(system(cmd), 0);
    FILE *f = fopen(path, "a");
    ck_assert_ptr_nonnull(f);
    fputs("uid export-stdout notanumber 1 kube-system/x\n", f);
    fclose(f);
    ck_assert_int_eq(kube_state_load(path, &v, &n, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, ":4: malformed"));
    f = fopen(path, "w");
    fputs("something else\n", f);
    fclose(f);
    ck_assert_int_eq(kube_state_load(path, &v, &n, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a tetra-capture k8s state file"));
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(describe_errors)
{
    char out[600];
    const char *body = "{\"kind\":\"Status\",\"message\":\"pods \\\"t\\\" is forbidden: User "
                       "\\\"system:serviceaccount:kube-system:x\\\" cannot get resource "
                       "\\\"pods/log\\\"\",\"code\":403}";
    kube_describe(403, body, strlen(body), "get", "pods/log", "kube-system", out, sizeof(out));
    const char *want = "forbidden: cannot get pods/log in namespace kube-system; grant get "
                       "on pods/log (API server: pods \"t\" is forbidden";
    ck_assert_msg(strncmp(out, want, strlen(want)) == 0, "%s", out);
    kube_describe(401, "{\"message\":\"Unauthorized\"}", 26, "list", "pods", "ns", out,
                  sizeof(out));
    ck_assert_ptr_nonnull(strstr(out, "unauthorized"));
    ck_assert_ptr_nonnull(strstr(out, "Unauthorized"));
    kube_describe(500, "oops\nmore", 9, "watch", "pods", "ns", out, sizeof(out));
    ck_assert_str_eq(out, "watch pods in namespace ns: HTTP 500: oops");
    kube_describe(404, NULL, 0, "get", "pods/log", "ns", out, sizeof(out));
    ck_assert_str_eq(out, "get pods/log in namespace ns: HTTP 404: ");
    char esc[64];
    ck_assert_int_eq(kube_escape("app.kubernetes.io/name=tetragon,tier in (a b)", esc, sizeof(esc)),
                     0);
    ck_assert_str_eq(esc, "app.kubernetes.io%2Fname%3Dtetragon%2Ctier%20in%20%28a%20b%29");
    ck_assert_int_eq(kube_escape("a/b", esc, 5), -1);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, time_parse);
    tcase_add_test(t, log_split);
    tcase_add_test(t, resume_same_timestamp);
    tcase_add_test(t, resume_cut_between_equal_stamps);
    tcase_add_test(t, resume_fresh_and_older);
    tcase_add_test(t, state_file);
    tcase_add_test(t, describe_errors);
}

int main(void)
{
    return check_main("kube_resume", add_tests);
}
