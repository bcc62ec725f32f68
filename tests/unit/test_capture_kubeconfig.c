/* test_capture_kubeconfig.c - kubeconfig parsing and in-cluster settings: the
 * current context picks cluster and user by name, relative paths follow the
 * file, inline *-data is decoded, JSON works as YAML, exec plugins and
 * half client certificates are refused with a message, and errors never
 * carry the token. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "../../capture/k8s/kubeconfig.h"

static const char *two_contexts = "apiVersion: v1\n"
                                  "kind: Config\n"
                                  "clusters:\n"
                                  "- name: prod\n"
                                  "  cluster:\n"
                                  "    server: https://prod.example:6443/\n"
                                  "    certificate-authority: ca/prod.crt\n"
                                  "- name: lab\n"
                                  "  cluster:\n"
                                  "    server: https://10.0.0.1:443\n"
                                  "    certificate-authority-data: aGVsbG8gQ0E=\n"
                                  "    insecure-skip-tls-verify: true\n"
                                  "users:\n"
                                  "- name: admin\n"
                                  "  user:\n"
                                  "    client-certificate: /etc/k/admin.crt\n"
                                  "    client-key: admin.key\n"
                                  "- name: bot\n"
                                  "  user:\n"
                                  "    token: s3cr3t-token\n"
                                  "contexts:\n"
                                  "- name: p\n"
                                  "  context: {cluster: prod, user: admin}\n"
                                  "- name: l\n"
                                  "  context:\n"
                                  "    cluster: lab\n"
                                  "    user: bot\n"
                                  "    namespace: kube-system\n"
                                  "current-context: l\n";

static char *with_current(const char *ctx)
{
    static char buf[2048];
    snprintf(buf, sizeof(buf), "%.*scurrent-context: %s\n",
             (int)(strstr(two_contexts, "current-context") - two_contexts), two_contexts, ctx);
    return buf;
}

START_TEST(token_user_inline_ca)
{
    kube_conf kc;
    char err[256];
    ck_assert_int_eq(
        kube_conf_parse(&kc, two_contexts, strlen(two_contexts), "/home/u/.kube", err, sizeof(err)),
        0);
    ck_assert_str_eq(kc.server, "https://10.0.0.1:443");
    ck_assert_ptr_nonnull(kc.ca_data);
    ck_assert_uint_eq(kc.ca_len, 8);
    ck_assert_int_eq(memcmp(kc.ca_data, "hello CA", 8), 0);
    ck_assert_ptr_null(kc.ca_file);
    ck_assert_int_eq(kc.insecure, 1);
    ck_assert_str_eq(kc.token, "s3cr3t-token");
    ck_assert_ptr_null(kc.cert_file);
    ck_assert_str_eq(kc.namespace, "kube-system");
    kube_conf_free(&kc);
    ck_assert_ptr_null(kc.token);
}
END_TEST

START_TEST(cert_user_relative_paths)
{
    kube_conf kc;
    char err[256];
    const char *t = with_current("p");
    ck_assert_int_eq(kube_conf_parse(&kc, t, strlen(t), "/home/u/.kube", err, sizeof(err)), 0);
    ck_assert_str_eq(kc.server, "https://prod.example:6443"); /* trailing slash gone */
    ck_assert_str_eq(kc.ca_file, "/home/u/.kube/ca/prod.crt");
    ck_assert_str_eq(kc.cert_file, "/etc/k/admin.crt");
    ck_assert_str_eq(kc.key_file, "/home/u/.kube/admin.key");
    ck_assert_ptr_null(kc.token);
    ck_assert_ptr_null(kc.namespace);
    ck_assert_int_eq(kc.insecure, 0);
    kube_conf_free(&kc);
}
END_TEST

START_TEST(json_kubeconfig)
{
    const char *t =
        "{\"current-context\":\"x\",\"clusters\":[{\"name\":\"x\",\"cluster\":"
        "{\"server\":\"https://h:1\"}}],\"users\":[{\"name\":\"x\",\"user\":"
        "{\"client-certificate-data\":\"Q0VSVA==\",\"client-key-data\":\"S0VZ\"}}],"
        "\"contexts\":[{\"name\":\"x\",\"context\":{\"cluster\":\"x\",\"user\":\"x\"}}]}";
    kube_conf kc;
    char err[256];
    ck_assert_int_eq(kube_conf_parse(&kc, t, strlen(t), NULL, err, sizeof(err)), 0);
    ck_assert_str_eq(kc.server, "https://h:1");
    ck_assert_uint_eq(kc.cert_len, 4);
    ck_assert_str_eq(kc.cert_data, "CERT");
    ck_assert_uint_eq(kc.key_len, 3);
    ck_assert_str_eq(kc.key_data, "KEY");
    kube_conf_free(&kc);
}
END_TEST

static void refused(const char *t, const char *want)
{
    kube_conf kc;
    char err[256] = "";
    ck_assert_int_eq(kube_conf_parse(&kc, t, strlen(t), NULL, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"", err, want);
    ck_assert_msg(strstr(err, "s3cr3t") == NULL, "secret in error: %s", err);
    ck_assert_ptr_null(kc.server);
}

START_TEST(refusals)
{
    refused(with_current("nope"), "context \"nope\" not found");
    refused("current-context: a\ncontexts:\n- name: a\n  context: {cluster: gone}\n",
            "cluster \"gone\" not found");
    refused("kind: Config\n", "no current-context");
    refused("a: [\n", "line");
    refused("", "empty document");
    refused("current-context: a\ncontexts:\n- {name: a, context: {cluster: c, user: u}}\n"
            "clusters:\n- {name: c, cluster: {server: 'https://h'}}\n"
            "users:\n- {name: u, user: {exec: {command: aws}, token: s3cr3t}}\n",
            "exec or auth-provider");
    refused("current-context: a\ncontexts:\n- {name: a, context: {cluster: c, user: u}}\n"
            "clusters:\n- {name: c, cluster: {server: 'https://h'}}\n"
            "users:\n- {name: u, user: {client-certificate: a.crt}}\n",
            "needs both");
    refused("current-context: a\ncontexts:\n- {name: a, context: {cluster: c}}\n"
            "clusters:\n- {name: c, cluster: {server: 'https://h', "
            "certificate-authority-data: 'not base64!'}}\n",
            "not valid base64");
    refused("current-context: a\ncontexts:\n- {name: a, context: {cluster: c}}\n"
            "clusters:\n- {name: c, cluster: {insecure-skip-tls-verify: true}}\n",
            "has no server");
}
END_TEST

START_TEST(base64)
{
    char *o;
    size_t n;
    ck_assert_int_eq(kube_b64_decode("TWFu", 4, &o, &n), 0);
    ck_assert_str_eq(o, "Man");
    free(o);
    ck_assert_int_eq(kube_b64_decode("TWE=\n", 5, &o, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(o, "Ma");
    free(o);
    ck_assert_int_eq(kube_b64_decode("T Q\n==", 6, &o, &n), 0);
    ck_assert_str_eq(o, "M");
    free(o);
    ck_assert_int_eq(kube_b64_decode("TQ==TQ==", 8, &o, &n), -1); /* data after padding */
    ck_assert_int_eq(kube_b64_decode("T", 1, &o, &n), -1);
    ck_assert_int_eq(kube_b64_decode("TW%u", 4, &o, &n), -1);
}
END_TEST

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(in_cluster_and_file)
{
    char dir[] = "/tmp/test_capture_kubeconfig.XXXXXX", err[256], p[600];
    kube_conf kc;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    write_file(dir, "namespace", "monitoring\n");
    write_file(dir, "config", two_contexts);
    unsetenv("KUBERNETES_SERVICE_HOST");
    ck_assert_int_eq(kube_conf_in_cluster(&kc, dir, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "not in a cluster"));
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    ck_assert_int_eq(kube_conf_in_cluster(&kc, dir, err, sizeof(err)), 0);
    ck_assert_str_eq(kc.server, "https://[fd00::1]:443");
    snprintf(p, sizeof(p), "%s/token", dir);
    ck_assert_str_eq(kc.token_file, p);
    snprintf(p, sizeof(p), "%s/ca.crt", dir);
    ck_assert_str_eq(kc.ca_file, p);
    ck_assert_str_eq(kc.namespace, "monitoring");
    kube_conf_free(&kc);
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    ck_assert_int_eq(kube_conf_in_cluster(&kc, dir, err, sizeof(err)), 0);
    ck_assert_str_eq(kc.server, "https://10.96.0.1:443");
    kube_conf_free(&kc);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    snprintf(p, sizeof(p), "%s/config", dir);
    ck_assert_int_eq(kube_conf_load(&kc, p, err, sizeof(err)), 0);
    ck_assert_str_eq(kc.token, "s3cr3t-token");
    kube_conf_free(&kc);
    snprintf(p, sizeof(p), "%s/missing", dir);
    ck_assert_int_eq(kube_conf_load(&kc, p, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "missing"));
    snprintf(p, sizeof(p), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(p), 0);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, token_user_inline_ca);
    tcase_add_test(t, cert_user_relative_paths);
    tcase_add_test(t, json_kubeconfig);
    tcase_add_test(t, refusals);
    tcase_add_test(t, base64);
    tcase_add_test(t, in_cluster_and_file);
}

int main(void)
{
    return check_main("kubeconfig", add_tests);
}
