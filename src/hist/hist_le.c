#include "hist/hist_le.h"

#include <stdio.h>

const int64_t hist_le_default[HIST_LE_BOUNDS] = {
    500,     1000,    2500,    5000,    10000,    25000,    50000,    100000,
    250000,  500000,  1000000, 2500000, 5000000, 10000000, 30000000, 60000000,
};

struct le_state {
    const int64_t *bounds;
    size_t n, at;     /* at: the first bound not below the buckets seen */
    int64_t *cum;
};

/* Buckets come in value order, so the bound index only moves forward. */
static int add_bucket(void *ud, int64_t lowest, int64_t highest, int64_t count)
{
    (void)highest;
    struct le_state *s = ud;
    while (s->at < s->n && s->bounds[s->at] < lowest)
        s->at++;
    s->cum[s->at] += count;
    return 0;
}

int hist_le_counts(const struct ds_hist *h, const int64_t *bounds, size_t n, int64_t *cum)
{
    for (size_t i = 1; i < n; i++)
        if (bounds[i] <= bounds[i - 1])
            return -1;
    for (size_t i = 0; i <= n; i++)
        cum[i] = 0;
    struct le_state s = {bounds, n, 0, cum};
    hist_buckets(h, add_bucket, &s);
    for (size_t i = 1; i <= n; i++)
        cum[i] += cum[i - 1];
    return 0;
}

void hist_le_label(int64_t us, char *buf, size_t len)
{
    int64_t whole = us / 1000000, frac = us % 1000000;
    if (frac == 0) {
        snprintf(buf, len, "%lld", (long long)whole);
        return;
    }
    int digits = 6;
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    snprintf(buf, len, "%lld.%0*lld", (long long)whole, digits, (long long)frac);
}
