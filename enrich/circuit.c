/* circuit.c - the breaker's three states; see circuit.h. */
#include "circuit.h"
#include "http/metrics.h"

void circuit_init(circuit *c, unsigned threshold, uint64_t cooldown_ms)
{
    c->state = CIRCUIT_CLOSED;
    c->failures = 0;
    c->threshold = threshold ? threshold : 1;
    c->cooldown_ms = cooldown_ms;
    c->opened_at = 0;
    c->opens = 0;
}

int circuit_allow(circuit *c, uint64_t now_ms)
{
    if (c->state == CIRCUIT_CLOSED)
        return 1;
    if (c->state == CIRCUIT_OPEN && now_ms >= c->opened_at + c->cooldown_ms) {
        c->state = CIRCUIT_HALF_OPEN; /* this caller makes the trial call */
        return 1;
    }
    return 0;
}

int circuit_blocked(const circuit *c, uint64_t now_ms)
{
    return c->state == CIRCUIT_OPEN && now_ms < c->opened_at + c->cooldown_ms;
}

static void open_now(circuit *c, uint64_t now_ms)
{
    c->state = CIRCUIT_OPEN;
    c->opened_at = now_ms;
    c->opens++;
    metrics_gauge("llm_circuit_open", 1); /* /readyz: ready, but degraded */
}

void circuit_record(circuit *c, int ok, uint64_t now_ms)
{
    if (ok) {
        if (c->state != CIRCUIT_CLOSED)
            metrics_gauge("llm_circuit_open", 0);
        c->state = CIRCUIT_CLOSED;
        c->failures = 0;
        return;
    }
    if (c->state == CIRCUIT_HALF_OPEN) {
        open_now(c, now_ms);
        return;
    }
    if (++c->failures >= c->threshold) {
        c->failures = 0;
        open_now(c, now_ms);
    }
}
