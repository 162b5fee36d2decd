/*
 * rng.h — the sampler's seeded pseudo-random generator: xoshiro256** (Blackman
 * and Vigna, 2018) with its state filled from the seed by splitmix64, as its
 * authors recommend.
 *
 * Guarantees: integer arithmetic only up to the final conversion to double, so
 * one seed gives the same stream of numbers on every platform and compiler.
 * Not for cryptography.
 */
#ifndef EI_SAMPLE_RNG_H
#define EI_SAMPLE_RNG_H

#include <stdint.h>

typedef struct ei_rng {
    uint64_t s[4];
} ei_rng;

static inline uint64_t ei_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* splitmix64 never yields four zero words in a row, so the state is never
 * the all-zero one xoshiro cannot leave. */
static inline void ei_rng_seed(ei_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = ei_splitmix64(&x);
}

static inline uint64_t ei_rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t ei_rng_next(ei_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = ei_rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ei_rotl64(s[3], 45);
    return result;
}

/* Uniform in [0, 1), 53 random bits: exact in a double. */
static inline double ei_rng_uniform(ei_rng *r) { return (double)(ei_rng_next(r) >> 11) * 0x1.0p-53; }

#endif
