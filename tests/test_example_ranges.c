/*
 * The RAM-range bookkeeping the RAM-detecting examples share
 * (examples/mem_ranges.c) on the host: ranges a memory map lists twice,
 * overlapping or touching, must become their union; taken ranges must leave
 * exactly the rest; with more ranges than slots the largest are kept and the
 * rest counted; the heap gets the largest ranges first and no byte twice.
 * Random sequences are checked against a bitmap of the address space.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bareheap.h"
#include "bareheap_config.h"
#include "mem_ranges.h"

#define EXAMPLE_OWN_PUT_LINE
#include "example_check.h"

/* What mem_ranges_to_heap() printed: the refused regions' addresses. */
static uintptr_t refused[MEM_RANGES_MAX];
static unsigned refused_count;

void demo_put_line(const char *label, uint64_t value, unsigned base) {
    (void)base;
    if (strncmp(label, "region refused", 14) == 0 && refused_count < MEM_RANGES_MAX)
        refused[refused_count++] = (uintptr_t)value;
}

/* The invariant of mem_ranges.h: non-empty, no two overlapping or touching. */
static int ranges_valid(const mem_ranges *m) {
    unsigned i, j;
    for (i = 0; i < m->count; i++) {
        if (m->ranges[i].hi <= m->ranges[i].lo)
            return 0;
        for (j = 0; j < i; j++) {
            if (m->ranges[i].lo <= m->ranges[j].hi && m->ranges[j].lo <= m->ranges[i].hi)
                return 0;
        }
    }
    return 1;
}

static int has_range(const mem_ranges *m, uintptr_t lo, uintptr_t hi) {
    unsigned i;
    for (i = 0; i < m->count; i++) {
        if (m->ranges[i].lo == lo && m->ranges[i].hi == hi)
            return 1;
    }
    return 0;
}

static void test_overlapping_entries_merge(void) {
    mem_ranges m;
    memset(&m, 0, sizeof m);
    /* Overlapping: the union, not two ranges (the heap would refuse the
     * second and lose its part beyond the first). */
    mem_ranges_add(&m, 0x1000, 0x5000);
    mem_ranges_add(&m, 0x3000, 0x8000);
    CHECK(m.count == 1 && has_range(&m, 0x1000, 0x8000));
    /* Listed twice, and contained: nothing changes. */
    mem_ranges_add(&m, 0x1000, 0x8000);
    mem_ranges_add(&m, 0x2000, 0x3000);
    CHECK(m.count == 1 && has_range(&m, 0x1000, 0x8000));
    /* Touching: one block. */
    mem_ranges_add(&m, 0x8000, 0x9000);
    CHECK(m.count == 1 && has_range(&m, 0x1000, 0x9000));
    /* Apart, then one range over both gaps joins all three. */
    mem_ranges_add(&m, 0xA000, 0xB000);
    mem_ranges_add(&m, 0xC000, 0xD000);
    CHECK(m.count == 3);
    mem_ranges_add(&m, 0x8800, 0xC800);
    CHECK(m.count == 1 && has_range(&m, 0x1000, 0xD000));
    /* Empty and inverted ranges are nothing. */
    mem_ranges_add(&m, 0x20000, 0x20000);
    mem_ranges_add(&m, 0x30000, 0x20000);
    CHECK(m.count == 1 && m.dropped_bytes == 0);
    CHECK(ranges_valid(&m));
}

static void test_take(void) {
    mem_ranges m;
    memset(&m, 0, sizeof m);
    mem_ranges_add(&m, 0x1000, 0x9000);
    mem_ranges_take(&m, 0x3000, 0x4000); /* inside: splits */
    CHECK(m.count == 2 && has_range(&m, 0x1000, 0x3000) && has_range(&m, 0x4000, 0x9000));
    mem_ranges_take(&m, 0x0, 0x2000); /* the lower edge */
    CHECK(m.count == 2 && has_range(&m, 0x2000, 0x3000));
    mem_ranges_take(&m, 0x8000, 0x10000); /* the upper edge */
    CHECK(m.count == 2 && has_range(&m, 0x4000, 0x8000));
    mem_ranges_take(&m, 0x2800, 0x5000); /* across both */
    CHECK(m.count == 2 && has_range(&m, 0x2000, 0x2800) && has_range(&m, 0x5000, 0x8000));
    mem_ranges_take(&m, 0x2000, 0x2800); /* all of one: gone, not left empty */
    CHECK(m.count == 1 && has_range(&m, 0x5000, 0x8000));
    mem_ranges_take(&m, 0x6000, 0x6000); /* empty: nothing */
    CHECK(m.count == 1 && has_range(&m, 0x5000, 0x8000));
    mem_ranges_take(&m, 0x0, UINTPTR_MAX);
    CHECK(m.count == 0 && m.dropped_bytes == 0);
}

/* More ranges than slots: the largest are kept, whatever the order they
 * come in, and every byte of the others is counted as dropped. */
static void test_capacity(void) {
    enum { N = MEM_RANGES_MAX + 5 };
    uintptr_t expect_dropped = 0;
    unsigned i;
    mem_ranges m;
    memset(&m, 0, sizeof m);
    for (i = 0; i < N; i++) {
        unsigned k = i % 2u ? N - 1u - i / 2u : i / 2u; /* sizes small, large, small... */
        uintptr_t lo = 0x100000u * (k + 1u);
        mem_ranges_add(&m, lo, lo + 0x1000u * (k + 1u));
    }
    for (i = 0; i < N - MEM_RANGES_MAX; i++)
        expect_dropped += 0x1000u * (i + 1u);
    CHECK(m.count == MEM_RANGES_MAX && ranges_valid(&m));
    CHECK(m.dropped_bytes == expect_dropped);
    for (i = N - MEM_RANGES_MAX; i < N; i++)
        CHECK(has_range(&m, 0x100000u * (i + 1u), 0x100000u * (i + 1u) + 0x1000u * (i + 1u)));

    /* A split needs a slot: with none free the smallest range goes, here
     * the split's own lower part. */
    mem_ranges_take(&m, 0x100000u * N + 0x100u, 0x100000u * N + 0x200u);
    CHECK(m.count == MEM_RANGES_MAX && ranges_valid(&m));
    CHECK(has_range(&m, 0x100000u * N + 0x200u, 0x100000u * N + 0x1000u * N));
    CHECK(m.dropped_bytes == expect_dropped + 0x100u);
    /* And here the smallest other range. */
    mem_ranges_take(&m, 0x100000u * N + 0x8000u, 0x100000u * N + 0x8100u);
    CHECK(m.count == MEM_RANGES_MAX && ranges_valid(&m));
    CHECK(has_range(&m, 0x100000u * N + 0x200u, 0x100000u * N + 0x8000u));
    CHECK(has_range(&m, 0x100000u * N + 0x8100u, 0x100000u * N + 0x1000u * N));
    CHECK(!has_range(&m, 0x100000u * (N - MEM_RANGES_MAX + 1u),
                     0x100000u * (N - MEM_RANGES_MAX + 1u) + 0x1000u * (N - MEM_RANGES_MAX + 1u)));
    CHECK(m.dropped_bytes == expect_dropped + 0x100u + 0x1000u * (N - MEM_RANGES_MAX + 1u));
}

/* Random adds and takes against a bitmap of a 64 KiB address space in
 * 16-byte units, while no range was dropped. */
static void test_against_bitmap(void) {
    enum { UNITS = 4096, UNIT = 16 };
    static unsigned char model[UNITS];
    uint64_t seed = 0x243F6A8885A308D3ull;
    unsigned round, op, u, i;
    for (round = 0; round < 600; round++) {
        mem_ranges m;
        memset(&m, 0, sizeof m);
        memset(model, 0, sizeof model);
        for (op = 0; op < 24; op++) {
            unsigned a, b, len;
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            a = (unsigned)(seed >> 33) % UNITS;
            len = 1u + (unsigned)(seed >> 20) % (op % 3u == 0u ? 1024u : 64u);
            b = a + len > UNITS ? UNITS : a + len;
            /* Adds first, then mostly takes, as the examples do. */
            if ((seed >> 60) < (op < 12u ? 12u : 4u)) {
                mem_ranges_add(&m, (uintptr_t)a * UNIT, (uintptr_t)b * UNIT);
                memset(model + a, 1, b - a);
            } else {
                mem_ranges_take(&m, (uintptr_t)a * UNIT, (uintptr_t)b * UNIT);
                memset(model + a, 0, b - a);
            }
            if (m.dropped_bytes != 0)
                break;
            if (!ranges_valid(&m)) {
                CHECK(ranges_valid(&m));
                return;
            }
            for (u = 0; u < UNITS; u++) {
                int covered = 0;
                for (i = 0; i < m.count; i++)
                    covered |= m.ranges[i].lo <= (uintptr_t)u * UNIT && (uintptr_t)u * UNIT < m.ranges[i].hi;
                if (covered != model[u]) {
                    CHECK(covered == model[u]);
                    return;
                }
            }
            checks++;
        }
    }
}

/* The heap gets the largest range from heap_init and the others largest
 * first: with more ranges than region slots, the smallest are refused. (A
 * mem_ranges keeps MEM_RANGES_MAX ranges: with more region slots than that,
 * every range kept becomes a region.) */
#define RANGES (BAREHEAP_MAX_REGIONS + 2u < MEM_RANGES_MAX ? BAREHEAP_MAX_REGIONS + 2u : MEM_RANGES_MAX)
#define REGIONS (BAREHEAP_MAX_REGIONS < RANGES ? BAREHEAP_MAX_REGIONS : RANGES)
#define SPACING ((RANGES + 1u) * 0x2000u) /* more than the largest range: none touch */
static void test_to_heap(void) {
    /* range i: (i + 1) * 8 KiB at i * SPACING, after aligning the first to 4 KiB */
    static unsigned char memory[(RANGES - 1u) * SPACING + RANGES * 0x2000u + 4096u];
    uintptr_t base = ((uintptr_t)memory + 4095u) & ~(uintptr_t)4095u, expect_total = 0;
    mem_ranges m;
    bh_stats stats;
    unsigned i;
    memset(&m, 0, sizeof m);
    /* added smallest first */
    for (i = 0; i < RANGES; i++)
        mem_ranges_add(&m, base + i * SPACING, base + i * SPACING + (i + 1u) * 0x2000u);
    refused_count = 0;
    CHECK(mem_ranges_to_heap(&m, 4096u) == REGIONS);
    CHECK(heap_get_stats(&stats) && stats.region_count == REGIONS);
    CHECK(refused_count == RANGES - REGIONS);
    for (i = 0; i < refused_count; i++)
        CHECK(refused[i] < base + (RANGES - REGIONS) * SPACING); /* the smallest */
    /* heap_init's region is the largest: the heap starts there. */
    CHECK((uintptr_t)heap_default() >= base + (RANGES - 1u) * SPACING);
    for (i = RANGES - REGIONS; i < RANGES; i++)
        expect_total += (i + 1u) * 0x2000u;
    CHECK(stats.heap_bytes == expect_total);

    /* Ranges below min_bytes are not offered at all. */
    memset(&m, 0, sizeof m);
    mem_ranges_add(&m, base, base + 0x10000u);
    mem_ranges_add(&m, base + 0x20000u, base + 0x20800u);
    refused_count = 0;
    CHECK(mem_ranges_to_heap(&m, 4096u) == 1 && refused_count == 0);
    CHECK(heap_get_stats(&stats) && stats.region_count == 1 && stats.heap_bytes == 0x10000u);

    /* No range: no heap_init. */
    memset(&m, 0, sizeof m);
    CHECK(mem_ranges_to_heap(&m, 4096u) == 0);
}

int main(void) {
    test_overlapping_entries_merge();
    test_take();
    test_capacity();
    test_against_bitmap();
    test_to_heap();
    return check_report();
}
