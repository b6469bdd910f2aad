/* Histogram core: layout, recording, merging, statistics, iteration.
 * The encoding is in hist_codec.c. See hist.h for the contract and
 * hist_impl.h for the layout. */
#include "hist/hist_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Counts add modulo 2^64 rather than overflow into undefined behaviour; no
 * real run gets near 2^63. */
static inline int64_t add_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* The walks add counts towards a total that may have wrapped (beyond 2^63
 * values, or a decoded histogram with huge counts): a partial sum saturates
 * instead of overflowing. */
static inline int64_t add_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

int hist_layout(struct layout *lay, int digits, int unit_mag, int64_t highest)
{
    if (digits < 0 || digits > HIST_SIGFIGS_MAX || unit_mag < 0 || unit_mag > 61)
        return -1;
    int64_t single = 2;  /* values below 2*10^digits are kept exactly */
    for (int i = 0; i < digits; i++)
        single *= 10;
    int mag = 0;
    while ((INT64_C(1) << mag) < single)
        mag++;
    lay->half_mag = mag > 1 ? mag - 1 : 0;
    if (unit_mag + lay->half_mag > 61)
        return -1;
    lay->half = INT64_C(1) << lay->half_mag;
    lay->mask = 2 * lay->half - 1;
    if (highest < 2 * (INT64_C(1) << unit_mag))
        return -1;
    /* One bucket more for each doubling until `highest` is covered. */
    int64_t untrackable = (2 * lay->half) << unit_mag;
    int buckets = 1;
    while (untrackable <= highest) {
        if (untrackable > INT64_MAX / 2) {
            buckets++;
            break;
        }
        untrackable <<= 1;
        buckets++;
    }
    int64_t len = (int64_t)(buckets + 1) * lay->half;
    if (len > INT32_MAX)
        return -1;
    lay->counts_len = (int32_t)len;
    return 0;
}

struct ds_hist *hist_new(int sigfigs)
{
    struct layout lay;
    if (sigfigs < HIST_SIGFIGS_MIN || sigfigs > HIST_SIGFIGS_MAX
        || hist_layout(&lay, sigfigs, 0, HIST_HIGHEST) != 0)
        return NULL;
    struct ds_hist *h = calloc(1, sizeof *h + (size_t)lay.counts_len * sizeof h->counts[0]);
    if (!h)
        return NULL;
    h->sigfigs = sigfigs;
    h->lay = lay;
    return h;
}

void hist_free(struct ds_hist *h)
{
    free(h);
}

void hist_reset(struct ds_hist *h)
{
    memset(h->counts, 0, (size_t)h->lay.counts_len * sizeof h->counts[0]);
    h->total = 0;
}

int hist_sigfigs(const struct ds_hist *h)
{
    return h->sigfigs;
}

size_t hist_bytes(const struct ds_hist *h)
{
    return sizeof *h + (size_t)h->lay.counts_len * sizeof h->counts[0];
}

void hist_record_n(struct ds_hist *h, int64_t us, int64_t n)
{
    if (n <= 0)
        return;
    if (us < 0)
        us = 0;
    else if (us > HIST_HIGHEST)
        us = HIST_HIGHEST;
    int32_t i = hist_index_of(&h->lay, us);
    h->counts[i] = add_wrap(h->counts[i], n);
    if (h->total == 0) {
        h->min = h->max = us;
    } else {
        if (us < h->min)
            h->min = us;
        if (us > h->max)
            h->max = us;
    }
    h->total = add_wrap(h->total, n);
}

void hist_record(struct ds_hist *h, int64_t us)
{
    hist_record_n(h, us, 1);
}

int64_t hist_lowest_equivalent(const struct ds_hist *h, int64_t us)
{
    int b;
    if (us < 0)
        us = 0;
    else if (us > HIST_HIGHEST)
        us = HIST_HIGHEST;
    return hist_value_at(&h->lay, hist_index_of(&h->lay, us), &b);
}

/* Highest value of index i: the bucket's lowest plus its width less one. */
static int64_t highest_at(const struct ds_hist *h, int32_t i)
{
    int b;
    int64_t v = hist_value_at(&h->lay, i, &b);
    v += (INT64_C(1) << b) - 1;
    return v < HIST_HIGHEST ? v : HIST_HIGHEST;
}

static double midpoint_at(const struct ds_hist *h, int32_t i)
{
    int b;
    int64_t v = hist_value_at(&h->lay, i, &b);
    return (double)(v + ((INT64_C(1) << b) >> 1));
}

int64_t hist_highest_equivalent(const struct ds_hist *h, int64_t us)
{
    if (us < 0)
        us = 0;
    else if (us > HIST_HIGHEST)
        us = HIST_HIGHEST;
    return highest_at(h, hist_index_of(&h->lay, us));
}

/* The index range holding every count: [first, last]. */
static void span(const struct ds_hist *h, int32_t *first, int32_t *last)
{
    *first = hist_index_of(&h->lay, h->min);
    *last = hist_index_of(&h->lay, h->max);
}

int hist_merge(struct ds_hist *dst, const struct ds_hist *src)
{
    if (src->total == 0)
        return 0;
    int32_t first, last;
    span(src, &first, &last);
    if (dst->sigfigs != src->sigfigs) {
        for (int32_t i = first; i <= last; i++)
            if (src->counts[i])
                hist_record_n(dst, (int64_t)midpoint_at(src, i), src->counts[i]);
        return 0;
    }
    for (int32_t i = first; i <= last; i++)
        dst->counts[i] = add_wrap(dst->counts[i], src->counts[i]);
    if (dst->total == 0 || src->min < dst->min)
        dst->min = src->min;
    if (dst->total == 0 || src->max > dst->max)
        dst->max = src->max;
    dst->total = add_wrap(dst->total, src->total);
    return 0;
}

int hist_equal(const struct ds_hist *a, const struct ds_hist *b)
{
    if (a->sigfigs != b->sigfigs || a->total != b->total)
        return 0;
    return memcmp(a->counts, b->counts, (size_t)a->lay.counts_len * sizeof a->counts[0]) == 0;
}

int64_t hist_count(const struct ds_hist *h)
{
    return h->total;
}

int64_t hist_min(const struct ds_hist *h)
{
    return h->total ? hist_lowest_equivalent(h, h->min) : 0;
}

int64_t hist_max(const struct ds_hist *h)
{
    return h->total ? hist_highest_equivalent(h, h->max) : 0;
}

double hist_mean(const struct ds_hist *h)
{
    if (h->total == 0)
        return 0;
    int32_t first, last;
    span(h, &first, &last);
    double sum = 0;
    for (int32_t i = first; i <= last; i++)
        if (h->counts[i])
            sum += midpoint_at(h, i) * (double)h->counts[i];
    return sum / (double)h->total;
}

double hist_stdev(const struct ds_hist *h)
{
    if (h->total == 0)
        return 0;
    double mean = hist_mean(h), sq = 0;
    int32_t first, last;
    span(h, &first, &last);
    for (int32_t i = first; i <= last; i++) {
        if (h->counts[i]) {
            double d = midpoint_at(h, i) - mean;
            sq += d * d * (double)h->counts[i];
        }
    }
    return sqrt(sq / (double)h->total);
}

int64_t hist_percentile(const struct ds_hist *h, double p)
{
    if (h->total == 0)
        return 0;
    if (!(p > 0))  /* also NaN */
        return hist_min(h);
    /* HdrHistogram's rank: ceil(p% of the count), at least 1, so that p% of
     * the values are at or below the answer; p is first lowered by one ulp so
     * that rounding in p * total never skips a rank. */
    p = nextafter(p, -INFINITY);
    if (p > 100)
        p = 100;
    int64_t rank = (int64_t)ceil(p * (double)h->total / 100.0);
    if (rank < 1)
        rank = 1;
    int32_t first, last;
    span(h, &first, &last);
    int64_t seen = 0;
    for (int32_t i = first; i <= last; i++) {
        seen = add_sat(seen, h->counts[i]);
        if (seen >= rank)
            return highest_at(h, i);
    }
    return highest_at(h, last);
}

int hist_buckets(const struct ds_hist *h, hist_bucket_fn fn, void *ud)
{
    if (h->total == 0)
        return 0;
    int32_t first, last;
    span(h, &first, &last);
    for (int32_t i = first; i <= last; i++) {
        if (!h->counts[i])
            continue;
        int b;
        int64_t lo = hist_value_at(&h->lay, i, &b);
        int r = fn(ud, lo, highest_at(h, i), h->counts[i]);
        if (r)
            return r;
    }
    return 0;
}

struct above {
    int64_t limit, count;
};

static int add_above(void *ud, int64_t lowest, int64_t highest, int64_t count)
{
    (void)highest;
    struct above *a = ud;
    if (lowest > a->limit)
        a->count += count;
    return 0;
}

int64_t hist_count_above(const struct ds_hist *h, int64_t us)
{
    struct above a = {hist_highest_equivalent(h, us), 0};
    hist_buckets(h, add_above, &a);
    return a.count;
}

/* The next level of the spectrum: a fixed tick within each half of the
 * distance to 100%, halving with each half crossed (HdrHistogram's
 * PercentileIterator), so the rows read 0, 10, 20 ... 50, 55 ... 75, 77.5 ... */
static double next_level(double level, int ticks_per_half)
{
    double halves = floor(log(100.0 / (100.0 - level)) / log(2.0));
    double ticks = (double)ticks_per_half * pow(2.0, halves + 1);
    return level + 100.0 / ticks;
}

int hist_percentiles(const struct ds_hist *h, int ticks_per_half, hist_percentile_fn fn,
                     void *ud)
{
    if (h->total == 0)
        return 0;
    if (ticks_per_half < 1)
        ticks_per_half = 1;
    int32_t i, last;
    span(h, &i, &last);
    double level = 0;
    int64_t seen = h->counts[i];
    /* Every row either moves to a later bucket or raises the level, and the
     * level rises by at least (100 - level) / (2 * ticks) while below the
     * last bucket's percentile, which is < 100: a bounded walk. */
    while (i <= last) {
        if (h->counts[i] && 100.0 * (double)seen / (double)h->total >= level) {
            if (seen == h->total)
                break;  /* the last bucket: its rows follow the loop */
            int r = fn(ud, highest_at(h, i), level, seen);
            if (r)
                return r;
            double next = next_level(level, ticks_per_half);
            if (!(next > level))
                break;
            level = next;
            continue;
        }
        if (++i <= last)
            seen = add_sat(seen, h->counts[i]);
    }
    /* The last bucket: HdrHistogram reports it at the first level it reaches,
     * then once more at 100. */
    if (level < 100) {
        int r = fn(ud, highest_at(h, last), level, h->total);
        if (r)
            return r;
    }
    return fn(ud, highest_at(h, last), 100.0, h->total);
}
