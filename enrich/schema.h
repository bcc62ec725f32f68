/* schema.h - the shape of the reply we ask the LLM for, in the two
 * languages servers constrain decoding with: JSON Schema and llama.cpp's
 * GBNF grammar.
 *
 * Both describe the same object as finding.h (summary, severity,
 * techniques, indicators, next_steps, confidence), with severity and tactic
 * as enums, the technique id as T1234 or T1234.567, every field required and
 * no other allowed.  The bounds asked for (SCHEMA_ASK_*) are tighter than
 * the bounds finding.c accepts, so a reply the server was made to produce
 * always validates, and a small model cannot ramble past max_tokens and
 * leave its JSON unfinished.  finding.c still validates every reply: a
 * server that ignores the constraint gets no credit for it. */
#ifndef TETRA_ENRICH_SCHEMA_H
#define TETRA_ENRICH_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#define SCHEMA_ASK_SUMMARY 200 /* bytes; finding.c accepts FINDING_MAX_SUMMARY */
#define SCHEMA_ASK_NAME 48     /* technique name */
#define SCHEMA_ASK_ITEM 80     /* one indicator or next step */
#define SCHEMA_ASK_TECH 3      /* techniques */
#define SCHEMA_ASK_LIST 3      /* indicators, next steps */

/* Which length keywords the JSON Schema carries. */
enum {
    SCHEMA_ALL_BOUNDS,   /* maxLength too (vLLM, llama-server) */
    SCHEMA_NO_MAXLENGTH, /* OpenAI strict mode refuses maxLength; llama-cpp-python
                          * turns each maxLength into that many nested groups */
};

/* The JSON Schema for one finding.  Returns a new reference, NULL when out
 * of memory. */
json_t *schema_json(int bounds);

/* The same as a GBNF grammar (llama.cpp's "grammar" request field).
 * Strings are printable ASCII without quote or backslash, so a length in
 * characters is a length in bytes.  Returns a new string (caller frees),
 * NULL when out of memory. */
char *schema_gbnf(void);

#endif
