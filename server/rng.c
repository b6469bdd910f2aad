#include "rng.h"

/* SplitMix64 (Steele, Lea and Flood, 2014): a Weyl sequence with the golden
 * ratio increment, scrambled by two multiply-xorshift rounds. */
#define GOLDEN 0x9e3779b97f4a7c15ull

static uint64_t scramble(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void ds_rng_seed(struct ds_rng *r, uint64_t seed, uint64_t stream)
{
    r->s = scramble(seed ^ scramble(stream + GOLDEN));
}

uint64_t ds_rng_next(struct ds_rng *r)
{
    r->s += GOLDEN;
    return scramble(r->s);
}

double ds_rng_unit(struct ds_rng *r)
{
    return (double)(ds_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

struct ds_rng ds_rng_at(const struct ds_rng *r, uint64_t i)
{
    /* a Weyl sequence: i steps are one multiply (mod 2^64) */
    return (struct ds_rng){r->s + i * GOLDEN};
}
