/* Unit tests of src/hist.c and src/hist_codec.c.
 *   hist_test            prints one line per check group and "N passed, N failed"
 * Precision asserted: every reported value (a percentile, max) is the
 * highest value equivalent to the true one, so it is >= the true value and
 * exceeds it by at most true/10^digits (0.1% at 3 digits, 1% at 2). The
 * exact percentile of a data set is its value at rank ceil(p/100 * n). */
#include "hist/hist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Log-uniform in [1, 1e8] us: every bucket range from 1 us to 100 s. */
static int64_t rand_latency(void)
{
    double u = (double)(next_rand() >> 11) / 9007199254740992.0;
    return (int64_t)pow(10.0, 8.0 * u);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
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

static const double PCTS[] = {0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100};
#define NPCTS (sizeof PCTS / sizeof PCTS[0])

/* h holds vals[0..n): its percentiles, min, max, mean are the exact ones
 * within the stated precision. Sorts vals. */
static void check_against(const char *what, const struct ds_hist *h, int64_t *vals, size_t n)
{
    double tol = pow(10.0, -hist_sigfigs(h));
    qsort(vals, n, sizeof vals[0], cmp64);
    CHECK(hist_count(h) == (int64_t)n, "%s: count %lld", what, (long long)hist_count(h));
    for (size_t i = 0; i < NPCTS; i++) {
        size_t rank = (size_t)ceil(PCTS[i] / 100 * (double)n);
        int64_t exact = vals[rank ? rank - 1 : 0], got = hist_percentile(h, PCTS[i]);
        CHECK(got >= exact && (double)(got - exact) <= (double)exact * tol,
              "%s: p%g = %lld, exact %lld", what, PCTS[i], (long long)got, (long long)exact);
    }
    CHECK(hist_min(h) <= vals[0] && (double)(vals[0] - hist_min(h)) <= (double)vals[0] * tol,
          "%s: min %lld, exact %lld", what, (long long)hist_min(h), (long long)vals[0]);
    int64_t top = vals[n - 1];
    CHECK(hist_max(h) >= top && (double)(hist_max(h) - top) <= (double)top * tol,
          "%s: max %lld, exact %lld", what, (long long)hist_max(h), (long long)top);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)vals[i];
    double mean = sum / (double)n;
    CHECK(fabs(hist_mean(h) - mean) <= mean * tol, "%s: mean %f, exact %f", what, hist_mean(h),
          mean);
}

static void test_layout(void)
{
    struct ds_hist *h3 = new_or_die(3), *h2 = new_or_die(2);
    printf("memory: %zu bytes per histogram at 3 digits, %zu at 2\n", hist_bytes(h3),
           hist_bytes(h2));
    CHECK(hist_bytes(h3) > 188000 && hist_bytes(h3) < 189000, "3 digits: %zu", hist_bytes(h3));
    CHECK(hist_bytes(h2) < 27000, "2 digits: %zu", hist_bytes(h2));
    CHECK(hist_new(0) == NULL && hist_new(6) == NULL, "digits outside 1..5 refused");
    /* HdrHistogram's own examples (1 us .. 1 h, 3 digits). */
    static const int64_t eq[][2] = {{8180, 8183}, {8191, 8191}, {8193, 8199}, {9995, 9999},
                                    {10007, 10007}, {10008, 10015},
                                    {8180 * 1024, 8183 * 1024 + 1023},
                                    {10008 * 1024, 10015 * 1024 + 1023}};
    for (size_t i = 0; i < sizeof eq / sizeof eq[0]; i++)
        CHECK(hist_highest_equivalent(h3, eq[i][0]) == eq[i][1], "highest equivalent of %lld",
              (long long)eq[i][0]);
    /* The precision claim over the whole range, for 1..5 digits. */
    for (int d = 1; d <= 5; d++) {
        struct ds_hist *h = new_or_die(d);
        int bad = 0;
        for (double v = 1; v <= (double)HIST_HIGHEST && bad < 5; v = v * 1.01 + 1) {
            int64_t x = (int64_t)v, lo = hist_lowest_equivalent(h, x);
            int64_t hi = hist_highest_equivalent(h, x);
            if (lo > x || hi < x || (double)(hi - lo) > (double)x * pow(10.0, -d)) {
                bad++;
                CHECK(0, "%d digits: %lld in [%lld, %lld]", d, (long long)x, (long long)lo,
                      (long long)hi);
            }
        }
        CHECK(bad == 0, "%d digits: bucket widths within value/10^%d", d, d);
        hist_free(h);
    }
    hist_free(h3);
    hist_free(h2);
}

static void test_data_sets(void)
{
    enum { N = 100000 };
    static int64_t vals[N];
    for (int d = 2; d <= 3; d++) {
        struct ds_hist *h = new_or_die(d);
        for (int i = 0; i < N; i++)
            hist_record(h, vals[i] = i + 1);
        check_against(d == 3 ? "uniform 1..100000, 3 digits" : "uniform, 2 digits", h, vals, N);
        double sd = sqrt(((double)N * N - 1) / 12);
        CHECK(fabs(hist_stdev(h) - sd) <= sd * pow(10.0, -d), "uniform stdev %f, exact %f",
              hist_stdev(h), sd);
        hist_free(h);
    }
    /* Bimodal: 90% near 2 ms, 10% near 1.5 s (a fast path and a timeout). */
    struct ds_hist *h = new_or_die(3);
    for (int i = 0; i < N; i++) {
        int64_t jitter = (int64_t)(next_rand() % 300);
        vals[i] = i % 10 ? 2000 + jitter : 1500000 + jitter * 300;
        hist_record(h, vals[i]);
    }
    check_against("bimodal", h, vals, N);
    hist_reset(h);
    CHECK(hist_count(h) == 0 && hist_max(h) == 0, "reset empties");
    for (int i = 0; i < N; i++)
        hist_record(h, vals[i] = rand_latency());
    check_against("log-uniform 1 us .. 100 s", h, vals, N);
    hist_free(h);

    h = new_or_die(3);
    hist_record(h, 12345);
    CHECK(hist_min(h) == 12344 && hist_max(h) == 12351, "single: min %lld max %lld",
          (long long)hist_min(h), (long long)hist_max(h));
    for (size_t i = 0; i < NPCTS; i++)
        CHECK(hist_percentile(h, PCTS[i]) == 12351, "single: p%g", PCTS[i]);
    CHECK(hist_percentile(h, 0) == 12344, "single: p0 is min");
    CHECK(hist_mean(h) == 12348 && hist_stdev(h) == 0, "single: mean %f", hist_mean(h));
    hist_free(h);

    h = new_or_die(3);
    CHECK(hist_count(h) == 0 && hist_min(h) == 0 && hist_max(h) == 0 && hist_mean(h) == 0
              && hist_stdev(h) == 0 && hist_percentile(h, 99) == 0,
          "empty: all 0");
    /* HdrHistogram's mean/stdev example: bucket midpoints. */
    hist_record_n(h, 1000, 2);
    hist_record_n(h, 3000, 2);
    CHECK(hist_mean(h) == 2000.5 && hist_stdev(h) == 1000.5, "mean %f stdev %f", hist_mean(h),
          hist_stdev(h));
    hist_reset(h);
    hist_record(h, -5);
    hist_record(h, HIST_HIGHEST * 3);
    hist_record_n(h, 7, 0);
    hist_record_n(h, 7, -3);
    CHECK(hist_count(h) == 2 && hist_min(h) == 0 && hist_max(h) == HIST_HIGHEST,
          "clamp: count %lld min %lld max %lld", (long long)hist_count(h),
          (long long)hist_min(h), (long long)hist_max(h));
    CHECK(hist_percentile(h, 100) == HIST_HIGHEST, "clamped values report 1 h");
    hist_free(h);
}

static int same_encoding(const struct ds_hist *a, const struct ds_hist *b)
{
    char *x = hist_encode(a, NULL), *y = hist_encode(b, NULL);
    int same = x && y && strcmp(x, y) == 0;
    free(x);
    free(y);
    return same;
}

static void test_merge(void)
{
    for (int d = 1; d <= 5; d++) {
        struct ds_hist *a = new_or_die(d), *b = new_or_die(d), *both = new_or_die(d);
        for (int i = 0; i < 20000; i++) {
            int64_t v = rand_latency();
            hist_record(i % 3 ? a : b, v);
            hist_record(both, v);
        }
        hist_record_n(b, HIST_HIGHEST + 1, 4);
        hist_record_n(both, HIST_HIGHEST + 1, 4);
        hist_merge(a, b);
        CHECK(hist_equal(a, both), "%d digits: merge equals recording both", d);
        CHECK(same_encoding(a, both), "%d digits: merged encoding is byte-identical", d);
        CHECK(hist_min(a) == hist_min(both) && hist_max(a) == hist_max(both), "merged extremes");
        struct ds_hist *empty = new_or_die(d);
        hist_merge(a, empty);
        CHECK(hist_equal(a, both), "%d digits: merging an empty one changes nothing", d);
        hist_merge(empty, both);
        CHECK(hist_equal(empty, both) && hist_min(empty) == hist_min(both),
              "%d digits: merge into an empty one copies", d);
        hist_free(a);
        hist_free(b);
        hist_free(both);
        hist_free(empty);
    }
    /* Different digits: re-recorded at midpoints, within both precisions. */
    enum { N = 50000 };
    static int64_t vals[N];
    struct ds_hist *h3 = new_or_die(3), *h2 = new_or_die(2);
    for (int i = 0; i < N; i++)
        hist_record(h2, vals[i] = rand_latency());
    hist_merge(h3, h2);
    qsort(vals, N, sizeof vals[0], cmp64);
    CHECK(hist_count(h3) == N, "2 into 3 digits: count");
    for (size_t i = 0; i < NPCTS; i++) {
        int64_t exact = vals[(size_t)ceil(PCTS[i] / 100 * N) - 1];
        int64_t got = hist_percentile(h3, PCTS[i]);
        CHECK(fabs((double)(got - exact)) <= (double)exact * 0.011,
              "2 into 3 digits: p%g %lld vs %lld", PCTS[i], (long long)got, (long long)exact);
    }
    hist_free(h3);
    hist_free(h2);
}

static int count_bucket(void *ud, int64_t lo, int64_t hi, int64_t n)
{
    int64_t *acc = ud;
    acc[0] += n;
    acc[1] += lo <= hi;
    return 0;
}

static void test_round_trip(void)
{
    char err[200];
    for (int d = 1; d <= 5; d++) {
        for (int k = 0; k < 4; k++) {
            struct ds_hist *h = new_or_die(d);
            int n = k == 0 ? 0 : k == 1 ? 1 : k == 2 ? 1000 : 30000;
            for (int i = 0; i < n; i++)
                hist_record_n(h, k == 1 ? 0 : rand_latency(), 1 + (int64_t)(next_rand() % 3));
            if (k == 3)
                hist_record_n(h, 1000, INT64_C(1) << 50);  /* a 9-byte count */
            size_t len;
            char *s = hist_encode(h, &len);
            CHECK(s && strncmp(s, "HISTFAAA", 8) == 0 && strlen(s) == len,
                  "%d digits: base64 of the V2 compressed form", d);
            struct ds_hist *back = s ? hist_decode(s, len, err, sizeof err) : NULL;
            CHECK(back && hist_equal(back, h), "%d digits, %d values: round trip (%s)", d, n,
                  back ? "counts differ" : err);
            if (back) {
                int64_t acc[2] = {0, 0};
                hist_buckets(back, count_bucket, acc);
                CHECK(acc[0] == hist_count(h) && hist_min(back) == hist_min(h)
                          && hist_max(back) == hist_max(h) && same_encoding(back, h),
                      "%d digits: decoded extremes and buckets", d);
            }
            hist_free(back);
            free(s);
            hist_free(h);
        }
    }
}

/* Histograms written by other HdrHistogram implementations. */
static void test_vectors(void)
{
    /* HdrHistogram_c's standard test histograms (1 us .. 1 h, 3 digits):
     * 10,000 x 1000 and one 100,000,000; then the same corrected for an
     * expected interval of 10,000. From HdrHistogram_py's
     * test/test_hdrhistogram.py (ENCODE_SAMPLES_HDRHISTOGRAM_C), with its
     * expected percentiles. Note: this writer put header + payload in the
     * payload length field (HdrHistogram Java 2.1.11 rejects it). */
    static const char raw[] =
        "HISTFAAAACl4nJNpmSzMwMBgyAABzFCaEURcm7yEwf4DROA8/4I5jNM7mJgAlWkH9g==";
    static const char corrected[] =
        "HISTFAAAAP94nJNpmSzMwCByigECmKE0I4i4NnkJg/0HiMB5/gVzGD8aM/3lZ7rPyTSbjektC9N7Fqa"
        "HzEzbmZi2whCEvZKRaSYj02wwiYng4tFM3lDoC2dhhwh5UyZlJlUMjClCmgpMEUUmQSZ+IBZEojFFCM"
        "vQRwUxenmZ2MGQFUqz4+CTo4I2pg4dFdQylZWJkYkZCaPyMEUIydPLjMHrssFixuB12XD0HRAwMsFJg"
        "kwilZHJHHKmjzp41MFDOjhYmFiQEUEmMWqGsvKBd8Fwd/Co/waTC9jYOMAIiSJRhLbKh5x9Q87Bo/YN"
        "bfsoM4CPhw+IIJAkxnDXN+QcTIpyAPnGh6k=";
    static const double raw_p[][2] = {{30, 1000}, {99, 1000}, {99.99, 1000}, {99.999, 1e8},
                                      {100, 1e8}};
    static const double cor_p[][2] = {{30, 1000}, {50, 1000}, {75, 5e7}, {90, 8e7},
                                      {99, 9.8e7}, {99.999, 1e8}, {100, 1e8}};
    char err[200];
    struct ds_hist *h = hist_decode(raw, strlen(raw), err, sizeof err);
    CHECK(h && hist_count(h) == 10001, "HdrHistogram_c raw: %s", h ? "count" : err);
    for (size_t i = 0; h && i < 5; i++)
        CHECK(fabs((double)hist_percentile(h, raw_p[i][0]) - raw_p[i][1]) < raw_p[i][1] * 0.001,
              "HdrHistogram_c raw: p%g", raw_p[i][0]);
    CHECK(h && hist_min(h) == 1000
              && hist_lowest_equivalent(h, hist_max(h)) == hist_lowest_equivalent(h, 100000000),
          "HdrHistogram_c raw: min, max");
    hist_free(h);
    h = hist_decode(corrected, strlen(corrected), err, sizeof err);
    CHECK(h && hist_count(h) == 20000, "HdrHistogram_c corrected: %s", h ? "count" : err);
    for (size_t i = 0; h && i < 7; i++)
        CHECK(fabs((double)hist_percentile(h, cor_p[i][0]) - cor_p[i][1]) < cor_p[i][1] * 0.001,
              "HdrHistogram_c corrected: p%g", cor_p[i][0]);
    hist_free(h);

    /* HdrHistogram_vala's encode test: Histogram(1, 300, 3) with 100, 200, 250. */
    static const char vala[] = "HISTFAAAACV4nJNpmSzMwMDAwQABzFCaEUrp2H+AsI4zMh1lZEpkAgBdIQSk";
    h = hist_decode(vala, strlen(vala), err, sizeof err);
    CHECK(h && hist_count(h) == 3 && hist_min(h) == 100 && hist_max(h) == 250
              && hist_percentile(h, 50) == 200,
          "HdrHistogram_vala: %s", h ? "values" : err);
    hist_free(h);

    /* A jHiccup log line (Java, 2 digits, lowest 20000, highest 3.6e12) from
     * HdrHistogramJS's HistogramLogReader tests. Java 2.1.11 reads count
     * 741, p50 344063, p90 376831, p99 409599, max 2768895, mean 301998.47;
     * its unit of 16384 re-records at midpoints, within 16384 of those. */
    static const char jhiccup[] = "HISTFAAAAEV42pNpmSzMwMCgyAABTBDKT4GBgdnNYMcCBvsPEBEJISEuATEZ"
                                  "MQ4uASkhIR4nrxg9v2lMaxhvMekILGZkKmcCAEf2CsI=";
    static const double jh_p[][2] = {{50, 344063}, {90, 376831}, {99, 409599}};
    h = hist_decode(jhiccup, strlen(jhiccup), err, sizeof err);
    CHECK(h && hist_count(h) == 741 && hist_sigfigs(h) == 2, "jHiccup line: %s",
          h ? "count" : err);
    for (size_t i = 0; h && i < 3; i++)
        CHECK(fabs((double)hist_percentile(h, jh_p[i][0]) - jh_p[i][1]) <= 16384,
              "jHiccup line: p%g = %lld", jh_p[i][0], (long long)hist_percentile(h, jh_p[i][0]));
    CHECK(h && fabs((double)hist_max(h) - 2768895) <= 2768895 * 0.01
              && fabs(hist_mean(h) - 301998.47) < 3000,
          "jHiccup line: max, mean");
    hist_free(h);

    /* hdrhistogram-go's fixture: Java PackedHistogram(1, 1000, 0) with 100
     * (Java reads min 64, max 127): 0 digits, re-recorded at 1. */
    static const char zero[] = "HISTFAAAAB14nJNpmSzMwMDAxIAKGCEU8wv7DxAWLxMASToDcw==";
    h = hist_decode(zero, strlen(zero), err, sizeof err);
    CHECK(h && hist_count(h) == 1 && hist_min(h) >= 64 && hist_max(h) <= 127,
          "0 digits: %s", h ? "values" : err);
    hist_free(h);
}


struct rows {
    int n, stop_after;
    int64_t value[400], total[400];
    double level[400];
};

static int add_row(void *ud, int64_t value, double level, int64_t total)
{
    struct rows *r = ud;
    if (r->n >= 400)
        return -1;
    r->value[r->n] = value;
    r->level[r->n] = level;
    r->total[r->n++] = total;
    return r->n == r->stop_after ? 7 : 0;
}

static void test_spectrum(void)
{
    struct ds_hist *h = new_or_die(3);
    static struct rows r;
    CHECK(hist_percentiles(h, 5, add_row, &r) == 0 && r.n == 0, "empty: no rows");
    hist_record(h, 5000);
    CHECK(hist_percentiles(h, 5, add_row, &r) == 0 && r.n == 2 && r.level[0] == 0
              && r.level[1] == 100 && r.value[1] == hist_max(h) && r.total[1] == 1,
          "single value: a row at 0 and one at 100");
    hist_reset(h);
    for (int i = 1; i <= 100000; i++)
        hist_record(h, i);
    r.n = 0;
    CHECK(hist_percentiles(h, 5, add_row, &r) == 0 && r.n > 50 && r.n < 400, "uniform: %d rows",
          r.n);
    CHECK(r.level[0] == 0 && r.level[1] == 10 && r.level[5] == 50 && r.level[6] == 55,
          "levels 0, 10 .. 50, 55: 5 ticks per half distance");
    CHECK(r.level[r.n - 1] == 100 && r.total[r.n - 1] == 100000
              && r.value[r.n - 1] == hist_max(h),
          "ends at 100 with the max");
    int ordered = 1, agree = 1;
    for (int i = 1; i < r.n; i++) {
        ordered &= r.level[i] > r.level[i - 1] && r.value[i] >= r.value[i - 1]
                   && r.total[i] >= r.total[i - 1];
        agree &= r.value[i] == hist_percentile(h, r.level[i]);
    }
    CHECK(ordered, "levels rise, values and counts never fall");
    CHECK(agree, "each row's value is the value at its percentile");
    r.n = 0;
    r.stop_after = 3;
    CHECK(hist_percentiles(h, 5, add_row, &r) == 7 && r.n == 3, "stops when the callback says");
    hist_free(h);
}

/* ---- bad input: never a crash (run it under ASan), always a reason ---- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64(const unsigned char *p, size_t n)
{
    char *s = malloc(n / 3 * 4 + 5), *o = s;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        v |= (uint32_t)(i + 1 < n ? p[i + 1] : 0) << 8 | (i + 2 < n ? p[i + 2] : 0);
        *o++ = B64[v >> 18];
        *o++ = B64[v >> 12 & 63];
        *o++ = i + 1 < n ? B64[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? B64[v & 63] : '=';
    }
    *o = 0;
    return s;
}

/* Base64 (padded, no whitespace) to bytes; returns the byte count. */
static size_t unb64(const char *s, unsigned char *out)
{
    size_t n = 0, len = strlen(s);
    for (size_t i = 0; i + 3 < len; i += 4) {
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) {
            const char *at = s[i + k] == '=' ? NULL : strchr(B64, s[i + k]);
            v = v << 6 | (uint32_t)(at ? at - B64 : 0);
        }
        out[n++] = (unsigned char)(v >> 16);
        if (s[i + 2] != '=')
            out[n++] = (unsigned char)(v >> 8);
        if (s[i + 3] != '=')
            out[n++] = (unsigned char)v;
    }
    return n;
}

/* Decodes the bytes p[0..n) base64'd; returns 1 when rejected with a reason
 * containing `want` (any reason if NULL). A histogram decoded is freed. */
static int rejects(const unsigned char *p, size_t n, const char *want)
{
    char *s = b64(p, n), err[200] = "";
    struct ds_hist *h = hist_decode(s, strlen(s), err, sizeof err);
    free(s);
    hist_free(h);
    return !h && *err && (!want || strstr(err, want));
}

/* The compressed form around plain bytes, announcing zlen_delta more or
 * less compressed bytes than there are. */
static size_t wrap(const unsigned char *plain, size_t n, unsigned char *out, long zlen_delta)
{
    uLongf zlen = compressBound(n);
    compress2(out + 8, &zlen, plain, n, 6);
    static const unsigned char cookie[] = {0x1c, 0x84, 0x93, 0x14};
    memcpy(out, cookie, 4);
    uint32_t announced = (uint32_t)((long)zlen + zlen_delta);
    for (int i = 0; i < 4; i++)
        out[4 + i] = (unsigned char)(announced >> (24 - 8 * i));
    return 8 + zlen;
}

/* A plain V2 header (3 digits, 1 .. 1 h) and then payload bytes. */
static size_t plain_v2(unsigned char *p, const unsigned char *payload, size_t n, uint32_t announced)
{
    static const unsigned char head[40] = {
        0x1c, 0x84, 0x93, 0x13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1,
        0, 0, 0, 0, 0xd6, 0x93, 0xa4, 0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0};
    memcpy(p, head, 40);
    for (int i = 0; i < 4; i++)
        p[4 + i] = (unsigned char)(announced >> (24 - 8 * i));
    memcpy(p + 40, payload, n);
    return 40 + n;
}

static void test_bad_input(void)
{
    static unsigned char buf[1 << 16], out[1 << 17];
    char err[200];
    CHECK(!hist_decode("", 0, err, sizeof err) && strstr(err, "truncated"), "empty: %s", err);
    CHECK(!hist_decode("HIST%FAA", 8, err, sizeof err) && strstr(err, "not base64"), "%s", err);
    CHECK(!hist_decode("aGVsbG8gd29ybGQh", 16, err, sizeof err)
              && strstr(err, "not an HdrHistogram"),
          "%s", err);
    CHECK(!hist_decode("HISTEgAAAAA=", 12, err, sizeof err) && strstr(err, "only V2"), "V1: %s",
          err);
    static const struct { const char *payload; size_t n; const char *why; } evil[] = {
        {"\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9, "runs past"},   /* a run of 2^63 zeros */
        {"\x01\x02\xff\xff\xff\xff\x0f\x02", 8, "runs past"},       /* skip 2^31 */
        {"\xff\xff", 2, "truncated payload"},                       /* cut inside a count */
        {"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10, "overflows"}, /* INT64_MAX + 1 */
    };
    for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
        const unsigned char *payload = (const unsigned char *)evil[i].payload;
        size_t n = plain_v2(buf, payload, evil[i].n, (uint32_t)evil[i].n);
        CHECK(rejects(buf, n, evil[i].why), "plain payload %zu", i);
        CHECK(rejects(out, wrap(buf, n, out, 0), evil[i].why), "compressed payload %zu", i);
    }
    /* Header fields: digits, lowest, offset, payload length. */
    static const struct { int at; unsigned char v; const char *why; } field[] = {
        {15, 6, "significant digits"}, {23, 0, "lowest discernible"},
        {11, 1, "normalizing index offset"}, {4, 0x7f, "payload of"}, {0, 0x1d, "not an Hdr"},
    };
    for (size_t i = 0; i < sizeof field / sizeof field[0]; i++) {
        size_t n = plain_v2(buf, (const unsigned char *)"\x02", 1, 1);
        buf[field[i].at] = field[i].v;
        CHECK(rejects(buf, n, field[i].why), "header field %zu", i);
    }
    CHECK(rejects(out, wrap(buf, plain_v2(buf, (const unsigned char *)"\x02", 1, 900), out, 0),
                  "announces"), "payload shorter than announced");
    static const unsigned char not_v2[] = "Docking API: definitely not a histogram header....";
    CHECK(rejects(out, wrap(not_v2, sizeof not_v2, out, 0), "V2"), "zlib of something else");

    /* A real histogram, cut or damaged at every byte. */
    struct ds_hist *h = new_or_die(3);
    for (int i = 0; i < 3000; i++)
        hist_record(h, rand_latency());
    char *good = hist_encode(h, NULL);
    size_t glen = strlen(good);
    int cut_ok = 1;
    for (size_t n = 0; n < glen; n++) {
        struct ds_hist *d = hist_decode(good, n, err, sizeof err);
        cut_ok &= d ? hist_equal(d, h) : *err != 0;  /* only a dropped '=' may decode */
        hist_free(d);
    }
    CHECK(cut_ok, "every truncation of the base64 is rejected");
    /* The raw bytes: zlib's stream cut short, then every byte flipped. */
    uLongf plen = sizeof buf;
    unsigned char *raw = malloc(glen);
    size_t rlen = unb64(good, raw);
    CHECK(uncompress(buf, &plen, raw + 8, rlen - 8) == Z_OK, "zlib reads ours");
    int trunc_ok = 1;
    for (long cut = 1; cut < 40; cut += 3)
        trunc_ok &= rejects(out, wrap(buf, plen, out, -cut), NULL);
    CHECK(trunc_ok, "a compressed stream cut short is rejected");
    for (size_t i = 0; i < rlen; i++) {  /* must not crash; zlib's adler32 catches most */
        raw[i] ^= 0x5a;
        rejects(raw, rlen, NULL);
        raw[i] ^= 0x5a;
    }
    CHECK(!rejects(raw, rlen, NULL), "the undamaged bytes still decode");
    /* Random bytes behind each cookie, and random text. */
    static const unsigned char cookies[3][4] = {
        {0x1c, 0x84, 0x93, 0x14}, {0x1c, 0x84, 0x93, 0x13}, {0, 0, 0, 0}};
    for (int i = 0; i < 3000; i++) {
        size_t n = (size_t)(next_rand() % 200);
        for (size_t k = 0; k < n; k++)
            buf[k] = (unsigned char)next_rand();
        if (n >= 8 && i % 3 != 2)
            memcpy(buf, cookies[i % 3], 4);
        if (n >= 8 && i % 3 == 0) {  /* a plausible compressed length */
            memset(buf + 4, 0, 3);
            buf[7] = (unsigned char)(n - 8);
        }
        rejects(buf, n, NULL);
        hist_free(hist_decode((const char *)buf, n, err, sizeof err));
    }
    CHECK(1, "random input: no crash");
    free(raw);
    free(good);
    hist_free(h);
}

static int count_rows(void *ud, int64_t value, double percentile, int64_t total)
{
    (void)value;
    (void)percentile;
    (void)total;
    return ++*(int *)ud > 100000; /* stop a runaway walk */
}

/* Counts near 2^63: the total wraps (documented: here to 1001), and the
 * percentile walks must neither overflow adding the counts up (UBSan) nor
 * run away. */
static void test_huge_counts(void)
{
    struct ds_hist *h = new_or_die(3);
    hist_record_n(h, 100, 1000);
    hist_record_n(h, 200, INT64_MAX);
    hist_record_n(h, 300, INT64_MAX);
    hist_record_n(h, 400, 3);
    CHECK(hist_count(h) == 1001, "huge counts: the total wrapped to %lld", (long long)hist_count(h));
    int64_t p100 = hist_percentile(h, 100);
    CHECK(p100 >= hist_min(h) && p100 <= hist_max(h), "huge counts: p100 %lld in range",
          (long long)p100);
    int rows = 0;
    hist_percentiles(h, 5, count_rows, &rows);
    CHECK(rows > 0 && rows <= 100000, "huge counts: the spectrum ends (%d rows)", rows);
    hist_free(h);
}

int main(void)
{
    test_layout();
    test_data_sets();
    test_merge();
    test_round_trip();
    test_vectors();
    test_spectrum();
    test_bad_input();
    test_huge_counts();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
