/* clock.c - the monotonic clock in milliseconds (see clock.h). */
#include "clock.h"

#include <time.h>

uint64_t mono_ms(void)
{
    struct timespec ts;
    /* cannot fail: CLOCK_MONOTONIC exists on Linux and ts is valid */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
