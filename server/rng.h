/* A small seeded pseudo-random generator (SplitMix64): the same seed gives
 * the same sequence on every machine, which is what --seed promises. Not
 * thread-safe; each user keeps its own state. */
#ifndef DS_RNG_H
#define DS_RNG_H

#include <stdint.h>

struct ds_rng {
    uint64_t s;
};

/* Streams with different ids from one seed do not overlap in practice
 * (their start states are scrambled apart). */
void ds_rng_seed(struct ds_rng *r, uint64_t seed, uint64_t stream);
uint64_t ds_rng_next(struct ds_rng *r);
/* Uniform in [0, 1), 53 random bits. */
double ds_rng_unit(struct ds_rng *r);
/* The generator r would be after i more draws, in O(1): r's draw i is
 * the first draw of the result. */
struct ds_rng ds_rng_at(const struct ds_rng *r, uint64_t i);

#endif
