/* One waiting request as the delay timer, its heap and its slot queue see
 * it. A header of its own so heap.h and slots.h need not include delay.h
 * (whose timer includes them). */
#ifndef DS_NODE_H
#define DS_NODE_H

#include <stddef.h>
#include <stdint.h>

enum ds_node_state {
    DS_NODE_OUT,       /* not (yet) in the timer */
    DS_NODE_QUEUED,    /* waiting for a --workers slot */
    DS_NODE_TIMED,     /* in the heap, waiting for its time */
    DS_NODE_DUE,       /* fired: its time came, or a flush */
    DS_NODE_GONE       /* fired early: its client hung up */
};

/* Embedded in the caller's request; the timer never allocates per item.
 * The caller sets wait_ns and slotless before ds_delay_add; the timer owns
 * every other field from then until the node fires. */
struct ds_delay_node {
    uint64_t wait_ns;              /* how long once timed; UINT64_MAX: never */
    int slotless;                  /* timed at once, never holds a slot */
    uint64_t due_ns;               /* CLOCK_MONOTONIC */
    uint64_t slot_ns;              /* when it got its slot and its time
                                      began; 0: never (a flush) */
    uint64_t seq;                  /* arrival order breaks ties */
    struct ds_delay_node *next;    /* slot queue links */
    struct ds_delay_node *prev;
    size_t heap_i;                 /* index in the heap while TIMED */
    int fd;                        /* socket watched for a hang-up, or -1 */
    enum ds_node_state state;
};

#endif
