#include "delay.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slots.h"

/* Due times are rounded up to this tick: never early, and everything due
 * in one tick is resumed in one batch. */
#define TICK_NS 1000000ull
/* Upper bound of one batch; more due nodes just take another round. */
#define BATCH 1024

struct ds_delay {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int stopping, flushing;
    uint64_t delay_ns, seq;
    struct ds_delay_node **heap;
    size_t n, cap;
    struct ds_slots slots;
    size_t pending;
    ds_delay_fire_fn *fire;
    void *ctx;
    struct ds_delay_node *batch[BATCH];
};

uint64_t ds_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t due_after(const struct ds_delay *d, uint64_t now)
{
    uint64_t t = now + d->delay_ns;
    return (t + TICK_NS - 1) / TICK_NS * TICK_NS;
}

static int before(const struct ds_delay_node *a, const struct ds_delay_node *b)
{
    return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static int heap_push(struct ds_delay *d, struct ds_delay_node *x)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        struct ds_delay_node **h = realloc(d->heap, cap * sizeof *h);
        if (!h)
            return -1;
        d->heap = h;
        d->cap = cap;
    }
    size_t i = d->n++;
    while (i > 0 && before(x, d->heap[(i - 1) / 2])) {
        d->heap[i] = d->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    d->heap[i] = x;
    return 0;
}

static struct ds_delay_node *heap_pop(struct ds_delay *d)
{
    struct ds_delay_node *top = d->heap[0], *last = d->heap[--d->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= d->n)
            break;
        if (c + 1 < d->n && before(d->heap[c + 1], d->heap[c]))
            c++;
        if (!before(d->heap[c], last))
            break;
        d->heap[i] = d->heap[c];
        i = c;
    }
    if (d->n)
        d->heap[i] = last;
    return top;
}

/* Collects due nodes into d->batch (lock held); returns how many. */
static size_t collect(struct ds_delay *d, uint64_t now)
{
    size_t k = 0;
    while (k < BATCH && d->n && (d->flushing || d->heap[0]->due_ns <= now)) {
        d->batch[k++] = heap_pop(d);
        struct ds_delay_node *next = ds_slots_release(&d->slots);
        if (next) {
            next->due_ns = d->flushing ? 0 : due_after(d, now);
            /* cannot fail: it replaces the node just popped */
            heap_push(d, next);
        }
    }
    struct ds_delay_node *w;
    while (k < BATCH && d->flushing && (w = ds_slots_take_waiter(&d->slots)))
        d->batch[k++] = w;
    d->pending -= k;
    return k;
}

static void wait_until(struct ds_delay *d, uint64_t due)
{
    struct timespec ts = {(time_t)(due / 1000000000ull), (long)(due % 1000000000ull)};
    pthread_cond_timedwait(&d->cv, &d->mu, &ts);
}

static void *timer_main(void *arg)
{
    struct ds_delay *d = arg;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        if (d->n == 0 && !(d->flushing && d->slots.head)) {
            if (d->stopping)
                break;
            pthread_cond_wait(&d->cv, &d->mu);
            continue;
        }
        uint64_t now = ds_now_ns();
        if (!d->flushing && d->heap[0]->due_ns > now) {
            wait_until(d, d->heap[0]->due_ns);
            continue;
        }
        size_t k = collect(d, now);
        pthread_mutex_unlock(&d->mu);
        d->fire(d->batch, k, d->ctx);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static int init_sync(struct ds_delay *d)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&d->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return -1;
    if (pthread_mutex_init(&d->mu, NULL) != 0) {
        pthread_cond_destroy(&d->cv);
        return -1;
    }
    return 0;
}

struct ds_delay *ds_delay_start(double delay, unsigned workers, ds_delay_fire_fn *fire,
                                void *ctx, char *err, size_t errlen)
{
    struct ds_delay *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->delay_ns = (uint64_t)(delay * 1e9 + 0.5);
    d->fire = fire;
    d->ctx = ctx;
    ds_slots_init(&d->slots, workers);
    if (init_sync(d) != 0) {
        snprintf(err, errlen, "cannot create the delay timer's lock");
        free(d);
        return NULL;
    }
    int rc = pthread_create(&d->thread, NULL, timer_main, d);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the delay timer thread: %s", strerror(rc));
        pthread_mutex_destroy(&d->mu);
        pthread_cond_destroy(&d->cv);
        free(d);
        return NULL;
    }
    return d;
}

int ds_delay_add(struct ds_delay *d, struct ds_delay_node *n)
{
    pthread_mutex_lock(&d->mu);
    uint64_t now = ds_now_ns();
    n->seq = d->seq++;
    n->next = NULL;
    int rc = 0;
    if (d->flushing) {
        n->due_ns = 0;
        rc = heap_push(d, n);
    } else if (ds_slots_acquire(&d->slots, n)) {
        n->due_ns = due_after(d, now);
        rc = heap_push(d, n);
        if (rc != 0)
            ds_slots_release(&d->slots);
    }
    if (rc == 0) {
        d->pending++;
        /* only a new earliest node changes how long the thread sleeps */
        if (d->n && d->heap[0] == n)
            pthread_cond_signal(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    return rc;
}

void ds_delay_flush(struct ds_delay *d)
{
    pthread_mutex_lock(&d->mu);
    d->flushing = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

size_t ds_delay_pending(struct ds_delay *d)
{
    pthread_mutex_lock(&d->mu);
    size_t n = d->pending;
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
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d->heap);
    free(d);
}
