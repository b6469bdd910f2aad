/* The delay timer's min-heap of due times. Each node knows its index, so
 * a request whose client hung up is taken out in O(log n). Not
 * thread-safe: the timer uses it under its own lock. */
#ifndef DS_HEAP_H
#define DS_HEAP_H

#include <stddef.h>

#include "node.h"

struct ds_heap {
    struct ds_delay_node **a;
    size_t n, cap;
};

/* -1 when out of memory (x was not added). Never fails while n < cap,
 * e.g. right after a pop or a remove. */
int ds_heap_push(struct ds_heap *h, struct ds_delay_node *x);
/* The earliest node (n > 0), removed. */
struct ds_delay_node *ds_heap_pop(struct ds_heap *h);
/* Removes x, which is in h. */
void ds_heap_remove(struct ds_heap *h, struct ds_delay_node *x);
void ds_heap_free(struct ds_heap *h);

#endif
