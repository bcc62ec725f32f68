/* redact.h - replace secrets in text with placeholders before the text
 * leaves the process (LLM requests, summaries, the enriched record).
 *
 * Covers secrets in command lines, URLs and environment assignments:
 * --password=/--token/-psk style options, KEY=VALUE where the key names a
 * secret (but not a host name and its port, keycloak.example.com:8443),
 * "Authorization: Bearer/Basic", user:pass@ in URLs, curl -u, mysql
 * -pSECRET, sshpass -p, AWS access key ids, GCP API keys and OAuth tokens,
 * GitHub/Slack/OpenAI-style tokens, JWTs and PEM private-key blocks.  A
 * placeholder looks like "<redacted:kind>"; the key or option name stays so
 * the behaviour is still visible. */
#ifndef TETRA_ENRICH_REDACT_H
#define TETRA_ENRICH_REDACT_H

#include "util/buf.h"

typedef struct redactor redactor;

/* Compile the patterns.  Returns a redactor, or NULL with err filled. */
redactor *redact_new(char *err, size_t errlen);
void redact_free(redactor *r);

/* Append s with secrets replaced to out; *count (may be NULL) grows by the
 * number of replacements.  r keeps scratch buffers, so one redactor serves
 * one thread.  Returns 0 or -1 (out of memory). */
int redact_text(redactor *r, const char *s, buf *out, unsigned *count);
/* s with secrets replaced: s itself when nothing was found (most texts,
 * no copy), else r's scratch, valid until the next call on r.  *count
 * grows as above.  NULL when out of memory. */
const char *redact_view(redactor *r, const char *s, unsigned *count);

#endif
