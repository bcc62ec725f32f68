/* engine.h - the per-event enrichment pipeline: facts, rules, redaction,
 * fingerprint, policy, cache, circuit breaker, LLM, merge.
 *
 * The rules' finding always exists first; the LLM can only replace its
 * words and raise its severity, never lower it, and any failure on the LLM
 * path leaves the rules' finding standing with a status that says why.
 * main.c owns input and output; this file owns no I/O except the LLM
 * request and, in dry-run mode, printing that request instead. */
#ifndef TETRA_ENRICH_ENGINE_H
#define TETRA_ENRICH_ENGINE_H

#include <stdio.h>
#include "cache.h"
#include "circuit.h"
#include "event.h"
#include "extract.h"
#include "finding.h"
#include "llm.h"
#include "pjson.h"
#include "policy.h"
#include "redact.h"
#include "rules.h"
#include "stats.h"
#include "tetragonsidekick/enriched.pb-c.h"

typedef struct engine_conf {
    const char *const *rules_files;  /* NULL-terminated, loaded before the built-ins */
    int no_builtin;
    int use_llm;                     /* 0: --no-llm */
    int dry_run;                     /* print requests to dry_out instead of sending */
    FILE *dry_out;
    int redact_event;                /* also redact arguments in the outgoing event */
    const char *model;
    int mode;                        /* PROMPT_JSON_SCHEMA, _JSON_OBJECT or _GRAMMAR */
    int max_tokens;
    llm_conf llm;
    int min_severity;
    uint64_t daily_tokens;
    double rpm, tpm;
    size_t cache_max;
    uint64_t cache_ttl_s;
    unsigned breaker_failures;
    uint64_t breaker_cooldown_ms;
    double price_in, price_out;      /* currency units per 1M tokens */
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

/* Enrich ev, allocating the result in a (which also owns ev).  Returns 0
 * with *out set, or -1 with err filled (out of memory: stop). */
int engine_enrich(engine *e, pj_arena *a, tetra_event *ev, Tetragonsidekick__EnrichedEvent **out,
                  char *err, size_t errlen);

/* The same in three steps, so several cache misses can share one LLM
 * request: engine_begin runs rules, redaction, fingerprint, policy and
 * cache and sets need_llm when the LLM should be asked; engine_ask asks for
 * n such jobs in one request; engine_end builds the record.  Every begun
 * job must be ended (engine_end frees what the job owns). */
typedef struct enrich_job {
    pj_arena *a;
    tetra_event *ev;
    verdict v;
    finding rf, got;      /* the rules' finding; the LLM's or the cache's */
    int have;             /* got is set */
    int need_llm;         /* waiting for engine_ask */
    int source, status;   /* TETRAGONSIDEKICK__SOURCE__*, __LLM_STATUS__* */
    unsigned tokens_in, tokens_out;
    char fp[17];
    char key[256];
    char *data;           /* the prompt data block while need_llm */
    char *red_args, *red_pargs; /* redacted process/parent arguments (in a), NULL if unchanged */
    uint64_t t0;
} enrich_job;

int engine_begin(engine *e, pj_arena *a, tetra_event *ev, enrich_job *j, char *err, size_t errlen);
/* Release what a job owns without building its record (after a failed
 * engine_begin). */
void engine_discard(enrich_job *j);
/* Returns 0, or -1 when out of memory. */
int engine_ask(engine *e, enrich_job **jobs, size_t n);
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

#endif
