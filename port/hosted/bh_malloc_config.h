/*
 * The core's configuration inside the hosted malloc shim (given to
 * src/bareheap.c as BAREHEAP_CONFIG_HEADER, so the core sources stay
 * untouched and the firmware defaults stay what they are).
 */
#ifndef BH_MALLOC_CONFIG_H
#define BH_MALLOC_CONFIG_H

/* An arena grows by adding regions; every region is one more entry in the
 * region table, so allow the most the core supports. Region sizes double
 * (bh_malloc.c), so 64 regions cover far more than an arena's address slice. */
#define BAREHEAP_MAX_REGIONS 64

/* O(1) validation of every pointer given to free, realloc and
 * malloc_usable_size: a bad free is reported on stderr and ignored, not
 * obeyed. */
#define BAREHEAP_DEBUG 1

/* A program on Linux is judged on its memory, not on a cycle budget per
 * call: take the closest fit of the request's own class first. Measured with
 * make bench-malloc, one thread: peak RSS of mstress 1.13 -> 1.04x glibc's,
 * rptest 1.17 -> 1.01x. */
#define BAREHEAP_CLOSE_FIT 1

/* The shim has arenas, not the core's default heap. */
#define BAREHEAP_DEFAULT_HEAP 0

#endif /* BH_MALLOC_CONFIG_H */
