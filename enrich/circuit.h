/* circuit.h - a circuit breaker in front of the LLM: after a run of
 * failures stop calling for a cool-down, then let one trial call through;
 * its success closes the circuit, its failure opens it again.  This is what
 * keeps a dead LLM from slowing the stream: while open, events go out with
 * the rules' enrichment at once.  Time (ms) is passed in by the caller. */
#ifndef TETRA_ENRICH_CIRCUIT_H
#define TETRA_ENRICH_CIRCUIT_H

#include <stdint.h>

enum { CIRCUIT_CLOSED, CIRCUIT_OPEN, CIRCUIT_HALF_OPEN };

typedef struct circuit {
    int state;
    unsigned failures;  /* consecutive failures while closed */
    unsigned threshold; /* failures that open the circuit (>= 1) */
    uint64_t cooldown_ms;
    uint64_t opened_at;
    uint64_t opens; /* how many times it opened, for the summary */
} circuit;

void circuit_init(circuit *c, unsigned threshold, uint64_t cooldown_ms);
/* 1 when a call may be made now (closed, or the trial call of half-open). */
int circuit_allow(circuit *c, uint64_t now_ms);
/* 1 while the circuit is open and cooling down: a call allowed earlier
 * but not yet sent should not be sent.  Changes nothing. */
int circuit_blocked(const circuit *c, uint64_t now_ms);
/* Report the outcome of an allowed call. */
void circuit_record(circuit *c, int ok, uint64_t now_ms);

#endif
