/* llm.h - a client for OpenAI-compatible chat completions (OpenAI, Azure
 * OpenAI, Ollama, vLLM, llama.cpp) over libcurl's multi interface.
 *
 * Requests are submitted and run side by side, at most `concurrency` at a
 * time (the rest wait in a queue, in submission order); llm_run() moves
 * them along and reports each one's outcome exactly once.  Each attempt
 * has a hard timeout; transport errors, 429 and 5xx are retried with
 * exponential backoff and jitter, never by sleeping: a retry waits in the
 * queue until it is due.  A 429 with Retry-After holds back every request
 * not yet started, not only the one that got it, because the limit is the
 * server's for all of them; a Retry-After beyond the cap fails the request
 * rather than stall the stream.  The API key comes from the environment or
 * a file and is only ever put in a request header. */
#ifndef TETRA_ENRICH_LLM_H
#define TETRA_ENRICH_LLM_H

#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

typedef struct llm_conf {
    const char *url;     /* base URL ending in /v1, or the Azure deployment URL */
    const char *api_key; /* may be NULL (local servers) */
    int azure;           /* 1: "api-key" header and ?api-version= */
    const char *azure_api_version;
    const char *ca_file; /* CA bundle to verify the server with, NULL: system store */
    long timeout_ms;     /* per attempt */
    long connect_timeout_ms;
    int max_retries;      /* attempts after the first */
    unsigned backoff_ms;  /* first backoff; doubles per retry */
    unsigned max_wait_ms; /* longest single wait, also the Retry-After cap */
    unsigned concurrency; /* requests in flight at once (>= 1) */
} llm_conf;

typedef struct llm llm;

typedef struct llm_reply {
    buf content; /* choices[0].message.content */
    unsigned tokens_in, tokens_out;
    long status;  /* last HTTP status, 0 when none */
    int attempts; /* requests actually sent */
    unsigned retried_429;
    int refused; /* the gate said no before an attempt could start */
} llm_reply;

enum { LLM_OK = 0, LLM_FAIL = -1 };

/* NULL with err filled on failure. */
llm *llm_new(const llm_conf *c, char *err, size_t errlen);
void llm_free(llm *l);

/* Write the chat-completions URL for c into out.  Returns 0, or -1 when it
 * does not fit. */
int llm_endpoint_url(const llm_conf *c, char *out, size_t cap);

/* Queue a POST of body (taken: freed by the client, also on failure);
 * ud comes back with its outcome.  Returns 0, or -1 when out of memory. */
int llm_submit(llm *l, char *body, void *ud);

/* The outcome of one request: rc LLM_OK with r->content holding the
 * message content, or LLM_FAIL with err saying why (r->status tells 4xx
 * from transport).  r is valid during the call only. */
typedef void (*llm_done_fn)(void *ctx, void *ud, int rc, llm_reply *r, const char *err);

/* Start what may start, move transfers along for up to wait_ms (less when
 * wake_fd, if >= 0, becomes readable or a transfer ends), and call done for
 * every request that finished.  Returns 0, or -1 when curl failed. */
int llm_run(llm *l, int wait_ms, int wake_fd, llm_done_fn done, void *ctx);

/* A check made before each attempt starts (the circuit breaker): when it
 * returns 0 the request is not sent but ends LLM_FAIL with r->refused set,
 * so what waited in the queue while the circuit opened is not sent into
 * it.  fn may be NULL (no check). */
typedef int (*llm_gate_fn)(void *ctx);
void llm_set_gate(llm *l, llm_gate_fn fn, void *ctx);

/* Requests submitted whose outcome was not reported yet. */
size_t llm_pending(const llm *l);

/* Parse the backoff for attempt n (0-based): base * 2^n plus up to base of
 * jitter, or Retry-After when given; capped.  Exposed for tests. */
unsigned llm_backoff_ms(const llm_conf *c, int attempt, long retry_after_s, unsigned rnd);

#endif
