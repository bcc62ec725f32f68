/* wipe.c - zeroing that survives the optimiser (see wipe.h). */
#include "wipe.h"

#include <stdlib.h>
#include <string.h>

void wipe(void *p, size_t n)
{
    explicit_bzero(p, n);
}

void wipe_free(void *p, size_t n)
{
    if (p == NULL)
        return;
    explicit_bzero(p, n);
    free(p);
}

void wipe_free_str(char *s)
{
    if (s != NULL)
        wipe_free(s, strlen(s));
}
