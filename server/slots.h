/* --workers N: N request slots; a request holds one for its delay and
 * the rest wait in arrival order, at most --queue-max of them. Not
 * thread-safe: the delay timer calls it under its own lock. */
#ifndef DS_SLOTS_H
#define DS_SLOTS_H

#include <stddef.h>

#include "node.h"

struct ds_slots {
    unsigned cap;                   /* 0 = unlimited */
    unsigned busy;
    size_t queue_max;               /* SIZE_MAX = unlimited */
    struct ds_delay_node *head, *tail;
    size_t waiting;
};

void ds_slots_init(struct ds_slots *s, unsigned cap, size_t queue_max);
/* Whether a new request would be turned away: every slot busy and
 * queue_max requests already waiting. */
int ds_slots_full(const struct ds_slots *s);
/* 1 when n got a slot now; 0 when it was queued; -1 when the queue was
 * full (n was not taken). */
int ds_slots_acquire(struct ds_slots *s, struct ds_delay_node *n);
/* Frees one slot; returns the waiter that now holds it, or NULL. */
struct ds_delay_node *ds_slots_release(struct ds_slots *s);
/* Takes the oldest waiter out of the queue without a slot (shutdown), or
 * returns NULL. */
struct ds_delay_node *ds_slots_take_waiter(struct ds_slots *s);
/* Takes the queued n out of the queue (its client left): it never held a
 * slot, so none is freed. */
void ds_slots_remove(struct ds_slots *s, struct ds_delay_node *n);

#endif
