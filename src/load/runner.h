/* The load runner: one scenario run by T worker threads, each with its own
 * Lua state, scheduler and recorder (wrk's model: nothing of Lua crosses
 * threads), and the figures merged exactly at the end. */
#ifndef DS_RUNNER_H
#define DS_RUNNER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "hist/hist.h"
#include "load/record.h"

struct ds_rate_point { double t, rate; };

/* What to run; filled by lrunner.c from runner.run's table. */
struct ds_runspec {
    char *scenario, *path;  /* scenario file; package.path for the workers */
    char **args;
    int nargs;
    int open;               /* open model (rate), else closed (VUs) */
    int threads, shard_i, shard_n;
    int64_t vus, iterations; /* closed; iterations 0: run for duration */
    double duration;         /* closed with no iterations */
    struct ds_rate_point *points; /* open: piecewise linear rate from t = 0 */
    int npoints;
    int64_t max_vus;         /* open: in flight at most, whole run */
    double grace;            /* wait for iterations in flight after the end */
    int collect;             /* keep iterations' return values (JSON) */
};

#define RUN_MAX_ERRORS 20
#define RUN_OTHER_ERRORS "(other messages)"

struct ds_errcount { char *msg; int64_t count; };
struct ds_second { int64_t iterations, errors; struct ds_hist *latency; };
struct ds_collected { int64_t i; char *json; };

/* One worker thread. The atomics are its live figures, read by the main
 * thread for the progress line; the rest is read only after it joined. */
struct ds_worker {
    struct ds_run *run;
    int index, joinable;
    pthread_t tid;
    int64_t stride, offset, slots; /* its iterations: offset + 1 + stride * k */
    atomic_llong done, failed, dropped, inflight;
    pthread_mutex_t series_lock;   /* series, for the progress line */
    struct ds_second *series;
    size_t nseries;
    struct ds_hist *chain, *start_lag;
    struct ds_rec *rec;
    struct ds_errcount errors[RUN_MAX_ERRORS];
    int nerrors;
    struct ds_collected *collected;
    size_t ncollected, capcollected;
    double end;                    /* when its last iteration finished */
};

struct ds_run {
    const struct ds_runspec *spec;
    struct ds_worker *workers;
    int nworkers;
    pthread_mutex_t lock;          /* the fields below */
    pthread_cond_t cond;
    int ready;                     /* workers past setup */
    int finished;                  /* workers done */
    double t0;                     /* the common start; 0 until all are ready */
    char *fatal;                   /* the first worker error that stops the run */
    atomic_int abort;
};

/* Called about once a second on the calling thread while the run goes. */
typedef void ds_progress_fn(void *ud, const struct ds_run *run, double elapsed,
                            const struct ds_hist *last_second);

/* Runs spec to the end. 0, or -1 with run->fatal set (no thread left
 * running either way). The caller frees with runner_free. */
int runner_run(struct ds_run *run, const struct ds_runspec *spec, ds_progress_fn *progress,
               void *ud);
void runner_free(struct ds_run *run);

/* Adds workers 1.. into worker 0 (exact: counts add, histograms merge).
 * -1 when out of memory. */
int runner_merge(struct ds_run *run);
/* Counts n failures with msg: the first RUN_MAX_ERRORS - 1 distinct
 * messages, the rest as RUN_OTHER_ERRORS. -1 when out of memory. */
int runner_count_error(struct ds_worker *w, const char *msg, int64_t n);

/* The worker thread (worker.c). */
void *worker_main(void *arg);
/* Sets run->fatal (the first one wins) and stops every worker. */
void runner_fail(struct ds_run *run, const char *fmt, ...);
/* The scheduled start of run-wide iteration i (1-based) since t0, or < 0
 * when it falls after the last rate point. */
double runner_schedule(const struct ds_runspec *spec, int64_t i);

#endif
