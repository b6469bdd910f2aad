/* A seeded generator for replayable load runs: xoshiro256** (Blackman and
 * Vigna), the algorithm Lua 5.4's math.random uses, seeded by SplitMix64 so
 * that a (seed, stream) pair gives the same numbers on every machine. */
#ifndef DS_PRNG_H
#define DS_PRNG_H

#include <stdint.h>

struct prng { uint64_t s[4]; };

void prng_seed(struct prng *g, uint64_t seed, uint64_t stream);
uint64_t prng_next(struct prng *g);
/* Uniform in [0, 1), 53 random bits. */
double prng_unit(struct prng *g);
/* Uniform in [0, lim], by rejection (no modulo bias). */
uint64_t prng_below(struct prng *g, uint64_t lim);

#endif
