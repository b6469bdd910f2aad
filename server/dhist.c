#include "dhist.h"

/* Values below SUB microseconds have a bucket each; above, the top 8 bits
 * of the value pick the bucket within its power of two. */
static unsigned bucket_of(uint64_t us)
{
    if (us < DS_DHIST_SUB)
        return (unsigned)us;
    unsigned top = 63u - (unsigned)__builtin_clzll(us);  /* us >= 2^7 */
    unsigned octave = top - 6;                          /* 1 for 2^7 .. 2^8 */
    if (octave > DS_DHIST_OCTAVES)
        return DS_DHIST_BUCKETS - 1;
    unsigned sub = (unsigned)(us >> (top - 7)) - DS_DHIST_SUB;
    return octave * DS_DHIST_SUB + sub;
}

/* The middle of bucket i, in microseconds. */
static double middle_of(unsigned i)
{
    if (i < DS_DHIST_SUB)
        return i;
    unsigned octave = i / DS_DHIST_SUB, sub = i % DS_DHIST_SUB;
    double width = (double)(1ull << (octave - 1));
    return (DS_DHIST_SUB + sub) * width + width / 2;
}

static void bump(atomic_uint_fast64_t *c, uint64_t by)
{
    /* one writer: a plain load and store, no locked read-modify-write */
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
                          memory_order_relaxed);
}

void ds_dhist_record(struct ds_dhist *h, uint64_t ns)
{
    uint64_t us = ns / 1000;
    bump(&h->count[bucket_of(us)], 1);
    bump(&h->total, 1);
    if (us > atomic_load_explicit(&h->max_us, memory_order_relaxed))
        atomic_store_explicit(&h->max_us, us, memory_order_relaxed);
}

double ds_dhist_max(const struct ds_dhist *h)
{
    return (double)atomic_load_explicit(&h->max_us, memory_order_relaxed) / 1e6;
}

double ds_dhist_quantile(const struct ds_dhist *h, double q)
{
    uint64_t total = atomic_load_explicit(&h->total, memory_order_relaxed);
    if (total == 0)
        return 0;
    /* the smallest value with at least q of the records at or below it */
    double rank = q * (double)total;
    uint64_t need = rank < 1 ? 1 : (uint64_t)rank + (rank > (double)(uint64_t)rank);
    uint64_t seen = 0;
    double max = ds_dhist_max(h);
    for (unsigned i = 0; i < DS_DHIST_BUCKETS; i++) {
        seen += atomic_load_explicit(&h->count[i], memory_order_relaxed);
        if (seen >= need) {
            double v = middle_of(i) / 1e6;
            return v < max ? v : max;
        }
    }
    return max;
}
