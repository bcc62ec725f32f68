/* policy.c - the LLM spending policy; see policy.h. */
#include "policy.h"

#define DAY_MS 86400000ULL

void policy_init(policy *p, int min_severity, uint64_t daily_tokens, double rpm, double tpm)
{
    p->min_severity = min_severity;
    p->daily_tokens = daily_tokens;
    p->used_today = 0;
    p->day = 0;
    p->rpm = rpm;
    p->tpm = tpm;
    p->req_bucket = rpm;
    p->tok_bucket = tpm;
    p->last_ms = 0;
}

static void refill(policy *p, uint64_t now_ms)
{
    if (p->last_ms == 0 || now_ms < p->last_ms) {
        p->last_ms = now_ms;
        return;
    }
    double minutes = (double)(now_ms - p->last_ms) / 60000.0;
    p->last_ms = now_ms;
    p->req_bucket += minutes * p->rpm;
    if (p->req_bucket > p->rpm)
        p->req_bucket = p->rpm;
    p->tok_bucket += minutes * p->tpm;
    if (p->tok_bucket > p->tpm)
        p->tok_bucket = p->tpm;
}

static void roll_day(policy *p, uint64_t now_ms)
{
    if (now_ms / DAY_MS != p->day) {
        p->day = now_ms / DAY_MS;
        p->used_today = 0;
    }
}

int policy_decide(policy *p, int severity, uint64_t now_ms)
{
    if (severity < p->min_severity)
        return POLICY_SKIP;
    roll_day(p, now_ms);
    if (p->daily_tokens && p->used_today >= p->daily_tokens)
        return POLICY_BUDGET;
    refill(p, now_ms);
    if (p->rpm > 0 && p->req_bucket < 1)
        return POLICY_RATE;
    if (p->tpm > 0 && p->tok_bucket <= 0)
        return POLICY_RATE;
    if (p->rpm > 0)
        p->req_bucket -= 1;
    return POLICY_CALL;
}

void policy_charge(policy *p, uint64_t tokens, uint64_t now_ms)
{
    roll_day(p, now_ms);
    p->used_today += tokens;
    if (p->tpm > 0)
        p->tok_bucket -= (double)tokens;
}
