/* Latency histograms in HdrHistogram's log-linear scheme.
 *
 * Values are integer microseconds from 0 to HIST_HIGHEST (1 hour); the
 * lowest discernible value is 1 us. With S significant digits every value is
 * kept to within 1/10^S of itself (S = 3: 0.1%, exact up to 2,047 us).
 * Memory is fixed at creation (hist_bytes: 188,480 bytes at 3 digits, 26,688
 * at 2), recording is O(1) with no allocation, and two histograms of the same
 * digits merge exactly. Not thread-safe: one histogram per thread, merged.
 *
 * Statistics follow HdrHistogram's definitions, so that figures agree with
 * its tools: min is the lowest value equivalent to the smallest recorded one,
 * max and percentiles the highest equivalent value (capped at HIST_HIGHEST),
 * mean and stdev use each bucket's midpoint. An empty histogram reports 0. */
#ifndef DS_HIST_H
#define DS_HIST_H
#include <stddef.h>
#include <stdint.h>

#define HIST_HIGHEST INT64_C(3600000000) /* 1 h in us; larger values clamp here */
#define HIST_SIGFIGS_MIN 1
#define HIST_SIGFIGS_MAX 5

struct ds_hist;

/* A histogram of 1..5 significant digits (3: full; 2: cheap per-second
 * series). NULL when sigfigs is out of range or memory is short. */
struct ds_hist *hist_new(int sigfigs);
void hist_free(struct ds_hist *h);
/* Forgets every value; keeps the memory. */
void hist_reset(struct ds_hist *h);
int hist_sigfigs(const struct ds_hist *h);
/* Bytes this histogram occupies (one allocation). */
size_t hist_bytes(const struct ds_hist *h);

/* Records us (n times). Negative values count as 0, values above
 * HIST_HIGHEST as HIST_HIGHEST; n <= 0 records nothing. */
void hist_record(struct ds_hist *h, int64_t us);
void hist_record_n(struct ds_hist *h, int64_t us, int64_t n);

/* Adds src's counts to dst. Same digits: exact (dst then equals a histogram
 * that recorded both). Different digits: src's buckets are re-recorded at
 * their midpoints, so within dst's precision plus src's. Returns 0. */
int hist_merge(struct ds_hist *dst, const struct ds_hist *src);
/* 1 when both have the same digits and the same count in every bucket. */
int hist_equal(const struct ds_hist *a, const struct ds_hist *b);

int64_t hist_count(const struct ds_hist *h);
int64_t hist_min(const struct ds_hist *h);
int64_t hist_max(const struct ds_hist *h);
double hist_mean(const struct ds_hist *h);
double hist_stdev(const struct ds_hist *h); /* population standard deviation */
/* HdrHistogram's value at percentile p (0..100, clamped): the highest value
 * equivalent to the one at rank ceil(p/100 * count), so that at least p% of
 * the values are at or below it; p = 0 gives min. */
int64_t hist_percentile(const struct ds_hist *h, double p);

/* How many values are recorded above us's bucket (none of them could be
 * us itself): the count beyond a percentile's value. */
int64_t hist_count_above(const struct ds_hist *h, int64_t us);

/* The bucket bounds of a value: every value in [lowest, highest] is
 * recorded as the same one. */
int64_t hist_lowest_equivalent(const struct ds_hist *h, int64_t us);
int64_t hist_highest_equivalent(const struct ds_hist *h, int64_t us);

/* Non-empty buckets in value order; stops early when fn returns non-zero
 * (and returns that). */
typedef int (*hist_bucket_fn)(void *ud, int64_t lowest, int64_t highest, int64_t count);
int hist_buckets(const struct ds_hist *h, hist_bucket_fn fn, void *ud);

/* The percentile spectrum of HdrHistogram's outputPercentileDistribution
 * and wrk2's --latency: percentile levels start at 0 and take
 * ticks_per_half steps in each half of the distance left to 100, ending with
 * one row at 100. fn gets the value at each level, the level (0..100) and
 * the count of values at or below value; 1/(1-level/100) is the printer's.
 * Stops early when fn returns non-zero (and returns that). */
typedef int (*hist_percentile_fn)(void *ud, int64_t value, double percentile, int64_t total);
int hist_percentiles(const struct ds_hist *h, int ticks_per_half, hist_percentile_fn fn,
                     void *ud);

/* HdrHistogram's V2 compressed encoding (zlib), in base64: what its log
 * files hold ("HISTFAAA..."), so HistogramLogProcessor and the other ports
 * read it. Returns a malloc'd NUL-terminated string (its length in *len if
 * len is not NULL), NULL on out of memory. */
char *hist_encode(const struct ds_hist *h, size_t *len);
/* Reads what hist_encode writes, and any V2 histogram from HdrHistogram's
 * tools (compressed or not, whitespace ignored). Values beyond 1 h clamp; a
 * histogram of another lowest unit or of 0 digits is re-recorded at bucket
 * midpoints into one of the nearest digits. NULL on bad input with a
 * one-line reason in err. */
struct ds_hist *hist_decode(const char *s, size_t len, char *err, size_t errlen);

#endif
