/* redact.c - secret patterns as POSIX extended regexes, each with a cheap
 * necessary condition checked first: literal hints (one must occur in the
 * lower-cased text) and, for the secret-word patterns whose words are
 * common in ordinary command lines, a gate that looks at what surrounds
 * each word.  Ordinary arguments, the vast majority, then cost a few
 * substring scans and no regexec at all.
 *
 * Each pattern names the subexpression that holds the secret; only that
 * part is replaced, so "--password=<redacted:option>" still shows which
 * option carried it.  Patterns run one after another over the whole text;
 * a span that already starts with "<redacted" is left alone. */
#include <ctype.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "litscan.h"
#include "redact.h"

typedef struct pattern {
    const char *kind;  /* placeholder label */
    const char *hints; /* '|'-separated literals, one must occur (case-insensitive) */
    const char *re;
    int icase;
    int group;                      /* subexpression to replace, 0 for the whole match */
    int (*gate)(const char *lower); /* NULL, or 0 when re cannot match */
    /* NULL, or how many bytes from the match's start are no secret after
     * all (0: the match is one); the search goes on after them */
    size_t (*keep)(const char *s, const regmatch_t *m);
} pattern;

#define SECRET_WORDS "pass|pwd|secret|token|key|auth|cred|psk|session|cookie"

static int option_gate(const char *lower);
static int key_value_gate(const char *lower);
static int url_gate(const char *lower);
static int user_gate(const char *lower);
static size_t key_value_keep(const char *s, const regmatch_t *m);

static const pattern patterns[] = {
    {"private-key", "PRIVATE KEY",
     "-----BEGIN[A-Z ]*PRIVATE KEY-----([^-]|-[^-])*(-----END[A-Z ]*PRIVATE KEY-----)?", 0, 0, NULL,
     NULL},
    {"bearer", "bearer|basic|token |digest",
     "(bearer|basic|token|digest)[ ]+([A-Za-z0-9._~+/=:-]{6,})", 1, 2, NULL, NULL},
    {"url-password", "://", "://[^/:@ \"']+:([^/@ \"']+)@", 0, 1, url_gate, NULL},
    {"jwt", "eyJ", "eyJ[A-Za-z0-9_-]{4,}[.][A-Za-z0-9_-]{4,}[.][A-Za-z0-9_-]*", 0, 0, NULL, NULL},
    {"aws-key", "AKIA|ASIA|AIDA|AROA|AGPA|ANPA", "(AKIA|ASIA|AIDA|AROA|AGPA|ANPA)[A-Z0-9]{16}", 0,
     0, NULL, NULL},
    {"gcp-key", "AIza", "AIza[0-9A-Za-z_-]{35}", 0, 0, NULL, NULL},
    {"gcp-token", "ya29.", "ya29[.][0-9A-Za-z_-]{10,}", 0, 0, NULL, NULL},
    {"token", "ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|xox|sk-|glpat-",
     "(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}"
     "|sk-[A-Za-z0-9_-]{20,}|glpat-[A-Za-z0-9_-]{20,})",
     0, 0, NULL, NULL},
    {"option", SECRET_WORDS,
     "(^|[ \"'])--?[A-Za-z0-9_-]*(" SECRET_WORDS ")[A-Za-z0-9_-]*([= ]+)['\"]?([^ \"'&;|]+)", 1, 4,
     option_gate, NULL},
    {"key-value", SECRET_WORDS,
     "[A-Za-z0-9_.-]*(" SECRET_WORDS ")[A-Za-z0-9_.-]*[\"']?(=[\"']?|:[ ]*[\"']?)([^ \"'&;|,]+)", 1,
     3, key_value_gate, key_value_keep},
    {"mysql-password", "mysql|mariadb", "(mysql|mysqldump|mariadb|mysqladmin)[^|;]* -p([^ \"';|]+)",
     0, 2, NULL, NULL},
    {"sshpass", "sshpass", "sshpass[^|;]* -p[ ]*['\"]?([^ \"';|]+)", 0, 1, NULL, NULL},
    {"redis-password", "redis-cli", "redis-cli[^|;]* -a[ ]+['\"]?([^ \"';|]+)", 0, 1, NULL, NULL},
    {"user-password", "curl|wget", "(curl|wget)[^|;]* (-u|--user)[ =]+[^: ]+:([^ \"';|]+)", 0, 3,
     user_gate, NULL},
};

#define NPATTERNS (sizeof patterns / sizeof patterns[0])

/* Texts the patterns ran on lately, with their results.  Regexec with
 * subexpressions is the redactor's dearest step (tens of thousands of
 * instructions a match, glibc walking the match backwards for the
 * groups), and the texts it runs on repeat: the same command line with a
 * token, the same environment.  Redaction is a function of the text, so
 * a text seen before gets the result it got then.  Direct-mapped by hash,
 * the text compared in full; texts longer than MEMO_TEXT_MAX are not kept. */
#define MEMO_SLOTS 512
#define MEMO_TEXT_MAX 4096
typedef struct memo_slot {
    uint64_t hash;
    char *text;     /* NULL: empty slot */
    char *result;   /* NULL: the text came out unchanged */
    unsigned count; /* replacements made */
} memo_slot;

struct redactor {
    regex_t re[NPATTERNS];
    litscan *hints;   /* every pattern's hints, case-folded, the pattern's index as id */
    litscan_hits hit; /* the hints found in the current text */
    buf a, b, low;    /* scratch, reused across calls */
    int have_low;     /* low holds the current text lower-cased */
    memo_slot memo[MEMO_SLOTS];
};

/* --- gates: necessary conditions of the secret-word patterns ---------------- */

static const char *const secret_words[] = {"pass", "pwd",  "secret", "token",   "key",
                                           "auth", "cred", "psk",    "session", "cookie"};

static int is_name_char(unsigned char c, int dot)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           (dot && c == '.');
}

/* Call ok(lower, at, end) for every secret word found at [at, end); 1 as
 * soon as one call says 1. */
static int any_word(const char *lower, int (*ok)(const char *, const char *, const char *))
{
    for (size_t i = 0; i < sizeof secret_words / sizeof secret_words[0]; i++) {
        size_t n = strlen(secret_words[i]);
        for (const char *p = strstr(lower, secret_words[i]); p; p = strstr(p + 1, secret_words[i]))
            if (ok(lower, p, p + n))
                return 1;
    }
    return 0;
}

/* "option": the word sits in a name that starts with '-' right after the
 * start, a blank or a quote, and the name is followed by '=' or ' '. */
static int option_at(const char *lower, const char *at, const char *end)
{
    const char *a = at;
    while (a > lower && is_name_char((unsigned char)a[-1], 0))
        a--;
    if (*a != '-' || (a > lower && a[-1] != ' ' && a[-1] != '"' && a[-1] != '\''))
        return 0;
    while (is_name_char((unsigned char)*end, 0))
        end++;
    return *end == '=' || *end == ' ';
}

/* A host name and its port, "keycloak.example.com:8443": the name has a
 * dot, sep (its end) is ':', then 1-5 digits, at most 65535, end the value
 * or come before a '/'.  The secret word in such a name is chance
 * (keycloak, tokens.internal), so key-value does not fire on it.  The price:
 * a dotted key with a short number after ':' ("db.password:1234") is kept
 * too; '=' and quotes never make a host and port.  Returns the length from
 * name to the port's end, 0 when it is not one. */
static size_t host_port_len(const char *name, const char *sep)
{
    if (*sep != ':' || memchr(name, '.', (size_t)(sep - name)) == NULL)
        return 0;
    const char *d = sep + 1;
    unsigned long port = 0;
    while (*d >= '0' && *d <= '9' && d - sep <= 5)
        port = port * 10 + (unsigned long)(*d++ - '0');
    if (d == sep + 1 || port == 0 || port > 65535 ||
        (*d != '\0' && strchr("/ \"'&;|,", *d) == NULL))
        return 0;
    return (size_t)(d - name);
}

/* "key-value": the name holding the word is followed by '=' or ':',
 * perhaps after a quote, and is not a host name with its port.  Blanks may
 * follow ':' ("password: hunter2", a header, YAML), not '=', where a blank
 * ends an assignment. */
static int key_value_at(const char *lower, const char *at, const char *end)
{
    while (at > lower && is_name_char((unsigned char)at[-1], 1))
        at--;
    while (is_name_char((unsigned char)*end, 1))
        end++;
    if (host_port_len(at, end) > 0)
        return 0;
    if (*end == '"' || *end == '\'')
        end++;
    return *end == '=' || *end == ':';
}

/* "Authorization: Bearer <redacted:bearer>": after "name: " comes an
 * authorization scheme whose credentials the bearer pattern replaced
 * already; the scheme is no secret and says what the header carried.
 * Returns the length from name to the scheme's end, 0 when it is not so
 * (m[2] is the separator, m[3] the value). */
static size_t auth_scheme_len(const char *s, const regmatch_t *m)
{
    static const char *const schemes[] = {"bearer", "basic", "token", "digest"};
    const char *v = s + m[3].rm_so, *after = s + m[3].rm_eo;
    size_t n = (size_t)(after - v);
    if (s[m[2].rm_so] != ':' || *after != ' ')
        return 0;
    while (*after == ' ')
        after++;
    if (strncmp(after, "<redacted", 9) != 0)
        return 0;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (strlen(schemes[i]) == n && strncasecmp(v, schemes[i], n) == 0)
            return (size_t)(v + n - (s + m[0].rm_so));
    return 0;
}

/* The keep of "key-value": a host name and port (m[1] is the word in the
 * name) is passed over up to the port's end, an authorization scheme
 * before its redacted credentials up to the scheme's end. */
static size_t key_value_keep(const char *s, const regmatch_t *m)
{
    const char *sep = s + m[1].rm_eo;
    while (is_name_char((unsigned char)tolower((unsigned char)*sep), 1))
        sep++;
    size_t n = host_port_len(s + m[0].rm_so, sep);
    return n > 0 ? n : auth_scheme_len(s, m);
}

static int option_gate(const char *lower)
{
    return any_word(lower, option_at);
}

/* "url-password": "://", a user name, ':', a password, '@'. */
static int url_gate(const char *lower)
{
    for (const char *p = strstr(lower, "://"); p; p = strstr(p + 1, "://")) {
        const char *q = p + 3;
        size_t n = strcspn(q, "/:@ \"'");
        if (n == 0 || q[n] != ':')
            continue;
        q += n + 1;
        n = strcspn(q, "/@ \"'");
        if (n > 0 && q[n] == '@')
            return 1;
    }
    return 0;
}

/* "user-password": the -u or --user option. */
static int user_gate(const char *lower)
{
    return strstr(lower, " -u") != NULL || strstr(lower, " --user") != NULL;
}
static int key_value_gate(const char *lower)
{
    return any_word(lower, key_value_at);
}

/* --- set-up -------------------------------------------------------------------- */

/* Add pattern i's '|'-separated hints to the scanner under id i. */
static int add_hints(litscan *ls, const char *hints, unsigned i)
{
    for (const char *h = hints; *h != '\0';) {
        size_t n = strcspn(h, "|");
        if (litscan_add(ls, h, n, i) < 0)
            return -1;
        h += n + (h[n] == '|');
    }
    return 0;
}

static int build_hints(redactor *r)
{
    if ((r->hints = litscan_new(1)) == NULL)
        return -1;
    for (size_t i = 0; i < NPATTERNS; i++)
        if (add_hints(r->hints, patterns[i].hints, (unsigned)i) < 0)
            return -1;
    if (litscan_build(r->hints) < 0)
        return -1;
    return litscan_hits_init(&r->hit, r->hints);
}

redactor *redact_new(char *err, size_t errlen)
{
    redactor *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (build_hints(r) < 0) {
        snprintf(err, errlen, "out of memory");
        litscan_free(r->hints);
        litscan_hits_free(&r->hit);
        free(r);
        return NULL;
    }
    for (size_t i = 0; i < NPATTERNS; i++) {
        int flags = REG_EXTENDED | (patterns[i].icase ? REG_ICASE : 0);
        int rc = regcomp(&r->re[i], patterns[i].re, flags);
        if (rc != 0) {
            char m[128];
            regerror(rc, &r->re[i], m, sizeof m);
            snprintf(err, errlen, "redaction pattern %s: %s", patterns[i].kind, m);
            for (size_t j = 0; j < i; j++)
                regfree(&r->re[j]);
            litscan_free(r->hints);
            litscan_hits_free(&r->hit);
            free(r);
            return NULL;
        }
    }
    return r;
}

void redact_free(redactor *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < NPATTERNS; i++)
        regfree(&r->re[i]);
    litscan_free(r->hints);
    litscan_hits_free(&r->hit);
    buf_free(&r->a);
    buf_free(&r->b);
    buf_free(&r->low);
    for (size_t i = 0; i < MEMO_SLOTS; i++) {
        free(r->memo[i].text);
        free(r->memo[i].result);
    }
    free(r);
}

/* --- redaction ----------------------------------------------------------------- */

static int lower_copy(buf *dst, const char *s)
{
    size_t n = strlen(s);
    buf_reset(dst);
    if (buf_reserve(dst, n + 1) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        dst->p[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    dst->p[n] = '\0';
    dst->len = n;
    return 0;
}

/* 1 when one of pattern i's hints occurs in s (found by the last scan of
 * s, case-insensitive) and its gate, if any, agrees on the lower-cased
 * text, which is made only for a gate.  0 or 1, or -1 out of memory. */
static int may_match(redactor *r, size_t i, const char *s)
{
    if (!litscan_hit(&r->hit, (unsigned)i))
        return 0;
    if (patterns[i].gate == NULL)
        return 1;
    if (!r->have_low && lower_copy(&r->low, s) < 0)
        return -1;
    r->have_low = 1;
    return patterns[i].gate(r->low.p);
}

/* One pass of pattern i over s into out; *done counts replacements. */
static int apply(const regex_t *re, const pattern *p, const char *s, buf *out, unsigned *done)
{
    regmatch_t m[8];
    const char *cur = s;
    int eflags = 0;
    while (*cur != '\0' && regexec(re, cur, 8, m, eflags) == 0) {
        regmatch_t g = m[p->group];
        if (g.rm_so < 0 || m[0].rm_eo == 0)
            break;
        size_t keep = p->keep != NULL ? p->keep(cur, m) : 0;
        if (keep > 0) {
            if (buf_append(out, cur, (size_t)m[0].rm_so + keep) < 0)
                return -1;
            cur += (size_t)m[0].rm_so + keep;
            eflags = REG_NOTBOL;
            continue;
        }
        int skip = strncmp(cur + g.rm_so, "<redacted", 9) == 0;
        if (buf_append(out, cur, (size_t)(skip ? g.rm_eo : g.rm_so)) < 0)
            return -1;
        if (!skip) {
            if (buf_puts(out, "<redacted:") < 0 || buf_puts(out, p->kind) < 0 ||
                buf_putc(out, '>') < 0)
                return -1;
            (*done)++;
        }
        cur += g.rm_eo;
        eflags = REG_NOTBOL;
    }
    return buf_puts(out, cur);
}

/* Run the patterns over s; the result is s itself (nothing found) or one
 * of r's scratch buffers. */
static const char *redact_all(redactor *r, const char *s, unsigned *count)
{
    const char *cur = s;
    litscan_scan(r->hints, cur, &r->hit);
    r->have_low = 0;
    for (size_t i = 0; i < NPATTERNS; i++) {
        int may = may_match(r, i, cur);
        if (may < 0)
            return NULL;
        if (!may)
            continue;
        unsigned done = 0;
        buf_reset(&r->b);
        if (apply(&r->re[i], &patterns[i], cur, &r->b, &done) < 0)
            return NULL;
        if (done == 0)
            continue; /* unchanged: keep cur, its hits and lower-cased copy */
        *count += done;
        buf tmp = r->a;
        r->a = r->b;
        r->b = tmp;
        cur = r->a.p;
        litscan_scan(r->hints, cur, &r->hit); /* a placeholder holds words too */
        r->have_low = 0;
    }
    return cur;
}

/* 1 when some pattern would run its regex on s (a hint found, the gate
 * agreeing), 0 when none would, -1 out of memory. */
static int any_may_match(redactor *r, const char *s)
{
    litscan_scan(r->hints, s, &r->hit);
    r->have_low = 0;
    for (size_t i = 0; i < NPATTERNS; i++) {
        int may = may_match(r, i, s);
        if (may != 0)
            return may;
    }
    return 0;
}

static uint64_t text_hash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static void memo_put(memo_slot *m, uint64_t h, const char *s, size_t n, const char *res,
                     unsigned count)
{
    char *text = malloc(n + 1), *result = res == s ? NULL : strdup(res);
    if (text == NULL || (res != s && result == NULL)) { /* not kept: no harm */
        free(text);
        free(result);
        return;
    }
    memcpy(text, s, n + 1);
    free(m->text);
    free(m->result);
    *m = (memo_slot){h, text, result, count};
}

const char *redact_view(redactor *r, const char *s, unsigned *count)
{
    unsigned n = 0;
    if (s[0] == '\0')
        return s;
    int may = any_may_match(r, s);
    if (may <= 0)
        return may < 0 ? NULL : s;
    size_t len = strlen(s);
    uint64_t h = len <= MEMO_TEXT_MAX ? text_hash(s, len) : 0;
    memo_slot *m = len <= MEMO_TEXT_MAX ? &r->memo[h % MEMO_SLOTS] : NULL;
    if (m && m->text && m->hash == h && strcmp(m->text, s) == 0) {
        if (count)
            *count += m->count;
        return m->result ? m->result : s;
    }
    const char *res = redact_all(r, s, &n);
    if (res == NULL)
        return NULL;
    if (m)
        memo_put(m, h, s, len, res, n);
    if (count)
        *count += n;
    return res;
}

int redact_text(redactor *r, const char *s, buf *out, unsigned *count)
{
    const char *res = redact_view(r, s, count);
    return res == NULL ? -1 : buf_puts(out, res);
}
