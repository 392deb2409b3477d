/*
 * The default-heap usage example, run on the host: a firmware-style heap in a
 * static array, the calls a firmware makes, and a summary of what the heap
 * did (counters from bh_get_stats(), a map from bh_walk(), and the same walk
 * as a dump that tools/replay turns into a picture).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "allocator.h"
#include "walk_dump.h"

/* A heap as a firmware has one: a fixed array the linker places. */
static union {
    double align_as_double;
    void *align_as_pointer;
    unsigned char bytes[64 * 1024];
} heap_memory;

static void print_stats(const char *when) {
    bh_stats s;
    if (!heap_get_stats(&s))
        return;
    printf("%-26s used %6zu  free %6zu  largest %6zu  live %3zu  free blocks %3zu\n", when,
           s.used_bytes, s.free_bytes, s.largest_free_bytes, s.live_blocks, s.free_blocks);
}

/* One character per 512 bytes of heap: '#' used, '.' free, '|' block boundary
 * inside the same cell is not shown. */
struct map {
    char cells[129];
    size_t offset;
};

static bool map_block(void *context, const bh_block_info *block) {
    struct map *m = context;
    size_t first = m->offset / 512, last = (m->offset + block->size_bytes - 1) / 512, i;
    for (i = first; i <= last && i < 128; i++) {
        if (block->used || m->cells[i] == 0)
            m->cells[i] = block->used ? '#' : '.';
    }
    m->offset += block->size_bytes;
    return true;
}

static void print_map(void) {
    struct map m;
    memset(&m, 0, sizeof m);
    bh_walk(heap_default(), map_block, &m);
    printf("heap map (512 B per cell, # used, . free):\n  %s\n", m.cells);
}

static void stdout_write(const char *text, size_t n) { fwrite(text, 1, n, stdout); }

int main(void) {
    char *message, *table, *grown;
    uintptr_t message_address;
    void *dma;
    int *numbers;
    size_t i;
    bh_stats s;

    if (!heap_init(heap_memory.bytes, sizeof heap_memory.bytes)) {
        printf("heap_init failed\n");
        return 1;
    }
    heap_get_stats(&s);
    printf("bareheap demo: %zu byte heap, control structure %zu bytes, %zu bytes allocatable\n",
           s.heap_bytes, s.control_bytes, s.largest_free_bytes);
    print_stats("after heap_init");

    /* The usage example: allocate, use, resize, free. */
    message = heap_alloc(64);
    if (!message)
        return 1;
    strcpy(message, "hello from bareheap");
    numbers = heap_calloc(100, sizeof *numbers);
    table = heap_alloc(3000);
    dma = heap_alloc_aligned(256, 1024);
    if (!numbers || !table || !dma)
        return 1;
    for (i = 0; i < 100; i++)
        numbers[i] = (int)(i * i);
    print_stats("after 4 allocations");
    print_map();
    /* Block by block: bareheap-replay --walk-dump LOG --svg MAP.svg draws it. */
    (void)walk_dump_print(heap_default(), stdout_write);

    /* The old address as an integer: once realloc has freed a block, even
     * comparing a pointer to it is undefined. */
    message_address = (uintptr_t)message;
    grown = heap_realloc(message, 200);
    if (!grown)
        return 1;
    printf("realloc kept the text: \"%s\" (%s)\n", grown,
           (uintptr_t)grown == message_address ? "in place" : "moved");
    printf("usable size of the 200-byte block: %zu, DMA buffer aligned to 256: %s\n",
           heap_usable_size(grown), ((size_t)dma % 256) == 0 ? "yes" : "no");

    heap_free(table);
    print_stats("after freeing the table");
    heap_free(grown);
    heap_free(numbers);
    heap_free(dma);
    print_stats("after freeing everything");
    heap_free(NULL); /* does nothing */

    heap_get_stats(&s);
    printf("peak used %zu bytes, %u allocations, %u frees, %u failed, heap_check() found %zu problems\n",
           s.peak_used_bytes, (unsigned)s.alloc_count, (unsigned)s.free_count, (unsigned)s.failed_count,
           heap_check());
    return heap_check() == 0 && s.live_blocks == 0 ? 0 : 1;
}
