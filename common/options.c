/* options.c - getopt tables and --help text from one option table. */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int opts_build(const opt_def *defs, size_t n, struct option *longopts, size_t nlong,
               char *shortopts, size_t nshort)
{
    size_t nl = 0, ns = 0;
    if (nlong < n + 1 || nshort < 3 * n + 2)
        return -1;
    shortopts[ns++] = ':'; /* report a missing argument as ':' */
    for (size_t i = 0; i < n; i++) {
        if (defs[i].name != NULL) {
            longopts[nl].name = defs[i].name;
            longopts[nl].has_arg = defs[i].arg != NULL ? required_argument : no_argument;
            longopts[nl].flag = NULL;
            longopts[nl].val = defs[i].id;
            nl++;
        }
        if (defs[i].id < OPT_LONG_ONLY) {
            shortopts[ns++] = (char)defs[i].id;
            if (defs[i].arg != NULL)
                shortopts[ns++] = ':';
        }
    }
    memset(&longopts[nl], 0, sizeof(longopts[nl]));
    shortopts[ns] = '\0';
    return 0;
}

void opts_help(FILE *fp, const opt_def *defs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char left[64];
        const opt_def *d = &defs[i];
        char sh[8] = "    ";
        if (d->id < OPT_LONG_ONLY)
            snprintf(sh, sizeof(sh), "-%c%s", d->id, d->name ? ", " : "");
        snprintf(left, sizeof(left), "%s%s%s%s%s", sh, d->name ? "--" : "",
                 d->name ? d->name : "", d->arg ? " " : "", d->arg ? d->arg : "");
        fprintf(fp, "  %-32s %s\n", left, d->help);
    }
}

int opts_parse_size(const char *s, unsigned long long min, unsigned long long max,
                    unsigned long long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    unsigned long long mul = 1;
    switch (*end) {
    case 'k': case 'K': mul = 1ULL << 10; end++; break;
    case 'm': case 'M': mul = 1ULL << 20; end++; break;
    case 'g': case 'G': mul = 1ULL << 30; end++; break;
    default: break;
    }
    if (*end != '\0' || v > max / mul)
        return -1;
    v *= mul;
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}
