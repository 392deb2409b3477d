/*
 * Seeded random stress on the model interpreter (bh_model.h): random byte
 * programs run against heaps from a few hundred bytes past the control
 * structure up to 64 MiB, each program followed by freeing everything and
 * checking that the heap is back to one free block.
 *
 * Usage: model_stress [operations [seed]]   (default 1000000, seed 1)
 * Prints the number of operations that ran clean; exits 1 on a failure,
 * after printing the seed, heap size, step and property.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bh_model.h"

#define BIG_HEAP_BYTES ((size_t)64 << 20)
#define ARENA_BYTES (BIG_HEAP_BYTES + ((size_t)1 << 20))
#define PROGRAM_BYTES 4096u
#define OPS_PER_RUN 20000ul

static union {
    long double ld;
    void *p;
    unsigned char b[ARENA_BYTES];
} arena;

static bhm_model model;
static uint8_t program[PROGRAM_BYTES];
static uint64_t rng_state;
static size_t current_heap_bytes;
static uint64_t current_seed;

static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void on_failure(void *context, const bhm_failure *f) {
    (void)context;
    fprintf(stderr, "model_stress: seed %llu heap %zu bytes: step %lu (%s): %s [0x%jx 0x%jx]\n",
            (unsigned long long)current_seed, current_heap_bytes, f->step, f->op, f->what, (uintmax_t)f->a,
            (uintmax_t)f->b);
}

/* One run: a fresh heap, programs until ops operations, then finish. */
static int run(size_t heap_bytes, uint64_t seed, unsigned long ops, unsigned long *done) {
    bhm_options opt;
    size_t i;
    current_heap_bytes = heap_bytes;
    current_seed = seed;
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1u;
    opt.slots = heap_bytes <= 65536u ? 64u : BHM_MAX_SLOTS;
    /* bh_check() after every step up to 1 MiB; larger heaps every 8th. */
    opt.check_every = heap_bytes <= ((size_t)1 << 20) ? 1u : 8u;
    opt.misuse = true;
    opt.fail = on_failure;
    opt.fail_context = NULL;
    if (!bhm_init(&model, &opt, arena.b, sizeof arena.b, (size_t)(seed % 16u), heap_bytes))
        return 0;
    while (model.steps < ops) {
        for (i = 0; i < PROGRAM_BYTES; i++)
            program[i] = (uint8_t)(rng() >> 24);
        if (!bhm_run(&model, program, PROGRAM_BYTES))
            return 0;
    }
    if (!bhm_finish(&model))
        return 0;
    *done += model.steps;
    return 1;
}

int main(int argc, char **argv) {
    unsigned long ops = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000ul;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1u;
    size_t sizes[] = {0, bh_control_size(1024) + 1024u, 4096u, 65536u, (size_t)1 << 20, BIG_HEAP_BYTES};
    /* From BAREHEAP_DEBUG 2 on, poisoning costs time in proportion to the
     * bytes handed out and freed: leave out the 64 MiB heap there. */
    const unsigned n_sizes = (unsigned)(sizeof sizes / sizeof sizes[0]) - (BAREHEAP_DEBUG >= 2 ? 1u : 0u);
    unsigned long done = 0, runs = 0, per_size = ops / n_sizes;
    clock_t start = clock();
    unsigned k;
    /* The small heaps are the least init takes where a wide grain needs more. */
    sizes[0] = bhm_min_heap_bytes();
    for (k = 1; k < n_sizes; k++) {
        if (sizes[k] < sizes[0])
            sizes[k] = sizes[0];
    }
    for (k = 0; k < n_sizes; k++) {
        unsigned long target = done + per_size;
        while (done < target) {
            unsigned long n = target - done < OPS_PER_RUN ? target - done : OPS_PER_RUN;
            if (!run(sizes[k], seed++, n, &done))
                return 1;
            runs++;
        }
    }
    printf("model_stress: %lu operations clean in %lu runs (%u-bit, BAREHEAP_SL_LOG2=%d, BAREHEAP_DEBUG=%d, "
           "heaps %zu bytes to %zu MiB), %.1f s\n",
           done, runs, (unsigned)(sizeof(void *) * 8u), BAREHEAP_SL_LOG2, BAREHEAP_DEBUG, sizes[0],
           sizes[n_sizes - 1u] >> 20, (double)(clock() - start) / CLOCKS_PER_SEC);
    return 0;
}
