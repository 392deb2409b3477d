/*
 * RAM detection's last step, shared by the examples that find their RAM at
 * boot (riscv, x86-kernel): the ranges the firmware reports as RAM, minus
 * what is taken there (the image, the boot data, reserved memory), handed to
 * the heap: the largest range to heap_init, the others to heap_add_region.
 * At most MEM_RANGES_MAX ranges; a range that would not fit is dropped (its
 * memory is left unused, never given twice).
 */
#ifndef BAREHEAP_EXAMPLE_MEM_RANGES_H
#define BAREHEAP_EXAMPLE_MEM_RANGES_H

#include <stddef.h>
#include <stdint.h>

#define MEM_RANGES_MAX 16u

typedef struct mem_range {
    uintptr_t lo, hi; /* [lo, hi) */
} mem_range;

/* ranges[0..count) are disjoint; a take may leave one of them empty. */
typedef struct mem_ranges {
    mem_range ranges[MEM_RANGES_MAX];
    unsigned count;
} mem_ranges;

/* Adds [lo, hi) (nothing if empty). */
void mem_ranges_add(mem_ranges *m, uintptr_t lo, uintptr_t hi);

/* Takes [lo, hi) out of every range, splitting where it falls inside one. */
void mem_ranges_take(mem_ranges *m, uintptr_t lo, uintptr_t hi);

/* heap_init() with the largest range, heap_add_region() with each other
 * range of at least min_bytes, printing each. Returns the number of
 * regions the heap has, 0 if heap_init failed or there was no range. */
unsigned mem_ranges_to_heap(const mem_ranges *m, size_t min_bytes);

#endif
