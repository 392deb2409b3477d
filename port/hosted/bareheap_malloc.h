/*
 * bareheap as the process's malloc on Linux (port/hosted/).
 *
 * libbareheap-malloc.so (LD_PRELOAD) and libbareheap-malloc.a (link it into a
 * program) define malloc, free, calloc, realloc, reallocarray,
 * posix_memalign, aligned_alloc, memalign, valloc, pvalloc,
 * malloc_usable_size and malloc_trim with glibc's contract (and glibc's
 * other names for them: __libc_malloc and its family, cfree), and the few
 * introspection calls below, which tests and tools use to see where a block
 * lives. Nothing else is exported.
 *
 * Thread safety: every call may be made from any thread, and from a child
 * after fork(). Not from a signal handler (neither may glibc's).
 */
#ifndef BAREHEAP_MALLOC_H
#define BAREHEAP_MALLOC_H

#include <stddef.h>

#include "bareheap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where ptr lives: the index of the arena whose heap holds it (0 ..
 * bh_hosted_arena_count() - 1), BH_HOSTED_DIRECT for a block mapped on its
 * own (a request of at least the mmap threshold), BH_HOSTED_FOREIGN for NULL
 * and anything else. O(1): address arithmetic, plus reading the tag word of
 * a directly mapped block. */
#define BH_HOSTED_DIRECT (-1)
#define BH_HOSTED_FOREIGN (-2)
int bh_hosted_arena_of(const void *ptr);

/* Arenas the process may use (fixed at start-up: BAREHEAP_ARENAS, else four
 * per CPU the process may run on, 4..64; fewer if the address space cannot
 * hold them all). */
int bh_hosted_arena_count(void);

/* Requests of at least this many bytes get their own mapping. */
size_t bh_hosted_mmap_threshold(void);

/* The core's counters of one arena. False for an index out of range or an
 * arena no thread has used yet. Blocks freed into a thread cache, or freed
 * by another thread and not yet given back, still count as used there. */
bool bh_hosted_arena_stats(int arena, bh_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* BAREHEAP_MALLOC_H */
