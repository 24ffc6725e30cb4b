/*
 * rng.h: a small deterministic generator (xorshift64) for the unit tests,
 * so that generated names and corrupted files are the same on every run.
 * Each test seeds its own.  Test code only.
 */
#ifndef CERTAUTHZ_RNG_H
#define CERTAUTHZ_RNG_H

static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

/* A number below n (n > 0). */
static inline unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

#endif
