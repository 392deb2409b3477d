/*
 * The bare-metal examples' workload (examples/demo_workload.c) on the host,
 * on heaps from too small for anything up to large enough for all of it:
 * whatever fails, the demo must report it and leave the heap as it found it
 * (no live block, heap_check() clean), since firmware copies its calls.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "allocator.h"
#include "demo_workload.h"
/* Included, not linked: its number formatter is checked below. */
#include "walk_dump.c"

/* The board console the workload prints to: discarded. */
void board_write(const char *text, size_t n) {
    (void)text;
    (void)n;
}

static union {
    long double align;
    unsigned char bytes[16384];
} g_heap;

/* What number_put() wrote. */
static char g_text[64];
static size_t g_text_len;
static void text_capture(const char *text, size_t n) {
    if (n <= sizeof g_text - 1u - g_text_len) {
        memcpy(g_text + g_text_len, text, n);
        g_text_len += n;
        g_text[g_text_len] = '\0';
    }
}

/* walk_dump's formatter prints every uintptr_t whole, in base 10 too:
 * UINTPTR_MAX has 20 decimal digits on a 64-bit target, one more than its
 * buffer held (2 + 2 * sizeof v + 1, the hex form's size). */
static unsigned check_number_put(void) {
    static const unsigned bases[2] = {10u, 16u};
    char expect[32];
    unsigned failures = 0, i;
    for (i = 0; i < 2u; i++) {
        g_text_len = 0;
        number_put(text_capture, UINTPTR_MAX, bases[i]);
        snprintf(expect, sizeof expect, bases[i] == 10u ? "%ju" : "0x%jx", (uintmax_t)UINTPTR_MAX);
        if (strcmp(g_text, expect) != 0) {
            fprintf(stderr, "number_put(UINTPTR_MAX, %u) wrote \"%s\", not %s\n", bases[i], g_text, expect);
            failures++;
        }
    }
    return failures;
}

int main(void) {
    unsigned checks = 0, failures = 0, ran = 0, ok_runs = 0;
    size_t n;
    checks += 2;
    failures += check_number_put();
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
