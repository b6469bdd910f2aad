/* A load run's live figures, for load.lua --out and --metrics: what each
 * worker recorded since the main thread last took them. A worker adds to
 * its own ds_live under its series_lock; about once a second the main
 * thread swaps it for an empty one under that lock, so neither side waits
 * for more than a pointer swap, and every event lands in exactly one
 * delta: the deltas of a run add up to its totals, whatever second they
 * were taken in. */
#ifndef DS_LIVE_H
#define DS_LIVE_H

#include <stdint.h>

#include "load/runner.h"

/* Second `sec` of the series (by the second iterations started in, as
 * struct ds_second): what of it was recorded since the last take. */
struct ds_livesec {
    int64_t sec, iterations, errors;
    double busy;
    struct ds_hist *latency, *lag; /* 2 digits, made on first use */
};

struct ds_live {
    int64_t done, failed, dropped;
    struct ds_hist *chain, *start_lag; /* 3 digits, as the worker's own */
    struct ds_rec *rec;                /* the requests (record.c) */
    struct ds_errcount errors[RUN_KEEP_ERRORS + 1];
    int nerrors;
    struct ds_livesec *secs;           /* unordered: a delta holds a few */
    size_t nsecs, capsecs;
};

struct ds_live *live_new(double t0);
void live_free(struct ds_live *l);

/* The main thread, before the workers start: every worker gets its first
 * delta, holding the checks its setup made. -1 when out of memory. */
int live_begin(struct ds_run *run);
/* Worker w's delta so far, replaced by `fresh` (NULL: no more deltas). */
struct ds_live *live_take(struct ds_worker *w, struct ds_live *fresh);

/* The worker's side. live_finished with series_lock held; the others
 * take it. Times are seconds since t0; msg NULL for an iteration done. */
void live_finished(struct ds_worker *w, double from, double started, double now, int64_t us,
                   const char *msg, int64_t i);
void live_lag(struct ds_worker *w, double due, int64_t us);
void live_dropped(struct ds_worker *w, int64_t n);
/* A check() result (lua/rt.h's on_check; ud the worker). */
void live_check(void *ud, const char *name, size_t len, int pass);
void live_request(struct ds_worker *w, const char *tag, const struct rec_req *q);

#endif
