/* redact.c - secret patterns as POSIX extended regexes, each with a cheap
 * literal hint checked first (strcasestr) so that ordinary arguments, the
 * vast majority, cost a few substring scans and no regexec at all.
 *
 * Each pattern names the subexpression that holds the secret; only that
 * part is replaced, so "--password=<redacted:option>" still shows which
 * option carried it.  Patterns run one after another over the whole text;
 * a span that already starts with "<redacted" is left alone. */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "redact.h"

typedef struct pattern {
    const char *kind;    /* placeholder label */
    const char *hints;   /* '|'-separated literals, one must occur (case-insensitive) */
    const char *re;
    int icase;
    int group;           /* subexpression to replace, 0 for the whole match */
} pattern;

#define SECRET_WORDS "pass|pwd|secret|token|key|auth|cred|psk|session|cookie"

static const pattern patterns[] = {
    {"private-key", "PRIVATE KEY",
     "-----BEGIN[A-Z ]*PRIVATE KEY-----([^-]|-[^-])*(-----END[A-Z ]*PRIVATE KEY-----)?", 0, 0},
    {"bearer", "bearer|basic|token |digest",
     "(bearer|basic|token|digest)[ ]+([A-Za-z0-9._~+/=:-]{6,})", 1, 2},
    {"url-password", "://", "://[^/:@ \"']+:([^/@ \"']+)@", 0, 1},
    {"jwt", "eyJ", "eyJ[A-Za-z0-9_-]{4,}[.][A-Za-z0-9_-]{4,}[.][A-Za-z0-9_-]*", 0, 0},
    {"aws-key", "AKIA|ASIA|AIDA|AROA|AGPA|ANPA",
     "(AKIA|ASIA|AIDA|AROA|AGPA|ANPA)[A-Z0-9]{16}", 0, 0},
    {"gcp-key", "AIza", "AIza[0-9A-Za-z_-]{35}", 0, 0},
    {"gcp-token", "ya29.", "ya29[.][0-9A-Za-z_-]{10,}", 0, 0},
    {"token", "ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|xox|sk-|glpat-",
     "(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}"
     "|sk-[A-Za-z0-9_-]{20,}|glpat-[A-Za-z0-9_-]{20,})", 0, 0},
    {"option", SECRET_WORDS,
     "(^|[ \"'])--?[A-Za-z0-9_-]*(" SECRET_WORDS ")[A-Za-z0-9_-]*([= ]+)['\"]?([^ \"'&;|]+)", 1, 4},
    {"key-value", SECRET_WORDS,
     "[A-Za-z0-9_.-]*(" SECRET_WORDS ")[A-Za-z0-9_.-]*[\"']?[=:][\"']?([^ \"'&;|,]+)", 1, 2},
    {"mysql-password", "-p", "(mysql|mysqldump|mariadb|mysqladmin)[^|;]* -p([^ \"';|]+)", 0, 2},
    {"sshpass", "sshpass", "sshpass[^|;]* -p[ ]*['\"]?([^ \"';|]+)", 0, 1},
    {"redis-password", "redis-cli", "redis-cli[^|;]* -a[ ]+['\"]?([^ \"';|]+)", 0, 1},
    {"user-password", "-u", "(curl|wget)[^|;]* (-u|--user)[ =]+[^: ]+:([^ \"';|]+)", 0, 3},
};

#define NPATTERNS (sizeof patterns / sizeof patterns[0])

struct redactor {
    regex_t re[NPATTERNS];
};

redactor *redact_new(char *err, size_t errlen) {
    redactor *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < NPATTERNS; i++) {
        int flags = REG_EXTENDED | (patterns[i].icase ? REG_ICASE : 0);
        int rc = regcomp(&r->re[i], patterns[i].re, flags);
        if (rc != 0) {
            char m[128];
            regerror(rc, &r->re[i], m, sizeof m);
            snprintf(err, errlen, "redaction pattern %s: %s", patterns[i].kind, m);
            for (size_t j = 0; j < i; j++) regfree(&r->re[j]);
            free(r);
            return NULL;
        }
    }
    return r;
}

void redact_free(redactor *r) {
    if (r == NULL) return;
    for (size_t i = 0; i < NPATTERNS; i++) regfree(&r->re[i]);
    free(r);
}

/* 1 when one of the '|'-separated hints occurs in lower, the lower-cased
 * text: strstr on a lower-cased copy is far cheaper than a case-insensitive
 * compare at every position, and this runs for every argument string. */
static int has_hint(const char *lower, const char *hints) {
    char one[32];
    for (const char *h = hints; *h != '\0';) {
        size_t n = strcspn(h, "|");
        if (n < sizeof one) {
            for (size_t i = 0; i < n; i++) one[i] = (char)tolower((unsigned char)h[i]);
            one[n] = '\0';
            if (strstr(lower, one) != NULL) return 1;
        }
        h += n + (h[n] == '|');
    }
    return 0;
}

static int lower_copy(buf *dst, const char *s) {
    buf_reset(dst);
    for (; *s != '\0'; s++)
        if (buf_putc(dst, (char)tolower((unsigned char)*s)) < 0) return -1;
    return buf_putc(dst, '\0') < 0 ? -1 : 0;
}

/* One pass of pattern i over s into out. */
static int apply(const regex_t *re, const pattern *p, const char *s, buf *out, unsigned *count) {
    regmatch_t m[8];
    const char *cur = s;
    int eflags = 0;
    while (*cur != '\0' && regexec(re, cur, 8, m, eflags) == 0) {
        regmatch_t g = m[p->group];
        if (g.rm_so < 0 || m[0].rm_eo == 0) break;
        int done = strncmp(cur + g.rm_so, "<redacted", 9) == 0;
        if (buf_append(out, cur, (size_t)(done ? g.rm_eo : g.rm_so)) < 0) return -1;
        if (!done) {
            if (buf_printf(out, "<redacted:%s>", p->kind) < 0) return -1;
            if (count) (*count)++;
        }
        cur += g.rm_eo;
        eflags = REG_NOTBOL;
    }
    return buf_puts(out, cur);
}

int redact_text(const redactor *r, const char *s, buf *out, unsigned *count) {
    buf a = BUF_INIT, b = BUF_INIT, low = BUF_INIT;
    const char *cur = s;
    int rc = lower_copy(&low, s);
    for (size_t i = 0; i < NPATTERNS && rc == 0; i++) {
        if (!has_hint(low.p, patterns[i].hints)) continue;
        buf_reset(&b);
        if (apply(&r->re[i], &patterns[i], cur, &b, count) < 0 || buf_putc(&b, '\0') < 0) {
            rc = -1;
            break;
        }
        b.len--;
        buf tmp = a;
        a = b;
        b = tmp;
        cur = a.p;
        if (lower_copy(&low, cur) < 0) rc = -1;
    }
    if (rc == 0) rc = buf_puts(out, cur);
    buf_free(&a);
    buf_free(&b);
    buf_free(&low);
    return rc;
}
