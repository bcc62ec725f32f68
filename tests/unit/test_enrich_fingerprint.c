/* test_enrich_fingerprint.c - behaviour fingerprints: numbers, hex, UUIDs,
 * random names and temp names are masked so repeated behaviour shares one
 * key, while a different binary, workload or argument shape does not. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "../../enrich/facts.h"
#include "../../enrich/fingerprint.h"

static char *norm(const char *in)
{
    buf b = BUF_INIT;
    ck_assert_int_eq(fp_normalize(in, 512, &b), 0);
    char *s = strdup(b.p ? b.p : "");
    buf_free(&b);
    return s;
}

static void expect_norm(const char *in, const char *want)
{
    char *s = norm(in);
    ck_assert_str_eq(s, want);
    free(s);
}

START_TEST(masks)
{
    expect_norm("sleep 30", "sleep <n>");
    expect_norm("connect 10.0.3.7:4444", "connect <n>.<n>.<n>.<n>:<n>");
    expect_norm("id 550e8400-e29b-41d4-a716-446655440000 x", "id <uuid> x");
    expect_norm("--container a51959123c3ba99a9f50a7009a03db62", "--container <hex>");
    expect_norm("/tmp/go-build3518135900/b001/exe/main", "/tmp/<tmp>/b<n>/exe/main");
    expect_norm("nc raiz3gjkgtfhkkc.example 443", "nc <id>.example <n>");
    expect_norm("python3.11 app.py", "python<n>.<n> app.py");
    expect_norm("--port 80 --host web", "--port <n> --host web");
}
END_TEST

static facts base(void)
{
    facts fx;
    facts_clear(&fx);
    fx.f[F_KIND] = "process_exec";
    fx.f[F_BINARY] = "/usr/bin/curl";
    fx.f[F_ARGS] = "-s http://10.0.0.1:8080/health";
    fx.f[F_PARENT] = "/bin/sh";
    fx.f[F_NAMESPACE] = "shop";
    fx.f[F_WORKLOAD] = "web";
    fx.f[F_POD] = "web-7d4b9c8f6d-x2x9q";
    return fx;
}

START_TEST(same_behaviour_same_key)
{
    buf b = BUF_INIT;
    char a[17], c[17];
    facts fx = base();
    ck_assert_int_eq(fp_compute(&fx, &b, a), 0);
    ck_assert_uint_eq(strlen(a), 16);
    fx.f[F_POD] = "web-7d4b9c8f6d-k8d7z";            /* another replica */
    fx.f[F_ARGS] = "-s http://10.0.0.2:8081/health"; /* other numbers */
    ck_assert_int_eq(fp_compute(&fx, &b, c), 0);
    ck_assert_str_eq(a, c);
    fx.f[F_BINARY] = "/usr/bin/wget";
    ck_assert_int_eq(fp_compute(&fx, &b, c), 0);
    ck_assert_str_ne(a, c);
    fx = base();
    fx.f[F_WORKLOAD] = "api";
    ck_assert_int_eq(fp_compute(&fx, &b, c), 0);
    ck_assert_str_ne(a, c);
    fx = base();
    fx.f[F_ARGS] = "-s http://10.0.0.1:8080/admin";
    ck_assert_int_eq(fp_compute(&fx, &b, c), 0);
    ck_assert_str_ne(a, c);
    buf_free(&b);
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, masks);
    tcase_add_test(tc, same_behaviour_same_key);
}

int main(void)
{
    return check_main("enrich_fingerprint", add_tests);
}
