/* finding.h - one explanation of an event: what the rules, the LLM or the
 * cache say about it, before it becomes the Enrichment message.
 *
 * Kept separate from the protobuf-c struct so the cache and the LLM reply
 * parser share one plain owned type, serialised as a small JSON object
 * (the same object the LLM is asked to write), and so merging rules and
 * LLM results is ordinary C. */
#ifndef TETRA_ENRICH_FINDING_H
#define TETRA_ENRICH_FINDING_H

#include <stddef.h>
#include "rules.h"

#define FINDING_MAX_TECH 8
#define FINDING_MAX_LIST 8
#define FINDING_MAX_SUMMARY 600
#define FINDING_MAX_ITEM 300

typedef struct finding {
    char *summary;     /* owned, never NULL after a parse */
    int severity;      /* SEV_* */
    double confidence; /* 0..1 */
    technique tech[FINDING_MAX_TECH];
    int ntech;
    char *indicators[FINDING_MAX_LIST]; /* owned */
    int nind;
    char *next[FINDING_MAX_LIST]; /* owned */
    int nnext;
} finding;

void finding_free(finding *f);
/* Deep copy src into dst (which owns nothing yet).  Returns 0, or -1 out of
 * memory with dst empty. */
int finding_copy(finding *dst, const finding *src);

/* Serialise f as {"summary":..,"severity":..,"techniques":[..],
 * "indicators":[..],"next_steps":[..],"confidence":..} into a new string
 * (caller frees).  NULL when out of memory. */
char *finding_to_json(const finding *f);

/* Parse and validate an LLM reply or a cached entry.  Strict: every field
 * required, no others, severity one of the five names, technique ids like
 * T1059 or T1059.004, a known ATT&CK tactic, confidence within 0..1,
 * bounded string lengths and list sizes.  Returns 0 with *out filled (free
 * with finding_free), or -1 with err saying what was wrong (*out empty). */
int finding_from_json(const char *json, size_t len, finding *out, char *err, size_t errlen);

/* The JSON Schema of that object as a JSON text (static storage), sent to
 * the LLM as response_format. */
const char *finding_schema(void);

/* The ATT&CK enterprise tactic short names, NULL-terminated. */
const char *const *finding_tactics(void);

/* 1 when t is an ATT&CK enterprise tactic short name ("execution"). */
int tactic_valid(const char *t);

#endif
