/* test_options.c - the option table becomes correct getopt tables and help
 * lines, a refused option is named the way it was written (run through the
 * real getopt_long, whose optopt and optind rules the message depends on),
 * sizes parse strictly, and the rate limiter of msg.c logs the first
 * occurrence of each reason and then stays quiet. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "util/msg.h"
#include "util/options.h"

static const opt_def defs[] = {
    {'b', "brokers", "BROKERS", "brokers"},
    {'f', "follow", NULL, "follow"},
    {OPT_LONG_ONLY, "state", "FILE", "state file"},
    {'q', NULL, NULL, "quiet"},
};

START_TEST(build_tables)
{
    struct option lo[5];
    char so[3 * 4 + 2];
    ck_assert_int_eq(opts_build(defs, 4, lo, 5, so, sizeof(so)), 0);
    ck_assert_str_eq(so, ":b:fq");
    ck_assert_str_eq(lo[0].name, "brokers");
    ck_assert_int_eq(lo[0].has_arg, required_argument);
    ck_assert_int_eq(lo[1].has_arg, no_argument);
    ck_assert_int_eq(lo[2].val, OPT_LONG_ONLY);
    ck_assert_ptr_null(lo[3].name);
    ck_assert_int_eq(opts_build(defs, 4, lo, 4, so, sizeof(so)), -1);
}
END_TEST

START_TEST(help_lines)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    opts_help(fp, defs, 4);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(text, "  -b, --brokers BROKERS"));
    ck_assert_ptr_nonnull(strstr(text, "  -f, --follow "));
    ck_assert_ptr_nonnull(strstr(text, "      --state FILE"));
    ck_assert_ptr_nonnull(strstr(text, "  -q  "));
    free(text);
}
END_TEST

static const opt_def edefs[] = {
    {'b', "brokers", "BROKERS", "brokers"},
    {'q', "quiet", NULL, "quiet"},
    {OPT_LONG_ONLY, "batch-docs", "N", "documents"},
    {OPT_LONG_ONLY + 1, "no-gzip", NULL, "plain"},
    {OPT_LONG_ONLY + 2, "state", "FILE", "state file"},
};
#define NEDEFS (sizeof edefs / sizeof edefs[0])

/* Parse "p" and the words of args (NULL-terminated) until getopt_long
 * refuses one; returns opts_error's message, or "" when nothing was. */
static const char *refused(const char *const *args)
{
    static char msg[200];
    char *argv[8];
    int argc = 0;
    argv[argc++] = strdup("p");
    for (; *args && argc < 7; args++)
        argv[argc++] = strdup(*args);
    argv[argc] = NULL;
    struct option lo[NEDEFS + 1];
    char so[3 * NEDEFS + 2];
    ck_assert_int_eq(opts_build(edefs, NEDEFS, lo, NEDEFS + 1, so, sizeof so), 0);
    msg[0] = '\0';
    optind = 0; /* glibc: start over, forgetting a bundle in progress */
    int c;
    while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        if (c == '?' || c == ':') {
            opts_error(edefs, NEDEFS, c, optopt, argv[optind - 1], msg, sizeof msg);
            break;
        }
    }
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return msg;
}

#define REFUSED(want, ...) ck_assert_str_eq(refused((const char *const[]){__VA_ARGS__, NULL}), want)

START_TEST(error_names_the_option)
{
    REFUSED("unknown option '--bogus'", "--bogus");
    REFUSED("unknown option '--bogus'", "--bogus=3");
    REFUSED("unknown option '--bogus'", "file", "-q", "--bogus"); /* after a permutation */
    REFUSED("unknown option '-Z'", "-Z");
    REFUSED("unknown option '-Z'", "-qZ");
    /* in a bundle argv[optind - 1] is the word before: optopt decides */
    REFUSED("unknown option '-Z'", "--state=x", "-Zq");
    REFUSED("unknown option '-Z'", "--brokers", "h:1", "-Zq");
    REFUSED("option '-b' needs a value", "-b");
    REFUSED("option '-b' needs a value", "-qb");
    REFUSED("option '--brokers' needs a value", "--brokers");
    REFUSED("option '--brokers' needs a value", "--bro"); /* the name it abbreviates */
    REFUSED("option '--batch-docs' needs a value", "--batch-docs");
    REFUSED("option '--batch-docs' needs a value", "-q", "--batch-d");
    REFUSED("option '--no-gzip' takes no value", "--no-gzip=1");
    REFUSED("option '--quiet' takes no value", "--quiet=yes");
    REFUSED("option '--b' is ambiguous (--brokers, --batch-docs)", "--b");
    REFUSED("", "-q", "--batch-docs=5", "--", "--bogus");
    /* a message longer than the buffer is cut, not overrun */
    char small[12];
    opts_error(edefs, NEDEFS, '?', 0, "--b", small, sizeof small);
    ck_assert_str_eq(small, "option '--b");
}
END_TEST

START_TEST(sizes)
{
    unsigned long long v;
    ck_assert_int_eq(opts_parse_size("1024", 16, 1ULL << 30, &v), 0);
    ck_assert_uint_eq(v, 1024);
    ck_assert_int_eq(opts_parse_size("2k", 16, 1ULL << 30, &v), 0);
    ck_assert_uint_eq(v, 2048);
    ck_assert_int_eq(opts_parse_size("1M", 16, 1ULL << 30, &v), 0);
    ck_assert_uint_eq(v, 1ULL << 20);
    ck_assert_int_eq(opts_parse_size("1g", 16, 1ULL << 30, &v), 0);
    ck_assert_int_eq(opts_parse_size("2g", 16, 1ULL << 30, &v), -1);
    ck_assert_int_eq(opts_parse_size("8", 16, 1ULL << 30, &v), -1);
    ck_assert_int_eq(opts_parse_size("", 16, 1ULL << 30, &v), -1);
    ck_assert_int_eq(opts_parse_size("-5", 0, 100, &v), -1);
    ck_assert_int_eq(opts_parse_size(" 5", 0, 100, &v), -1);
    ck_assert_int_eq(opts_parse_size("5kb", 0, 1ULL << 30, &v), -1);
    ck_assert_int_eq(opts_parse_size("99999999999999999999", 0, ~0ULL, &v), -1);
    ck_assert_int_eq(opts_parse_size("18014398509481984k", 0, ~0ULL, &v), -1); /* overflows */
}
END_TEST

START_TEST(ratelimit)
{
    uint64_t sup;
    msg_init("test", MSG_NORMAL);
    msg_ratelimit_reset();
    ck_assert_int_eq(msg_ratelimit("invalid_json", 3600, &sup), 1);
    ck_assert_uint_eq(sup, 0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(msg_ratelimit("invalid_json", 3600, &sup), 0);
    ck_assert_int_eq(msg_ratelimit("too_long", 3600, &sup), 1);
    /* interval 0: the next one is logged again and carries the count */
    ck_assert_int_eq(msg_ratelimit("invalid_json", 0, &sup), 1);
    ck_assert_uint_eq(sup, 5);
    msg_set_level(MSG_VERBOSE);
    ck_assert_int_eq(msg_ratelimit("too_long", 3600, &sup), 1);
    msg_set_level(MSG_NORMAL);
    ck_assert_str_eq(msg_progname(), "test");
    msg_init("/usr/bin/tetra-capture", MSG_QUIET);
    ck_assert_str_eq(msg_progname(), "tetra-capture");
    ck_assert_int_eq(msg_level(), MSG_QUIET);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, build_tables);
    tcase_add_test(t, help_lines);
    tcase_add_test(t, error_names_the_option);
    tcase_add_test(t, sizes);
    tcase_add_test(t, ratelimit);
}

int main(void)
{
    return check_main("options", add_tests);
}
