/* rules.h - deterministic rules: every event gets a severity, ATT&CK
 * techniques and a summary, with or without the LLM.
 *
 * A rule is one line of "key=value" words (docs/ENRICH.md, tetra-enrich(1)):
 * conditions on facts fields (binary~=REGEX, kind=process_exec, ...) and
 * what to say when they all hold (severity, technique, summary, next).  The
 * built-in rules are written in the same format, so the format is proven by
 * the rules we ship.  Regexes are POSIX extended (regcomp), compiled once. */
#ifndef TETRA_ENRICH_RULES_H
#define TETRA_ENRICH_RULES_H

#include <regex.h>
#include <stddef.h>
#include "util/buf.h"
#include "facts.h"
#include "litscan.h"
#include "prefilter.h"

/* Severities, numbered as tetragonsidekick.Severity. */
enum { SEV_UNSET = 0, SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

/* Parse "info".."critical"; returns the value or -1. */
int sev_parse(const char *s);
/* "info".."critical", or "unspecified". */
const char *sev_name(int sev);

typedef struct technique {
    char id[16]; /* T1059 or T1059.004 */
    char name[80];
    char tactic[40]; /* ATT&CK tactic short name, e.g. "execution" */
} technique;

/* 1 when id looks like an ATT&CK technique id (T1234 or T1234.567). */
int technique_id_valid(const char *id);

enum { COND_EQ, COND_NE, COND_RE, COND_NRE };

typedef struct rule_cond {
    int field;    /* fact_field */
    int op;       /* COND_* */
    char *value;  /* owned */
    regex_t re;   /* compiled when op is COND_RE or COND_NRE */
    prefilter pf; /* literals the regex needs, checked before regexec */
    int scanned;  /* 1 when pf's literals are in the ruleset's scanner under lit_id */
    unsigned lit_id;
    int eq_id; /* = and !=: the (field, value) pair's number in rules_scan, or -1 */
} rule_cond;

#define RULE_MAX_CONDS 8
#define RULE_MAX_NEXT 4

typedef struct rule {
    char *name;
    char *origin;    /* "builtin:N" or "path:line", for messages */
    char *indicator; /* "rule NAME (severity)", made once for every finding */
    int severity;
    int final;         /* stop evaluating further rules when this matches */
    double confidence; /* 0..1, default 0.6 */
    technique tech;    /* tech.id[0] == 0 when the rule names none */
    char *summary;     /* template with ${field} references */
    char *next[RULE_MAX_NEXT];
    int nnext;
    rule_cond cond[RULE_MAX_CONDS];
    int ncond;
} rule;

/* The one-pass literal search of the loaded rules: per field, one
 * automaton holding the prefilter literals of every regex on that field,
 * and the hits of the event being evaluated (scanned on first need). */
typedef struct rules_scan {
    litscan *ls[F_NFIELDS];
    litscan_hits hits[F_NFIELDS];
    uint64_t scanned[F_NFIELDS]; /* the event serial each field was scanned for */
    uint64_t serial;
    /* Exact comparisons: most rules start with kind=..., so each distinct
     * (field, value) pair is compared once per event and remembered. */
    uint64_t *eq_serial; /* per pair: the event serial eq_equal is for */
    unsigned char *eq_equal;
    size_t neq;
} rules_scan;

typedef struct ruleset {
    rule *v;
    size_t n, cap;
    char **disabled; /* names turned off by "disable=NAME" lines */
    size_t ndisabled;
    rules_scan *scan; /* NULL until rules_prepare; mutated by rules_eval */
} ruleset;

/* clang-format 14 would split this braced initializer */
/* clang-format off */
#define RULESET_INIT {NULL, 0, 0, NULL, 0, NULL}
/* clang-format on */

/* Parse one rules-file line and append its rule.  Blank lines and
 * "#" comments are accepted and add nothing.  origin labels the rule in
 * messages.  Returns 0, or -1 with err filled (the set is unchanged). */
int rules_add_line(ruleset *rs, const char *line, const char *origin, char *err, size_t errlen);
/* Append the built-in rules.  Returns 0 or -1 with err. */
int rules_load_builtin(ruleset *rs, char *err, size_t errlen);
/* Append the rules of a file; err names "path:line: what".  Returns 0 or -1. */
int rules_load_file(ruleset *rs, const char *path, char *err, size_t errlen);
/* Call fn for every line of the file at path, with its origin
 * "path:line"; stop at the first that fails (err then names
 * "path:line: what").  Returns 0, or -1 with err. */
typedef int (*rules_line_fn)(void *ctx, const char *line, const char *origin, char *err,
                             size_t errlen);
int rules_file_lines(const char *path, rules_line_fn fn, void *ctx, char *err, size_t errlen);
/* Build the one-pass literal search over every regex loaded so far
 * (rules_load_builtin and rules_load_file call it; rules added later
 * fall back to one search per literal).  Returns 0 or -1 with err. */
int rules_prepare(ruleset *rs, char *err, size_t errlen);
void rules_free(ruleset *rs);

#define VERDICT_MAX 16

/* The outcome of evaluating every rule against one event. */
typedef struct verdict {
    int severity; /* highest of the matched rules, SEV_INFO if none */
    double confidence;
    const rule *top; /* the rule whose summary stands, NULL if none */
    const rule *matched[VERDICT_MAX];
    size_t nmatched;
} verdict;

/* Evaluate rs in order against fx.  Uses rs's scratch: one ruleset
 * serves one thread. */
void rules_eval(const ruleset *rs, const facts *fx, verdict *v);
/* Append the summary of v (the top rule's template, or a generic sentence
 * for the event kind) to out.  Returns 0 or -1 (out of memory). */
int rules_summary(const verdict *v, const facts *fx, buf *out);
/* Expand ${field} references of tmpl against fx into out; values longer
 * than 96 bytes are cut with "...".  Returns 0 or -1. */
int rules_expand(const char *tmpl, const facts *fx, buf *out);

#endif
