/* incident_llm.h - the one LLM request of an incident: its redacted
 * timeline as data, a narrative as the reply.
 *
 * The reply has the shape of finding.h (and so the same JSON Schema or
 * GBNF constraint and the same strict validation as the per-event path):
 * summary is the narrative (what happened and its likely intent),
 * indicators are what was touched, next_steps the checks, techniques and
 * a severity that can only raise the rules'.  Like the per-event prompt,
 * everything the workload wrote travels as an escaped JSON data block the
 * system prompt declares untrusted. */
#ifndef TETRA_ENRICH_INCIDENT_LLM_H
#define TETRA_ENRICH_INCIDENT_LLM_H

#include "incident.h"
#include "redact.h"

/* Bump when the incident prompt or its data change: part of the cache key. */
#define INCIDENT_PROMPT_VERSION "i1"

/* The data block of in: namespace, workload, severity, sequences,
 * techniques, the rules' summary and the timeline, every argument through
 * red.  New string (caller frees), NULL when out of memory. */
char *incident_llm_data(const incident *in, redactor *red);
/* The chat-completions body for data.  New string, NULL when out of memory. */
char *incident_llm_body(const char *data, const char *model, int mode, int max_tokens);
/* Take a validated reply f as in's story: severity and techniques are
 * merged with the rules' (never lower, union), and in->severity rises
 * with it.  f is moved into in (f is left empty). */
void incident_llm_take(incident *in, finding *f, int source, int status);

#endif
