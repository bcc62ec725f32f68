/* sequence.h - multi-step rules: steps that must happen in order inside
 * one incident (download, then chmod +x, then exec of the same file).
 *
 * A sequence is one rules-file line whose first word is sequence=NAME:
 *
 *   sequence=NAME severity=S [technique=.. technique_name=.. tactic=..]
 *       [summary=".."] [next=".."] COND... then COND... [or COND...] ...
 *
 * Words up to the first "then" are the sequence's attributes and its first
 * step; each "then" starts the next step, and "or" starts another way of
 * matching the same step.  Conditions are those of ordinary rules (rules.h).
 * The extra condition same_path=yes asks that the step's event names a
 * file path (in the binary, the arguments or the kprobe arguments) that
 * the previous step's events named.  Each step is compiled as an ordinary
 * rule, so the rules parser and its regex checks are the only ones.
 * rules.c skips sequence lines, so one file holds both kinds, and a
 * disable=NAME line turns a built-in sequence off as it does a rule. */
#ifndef TETRA_ENRICH_SEQUENCE_H
#define TETRA_ENRICH_SEQUENCE_H

#include <stdint.h>
#include "facts.h"
#include "rules.h"

#define SEQ_MAX_STEPS 8
#define SEQ_MAX_PATHS 8

typedef struct seqdef {
    const rule *head; /* the first step's rule: severity, technique, summary, next */
    char *name;
    int nsteps;
    int disabled; /* a disable=NAME line names it */
} seqdef;

typedef struct seqset {
    ruleset rs; /* every step of every sequence, as rules */
    seqdef *v;
    size_t n;
    /* per rule of rs: its sequence, its step, and whether it needs a
     * path the previous step named */
    int *rule_seq, *rule_step;
    unsigned char *rule_same;
    size_t nmap;
    char **off; /* names of disable= lines, applied by seq_prepare */
    size_t noff;
} seqset;

/* Where one incident stands in one sequence. */
typedef struct seqstate {
    unsigned char step; /* steps matched so far */
    unsigned char fired;
    unsigned char npaths;
    uint64_t paths[SEQ_MAX_PATHS]; /* hashes of the paths the last step named */
} seqstate;

/* 1 when line is a sequence line (its first word is sequence=...). */
int seq_is_line(const char *line);
/* Parse one sequence line into ss.  Lines that are not sequences are
 * ignored (0).  Returns 0, or -1 with err filled. */
int seq_add_line(seqset *ss, const char *line, const char *origin, char *err, size_t errlen);
/* The sequence lines of a rules file.  Returns 0, or -1 with err "path:line: what". */
int seq_load_file(seqset *ss, const char *path, char *err, size_t errlen);
/* The built-in sequences.  Returns 0 or -1 with err. */
int seq_load_builtin(seqset *ss, char *err, size_t errlen);
/* Build the one-pass search over the steps (after loading). */
int seq_prepare(seqset *ss, char *err, size_t errlen);
void seq_free(seqset *ss);
/* The built-in sequence lines, NULL-terminated (--list-rules). */
extern const char *const seq_builtin[];

/* Advance the states st[0..ss->n-1] of one incident with one event's
 * facts.  The indexes of sequences that completed with this event go to
 * fired (at most max); returns how many. */
int seq_feed(seqset *ss, const facts *fx, seqstate *st, int *fired, int max);

#endif
