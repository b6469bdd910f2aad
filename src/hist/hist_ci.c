/* Confidence intervals of percentiles from order statistics (hist_ci.h).
 * Uses the histogram only through its public bucket walk. */
#include "hist/hist_ci.h"

#include <math.h>

double hist_ci_z(double level)
{
    if (!(level > 0 && level < 1))  /* also NaN */
        return NAN;
    /* Bisection on the upper tail 0.5 * erfc(z / sqrt 2) = (1 - level) / 2:
     * erfc keeps its precision far into the tail, where 1 - level is tiny,
     * and 200 halvings of [0, 40] reach the last bit of any double. */
    double tail = (1 - level) / 2, lo = 0, hi = 40;
    for (int i = 0; i < 200 && hi - lo > 0; i++) {
        double mid = (lo + hi) / 2;
        if (mid <= lo || mid >= hi)
            break;
        if (0.5 * erfc(mid / M_SQRT2) > tail)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static int64_t clamp_rank(double r, int64_t n)
{
    if (!(r >= 1))  /* also NaN */
        return 1;
    if (r >= (double)n)
        return n;
    return (int64_t)r;
}

void hist_ci_ranks(int64_t n, double p, double z, int64_t *lo, int64_t *hi)
{
    if (n <= 0) {
        *lo = *hi = 0;
        return;
    }
    double q = p / 100, center = (double)n * q;
    double half = z * sqrt((double)n * q * (1 - q));
    *lo = clamp_rank(floor(center - half), n);
    *hi = clamp_rank(ceil(center + half), n);
}

struct walk {
    int64_t lo_rank, hi_rank, seen;
    int64_t lo, hi;
};

static int find_ranks(void *ud, int64_t lowest, int64_t highest, int64_t count)
{
    struct walk *w = ud;
    int64_t before = w->seen;
    w->seen += count;
    if (before < w->lo_rank && w->seen >= w->lo_rank)
        w->lo = lowest;
    if (w->seen >= w->hi_rank) {
        w->hi = highest;
        return 1;
    }
    return 0;
}

int hist_ci(const struct ds_hist *h, double p, double level, int64_t *lo, int64_t *hi)
{
    double z = hist_ci_z(level);
    if (!(p >= 0 && p <= 100) || isnan(z))
        return -1;
    int64_t n = hist_count(h);
    if (n <= 0) {
        *lo = *hi = 0;
        return 0;
    }
    struct walk w = {0};
    hist_ci_ranks(n, p, z, &w.lo_rank, &w.hi_rank);
    w.lo = hist_min(h);
    w.hi = hist_max(h);
    hist_buckets(h, find_ranks, &w);
    *lo = w.lo;
    *hi = w.hi;
    return 0;
}
