/* test_capture_kubeapi.c - the bearer token a kube_client puts on each new request
 * follows its token file through a kubelet-style rotation (token ->
 * ..data/token, ..data swapped to a new timestamped directory by one
 * rename), keeps the last good token while the link dangles mid-swap, and
 * is never read again when nothing changed. */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "../../capture/k8s/kubeapi.h"

static char dir[] = "/tmp/test_capture_kubeapi.XXXXXX";

/* Publish token the kubelet's way: a new ..NAME directory, a ..data_tmp
 * link renamed over ..data, then the old directory removed. */
static void publish(const char *name, const char *old, const char *token)
{
    char p[600], q[600];
    snprintf(p, sizeof(p), "%s/..%s", dir, name);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/..%s/token", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(token, f);
    ck_assert_int_eq(fclose(f), 0);
    snprintf(p, sizeof(p), "..%s", name);
    snprintf(q, sizeof(q), "%s/..data_tmp", dir);
    ck_assert_int_eq(symlink(p, q), 0);
    snprintf(p, sizeof(p), "%s/..data", dir);
    ck_assert_int_eq(rename(q, p), 0);
    if (old != NULL) {
        snprintf(p, sizeof(p), "rm -rf '%s/..%s'", dir, old);
        ck_assert_int_eq(system(p), 0);
    }
}

/* The Authorization header kube_client_setup gives a new request. */
static void expect_bearer(kube_client *k, const char *token)
{
    char err[256], want[256];
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(kube_client_setup(k, c, "/api/v1/pods", &h, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(h);
    snprintf(want, sizeof(want), "Authorization: Bearer %s", token);
    ck_assert_str_eq(h->data, want);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

START_TEST(token_follows_rotation)
{
    char err[256], p[600];
    kube_conf kc;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    publish("2026_11_27_00_00_00.000000001", NULL, "first-token\n");
    snprintf(p, sizeof(p), "%s/token", dir);
    ck_assert_int_eq(symlink("..data/token", p), 0);
    setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
    ck_assert_int_eq(kube_conf_in_cluster(&kc, dir, err, sizeof(err)), 0);
    kube_client *k = kube_client_new(&kc, err, sizeof(err));
    ck_assert_ptr_nonnull(k);
    expect_bearer(k, "first-token");
    expect_bearer(k, "first-token");
    publish("2026_11_27_01_00_00.000000002", "2026_11_27_00_00_00.000000001", "second-token");
    expect_bearer(k, "second-token");
    /* mid-swap: ..data points nowhere for a moment; the last token stays */
    snprintf(p, sizeof(p), "rm -rf '%s/..2026_11_27_01_00_00.000000002'", dir);
    ck_assert_int_eq(system(p), 0);
    expect_bearer(k, "second-token");
    publish("2026_11_27_02_00_00.000000003", NULL, "third-token");
    expect_bearer(k, "third-token");
    kube_client_free(k);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    snprintf(p, sizeof(p), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(p), 0);
}
END_TEST

START_TEST(no_token_file_is_an_error)
{
    char err[256];
    kube_conf kc;
    struct curl_slist *h = NULL;
    setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
    ck_assert_int_eq(kube_conf_in_cluster(&kc, "/nonexistent/sa", err, sizeof(err)), 0);
    kube_client *k = kube_client_new(&kc, err, sizeof(err));
    ck_assert_ptr_nonnull(k);
    CURL *c = curl_easy_init();
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(kube_client_setup(k, c, "/api", &h, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/sa/token"));
    ck_assert_ptr_null(h);
    curl_easy_cleanup(c);
    kube_client_free(k);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, token_follows_rotation);
    tcase_add_test(t, no_token_file_is_an_error);
}

int main(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return EXIT_FAILURE;
    int rc = check_main("kubeapi", add_tests);
    curl_global_cleanup();
    return rc;
}
