/* rules.c - parse, compile and evaluate deterministic rules.
 *
 * A line is a list of words separated by blanks.  A word is either a
 * condition, FIELD OP VALUE with OP one of = != ~= !~ (exact, not exact,
 * regex matches, regex does not match), or an attribute KEY=VALUE (name,
 * severity, technique, technique_name, tactic, summary, next, confidence,
 * disable) or the flag "final".  VALUE may be double-quoted with \" and \\
 * escapes.  All conditions must hold (AND); alternatives are written as a
 * regex alternation or as two rules.  Rules run in load order: user rules
 * are loaded before the built-ins so a user's "final" rule can silence a
 * built-in for a known-good workload.
 *
 * Evaluation reads each field's text once: rules_prepare builds, per
 * field, one automaton (litscan.h) over the literals the field's regexes
 * need (prefilter.h), and the first condition of an event that asks about
 * a field scans it; every later regex on that field only looks up its
 * literals' id.  A regex runs only when the literals say it may match. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"
#include "rules_builtin.h"
#include "sequence.h"

static const char *const sev_names[] = {"unspecified", "info", "low", "medium", "high", "critical"};

int sev_parse(const char *s)
{
    for (int i = SEV_INFO; i <= SEV_CRITICAL; i++)
        if (strcmp(s, sev_names[i]) == 0)
            return i;
    return -1;
}

const char *sev_name(int sev)
{
    return (sev >= SEV_INFO && sev <= SEV_CRITICAL) ? sev_names[sev] : sev_names[0];
}

int technique_id_valid(const char *id)
{
    if (id[0] != 'T')
        return 0;
    for (int i = 1; i <= 4; i++)
        if (!isdigit((unsigned char)id[i]))
            return 0;
    if (id[5] == '\0')
        return 1;
    if (id[5] != '.')
        return 0;
    for (int i = 6; i <= 8; i++)
        if (!isdigit((unsigned char)id[i]))
            return 0;
    return id[9] == '\0';
}

/* --- tokenizer ------------------------------------------------------------ */

/* Read one word starting at *pp into a new string: key, operator and value
 * with quotes removed.  Sets *pp past the word.  Returns the word (caller
 * frees), NULL at end of line (with err[0] == 0) or on error. */
static char *next_word(const char **pp, char *err, size_t errlen)
{
    const char *p = *pp;
    while (*p == ' ' || *p == '\t')
        p++;
    err[0] = '\0';
    if (*p == '\0' || *p == '#' || *p == '\n' || *p == '\r')
        return NULL;
    size_t cap = strlen(p) + 1, n = 0;
    char *w = malloc(cap);
    if (w == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int quoted = 0;
    for (; *p != '\0'; p++) {
        if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
            break;
        if (*p == '"') {
            quoted = !quoted;
            continue;
        }
        if (quoted && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
            p++;
        w[n++] = *p;
    }
    w[n] = '\0';
    if (quoted) {
        snprintf(err, errlen, "unterminated quote");
        free(w);
        return NULL;
    }
    *pp = p;
    return w;
}

/* --- rule construction ------------------------------------------------------ */

static void rule_free(rule *r)
{
    free(r->name);
    free(r->origin);
    free(r->indicator);
    free(r->summary);
    for (int i = 0; i < r->nnext; i++)
        free(r->next[i]);
    for (int i = 0; i < r->ncond; i++) {
        if (r->cond[i].op == COND_RE || r->cond[i].op == COND_NRE) {
            regfree(&r->cond[i].re);
            prefilter_free(&r->cond[i].pf);
        }
        free(r->cond[i].value);
    }
    memset(r, 0, sizeof *r);
}

static int set_string(char **dst, const char *v, char *err, size_t errlen)
{
    free(*dst);
    *dst = strdup(v);
    if (*dst == NULL)
        snprintf(err, errlen, "out of memory");
    return *dst ? 0 : -1;
}

static int copy_bounded(char *dst, size_t cap, const char *key, const char *v, char *err,
                        size_t errlen)
{
    if (strlen(v) >= cap) {
        snprintf(err, errlen, "%s too long", key);
        return -1;
    }
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int parse_confidence(rule *r, const char *v, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || d < 0 || d > 1) {
        snprintf(err, errlen, "confidence must be a number from 0 to 1");
        return -1;
    }
    r->confidence = d;
    return 0;
}

/* Apply an attribute word; returns 1 when key is not an attribute. */
static int set_attr(rule *r, const char *key, const char *v, char *err, size_t errlen)
{
    if (strcmp(key, "name") == 0)
        return set_string(&r->name, v, err, errlen);
    if (strcmp(key, "summary") == 0)
        return set_string(&r->summary, v, err, errlen);
    if (strcmp(key, "technique_name") == 0)
        return copy_bounded(r->tech.name, sizeof r->tech.name, key, v, err, errlen);
    if (strcmp(key, "tactic") == 0)
        return copy_bounded(r->tech.tactic, sizeof r->tech.tactic, key, v, err, errlen);
    if (strcmp(key, "confidence") == 0)
        return parse_confidence(r, v, err, errlen);
    if (strcmp(key, "technique") == 0) {
        if (!technique_id_valid(v)) {
            snprintf(err, errlen, "technique \"%s\" is not an ATT&CK id like T1059.004", v);
            return -1;
        }
        return copy_bounded(r->tech.id, sizeof r->tech.id, key, v, err, errlen);
    }
    if (strcmp(key, "severity") == 0) {
        r->severity = sev_parse(v);
        if (r->severity < 0)
            snprintf(err, errlen, "unknown severity \"%s\"", v);
        return r->severity < 0 ? -1 : 0;
    }
    if (strcmp(key, "next") == 0) {
        if (r->nnext == RULE_MAX_NEXT) {
            snprintf(err, errlen, "at most %d next= per rule", RULE_MAX_NEXT);
            return -1;
        }
        r->next[r->nnext] = NULL;
        if (set_string(&r->next[r->nnext], v, err, errlen) < 0)
            return -1;
        r->nnext++;
        return 0;
    }
    return 1;
}

/* --- regex size ------------------------------------------------------------ */

/* glibc's regcomp copies a repeated subexpression once per repetition
 * ("x+" becomes "xx*", "x{3}" three copies), so stacked or nested
 * repetitions grow exponentially: a 90-byte "d++++...+" took more than 2 GB
 * before regcomp returned (found by fuzzing).  An upper bound on the copied
 * size, counted in atoms, refuses such a regex with a message instead. */
#define RE_MAX_ATOMS 100000

typedef struct re_size {
    double cur, last; /* atoms of the current group so far, and of its last atom */
} re_size;

/* Apply a repetition factor (copies of the last atom) to s. */
static void re_repeat(re_size *s, double copies)
{
    s->cur += s->last * (copies - 1);
    s->last *= copies;
}

/* Read decimal digits at *pp (capped: only the size matters); moves *pp. */
static double re_number(const char **pp)
{
    double v = 0;
    for (; isdigit((unsigned char)**pp); (*pp)++)
        if (v < 1e9)
            v = v * 10 + (**pp - '0');
    return v;
}

/* The copies an interval "{m}", "{m,}" or "{m,n}" makes; p is at its '{'
 * and *end receives its '}' (p itself when it is no interval: 1 copy). */
static double re_interval(const char *p, const char **end)
{
    const char *q = p + 1;
    double m = re_number(&q), n = m;
    if (*q == ',') {
        q++;
        n = isdigit((unsigned char)*q) ? re_number(&q) : m + 1;
    }
    *end = p;
    if (*q != '}')
        return 1;
    *end = q;
    double most = n > m ? n : m;
    return most > 1 ? most : 1;
}

/* Skip a bracket expression starting at '['; returns its closing ']'. */
static const char *re_bracket(const char *p)
{
    p++;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    for (; *p != '\0' && *p != ']'; p++)
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            const char *e = strchr(p + 2, p[1]);
            while (e != NULL && e[1] != ']')
                e = strchr(e + 1, p[1]);
            if (e == NULL)
                return p + strlen(p) - 1;
            p = e + 1;
        }
    return *p ? p : p - 1;
}

static int re_too_big(const char *re)
{
    re_size st[64], s = {0, 0};
    int depth = 0;
    for (const char *p = re; *p != '\0' && s.cur <= RE_MAX_ATOMS; p++) {
        switch (*p) {
        case '(':
            if (depth == 64)
                return 1;
            st[depth++] = s;
            s.cur = s.last = 0;
            break;
        case ')':
            if (depth > 0) {
                double g = s.cur + 1;
                s = st[--depth];
                s.last = g;
                s.cur += g;
            }
            break;
        case '+':
            re_repeat(&s, 2);
            break;
        case '{':
            re_repeat(&s, re_interval(p, &p));
            break;
        case '*':
        case '?':
        case '|':
            s.cur++;
            break;
        default:
            if (*p == '[')
                p = re_bracket(p);
            else if (*p == '\\' && p[1] != '\0')
                p++;
            s.last = 1;
            s.cur++;
        }
    }
    while (depth > 0)
        s.cur += st[--depth].cur;
    return s.cur > RE_MAX_ATOMS;
}

static int add_cond(rule *r, const char *field, int op, const char *v, char *err, size_t errlen)
{
    int id = facts_field_id(field);
    if (id < 0) {
        snprintf(err, errlen, "unknown field or key \"%s\"", field);
        return -1;
    }
    if (r->ncond == RULE_MAX_CONDS) {
        snprintf(err, errlen, "at most %d conditions per rule", RULE_MAX_CONDS);
        return -1;
    }
    rule_cond *c = &r->cond[r->ncond];
    c->eq_id = -1; /* numbered by rules_prepare */
    c->field = id;
    c->op = op;
    c->value = strdup(v);
    if (c->value == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if ((op == COND_RE || op == COND_NRE) && re_too_big(v)) {
        snprintf(err, errlen, "regex for %s repeats too much (over %d atoms once expanded)", field,
                 RE_MAX_ATOMS);
        free(c->value);
        return -1;
    }
    if (op == COND_RE || op == COND_NRE) {
        int rc = regcomp(&c->re, v, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char m[128];
            regerror(rc, &c->re, m, sizeof m);
            snprintf(err, errlen, "bad regex for %s: %s", field, m);
            free(c->value);
            return -1;
        }
        if (prefilter_compile(v, &c->pf) < 0) {
            snprintf(err, errlen, "out of memory");
            regfree(&c->re);
            free(c->value);
            return -1;
        }
    }
    r->ncond++;
    return 0;
}

/* Split a word into key, operator and value (value points into w). */
static int split_word(char *w, int *op, char **value)
{
    char *p = w;
    while (*p == '_' || isalnum((unsigned char)*p))
        p++;
    if (p == w)
        return -1;
    if (p[0] == '~' && p[1] == '=')
        *op = COND_RE, *p = '\0', *value = p + 2;
    else if (p[0] == '!' && p[1] == '~')
        *op = COND_NRE, *p = '\0', *value = p + 2;
    else if (p[0] == '!' && p[1] == '=')
        *op = COND_NE, *p = '\0', *value = p + 2;
    else if (p[0] == '=')
        *op = COND_EQ, *p = '\0', *value = p + 1;
    else
        return -1;
    return 0;
}

static int add_disable(ruleset *rs, const char *name, char *err, size_t errlen)
{
    char **nv = realloc(rs->disabled, (rs->ndisabled + 1) * sizeof *nv);
    if (nv == NULL || (nv[rs->ndisabled] = strdup(name)) == NULL) {
        if (nv)
            rs->disabled = nv;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rs->disabled = nv;
    rs->ndisabled++;
    return 0;
}

static int apply_word(ruleset *rs, rule *r, char *w, int *is_disable, char *err, size_t errlen)
{
    if (strcmp(w, "final") == 0) {
        r->final = 1;
        return 0;
    }
    int op;
    char *v;
    if (split_word(w, &op, &v) < 0) {
        snprintf(err, errlen, "expected KEY=VALUE or FIELD OP VALUE, got \"%s\"", w);
        return -1;
    }
    if (op == COND_EQ && strcmp(w, "disable") == 0) {
        *is_disable = 1;
        return add_disable(rs, v, err, errlen);
    }
    if (op == COND_EQ) {
        int rc = set_attr(r, w, v, err, errlen);
        if (rc <= 0)
            return rc;
    }
    return add_cond(r, w, op, v, err, errlen);
}

static int check_rule(const rule *r, char *err, size_t errlen)
{
    if (r->name == NULL)
        snprintf(err, errlen, "rule has no name=");
    else if (r->severity == SEV_UNSET)
        snprintf(err, errlen, "rule %s has no severity=", r->name);
    else if (r->ncond == 0)
        snprintf(err, errlen, "rule %s has no condition", r->name);
    else
        return 0;
    return -1;
}

/* Exact comparisons first: they are cheap and usually decide (kind,
 * in_container), so most rules fail before any regexec. */
static void order_conds(rule *r)
{
    for (int i = 1; i < r->ncond; i++) {
        rule_cond c = r->cond[i];
        int j = i;
        int cheap = c.op == COND_EQ || c.op == COND_NE;
        while (cheap && j > 0 && (r->cond[j - 1].op == COND_RE || r->cond[j - 1].op == COND_NRE)) {
            r->cond[j] = r->cond[j - 1];
            j--;
        }
        r->cond[j] = c;
    }
}

/* The indicator a match adds to the finding, cut as it always was at
 * 159 bytes. */
static int make_indicator(rule *r, char *err, size_t errlen)
{
    char ind[160];
    snprintf(ind, sizeof ind, "rule %s (%s)", r->name, sev_name(r->severity));
    return set_string(&r->indicator, ind, err, errlen);
}

static int push_rule(ruleset *rs, rule *r, char *err, size_t errlen)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        rule *nv = realloc(rs->v, cap * sizeof *nv);
        if (nv == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        rs->v = nv;
        rs->cap = cap;
    }
    rs->v[rs->n++] = *r;
    return 0;
}

int rules_add_line(ruleset *rs, const char *line, const char *origin, char *err, size_t errlen)
{
    rule r;
    memset(&r, 0, sizeof r);
    r.confidence = 0.6;
    int words = 0, is_disable = 0;
    size_t ndisabled = rs->ndisabled; /* a refused line takes back its disable= too */
    if (seq_is_line(line))
        return 0; /* a multi-step rule: sequence.c reads it */
    const char *p = line;
    char *w;
    while ((w = next_word(&p, err, errlen)) != NULL) {
        int rc = apply_word(rs, &r, w, &is_disable, err, errlen);
        free(w);
        words++;
        if (rc < 0)
            goto fail;
    }
    if (err[0] != '\0')
        goto fail;
    if (words == 0 || (is_disable && words == 1))
        return 0;
    if (check_rule(&r, err, errlen) < 0)
        goto fail;
    order_conds(&r);
    if (set_string(&r.origin, origin, err, errlen) < 0 || make_indicator(&r, err, errlen) < 0)
        goto fail;
    if (push_rule(rs, &r, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    rule_free(&r);
    while (rs->ndisabled > ndisabled)
        free(rs->disabled[--rs->ndisabled]);
    return -1;
}

int rules_file_lines(const char *path, rules_line_fn fn, void *ctx, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL, origin[512], e[256];
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        snprintf(origin, sizeof origin, "%s:%d", path, lineno);
        e[0] = '\0';
        if (fn(ctx, line, origin, e, sizeof e) < 0) {
            snprintf(err, errlen, "%s: %s", origin, e);
            rc = -1;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

static int add_line(void *rs, const char *line, const char *origin, char *err, size_t errlen)
{
    return rules_add_line(rs, line, origin, err, errlen);
}

int rules_load_file(ruleset *rs, const char *path, char *err, size_t errlen)
{
    return rules_file_lines(path, add_line, rs, err, errlen) == 0 ? rules_prepare(rs, err, errlen)
                                                                  : -1;
}

static void scan_free(ruleset *rs)
{
    if (rs->scan == NULL)
        return;
    for (int f = 0; f < F_NFIELDS; f++) {
        litscan_free(rs->scan->ls[f]);
        litscan_hits_free(&rs->scan->hits[f]);
    }
    free(rs->scan->eq_serial);
    free(rs->scan->eq_equal);
    free(rs->scan);
    rs->scan = NULL;
    for (size_t i = 0; i < rs->n; i++)
        for (int c = 0; c < rs->v[i].ncond; c++)
            rs->v[i].cond[c].scanned = 0;
}

/* Number the distinct (field, value) pairs of the = and != conditions. */
static int number_pairs(rules_scan *sc, ruleset *rs)
{
    size_t total = 0;
    for (size_t i = 0; i < rs->n; i++)
        total += (size_t)rs->v[i].ncond;
    sc->eq_serial = calloc(total ? total : 1, sizeof *sc->eq_serial);
    sc->eq_equal = calloc(total ? total : 1, 1);
    const rule_cond **first = malloc((total ? total : 1) * sizeof *first);
    if (sc->eq_serial == NULL || sc->eq_equal == NULL || first == NULL) {
        free(first);
        return -1;
    }
    for (size_t i = 0; i < rs->n; i++)
        for (int c = 0; c < rs->v[i].ncond; c++) {
            rule_cond *rc = &rs->v[i].cond[c];
            if (rc->op != COND_EQ && rc->op != COND_NE)
                continue;
            size_t k = 0;
            while (k < sc->neq &&
                   (first[k]->field != rc->field || strcmp(first[k]->value, rc->value) != 0))
                k++;
            if (k == sc->neq)
                first[sc->neq++] = rc;
            rc->eq_id = (int)k;
        }
    free(first);
    return 0;
}

/* Add the prefilter literals of every regex condition to its field's
 * automaton, the condition's number as their id. */
static int scan_add(rules_scan *sc, ruleset *rs)
{
    unsigned id = 0;
    for (size_t i = 0; i < rs->n; i++)
        for (int c = 0; c < rs->v[i].ncond; c++, id++) {
            rule_cond *rc = &rs->v[i].cond[c];
            if ((rc->op != COND_RE && rc->op != COND_NRE) || rc->pf.n == 0)
                continue;
            if (sc->ls[rc->field] == NULL && (sc->ls[rc->field] = litscan_new(0)) == NULL)
                return -1;
            for (size_t k = 0; k < rc->pf.n; k++)
                if (litscan_add(sc->ls[rc->field], rc->pf.lit[k], strlen(rc->pf.lit[k]), id) < 0)
                    return -1;
            rc->lit_id = id;
            rc->scanned = 1;
        }
    return 0;
}

int rules_prepare(ruleset *rs, char *err, size_t errlen)
{
    scan_free(rs);
    rules_scan *sc = calloc(1, sizeof *sc);
    int rc = sc && scan_add(sc, rs) == 0 && number_pairs(sc, rs) == 0 ? 0 : -1;
    for (int f = 0; rc == 0 && f < F_NFIELDS; f++)
        if (sc->ls[f] &&
            (litscan_build(sc->ls[f]) < 0 || litscan_hits_init(&sc->hits[f], sc->ls[f]) < 0))
            rc = -1;
    rs->scan = sc;
    if (rc < 0) {
        scan_free(rs);
        snprintf(err, errlen, "out of memory");
    }
    return rc;
}

void rules_free(ruleset *rs)
{
    scan_free(rs);
    for (size_t i = 0; i < rs->n; i++)
        rule_free(&rs->v[i]);
    for (size_t i = 0; i < rs->ndisabled; i++)
        free(rs->disabled[i]);
    free(rs->v);
    free(rs->disabled);
    memset(rs, 0, sizeof *rs);
}

/* --- evaluation ------------------------------------------------------------ */

/* Two passes so a rule costs regexec only when every cheap test passed:
 * exact comparisons and the literals each ~= regex needs (prefilter.h)
 * first, then the regexes whose literals are present.  A !~ regex whose
 * literals are absent holds without running. */
/* The prefilter of c on its field: from the field's one scan when the
 * ruleset is prepared (the field is scanned the first time a condition
 * asks during this event), else one search per literal. */
static int may_match(const ruleset *rs, const rule_cond *c, const facts *fx)
{
    rules_scan *sc = rs->scan;
    if (!c->scanned || sc == NULL)
        return prefilter_may_match(&c->pf, fx->f[c->field]);
    if (sc->scanned[c->field] != sc->serial) {
        litscan_scan(sc->ls[c->field], fx->f[c->field], &sc->hits[c->field]);
        sc->scanned[c->field] = sc->serial;
    }
    return litscan_hit(&sc->hits[c->field], c->lit_id);
}

/* 1 when the field equals the condition's value, compared once per event
 * for each (field, value) pair when the ruleset is prepared. */
static int equal(const ruleset *rs, const rule_cond *c, const facts *fx)
{
    rules_scan *sc = rs->scan;
    if (sc == NULL || c->eq_id < 0)
        return strcmp(fx->f[c->field], c->value) == 0;
    if (sc->eq_serial[c->eq_id] != sc->serial) {
        sc->eq_equal[c->eq_id] = strcmp(fx->f[c->field], c->value) == 0;
        sc->eq_serial[c->eq_id] = sc->serial;
    }
    return sc->eq_equal[c->eq_id];
}

static int cheap_holds(const ruleset *rs, const rule_cond *c, const facts *fx)
{
    switch (c->op) {
    case COND_EQ:
        return equal(rs, c, fx);
    case COND_NE:
        return !equal(rs, c, fx);
    case COND_RE:
        return may_match(rs, c, fx);
    default:
        return 1;
    }
}

/* A regex that is only an alternation of plain words matched when its
 * words were found (cheap_holds checked that for ~=). */
static int regex_holds(const ruleset *rs, const rule_cond *c, const facts *fx)
{
    const char *s = fx->f[c->field];
    if (c->op == COND_RE)
        return c->pf.exact || regexec(&c->re, s, 0, NULL, 0) == 0;
    if (c->op == COND_NRE)
        return !may_match(rs, c, fx) || (!c->pf.exact && regexec(&c->re, s, 0, NULL, 0) != 0);
    return 1;
}

static int rule_matches(const ruleset *rs, const rule *r, const facts *fx)
{
    for (int i = 0; i < r->ncond; i++)
        if (!cheap_holds(rs, &r->cond[i], fx))
            return 0;
    for (int i = 0; i < r->ncond; i++)
        if (!regex_holds(rs, &r->cond[i], fx))
            return 0;
    return 1;
}

static int is_disabled(const ruleset *rs, const rule *r)
{
    for (size_t i = 0; i < rs->ndisabled; i++)
        if (strcmp(rs->disabled[i], r->name) == 0)
            return 1;
    return 0;
}

static void note_match(verdict *v, const rule *r)
{
    if (v->nmatched < VERDICT_MAX)
        v->matched[v->nmatched++] = r;
    if (v->top == NULL || r->severity > v->top->severity) {
        v->top = r;
        v->severity = r->severity;
        v->confidence = r->confidence;
    }
}

void rules_eval(const ruleset *rs, const facts *fx, verdict *v)
{
    memset(v, 0, sizeof *v);
    v->severity = SEV_INFO;
    v->confidence = 0.5;
    if (rs->scan)
        rs->scan->serial++; /* every field unscanned for this event */
    for (size_t i = 0; i < rs->n; i++) {
        const rule *r = &rs->v[i];
        if (!rule_matches(rs, r, fx) || is_disabled(rs, r))
            continue;
        note_match(v, r);
        if (r->final)
            break;
    }
}

static int put_value(buf *out, const char *s)
{
    size_t n = strlen(s);
    if (n <= 96)
        return buf_append(out, s, n);
    if (buf_append(out, s, 93) < 0)
        return -1;
    return buf_puts(out, "...");
}

/* "${namespace}/${workload}" of a process outside any pod reads "the host"
 * rather than "?/?" in a summary a person reads. */
static const char *host_place(const char *p, const facts *fx, buf *out, int *r)
{
    static const char pat[] = "${namespace}/${workload}";
    if (strncmp(p, pat, sizeof pat - 1) != 0 || fx->f[F_NAMESPACE][0])
        return NULL;
    *r = buf_puts(out, "the host");
    return p + sizeof pat - 2;
}

int rules_expand(const char *tmpl, const facts *fx, buf *out)
{
    for (const char *p = tmpl; *p != '\0'; p++) {
        const char *end;
        int r = 0;
        if (*p != '$') { /* plain text up to the next reference at once */
            size_t n = strcspn(p, "$");
            if (buf_append(out, p, n) < 0)
                return -1;
            p += n - 1;
            continue;
        }
        const char *skip = host_place(p, fx, out, &r);
        if (r < 0)
            return -1;
        if (skip) {
            p = skip;
            continue;
        }
        if (p[0] == '$' && p[1] == '{' && (end = strchr(p + 2, '}')) != NULL) {
            char name[32];
            size_t n = (size_t)(end - p - 2);
            if (n < sizeof name) {
                memcpy(name, p + 2, n);
                name[n] = '\0';
                int id = facts_field_id(name);
                if (id >= 0) {
                    if (put_value(out, fx->f[id][0] ? fx->f[id] : "unknown") < 0)
                        return -1;
                    p = end;
                    continue;
                }
            }
        }
        if (buf_putc(out, *p) < 0)
            return -1;
    }
    return 0;
}

static const char *generic_summary(const char *kind)
{
    if (strcmp(kind, "process_exec") == 0) {
        return "Process ${binary} started in ${namespace}/${workload} (parent ${parent}).";
    }
    if (strcmp(kind, "process_exit") == 0)
        return "Process ${binary} exited in ${namespace}/${workload}.";
    if (strcmp(kind, "process_kprobe") == 0 || strcmp(kind, "process_tracepoint") == 0)
        return "${binary} called ${function} (policy ${policy}) in ${namespace}/${workload}.";
    return "Tetragon ${kind} event.";
}

int rules_summary(const verdict *v, const facts *fx, buf *out)
{
    const char *t = v->top && v->top->summary ? v->top->summary : generic_summary(fx->f[F_KIND]);
    return rules_expand(t, fx, out);
}

int rules_load_builtin(ruleset *rs, char *err, size_t errlen)
{
    char origin[32], e[256];
    for (size_t i = 0; rules_builtin[i] != NULL; i++) {
        snprintf(origin, sizeof origin, "builtin:%zu", i + 1);
        if (rules_add_line(rs, rules_builtin[i], origin, e, sizeof e) < 0) {
            snprintf(err, errlen, "%s: %s", origin, e);
            return -1;
        }
    }
    return rules_prepare(rs, err, errlen);
}
