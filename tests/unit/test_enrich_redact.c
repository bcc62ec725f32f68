/* test_enrich_redact.c - every secret shape the redactor promises to catch
 * becomes a placeholder, the text around it survives, and ordinary
 * arguments pass through untouched. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "../../enrich/redact.h"

static redactor *R;

static char *red(const char *in, unsigned *n) {
    buf b = BUF_INIT;
    ck_assert_int_eq(redact_text(R, in, &b, n), 0);
    char *s = strdup(b.p ? b.p : "");
    buf_free(&b);
    return s;
}

static void expect_gone(const char *in, const char *secret, const char *kept) {
    unsigned n = 0;
    char *s = red(in, &n);
    ck_assert_msg(strstr(s, secret) == NULL, "secret survived: %s", s);
    ck_assert_msg(strstr(s, "<redacted:") != NULL, "no placeholder: %s", s);
    if (kept) ck_assert_msg(strstr(s, kept) != NULL, "context lost (%s): %s", kept, s);
    ck_assert_uint_ge(n, 1);
    free(s);
}

START_TEST(secret_shapes)
{
    expect_gone("mysql --password=Hunter2hunter -h db", "Hunter2hunter", "--password=");
    expect_gone("app --token s3cr3tT0ken --verbose", "s3cr3tT0ken", "--verbose");
    expect_gone("main -psk SecurePSK!23@456 -v", "SecurePSK!23@456", "-psk");
    expect_gone("mysql -u root -pRootPw123 shop", "RootPw123", "mysql -u root");
    expect_gone("sshpass -p 'letmein99' ssh host", "letmein99", "ssh host");
    expect_gone("curl -H \"Authorization: Bearer abcDEF123456789\" https://x", "abcDEF123456789", "https://x");
    expect_gone("curl https://admin:Sup3rPass@db.example/x", "Sup3rPass", "admin:");
    expect_gone("curl -u alice:WonderPw1 https://x", "WonderPw1", "alice");
    expect_gone("env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY aws s3 ls",
                "wJalrXUtnFEMI", "aws s3 ls");
    expect_gone("aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", NULL);
    expect_gone("gcloud --key AIzaSyA1234567890abcdefghijklmnopqrstu", "AIzaSyA1234567890abcdefghijklmnopqrstu", NULL);
    expect_gone("x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl y", "eyJzdWIiOiIxMjM0In0", " y");
    expect_gone("echo -----BEGIN RSA PRIVATE KEY-----MIIEpAIBAAKCAQEA-----END RSA PRIVATE KEY----- > k",
                "MIIEpAIBAAKCAQEA", "> k");
    expect_gone("git clone https://x ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghij", NULL);
    expect_gone("https://api.example/v1?api_key=k3yv4lue&x=1", "k3yv4lue", "&x=1");
}
END_TEST

START_TEST(ordinary_arguments_untouched)
{
    static const char *const keep[] = {
        "-t 1 -m -u -n -i -p bash", "--port 80 --host 0.0.0.0", "/etc/passwd",
        "-g \"daemon off;\"", "install -y curl", "ssh -p 2222 user@host",
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        unsigned n = 0;
        char *s = red(keep[i], &n);
        ck_assert_str_eq(s, keep[i]);
        ck_assert_uint_eq(n, 0);
        free(s);
    }
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

static void setup(void) {
    char err[256];
    R = redact_new(err, sizeof err);
    ck_assert_msg(R != NULL, "%s", err);
}
static void teardown(void) { redact_free(R); }

static void add_tests(TCase *tc) {
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, secret_shapes);
    tcase_add_test(tc, ordinary_arguments_untouched);
    tcase_add_test(tc, idempotent);
}

int main(void) {
    return check_main("enrich_redact", add_tests);
}
