/* The live deltas of a load run (live.h). */
#include "load/live.h"
#include "core/grow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ds_live *live_new(double t0)
{
    struct ds_live *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->chain = hist_new(3);
    l->start_lag = hist_new(3);
    l->rec = rec_new(t0);
    if (!l->chain || !l->start_lag || !l->rec) {
        live_free(l);
        return NULL;
    }
    return l;
}

void live_free(struct ds_live *l)
{
    if (!l)
        return;
    hist_free(l->chain);
    hist_free(l->start_lag);
    rec_free(l->rec);
    for (int i = 0; i < l->nerrors; i++)
        free(l->errors[i].msg);
    for (size_t s = 0; s < l->nsecs; s++) {
        hist_free(l->secs[s].latency);
        hist_free(l->secs[s].lag);
    }
    free(l->secs);
    free(l);
}

/* The checks of the worker's setup (it waits for the start meanwhile). */
static int setup_checks(struct ds_live *l, const struct ds_checks *c)
{
    if (!c->n)
        return 0;
    l->rec->checks.v = malloc(c->n * sizeof *c->v);
    if (!l->rec->checks.v)
        return -1;
    memcpy(l->rec->checks.v, c->v, c->n * sizeof *c->v);
    l->rec->checks.n = l->rec->checks.cap = c->n;
    return 0;
}

int live_begin(struct ds_run *run)
{
    for (int j = 0; j < run->nworkers; j++) {
        struct ds_worker *w = &run->workers[j];
        struct ds_live *l = live_new(run->t0);
        if (!l || (w->rec && setup_checks(l, &w->rec->checks) != 0)) {
            live_free(l);
            return -1;
        }
        live_free(live_take(w, l));
    }
    return 0;
}

struct ds_live *live_take(struct ds_worker *w, struct ds_live *fresh)
{
    pthread_mutex_lock(&w->series_lock);
    struct ds_live *old = w->live;
    w->live = fresh;
    pthread_mutex_unlock(&w->series_lock);
    return old;
}

/* The delta's entry for second `since` falls in (made on first use). */
static struct ds_livesec *sec_at(struct ds_live *l, double since)
{
    int64_t sec = since > 0 ? (int64_t)since : 0;
    for (size_t k = l->nsecs; k-- > 0;)
        if (l->secs[k].sec == sec)
            return &l->secs[k];
    struct ds_livesec *p = grow_zeroed(l->secs, &l->capsecs, l->nsecs, sizeof *p);
    if (!p)
        return NULL;
    l->secs = p;
    p[l->nsecs] = (struct ds_livesec){.sec = sec};
    return &p[l->nsecs++];
}

static struct ds_hist *made(struct ds_hist **h)
{
    if (!*h)
        *h = hist_new(2);
    return *h;
}

/* As worker.c's add_busy: the time in flight over the seconds it spans. */
static void add_busy(struct ds_live *l, double from, double to)
{
    for (double t = from; t < to;) {
        double next = floor(t) + 1, until = next < to ? next : to;
        struct ds_livesec *sec = sec_at(l, t);
        if (!sec)
            return;
        sec->busy += until - t;
        t = until;
    }
}

void live_finished(struct ds_worker *w, double from, double started, double now, int64_t us,
                   const char *msg, int64_t i)
{
    struct ds_live *l = w->live;
    if (!l)
        return;
    struct ds_livesec *sec = sec_at(l, from);
    if (msg) {
        l->failed++;
        runner_count_message(l->errors, &l->nerrors, msg, i);
        if (sec)
            sec->errors++;
    } else {
        l->done++;
        hist_record(l->chain, us);
        if (sec && made(&sec->latency)) {
            sec->iterations++;
            hist_record(sec->latency, us);
        }
    }
    add_busy(l, started, now);
}

void live_lag(struct ds_worker *w, double due, int64_t us)
{
    if (!w->run->spec->live)
        return; /* no lock taken in a run without live figures */
    pthread_mutex_lock(&w->series_lock);
    struct ds_live *l = w->live;
    if (l) {
        hist_record(l->start_lag, us);
        struct ds_livesec *sec = sec_at(l, due);
        if (sec && made(&sec->lag))
            hist_record(sec->lag, us);
    }
    pthread_mutex_unlock(&w->series_lock);
}

void live_dropped(struct ds_worker *w, int64_t n)
{
    if (!w->run->spec->live)
        return;
    pthread_mutex_lock(&w->series_lock);
    if (w->live)
        w->live->dropped += n;
    pthread_mutex_unlock(&w->series_lock);
}

void live_check(void *ud, const char *name, size_t len, int pass)
{
    struct ds_worker *w = ud;
    pthread_mutex_lock(&w->series_lock);
    if (w->live)
        (void)checks_add(&w->live->rec->checks, name, len, pass);
    pthread_mutex_unlock(&w->series_lock);
}

void live_request(struct ds_worker *w, const char *tag, const struct rec_req *q)
{
    if (!w->run->spec->live)
        return;
    pthread_mutex_lock(&w->series_lock);
    if (w->live)
        (void)rec_request(w->live->rec, tag, q);
    pthread_mutex_unlock(&w->series_lock);
}
