/* test_http_secret.c - where a secret comes from: a file named by an
 * option wins over the environment, the environment serves when no file
 * is named, and a file that cannot be read is an error naming it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "http/http.h"

static char path[64];

static void setup(void)
{
    snprintf(path, sizeof path, "/tmp/test_http_secret.%d", (int)getpid());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("from-file\nsecond line\n", f);
    fclose(f);
    setenv("TEST_SECRET", "from-env", 1);
}

static void teardown(void)
{
    unlink(path);
    unsetenv("TEST_SECRET");
}

START_TEST(file_wins_over_environment)
{
    char *s = NULL, err[256];
    ck_assert_int_eq(http_secret("TEST_SECRET", path, &s, err, sizeof err), 0);
    ck_assert_str_eq(s, "from-file");
    free(s);
}
END_TEST

START_TEST(environment_without_file)
{
    char *s = NULL, err[256];
    ck_assert_int_eq(http_secret("TEST_SECRET", NULL, &s, err, sizeof err), 0);
    ck_assert_str_eq(s, "from-env");
    free(s);
    unsetenv("TEST_SECRET");
    ck_assert_int_eq(http_secret("TEST_SECRET", NULL, &s, err, sizeof err), 0);
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(unreadable_file)
{
    char *s = NULL, err[256] = "";
    ck_assert_int_eq(http_secret("TEST_SECRET", "/nonexistent/secret", &s, err, sizeof err), -1);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/secret"));
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, file_wins_over_environment);
    tcase_add_test(t, environment_without_file);
    tcase_add_test(t, unreadable_file);
}

int main(void)
{
    return check_main("http_secret", add_tests);
}
