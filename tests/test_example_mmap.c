/*
 * The x86 kernel example's reading of the multiboot memory map
 * (examples/x86-kernel/main.c, included here with its main renamed) on the
 * host: the information structure, the map and the RAM it lists are built
 * in memory below 4 GiB (the structure holds 32-bit addresses), and the
 * heap the example makes is checked. Overlapping usable entries must give
 * their union; reserved entries must be cut out; a damaged map (an entry
 * size that wraps the offset, one of zero, a length past the top) must end
 * the reading, not loop or read past the map.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS under -std=c99 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bareheap_config.h"
#include "example_check.h"

/* What the example needs from the board. */
const void *board_multiboot_info;
unsigned char __image_start[1], __image_end[1];

int example_main(int argc, char **argv);
#define main example_main
#include "x86-kernel/main.c"
#undef main

#ifndef MAP_32BIT
#define MAP_32BIT 0 /* 32-bit builds: every address is below 4 GiB */
#endif

#define ARENA_BYTES (16u << 20)
#define RAM_OFFSET (1u << 20) /* the RAM the map lists starts here in the arena */

static unsigned char *arena; /* [0, 1 MiB): info and map; then the RAM */
static uintptr_t ram;        /* arena + RAM_OFFSET */

static void put32le(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* Appends an entry with the given size field (20 for a well-formed one). */
static uint32_t put_entry(uint32_t off, uint32_t size, uint64_t base, uint64_t len, uint32_t type) {
    unsigned char *e = arena + 4096 + off;
    put32le(e, size);
    put32le(e + 4, (uint32_t)base);
    put32le(e + 8, (uint32_t)(base >> 32));
    put32le(e + 12, (uint32_t)len);
    put32le(e + 16, (uint32_t)(len >> 32));
    put32le(e + 20, type);
    return off + 24u;
}

/* Runs the example on a map of length bytes; its heap's total bytes, or 0
 * if it made none. */
static size_t run_map(uint32_t length) {
    mb_info *mbi = (mb_info *)(void *)arena;
    bh_stats stats;
    memset(mbi, 0, sizeof *mbi);
    mbi->flags = MB_FLAG_MMAP;
    mbi->mmap_addr = (uint32_t)(uintptr_t)(arena + 4096);
    mbi->mmap_length = length;
    board_multiboot_info = mbi;
    memset(&g_ram, 0, sizeof g_ram);
    if (example_main(0, NULL) != 0 || !heap_get_stats(&stats))
        return 0;
    return stats.heap_bytes;
}

static void test_overlapping_usable(void) {
    uint32_t n = 0;
    n = put_entry(n, 20, ram, 0x200000, 1);
    n = put_entry(n, 20, ram + 0x100000, 0x300000, 1); /* overlaps the first */
    n = put_entry(n, 20, ram, 0x100000, 1);            /* listed again */
    CHECK(run_map(n) == 0x400000);
}

static void test_reserved_cut_out(void) {
    uint32_t n = 0;
    bh_stats stats;
    n = put_entry(n, 20, ram, 0x400000, 1);
    n = put_entry(n, 20, ram + 0x100000, 0x1000, 2); /* inside: splits */
    n = put_entry(n, 20, ram + 0x3FF000, 0x2000, 2); /* across the end */
#if BAREHEAP_MAX_REGIONS >= 2
    CHECK(run_map(n) == 0x400000 - 0x1000 - 0x1000);
    CHECK(heap_get_stats(&stats) && stats.region_count == 2);
#else
    /* One region: the larger part only. */
    CHECK(run_map(n) == 0x400000 - 0x101000 - 0x1000);
    CHECK(heap_get_stats(&stats) && stats.region_count == 1);
#endif
}

static void test_damaged_maps(void) {
    uint32_t n = 0, good;
    /* A size that wraps the offset back to the same entry: the old loop
     * never ended. */
    n = put_entry(n, 20, ram, 0x100000, 1);
    good = n;
    n = put_entry(n, 0xFFFFFFFCu, ram + 0x200000, 0x100000, 1);
    CHECK(run_map(n) == 0x100000);
    /* Sizes of zero and of 19: the map ends there. */
    n = put_entry(good, 0, ram + 0x200000, 0x100000, 1);
    CHECK(run_map(n) == 0x100000);
    n = put_entry(good, 19, ram + 0x200000, 0x100000, 1);
    CHECK(run_map(n) == 0x100000);
    /* A size running past the map's length: that entry is not read. */
    n = put_entry(good, 20 + 64, ram + 0x200000, 0x100000, 1);
    CHECK(run_map(n) == 0x100000);
    /* A map length that ends inside an entry: the entry is not read. */
    n = put_entry(good, 20, ram + 0x200000, 0x100000, 1);
    CHECK(run_map(n - 1u) == 0x100000);
    /* A reserved entry whose base + length wraps 64 bits reserves to the
     * top: nothing above its base is RAM. */
    n = put_entry(good, 20, ram + 0x200000, 0x100000, 1);
    n = put_entry(n, 20, ram + 0x280000, UINT64_MAX - 0x1000, 2);
#if BAREHEAP_MAX_REGIONS >= 2
    CHECK(run_map(n) == 0x100000 + 0x80000);
#else
    CHECK(run_map(n) == 0x100000);
#endif
    /* A usable entry whose length wraps is damage, not RAM up to 4 GiB. */
    n = put_entry(good, 20, ram + 0x200000, UINT64_MAX - 0x1000, 1);
    CHECK(run_map(n) == 0x100000);
}

/* What a block of the heap must not overlap. */
typedef struct taken_range {
    uintptr_t lo, hi;
} taken_range;

static bool block_clear_of(void *context, const bh_block_info *b) {
    const taken_range *t = (const taken_range *)context;
    uintptr_t lo = (uintptr_t)b->ptr - sizeof(size_t), hi = lo + b->size_bytes;
    unsigned i;
    for (i = 0; t[i].hi != 0u; i++)
        CHECK(hi <= t[i].lo || lo >= t[i].hi);
    return true;
}

/* What a loader such as GRUB hands over besides the map, placed in the RAM
 * the map lists: the ELF section header table and a symbol table it copied
 * (bit 5), the drives (bit 7), the APM table (bit 10), the VBE blocks (bit
 * 11). None of it may become heap; a section placed at address 0 (not in
 * memory) takes nothing out. */
static void test_loader_structures(void) {
    mb_info *mbi = (mb_info *)(void *)arena;
    unsigned char *sh = (unsigned char *)ram + 0x10000;
    taken_range t[] = {
        {ram + 0x10000, ram + 0x10000 + 3 * 40}, /* the section headers */
        {ram + 0x20000, ram + 0x20000 + 0x3000}, /* a symbol table */
        {ram + 0x30000, ram + 0x30000 + 0x40},   /* the drives */
        {ram + 0x31000, ram + 0x31000 + 20},     /* APM */
        {ram + 0x32000, ram + 0x32000 + 512},    /* VBE control info */
        {ram + 0x33000, ram + 0x33000 + 256},    /* VBE mode info */
        {0, 0},
    };
    bh_stats stats;
    size_t taken = 0;
    unsigned i;
    memset(mbi, 0, sizeof *mbi);
    (void)put_entry(0, 20, ram, 0x400000, 1);
    memset(sh, 0, 3 * 40);
    put32le(sh + 40 + 12, (uint32_t)(ram + 0x20000)); /* sh_addr of section 1 */
    put32le(sh + 40 + 20, 0x3000);                     /* its sh_size */
    put32le(sh + 80 + 20, 0x5000);                     /* section 2: not in memory */
    mbi->flags = MB_FLAG_MMAP | MB_FLAG_ELF_SECTIONS | MB_FLAG_DRIVES | MB_FLAG_APM | MB_FLAG_VBE;
    mbi->mmap_addr = (uint32_t)(uintptr_t)(arena + 4096);
    mbi->mmap_length = 24;
    mbi->syms[0] = 3;
    mbi->syms[1] = 40;
    mbi->syms[2] = (uint32_t)(uintptr_t)sh;
    mbi->drives_addr = (uint32_t)(ram + 0x30000);
    mbi->drives_length = 0x40;
    mbi->apm_table = (uint32_t)(ram + 0x31000);
    mbi->vbe_control_info = (uint32_t)(ram + 0x32000);
    mbi->vbe_mode_info = (uint32_t)(ram + 0x33000);
    board_multiboot_info = mbi;
    memset(&g_ram, 0, sizeof g_ram);
    CHECK(example_main(0, NULL) == 0 && heap_get_stats(&stats));
    (void)bh_walk(heap_default(), block_clear_of, t);
    for (i = 0; t[i].hi != 0u; i++)
        taken += t[i].hi - t[i].lo;
    /* The pieces between them are there (as regions, or dropped when the
     * table or the heap has no room): the structures alone are missing. */
    CHECK(stats.heap_bytes + g_ram.dropped_bytes <= 0x400000 - taken);
    CHECK(stats.heap_bytes >= 0x400000 - 0x40000);
}

int main(void) {
    arena = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (arena == MAP_FAILED || (uintptr_t)arena + ARENA_BYTES > 0xFFFFF000u || (uintptr_t)arena < 0x100000u) {
        fprintf(stderr, "no memory between 1 MiB and 4 GiB for the map\n");
        return 1;
    }
    ram = (uintptr_t)arena + RAM_OFFSET;
    test_overlapping_usable();
    test_reserved_cut_out();
    test_damaged_maps();
    test_loader_structures();
    return check_report();
}
