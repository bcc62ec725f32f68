/* checkpoint.h - which input position is safe to save, given delivery.
 *
 * After each record the loop pushes (n, pos): "once the first n events are
 * delivered, everything up to pos is handled".  Rejected records push the
 * same n as the event before them, so they become safe together with it.
 * When the output says the first `done` events are delivered, every entry
 * with n <= done is popped and the newest of them is the position to save.
 * Consecutive entries with the same n are merged, so the queue holds about
 * one entry per event in flight. */
#ifndef CAPTURE_CHECKPOINT_H
#define CAPTURE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include "follow/follow.h"

typedef struct ckpt_entry {
    uint64_t n;
    follow_pos pos;
} ckpt_entry;

typedef struct ckpt_q {
    ckpt_entry *v;
    size_t cap, head, len;
} ckpt_q;

/* clang-format 14 would split this braced initializer */
/* clang-format off */
#define CKPT_Q_INIT {NULL, 0, 0, 0}
/* clang-format on */

/* Record that pos is handled once n events are delivered.  Returns 0, or
 * -1 when out of memory. */
int ckpt_push(ckpt_q *q, uint64_t n, follow_pos pos);

/* Pop every entry with n <= done.  Returns 1 and sets *pos to the newest
 * popped position, or 0 when none was ready. */
int ckpt_pop_done(ckpt_q *q, uint64_t done, follow_pos *pos);

void ckpt_free(ckpt_q *q);

#endif
