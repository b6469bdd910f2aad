/* Confidence intervals of percentiles, distribution-free, from a histogram.
 *
 * The interval of percentile p from n values is the pair of order
 * statistics at ranks n*p -+ z*sqrt(n*p*(1-p)) (p as a fraction), rounded
 * outward and clamped to [1, n]: the normal approximation of the binomial
 * count of values below the true percentile, so it assumes nothing about
 * the values' distribution, only that they are independent draws of one.
 * Through the histogram the lower rank's value is its bucket's lowest
 * equivalent and the upper rank's its highest (as hist_percentile reports
 * it), so the interval holds the exact one of the recorded values and
 * always holds hist_percentile(h, p). When n*p*(1-p) is small (p99.9 of a
 * few thousand values) the upper rank clamps at n and the interval is only
 * as wide as the values seen: it then covers less often than its level. */
#ifndef DS_HIST_CI_H
#define DS_HIST_CI_H
#include "hist/hist.h"

/* The two-sided normal quantile of a level: z with P(|Z| <= z) = level
 * (1.959964 at 0.95). NaN unless 0 < level < 1. */
double hist_ci_z(double level);

/* The 1-based ranks bounding percentile p (0..100) of n values at z >= 0;
 * both 0 when n <= 0. */
void hist_ci_ranks(int64_t n, double p, double z, int64_t *lo, int64_t *hi);

/* The interval of percentile p (0..100) at level (0..1, exclusive) in
 * microseconds. Returns 0, or -1 (lo and hi untouched) when p or level is
 * out of range or NaN. An empty histogram gives 0, 0 as its percentiles do. */
int hist_ci(const struct ds_hist *h, double p, double level, int64_t *lo, int64_t *hi);

#endif
