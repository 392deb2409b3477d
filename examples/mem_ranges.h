/*
 * RAM detection's last step, shared by the examples that find their RAM at
 * boot (riscv, x86-kernel): the ranges the firmware reports as RAM, minus
 * what is taken there (the image, the boot data, reserved memory), handed to
 * the heap: the largest range to heap_init, the others to heap_add_region,
 * largest first.
 *
 * Firmware maps may list a range twice or let ranges overlap or touch: added
 * ranges are merged into their union, so no byte is given to the heap twice
 * (bareheap refuses an overlapping region, which would lose the part that
 * does not overlap) and touching ranges make one larger block. At most
 * MEM_RANGES_MAX ranges are kept, the largest ones; the bytes of any range
 * that does not fit are counted in dropped_bytes and left unused.
 */
#ifndef BAREHEAP_EXAMPLE_MEM_RANGES_H
#define BAREHEAP_EXAMPLE_MEM_RANGES_H

#include <stddef.h>
#include <stdint.h>

/* Ranges kept; a memory map rarely splits RAM into more than a few. */
#ifndef MEM_RANGES_MAX
#define MEM_RANGES_MAX 16u
#endif
#if MEM_RANGES_MAX < 1 || MEM_RANGES_MAX > 32
#error "MEM_RANGES_MAX must be 1..32 (mem_ranges_to_heap marks ranges in a 32-bit mask)"
#endif

typedef struct mem_range {
    uintptr_t lo, hi; /* [lo, hi) */
} mem_range;

/* Invariant: ranges[0..count) are non-empty, and no two overlap or touch. */
typedef struct mem_ranges {
    mem_range ranges[MEM_RANGES_MAX];
    unsigned count;
    uintptr_t dropped_bytes; /* of ranges that did not fit (never handed out) */
} mem_ranges;

/* Adds [lo, hi) (nothing if empty), merged with every range it overlaps or
 * touches. */
void mem_ranges_add(mem_ranges *m, uintptr_t lo, uintptr_t hi);

/* Takes [lo, hi) out of every range, splitting where it falls inside one. */
void mem_ranges_take(mem_ranges *m, uintptr_t lo, uintptr_t hi);

/* heap_init() with the largest range, then heap_add_region() with each other
 * range of at least min_bytes, largest first (so a heap with fewer region
 * slots than ranges gets the largest ones), printing each. Returns the
 * number of regions the heap has, 0 if heap_init failed or there was no
 * range. */
unsigned mem_ranges_to_heap(const mem_ranges *m, size_t min_bytes);

#endif
