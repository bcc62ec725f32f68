/* options.h - a program's options described once, as data.
 *
 * Each program keeps one table of opt_def.  An entry says everything about
 * its option: names, argument, help line, default, range and the setter
 * that stores it.  getopt_long's tables, the --help text (defaults
 * included), the defaults themselves (opts_defaults runs every entry's
 * setter on its default string) and the parse loop are all made from it,
 * and tests/integration/05_manpages.sh compares --help with the man page,
 * so an option cannot be added in one place and forgotten in another, and
 * a default is typed once.
 *
 * An old spelling kept for one release is an entry with alias_of set to the
 * id of the option it now means: it parses like that option, stays out of
 * the option list of --help and is named on a line of its own below it
 * (opts_help_aliases), which the man page's DEPRECATED OPTIONS list
 * repeats. */
#ifndef TETRA_OPTIONS_H
#define TETRA_OPTIONS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* Ids of long-only options start here, above every short option char. */
#define OPT_LONG_ONLY 256
/* The most entries a table may have (opts_parse's getopt tables). */
#define OPTS_MAX 128

/* What a setter returns besides 0 (stored) and -1 (bad value, err
 * filled): the option was served and the program should exit 0 (--help,
 * --version, -X list). */
#define OPT_DONE 1

typedef struct opt_def opt_def;

/* Store one option's value into cfg, the program's settings.  arg is the
 * value (NULL for an option without one).  Returns 0, OPT_DONE, or -1
 * with err filled (a message naming the option, never a secret). */
typedef int (*opt_setter)(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);

struct opt_def {
    int id;           /* the short option char, or OPT_LONG_ONLY + n */
    const char *name; /* long name without "--", or NULL */
    const char *arg;  /* argument name for the help text, NULL for none */
    const char *help; /* one line, without the default */
    opt_setter set;   /* how the value is stored */
    size_t off;       /* where the opt_set_* setters store: offsetof(settings, field) */
    double min, max;  /* range of a number; both 0: any value of the type */
    const char *def;  /* default, as the user would type it; NULL: none */
    const char *key;  /* a conf.c key the setter hands the value to, or NULL */
    int alias_of;     /* nonzero: an old spelling of the option with this id */
};

/* Fill getopt_long's tables from defs[0..n): longopts needs n + 1 entries,
 * shortopts 3 * n + 2 bytes.  Returns 0, or -1 when they are too small. */
int opts_build(const opt_def *defs, size_t n, struct option *longopts, size_t nlong,
               char *shortopts, size_t nshort);

/* The entry with this id (an alias resolved to its target), or NULL. */
const opt_def *opts_find(const opt_def *defs, size_t n, int id);

/* Say which option getopt_long refused, for the caller to print before its
 * "Try ... --help" line.  opts_build's option string starts with ':', which
 * keeps getopt itself quiet, so this is the only message.  c is what
 * getopt_long returned ('?' or ':'), opt its optopt and arg argv[optind - 1]
 * (argc > 0 makes that valid).  Long options set optopt to their id, an
 * unknown or ambiguous long option to 0, and in a bundle ("-qZ") arg can be
 * another word, so the short form is named from opt and the long one from
 * arg.  Writes one of "unknown option '--bogus'", "unknown option '-Z'",
 * "option '--batch-docs' needs a value", "option '--no-gzip' takes no
 * value", "option '--b' is ambiguous" into msg (size len, truncated). */
void opts_error(const opt_def *defs, size_t n, int c, int opt, const char *arg, char *msg,
                size_t len);

/* Write the option list, one option per line, to fp, aliases left out:
 *   "  -b, --brokers BROKERS            what it does (default x)" */
void opts_help(FILE *fp, const opt_def *defs, size_t n);

/* Write one line naming the old spellings, when there are any:
 * "old spellings, accepted for this release: -F (now -I), ..." */
void opts_help_aliases(FILE *fp, const opt_def *defs, size_t n);

/* Run every entry's setter on its default.  Returns 0, or -1 with err
 * filled (a default its own setter refuses: a bug in the table). */
int opts_defaults(const opt_def *defs, size_t n, void *cfg, char *err, size_t errlen);

/* Parse argv[1..argc) with the table into cfg: each option's setter runs
 * in command-line order.  Returns -1 when the program should go on (the
 * operands start at optind), EXIT_OK (0) when a setter served the option
 * (--help), or EXIT_USAGE (2) after reporting a usage error on stderr,
 * "Try ... --help" line included. */
int opts_parse(const opt_def *defs, size_t n, void *cfg, int argc, char **argv);

/* Parse a non-negative decimal integer in [min, max] with an optional
 * k/K, m/M or g/G suffix (powers of 1024).  Returns 0, or -1 when s is not
 * such a number. */
int opts_parse_size(const char *s, unsigned long long min, unsigned long long max,
                    unsigned long long *out);

/* A number for d: an integer (suffix as opts_parse_size), or with
 * decimals when d->set is opt_set_double, within d's range.  Returns 0, or
 * -1 with err as "--name: expected a number from MIN to MAX, got 'x'". */
int opts_number(const opt_def *d, const char *arg, double *out, char *err, size_t errlen);

/* Setters that store at cfg + d->off.  Numbers are range-checked by
 * opts_number; opt_set_str keeps the pointer (argv and the table's
 * defaults outlive the settings); opt_set_true and opt_set_false store 1
 * and 0 in an int. */
int opt_set_str(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
int opt_set_true(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
int opt_set_false(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
int opt_set_int(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
int opt_set_unsigned(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
int opt_set_long(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
int opt_set_size(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
int opt_set_u64(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
int opt_set_double(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
/* -X KEY=VALUE and -c FILE into the conf (util/conf.h) at d->off:
 * conf_set_kv and conf_read_file; "-X list" prints librdkafka's
 * properties and returns OPT_DONE. */
int opt_set_property(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
int opt_set_config_file(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
/* -q and -v: store MSG_QUIET or MSG_VERBOSE in the int at d->off and set
 * msg.c's level at once, so later messages of the parse obey it. */
int opt_set_quiet(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
int opt_set_verbose(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);
/* --log-format: text or json, set in msg.c at once. */
int opt_set_log_format(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen);

#endif
