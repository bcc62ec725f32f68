/* offsets.h - which Kafka offsets may be committed.
 *
 * Records of one partition are read in offset order but finish in any
 * order: in tetra-sink (indexed, already there, or dead-lettered) because
 * bulk requests run in parallel and retries come back late, in tetra-enrich
 * because LLM requests run side by side and answer when they answer.  A
 * committed offset tells a restarted consumer where to begin, so it may
 * only move past a record once that record and every record before it are
 * finished.  Per partition this
 * keeps the read-but-unfinished offsets in a ring in read order; the commit
 * point is the first unfinished one, or one past the last read when all are
 * finished. */
#ifndef TETRA_OFFSETS_H
#define TETRA_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

typedef struct offsets offsets;

/* Returns a new tracker or NULL when out of memory. */
offsets *offsets_new(void);
void offsets_free(offsets *o);

/* A record at (part, off) was read and is now in flight.  Offsets of one
 * partition come in increasing order; a lower one than the last means the
 * partition is read again from off: what was read from off on is forgotten
 * (it comes again), but a record below off that is still unfinished keeps
 * holding the commit point until it finishes.  Returns 0, or -1 when out
 * of memory. */
int offsets_read(offsets *o, int32_t part, int64_t off);

/* The record at (part, off) is finished.  Unknown offsets (e.g. of a
 * partition dropped after a rebalance) are ignored. */
void offsets_done(offsets *o, int32_t part, int64_t off);

/* Forget a partition (revoked in a rebalance). */
void offsets_drop(offsets *o, int32_t part);

/* Fill up to max (partition, offset-to-commit) pairs for partitions whose
 * commit point moved since the last offsets_committed(); returns how many. */
size_t offsets_pending_commits(const offsets *o, int32_t *parts, int64_t *offs, size_t max);

/* The commit of (part, off) succeeded. */
void offsets_committed(offsets *o, int32_t part, int64_t off);

/* Records read but not finished, over all partitions. */
size_t offsets_inflight(const offsets *o);

#endif
