/* test_enrich_extract.c - the flat facts view of a decoded event: every
 * field the rules name is filled from the right place for each kind,
 * absent fields are "" (never NULL), kprobe arguments are rendered as
 * short text joined by " | " with payload bytes left out, and the
 * workload name is guessed from a pod name only by cutting hash-like
 * suffixes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "codec/event.h"
#include "../../enrich/extract.h"

static pj_arena *arena;
static facts_store st = FACTS_STORE_INIT;

static void setup(void)
{
    arena = pj_arena_new();
    ck_assert_ptr_nonnull(arena);
}

static void teardown(void)
{
    facts_store_free(&st);
    pj_arena_free(arena);
}

static facts facts_of(const char *json)
{
    tetra_event *ev = NULL;
    const char *reason = NULL;
    pj_error pe;
    int rc = event_from_json(arena, json, strlen(json), &ev, &reason, &pe, NULL);
    ck_assert_msg(rc == 0, "%s: %s %s", reason, pe.path, pe.msg);
    facts fx;
    ck_assert_int_eq(facts_from_event(ev, &fx, &st), 0);
    for (int i = 0; i < F_NFIELDS; i++)
        ck_assert_msg(fx.f[i] != NULL, "field %s is NULL", facts_field_name((fact_field)i));
    return fx;
}

#define POD                                                                                        \
    "\"pod\":{\"namespace\":\"shop\",\"name\":\"web-7d4b9c8f6d-x2x9q\",\"container\":{"            \
    "\"name\":\"nginx\",\"image\":{\"name\":\"nginx:1.25\"},\"pid\":1,"                            \
    "\"maybe_exec_probe\":true,\"security_context\":{\"privileged\":true}}}"

START_TEST(exec_in_a_pod)
{
    facts fx = facts_of("{\"process_exec\":{\"process\":{\"binary\":\"/bin/sh\",\"arguments\":"
                        "\"-c id\",\"cwd\":\"/srv\",\"flags\":\"execve rootcwd\",\"uid\":0,"
                        "\"cap\":{\"effective\":[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"]}," POD "},"
                        "\"parent\":{\"binary\":\"/usr/sbin/nginx\",\"arguments\":\"-g x\"}}}");
    ck_assert_str_eq(fx.f[F_KIND], "process_exec");
    ck_assert_str_eq(fx.f[F_BINARY], "/bin/sh");
    ck_assert_str_eq(fx.f[F_ARGS], "-c id");
    ck_assert_str_eq(fx.f[F_CWD], "/srv");
    ck_assert_str_eq(fx.f[F_FLAGS], "execve rootcwd");
    ck_assert_str_eq(fx.f[F_UID], "0"); /* uid 0 is set, not absent */
    ck_assert_str_eq(fx.f[F_CAPS], "CAP_CHOWN CAP_SYS_ADMIN");
    ck_assert_str_eq(fx.f[F_PARENT], "/usr/sbin/nginx");
    ck_assert_str_eq(fx.f[F_PARENT_ARGS], "-g x");
    ck_assert_str_eq(fx.f[F_NAMESPACE], "shop");
    ck_assert_str_eq(fx.f[F_POD], "web-7d4b9c8f6d-x2x9q");
    ck_assert_str_eq(fx.f[F_WORKLOAD], "web"); /* no workload field: guessed */
    ck_assert_str_eq(fx.f[F_CONTAINER], "nginx");
    ck_assert_str_eq(fx.f[F_IMAGE], "nginx:1.25");
    ck_assert_str_eq(fx.f[F_IN_CONTAINER], "yes");
    ck_assert_str_eq(fx.f[F_EXEC_PROBE], "yes");
    ck_assert_str_eq(fx.f[F_CONTAINER_INIT], "yes");
    ck_assert_str_eq(fx.f[F_PRIVILEGED], "yes");
    ck_assert_str_eq(fx.f[F_FUNCTION], "");
    ck_assert_str_eq(fx.f[F_KARGS], "");
    ck_assert_str_eq(fx.f[F_ANY], "/bin/sh -c id | ");
}
END_TEST

/* The store is reused: a later event must not see the earlier one's
 * built fields (uid, caps, workload, kargs). */
START_TEST(store_reuse_leaves_nothing_behind)
{
    (void)facts_of("{\"process_exec\":{\"process\":{\"binary\":\"/a\",\"uid\":1000,"
                   "\"cap\":{\"effective\":[\"CAP_NET_RAW\"]}," POD "}}}");
    facts fx = facts_of("{\"process_exit\":{\"process\":{\"binary\":\"/b\",\"docker\":\"abc\"}}}");
    ck_assert_str_eq(fx.f[F_KIND], "process_exit");
    ck_assert_str_eq(fx.f[F_BINARY], "/b");
    ck_assert_str_eq(fx.f[F_UID], "");
    ck_assert_str_eq(fx.f[F_CAPS], "");
    ck_assert_str_eq(fx.f[F_WORKLOAD], "");
    ck_assert_str_eq(fx.f[F_NAMESPACE], "");
    ck_assert_str_eq(fx.f[F_IN_CONTAINER], "yes"); /* a container id without a pod */
    ck_assert_str_eq(fx.f[F_EXEC_PROBE], "no");
    ck_assert_str_eq(fx.f[F_CONTAINER_INIT], "no");
    ck_assert_str_eq(fx.f[F_PRIVILEGED], "no");

    fx = facts_of("{\"process_exec\":{\"process\":{\"binary\":\"/c\"}}}");
    ck_assert_str_eq(fx.f[F_IN_CONTAINER], "no");
}
END_TEST

START_TEST(workload_field_wins)
{
    facts fx = facts_of("{\"process_exec\":{\"process\":{\"binary\":\"/x\",\"pod\":{\"namespace\":"
                        "\"db\",\"name\":\"pg-0\",\"workload\":\"postgres\",\"container\":{"
                        "\"name\":\"pg\",\"pid\":7}}}}}");
    ck_assert_str_eq(fx.f[F_WORKLOAD], "postgres");
    ck_assert_str_eq(fx.f[F_CONTAINER_INIT], "no"); /* pid 7 in its container */
    ck_assert_str_eq(fx.f[F_IMAGE], "");
}
END_TEST

/* Arguments as text; bytes and unrendered kinds are dropped with their
 * separator, so no "|  |" appears. */
START_TEST(kprobe_arguments_rendered)
{
    facts fx = facts_of(
        "{\"process_kprobe\":{\"process\":{\"binary\":\"/usr/bin/cat\",\"arguments\":"
        "\"/etc/shadow\"},\"function_name\":\"security_file_permission\",\"policy_name\":"
        "\"files\",\"args\":[{\"file_arg\":{\"path\":\"/etc/shadow\",\"permission\":"
        "\"-rw-r-----\"}},{\"bytes_arg\":\"c2VjcmV0\"},{\"int_arg\":-4},{\"sock_arg\":{"
        "\"protocol\":\"TCP\",\"saddr\":\"10.0.0.1\",\"sport\":40000,\"daddr\":\"1.2.3.4\","
        "\"dport\":4444}},{\"capability_arg\":{\"name\":\"CAP_SYS_ADMIN\"}},{\"path_arg\":{"
        "\"path\":\"/tmp\"}}]}}");
    ck_assert_str_eq(fx.f[F_KIND], "process_kprobe");
    ck_assert_str_eq(fx.f[F_FUNCTION], "security_file_permission");
    ck_assert_str_eq(fx.f[F_POLICY], "files");
    ck_assert_str_eq(fx.f[F_KARGS], "file /etc/shadow -rw-r----- | int -4 | "
                                    "sock TCP 10.0.0.1:40000 -> 1.2.3.4:4444 | "
                                    "cap CAP_SYS_ADMIN | path /tmp");
    ck_assert_ptr_null(strstr(fx.f[F_KARGS], "c2VjcmV0"));
    ck_assert_ptr_nonnull(strstr(fx.f[F_ANY], "/usr/bin/cat /etc/shadow | file /etc/shadow"));
}
END_TEST

START_TEST(only_unrendered_arguments_leave_nothing)
{
    facts fx = facts_of("{\"process_kprobe\":{\"process\":{\"binary\":\"/x\"},\"function_name\":"
                        "\"f\",\"args\":[{\"bytes_arg\":\"AAEC\"},{\"bytes_arg\":\"AAEC\"}]}}");
    ck_assert_str_eq(fx.f[F_KARGS], "");
}
END_TEST

START_TEST(tracepoint_event_is_the_function)
{
    facts fx = facts_of("{\"process_tracepoint\":{\"process\":{\"binary\":\"/x\"},\"subsys\":"
                        "\"syscalls\",\"event\":\"sys_enter_ptrace\",\"policy_name\":\"p\","
                        "\"args\":[{\"uint_arg\":16},{\"string_arg\":\"hi\"}]}}");
    ck_assert_str_eq(fx.f[F_KIND], "process_tracepoint");
    ck_assert_str_eq(fx.f[F_FUNCTION], "sys_enter_ptrace");
    ck_assert_str_eq(fx.f[F_KARGS], "uint 16 | string hi");
}
END_TEST

/* A kind with no process facts still has its kind and no NULLs. */
START_TEST(other_kinds_and_empty_events)
{
    facts fx = facts_of("{\"process_exec\":{}}");
    ck_assert_str_eq(fx.f[F_KIND], "process_exec");
    ck_assert_str_eq(fx.f[F_BINARY], "");
    ck_assert_str_eq(fx.f[F_ANY], "  | ");
    /* a kind the rules know no facts of: only its name */
    fx = facts_of("{\"process_loader\":{\"process\":{\"binary\":\"/x\"},\"path\":\"/l.so\"}}");
    ck_assert_str_eq(fx.f[F_KIND], "process_loader");
    ck_assert_str_eq(fx.f[F_BINARY], "");
    ck_assert_str_eq(fx.f[F_IN_CONTAINER], "no");
}
END_TEST

START_TEST(workload_guess)
{
    static const char *const cases[][2] = {
        {"web-7d4b9c8f6d-x2x9q", "web"},          /* Deployment: hash and suffix */
        {"db-0", "db"},                           /* StatefulSet ordinal */
        {"node-exporter-abcde", "node-exporter"}, /* DaemonSet suffix: 5 lower-case letters */
        {"my-app", "my-app"},                     /* "app" is no hash */
        {"api-Server-1", "api-Server"},           /* upper case is no hash: only "1" is cut */
        {"job-12345678901", "job-12345678901"},   /* longer than a hash */
        {"-1", "-1"},                             /* nothing before the dash */
        {"x-", "x-"},                             /* empty tail */
        {"", ""},
        {"plain", "plain"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        workload_from_pod(cases[i][0], out, sizeof out);
        ck_assert_msg(strcmp(out, cases[i][1]) == 0, "%s -> %s, want %s", cases[i][0], out,
                      cases[i][1]);
    }
    char small[4];
    workload_from_pod("database-0", small, sizeof small); /* cut to fit, terminated */
    ck_assert_str_eq(small, "dat");
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, exec_in_a_pod);
    tcase_add_test(tc, store_reuse_leaves_nothing_behind);
    tcase_add_test(tc, workload_field_wins);
    tcase_add_test(tc, kprobe_arguments_rendered);
    tcase_add_test(tc, only_unrendered_arguments_leave_nothing);
    tcase_add_test(tc, tracepoint_event_is_the_function);
    tcase_add_test(tc, other_kinds_and_empty_events);
    tcase_add_test(tc, workload_guess);
}

int main(void)
{
    return check_main("enrich_extract", add_tests);
}
