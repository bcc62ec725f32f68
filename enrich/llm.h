/* llm.h - a client for OpenAI-compatible chat completions (OpenAI, Azure
 * OpenAI, Ollama, vLLM, llama.cpp) over libcurl.
 *
 * One blocking call per request with a hard timeout; retries with
 * exponential backoff and jitter on transport errors, 429 and 5xx,
 * honouring Retry-After (up to a cap, beyond which the call fails rather
 * than stall the stream).  The API key comes from the environment or a
 * file and is only ever put in a request header. */
#ifndef TETRA_ENRICH_LLM_H
#define TETRA_ENRICH_LLM_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

typedef struct llm_conf {
    const char *url;        /* base URL ending in /v1, or the Azure deployment URL */
    const char *api_key;    /* may be NULL (local servers) */
    int azure;              /* 1: "api-key" header and ?api-version= */
    const char *azure_api_version;
    long timeout_ms;        /* per attempt */
    long connect_timeout_ms;
    int max_retries;        /* attempts after the first */
    unsigned backoff_ms;    /* first backoff; doubles per retry */
    unsigned max_wait_ms;   /* longest single wait, also the Retry-After cap */
} llm_conf;

typedef struct llm llm;

typedef struct llm_reply {
    buf content;            /* choices[0].message.content */
    unsigned tokens_in, tokens_out;
    long status;            /* last HTTP status, 0 when none */
    int attempts;
    unsigned retried_429;
} llm_reply;

enum { LLM_OK = 0, LLM_FAIL = -1 };

/* NULL with err filled on failure. */
llm *llm_new(const llm_conf *c, char *err, size_t errlen);
void llm_free(llm *l);

/* The URL requests go to. */
const char *llm_endpoint(const llm *l);
/* Write the chat-completions URL for c into out.  Returns 0, or -1 when it
 * does not fit. */
int llm_endpoint_url(const llm_conf *c, char *out, size_t cap);

/* POST body; on LLM_OK r->content holds the message content.  LLM_FAIL
 * with err filled otherwise (r->status tells 4xx from transport). */
int llm_call(llm *l, const char *body, llm_reply *r, char *err, size_t errlen);

/* Parse the backoff for attempt n (0-based): base * 2^n plus up to base of
 * jitter, or Retry-After when given; capped.  Exposed for tests. */
unsigned llm_backoff_ms(const llm_conf *c, int attempt, long retry_after_s, unsigned rnd);

#endif
