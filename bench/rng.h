/*
 * The benchmarks' random numbers: splitmix64 from a fixed seed, and sizes
 * drawn log-uniform by octave. Integer only and freestanding, so the host
 * driver (32- and 64-bit) and the firmware draw the same sequence from the
 * same seed.
 */
#ifndef BAREHEAP_BENCH_RNG_H
#define BAREHEAP_BENCH_RNG_H

#include <stdint.h>

static inline uint64_t bench_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (the modulo bias is far below what is measured). */
static inline uint32_t bench_rng_below(uint64_t *state, uint32_t n) {
    return (uint32_t)(bench_rng_next(state) % n);
}

/* Log-uniform in [lo, hi] by octave: a uniform octave, then a uniform size in
 * it; 1 <= lo <= hi < 2^31. */
static inline uint32_t bench_size_log_uniform(uint64_t *state, uint32_t lo, uint32_t hi) {
    unsigned lo_log = 0, hi_log = 0, k;
    uint32_t s;
    while ((2u << lo_log) <= lo)
        lo_log++;
    while ((2u << hi_log) <= hi)
        hi_log++;
    for (;;) {
        k = lo_log + bench_rng_below(state, hi_log - lo_log + 1u);
        s = (1u << k) + bench_rng_below(state, 1u << k);
        if (s >= lo && s <= hi)
            return s;
    }
}

#endif /* BAREHEAP_BENCH_RNG_H */
