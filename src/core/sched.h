/* The scheduler of one thread: a curl_multi driven by epoll + curl's timer,
 * a heap of sleepers and a queue of waiters ready to run. It knows nothing
 * of Lua or of what waits: a task record embeds a ds_waiter (lua/task.h), and
 * a transfer a ds_transfer to be called back through (core/xfer.h). Every
 * function takes the scheduler; one thread owns one. */
#ifndef DS_SCHED_H
#define DS_SCHED_H

#include <stdatomic.h>
#include <stddef.h>
#include <curl/curl.h>

struct ds_sched;

/* Embedded in whatever waits; the scheduler links it and hands it back. */
struct ds_waiter {
    struct ds_waiter *prev, *next; /* a list it is in, or NULL */
    double wake_at;                /* when sleeping */
    size_t heap_pos;               /* 0 = not in the sleep heap */
};

/* A circular list of waiters with a sentinel node. */
struct ds_waitlist { struct ds_waiter head; };

void waitlist_init(struct ds_waitlist *l);
int waitlist_empty(const struct ds_waitlist *l);
void waitlist_push(struct ds_waitlist *l, struct ds_waiter *w);
struct ds_waiter *waitlist_pop(struct ds_waitlist *l);
void waitlist_unlink(struct ds_waiter *w);
void waitlist_splice(struct ds_waitlist *dst, struct ds_waitlist *src);

/* A transfer as the scheduler holds it: embedded in the caller's record,
 * curl's private pointer while added. */
struct ds_transfer {
    /* Called, never from inside curl, once the transfer has finished and
     * left the multi. why: NULL, or the scheduler's reason when it ended the
     * transfer itself (its multi failed). */
    void (*done)(struct ds_transfer *self, CURLcode result, const char *why);
    /* The scheduler's: */
    CURL *easy;  /* while added, else NULL */
    int shard;   /* the shard it went to (kept after it left) */
    struct ds_transfer *prev, *next; /* its shard's transfers */
};

/* Monotonic seconds. */
double ds_now(void);

struct ds_sched *sched_new(char *err, size_t errlen);
void sched_free(struct ds_sched *s);

/* Adds easy to a shard: `preferred` if it has room (the caller's previous
 * transfer's, or -1), else the first with room. Sets curl's private pointer
 * and socket hooks on easy. -1 if it could not. */
int sched_add(struct ds_sched *s, struct ds_transfer *t, CURL *easy, int preferred);
/* Takes an unfinished transfer out of its multi (a finished one already
 * is); nothing is called back. Safe on a transfer not added. */
void sched_remove(struct ds_sched *s, struct ds_transfer *t);
/* Connections open in the caches beyond the transfers in flight: about how
 * many a new batch of transfers can reuse without a new descriptor. */
long sched_idle_connections(const struct ds_sched *s);

/* Queues w to run (once: a waiter already in a list stays where it is). */
void sched_make_ready(struct ds_sched *s, struct ds_waiter *w);
struct ds_waitlist *sched_ready(struct ds_sched *s);
void sched_sleep_until(struct ds_sched *s, struct ds_waiter *w, double when);
/* Takes w out of the sleep heap and any list. */
void sched_unwait(struct ds_sched *s, struct ds_waiter *w);

/* A flag another thread sets to cancel what waits on this scheduler (a load
 * run's workers: an interrupt during setup). With one set, sched_poll waits
 * at most 50 ms, so the loops that block on it see the flag
 * promptly. NULL: none. */
void sched_set_cancel(struct ds_sched *s, const atomic_int *flag);
int sched_cancelled(const struct ds_sched *s);

/* Waits for socket events, curl's timer or a sleeper, at most until the
 * absolute time `deadline` (< 0: no bound of its own), and dispatches them.
 * Never runs Lua. */
void sched_poll(struct ds_sched *s, double deadline);

#endif
