/*
 * A bh_walk() dump in a line format that tools/replay reads
 * (bareheap-replay --walk-dump LOG --svg MAP.svg draws it):
 *
 *   bh-walk begin word=4 align=8 heap=65536 control=760
 *   bh-walk block 0x20001000 32 used 0      block address, size (header included), used|free, region
 *   bh-walk end blocks=45
 *
 * Lines may be mixed with other console output: the reader takes those that
 * contain "bh-walk ". No stdio: the text goes through the caller's console.
 */
#ifndef BAREHEAP_WALK_DUMP_H
#define BAREHEAP_WALK_DUMP_H

#include <stddef.h>

#include "bareheap.h"

/* Writes n bytes of text (a board's console, fwrite to stdout, ...). */
typedef void (*walk_dump_write_fn)(const char *text, size_t n);

/* Prints every block of heap; returns the number of blocks printed. */
size_t walk_dump_print(bh_heap *heap, walk_dump_write_fn write_fn);

#endif
