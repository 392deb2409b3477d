/*
 * The bare-metal examples' workload (examples/demo_workload.c) on the host,
 * on heaps from too small for anything up to large enough for all of it:
 * whatever fails, the demo must report it and leave the heap as it found it
 * (no live block, heap_check() clean), since firmware copies its calls.
 */
#include <stdint.h>
#include <stdio.h>

#include "allocator.h"
#include "demo_workload.h"

/* The board console the workload prints to: discarded. */
void board_write(const char *text, size_t n) {
    (void)text;
    (void)n;
}

static union {
    long double align;
    unsigned char bytes[16384];
} g_heap;

int main(void) {
    unsigned checks = 0, failures = 0, ran = 0, ok_runs = 0;
    size_t n;
    for (n = 64; n <= sizeof g_heap.bytes; n += 8) {
        bh_stats s;
        int errors;
        if (!heap_init(g_heap.bytes, n))
            continue;
        ran++;
        errors = demo_run();
        ok_runs += errors == 0;
        checks++;
        if (!heap_get_stats(&s) || s.live_blocks != 0u || s.used_bytes != 0u || heap_check() != 0u) {
            failures++;
            fprintf(stderr, "heap of %zu bytes: %zu blocks (%zu bytes) left live after the demo (errors %d)\n", n,
                    s.live_blocks, s.used_bytes, errors);
        }
    }
    /* Both ends were reached: runs that failed somewhere, and clean ones. */
    checks += 2;
    failures += ran == 0u || ran == ok_runs;
    failures += ok_runs == 0u;
    printf("%u passed, %u failed\n", checks - failures, failures);
    return failures != 0;
}
