/* policy.h - which events may cost an LLM call: a severity threshold
 * (default medium), request and token rate limits per minute, and a daily
 * token budget.  Rate limits are token buckets refilled continuously; a
 * limited event is not delayed but goes out with the rules' enrichment,
 * because the stream must never wait on the LLM.  Time is passed in (ms). */
#ifndef TETRA_ENRICH_POLICY_H
#define TETRA_ENRICH_POLICY_H

#include <stdint.h>

enum { POLICY_CALL, POLICY_SKIP, POLICY_BUDGET, POLICY_RATE };

typedef struct policy {
    int min_severity;      /* SEV_*: events below it are skipped */
    uint64_t daily_tokens; /* 0: unlimited */
    uint64_t used_today;
    uint64_t day;    /* days since the epoch of used_today */
    double rpm, tpm; /* requests / tokens per minute, 0: unlimited */
    double req_bucket, tok_bucket;
    uint64_t last_ms;
} policy;

void policy_init(policy *p, int min_severity, uint64_t daily_tokens, double rpm, double tpm);
/* Decide for one event of the given rules severity: POLICY_CALL (one
 * request is taken from the bucket), or why not. */
int policy_decide(policy *p, int severity, uint64_t now_ms);
/* Count the tokens a call used against the budget and the token rate. */
void policy_charge(policy *p, uint64_t tokens, uint64_t now_ms);

#endif
