/* Unit tests of src/hist/hist_ci.c, and its coverage by simulation.
 *   hist_ci_test         prints one line per check group, the measured
 *                        coverage rates, and "N passed, N failed"
 * Coverage: 1,000 repetitions of 1,000 values drawn from distributions
 * whose quantiles are known (exponential, lognormal); the 95% interval of
 * p50, p90 and p99 must hold the true quantile in 92..98.5% of them, and
 * within 4 standard errors (0.7 points each at 1,000 repetitions) of the
 * rate the binomial gives the ranks: the true quantile lies between the
 * order statistics at ranks l and u when l..u-1 of the n values fall below
 * it. The outward rounding makes that 95.0% at p50 but 97.5% at p99 of
 * 1,000 (ranks 983..997). */
#include "hist/hist.h"
#include "hist/hist_ci.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int passed, failed;

#define CHECK(cond, ...)                                             \
    do {                                                             \
        if (cond) {                                                  \
            passed++;                                                \
        } else {                                                     \
            failed++;                                                \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);              \
            printf(__VA_ARGS__);                                     \
            printf("\n");                                            \
        }                                                            \
    } while (0)

static uint64_t rng = 0x2545f4914f6cdd1du;

static double uniform01(void) /* (0, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double normal01(void) /* Box-Muller; one of the pair is enough here */
{
    return sqrt(-2 * log(uniform01())) * cos(2 * M_PI * uniform01());
}

static struct ds_hist *new_or_die(int digits)
{
    struct ds_hist *h = hist_new(digits);
    if (!h) {
        printf("FAIL hist_new(%d) returned NULL\n", digits);
        exit(1);
    }
    return h;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_z(void)
{
    CHECK(fabs(hist_ci_z(0.95) - 1.959963985) < 1e-8, "z(0.95) = %.10f", hist_ci_z(0.95));
    CHECK(fabs(hist_ci_z(0.99) - 2.575829304) < 1e-8, "z(0.99) = %.10f", hist_ci_z(0.99));
    CHECK(fabs(hist_ci_z(0.5) - 0.6744897502) < 1e-8, "z(0.5) = %.10f", hist_ci_z(0.5));
    CHECK(fabs(hist_ci_z(1 - 1e-12) - 7.1305) < 1e-3, "z(1-1e-12) = %.6f", hist_ci_z(1 - 1e-12));
    const double bad[] = {0, 1, -0.5, 1.5, NAN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(isnan(hist_ci_z(bad[i])), "z(%g) is not NaN", bad[i]);
    printf("z of a level\n");
}

static void test_ranks(void)
{
    int64_t lo, hi;
    double z = hist_ci_z(0.95);
    hist_ci_ranks(1000, 50, z, &lo, &hi); /* 500 -+ 30.99 */
    CHECK(lo == 469 && hi == 531, "n 1000 p50: %lld..%lld", (long long)lo, (long long)hi);
    hist_ci_ranks(1000, 99, z, &lo, &hi); /* 990 -+ 6.17 */
    CHECK(lo == 983 && hi == 997, "n 1000 p99: %lld..%lld", (long long)lo, (long long)hi);
    hist_ci_ranks(100, 99.9, z, &lo, &hi); /* 99.9 -+ 0.62: clamped at n */
    CHECK(lo == 99 && hi == 100, "n 100 p99.9: %lld..%lld", (long long)lo, (long long)hi);
    hist_ci_ranks(10, 0, z, &lo, &hi);
    CHECK(lo == 1 && hi == 1, "p0: %lld..%lld", (long long)lo, (long long)hi);
    hist_ci_ranks(10, 100, z, &lo, &hi);
    CHECK(lo == 10 && hi == 10, "p100: %lld..%lld", (long long)lo, (long long)hi);
    hist_ci_ranks(1, 50, z, &lo, &hi);
    CHECK(lo == 1 && hi == 1, "n 1: %lld..%lld", (long long)lo, (long long)hi);
    hist_ci_ranks(0, 50, z, &lo, &hi);
    CHECK(lo == 0 && hi == 0, "n 0: %lld..%lld", (long long)lo, (long long)hi);
    int64_t big = INT64_C(4000000000000);
    hist_ci_ranks(big, 50, z, &lo, &hi); /* 2e12 -+ 1.96e6 */
    CHECK(lo < big / 2 && hi > big / 2 && hi - lo < 4000000 && hi - lo > 3900000,
          "n 4e12 p50: %lld..%lld", (long long)lo, (long long)hi);
    printf("ranks\n");
}

/* Values below 2,048 us are exact at 3 digits: the interval is the order
 * statistics themselves. */
static void test_exact(void)
{
    struct ds_hist *h = new_or_die(3);
    for (int64_t v = 1; v <= 1000; v++)
        hist_record(h, v);
    int64_t lo = -1, hi = -1;
    CHECK(hist_ci(h, 50, 0.95, &lo, &hi) == 0, "ci(50) failed");
    CHECK(lo == 469 && hi == 531, "1..1000 p50: %lld..%lld", (long long)lo, (long long)hi);
    CHECK(hist_ci(h, 99, 0.95, &lo, &hi) == 0 && lo == 983 && hi == 997,
          "1..1000 p99: %lld..%lld", (long long)lo, (long long)hi);
    CHECK(hist_ci(h, 50, 0.99, &lo, &hi) == 0 && lo == 459 && hi == 541,
          "1..1000 p50 at 0.99: %lld..%lld", (long long)lo, (long long)hi);
    CHECK(hist_ci(h, 0, 0.95, &lo, &hi) == 0 && lo == 1 && hi == 1,
          "p0: %lld..%lld", (long long)lo, (long long)hi);
    CHECK(hist_ci(h, 100, 0.95, &lo, &hi) == 0 && lo == 1000 && hi == 1000,
          "p100: %lld..%lld", (long long)lo, (long long)hi);
    hist_free(h);
    printf("exact values\n");
}

static void test_bad_and_empty(void)
{
    struct ds_hist *h = new_or_die(3);
    int64_t lo = 7, hi = 7;
    CHECK(hist_ci(h, 50, 0.95, &lo, &hi) == 0 && lo == 0 && hi == 0,
          "empty: %lld..%lld", (long long)lo, (long long)hi);
    hist_record(h, 5000);
    lo = hi = 7;
    CHECK(hist_ci(h, -1, 0.95, &lo, &hi) == -1 && lo == 7, "p -1 accepted");
    CHECK(hist_ci(h, 100.5, 0.95, &lo, &hi) == -1 && lo == 7, "p 100.5 accepted");
    CHECK(hist_ci(h, NAN, 0.95, &lo, &hi) == -1 && lo == 7, "p NaN accepted");
    CHECK(hist_ci(h, 50, 1, &lo, &hi) == -1 && lo == 7, "level 1 accepted");
    CHECK(hist_ci(h, 50, 0, &lo, &hi) == -1 && lo == 7, "level 0 accepted");
    CHECK(hist_ci(h, 50, NAN, &lo, &hi) == -1 && lo == 7, "level NaN accepted");
    CHECK(hist_ci(h, 50, 0.95, &lo, &hi) == 0 && lo == hist_min(h) && hi == hist_max(h),
          "one value: %lld..%lld, min %lld max %lld", (long long)lo, (long long)hi,
          (long long)hist_min(h), (long long)hist_max(h));
    hist_free(h);
    printf("bad arguments, empty and single-value histograms\n");
}

/* Against the order statistics of the recorded values: lo is the lower
 * rank's value to within the bucket (at or below it), hi the upper's (at or
 * above), and the percentile lies between them. */
static void test_bounds_exact(int digits)
{
    enum { N = 20000 };
    static int64_t vals[N];
    struct ds_hist *h = new_or_die(digits);
    for (int i = 0; i < N; i++) {
        vals[i] = (int64_t)(pow(10.0, 2 + 5 * uniform01()));
        hist_record(h, vals[i]);
    }
    qsort(vals, N, sizeof vals[0], cmp64);
    double tol = pow(10.0, -digits), z = hist_ci_z(0.95);
    const double pcts[] = {0, 1, 25, 50, 90, 99, 99.9, 99.99, 100};
    for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++) {
        int64_t lo, hi, rlo, rhi;
        hist_ci(h, pcts[i], 0.95, &lo, &hi);
        hist_ci_ranks(N, pcts[i], z, &rlo, &rhi);
        int64_t xlo = vals[rlo - 1], xhi = vals[rhi - 1], pt = hist_percentile(h, pcts[i]);
        CHECK(lo <= xlo && (double)(xlo - lo) <= (double)xlo * tol,
              "%d digits p%g: lo %lld, order statistic %lld", digits, pcts[i], (long long)lo,
              (long long)xlo);
        CHECK(hi >= xhi && (double)(hi - xhi) <= (double)xhi * tol,
              "%d digits p%g: hi %lld, order statistic %lld", digits, pcts[i], (long long)hi,
              (long long)xhi);
        CHECK(lo <= pt && pt <= hi, "%d digits p%g: percentile %lld outside %lld..%lld", digits,
              pcts[i], (long long)pt, (long long)lo, (long long)hi);
    }
    hist_free(h);
    printf("bounds of the order statistics, %d digits\n", digits);
}

/* A distribution with known quantiles, in microseconds. */
struct dist {
    const char *name;
    double (*draw)(void);
    double (*quantile)(double q);
};

static double exp_draw(void) { return -100000.0 * log(uniform01()); }
static double exp_quantile(double q) { return -100000.0 * log(1 - q); }
/* lognormal: median 50 ms, sigma 1 (p99 = 512 ms) */
static double logn_draw(void) { return 50000.0 * exp(normal01()); }

static double probit(double q) /* the normal quantile, through hist_ci_z */
{
    if (q == 0.5)
        return 0;
    return q > 0.5 ? hist_ci_z(2 * q - 1) : -hist_ci_z(1 - 2 * q);
}

static double logn_quantile(double q) { return 50000.0 * exp(probit(q)); }

/* P(l <= B <= u - 1) for B ~ Binomial(n, q): the exact coverage of the
 * order statistics at ranks l and u of continuous values. */
static double binomial_coverage(int64_t n, double q, int64_t l, int64_t u)
{
    double sum = 0;
    for (int64_t k = l; k <= u - 1; k++)
        sum += exp(lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1)
                   + (double)k * log(q) + (double)(n - k) * log1p(-q));
    return sum;
}

/* Repetitions of n draws: the share of intervals that hold the true
 * quantile, for the histogram's interval and for the exact order statistics
 * of the same draws (the histogram's can only be wider). */
static void coverage(const struct dist *d, int digits, int n, int reps, double level,
                     double want_lo, double want_hi)
{
    static const double pcts[] = {50, 90, 99};
    enum { NP = sizeof pcts / sizeof pcts[0] };
    int64_t *vals = malloc((size_t)n * sizeof *vals);
    struct ds_hist *h = new_or_die(digits);
    if (!vals) {
        printf("FAIL out of memory\n");
        exit(1);
    }
    int held[NP] = {0}, held_exact[NP] = {0};
    double z = hist_ci_z(level);
    for (int r = 0; r < reps; r++) {
        hist_reset(h);
        for (int i = 0; i < n; i++) {
            vals[i] = (int64_t)(d->draw() + 0.5);
            hist_record(h, vals[i]);
        }
        qsort(vals, (size_t)n, sizeof vals[0], cmp64);
        for (int k = 0; k < NP; k++) {
            double truth = d->quantile(pcts[k] / 100);
            int64_t lo, hi, rlo, rhi;
            hist_ci(h, pcts[k], level, &lo, &hi);
            held[k] += (double)lo <= truth && truth <= (double)hi;
            hist_ci_ranks(n, pcts[k], z, &rlo, &rhi);
            held_exact[k] += (double)vals[rlo - 1] <= truth && truth <= (double)vals[rhi - 1];
        }
    }
    for (int k = 0; k < NP; k++) {
        double rate = (double)held[k] / reps, exact = (double)held_exact[k] / reps;
        int64_t rlo, rhi;
        hist_ci_ranks(n, pcts[k], z, &rlo, &rhi);
        double want = binomial_coverage(n, pcts[k] / 100, rlo, rhi);
        double se = sqrt(want * (1 - want) / reps);
        printf("coverage %-11s %d digits, %d x %d values, level %.2f: p%-2g %5.1f%% "
               "(exact order statistics %5.1f%%, binomial %5.1f%%)\n",
               d->name, digits, reps, n, level, pcts[k], 100 * rate, 100 * exact, 100 * want);
        CHECK(rate >= want_lo && rate <= want_hi, "%s p%g coverage %.3f outside %.3f..%.3f",
              d->name, pcts[k], rate, want_lo, want_hi);
        CHECK(fabs(exact - want) <= 4 * se, "%s p%g: order statistics cover %.3f, binomial %.3f",
              d->name, pcts[k], exact, want);
        CHECK(held[k] >= held_exact[k], "%s p%g: histogram covers less than the values",
              d->name, pcts[k]);
    }
    hist_free(h);
    free(vals);
}

int main(void)
{
    test_z();
    test_ranks();
    test_exact();
    test_bad_and_empty();
    test_bounds_exact(3);
    test_bounds_exact(2);
    const struct dist expo = {"exponential", exp_draw, exp_quantile};
    const struct dist logn = {"lognormal", logn_draw, logn_quantile};
    coverage(&expo, 3, 1000, 1000, 0.95, 0.92, 0.985);
    coverage(&logn, 3, 1000, 1000, 0.95, 0.92, 0.985);
    coverage(&expo, 2, 1000, 1000, 0.95, 0.92, 0.985);
    coverage(&logn, 3, 5000, 400, 0.99, 0.975, 1.0);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
