/* prefilter.h - literal substrings a POSIX extended regex cannot match
 * without, so most regexec calls of the rules are replaced by strstr.
 *
 * At rule-compile time the regex is read (not compiled) for a set of
 * literals of which every match must contain at least one: "/etc/cron|
 * /var/spool/cron" needs "/etc/cron" or "/var/spool/cron", "/(nc|ncat)$"
 * needs "nc" or "ncat".  A string containing none of them cannot match, so
 * the regex is not run.  The reading is conservative: anything it does not
 * understand (classes, back-references, GNU escapes) only weakens the set,
 * and when no branch-complete set is found the regex always runs.  Only for
 * case-sensitive regexes.
 *
 * Why it is sound: a match of the regex is a match of one top-level
 * branch; every branch contributes a set, and a set is taken from a
 * sequence only from items it cannot skip (a literal run without ?, * or
 * {0,..}, or a mandatory group, whose own alternatives all contribute),
 * so the matched text contains one of the branch's literals.  Cutting a
 * literal to a prefix keeps this true.  The rules do not call
 * prefilter_may_match per literal on the hot path: rules_prepare puts the
 * literals of every regex of a field into one litscan automaton, so a
 * field is read once per event whatever the number of rules, and a regex
 * runs only when its set was found; prefilter_may_match is the reference
 * the automaton is tested against. */
#ifndef TETRA_ENRICH_PREFILTER_H
#define TETRA_ENRICH_PREFILTER_H

#include <stddef.h>

typedef struct prefilter {
    char **lit; /* owned; NULL when there is no filter */
    size_t n;
    int exact; /* the regex is nothing but lit[0]|lit[1]|...: it matches
                * exactly when one of them occurs, no regexec needed */
} prefilter;

/* Read the ERE re and fill pf with its required literals (pf->n == 0 when
 * none can be proven).  Returns 0, or -1 when out of memory. */
int prefilter_compile(const char *re, prefilter *pf);
/* 0 when s contains none of the literals (the regex cannot match it);
 * 1 when it may match, or when pf has no literals. */
int prefilter_may_match(const prefilter *pf, const char *s);
void prefilter_free(prefilter *pf);

#endif
