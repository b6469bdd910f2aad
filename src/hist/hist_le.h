/* Prometheus classic-histogram buckets from a latency histogram: the
 * cumulative count at each of a fixed list of upper bounds (the `le`
 * label), then +Inf. A value counts under a bound when the lowest value
 * equivalent to it (hist_lowest_equivalent) is at most the bound: never
 * less than the exact count, exact below 2,048 us at 3 digits, and at most
 * one bucket (0.1% of the bound at 3 digits) generous above. The mapping
 * depends on the value and the digits alone, so the counts of shards with
 * the same bounds and digits add up to those of their merged histogram:
 * `sum by (le)` over processes is exact. */
#ifndef DS_HIST_LE_H
#define DS_HIST_LE_H

#include <stddef.h>
#include <stdint.h>

#include "hist/hist.h"

/* Bounds every process can share (us): 0.0005, 0.001, 0.0025, 0.005,
 * 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 s, those of
 * `dockscript serve`'s /metrics. */
#define HIST_LE_BOUNDS 16
extern const int64_t hist_le_default[HIST_LE_BOUNDS];

/* cum[0..n]: cum[i] the values under bounds[i], cum[n] all of them.
 * bounds (us) must rise strictly: -1 (cum untouched) otherwise, else 0. */
int hist_le_counts(const struct ds_hist *h, const int64_t *bounds, size_t n, int64_t *cum);

/* A bound in us as Prometheus writes le, in seconds and exact: 500 ->
 * "0.0005", 1000000 -> "1", 2500000 -> "2.5". */
void hist_le_label(int64_t us, char *buf, size_t len);

#endif
