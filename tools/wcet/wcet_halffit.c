/*
 * Firmware for make wcet (tools/wcet.sh): the benchmarks' half-fit allocator
 * (bench/halffit.c, the algorithm o1heap uses) under the same instruction
 * trace as bareheap's calls in wcet.c, so that o1heap's published counts on
 * Cortex-M3 and RV32 can be set beside one of its kind measured here, with
 * this compiler and these flags.
 *
 * The cases it has of wcet.c's, with the same generators and seeds: random
 * small and mixed alloc/free on a 64 KiB heap (the same request sequences;
 * a request half-fit cannot serve fails, and counts as a call), the split of
 * a fresh heap's one fragment, and free between two free neighbours.
 * Markers and counting as in wcet.c: wcet_op_<case>() before a call,
 * wcet_done() after it; the last line says how many calls and errors.
 */
#include <stddef.h>
#include <stdint.h>

#include "halffit.h"
#include "wcet_common.h"

#define HEAP_BYTES 65536u

static unsigned char wcet_arena[HEAP_BYTES] __attribute__((aligned(4096)));
static hf_heap *wcet_heap;

WCET_MARK(alloc_small)
WCET_MARK(free_small)
WCET_MARK(alloc_mixed)
WCET_MARK(free_mixed)
WCET_MARK(alloc_fresh_split)
WCET_MARK(free_double_merge)

#define ALLOC(c, n) (wcet_op_##c(), wcet_r = hf_alloc(wcet_heap, (n)), wcet_done(), wcet_calls++, wcet_r)
#define FREE(c, p) (wcet_op_##c(), hf_free(wcet_heap, (p)), wcet_done(), wcet_calls++)

static void wcet_fresh(void) {
    wcet_heap = hf_init(wcet_arena, HEAP_BYTES);
    if (!wcet_heap)
        wcet_errors++;
}

static void wcet_check(void) {
    if (!hf_check(wcet_heap))
        wcet_errors++;
}

#define SLOTS 64
static void *wcet_slot[SLOTS];

/* wcet.c's random sequences, slot for slot. */
static void wcet_random(unsigned steps, unsigned slots, int mixed) {
    unsigned i;
    wcet_fresh();
    for (i = 0; i < SLOTS; i++)
        wcet_slot[i] = NULL;
    for (i = 0; i < steps; i++) {
        unsigned k = wcet_rand() % slots;
        if (wcet_slot[k]) {
            if (mixed)
                FREE(free_mixed, wcet_slot[k]);
            else
                FREE(free_small, wcet_slot[k]);
            wcet_slot[k] = NULL;
        } else if (mixed) {
            wcet_slot[k] = ALLOC(alloc_mixed, wcet_mixed());
        } else {
            wcet_slot[k] = ALLOC(alloc_small, wcet_small());
        }
    }
    wcet_check();
}

static void wcet_random_small(unsigned steps) { wcet_random(steps, SLOTS, 0); }
static void wcet_random_mixed(unsigned steps) { wcet_random(steps, 16u, 1); }

static void wcet_fresh_split(unsigned steps) {
    static const size_t sizes[] = {1, 8, 12, 100, 256, 1000, 4000, 30000};
    unsigned i;
    (void)steps;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        wcet_fresh();
        if (!ALLOC(alloc_fresh_split, sizes[i]))
            wcet_errors++;
    }
}

static void wcet_double_merge(unsigned steps) {
    unsigned i;
    (void)steps;
    wcet_fresh();
    for (i = 0; i < 40; i++) {
        size_t na = wcet_mixed() % 4096u + 1u, nb = wcet_small(), nc = wcet_mixed() % 4096u + 1u;
        void *a = hf_alloc(wcet_heap, na), *b = hf_alloc(wcet_heap, nb);
        void *c = hf_alloc(wcet_heap, nc), *d = hf_alloc(wcet_heap, 16);
        if (!a || !b || !c || !d) {
            wcet_errors++;
            return;
        }
        hf_free(wcet_heap, a);
        hf_free(wcet_heap, c);
        if (hf_free_fragments(wcet_heap) < 3)
            wcet_errors++; /* a or c merged elsewhere: b's would not be a double merge */
        FREE(free_double_merge, b);
        hf_free(wcet_heap, d);
    }
    wcet_check();
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    wcet_step("small", wcet_random_small, 4000);
    wcet_step("mixed", wcet_random_mixed, 3000);
    wcet_step("split", wcet_fresh_split, 0);
    wcet_step("merge", wcet_double_merge, 0);
    return wcet_report();
}
