/* test_enrich_redact.c - every secret shape the redactor promises to catch
 * becomes a placeholder, the text around it survives, and ordinary
 * arguments pass through untouched; in an event, the environment, every
 * process and the traced-call arguments are redacted too. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "../../enrich/redact.h"
#include "../../enrich/redact_event.h"
#include "tetragon/events.pb-c.h"

static redactor *R;

static char *red(const char *in, unsigned *n)
{
    buf b = BUF_INIT;
    ck_assert_int_eq(redact_text(R, in, &b, n), 0);
    char *s = strdup(b.p ? b.p : "");
    buf_free(&b);
    return s;
}

static void expect_gone(const char *in, const char *secret, const char *kept)
{
    unsigned n = 0;
    char *s = red(in, &n);
    ck_assert_msg(strstr(s, secret) == NULL, "secret survived: %s", s);
    ck_assert_msg(strstr(s, "<redacted:") != NULL, "no placeholder: %s", s);
    if (kept)
        ck_assert_msg(strstr(s, kept) != NULL, "context lost (%s): %s", kept, s);
    ck_assert_uint_ge(n, 1);
    free(s);
}

static void expect_kept(const char *in)
{
    unsigned n = 0;
    char *s = red(in, &n);
    ck_assert_str_eq(s, in);
    ck_assert_uint_eq(n, 0);
    free(s);
}

START_TEST(secret_shapes)
{
    expect_gone("mysql --password=Hunter2hunter -h db", "Hunter2hunter", "--password=");
    expect_gone("app --token s3cr3tT0ken --verbose", "s3cr3tT0ken", "--verbose");
    expect_gone("main -psk SecurePSK!23@456 -v", "SecurePSK!23@456", "-psk");
    expect_gone("mysql -u root -pRootPw123 shop", "RootPw123", "mysql -u root");
    expect_gone("sshpass -p 'letmein99' ssh host", "letmein99", "ssh host");
    expect_gone("curl -H \"Authorization: Bearer abcDEF123456789\" https://x", "abcDEF123456789",
                "https://x");
    expect_gone("curl https://admin:Sup3rPass@db.example/x", "Sup3rPass", "admin:");
    expect_gone("curl -u alice:WonderPw1 https://x", "WonderPw1", "alice");
    expect_gone("env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY aws s3 ls",
                "wJalrXUtnFEMI", "aws s3 ls");
    expect_gone("aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE",
                NULL);
    expect_gone("gcloud --key AIzaSyA1234567890abcdefghijklmnopqrstu",
                "AIzaSyA1234567890abcdefghijklmnopqrstu", NULL);
    expect_gone("x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl y", "eyJzdWIiOiIxMjM0In0",
                " y");
    expect_gone(
        "echo -----BEGIN RSA PRIVATE KEY-----MIIEpAIBAAKCAQEA-----END RSA PRIVATE KEY----- > k",
        "MIIEpAIBAAKCAQEA", "> k");
    expect_gone("git clone https://x ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghij",
                NULL);
    expect_gone("https://api.example/v1?api_key=k3yv4lue&x=1", "k3yv4lue", "&x=1");
}
END_TEST

START_TEST(ordinary_arguments_untouched)
{
    static const char *const keep[] = {
        "-t 1 -m -u -n -i -p bash", "--port 80 --host 0.0.0.0", "/etc/passwd",
        "-g \"daemon off;\"",       "install -y curl",          "ssh -p 2222 user@host",
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        expect_kept(keep[i]);
}
END_TEST

/* A host name that holds a secret word, followed by its port, is no
 * key:value secret: it stays, and so does what follows it; a key:value or
 * key=value secret beside it, or a value that is no port, still goes, also
 * with blanks after the ':'. */
START_TEST(host_ports_kept)
{
    static const char *const keep[] = {
        "keycloak.example.com:8443",
        "https://tokens.internal:443/x",
        "curl -s https://auth.example.com:443/realms/x/.well-known/openid-configuration",
        "kafka-topics --bootstrap-server keycloak.example.com:8443,tokens.internal:9093 --list",
        "\"session-store.cache.svc:6379\"",
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        expect_kept(keep[i]);
    expect_gone("password: hunter2", "hunter2", "password:");
    expect_gone("{\"password\": \"hunter2\"}", "hunter2", "password");
    expect_gone("curl -H \"X-Api-Key:  k3yv4lue\" https://x", "k3yv4lue", "X-Api-Key:");
    expect_gone("api_key=abc123", "abc123", "api_key=");
    expect_gone("token:s3cr3t", "s3cr3t", "token:");
    expect_gone("https://tokens.internal:443/x?token=abc123", "abc123", "tokens.internal:443/x?");
    expect_gone("keycloak.example.com:8443 password=hunter2", "hunter2",
                "keycloak.example.com:8443");
    expect_gone("db.password:123456", "123456", "db.password:"); /* six digits: no port */
    expect_gone("secret.internal:70000", "70000", NULL);         /* above 65535 */
    expect_gone("auth.example.com:8443x", "8443x", NULL);        /* not a number */
    expect_gone("token=keycloak.example.com:8443", "keycloak.example.com", "token=");
    /* the scheme after "Authorization: " stays beside the bearer placeholder */
    unsigned n = 0;
    char *s = red("-H \"Authorization: Bearer abcDEF123456789\"", &n);
    ck_assert_str_eq(s, "-H \"Authorization: Bearer <redacted:bearer>\"");
    free(s);
}
END_TEST

START_TEST(idempotent)
{
    unsigned n = 0;
    char *once = red("app --password=abc123 token=xyz789", &n);
    char *twice = red(once, &n);
    ck_assert_str_eq(once, twice);
    free(once);
    free(twice);
}
END_TEST

/* A text seen before gets the result and count it got then (the redactor
 * keeps recent results), also after many other texts went through and
 * after texts that only differ in the secret; the pointer returned for an
 * unchanged text is the text itself. */
START_TEST(repeated_texts)
{
    char in[96], want[600][96];
    unsigned want_n[600];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 600; i++) {
            snprintf(in, sizeof in, "app --password=s3cret%d --url https://svc:8443/v%d", i, i);
            unsigned n = 0;
            char *out = red(in, &n);
            ck_assert_msg(strstr(out, "s3cret") == NULL, "secret survived: %s", out);
            if (round == 0) {
                snprintf(want[i], sizeof want[i], "%s", out);
                want_n[i] = n;
            } else {
                ck_assert_str_eq(out, want[i]);
                ck_assert_uint_eq(n, want_n[i]);
            }
            free(out);
        }
    const char *plain = "mysql --host db --user app"; /* a regex runs, finds nothing */
    unsigned n = 0;
    ck_assert_ptr_eq(redact_view(R, plain, &n), plain);
    ck_assert_ptr_eq(redact_view(R, plain, &n), plain);
    ck_assert_uint_eq(n, 0);
}
END_TEST

/* The record itself: environment, every process and traced-call
 * arguments (strings, text bytes, paths) lose their secrets; binary bytes,
 * ordinary values and the processes the caller already did stay. */
START_TEST(event_fields)
{
    pj_arena *a = pj_arena_new();
    ck_assert_ptr_nonnull(a);
    Tetragon__EnvVar env_secret = TETRAGON__ENV_VAR__INIT, env_plain = TETRAGON__ENV_VAR__INIT;
    env_secret.key = "DB_PASSWORD";
    env_secret.value = "Hunter2hunter";
    env_plain.key = "PATH";
    env_plain.value = "/usr/bin:/bin";
    Tetragon__EnvVar *envs[] = {&env_secret, &env_plain};
    Tetragon__Process proc = TETRAGON__PROCESS__INIT, parent = TETRAGON__PROCESS__INIT;
    proc.arguments = "--password=Hunter2hunter";
    proc.environment_variables = envs;
    proc.n_environment_variables = 2;
    parent.arguments = "--token s3cr3tT0ken --verbose"; /* in skip: the caller's */

    Tetragon__KprobeArgument s_arg = TETRAGON__KPROBE_ARGUMENT__INIT,
                             b_text = TETRAGON__KPROBE_ARGUMENT__INIT,
                             b_bin = TETRAGON__KPROBE_ARGUMENT__INIT,
                             f_arg = TETRAGON__KPROBE_ARGUMENT__INIT;
    s_arg.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_STRING_ARG;
    s_arg.string_arg = "Authorization: Bearer abcDEF123456789";
    static char text[] = "mysql --password=Hunter2hunter";
    b_text.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_BYTES_ARG;
    b_text.bytes_arg.data = (uint8_t *)text;
    b_text.bytes_arg.len = sizeof text - 1;
    static unsigned char bin[] = "--password=Hunter2hunter\0\xff";
    b_bin.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_BYTES_ARG;
    b_bin.bytes_arg.data = bin;
    b_bin.bytes_arg.len = sizeof bin - 1;
    Tetragon__KprobeFile file = TETRAGON__KPROBE_FILE__INIT;
    file.path = "/tmp/https://admin:Sup3rPass@db.example/x";
    f_arg.arg_case = TETRAGON__KPROBE_ARGUMENT__ARG_FILE_ARG;
    f_arg.file_arg = &file;
    Tetragon__KprobeArgument *args[] = {&s_arg, &b_text, &b_bin, &f_arg};
    Tetragon__ProcessKprobe kp = TETRAGON__PROCESS_KPROBE__INIT;
    kp.process = &proc;
    kp.parent = &parent;
    kp.function_name = "security_file_open";
    kp.args = args;
    kp.n_args = 4;
    Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
    ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE;
    ev.process_kprobe = &kp;

    const void *skip[] = {&parent};
    unsigned n = 0;
    ck_assert_int_eq(redact_event_tree(R, a, &ev.base, skip, 1, &n), 0);
    ck_assert_ptr_null(strstr(proc.arguments, "Hunter2hunter"));
    ck_assert_ptr_nonnull(strstr(proc.arguments, "--password="));
    ck_assert_str_eq(env_secret.key, "DB_PASSWORD");
    ck_assert_ptr_null(strstr(env_secret.value, "Hunter2hunter"));
    ck_assert_ptr_nonnull(strstr(env_secret.value, "<redacted:"));
    ck_assert_str_eq(env_plain.value, "/usr/bin:/bin");
    ck_assert_str_eq(parent.arguments, "--token s3cr3tT0ken --verbose");
    ck_assert_ptr_null(strstr(s_arg.string_arg, "abcDEF123456789"));
    ck_assert_ptr_nonnull(strstr(s_arg.string_arg, "Authorization: Bearer"));
    ck_assert_ptr_ne(b_text.bytes_arg.data, (uint8_t *)text);
    ck_assert_ptr_null(
        strstr((const char *)b_text.bytes_arg.data, "Hunter2hunter")); /* copies end in NUL */
    ck_assert_ptr_eq(b_bin.bytes_arg.data, bin);                       /* not text: as it was */
    ck_assert_ptr_null(strstr(file.path, "Sup3rPass"));
    ck_assert_str_eq(kp.function_name, "security_file_open");
    ck_assert_uint_ge(n, 5);
    /* a second pass finds nothing more */
    unsigned again = 0;
    ck_assert_int_eq(redact_event_tree(R, a, &ev.base, skip, 1, &again), 0);
    ck_assert_uint_eq(again, 0);
    pj_arena_free(a);
}
END_TEST

static void setup(void)
{
    char err[256];
    R = redact_new(err, sizeof err);
    ck_assert_msg(R != NULL, "%s", err);
}
static void teardown(void)
{
    redact_free(R);
}

static void add_tests(TCase *tc)
{
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, secret_shapes);
    tcase_add_test(tc, ordinary_arguments_untouched);
    tcase_add_test(tc, host_ports_kept);
    tcase_add_test(tc, idempotent);
    tcase_add_test(tc, repeated_texts);
    tcase_add_test(tc, event_fields);
}

int main(void)
{
    return check_main("enrich_redact", add_tests);
}
