/* test_options.c - the option table becomes correct getopt tables and help
 * lines, a refused option is named the way it was written (run through the
 * real getopt_long, whose optopt and optind rules the message depends on),
 * sizes parse strictly, defaults, ranges and aliases come from the table
 * and are applied by its setters, and the rate limiter of msg.c logs the first
 * occurrence of each reason and then stays quiet. */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "util/msg.h"
#include "util/options.h"

static const opt_def defs[] = {
    {'b', "brokers", "BROKERS", "brokers", .def = "localhost:9092"},
    {'f', "follow", NULL, "follow", .set = opt_set_true},
    {OPT_LONG_ONLY, "state", "FILE", "state file", .set = opt_set_str},
    {'q', NULL, NULL, "quiet", .set = opt_set_quiet},
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
    ck_assert_ptr_nonnull(strstr(text, " brokers (default localhost:9092)\n"));
    ck_assert_ptr_null(strstr(text, "follow (default"));
    ck_assert_ptr_nonnull(strstr(text, "  -f, --follow "));
    ck_assert_ptr_nonnull(strstr(text, "      --state FILE"));
    ck_assert_ptr_nonnull(strstr(text, "  -q  "));
    free(text);
}
END_TEST

static const opt_def edefs[] = {
    {'b', "brokers", "BROKERS", "brokers", .set = opt_set_str},
    {'q', "quiet", NULL, "quiet", .set = opt_set_quiet},
    {OPT_LONG_ONLY, "batch-docs", "N", "documents", .set = opt_set_size},
    {OPT_LONG_ONLY + 1, "no-gzip", NULL, "plain", .set = opt_set_false},
    {OPT_LONG_ONLY + 2, "state", "FILE", "state file", .set = opt_set_str},
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

/* A settings struct as a program has one, and its table: every kind of
 * setter, a default for each, ranges, and two old spellings. */
typedef struct tcfg {
    const char *topic;
    int gzip, verbose, level;
    size_t batch;
    long linger;
    unsigned conc;
    uint64_t ttl;
    double price;
    int helped;
} tcfg;

static int tshow_help(void *cfg, const opt_def *d, const char *a, char *err, size_t n)
{
    (void)d, (void)a, (void)err, (void)n;
    ((tcfg *)cfg)->helped = 1;
    return OPT_DONE;
}

enum { T_BATCH = OPT_LONG_ONLY, T_LINGER, T_NOGZIP, T_CONC, T_TTL, T_PRICE, T_OLD_BATCH };
#define TAT(f) .off = offsetof(tcfg, f)
static const opt_def tdefs[] = {
    {'t', "topic", "TOPIC", "topic", opt_set_str, TAT(topic), .def = "events"},
    {'I', "input-format", "FORMAT", "input", opt_set_str, TAT(topic)},
    {T_BATCH, "batch-docs", "N", "docs", opt_set_size, TAT(batch), 1, 100000, .def = "1000"},
    {T_LINGER, "linger-ms", "MS", "wait", opt_set_long, TAT(linger), 0, 600000, .def = "200"},
    {T_NOGZIP, "no-gzip", NULL, "plain", opt_set_false, TAT(gzip)},
    {T_CONC, "concurrency", "N", "at once", opt_set_unsigned, TAT(conc), 1, 64, .def = "4"},
    {T_TTL, "ttl", "SIZE", "ttl", opt_set_u64, TAT(ttl), 1024, 1 << 30, .def = "4m"},
    {T_PRICE, "price", "PRICE", "price", opt_set_double, TAT(price), 0, 1000, .def = "0.5"},
    {'v', "verbose", NULL, "notes", opt_set_verbose, TAT(level)},
    {'h', "help", NULL, "help", .set = tshow_help},
    {'F', "format", NULL, NULL, .alias_of = 'I'},
    {T_OLD_BATCH, "batch", NULL, NULL, .alias_of = T_BATCH},
};
#define NT (sizeof tdefs / sizeof tdefs[0])

/* Run opts_parse on "p" and args, quietly; returns its result.  The
 * words stay until the next call: opt_set_str keeps pointers into them. */
static char *targv[20];
static int targc;

static int tparse(tcfg *c, const char *const *args)
{
    for (int i = 0; i < targc; i++)
        free(targv[i]);
    targc = 0;
    targv[targc++] = strdup("p");
    for (; *args && targc < 19; args++)
        targv[targc++] = strdup(*args);
    targv[targc] = NULL;
    char err[256];
    memset(c, 0, sizeof *c);
    c->gzip = 1;
    ck_assert_int_eq(opts_defaults(tdefs, NT, c, err, sizeof err), 0);
    msg_init("test", MSG_QUIET);
    optind = 0;
    return opts_parse(tdefs, NT, c, targc, targv);
}
#define TPARSE(c, ...) tparse(c, (const char *const[]){__VA_ARGS__, NULL})

START_TEST(defaults_from_the_table)
{
    tcfg c;
    ck_assert_int_eq(TPARSE(&c, "file"), -1);
    ck_assert_str_eq(c.topic, "events");
    ck_assert_uint_eq(c.batch, 1000);
    ck_assert_int_eq(c.linger, 200);
    ck_assert_uint_eq(c.conc, 4);
    ck_assert_uint_eq(c.ttl, 4u << 20);
    ck_assert_double_eq(c.price, 0.5);
    ck_assert_int_eq(c.gzip, 1);
    /* every default of the programs' tables is accepted by its setter:
     * here, one that is not is reported, naming the option */
    static const opt_def bad[] = {
        {'n', "n", "N", "n", opt_set_size, TAT(batch), 1, 10, .def = "11"}};
    char err[128];
    ck_assert_int_eq(opts_defaults(bad, 1, &c, err, sizeof err), -1);
    ck_assert_str_eq(err, "-n: expected a number from 1 to 10, got '11'");
}
END_TEST

START_TEST(setters_and_ranges)
{
    tcfg c;
    ck_assert_int_eq(TPARSE(&c, "-t", "x", "--batch-docs", "2k", "--linger-ms=0", "--no-gzip",
                            "--concurrency", "64", "--ttl", "1g", "--price", "2.25", "-v"),
                     -1);
    ck_assert_str_eq(c.topic, "x");
    ck_assert_uint_eq(c.batch, 2048);
    ck_assert_int_eq(c.linger, 0);
    ck_assert_int_eq(c.gzip, 0);
    ck_assert_uint_eq(c.conc, 64);
    ck_assert_uint_eq(c.ttl, 1u << 30);
    ck_assert_double_eq(c.price, 2.25);
    ck_assert_int_eq(c.level, MSG_VERBOSE);
    /* out of range, not a number, a suffix where decimals go: usage errors */
    ck_assert_int_eq(TPARSE(&c, "--batch-docs", "0"), 2);
    ck_assert_int_eq(TPARSE(&c, "--batch-docs", "100001"), 2);
    ck_assert_int_eq(TPARSE(&c, "--concurrency", "65"), 2);
    ck_assert_int_eq(TPARSE(&c, "--linger-ms", "-1"), 2);
    ck_assert_int_eq(TPARSE(&c, "--linger-ms", "1e3"), 2);
    ck_assert_int_eq(TPARSE(&c, "--ttl", "1023"), 2);
    ck_assert_int_eq(TPARSE(&c, "--price", "1001"), 2);
    ck_assert_int_eq(TPARSE(&c, "--price", "nan"), 2);
    ck_assert_int_eq(TPARSE(&c, "--price", "1k"), 2);
    ck_assert_int_eq(TPARSE(&c, "--bogus"), 2);
    ck_assert_int_eq(TPARSE(&c, "-h"), 0);
    ck_assert_int_eq(c.helped, 1);
    char err[128];
    double v;
    ck_assert_int_eq(opts_number(&tdefs[6], "5", &v, err, sizeof err), -1);
    ck_assert_str_eq(err, "--ttl: expected a number from 1024 to 1g, got '5'");
}
END_TEST

START_TEST(aliases)
{
    tcfg c;
    ck_assert_int_eq(TPARSE(&c, "-F", "proto"), -1);
    ck_assert_str_eq(c.topic, "proto");
    ck_assert_int_eq(TPARSE(&c, "--format=json"), -1);
    ck_assert_str_eq(c.topic, "json");
    ck_assert_int_eq(TPARSE(&c, "--batch", "7"), -1);
    ck_assert_uint_eq(c.batch, 7);
    ck_assert_int_eq(TPARSE(&c, "--batch", "0"), 2); /* the target's range */
    ck_assert_ptr_eq(opts_find(tdefs, NT, 'F'), &tdefs[1]);
    /* hidden from the list, named on their own line */
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    opts_help(fp, tdefs, NT);
    fclose(fp);
    ck_assert_ptr_null(strstr(text, "--format"));
    ck_assert_ptr_null(strstr(text, "--batch "));
    ck_assert_ptr_nonnull(strstr(text, "--batch-docs N"));
    ck_assert_ptr_nonnull(strstr(text, "docs (default 1000)\n"));
    free(text);
    fp = open_memstream(&text, &len);
    opts_help_aliases(fp, tdefs, NT);
    fclose(fp);
    ck_assert_str_eq(text, "old spellings, accepted for this release: -F, --format (now -I); "
                           "--batch (now --batch-docs)\n");
    free(text);
    /* an alias takes a value when its target does */
    struct option lo[NT + 1];
    char so[3 * NT + 2];
    ck_assert_int_eq(opts_build(tdefs, NT, lo, NT + 1, so, sizeof so), 0);
    ck_assert_ptr_nonnull(strstr(so, "F:"));
    ck_assert_int_eq(lo[NT - 1].has_arg, required_argument);
}
END_TEST

static void add_tests(TCase *t)
{
    tcase_add_test(t, build_tables);
    tcase_add_test(t, help_lines);
    tcase_add_test(t, error_names_the_option);
    tcase_add_test(t, sizes);
    tcase_add_test(t, defaults_from_the_table);
    tcase_add_test(t, setters_and_ranges);
    tcase_add_test(t, aliases);
    tcase_add_test(t, ratelimit);
}

static void free_words(void)
{
    for (int i = 0; i < targc; i++)
        free(targv[i]);
    targc = 0;
}

int main(void)
{
    atexit(free_words);
    return check_main("options", add_tests);
}
