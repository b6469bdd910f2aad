/* One worker thread of a load run: its driver (the scenario's interpreter)
 * runs iterations in a fixed number of slots; this file decides when each
 * starts (open model: on schedule, dropped when every slot is busy; closed:
 * back to back), and records how each ended. */
#include "load/runner.h"
#include "load/live.h"
#include "core/grow.h"
#include "core/sched.h"
#include "load/flows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t to_us(double s)
{
    return (int64_t)(s * 1e6 + 0.5);
}

/* ---- recording ---- */

static struct ds_second *second_at(struct ds_worker *w, double since)
{
    size_t sec = since > 0 ? (size_t)since : 0;
    struct ds_second *p = grow_zeroed(w->series, &w->nseries, sec, sizeof *p);
    if (!p)
        return NULL;
    w->series = p;
    struct ds_second *s = &p[sec];
    if (!s->latency && !(s->latency = hist_new(2)))
        return NULL;
    return s;
}

void runner_count_message(struct ds_errcount *e, int *n, const char *msg, int64_t i)
{
    for (int k = 0; k < *n; k++)
        if (strcmp(e[k].msg, msg) == 0) {
            e[k].count++;
            if (i < e[k].first)
                e[k].first = i;
            return;
        }
    if (*n == RUN_KEEP_ERRORS) {
        runner_count_message(e, n, RUN_OTHER_ERRORS, i);
        return;
    }
    char *copy = strdup(msg);
    if (!copy)
        return; /* out of memory: still counted in failed */
    e[(*n)++] = (struct ds_errcount){copy, 1, i};
}

/* curl puts the time a connect took in its messages ("Failed to connect
 * to 127.0.0.1 port 1 after 0 ms: ..."): one cause would count as many
 * distinct messages. They are grouped without it. */
static const char *grouped(const char *msg, char *buf, size_t len)
{
    const char *after = strstr(msg, " after ");
    size_t digits = after ? strspn(after + 7, "0123456789") : 0;
    if (digits && strncmp(after + 7 + digits, " ms", 3) == 0 &&
        strlen(msg) - 3 - digits < len) {
        size_t head = (size_t)(after - msg);
        snprintf(buf, len, "%.*s%s", (int)head, msg, after + 7 + digits + 3);
        return buf;
    }
    return msg;
}

static int keep_result(struct ds_worker *w, int64_t i, const char *json)
{
    struct ds_collected *p = grow_zeroed(w->collected, &w->capcollected, w->ncollected, sizeof *p);
    if (!p)
        return -1;
    w->collected = p;
    char *copy = strdup(json);
    if (!copy)
        return -1;
    w->collected[w->ncollected++] = (struct ds_collected){i, copy};
    return 0;
}

/* The iteration's time in flight, [from, to) since t0, spread over the
 * seconds it overlaps. */
static void add_busy(struct ds_worker *w, double from, double to)
{
    for (double t = from; t < to;) {
        double next = floor(t) + 1, until = next < to ? next : to;
        struct ds_second *sec = second_at(w, t);
        if (!sec)
            return;
        sec->busy += until - t;
        t = until;
    }
}

static void note_recent(struct ds_worker *w, double since, int64_t us)
{
    int64_t sec = since > 0 ? (int64_t)since : 0;
    int k = (int)(sec & 1);
    if (!w->recent[k] && !(w->recent[k] = hist_new(2)))
        return;
    if (w->recent_sec[k] != sec) {
        hist_reset(w->recent[k]);
        w->recent_sec[k] = sec;
    }
    hist_record(w->recent[k], us);
}

void worker_finished(struct ds_worker *w, int slot, const char *error, const char *json)
{
    const struct ds_slot *s = &w->slot[slot];
    double now = ds_now();
    if (!error && json && keep_result(w, s->i, json) != 0)
        error = "out of memory for the collected results";
    /* the open model measures from the scheduled start (wrk2's rule) */
    double from = w->spec->open ? s->due : s->started;
    int64_t us = to_us(now - from);
    char buf[512];
    if (error)
        error = grouped(error, buf, sizeof buf);
    flows_record(w, s->flow, from - w->t0, us, error != NULL);
    pthread_mutex_lock(&w->series_lock);
    struct ds_second *sec = second_at(w, from - w->t0);
    if (sec && !error) {
        sec->iterations++;
        hist_record(sec->latency, us);
        note_recent(w, now - w->t0, us);
    } else if (sec) {
        sec->errors++;
    }
    add_busy(w, s->started - w->t0, now - w->t0);
    live_finished(w, from - w->t0, s->started - w->t0, now - w->t0, us, error, s->i);
    pthread_mutex_unlock(&w->series_lock);
    if (error) {
        runner_count_message(w->errors, &w->nerrors, error, s->i);
        atomic_fetch_add(&w->failed, 1);
    } else {
        hist_record(w->chain, us);
        atomic_fetch_add(&w->done, 1);
    }
    atomic_fetch_sub(&w->inflight, 1);
    w->end = now;
    w->slot[slot].i = 0; /* free */
    w->free[w->nfree++] = slot;
}

/* The start lags of second lag_sec into the series, as buckets (added to
 * those it has, should a second be closed twice). Out of memory: that
 * second's lags are lost (the run's figure keeps them). */
static void close_lag_second(struct ds_worker *w)
{
    if (w->lag_sec < 0)
        return;
    pthread_mutex_lock(&w->series_lock);
    struct ds_second *sec = second_at(w, (double)w->lag_sec);
    if (sec) {
        for (int k = 0; k < sec->nlag; k++)
            hist_record_n(w->lag_now, sec->lag[k].value, sec->lag[k].count);
        free(sec->lag);
        sec->lag = NULL;
        sec->nlag = 0;
        (void)rec_buckets(w->lag_now, &sec->lag, &sec->nlag);
    }
    pthread_mutex_unlock(&w->series_lock);
    hist_reset(w->lag_now);
    w->lag_sec = -1;
}

/* How late an iteration of the open model started: in the run's figure
 * and in the second it was due in (where its latency goes too). A worker
 * starts its iterations in the order they were due, so only the latest
 * second is open. */
static void record_start_lag(struct ds_worker *w, double due, double now)
{
    int64_t us = to_us(now - due);
    double since = due - w->t0;
    int64_t sec = since > 0 ? (int64_t)since : 0;
    hist_record(w->start_lag, us);
    live_lag(w, since, us);
    if (sec != w->lag_sec) {
        close_lag_second(w);
        w->lag_sec = sec;
    }
    hist_record(w->lag_now, us);
}

/* ---- starting iterations ---- */

struct loop {
    struct ds_worker *w;
    const struct ds_runspec *spec;
    const struct ds_driver *d;
    void *ctx;
    int64_t k;      /* next of its iterations: offset + 1 + stride * k */
    double begin;   /* absolute: the first may start then (t0 + spec->start) */
    double end_at;  /* absolute: no iteration starts after it */
    int more;       /* iterations left to start */
};

static int64_t iteration(const struct loop *l, int64_t k)
{
    return l->w->offset + 1 + l->w->stride * k;
}

/* This worker's iterations up to spec->limit. */
static int64_t within_limit(const struct loop *l)
{
    int64_t first = l->w->offset + 1;
    return l->spec->limit < first ? 0 : (l->spec->limit - first) / l->w->stride + 1;
}

/* Iteration i would start but is past the data's rows: this worker starts
 * no more, and the grace period counts from now. */
static int past_limit(struct loop *l, int64_t i, double now)
{
    if (!l->spec->limit || i <= l->spec->limit)
        return 0;
    l->w->ran_out = 1;
    l->more = 0;
    l->end_at = now;
    return 1;
}

static int launch(struct loop *l, int64_t i, double due, double now)
{
    struct ds_worker *w = l->w;
    char err[512];
    int slot = w->free[--w->nfree];
    w->slot[slot] = (struct ds_slot){i, due, now, flows_pick(l->spec, i)};
    atomic_fetch_add(&w->inflight, 1);
    if (l->spec->open)
        record_start_lag(w, due, now);
    if (l->d->launch(l->ctx, slot, i, err, sizeof err) == 0)
        return 0;
    w->slot[slot].i = 0;
    w->free[w->nfree++] = slot;
    atomic_fetch_sub(&w->inflight, 1);
    runner_fail(w->run, "iteration %lld: %s", (long long)i, err);
    return -1;
}

/* This worker's iterations due by `since` seconds into the run, counted
 * from the schedule: k of them have been started or dropped already. */
static int64_t due_by(const struct loop *l, double since)
{
    /* iteration i is due once i - 1 arrivals were scheduled, and exists
     * while i - 1 is below the schedule's total */
    double n = runner_arrivals(l->spec, since);
    double last = ceil(runner_arrivals(l->spec, l->spec->points[l->spec->npoints - 1].t));
    double i = floor(n) + 1 < last ? floor(n) + 1 : last;
    double mine = (i - 1 - (double)l->w->offset) / (double)l->w->stride;
    return mine < 0 ? 0 : (int64_t)mine + 1;
}

/* Starts the iterations due by now. Those due while every slot is busy
 * are dropped and counted, as k6 does, so the rate never silently falls
 * behind; they are counted arithmetically, so any rate ends on time.
 * Returns when the next is due (< 0: on the next event). */
static double launch_open(struct loop *l, double now)
{
    struct ds_worker *w = l->w;
    for (;;) {
        double at = runner_schedule(l->spec, iteration(l, l->k));
        if (at < 0) {
            l->more = 0;
            return -1;
        }
        if (past_limit(l, iteration(l, l->k), now))
            return -1;
        if (l->begin + at > now)
            return l->begin + at;
        if (!w->nfree) {
            int64_t due = due_by(l, now - l->begin);
            if (due <= l->k)
                due = l->k + 1;
            /* none past the data's rows counts as dropped: they never exist */
            if (l->spec->limit && due > within_limit(l))
                due = within_limit(l);
            atomic_fetch_add(&w->dropped, due - l->k);
            live_dropped(w, due - l->k);
            l->k = due;
            continue;
        }
        if (launch(l, iteration(l, l->k), l->begin + at, now) != 0)
            return -1;
        l->k++;
    }
}

static void launch_closed(struct loop *l, double now)
{
    const struct ds_runspec *spec = l->spec;
    while (l->more) {
        int64_t i = iteration(l, l->k);
        if ((spec->iterations && i > spec->iterations) || (!spec->iterations && now >= l->end_at))
            l->more = 0;
        else if (past_limit(l, i, now))
            return;
        else if (!l->w->nfree)
            return;
        else if (launch(l, i, now, now) != 0)
            return;
        else
            l->k++;
    }
    if (spec->iterations)
        l->end_at = now; /* the grace period counts from the last start */
}

/* Iterations still running after the grace period (or at a second
 * interrupt) are cancelled and count as failed. */
static void cancel_rest(struct loop *l, const char *why)
{
    struct ds_worker *w = l->w;
    l->d->cancel(l->ctx);
    for (int slot = 0; slot < w->slots; slot++)
        if (w->slot[slot].i)
            worker_finished(w, slot, why, NULL);
    atomic_store(&w->inflight, 0);
    w->end = ds_now();
}

/* An interrupt ends the schedule now; the grace period counts from it. */
static void stop_starting(struct loop *l, double now)
{
    if (!l->more)
        return;
    l->more = 0;
    l->end_at = now;
}

static void run_loop(struct loop *l)
{
    struct ds_run *run = l->w->run;
    const struct ds_runspec *spec = l->spec;
    char why[96];
    while (!atomic_load(&run->abort)) {
        double now = ds_now(), next = -1;
        if (atomic_load(&run->stop))
            stop_starting(l, now);
        if (l->more && now < l->begin)
            next = l->begin; /* a flow that starts later */
        else if (l->more && spec->open)
            next = launch_open(l, now);
        else if (l->more)
            launch_closed(l, now);
        if (!l->more && l->d->running(l->ctx) == 0)
            return;
        if (atomic_load(&run->cancel)) {
            cancel_rest(l, "interrupted: cancelled");
            return;
        }
        if (!l->more && now > l->end_at + spec->grace) {
            snprintf(why, sizeof why, "still running %gs after the end: cancelled", spec->grace);
            cancel_rest(l, why);
            return;
        }
        if (!l->more)
            next = l->end_at + spec->grace;
        else if (!spec->open && !spec->iterations && now >= l->begin)
            next = l->end_at;
        /* wake at least every 50 ms to see an interrupt */
        if (next < 0 || next > now + 0.05)
            next = now + 0.05;
        l->d->pump(l->ctx, next);
    }
    l->d->cancel(l->ctx);
}

/* ---- the thread ---- */

static int prepare(struct ds_worker *w)
{
    int n = (int)w->slots;
    w->slot = calloc((size_t)n, sizeof *w->slot);
    w->free = calloc((size_t)n, sizeof *w->free);
    w->chain = hist_new(3);
    w->start_lag = hist_new(3);
    w->lag_now = hist_new(2);
    w->lag_sec = -1;
    w->rec = rec_new(0); /* before the start: the progress line reads it */
    if (!w->slot || !w->free || !w->chain || !w->start_lag || !w->lag_now || !w->rec ||
        flows_prepare(w) != 0) {
        runner_fail(w->run, "out of memory for %d iteration slots", n);
        return -1;
    }
    for (int i = 0; i < n; i++)
        w->free[i] = n - 1 - i;
    w->nfree = n;
    return 0;
}

/* Waits until every worker is ready; returns the common start, or 0 when
 * the run was stopped. */
static double wait_start(struct ds_run *run)
{
    pthread_mutex_lock(&run->lock);
    run->ready++;
    pthread_cond_broadcast(&run->cond);
    while (run->t0 == 0 && !atomic_load(&run->abort))
        pthread_cond_wait(&run->cond, &run->lock);
    double t0 = atomic_load(&run->abort) ? 0 : run->t0;
    pthread_mutex_unlock(&run->lock);
    return t0;
}

void *worker_main(void *arg)
{
    struct ds_worker *w = arg;
    const struct ds_runspec *spec = w->spec;
    struct loop l = {.w = w, .spec = spec, .d = spec->driver, .more = 1};
    char err[1024];
    if (prepare(w) == 0) {
        l.ctx = l.d->open(spec, w, err, sizeof err);
        if (!l.ctx)
            runner_fail(w->run, "%s", err);
    }
    if ((w->t0 = wait_start(w->run)) > 0 && l.ctx) {
        w->rec->t0 = w->t0;
        w->end = w->t0;
        l.begin = w->t0 + spec->start;
        l.end_at = l.begin + (spec->open ? spec->points[spec->npoints - 1].t : spec->duration);
        run_loop(&l);
        close_lag_second(w);
    }
    if (l.ctx)
        l.d->close(l.ctx);
    pthread_mutex_lock(&w->run->lock);
    w->run->finished++;
    pthread_cond_broadcast(&w->run->cond);
    pthread_mutex_unlock(&w->run->lock);
    return NULL;
}
