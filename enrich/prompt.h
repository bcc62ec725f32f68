/* prompt.h - the chat-completions request for one event.
 *
 * Event fields are attacker-controlled, so they never become prompt text:
 * they are serialised into one JSON object (jansson escapes every quote and
 * control character) inside a fenced data block that the system prompt
 * declares untrusted.  The reply format is demanded twice: in the system
 * prompt (with one worked example, which is what a small model follows)
 * and as a decoding constraint, in one of three modes:
 *   json_schema  response_format "json_schema" with strict:true (OpenAI,
 *                Azure OpenAI, vLLM, Ollama, llama.cpp's llama-server);
 *   json_object  response_format "json_object" with a "schema" member
 *                (llama-cpp-python, servers without json_schema);
 *   grammar      a GBNF grammar in the "grammar" member (llama.cpp servers:
 *                the tightest, with bounded string lengths).
 * Bump PROMPT_VERSION whenever the text or the schema changes: it is part
 * of the cache key. */
#ifndef TETRA_ENRICH_PROMPT_H
#define TETRA_ENRICH_PROMPT_H

#include <jansson.h>
#include "facts.h"
#include "rules.h"

#define PROMPT_VERSION "p2"

enum { PROMPT_JSON_SCHEMA, PROMPT_JSON_OBJECT, PROMPT_GRAMMAR };

/* The mode named "json_schema", "json_object" or "grammar", or -1. */
int prompt_mode_parse(const char *name);

/* Build the request body for n data blocks (from prompt_data).  With n
 * == 1 the reply is one finding; with n > 1 the blocks travel as one JSON
 * array with ids 0..n-1 and the reply is {"results":[finding + id, ...]}.
 * Returns a new string (caller frees) or NULL when out of memory. */
char *prompt_build(char *const *data, size_t n, const char *model, int mode, int max_tokens);

/* The body of a one-event request made once for a model, mode and token
 * limit, as the text before and after the event's data: building it with
 * jansson (the system prompt, the example, the schema) cost half a
 * million instructions a request, the data itself a few hundred. */
typedef struct prompt_tmpl prompt_tmpl;
/* model must outlive the template.  NULL when out of memory. */
prompt_tmpl *prompt_tmpl_new(const char *model, int mode, int max_tokens);
void prompt_tmpl_free(prompt_tmpl *t);
/* What prompt_build(&data, 1, ...) returns for t's model, mode and limit,
 * byte for byte (a data block it cannot vouch for goes through
 * prompt_build).  New string, caller frees; NULL when out of memory. */
char *prompt_fill(const prompt_tmpl *t, const char *data);

/* The data block's JSON object for fx and v (new string, caller frees).
 * fx must already be redacted; summary is the rules' summary. */
char *prompt_data(const facts *fx, const verdict *v, const char *summary);

/* Add the reply constraint of mode for n findings to a request body
 * (incident_llm.c asks for the same finding shape).  Returns 0 or -1. */
int prompt_put_constraint(json_t *body, int mode, size_t n);

#endif
