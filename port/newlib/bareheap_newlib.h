/*
 * What port/newlib/bh_newlib.c offers beyond newlib's (or picolibc's) own
 * malloc family.
 */
#ifndef BAREHEAP_NEWLIB_H
#define BAREHEAP_NEWLIB_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Adds [mem, mem + size_bytes) to the heap malloc() serves, as
 * heap_add_region() does (same refusals, same return value), at any time:
 * before the first allocation too. The heap is the default heap the
 * firmware made (heap_init(), heap_init_ex()) if there is one; otherwise
 * this call first makes it from [__heap_start, __heap_end), sized as
 * bh_newlib.c's BAREHEAP_NEWLIB_MAX_REGION_BYTES says (a region larger
 * than the first is served best by a heap sized for it: heap_init_ex()
 * before the first allocation, or that macro). If that range cannot hold a heap (a linker
 * script that leaves it empty because all of the heap is memory set up at
 * run time), malloc() fails with ENOMEM until this call, which then makes
 * the heap from [mem, mem + size_bytes) as heap_init() does (false, and
 * still no heap, if heap_init() would refuse it). Runs under the C
 * library's allocator lock, like malloc(): newlib's __malloc_lock() and
 * __malloc_unlock(), picolibc's __LIBC_LOCK(). heap_add_region() called
 * directly does neither: before the first allocation there is no default
 * heap, so it returns false and adds nothing, and it does not take the C
 * library's lock.
 * NULL mem or size_bytes 0: false, nothing added. mem need not be aligned
 * (the region starts at its first aligned block). O(BAREHEAP_MAX_REGIONS).
 * Thread-safe as malloc() is, through that lock; from an interrupt handler
 * only where the lock masks that interrupt. The memory must
 * stay the heap's for the rest of the program. */
bool bh_newlib_add_region(void *mem, size_t size_bytes);

#ifdef __cplusplus
}
#endif

#endif /* BAREHEAP_NEWLIB_H */
