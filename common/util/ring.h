/* ring.h - growing a ring buffer without losing its order.
 *
 * The commit floors of tetra-capture (capture/checkpoint.c) and of
 * tetra-sink (common/kafka/offsets.c) keep a FIFO in a circular array: push
 * at head + len, pop at head, both modulo cap.  When it is full, the
 * array doubles and the live elements are laid out again from index 0, so
 * the indexing stays (head + i) % cap.  Elements are moved with memcpy:
 * they must be plain data. */
#ifndef TETRA_RING_H
#define TETRA_RING_H

#include <stddef.h>

/* Capacity of a ring's first array. */
#define RING_FIRST_CAP 256

/* A new array for ring (cap elements of elem bytes, len of them live from
 * index *head on, wrapping), twice as large (RING_FIRST_CAP when cap is
 * 0), holding the live elements in order from index 0.  On success frees
 * ring, sets *cap and *head (0) and returns the new array; returns NULL
 * when out of memory, with ring, *cap and *head untouched. */
void *ring_grow(void *ring, size_t elem, size_t *cap, size_t *head, size_t len);

#endif
