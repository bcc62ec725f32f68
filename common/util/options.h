/* options.h - a program's options described once, as data.
 *
 * Each program keeps one table of opt_def; getopt_long's tables and the
 * --help text are made from it, and a test compares the help text with the
 * man page, so an option cannot be added in one place and forgotten in
 * another. */
#ifndef TETRA_OPTIONS_H
#define TETRA_OPTIONS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* Ids of long-only options start here, above every short option char. */
#define OPT_LONG_ONLY 256

typedef struct opt_def {
    int id;            /* the short option char, or OPT_LONG_ONLY + n */
    const char *name;  /* long name without "--", or NULL */
    const char *arg;   /* argument name for the help text, NULL for none */
    const char *help;  /* one line */
} opt_def;

/* Fill getopt_long's tables from defs[0..n): longopts needs n + 1 entries,
 * shortopts 3 * n + 2 bytes.  Returns 0, or -1 when they are too small. */
int opts_build(const opt_def *defs, size_t n, struct option *longopts, size_t nlong,
               char *shortopts, size_t nshort);

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

/* Write the option list, one option per line, to fp:
 *   "  -b, --brokers BROKERS  what it does" */
void opts_help(FILE *fp, const opt_def *defs, size_t n);

/* Parse a non-negative decimal integer in [min, max] with an optional
 * k/K, m/M or g/G suffix (powers of 1024).  Returns 0, or -1 when s is not
 * such a number. */
int opts_parse_size(const char *s, unsigned long long min, unsigned long long max,
                    unsigned long long *out);

#endif
