/* prefilter.c - required literals of a POSIX extended regex; see
 * prefilter.h.
 *
 * A small recursive reader over the pattern text.  An alternation needs a
 * literal set from every branch (their union is required); a sequence
 * offers several candidate sets (each maximal literal run, each mandatory
 * group) and keeps the most selective one, the one whose shortest literal
 * is longest.  A character or group followed by ?, * or {..} is optional
 * and offers nothing; after + it is still required once. */
#include <stdlib.h>
#include <string.h>
#include "prefilter.h"

#define LIT_MAX 32 /* longest literal kept; longer runs are cut, which stays correct */
#define SET_MAX 24 /* more alternatives than this and the regex just runs */

typedef struct litset {
    char s[SET_MAX][LIT_MAX];
    size_t n;
    int ok; /* a required set was found */
} litset;

static int alt(const char *p, const char *e, litset *out);

/* Past the bracket expression starting at p ("[...]"), or NULL. */
static const char *bracket_end(const char *p, const char *e)
{
    const char *q = p + 1;
    if (q < e && *q == '^')
        q++;
    if (q < e && *q == ']')
        q++;
    while (q < e && *q != ']') {
        if (*q == '[' && q + 1 < e && strchr(":.=", q[1]) != NULL) {
            char close = q[1];
            for (q += 2; q + 1 < e && !(q[0] == close && q[1] == ']'); q++) {
            }
            q++;
        }
        q++;
    }
    return q < e ? q + 1 : NULL;
}

/* The ')' matching the '(' at p, or NULL. */
static const char *paren_end(const char *p, const char *e)
{
    int depth = 0;
    for (const char *q = p; q < e; q++) {
        if (*q == '\\')
            q++;
        else if (*q == '[') {
            if ((q = bracket_end(q, e)) == NULL)
                return NULL;
            q--;
        } else if (*q == '(')
            depth++;
        else if (*q == ')' && --depth == 0)
            return q;
    }
    return NULL;
}

/* Skip quantifiers at p; *optional is set when one allows zero times. */
static const char *skip_quant(const char *p, const char *e, int *optional)
{
    *optional = 0;
    while (p < e) {
        if (*p == '?' || *p == '*')
            *optional = 1, p++;
        else if (*p == '+')
            p++;
        else if (*p == '{') {
            if (p + 1 < e && p[1] == '0')
                *optional = 1;
            if (p + 1 >= e || p[1] < '0' || p[1] > '9')
                *optional = 1; /* not an interval we know */
            while (p < e && *p != '}')
                p++;
            if (p < e)
                p++;
        } else
            break;
    }
    return p;
}

static size_t shortest(const litset *s)
{
    size_t m = (size_t)-1;
    for (size_t i = 0; i < s->n; i++) {
        size_t n = strlen(s->s[i]);
        if (n < m)
            m = n;
    }
    return m;
}

static void consider(litset *best, const litset *cand)
{
    if (!cand->ok || cand->n == 0)
        return;
    size_t a = shortest(cand), b = best->ok ? shortest(best) : 0;
    if (!best->ok || a > b || (a == b && cand->n < best->n))
        *best = *cand;
}

static void flush(char *run, size_t *rn, litset *best)
{
    if (*rn == 0)
        return;
    litset c = {.n = 1, .ok = 1};
    memcpy(c.s[0], run, *rn);
    c.s[0][*rn] = '\0';
    *rn = 0;
    consider(best, &c);
}

/* The literal character at *pp, advancing it; -1 when the item is not a
 * literal (then *pp is unchanged). */
static int literal_at(const char **pp, const char *e)
{
    const char *p = *pp;
    if (*p == '\\') {
        if (p + 1 < e && strchr(".[]()*+?{}|^$\\/-", p[1]) != NULL && p[1] != '\0') {
            *pp = p + 2;
            return (unsigned char)p[1];
        }
        return -1;
    }
    if (*p == '[') {
        const char *q = bracket_end(p, e);
        if (q != NULL && q - p == 3 && p[1] != '^') {
            *pp = q;
            return (unsigned char)p[1];
        }
        return -1;
    }
    if (strchr(".^$()|*+?{", *p) != NULL)
        return -1;
    *pp = p + 1;
    return (unsigned char)*p;
}

/* A non-literal item at p (group, class, anchor, escape): returns the
 * position after it and its quantifiers; a mandatory group's set is
 * offered to best.  NULL on a malformed pattern. */
static const char *other_item(const char *p, const char *e, litset *best)
{
    int optional;
    if (*p == '(') {
        const char *q = paren_end(p, e);
        if (q == NULL)
            return NULL;
        litset inner;
        int found = alt(p + 1, q, &inner);
        const char *after = skip_quant(q + 1, e, &optional);
        if (found && !optional)
            consider(best, &inner);
        return after;
    }
    if (*p == '[') {
        const char *q = bracket_end(p, e);
        return q ? skip_quant(q, e, &optional) : NULL;
    }
    if (*p == '\\')
        p++;
    return skip_quant(p + 1 <= e ? p + 1 : e, e, &optional);
}

/* The best required set of a branch without top-level '|'. */
static int seq(const char *p, const char *e, litset *best)
{
    char run[LIT_MAX];
    size_t rn = 0;
    memset(best, 0, sizeof *best);
    while (p < e) {
        int c = literal_at(&p, e);
        if (c < 0) {
            flush(run, &rn, best);
            if ((p = other_item(p, e, best)) == NULL)
                return 0;
            continue;
        }
        int optional;
        const char *q = skip_quant(p, e, &optional);
        if (optional) {
            flush(run, &rn, best);
        } else {
            if (rn == LIT_MAX - 1)
                flush(run, &rn, best);
            run[rn++] = (char)c;
            if (q != p)
                flush(run, &rn, best); /* "a+b": the run ends after a */
        }
        p = q;
    }
    flush(run, &rn, best);
    return best->ok;
}

/* The union of the branches' sets; 0 when a branch has none. */
static int alt(const char *p, const char *e, litset *out)
{
    memset(out, 0, sizeof *out);
    const char *b = p;
    int depth = 0;
    for (const char *q = p;; q++) {
        if (q < e && *q == '\\') {
            q++;
            continue;
        }
        if (q < e && *q == '[') {
            const char *r = bracket_end(q, e);
            if (r == NULL)
                return 0;
            q = r - 1;
            continue;
        }
        if (q < e && *q == '(')
            depth++;
        if (q < e && *q == ')')
            depth--;
        if (q < e && (*q != '|' || depth > 0))
            continue;
        litset one;
        if (!seq(b, q, &one) || out->n + one.n > SET_MAX)
            return 0;
        memcpy(out->s[out->n], one.s, one.n * sizeof one.s[0]);
        out->n += one.n;
        if (q >= e)
            break;
        b = q + 1;
    }
    out->ok = out->n > 0;
    return out->ok;
}

/* 1 when re is plain text and '|' only, every branch non-empty and short
 * enough to be kept whole: then the literal set is the regex itself. */
static int plain_alternation(const char *re)
{
    size_t run = 0;
    for (const char *p = re;; p++) {
        if (*p == '|' || *p == '\0') {
            if (run == 0 || run >= LIT_MAX)
                return 0;
            if (*p == '\0')
                return 1;
            run = 0;
        } else if (strchr(".[]()*+?{}^$\\", *p) != NULL) {
            return 0;
        } else {
            run++;
        }
    }
}

int prefilter_compile(const char *re, prefilter *pf)
{
    litset *s = malloc(sizeof *s);
    pf->lit = NULL;
    pf->n = 0;
    pf->exact = 0;
    if (s == NULL)
        return -1;
    if (alt(re, re + strlen(re), s) && shortest(s) > 0) {
        if ((pf->lit = calloc(s->n, sizeof *pf->lit)) == NULL)
            goto oom;
        for (size_t i = 0; i < s->n; i++, pf->n++)
            if ((pf->lit[i] = strdup(s->s[i])) == NULL)
                goto oom;
        pf->exact = plain_alternation(re);
    }
    free(s);
    return 0;
oom:
    free(s);
    prefilter_free(pf);
    return -1;
}

int prefilter_may_match(const prefilter *pf, const char *s)
{
    if (pf->n == 0)
        return 1;
    for (size_t i = 0; i < pf->n; i++) {
        const char *l = pf->lit[i];
        if (l[1] == '\0' ? strchr(s, l[0]) != NULL : strstr(s, l) != NULL)
            return 1;
    }
    return 0;
}

void prefilter_free(prefilter *pf)
{
    for (size_t i = 0; i < pf->n; i++)
        free(pf->lit[i]);
    free(pf->lit);
    pf->lit = NULL;
    pf->n = 0;
}
