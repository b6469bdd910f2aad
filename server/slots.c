#include "slots.h"

void ds_slots_init(struct ds_slots *s, unsigned cap)
{
    s->cap = cap;
    s->busy = 0;
    s->head = s->tail = NULL;
    s->waiting = 0;
}

int ds_slots_acquire(struct ds_slots *s, struct ds_delay_node *n)
{
    if (s->cap == 0 || s->busy < s->cap) {
        s->busy++;
        return 1;
    }
    n->next = NULL;
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

struct ds_delay_node *ds_slots_take_waiter(struct ds_slots *s)
{
    struct ds_delay_node *n = s->head;
    if (!n)
        return NULL;
    s->head = n->next;
    if (!s->head)
        s->tail = NULL;
    s->waiting--;
    n->next = NULL;
    return n;
}
