/* Classic Prometheus histograms for GET /metrics: fixed bucket bounds,
 * the same in every process and every release so that `sum by (le)`
 * over servers is exact, a count per bucket and the sum of the values.
 * One thread records and reads a histogram (the libmicrohttpd thread,
 * stats.h), so a scrape sees it whole: its count is its +Inf bucket. */
#ifndef DS_PHIST_H
#define DS_PHIST_H

#include <stdint.h>

#include "buf.h"

/* The bounds in seconds: 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
 * 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 (an answer without a delay
 * takes well under a millisecond; --max-delay defaults to 60), then +Inf. */
#define DS_PHIST_BOUNDS 16

struct ds_phist {
    uint64_t count[DS_PHIST_BOUNDS + 1];  /* values in (bound i-1, bound i];
                                             the last: above every bound */
    uint64_t sum_ns;
};

/* The histogram starts zeroed. */
void ds_phist_record(struct ds_phist *h, uint64_t ns);
/* NAME_bucket{le=...} (cumulative, "+Inf" last), NAME_sum in seconds and
 * NAME_count lines; the caller writes # HELP and # TYPE. */
void ds_phist_write(const struct ds_phist *h, const char *name, struct ds_buf *b);

#endif
