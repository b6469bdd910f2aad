/* Unit test of src/hist/hist_le.c: Prometheus buckets from a histogram.
 * A value on a bound counts under it; each cumulative count is at least
 * the exact one and at most that of a bound 0.1% higher (3 digits); two
 * shards' counts add up to their merged histogram's. */
#include "hist/hist_le.h"

#include <stdio.h>
#include <string.h>

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

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define N 20000

static void test_edges(void)
{
    struct ds_hist *h = hist_new(3);
    int64_t cum[HIST_LE_BOUNDS + 1];
    const int64_t vals[] = {0, 500, 501, 1000, 60000000, 70000000};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
        hist_record(h, vals[i]);
    CHECK(hist_le_counts(h, hist_le_default, HIST_LE_BOUNDS, cum) == 0, "counts");
    CHECK(cum[0] == 2 && cum[1] == 4,
          "0 and 500 under 0.0005, 501 and 1000 under 0.001: %lld %lld", (long long)cum[0],
          (long long)cum[1]);
    CHECK(cum[HIST_LE_BOUNDS - 1] == 5 && cum[HIST_LE_BOUNDS] == 6, "60 s under 60, 70 s +Inf");
    const int64_t down[] = {1000, 500};
    CHECK(hist_le_counts(h, down, 2, cum) == -1, "falling bounds refused");
    hist_free(h);
}

static int64_t exact_le(const int64_t *v, size_t n, int64_t bound)
{
    int64_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += v[i] <= bound;
    return c;
}

static void test_random_and_shards(void)
{
    static int64_t v[N];
    struct ds_hist *a = hist_new(3), *b = hist_new(3), *all = hist_new(3);
    for (size_t i = 0; i < N; i++) {
        /* log-uniform from 1 us to about 67 s */
        v[i] = (int64_t)(next() % (1ull << (next() % 27))) + 1;
        hist_record(i % 3 ? a : b, v[i]);
        hist_record(all, v[i]);
    }
    int64_t ca[HIST_LE_BOUNDS + 1], cb[HIST_LE_BOUNDS + 1], c[HIST_LE_BOUNDS + 1];
    hist_le_counts(a, hist_le_default, HIST_LE_BOUNDS, ca);
    hist_le_counts(b, hist_le_default, HIST_LE_BOUNDS, cb);
    hist_le_counts(all, hist_le_default, HIST_LE_BOUNDS, c);
    int bad = 0;
    for (size_t i = 0; i < HIST_LE_BOUNDS; i++) {
        int64_t bound = hist_le_default[i];
        bad += ca[i] + cb[i] != c[i];
        bad += c[i] < exact_le(v, N, bound) || c[i] > exact_le(v, N, bound + bound / 1000);
        bad += i > 0 && c[i] < c[i - 1];
    }
    CHECK(bad == 0, "shards add up; each count within 0.1%% of its bound; cumulative");
    CHECK(c[HIST_LE_BOUNDS] == N && ca[HIST_LE_BOUNDS] + cb[HIST_LE_BOUNDS] == N, "+Inf: all");
    hist_free(a);
    hist_free(b);
    hist_free(all);
}

static void test_labels(void)
{
    const struct { int64_t us; const char *le; } t[] = {
        {500, "0.0005"}, {1000, "0.001"}, {2500, "0.0025"}, {1000000, "1"},
        {2500000, "2.5"}, {60000000, "60"}, {1, "0.000001"}, {0, "0"}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char buf[32];
        hist_le_label(t[i].us, buf, sizeof buf);
        CHECK(strcmp(buf, t[i].le) == 0, "%lld us: '%s', not '%s'", (long long)t[i].us, buf,
              t[i].le);
    }
}

int main(void)
{
    test_edges();
    test_random_and_shards();
    test_labels();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
