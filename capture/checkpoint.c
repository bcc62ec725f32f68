/* checkpoint.c - a FIFO of (events needed, input position) pairs. */
#include "checkpoint.h"
#include "util/ring.h"

#include <stdlib.h>

static ckpt_entry *at(ckpt_q *q, size_t i)
{
    return &q->v[(q->head + i) % q->cap];
}

static int grow(ckpt_q *q)
{
    ckpt_entry *v = ring_grow(q->v, sizeof *v, &q->cap, &q->head, q->len);
    if (v == NULL)
        return -1;
    q->v = v;
    return 0;
}

int ckpt_push(ckpt_q *q, uint64_t n, follow_pos pos)
{
    if (q->len > 0 && at(q, q->len - 1)->n == n) {
        at(q, q->len - 1)->pos = pos;
        return 0;
    }
    if (q->len == q->cap && grow(q) < 0)
        return -1;
    ckpt_entry *e = at(q, q->len++);
    e->n = n;
    e->pos = pos;
    return 0;
}

int ckpt_pop_done(ckpt_q *q, uint64_t done, follow_pos *pos)
{
    int any = 0;
    while (q->len > 0 && q->v[q->head].n <= done) {
        *pos = q->v[q->head].pos;
        q->head = (q->head + 1) % q->cap;
        q->len--;
        any = 1;
    }
    return any;
}

void ckpt_free(ckpt_q *q)
{
    free(q->v);
    q->v = NULL;
    q->cap = q->head = q->len = 0;
}
