#include "delay.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "heap.h"
#include "slots.h"
#include "watch.h"

/* Due times are rounded up to this tick: never early, and everything due
 * in one tick is resumed in one batch. */
#define TICK_NS 1000000ull
/* Upper bound of one batch; more due nodes just take another round. */
#define BATCH 1024

/* One lock guards everything below; only the timer thread takes nodes
 * out (fires them) and unwatches their sockets, so a hang-up it reads
 * always names a node that is still queued or timed. */
struct ds_delay {
    pthread_mutex_t mu;
    pthread_t thread;
    int stopping, flushing;
    uint64_t seq;
    struct ds_heap heap;
    struct ds_slots slots;
    struct ds_watch watch;
    ds_delay_fire_fn *fire;
    void *ctx;
    struct ds_delay_node *batch[BATCH];
    void *hung_up[BATCH];
};

/* now + wait rounded up to the tick; "never" (UINT64_MAX) stays never. */
static uint64_t due_after(uint64_t wait_ns, uint64_t now)
{
    if (wait_ns > UINT64_MAX - now - TICK_NS)
        return UINT64_MAX;
    uint64_t t = now + wait_ns;
    return (t + TICK_NS - 1) / TICK_NS * TICK_NS;
}

/* Puts n in the heap with its due time (lock held). */
static int start_timing(struct ds_delay *d, struct ds_delay_node *n, uint64_t now)
{
    n->due_ns = d->flushing ? 0 : due_after(n->wait_ns, now);
    n->slot_ns = now;
    n->state = DS_NODE_TIMED;
    return ds_heap_push(&d->heap, n);
}

/* A slot came free: the oldest waiter takes it and starts its delay. */
static void pass_slot(struct ds_delay *d, uint64_t now)
{
    struct ds_delay_node *next = ds_slots_release(&d->slots);
    /* cannot fail: it replaces a node just taken out of the heap */
    if (next)
        start_timing(d, next, now);
}

/* n leaves the heap: the slot it held, if any, goes to the next waiter. */
static void leave_heap(struct ds_delay *d, struct ds_delay_node *n, uint64_t now)
{
    if (!n->slotless)
        pass_slot(d, now);
}

/* Takes n out of the timer for good (lock held). */
static struct ds_delay_node *finish(struct ds_delay *d, struct ds_delay_node *n,
                                    enum ds_node_state st)
{
    if (n->fd >= 0)
        ds_watch_del(&d->watch, n->fd);
    n->fd = -1;
    n->state = st;
    return n;
}

/* Collects due nodes into d->batch (lock held); returns how many. */
static size_t collect(struct ds_delay *d, uint64_t now)
{
    size_t k = 0;
    while (k < BATCH && d->heap.n && (d->flushing || d->heap.a[0]->due_ns <= now)) {
        struct ds_delay_node *n = ds_heap_pop(&d->heap);
        leave_heap(d, n, now);
        d->batch[k++] = finish(d, n, DS_NODE_DUE);
    }
    struct ds_delay_node *w;
    while (k < BATCH && d->flushing && (w = ds_slots_take_waiter(&d->slots)))
        d->batch[k++] = finish(d, w, DS_NODE_DUE);
    return k;
}

/* Takes the nodes whose clients hung up out of the heap or the slot queue
 * into d->batch (lock held); a queued one never takes a slot, a timed one
 * gives its slot back. Returns how many. */
static size_t drop_hung_up(struct ds_delay *d, size_t n, uint64_t now)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct ds_delay_node *x = d->hung_up[i];
        if (x->state == DS_NODE_TIMED) {
            ds_heap_remove(&d->heap, x);
            leave_heap(d, x, now);
        } else if (x->state == DS_NODE_QUEUED) {
            ds_slots_remove(&d->slots, x);
        } else {
            continue;  /* defensive: fired nodes are no longer watched */
        }
        d->batch[k++] = finish(d, x, DS_NODE_GONE);
    }
    return k;
}

/* How long the thread may sleep (lock held): 0 when work is due now. */
static int sleep_ms(const struct ds_delay *d, uint64_t now)
{
    if (d->flushing && (d->heap.n || d->slots.head))
        return 0;
    if (!d->heap.n)
        return -1;
    uint64_t due = d->heap.a[0]->due_ns;
    if (due <= now)
        return 0;
    /* rounded up: epoll counts milliseconds, and firing early is wrong */
    uint64_t ms = (due - now + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void *timer_main(void *arg)
{
    struct ds_delay *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!(d->stopping && !d->heap.n && !d->slots.head)) {
        uint64_t now = ds_now_ns();
        int ms = sleep_ms(d, now);
        size_t k;
        if (ms == 0) {
            k = collect(d, now);
        } else {
            pthread_mutex_unlock(&d->mu);
            size_t n = ds_watch_wait(&d->watch, d->hung_up, BATCH, ms);
            pthread_mutex_lock(&d->mu);
            k = drop_hung_up(d, n, ds_now_ns());
        }
        if (k == 0)
            continue;
        pthread_mutex_unlock(&d->mu);
        d->fire(d->batch, k, d->ctx);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static void free_delay(struct ds_delay *d)
{
    ds_watch_close(&d->watch);
    ds_heap_free(&d->heap);
    free(d);
}

struct ds_delay *ds_delay_start(unsigned workers, size_t queue_max, ds_delay_fire_fn *fire,
                                void *ctx, char *err, size_t errlen)
{
    struct ds_delay *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->fire = fire;
    d->ctx = ctx;
    ds_slots_init(&d->slots, workers, queue_max);
    if (ds_watch_init(&d->watch) != 0) {
        snprintf(err, errlen, "cannot create the delay timer's epoll set: %s",
                 strerror(errno));
        free_delay(d);
        return NULL;
    }
    if (pthread_mutex_init(&d->mu, NULL) != 0) {
        snprintf(err, errlen, "cannot create the delay timer's lock");
        free_delay(d);
        return NULL;
    }
    int rc = pthread_create(&d->thread, NULL, timer_main, d);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the delay timer thread: %s", strerror(rc));
        pthread_mutex_destroy(&d->mu);
        free_delay(d);
        return NULL;
    }
    return d;
}

/* Gives n its place: a slot and the heap, or the slot queue (lock held).
 * 0, -1 out of memory, DS_DELAY_FULL. */
static int place(struct ds_delay *d, struct ds_delay_node *n)
{
    /* a flush answers everyone at once, slot or not */
    if (d->flushing || n->slotless)
        return start_timing(d, n, ds_now_ns());
    int got = ds_slots_acquire(&d->slots, n);
    if (got < 0)
        return DS_DELAY_FULL;
    if (got == 0)
        return 0;
    int rc = start_timing(d, n, ds_now_ns());
    /* the slot just taken had no waiter: releasing only frees it */
    if (rc != 0)
        ds_slots_release(&d->slots);
    return rc;
}

int ds_delay_add(struct ds_delay *d, struct ds_delay_node *n, int fd)
{
    pthread_mutex_lock(&d->mu);
    n->seq = d->seq++;
    n->slot_ns = 0;
    n->next = n->prev = NULL;
    n->fd = -1;
    n->state = DS_NODE_QUEUED;
    int rc = place(d, n);
    if (rc == 0) {
        /* watched under the lock, so a hang-up finds n queued or timed */
        if (fd >= 0 && ds_watch_add(&d->watch, fd, n) == 0)
            n->fd = fd;
        /* only a new earliest node changes how long the thread sleeps */
        if (d->heap.n && d->heap.a[0] == n)
            ds_watch_wake(&d->watch);
    } else {
        n->state = DS_NODE_OUT;
    }
    pthread_mutex_unlock(&d->mu);
    return rc;
}

int ds_delay_full(struct ds_delay *d)
{
    pthread_mutex_lock(&d->mu);
    int full = !d->flushing && ds_slots_full(&d->slots);
    pthread_mutex_unlock(&d->mu);
    return full;
}

size_t ds_delay_queued(struct ds_delay *d)
{
    pthread_mutex_lock(&d->mu);
    size_t n = d->slots.waiting;
    pthread_mutex_unlock(&d->mu);
    return n;
}

void ds_delay_flush(struct ds_delay *d)
{
    pthread_mutex_lock(&d->mu);
    d->flushing = 1;
    ds_watch_wake(&d->watch);
    pthread_mutex_unlock(&d->mu);
}

size_t ds_delay_pending(struct ds_delay *d)
{
    pthread_mutex_lock(&d->mu);
    size_t n = d->heap.n + d->slots.waiting; /* timed + queued */
    pthread_mutex_unlock(&d->mu);
    return n;
}

void ds_delay_stop(struct ds_delay *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->flushing = 1;
    d->stopping = 1;
    ds_watch_wake(&d->watch);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    pthread_mutex_destroy(&d->mu);
    free_delay(d);
}
