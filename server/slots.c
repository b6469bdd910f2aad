#include "slots.h"

void ds_slots_init(struct ds_slots *s, unsigned cap, size_t queue_max)
{
    s->cap = cap;
    s->busy = 0;
    s->queue_max = queue_max;
    s->head = s->tail = NULL;
    s->waiting = 0;
}

int ds_slots_full(const struct ds_slots *s)
{
    return s->cap != 0 && s->busy >= s->cap && s->waiting >= s->queue_max;
}

int ds_slots_acquire(struct ds_slots *s, struct ds_delay_node *n)
{
    if (s->cap == 0 || s->busy < s->cap) {
        s->busy++;
        return 1;
    }
    if (s->waiting >= s->queue_max)
        return -1;
    n->next = NULL;
    n->prev = s->tail;
    if (s->tail)
        s->tail->next = n;
    else
        s->head = n;
    s->tail = n;
    s->waiting++;
    return 0;
}

struct ds_delay_node *ds_slots_release(struct ds_slots *s)
{
    /* the slot passes straight to the oldest waiter */
    struct ds_delay_node *n = ds_slots_take_waiter(s);
    if (!n && s->busy)
        s->busy--;
    return n;
}

void ds_slots_remove(struct ds_slots *s, struct ds_delay_node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        s->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        s->tail = n->prev;
    n->next = n->prev = NULL;
    s->waiting--;
}

struct ds_delay_node *ds_slots_take_waiter(struct ds_slots *s)
{
    struct ds_delay_node *n = s->head;
    if (n)
        ds_slots_remove(s, n);
    return n;
}
