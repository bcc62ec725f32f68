/* engine.h - the per-event enrichment pipeline: facts, rules, redaction,
 * fingerprint, policy, cache, circuit breaker, LLM, merge.
 *
 * The rules' finding always exists first; the LLM can only replace its
 * words and raise its severity, never lower it, and any failure on the LLM
 * path leaves the rules' finding standing with a status that says why.
 * The engine never waits: it says when a request is needed and builds it,
 * and takes the answer when it comes; flow.c runs the requests side by
 * side and owns the records meanwhile.  In dry-run mode the engine prints
 * the request instead (to dry_out). */
#ifndef TETRA_ENRICH_ENGINE_H
#define TETRA_ENRICH_ENGINE_H

#include <stdio.h>
#include "cache.h"
#include "circuit.h"
#include "codec/event.h"
#include "extract.h"
#include "finding.h"
#include "llm.h"
#include "codec/pjson.h"
#include "policy.h"
#include "redact.h"
#include "rules.h"
#include "util/stats.h"
#include "tetragonsidekick/enriched.pb-c.h"

typedef struct engine_conf {
    const char *const *rules_files; /* NULL-terminated, loaded before the built-ins */
    int no_builtin;
    int use_llm; /* 0: --no-llm */
    int dry_run; /* print requests to dry_out instead of sending */
    FILE *dry_out;
    int redact_event; /* also redact arguments in the outgoing event */
    const char *model;
    int mode; /* PROMPT_JSON_SCHEMA, _JSON_OBJECT or _GRAMMAR */
    int max_tokens;
    llm_conf llm;
    int min_severity;
    uint64_t daily_tokens;
    double rpm, tpm;
    size_t cache_max;
    uint64_t cache_ttl_s;
    unsigned breaker_failures;
    uint64_t breaker_cooldown_ms;
    double price_in, price_out; /* currency units per 1M tokens */
    /* Called with every new LLM explanation put in the cache, so it can be
     * shared (the compacted Kafka topic); may be NULL. */
    void (*publish)(void *ctx, const char *key, const char *value);
    void *publish_ctx;
} engine_conf;

typedef struct engine engine;

/* Build an engine (rules loaded, patterns compiled, LLM client ready).
 * NULL with err filled. */
engine *engine_new(const engine_conf *c, char *err, size_t errlen);
void engine_free(engine *e);
/* 1 when the last engine_new failed on a rules file (a usage error). */
int engine_bad_rules(void);

/* One event in steps, so the LLM's answer can come later: engine_begin
 * runs rules, redaction, fingerprint, policy threshold and cache and sets
 * need_llm on a cache miss; engine_gate decides whether a request may go
 * out now; engine_request builds it; engine_answer takes its outcome, and
 * engine_share hands that outcome to every other job that waited for the
 * same behaviour (single flight); engine_end builds the record.  Every
 * begun job must be ended or discarded (engine_end frees what the job
 * owns). */
typedef struct enrich_job {
    pj_arena *a;
    tetra_event *ev;
    verdict v;
    finding rf, got;    /* the rules' finding; the LLM's or the cache's */
    int have;           /* got is set */
    int need_llm;       /* a cache miss: waiting for the LLM */
    int source, status; /* TETRAGONSIDEKICK__SOURCE__*, __LLM_STATUS__* */
    unsigned tokens_in, tokens_out;
    char fp[17];
    char key[256];
    char *data;                 /* the prompt data block while need_llm */
    char *red_args, *red_pargs; /* redacted process/parent arguments (in a), NULL if unchanged */
    int event_changed;          /* engine_end altered ev (redaction): its input bytes are stale */
    uint64_t t0;
} enrich_job;

int engine_begin(engine *e, pj_arena *a, tetra_event *ev, enrich_job *j, char *err, size_t errlen);
/* Release what a job owns without building its record (after a failed
 * engine_begin). */
void engine_discard(enrich_job *j);
/* For a job with need_llm: 1 when a request may be made now (a request
 * per minute is taken); 0 when not, need_llm cleared and the status saying
 * why (rate, budget, circuit open; in dry-run the request was printed);
 * -1 when out of memory. */
int engine_gate(engine *e, enrich_job *j);
/* The request body for j (new string, caller frees), or NULL when out of
 * memory. */
char *engine_request(engine *e, const enrich_job *j);
/* The outcome of the request made for j (rc and r as llm_done_fn gives
 * them): validation, accounting, the circuit breaker, the cache.  Only
 * j->key needs to be set.  Returns 0, or -1 when out of memory. */
int engine_answer(engine *e, enrich_job *j, int rc, const llm_reply *r, const char *err);
/* Give to the outcome engine_answer put in from (first: to is the job the
 * request was made for, and gets its token counts).  Returns 0, or -1
 * when out of memory. */
int engine_share(engine *e, const enrich_job *from, enrich_job *to, int first);
int engine_end(engine *e, enrich_job *j, Tetragonsidekick__EnrichedEvent **out, char *err,
               size_t errlen);

/* Declare the engine's counters in st and add what it counted. */
int engine_stats_declare(stats *st);
void engine_stats(const engine *e, stats *st);
/* Estimated LLM spend so far from the configured prices. */
double engine_cost(const engine *e);

/* Print the rules in load order, one rules-file line each. */
void engine_list_rules(FILE *fp);

/* The cache, for loading and publishing entries (Kafka). */
cache *engine_cache(engine *e);
/* The LLM client requests go through; NULL with --no-llm or --dry-run. */
llm *engine_llm(engine *e);

#endif
