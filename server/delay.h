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

#include "node.h"

/* Called on the timer thread, without the lock held, with every node
 * whose time has come (state DUE) or whose client hung up (state GONE).
 * The fd is no longer watched by then. */
typedef void ds_delay_fire_fn(struct ds_delay_node **nodes, size_t n, void *ctx);

struct ds_delay;

/* workers 0 = unlimited slots; queue_max SIZE_MAX = an unlimited queue.
 * NULL on failure with the reason in err. */
struct ds_delay *ds_delay_start(unsigned workers, size_t queue_max, ds_delay_fire_fn *fire,
                                void *ctx, char *err, size_t errlen);

/* ds_delay_add's answer when the slot queue is full. */
#define DS_DELAY_FULL 1

/* Schedules n: it fires n->wait_ns after it gets a slot (at once for a
 * slotless node), or as soon as the peer of socket fd hangs up (fd -1:
 * never). The fd must stay open until n fires. Returns 0; -1 when out of
 * memory, DS_DELAY_FULL when every slot is busy and the queue is full (n
 * was not taken either way). */
int ds_delay_add(struct ds_delay *d, struct ds_delay_node *n, int fd);
/* Whether a node that needs a slot would get DS_DELAY_FULL now. */
int ds_delay_full(struct ds_delay *d);
/* Nodes waiting for a slot. */
size_t ds_delay_queued(struct ds_delay *d);
/* Fires everything now, and from now on fires new nodes at once. */
void ds_delay_flush(struct ds_delay *d);
/* Nodes added and not yet fired (waiting for a slot or for their time). */
size_t ds_delay_pending(struct ds_delay *d);
/* Flushes, joins the thread, frees. */
void ds_delay_stop(struct ds_delay *d);

#endif
