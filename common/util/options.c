/* options.c - getopt tables, --help text, defaults, the parse loop and
 * option error messages from one option table (see options.h).
 *
 * getopt's own messages are turned off by the ':' opening the option
 * string: that makes a missing value come back as ':' rather than '?', and
 * getopt would prefix argv[0] (a path) and word things its own way.
 * opts_error() says instead which option was wrong, from the same table,
 * so all three programs word it alike and each says it once. */
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "msg.h"
#include "prog.h"

int opts_build(const opt_def *defs, size_t n, struct option *longopts, size_t nlong,
               char *shortopts, size_t nshort)
{
    size_t nl = 0, ns = 0;
    if (nlong < n + 1 || nshort < 3 * n + 2)
        return -1;
    shortopts[ns++] = ':'; /* report a missing argument as ':' */
    for (size_t i = 0; i < n; i++) {
        const opt_def *t = defs[i].alias_of ? opts_find(defs, n, defs[i].alias_of) : &defs[i];
        if (t == NULL)
            return -1;
        if (defs[i].name != NULL) {
            longopts[nl].name = defs[i].name;
            longopts[nl].has_arg = t->arg != NULL ? required_argument : no_argument;
            longopts[nl].flag = NULL;
            longopts[nl].val = defs[i].id;
            nl++;
        }
        if (defs[i].id < OPT_LONG_ONLY) {
            shortopts[ns++] = (char)defs[i].id;
            if (t->arg != NULL)
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

const opt_def *opts_find(const opt_def *defs, size_t n, int id)
{
    const opt_def *d = by_id(defs, n, id);
    return d != NULL && d->alias_of ? by_id(defs, n, d->alias_of) : d;
}

/* "-b, --brokers BROKERS" or "    --state FILE" */
static void left_column(const opt_def *d, char *out, size_t len)
{
    char sh[8] = "    ";
    if (d->id < OPT_LONG_ONLY)
        snprintf(sh, sizeof(sh), "-%c%s", d->id, d->name ? ", " : "");
    snprintf(out, len, "%s%s%s%s%s", sh, d->name ? "--" : "", d->name ? d->name : "",
             d->arg ? " " : "", d->arg ? d->arg : "");
}

void opts_help(FILE *fp, const opt_def *defs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const opt_def *d = &defs[i];
        char left[64];
        if (d->alias_of)
            continue;
        left_column(d, left, sizeof(left));
        if (d->def != NULL)
            fprintf(fp, "  %-36s %s (default %s)\n", left, d->help, d->def);
        else
            fprintf(fp, "  %-36s %s\n", left, d->help);
    }
}

/* "-F" or "--format", the shortest way to write d */
static void short_name(const opt_def *d, char *out, size_t len)
{
    if (d->id < OPT_LONG_ONLY)
        snprintf(out, len, "-%c", d->id);
    else
        snprintf(out, len, "--%s", d->name ? d->name : "?");
}

void opts_help_aliases(FILE *fp, const opt_def *defs, size_t n)
{
    const char *sep = "old spellings, accepted for this release:";
    for (size_t i = 0; i < n; i++) {
        const opt_def *t = defs[i].alias_of ? opts_find(defs, n, defs[i].alias_of) : NULL;
        char old[64], now[64];
        if (t == NULL)
            continue;
        short_name(&defs[i], old, sizeof(old));
        short_name(t, now, sizeof(now));
        /* an alias with both forms names both: "-F, --format (now ...)" */
        if (defs[i].id < OPT_LONG_ONLY && defs[i].name != NULL)
            fprintf(fp, "%s %s, --%s (now %s)", sep, old, defs[i].name, now);
        else
            fprintf(fp, "%s %s (now %s)", sep, old, now);
        sep = ";";
    }
    if (sep[0] == ';')
        fputc('\n', fp);
}

int opts_defaults(const opt_def *defs, size_t n, void *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const opt_def *d = &defs[i];
        if (d->def == NULL || d->alias_of || d->set == NULL)
            continue;
        err[0] = '\0';
        if (d->set(cfg, d, d->def, err, errlen) != 0) {
            if (err[0] == '\0')
                snprintf(err, errlen, "--%s: bad default '%s'", d->name ? d->name : "?", d->def);
            return -1;
        }
    }
    return 0;
}

/* Report a refused value: the setter's message, or a plain one. */
static int bad_value(const opt_def *d, const char *arg, const char *err)
{
    char name[64];
    short_name(d, name, sizeof(name));
    if (err[0] != '\0')
        errorf("%s", err);
    else
        errorf("bad value for %s: '%s'", name, arg != NULL ? arg : "");
    msg_try_help();
    return EXIT_USAGE;
}

int opts_parse(const opt_def *defs, size_t n, void *cfg, int argc, char **argv)
{
    struct option lo[OPTS_MAX + 1];
    char so[3 * OPTS_MAX + 2];
    if (opts_build(defs, n, lo, OPTS_MAX + 1, so, sizeof(so)) < 0) {
        errorf("option table too large or inconsistent");
        return EXIT_RUNTIME;
    }
    int c;
    while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        char err[512] = "";
        if (c == '?' || c == ':') {
            opts_error(defs, n, c, optopt, argv[optind - 1], err, sizeof(err));
            errorf("%s", err);
            msg_try_help();
            return EXIT_USAGE;
        }
        const opt_def *d = opts_find(defs, n, c);
        if (d == NULL || d->set == NULL) {
            errorf("option %d has no setter", c);
            return EXIT_RUNTIME;
        }
        int r = d->set(cfg, d, optarg, err, sizeof(err));
        if (r == OPT_DONE)
            return EXIT_OK;
        if (r != 0)
            return bad_value(d, optarg, err);
    }
    return -1;
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
    case 'k':
    case 'K':
        mul = 1ULL << 10;
        end++;
        break;
    case 'm':
    case 'M':
        mul = 1ULL << 20;
        end++;
        break;
    case 'g':
    case 'G':
        mul = 1ULL << 30;
        end++;
        break;
    default:
        break;
    }
    if (*end != '\0' || v > max / mul)
        return -1;
    v *= mul;
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "1024" or "1k" as the user would write a size: ranges read best so */
static void format_bound(double v, int frac, char *out, size_t len)
{
    if (frac)
        snprintf(out, len, "%g", v);
    else if (v >= 1024.0 * 1024 * 1024 && fmod(v, 1024.0 * 1024 * 1024) == 0)
        snprintf(out, len, "%.0fg", v / (1024.0 * 1024 * 1024));
    else if (v >= 1024.0 * 1024 && fmod(v, 1024.0 * 1024) == 0)
        snprintf(out, len, "%.0fm", v / (1024.0 * 1024));
    else
        snprintf(out, len, "%.0f", v);
}

int opts_number(const opt_def *d, const char *arg, double *out, char *err, size_t errlen)
{
    int frac = d->set == opt_set_double;
    double lo = d->min, hi = d->max;
    if (lo == 0 && hi == 0)
        hi = frac ? 1e15 : (double)(1ULL << 53);
    double v = 0;
    int ok;
    if (frac) {
        char *end;
        errno = 0;
        v = arg[0] >= '0' && arg[0] <= '9' ? strtod(arg, &end) : -1;
        ok = v >= 0 && errno == 0 && *end == '\0' && isfinite(v);
    } else {
        unsigned long long u;
        ok = opts_parse_size(arg, 0, ~0ULL, &u) == 0;
        v = (double)u;
    }
    if (ok && v >= lo && v <= hi) {
        *out = v;
        return 0;
    }
    char a[32], b[32], name[64];
    format_bound(lo, frac, a, sizeof(a));
    format_bound(hi, frac, b, sizeof(b));
    short_name(d, name, sizeof(name));
    snprintf(err, errlen, "%s: expected a number from %s to %s, got '%s'", name, a, b, arg);
    return -1;
}

/* The field d stores into. */
#define FIELD(type) ((type *)(void *)((char *)cfg + d->off))

int opt_set_str(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    *FIELD(const char *) = arg;
    return 0;
}

int opt_set_true(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen)
{
    (void)arg, (void)err, (void)errlen;
    *FIELD(int) = 1;
    return 0;
}

int opt_set_false(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen)
{
    (void)arg, (void)err, (void)errlen;
    *FIELD(int) = 0;
    return 0;
}

/* The integer setters: one parse, then a store of the field's type. */
#define INT_SETTER(fn, type)                                                                       \
    int fn(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen)                 \
    {                                                                                              \
        double v;                                                                                  \
        if (opts_number(d, arg, &v, err, errlen) < 0)                                              \
            return -1;                                                                             \
        *FIELD(type) = (type)v;                                                                    \
        return 0;                                                                                  \
    }
INT_SETTER(opt_set_int, int)
INT_SETTER(opt_set_unsigned, unsigned)
INT_SETTER(opt_set_long, long)
INT_SETTER(opt_set_size, size_t)
INT_SETTER(opt_set_u64, uint64_t)
INT_SETTER(opt_set_double, double)

int opt_set_property(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen)
{
    char why[512];
    if (strcmp(arg, "list") == 0) {
        conf_list(stdout);
        return OPT_DONE;
    }
    if (conf_set_kv(FIELD(conf), arg, why, sizeof(why)) == 0)
        return 0;
    snprintf(err, errlen, "-X %s", why); /* never the value: it may be a secret */
    return -1;
}

int opt_set_config_file(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen)
{
    return conf_read_file(FIELD(conf), arg, err, errlen);
}

int opt_set_quiet(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen)
{
    (void)arg, (void)err, (void)errlen;
    *FIELD(int) = MSG_QUIET;
    msg_set_level(MSG_QUIET);
    return 0;
}

int opt_set_verbose(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen)
{
    (void)arg, (void)err, (void)errlen;
    *FIELD(int) = MSG_VERBOSE;
    msg_set_level(MSG_VERBOSE);
    return 0;
}

int opt_set_log_format(void *cfg, const opt_def *d, const char *arg, char *err, size_t errlen)
{
    (void)cfg, (void)d;
    if (strcmp(arg, "text") != 0 && strcmp(arg, "json") != 0) {
        snprintf(err, errlen, "--log-format: expected text or json, got '%s'", arg);
        return -1;
    }
    msg_set_format(strcmp(arg, "json") == 0 ? MSG_JSON : MSG_TEXT);
    return 0;
}
