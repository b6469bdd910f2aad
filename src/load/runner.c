/* A load run on the calling thread: lays out the workers' shares, starts
 * them together, reports progress, and merges their figures. */
#include "load/runner.h"
#include "core/grow.h"
#include "core/sched.h"

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

/* n split over k parts: part j's share (the first n % k get one more). */
static int64_t share(int64_t n, int64_t k, int64_t j)
{
    return n / k + (j < n % k);
}

/* Shard I of N takes iterations i with (i - 1) % N == I - 1; its T
 * threads interleave those the same way. A closed run has at most one
 * thread per VU: a thread without one would leave its iterations undone. */
static int layout(struct ds_run *run, const struct ds_runspec *spec)
{
    int64_t n = spec->shard_n, I = spec->shard_i - 1;
    int64_t inflight = spec->open ? spec->max_vus : spec->vus;
    int64_t mine = share(inflight, n, I);
    int64_t t = spec->threads;
    if (!spec->open && t > mine)
        t = mine;
    if (t < 1)
        t = 1;
    run->workers = calloc((size_t)t, sizeof *run->workers);
    if (!run->workers)
        return -1;
    run->nworkers = (int)t;
    for (int j = 0; j < t; j++) {
        struct ds_worker *w = &run->workers[j];
        w->run = run;
        w->index = j;
        w->stride = n * t;
        w->offset = I + n * j;
        w->slots = share(mine, t, j);
        if (w->slots < 1)
            w->slots = 1;
        pthread_mutex_init(&w->series_lock, NULL);
    }
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

/* The chain latencies of second `sec` over every worker. */
static void last_second(struct ds_run *run, size_t sec, struct ds_hist *into)
{
    hist_reset(into);
    for (int j = 0; j < run->nworkers; j++) {
        struct ds_worker *w = &run->workers[j];
        pthread_mutex_lock(&w->series_lock);
        if (sec < w->nseries && w->series[sec].latency)
            hist_merge(into, w->series[sec].latency);
        pthread_mutex_unlock(&w->series_lock);
    }
}

static void watch(struct ds_run *run, ds_progress_fn *progress, void *ud)
{
    struct ds_hist *h = progress ? hist_new(2) : NULL;
    double next = ds_now() + 1;
    pthread_mutex_lock(&run->lock);
    while (run->finished < run->nworkers) {
        wait_ms(run, 100);
        double now = ds_now();
        if (!h || now < next)
            continue;
        next = now + 1;
        double elapsed = now - run->t0;
        pthread_mutex_unlock(&run->lock);
        last_second(run, elapsed >= 1 ? (size_t)elapsed - 1 : 0, h);
        progress(ud, run, elapsed, h);
        pthread_mutex_lock(&run->lock);
    }
    pthread_mutex_unlock(&run->lock);
    hist_free(h);
}

static int start_workers(struct ds_run *run)
{
    for (int j = 0; j < run->nworkers; j++) {
        struct ds_worker *w = &run->workers[j];
        if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
            runner_fail(run, "cannot start worker thread %d of %d", j + 1, run->nworkers);
            pthread_mutex_lock(&run->lock);
            run->finished += run->nworkers - j; /* never started */
            run->ready += run->nworkers - j;
            pthread_mutex_unlock(&run->lock);
            return -1;
        }
        w->joinable = 1;
    }
    return 0;
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
    start_workers(run);
    pthread_mutex_lock(&run->lock);
    while (run->ready < run->nworkers && !run->fatal)
        pthread_cond_wait(&run->cond, &run->lock);
    if (!run->fatal)
        run->t0 = ds_now(); /* every worker's setup is done: start together */
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
    if (!run->fatal)
        watch(run, progress, ud);
    for (int j = 0; j < run->nworkers; j++)
        if (run->workers[j].joinable)
            pthread_join(run->workers[j].tid, NULL);
    return run->fatal ? -1 : 0;
}

/* ---- merging into worker 0 ---- */

int runner_count_error(struct ds_worker *w, const char *msg, int64_t n)
{
    for (int i = 0; i < w->nerrors; i++)
        if (strcmp(w->errors[i].msg, msg) == 0) {
            w->errors[i].count += n;
            return 0;
        }
    /* the first distinct messages; the rest under one line */
    if (w->nerrors == RUN_MAX_ERRORS)
        return runner_count_error(w, RUN_OTHER_ERRORS, n);
    if (w->nerrors == RUN_MAX_ERRORS - 1)
        msg = RUN_OTHER_ERRORS;
    char *copy = strdup(msg);
    if (!copy)
        return -1;
    w->errors[w->nerrors++] = (struct ds_errcount){copy, n};
    return 0;
}

static int merge_errors(struct ds_worker *dst, const struct ds_worker *src)
{
    for (int k = 0; k < src->nerrors; k++)
        if (runner_count_error(dst, src->errors[k].msg, src->errors[k].count) != 0)
            return -1;
    return 0;
}

static int merge_series(struct ds_worker *dst, struct ds_worker *src)
{
    if (src->nseries) {
        struct ds_second *p = grow_zeroed(dst->series, &dst->nseries, src->nseries - 1, sizeof *p);
        if (!p)
            return -1;
        dst->series = p;
    }
    for (size_t s = 0; s < src->nseries; s++) {
        struct ds_second *d = &dst->series[s], *o = &src->series[s];
        d->iterations += o->iterations;
        d->errors += o->errors;
        if (!o->latency)
            continue;
        if (!d->latency) {
            d->latency = o->latency; /* moved */
            o->latency = NULL;
        } else {
            hist_merge(d->latency, o->latency);
        }
    }
    return 0;
}

static int merge_collected(struct ds_worker *dst, struct ds_worker *src)
{
    if (!src->ncollected)
        return 0;
    size_t n = dst->ncollected + src->ncollected;
    if (n > dst->capcollected) {
        struct ds_collected *p = realloc(dst->collected, n * sizeof *p);
        if (!p)
            return -1;
        dst->collected = p;
        dst->capcollected = n;
    }
    /* the strings move */
    memcpy(dst->collected + dst->ncollected, src->collected,
           src->ncollected * sizeof *src->collected);
    dst->ncollected = n;
    src->ncollected = 0;
    return 0;
}

int runner_merge(struct ds_run *run)
{
    struct ds_worker *dst = &run->workers[0];
    for (int j = 1; j < run->nworkers; j++) {
        struct ds_worker *src = &run->workers[j];
        dst->done += src->done;
        dst->failed += src->failed;
        dst->dropped += src->dropped;
        if (dst->end < src->end)
            dst->end = src->end;
        if (!src->chain)
            continue; /* never ran */
        hist_merge(dst->chain, src->chain);
        hist_merge(dst->start_lag, src->start_lag);
        if ((src->rec && rec_merge(dst->rec, src->rec) != 0) || merge_errors(dst, src) != 0 ||
            merge_series(dst, src) != 0 || merge_collected(dst, src) != 0)
            return -1;
    }
    return 0;
}

static void worker_free(struct ds_worker *w)
{
    hist_free(w->chain);
    hist_free(w->start_lag);
    rec_free(w->rec);
    for (int i = 0; i < w->nerrors; i++)
        free(w->errors[i].msg);
    for (size_t s = 0; s < w->nseries; s++)
        hist_free(w->series[s].latency);
    free(w->series);
    for (size_t i = 0; i < w->ncollected; i++)
        free(w->collected[i].json);
    free(w->collected);
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
