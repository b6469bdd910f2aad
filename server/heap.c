#include "heap.h"

#include <stdlib.h>

static int before(const struct ds_delay_node *a, const struct ds_delay_node *b)
{
    return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void put(struct ds_heap *h, size_t i, struct ds_delay_node *x)
{
    h->a[i] = x;
    x->heap_i = i;
}

/* Moves x up from the hole at i to where it belongs. */
static void sift_up(struct ds_heap *h, size_t i, struct ds_delay_node *x)
{
    while (i > 0 && before(x, h->a[(i - 1) / 2])) {
        put(h, i, h->a[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    put(h, i, x);
}

/* Moves x down from the hole at i to where it belongs. */
static void sift_down(struct ds_heap *h, size_t i, struct ds_delay_node *x)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && before(h->a[c + 1], h->a[c]))
            c++;
        if (!before(h->a[c], x))
            break;
        put(h, i, h->a[c]);
        i = c;
    }
    put(h, i, x);
}

int ds_heap_push(struct ds_heap *h, struct ds_delay_node *x)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 1024;
        struct ds_delay_node **a = realloc(h->a, cap * sizeof *a);
        if (!a)
            return -1;
        h->a = a;
        h->cap = cap;
    }
    sift_up(h, h->n++, x);
    return 0;
}

void ds_heap_remove(struct ds_heap *h, struct ds_delay_node *x)
{
    size_t i = x->heap_i;
    struct ds_delay_node *last = h->a[--h->n];
    if (i == h->n)
        return;
    /* the last node fills the hole, then goes whichever way it must */
    if (i > 0 && before(last, h->a[(i - 1) / 2]))
        sift_up(h, i, last);
    else
        sift_down(h, i, last);
}

struct ds_delay_node *ds_heap_pop(struct ds_heap *h)
{
    struct ds_delay_node *top = h->a[0];
    ds_heap_remove(h, top);
    return top;
}

void ds_heap_free(struct ds_heap *h)
{
    free(h->a);
    h->a = NULL;
    h->n = h->cap = 0;
}
