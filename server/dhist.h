/* The delay histogram behind /_stats: fixed memory (about 28 KB), O(1)
 * record, log-linear buckets of 1/128 of a power of two (under 0.8% wide,
 * so a percentile reads within 0.4% of the truth) from 1 us to 2.3 hours.
 * One writer (the delay timer's thread) and any number of readers on other
 * threads: counts are relaxed atomics, so a reader may see a record half
 * done (a count without its max), never a torn number. */
#ifndef DS_DHIST_H
#define DS_DHIST_H

#include <stdatomic.h>
#include <stdint.h>

#define DS_DHIST_SUB 128                 /* buckets per power of two */
#define DS_DHIST_OCTAVES 26              /* 2^7 .. 2^33 microseconds */
#define DS_DHIST_BUCKETS (DS_DHIST_SUB * (DS_DHIST_OCTAVES + 1))

struct ds_dhist {
    atomic_uint_fast64_t count[DS_DHIST_BUCKETS];
    atomic_uint_fast64_t total;
    atomic_uint_fast64_t max_us;
};

/* The histogram starts zeroed (calloc or = {0}). Only one thread records. */
void ds_dhist_record(struct ds_dhist *h, uint64_t ns);
/* The value at quantile q (0..1) in seconds; 0 when empty. */
double ds_dhist_quantile(const struct ds_dhist *h, double q);
double ds_dhist_max(const struct ds_dhist *h);

#endif
