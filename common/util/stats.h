/* stats.h - named counters and the one summary line all three programs print.
 *
 * Every program ends with one line on stderr such as
 *   read=100 written=98 rejected=2 invalid_json=1 unknown_kind=1
 * Counters a program declares up front are always printed, in the order
 * declared, so the line has a fixed head scripts can rely on; counters that
 * appear on the fly (one per rejection reason) follow in name order, and
 * only when non-zero.
 *
 * One thread adds (the program's loop); any other thread may read at the
 * same time (the metrics server, common/http/metrics.c): values are atomic and
 * a new counter is published by the release store of n after its name is
 * written. */
#ifndef TETRA_STATS_H
#define TETRA_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_MAX 64
#define STATS_NAME_MAX 40

typedef struct stats {
    struct {
        char name[STATS_NAME_MAX];
        _Atomic uint64_t value;
        int declared;
    } c[STATS_MAX];
    _Atomic int n;
} stats;

void stats_init(stats *s);
/* Declare a counter that is always printed.  Returns 0, or -1 when the table
 * is full or the name is empty, too long or not [a-z0-9_.] only. */
int stats_declare(stats *s, const char *name);
/* Add n to a counter, creating it if needed.  Returns 0, or -1 as above
 * (the count is then lost; the caller may log it once). */
int stats_add(stats *s, const char *name, uint64_t n);
/* The value, 0 for an unknown name. */
uint64_t stats_get(const stats *s, const char *name);
/* Write the summary line (no newline) into out of size n.  Returns the
 * length it needed, like snprintf; when n is too small the line
 * ends after the last item that fit whole. */
size_t stats_format(const stats *s, char *out, size_t n);
/* Copy src into dst (initialised here); safe while src's one writer adds. */
void stats_copy(stats *dst, const stats *src);

#endif
