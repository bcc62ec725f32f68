/* ring.c - growing a ring buffer in order (see ring.h). */
#include "ring.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *ring_grow(void *ring, size_t elem, size_t *cap, size_t *head, size_t len)
{
    if (elem == 0 || len > *cap || *cap > SIZE_MAX / 2 / elem)
        return NULL;
    size_t ncap = *cap ? *cap * 2 : RING_FIRST_CAP;
    if (ncap > SIZE_MAX / elem)
        return NULL;
    char *nr = malloc(ncap * elem);
    if (!nr)
        return NULL;
    /* the live part runs from head to the end of the array, then wraps */
    size_t first = *cap - *head < len ? *cap - *head : len;
    if (len) {
        memcpy(nr, (char *)ring + *head * elem, first * elem);
        memcpy(nr + first * elem, ring, (len - first) * elem);
    }
    free(ring);
    *cap = ncap;
    *head = 0;
    return nr;
}
