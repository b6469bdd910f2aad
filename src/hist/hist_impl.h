/* The histogram's layout, shared by hist.c and hist_codec.c only.
 *
 * HdrHistogram's scheme with a unit of 1 (unit magnitude 0): the counts
 * array is a run of buckets; bucket b holds `half` sub-buckets of width 2^b
 * covering [half << b, 2*half << b), except bucket 0 which also covers
 * [0, half) at width 1. `half` is the power of two just above 10^digits, so
 * a sub-bucket is never wider than value/10^digits. */
#ifndef DS_HIST_IMPL_H
#define DS_HIST_IMPL_H
#include "hist/hist.h"

struct layout {
    int half_mag;       /* log2(half) */
    int64_t half;       /* sub-buckets per bucket after the first */
    int64_t mask;       /* 2*half - 1: values below 2*half sit in bucket 0 */
    int32_t counts_len; /* entries needed to reach the highest value */
};

struct ds_hist {
    int sigfigs;
    struct layout lay;
    int64_t total;
    int64_t min, max; /* raw extremes recorded, valid while total > 0 */
    int64_t counts[];
};

/* Layout of `digits` digits and unit 2^unit_mag up to `highest` (the
 * general form, for decoding other writers' histograms). 0 on success, -1
 * when the parameters make no layout. */
int hist_layout(struct layout *lay, int digits, int unit_mag, int64_t highest);

static inline int hist_bucket_of(const struct layout *l, int64_t v)
{
    return 63 - __builtin_clzll((uint64_t)(v | l->mask)) - l->half_mag;
}

/* Index of v >= 0 for a unit of 1. */
static inline int32_t hist_index_of(const struct layout *l, int64_t v)
{
    int b = hist_bucket_of(l, v);
    int64_t sub = v >> b;
    return (int32_t)(((int64_t)(b + 1) << l->half_mag) + (sub - l->half));
}

/* Lowest value of index i (in units) and its bucket, whose width is 2^bucket. */
static inline int64_t hist_value_at(const struct layout *l, int32_t i, int *bucket)
{
    int b = (i >> l->half_mag) - 1;
    int64_t sub = (i & (l->half - 1)) + l->half;
    if (b < 0) {
        sub -= l->half;
        b = 0;
    }
    *bucket = b;
    return sub << b;
}

#endif
