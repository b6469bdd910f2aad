#include "core/prng.h"

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void prng_seed(struct prng *g, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull);
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix(&x);
    /* never the all-zero state */
    if (!(g->s[0] | g->s[1] | g->s[2] | g->s[3]))
        g->s[0] = 1;
}

uint64_t prng_next(struct prng *g)
{
    uint64_t *s = g->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double prng_unit(struct prng *g)
{
    return (double)(prng_next(g) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t prng_below(struct prng *g, uint64_t lim)
{
    if ((lim & (lim + 1)) == 0) /* 2^k - 1: a mask does it */
        return prng_next(g) & lim;
    uint64_t mask = lim;
    for (int k = 1; k < 64; k *= 2)
        mask |= mask >> k; /* the smallest 2^b - 1 >= lim */
    uint64_t r;
    while ((r = prng_next(g) & mask) > lim)
        ;
    return r;
}
