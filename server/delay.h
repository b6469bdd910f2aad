/* One timer thread for every delayed request: a min-heap of due times,
 * an epoll set to sleep on (it also reports clients that hang up while
 * they wait), and batch wake-ups so all requests due in the same
 * millisecond are released together (libmicrohttpd walks its whole
 * suspended list per resume round, so per-request wake-ups would cost
 * O(N^2) at 10,000 waiting requests). */
#ifndef DS_DELAY_H
#define DS_DELAY_H

#include <stddef.h>
#include <stdint.h>

enum ds_node_state {
    DS_NODE_OUT,       /* not (yet) in the timer */
    DS_NODE_QUEUED,    /* waiting for a --workers slot */
    DS_NODE_TIMED,     /* holds a slot, waiting for its time */
    DS_NODE_DUE,       /* fired: its time came, or a flush */
    DS_NODE_GONE       /* fired early: its client hung up */
};

/* Embedded in the caller's request; the timer never allocates per item.
 * The timer owns every field from ds_delay_add until the node fires. */
struct ds_delay_node {
    uint64_t due_ns;               /* CLOCK_MONOTONIC */
    uint64_t seq;                  /* arrival order breaks ties */
    struct ds_delay_node *next;    /* slot queue links */
    struct ds_delay_node *prev;
    size_t heap_i;                 /* index in the heap while TIMED */
    int fd;                        /* socket watched for a hang-up, or -1 */
    enum ds_node_state state;
};

/* Called on the timer thread, without the lock held, with every node
 * whose time has come (state DUE) or whose client hung up (state GONE).
 * The fd is no longer watched by then. */
typedef void ds_delay_fire_fn(struct ds_delay_node **nodes, size_t n, void *ctx);

struct ds_delay;

/* delay in seconds (> 0), workers 0 = unlimited. NULL on failure with
 * the reason in err. */
struct ds_delay *ds_delay_start(double delay, unsigned workers, ds_delay_fire_fn *fire,
                                void *ctx, char *err, size_t errlen);
/* Schedules n: it fires delay seconds after it gets a slot, or as soon as
 * the peer of socket fd hangs up (fd -1: never). The fd must stay open
 * until n fires. -1 when out of memory (n was not taken). */
int ds_delay_add(struct ds_delay *d, struct ds_delay_node *n, int fd);
/* Fires everything now, and from now on fires new nodes at once. */
void ds_delay_flush(struct ds_delay *d);
/* Nodes added and not yet fired (waiting for a slot or for their time). */
size_t ds_delay_pending(struct ds_delay *d);
/* Flushes, joins the thread, frees. */
void ds_delay_stop(struct ds_delay *d);

uint64_t ds_now_ns(void);

#endif
