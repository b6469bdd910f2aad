/* The cost of the histogram primitives (src/hist.c), for quoting, not a test:
 *   build/hist_bench [values]       default 50,000,000 values
 * Prints ns per hist_record for 3 and 2 significant digits over latencies
 * spread from 100 us to 2 s (log-uniform: every bucket range is hit), the
 * bytes per histogram, and the cost of a percentile, an encode and a decode. */
#include "hist/hist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 64K log-uniform values from 100 us to 2 s, precomputed so that the loop
 * times recording, not the generator. */
#define NVALUES 65536
static int64_t values[NVALUES];

static void make_values(void)
{
    uint64_t x = 88172645463325252u;  /* xorshift64 */
    for (int i = 0; i < NVALUES; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double u = (double)(x >> 11) / 9007199254740992.0;
        values[i] = (int64_t)(100.0 * pow(20000.0, u));
    }
}

static void bench(int digits, long n)
{
    struct ds_hist *h = hist_new(digits);
    if (!h) {
        fprintf(stderr, "hist_bench: out of memory\n");
        exit(1);
    }
    double t0 = now();
    for (long i = 0; i < n; i++)
        hist_record(h, values[i & (NVALUES - 1)]);
    double rec = (now() - t0) / (double)n * 1e9;

    int reps = 200;
    volatile int64_t sink = 0;
    t0 = now();
    for (int i = 0; i < reps; i++)
        sink += hist_percentile(h, 99.0 + i / 1000.0);
    double pct = (now() - t0) / reps * 1e6;

    size_t len = 0;
    char *enc = NULL;
    t0 = now();
    for (int i = 0; i < reps; i++) {
        free(enc);
        enc = hist_encode(h, &len);
    }
    double encode = (now() - t0) / reps * 1e6;

    char err[200];
    t0 = now();
    for (int i = 0; i < reps; i++) {
        struct ds_hist *d = hist_decode(enc, len, err, sizeof err);
        if (!d || !hist_equal(d, h)) {
            fprintf(stderr, "hist_bench: round trip failed: %s\n", d ? "counts differ" : err);
            exit(1);
        }
        hist_free(d);
    }
    double decode = (now() - t0) / reps * 1e6;
    printf("%d digits: %.2f ns/record over %ld values; %zu bytes per histogram; "
           "p99 %.1f us; encode %.0f us (%zu chars); decode %.0f us\n",
           digits, rec, n, hist_bytes(h), pct, encode, len, decode);
    free(enc);
    hist_free(h);
    (void)sink;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 50000000L;
    if (n < 1 || n > 10000000000L) {
        fprintf(stderr, "usage: hist_bench [values 1..1e10]\n");
        return 2;
    }
    make_values();
    bench(3, n);
    bench(2, n);
    return 0;
}
