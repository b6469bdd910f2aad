/* A load run on the calling thread: lays out the workers' shares, starts
 * them together, watches them (progress, interrupts) and joins them. Their
 * figures stay per worker: one merge, in Lua, serves threads and shards. */
#include "load/runner.h"
#include "load/live.h"
#include "core/interrupt.h"
#include "core/sched.h"
#include "load/flows.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void runner_fail(struct ds_run *run, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&run->lock);
    if (!run->fatal)
        run->fatal = strdup(msg);
    atomic_store(&run->abort, 1);
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
}

/* Iteration i starts when the arrivals so far, the integral of the
 * piecewise linear rate, reach i - 1. Within a segment that starts at rate
 * r with slope a, x seconds hold r x + a x^2 / 2 arrivals; solved for x in
 * the form that stays exact when a is 0. A run has a few stages, so the
 * walk over them costs nothing beside an iteration. */
double runner_schedule(const struct ds_runspec *spec, int64_t i)
{
    double n = (double)(i - 1), before = 0;
    const struct ds_rate_point *p = spec->points;
    for (int k = 0; k + 1 < spec->npoints; k++) {
        double dt = p[k + 1].t - p[k].t, r = p[k].rate;
        double area = (r + p[k + 1].rate) / 2 * dt;
        if (n < before + area) {
            double a = dt > 0 ? (p[k + 1].rate - r) / dt : 0, m = n - before;
            if (m <= 0)
                return p[k].t;
            return p[k].t + 2 * m / (r + sqrt(r * r + 2 * a * m));
        }
        before += area;
    }
    return -1;
}

double runner_arrivals(const struct ds_runspec *spec, double t)
{
    double total = 0;
    const struct ds_rate_point *p = spec->points;
    for (int k = 0; k + 1 < spec->npoints && t > p[k].t; k++) {
        double dt = p[k + 1].t - p[k].t;
        double x = t < p[k + 1].t ? t - p[k].t : dt;
        double a = dt > 0 ? (p[k + 1].rate - p[k].rate) / dt : 0;
        total += p[k].rate * x + a * x * x / 2;
    }
    return total;
}

/* n split over k parts: part j's share (the first n % k get one more). */
static int64_t share(int64_t n, int64_t k, int64_t j)
{
    return n / k + (j < n % k);
}

/* Shard I of N takes iterations i with (i - 1) % N == I - 1; its T
 * threads interleave those the same way. Workers from `first` on. */
static void layout_part(struct ds_run *run, const struct ds_runspec *spec, int first)
{
    int64_t n = spec->shard_n, I = spec->shard_i - 1;
    int64_t inflight = spec->open ? spec->max_vus : spec->vus;
    int64_t mine = share(inflight, n, I);
    int64_t t = spec->threads;
    for (int j = 0; j < t; j++) {
        struct ds_worker *w = &run->workers[first + j];
        w->run = run;
        w->spec = spec;
        w->index = first + j;
        w->stride = n * t;
        w->offset = I + n * j;
        w->slots = share(mine, t, j);
        if (w->slots < 1)
            w->slots = 1;
        pthread_mutex_init(&w->series_lock, NULL);
    }
}

/* A run, or each of its flows with their own model (spec->parts) laid
 * out as a run of its own: each flow is split over its threads and shards
 * and numbers its iterations from 1. */
static int layout(struct ds_run *run, const struct ds_runspec *spec)
{
    int t = spec->nparts ? 0 : spec->threads;
    for (int p = 0; p < spec->nparts; p++)
        t += spec->parts[p].threads;
    run->workers = calloc((size_t)t, sizeof *run->workers);
    if (!run->workers)
        return -1;
    run->nworkers = t;
    if (!spec->nparts) {
        layout_part(run, spec, 0);
        return 0;
    }
    for (int p = 0, first = 0; p < spec->nparts; first += spec->parts[p++].threads)
        layout_part(run, &spec->parts[p], first);
    return 0;
}

static void wait_ms(struct ds_run *run, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += (long)ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&run->cond, &run->lock, &ts);
}

/* The chain latencies of the iterations that ended in second `sec`, over
 * every worker. */
static void last_second(struct ds_run *run, int64_t sec, struct ds_hist *into)
{
    hist_reset(into);
    for (int j = 0; j < run->nworkers; j++) {
        struct ds_worker *w = &run->workers[j];
        pthread_mutex_lock(&w->series_lock);
        struct ds_hist *h = w->recent[sec & 1];
        if (h && w->recent_sec[sec & 1] == sec)
            hist_merge(into, h);
        pthread_mutex_unlock(&w->series_lock);
    }
}

/* A first signal stops new iterations, a second cancels those in flight;
 * the workers look at the flags on every turn of their loops. */
static void follow_signals(struct ds_run *run, int signals)
{
    if (signals >= 1 && !atomic_load(&run->stop)) {
        run->stopped_at = ds_now();
        atomic_store(&run->stop, 1);
    }
    if (signals >= 2)
        atomic_store(&run->cancel, 1);
}

static void watch(struct ds_run *run, ds_progress_fn *progress, void *ud)
{
    struct ds_hist *h = progress ? hist_new(2) : NULL;
    double next = ds_now() + 1;
    pthread_mutex_lock(&run->lock);
    while (run->finished < run->nworkers) {
        wait_ms(run, 50);
        follow_signals(run, intr_count());
        double now = ds_now();
        if (!h || now < next)
            continue;
        next = now + 1;
        double elapsed = now - run->t0;
        pthread_mutex_unlock(&run->lock);
        last_second(run, elapsed >= 1 ? (int64_t)elapsed - 1 : 0, h);
        progress(ud, run, elapsed, h, "");
        pthread_mutex_lock(&run->lock);
    }
    pthread_mutex_unlock(&run->lock);
    hist_free(h);
}

/* The workers inherit a mask that blocks SIGINT and SIGTERM: the signals
 * reach this thread only. */
static void start_workers(struct ds_run *run)
{
    sigset_t old;
    intr_block(&old);
    for (int j = 0; j < run->nworkers; j++) {
        struct ds_worker *w = &run->workers[j];
        if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
            runner_fail(run, "cannot start worker thread %d of %d", j + 1, run->nworkers);
            pthread_mutex_lock(&run->lock);
            run->finished += run->nworkers - j; /* never started */
            run->ready += run->nworkers - j;
            pthread_mutex_unlock(&run->lock);
            break;
        }
        w->joinable = 1;
    }
    intr_restore(&old);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --start-at: the wall-clock instant every shard starts at, after setup,
 * so that shards on other machines start their seconds together. Waits in
 * steps of at most 50 ms, so an interrupt ends the wait. */
static void wait_start_at(struct ds_run *run)
{
    double left;
    while (!run->fatal && intr_count() == 0 && (left = run->spec->start_at - wall_now()) > 0)
        wait_ms(run, left < 0.05 ? (int)(left * 1000) + 1 : 50);
}

void runner_waiting(void *worker, const char *what)
{
    struct ds_worker *w = worker;
    pthread_mutex_lock(&w->run->lock);
    snprintf(w->waiting, sizeof w->waiting, "%s", what ? what : "");
    pthread_mutex_unlock(&w->run->lock);
}

/* The first thing a worker's setup waits for; run->lock held. */
static void setup_waiting(const struct ds_run *run, char *out, size_t len)
{
    out[0] = 0;
    for (int j = 0; j < run->nworkers && !out[0]; j++)
        snprintf(out, len, "%s", run->workers[j].waiting);
}

/* Waits for every worker's setup (and for --start-at), or for a failure
 * or an interrupt (which cancels setup's requests: the workers'
 * schedulers watch run->abort). */
static void start_together(struct ds_run *run, ds_progress_fn *progress, void *ud)
{
    double began = ds_now(), next = began + 1;
    char waiting[sizeof run->workers[0].waiting];
    pthread_mutex_lock(&run->lock);
    while (run->ready < run->nworkers && !run->fatal && intr_count() == 0) {
        wait_ms(run, 50);
        double now = ds_now();
        if (!progress || now < next)
            continue;
        next = now + 1;
        setup_waiting(run, waiting, sizeof waiting);
        pthread_mutex_unlock(&run->lock);
        progress(ud, run, now - began, NULL, waiting);
        pthread_mutex_lock(&run->lock);
    }
    if (run->spec->start_at > 0)
        wait_start_at(run);
    if (intr_count() > 0 && !run->fatal) {
        run->fatal = strdup(run->ready == run->nworkers && run->spec->start_at > 0
                                ? "interrupted while waiting for --start-at"
                                : "interrupted during setup");
        atomic_store(&run->stop, 1);
    }
    if (run->fatal)
        atomic_store(&run->abort, 1);
    else { /* every worker's setup is done: start together */
        run->t0 = ds_now();
        run->t0_epoch = wall_now();
    }
    if (!run->fatal && run->spec->live && live_begin(run) != 0) {
        run->fatal = strdup("out of memory for the live figures");
        atomic_store(&run->abort, 1);
    }
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
}

int runner_run(struct ds_run *run, const struct ds_runspec *spec, ds_progress_fn *progress,
               void *ud)
{
    memset(run, 0, sizeof *run);
    run->spec = spec;
    pthread_mutex_init(&run->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&run->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (layout(run, spec) != 0) {
        run->fatal = strdup("out of memory for the workers");
        return -1;
    }
    intr_trap();
    start_workers(run);
    start_together(run, progress, ud);
    if (!run->fatal)
        watch(run, progress, ud);
    for (int j = 0; j < run->nworkers; j++)
        if (run->workers[j].joinable)
            pthread_join(run->workers[j].tid, NULL);
    intr_untrap();
    return run->fatal ? -1 : 0;
}

static void worker_free(struct ds_worker *w)
{
    hist_free(w->chain);
    hist_free(w->start_lag);
    flows_free(w);
    rec_free(w->rec);
    for (int i = 0; i < w->nerrors; i++)
        free(w->errors[i].msg);
    for (size_t s = 0; s < w->nseries; s++) {
        hist_free(w->series[s].latency);
        free(w->series[s].lag);
    }
    hist_free(w->lag_now);
    hist_free(w->recent[0]);
    hist_free(w->recent[1]);
    live_free(w->live);
    free(w->series);
    for (size_t i = 0; i < w->ncollected; i++)
        free(w->collected[i].json);
    free(w->collected);
    free(w->slot);
    free(w->free);
    pthread_mutex_destroy(&w->series_lock);
}

void runner_free(struct ds_run *run)
{
    for (int j = 0; j < run->nworkers; j++)
        worker_free(&run->workers[j]);
    free(run->workers);
    free(run->fatal);
    pthread_mutex_destroy(&run->lock);
    pthread_cond_destroy(&run->cond);
}
