/* Several flows in one run (a scenario's `flows`): which flow an iteration
 * runs, and what each flow's iterations did, per worker like the run's own
 * figures (one merge, in Lua, serves threads and shards). */
#ifndef DS_FLOWS_H
#define DS_FLOWS_H

#include <stddef.h>
#include <stdint.h>

struct ds_runspec;
struct ds_worker;

/* One flow's iterations on one worker: counts, chain latencies, and the
 * series by the second they started in (the run's series, per flow). */
struct ds_flowrec {
    int64_t done, failed;
    struct ds_hist *chain;
    struct ds_second *series;
    size_t nseries;
};

/* The flow iteration i runs (0-based, into spec->flows): the spec's own
 * flow, or a pick by weight from (seed, i), the same in every thread and
 * shard; -1 for a scenario without flows. */
int flows_pick(const struct ds_runspec *spec, int64_t i);
/* w->flows for the spec's flows; -1 when out of memory. */
int flows_prepare(struct ds_worker *w);
/* An iteration of flow f that started `since` seconds into the run ended:
 * us its chain latency, failed or not. */
void flows_record(struct ds_worker *w, int f, double since, int64_t us, int failed);
void flows_free(struct ds_worker *w);

#endif
