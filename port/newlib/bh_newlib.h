/*
 * What port/newlib/bh_newlib.c offers beyond newlib's own malloc family.
 */
#ifndef BH_NEWLIB_H
#define BH_NEWLIB_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Adds [mem, mem + size_bytes) to the heap malloc() serves, as
 * heap_add_region() does (same refusals, same return value), at any time:
 * before the first allocation too, when it first makes the heap from
 * [__heap_start, __heap_end). Runs between __malloc_lock() and
 * __malloc_unlock(), like malloc(). heap_add_region() called directly does
 * neither: before the first allocation there is no default heap, so it
 * returns false and adds nothing, and it does not take newlib's lock. */
bool bh_newlib_add_region(void *mem, size_t size_bytes);

#ifdef __cplusplus
}
#endif

#endif /* BH_NEWLIB_H */
