/* The load runner: one scenario run by T worker threads (wrk's model:
 * each thread has its own event loop and its own interpreter, nothing
 * crosses threads) and one raw result per thread at the end. Lua-free: what
 * runs an iteration is a driver (struct ds_driver) that src/lua provides.
 * Every option arrives resolved (scripts/lib/load/optable.lua); this layer
 * checks only what keeps it memory-safe. */
#ifndef DS_RUNNER_H
#define DS_RUNNER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/xfer.h"
#include "hist/hist.h"
#include "load/record.h"

struct ds_rate_point { double t, rate; };
struct ds_live;
struct ds_worker;
struct ds_runspec;
struct ds_flowrec;

/* A flow of a scenario with several (load/flows.h): its name, and its
 * weight when each iteration picks one. */
struct ds_flow { const char *name; double weight; };

/* What runs iterations on a worker thread. Every function is called on
 * that thread only; ctx is what open returned. */
struct ds_driver {
    /* The thread's interpreter with the scenario loaded and its setup run,
     * recording into w->rec; NULL with one line in err. */
    void *(*open)(const struct ds_runspec *spec, struct ds_worker *w, char *err, size_t errlen);
    /* Starts run-wide iteration i in the free slot; 0, or -1 with err. A
     * finished iteration is reported through worker_finished. */
    int (*launch)(void *ctx, int slot, int64_t i, char *err, size_t errlen);
    /* Runs what is ready; unless an iteration finished, waits for events
     * at most until the absolute time deadline (< 0: until one). */
    void (*pump)(void *ctx, double deadline);
    /* Iterations running. */
    int (*running)(void *ctx);
    /* Cancels every running iteration (none is reported finished). */
    void (*cancel)(void *ctx);
    void (*close)(void *ctx);
};

/* What to run, resolved by the caller. */
struct ds_runspec {
    const struct ds_driver *driver;
    const char *scenario, *path; /* scenario file; package.path for the workers */
    const char *scripts;     /* the bundled scripts folder (sys.scripts) */
    const char *const *args;
    int nargs;
    int open;               /* open model (rate), else closed (VUs) */
    int threads, shard_i, shard_n;
    int64_t vus, iterations; /* closed; iterations 0: run for duration */
    double duration;         /* closed with no iterations */
    const struct ds_rate_point *points; /* open: piecewise linear rate from t = 0 */
    int npoints;
    int64_t max_vus;         /* open: in flight at most, whole run (split over shards) */
    double grace;            /* wait for iterations in flight after the end */
    int collect;             /* keep iterations' return values (JSON) */
    int seeded;              /* each iteration's math.random from (seed, i) */
    int keep_cookies;        /* a VU's cookies outlive its iterations */
    /* no iteration beyond it starts (0: none): the rows of a data file
     * that gives each row once (require("load").data, queue or shuffle) */
    int64_t limit;
    double start_at;         /* epoch seconds the run starts at, after setup (0: at once) */
    /* every request's HTTP version and TLS unless its options say otherwise */
    enum xfer_http http;
    struct xfer_tls tls;
    uint64_t seed;           /* also the flows' picks (0 when not seeded) */
    const struct ds_flow *flows; /* the scenario's flows; none: its iteration */
    int nflows;
    int flow;                /* the flow every iteration runs; -1: picked by weight */
    double start;            /* a flow's own model: its offset from the run's start */
    /* Flows with their own model: one spec each, each run by its own
     * `threads` workers side by side; the run ends when all have ended. */
    const struct ds_runspec *parts;
    int nparts;
    int live;                /* keep deltas for the main thread (load/live.h) */
};

/* Failure messages kept per thread: more than a report shows (load's
 * merge folds beyond the first 19), so that threads and shards merge to
 * the same counts; the rest count under RUN_OTHER_ERRORS. */
#define RUN_KEEP_ERRORS 100
#define RUN_OTHER_ERRORS "(other messages)"

/* first: the lowest iteration number that failed with it (run-wide, so
 * the order of messages is the same however the run was split). */
struct ds_errcount { char *msg; int64_t count, first; };
/* Second t of the series holds the iterations that started in it (their
 * scheduled start in the open model), so a fault shows where it began, not
 * where its timeouts ended; busy is the iterations' time in flight within
 * the second (its mean in-flight count, for Little's law); lag: how late
 * those of the open model started, as the buckets of a 2-digit histogram
 * (a few dozen a second: an hour of them fits where histograms would not). */
struct ds_second {
    int64_t iterations, errors;
    double busy;
    struct ds_hist *latency;
    struct ds_bucket *lag;
    int nlag;
};
struct ds_collected { int64_t i; char *json; };

/* One worker thread. The atomics are its live figures, read by the main
 * thread for the progress line; the rest is read only after it joined. */
struct ds_worker {
    struct ds_run *run;
    const struct ds_runspec *spec; /* the run's, or its flow's (spec->parts) */
    int index, joinable;
    pthread_t tid;
    int64_t stride, offset, slots; /* its iterations: offset + 1 + stride * k */
    atomic_llong done, failed, dropped, inflight;
    pthread_mutex_t series_lock;   /* series, recent and live, for the main thread */
    struct ds_second *series;
    size_t nseries;
    /* chain latencies by the second they ended in, the last two (slot
     * sec % 2): the progress line's "last second" */
    struct ds_hist *recent[2];
    int64_t recent_sec[2];
    struct ds_hist *chain, *start_lag;
    /* the start lags of the second lag_sec (-1: none yet), closed into the
     * series when the next second's first iteration starts */
    struct ds_hist *lag_now;
    int64_t lag_sec;
    struct ds_flowrec *flows;      /* per flow of spec->flows */
    int nflows;                    /* their count: the spec may be gone when they are freed */
    struct ds_rec *rec;
    struct ds_live *live;          /* NULL unless spec->live */
    struct ds_errcount errors[RUN_KEEP_ERRORS + 1];
    int nerrors;
    struct ds_collected *collected;
    size_t ncollected, capcollected;
    double t0, end;                /* the common start; when its last iteration ended */
    /* per slot: the iteration it runs and when it was due and started */
    struct ds_slot { int64_t i; double due, started; int flow; } *slot;
    int *free;                     /* free slot numbers, a stack */
    int nfree;
    char waiting[160];             /* what its setup waits for; run->lock */
    int ran_out;                   /* it stopped at spec->limit */
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
    double t0_epoch;               /* t0 on the wall clock (epoch seconds) */
    char *fatal;                   /* the first worker error that stops the run */
    atomic_int abort;              /* a worker failed: stop everything */
    atomic_int stop;               /* interrupted: no new iterations */
    atomic_int cancel;             /* interrupted twice: cancel those in flight */
    double stopped_at;             /* when stop was set (0: never) */
};

/* Called about once a second on the calling thread while the run goes;
 * while the workers' setup goes, with last_second NULL, elapsed the time
 * since setup began and waiting what a setup waits for ("" if nothing). */
typedef void ds_progress_fn(void *ud, const struct ds_run *run, double elapsed,
                            const struct ds_hist *last_second, const char *waiting);

/* A worker's setup tells what it waits for (NULL: nothing now); any thread. */
void runner_waiting(void *worker, const char *what);

/* Runs spec to the end on its threads, SIGINT/SIGTERM trapped meanwhile
 * (the first stops new iterations, a second cancels those in flight). 0,
 * or -1 with run->fatal set; no thread is left running either way. The
 * caller frees with runner_free. */
int runner_run(struct ds_run *run, const struct ds_runspec *spec, ds_progress_fn *progress,
               void *ud);
void runner_free(struct ds_run *run);
/* Sets run->fatal (the first one wins) and stops every worker. */
void runner_fail(struct ds_run *run, const char *fmt, ...);

/* The scheduled start of run-wide iteration i (1-based) since t0, or < 0
 * when it falls after the last rate point. */
double runner_schedule(const struct ds_runspec *spec, int64_t i);
/* Iterations scheduled in [0, t]: the integral of the rate. */
double runner_arrivals(const struct ds_runspec *spec, double t);

/* Counts msg, first failed at iteration i, in the list e of *n messages
 * (beyond RUN_KEEP_ERRORS, under RUN_OTHER_ERRORS). */
void runner_count_message(struct ds_errcount *e, int *n, const char *msg, int64_t i);

/* The worker thread (worker.c). */
void *worker_main(void *arg);
/* The driver reports iteration `slot` finished: error is its failure
 * message (NULL: done), json its collected return value (NULL: none). */
void worker_finished(struct ds_worker *w, int slot, const char *error, const char *json);

#endif
