/* options.c - getopt tables, --help text and option error messages from
 * one option table.
 *
 * getopt's own messages are turned off by the ':' opening the option
 * string: that makes a missing value come back as ':' rather than '?', and
 * getopt would prefix argv[0] (a path) and word things its own way.
 * opts_error() says instead which option was wrong, from the same table,
 * so all three programs word it alike and each says it once. */
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

/* The option a "--name[=value]" word names, resolved as getopt_long does:
 * an exact name, else the only name it abbreviates.  NULL when none fits,
 * with *many set when several do. */
static const opt_def *long_match(const opt_def *defs, size_t n, const char *w, size_t wl, int *many)
{
    const opt_def *found = NULL;
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        if (defs[i].name == NULL || strncmp(defs[i].name, w, wl) != 0)
            continue;
        if (defs[i].name[wl] == '\0')
            return &defs[i];
        found = &defs[i];
        count++;
    }
    *many = count > 1;
    return count == 1 ? found : NULL;
}

/* "option '--b' is ambiguous (--brokers, --batch-docs)" */
static void ambiguous(const opt_def *defs, size_t n, const char *w, size_t wl, char *msg,
                      size_t len)
{
    size_t used = (size_t)snprintf(msg, len, "option '--%.*s' is ambiguous (", (int)wl, w);
    const char *sep = "";
    for (size_t i = 0; i < n && used < len; i++) {
        if (defs[i].name != NULL && strncmp(defs[i].name, w, wl) == 0) {
            used += (size_t)snprintf(msg + used, len - used, "%s--%s", sep, defs[i].name);
            sep = ", ";
        }
    }
    if (used < len)
        snprintf(msg + used, len - used, ")");
}

static const opt_def *by_id(const opt_def *defs, size_t n, int id)
{
    for (size_t i = 0; i < n; i++)
        if (defs[i].id == id)
            return &defs[i];
    return NULL;
}

void opts_error(const opt_def *defs, size_t n, int c, int opt, const char *arg, char *msg,
                size_t len)
{
    /* the long form, when arg is one; in a bundle ("--index=x -Zq") arg
     * is the word before, which names an option other than opt */
    const char *w = arg != NULL && strncmp(arg, "--", 2) == 0 ? arg + 2 : NULL;
    size_t wl = w != NULL ? strcspn(w, "=") : 0;
    int many = 0;
    const opt_def *d = w != NULL ? long_match(defs, n, w, wl, &many) : NULL;
    if (d != NULL && d->id != opt)
        d = NULL;
    if (d == NULL && opt >= OPT_LONG_ONLY)
        d = by_id(defs, n, opt);
    if (c == ':' && d != NULL && d->name != NULL)
        snprintf(msg, len, "option '--%s' needs a value", d->name);
    else if (c == ':')
        snprintf(msg, len, "option '-%c' needs a value", opt);
    else if (d != NULL && d->name != NULL) /* a known option, given "--no-gzip=1" */
        snprintf(msg, len, "option '--%s' takes no value", d->name);
    else if (opt > 0x20 && opt < 0x7f)
        snprintf(msg, len, "unknown option '-%c'", opt);
    else if (opt != 0)
        snprintf(msg, len, "unknown option byte 0x%02x", (unsigned)opt & 0xffu);
    else if (w != NULL && many)
        ambiguous(defs, n, w, wl, msg, len);
    else if (w != NULL)
        snprintf(msg, len, "unknown option '--%.*s'", (int)wl, w);
    else
        snprintf(msg, len, "unknown option '%s'", arg != NULL ? arg : "");
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
