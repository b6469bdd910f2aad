#include "core/grow.h"

#include <stdlib.h>
#include <string.h>

void *grow_zeroed(void *p, size_t *n, size_t i, size_t size)
{
    if (i < *n)
        return p;
    size_t cap = *n ? *n : 64;
    while (cap <= i)
        cap *= 2;
    char *q = realloc(p, cap * size);
    if (!q)
        return NULL;
    memset(q + *n * size, 0, (cap - *n) * size);
    *n = cap;
    return q;
}
