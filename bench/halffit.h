/*
 * The benchmarks' half-fit allocator (bench/halffit.c), the algorithm o1heap
 * uses, so that latency and instruction figures can be set beside one of its
 * kind. Hosted builds only; not part of bareheap.
 */
#ifndef BENCH_HALFFIT_H
#define BENCH_HALFFIT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hf_heap hf_heap;

/* A heap in [mem, mem + size_bytes), or NULL if it cannot hold one fragment. */
hf_heap *hf_init(void *mem, size_t size_bytes);
/* A fragment of the next power of two above size_bytes plus the header, or
 * NULL (0 bytes, too large, or no free fragment that large). O(1). */
void *hf_alloc(hf_heap *h, size_t size_bytes);
/* Frees ptr (NULL: nothing), merging with free neighbours. O(1); ptr must
 * come from hf_alloc on h and not be freed yet (not checked). */
void hf_free(hf_heap *h, void *ptr);
size_t hf_usable_size(const void *ptr);
size_t hf_alignment(void);
size_t hf_capacity(const hf_heap *h);
/* Free fragments, counted over every list: O(n), for the scenario checks. */
size_t hf_free_fragments(const hf_heap *h);
/* Whether every invariant holds (the fragments tile the arena, the lists
 * and the bitmap agree, no two free fragments are neighbours, the byte count
 * is right): O(n), run by the driver after each counted workload. */
bool hf_check(const hf_heap *h);

#endif /* BENCH_HALFFIT_H */
