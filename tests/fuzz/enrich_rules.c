/* enrich_rules.c - fuzz target: the rules-file parser (enrich/rules.c,
 * rules_add_line, line by line as rules_load_file reads a file), then the
 * evaluation of what it accepted.
 *
 * Input: the rules text, then optionally a NUL byte and a subject string
 * that every fact field of a test event is set to.  Checks besides the
 * sanitizers: a refused line leaves the rule set as it was (rules.h
 * promises it), and the literal prefilter never vetoes a string its regex
 * matches (prefilter.h: "a string containing none of them cannot match"),
 * which would silently turn a detection off. */
#include "fuzz.h"

#include <string.h>
#include "../../enrich/rules.h"

/* The prefilter must let through every subject its regex matches. */
static void check_prefilters(const ruleset *rs, const char *subject)
{
    for (size_t i = 0; i < rs->n; i++)
        for (int j = 0; j < rs->v[i].ncond; j++) {
            const rule_cond *c = &rs->v[i].cond[j];
            if (c->op != COND_RE && c->op != COND_NRE)
                continue;
            if (regexec(&c->re, subject, 0, NULL, 0) == 0 &&
                !prefilter_may_match(&c->pf, subject)) {
                fprintf(stderr, "prefilter vetoes a match: /%s/ on \"%s\"\n", c->value, subject);
                abort();
            }
        }
}

static void add_lines(ruleset *rs, char *text)
{
    char err[256];
    int lineno = 0;
    for (char *line = text; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n'), keep = 0;
        if (nl != NULL) { /* the line with its newline, as getline gives it */
            keep = nl[1];
            nl[1] = '\0';
        }
        size_t n = rs->n, ndisabled = rs->ndisabled;
        char origin[32];
        snprintf(origin, sizeof(origin), "fuzz:%d", ++lineno);
        err[0] = '\0';
        if (rules_add_line(rs, line, origin, err, sizeof(err)) < 0) {
            FUZZ_CHECK(err[0] != '\0');
            FUZZ_CHECK(rs->n == n && rs->ndisabled == ndisabled);
        }
        if (nl == NULL)
            break;
        nl[1] = keep;
        line = nl + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *subject = memchr(data, '\0', size) != NULL ? text + strlen(text) + 1 : "";
    ruleset rs = RULESET_INIT;
    add_lines(&rs, text);
    check_prefilters(&rs, subject);
    facts fx;
    facts_clear(&fx);
    for (int i = 0; i < F_NFIELDS; i++)
        fx.f[i] = subject;
    verdict v;
    rules_eval(&rs, &fx, &v);
    FUZZ_CHECK(v.severity >= SEV_INFO && v.severity <= SEV_CRITICAL);
    buf summary = BUF_INIT;
    FUZZ_CHECK(rules_summary(&v, &fx, &summary) == 0);
    buf_free(&summary);
    rules_free(&rs);
    free(text);
    return 0;
}
