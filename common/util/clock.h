/* clock.h - the monotonic clock in milliseconds, for deadlines and
 * intervals.
 *
 * Every timer in the three programs (linger, retry back-off, commit and
 * sync intervals, LLM latency, circuit breakers) measures elapsed time,
 * which must not jump when the wall clock is set: so CLOCK_MONOTONIC, in
 * milliseconds, unsigned because it only grows.  Its zero is arbitrary
 * (boot), so values are only compared with each other. */
#ifndef TETRA_CLOCK_H
#define TETRA_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t mono_ms(void);

#endif
