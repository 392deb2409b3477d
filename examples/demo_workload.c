/*
 * The workload of the bare-metal examples, after heap_init(): the usage
 * example of the README, then what firmware does with a heap (message
 * buffers queued and released out of order, a log that grows by realloc, a
 * DMA buffer aligned to 1 KiB), then the statistics, a map of the heap
 * (bh_walk) and a dump of its blocks that tools/replay draws
 * (examples/walk_dump.h). Prints through the board console
 * (port/baremetal/board.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allocator.h"
#include "board.h"
#include "demo_workload.h"
#include "walk_dump.h"

static void put(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    board_write(s, n);
}

static void put_num(uint64_t v, unsigned base)
{
    char buf[24]; /* 2^64 - 1 has 20 digits */
    size_t n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        buf[n++] = (char)(d < 10u ? '0' + d : 'a' + d - 10u);
        v /= base;
    } while (v != 0u);
    if (base == 16u) {
        put("0x");
    }
    while (n > 0u) {
        board_write(&buf[--n], 1);
    }
}

void demo_put_line(const char *label, uint64_t value, unsigned base)
{
    put(label);
    put_num(value, base);
    put("\n");
}

static bool map_block(void *context, const bh_block_info *b)
{
    unsigned *column = (unsigned *)context;
    /* One character per block: U used, . free; the address every 64 blocks. */
    if (*column % 64u == 0u) {
        put(*column == 0u ? "" : "\n");
        put_num((uintptr_t)b->ptr, 16u);
        put("  ");
    }
    board_write(b->used ? "U" : ".", 1);
    (*column)++;
    return true;
}

static void print_stats(const char *when)
{
    bh_stats s;
    unsigned column = 0;
    if (!heap_get_stats(&s)) {
        return;
    }
    put("-- ");
    put(when);
    put(" --\n");
    demo_put_line("  total bytes      ", s.total_bytes, 10u);
    demo_put_line("  used bytes       ", s.used_bytes, 10u);
    demo_put_line("  free bytes       ", s.free_bytes, 10u);
    demo_put_line("  peak used        ", s.peak_used_bytes, 10u);
    demo_put_line("  largest alloc    ", s.largest_free_bytes, 10u);
    demo_put_line("  live blocks      ", s.live_blocks, 10u);
    demo_put_line("  free blocks      ", s.free_blocks, 10u);
    demo_put_line("  allocations      ", s.alloc_count, 10u);
    demo_put_line("  failed requests  ", s.failed_count, 10u);
    put("  map (U used, . free, one letter per block):\n  ");
    (void)bh_walk(heap_default(), map_block, &column);
    put("\n");
}

int demo_run(void)
{
    enum { MESSAGES = 24 };
    char *msg;
    void *dma;
    char *queue[MESSAGES];
    uint32_t *log = NULL;
    size_t log_len = 0, i;
    int errors = 0;

    /* The usage example. A failed realloc leaves the block where it was,
     * still to be freed: never assign its result over the only pointer. */
    msg = heap_alloc(64);
    if (msg != NULL) {
        char *grown = heap_realloc(msg, 256);
        if (grown != NULL) {
            msg = grown;
        } else {
            errors++;
        }
    }
    dma = heap_alloc_aligned(256, 1024);
    if (msg == NULL || dma == NULL || ((uintptr_t)dma & 255u) != 0u) {
        errors++;
    }
    heap_free(msg);
    heap_free(dma);

    /* Message buffers of varying sizes, freed out of order. */
    for (i = 0; i < MESSAGES; i++) {
        queue[i] = heap_alloc(16u + (i * 37u) % 200u);
        if (queue[i] == NULL) {
            errors++;
        } else {
            queue[i][0] = (char)i;
        }
    }
    for (i = 0; i < MESSAGES; i += 2u) {
        heap_free(queue[i]);
        queue[i] = NULL;
    }

    /* A sample log that grows by realloc, doubling. */
    for (i = 0; i < 500u; i++) {
        if (i == log_len) {
            size_t grown = log_len == 0u ? 8u : 2u * log_len;
            uint32_t *bigger = heap_realloc(log, grown * sizeof *log);
            if (bigger == NULL) {
                errors++;
                break;
            }
            log = bigger;
            log_len = grown;
        }
        log[i] = (uint32_t)(i * 2654435761u);
    }

    /* A DMA descriptor ring: 1 KiB aligned, zeroed (the heap hands out
     * memory as the last user left it: no descriptor may start owned by
     * the device). */
    dma = heap_alloc_aligned(1024, 512);
    if (dma == NULL || ((uintptr_t)dma & 1023u) != 0u) {
        errors++;
    } else {
        for (i = 0; i < 512u; i++) {
            ((unsigned char *)dma)[i] = 0u;
        }
    }

    print_stats("while running");
    /* The same map, block by block, for bareheap-replay --walk-dump LOG --svg MAP.svg */
    (void)walk_dump_print(heap_default(), board_write);

    heap_free(dma);
    heap_free(log);
    for (i = 1; i < MESSAGES; i += 2u) {
        if (queue[i] != NULL && queue[i][0] != (char)i) {
            errors++;
        }
        heap_free(queue[i]);
    }
    if (heap_check() != 0u) {
        errors++;
    }
    print_stats("after freeing everything");
    put(errors == 0 ? "demo: ok\n" : "demo: FAILED\n");
    return errors;
}
