/*
 * For the examples' boot tests on the boards: every byte the default heap
 * can hand out, allocated and written, so that memory the heap wrongly
 * covers (an initrd, the loader's strings) is overwritten; then given back.
 */
#ifndef BAREHEAP_TEST_HEAP_FILL_H
#define BAREHEAP_TEST_HEAP_FILL_H

#include <stddef.h>

#include "bareheap.h"

void *memset(void *dst, int c, size_t n); /* bareheap_libc's: no <string.h> here */

/* Takes the largest free block until none is left, writing each whole;
 * the blocks are chained through their first word. Returns the chain, and
 * the number of blocks in *count. */
static void *heap_fill_all(unsigned *count)
{
    bh_stats s;
    void *block, *first = NULL;
    *count = 0;
    while (heap_get_stats(&s) && s.largest_free_bytes >= sizeof(void *) &&
           (block = heap_alloc(s.largest_free_bytes)) != NULL) {
        memset(block, 0x5a, s.largest_free_bytes);
        *(void **)block = first;
        first = block;
        (*count)++;
    }
    return first;
}

/* Frees a chain heap_fill_all() returned. */
static void heap_free_chain(void *first)
{
    while (first != NULL) {
        void *next = *(void **)first;
        heap_free(first);
        first = next;
    }
}

#endif /* BAREHEAP_TEST_HEAP_FILL_H */
