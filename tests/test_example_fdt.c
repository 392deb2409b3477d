/*
 * The RISC-V example's device-tree reader (examples/riscv/main.c, included
 * here with its main renamed) on the host, where a sanitizer sees every
 * read: it must find the memory range that holds a given address whatever
 * the order of nodes and ranges, report every reserved range (the header's
 * block and /reserved-memory), and on a damaged tree answer false or a
 * range without reading outside the tree. Each tree lives in a buffer of
 * exactly its totalsize, so a read past it is an AddressSanitizer report
 * in the sanitized trees and a Valgrind one under `make test-valgrind`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example_check.h"

/* What the example needs from the board; never used here. */
const void *board_fdt;
unsigned char __heap_start[1];

int example_main(int argc, char **argv);
#define main example_main
#include "riscv/main.c"
#undef main

/* ---- A small tree writer: #address-cells = #size-cells = 2 ---- */
typedef struct tree {
    unsigned char s[512]; /* structure block */
    size_t n;
    char str[128];        /* strings block */
    size_t nstr;
} tree;

static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void emit32(tree *t, uint32_t v) {
    put32(t->s + t->n, v);
    t->n += 4;
}

static void emit_bytes(tree *t, const void *b, size_t n) {
    memcpy(t->s + t->n, b, n);
    t->n += n;
    while (t->n % 4u)
        t->s[t->n++] = 0;
}

static uint32_t name_offset(tree *t, const char *name) {
    size_t i = 0;
    while (i < t->nstr) {
        if (strcmp(t->str + i, name) == 0)
            return (uint32_t)i;
        i += strlen(t->str + i) + 1u;
    }
    memcpy(t->str + t->nstr, name, strlen(name) + 1u);
    t->nstr += strlen(name) + 1u;
    return (uint32_t)i;
}

static void emit_prop(tree *t, const char *name, const void *value, size_t n) {
    emit32(t, FDT_PROP);
    emit32(t, (uint32_t)n);
    emit32(t, name_offset(t, name));
    emit_bytes(t, value, n);
}

static void emit_cells(tree *t, const char *name, const uint64_t *v, size_t count) {
    unsigned char b[64];
    size_t i;
    for (i = 0; i < count; i++) {
        put32(b + 8 * i, (uint32_t)(v[i] >> 32));
        put32(b + 8 * i + 4, (uint32_t)v[i]);
    }
    emit_prop(t, name, b, 8 * count);
}

static void emit_node(tree *t, const char *name) {
    emit32(t, FDT_BEGIN_NODE);
    emit_bytes(t, name, strlen(name) + 1u);
}

/* A memory node whose reg lists count (base, size) pairs. */
static void emit_memory(tree *t, const uint64_t *reg, size_t count) {
    emit_node(t, "memory@0");
    emit_prop(t, "device_type", "memory", 7);
    emit_cells(t, "reg", reg, 2 * count);
    emit32(t, FDT_END_NODE);
}

static void tree_begin(tree *t) {
    unsigned char two[4];
    memset(t, 0, sizeof *t);
    put32(two, 2);
    emit_node(t, "");
    emit_prop(t, "#address-cells", two, 4);
    emit_prop(t, "#size-cells", two, 4);
}

/* The finished tree in a buffer of exactly its size (caller frees), its
 * memory reservation block holding rsv_count (base, size) pairs. */
static unsigned char *tree_end_rsv(tree *t, size_t *total, const uint64_t *rsv, size_t rsv_count) {
    size_t off_rsv = 40, off_struct = off_rsv + 16u * (rsv_count + 1u), off_strings, i;
    unsigned char *fdt;
    emit32(t, FDT_END_NODE);
    emit32(t, FDT_END);
    off_strings = off_struct + t->n;
    *total = off_strings + t->nstr;
    fdt = calloc(1, *total);
    if (!fdt)
        abort();
    put32(fdt, FDT_MAGIC);
    put32(fdt + 4, (uint32_t)*total);
    put32(fdt + 8, (uint32_t)off_struct);
    put32(fdt + 12, (uint32_t)off_strings);
    put32(fdt + 16, (uint32_t)off_rsv);
    put32(fdt + 20, 17);
    put32(fdt + 24, 16);
    put32(fdt + 32, (uint32_t)t->nstr);
    put32(fdt + 36, (uint32_t)t->n);
    for (i = 0; i < 2u * rsv_count; i++) {
        put32(fdt + off_rsv + 8u * i, (uint32_t)(rsv[i] >> 32));
        put32(fdt + off_rsv + 8u * i + 4u, (uint32_t)rsv[i]);
    }
    memcpy(fdt + off_struct, t->s, t->n);
    memcpy(fdt + off_strings, t->str, t->nstr);
    return fdt;
}

static unsigned char *tree_end(tree *t, size_t *total) { return tree_end_rsv(t, total, NULL, 0); }

/* fdt_reserved()'s callback: records up to 8 ranges. */
typedef struct seen_ranges {
    uint64_t base[8], size[8];
    unsigned count;
} seen_ranges;

static bool record_range(void *context, uint64_t base, uint64_t size) {
    seen_ranges *r = (seen_ranges *)context;
    if (r->count < 8u) {
        r->base[r->count] = base;
        r->size[r->count] = size;
    }
    r->count++;
    return true;
}

#define RAM_BASE 0x80000000ull
#define RAM_BYTES 0x8000000ull
#define HIGH_BASE 0x100000000ull
#define HIGH_BYTES 0x40000000ull
#define IMAGE 0x80200000ull /* an address inside the RAM */

static void test_ranges_in_any_order(void) {
    const uint64_t high[] = {HIGH_BASE, HIGH_BYTES}, low[] = {RAM_BASE, RAM_BYTES};
    const uint64_t both[] = {HIGH_BASE, HIGH_BYTES, RAM_BASE, RAM_BYTES};
    uint64_t base = 0, size = 0;
    size_t total;
    unsigned char *fdt;
    tree t;

    /* Two nodes, the one without the image first. */
    tree_begin(&t);
    emit_memory(&t, high, 1);
    emit_memory(&t, low, 1);
    fdt = tree_end(&t, &total);
    CHECK(fdt_memory(fdt, IMAGE, &base, &size) && base == RAM_BASE && size == RAM_BYTES);
    CHECK(fdt_memory(fdt, HIGH_BASE + 5, &base, &size) && base == HIGH_BASE && size == HIGH_BYTES);
    CHECK(!fdt_memory(fdt, RAM_BASE + RAM_BYTES, &base, &size)); /* the hole between them */
    free(fdt);

    /* One node, two ranges in its reg, the one without the image first. */
    tree_begin(&t);
    emit_memory(&t, both, 2);
    fdt = tree_end(&t, &total);
    CHECK(fdt_memory(fdt, IMAGE, &base, &size) && base == RAM_BASE && size == RAM_BYTES);
    free(fdt);
}

/* The header's reservation block and /reserved-memory's children (with the
 * node's own cell counts), all reported; nothing else is. */
static void test_reserved_ranges(void) {
    const uint64_t low[] = {RAM_BASE, RAM_BYTES}, rsv[] = {0x80600000ull, 0x10000ull};
    unsigned char one[4], reg1[8];
    seen_ranges seen;
    size_t total;
    unsigned char *fdt;
    tree t;

    put32(one, 1);
    put32(reg1, 0x80400000u);
    put32(reg1 + 4, 0x100000u);
    tree_begin(&t);
    emit_memory(&t, low, 1);
    emit_node(&t, "reserved-memory");
    emit_prop(&t, "#address-cells", one, 4);
    emit_prop(&t, "#size-cells", one, 4);
    emit_node(&t, "carveout@80400000");
    emit_prop(&t, "reg", reg1, 8);
    emit32(&t, FDT_END_NODE);
    emit32(&t, FDT_END_NODE);
    fdt = tree_end_rsv(&t, &total, rsv, 1);
    memset(&seen, 0, sizeof seen);
    CHECK(fdt_reserved(fdt, record_range, &seen));
    CHECK(seen.count == 2);
    CHECK(seen.base[0] == 0x80600000ull && seen.size[0] == 0x10000ull);
    CHECK(seen.base[1] == 0x80400000ull && seen.size[1] == 0x100000ull);
    /* the memory node is still found, the reservations do not hide it */
    {
        uint64_t base = 0, size = 0;
        CHECK(fdt_memory(fdt, IMAGE, &base, &size) && base == RAM_BASE && size == RAM_BYTES);
    }
    free(fdt);

    /* No reservations at all: none reported. */
    tree_begin(&t);
    emit_memory(&t, low, 1);
    fdt = tree_end(&t, &total);
    memset(&seen, 0, sizeof seen);
    CHECK(fdt_reserved(fdt, record_range, &seen) && seen.count == 0);
    free(fdt);
}

/* The initrd /chosen points at (QEMU -initrd writes one cell each, other
 * loaders two) is reported with the reservations; one bound alone is damage. */
static void test_initrd_reserved(void) {
    const uint64_t low[] = {RAM_BASE, RAM_BYTES}, start64[] = {0x84000000ull}, end64[] = {0x84049000ull};
    unsigned char start32[4], end32[4];
    seen_ranges seen;
    size_t total;
    unsigned char *fdt;
    tree t;

    put32(start32, 0x84000000u);
    put32(end32, 0x84049000u);
    tree_begin(&t);
    emit_memory(&t, low, 1);
    emit_node(&t, "chosen");
    emit_prop(&t, "linux,initrd-start", start32, 4);
    emit_prop(&t, "linux,initrd-end", end32, 4);
    emit32(&t, FDT_END_NODE);
    fdt = tree_end(&t, &total);
    memset(&seen, 0, sizeof seen);
    CHECK(fdt_reserved(fdt, record_range, &seen) && seen.count == 1);
    CHECK(seen.base[0] == 0x84000000ull && seen.size[0] == 0x49000ull);
    free(fdt);

    tree_begin(&t);
    emit_memory(&t, low, 1);
    emit_node(&t, "chosen");
    emit_cells(&t, "linux,initrd-end", end64, 1); /* either order */
    emit_cells(&t, "linux,initrd-start", start64, 1);
    emit32(&t, FDT_END_NODE);
    fdt = tree_end(&t, &total);
    memset(&seen, 0, sizeof seen);
    CHECK(fdt_reserved(fdt, record_range, &seen) && seen.count == 1);
    CHECK(seen.base[0] == 0x84000000ull && seen.size[0] == 0x49000ull);
    free(fdt);

    tree_begin(&t);
    emit_memory(&t, low, 1);
    emit_node(&t, "chosen");
    emit_prop(&t, "linux,initrd-start", start32, 4);
    emit32(&t, FDT_END_NODE);
    fdt = tree_end(&t, &total);
    memset(&seen, 0, sizeof seen);
    CHECK(!fdt_reserved(fdt, record_range, &seen));
    free(fdt);
}

/* Both readers on a damaged tree: any answer but a range without the image
 * is allowed, and no read outside the tree (the sanitizers' part). */
static void read_damaged(const unsigned char *fdt) {
    uint64_t base, size;
    seen_ranges seen;
    CHECK(!fdt_memory(fdt, IMAGE, &base, &size) || (base <= IMAGE && IMAGE - base < size));
    memset(&seen, 0, sizeof seen);
    (void)fdt_reserved(fdt, record_range, &seen);
}

static void test_damaged_trees(void) {
    const uint64_t both[] = {HIGH_BASE, HIGH_BYTES, RAM_BASE, RAM_BYTES};
    uint64_t base, size;
    unsigned char *fdt, *cut;
    size_t total, k, bit;
    unsigned long seed = 12345;
    unsigned i;
    seen_ranges seen;
    tree t;

    tree_begin(&t);
    emit_memory(&t, both, 2);
    fdt = tree_end(&t, &total);

    /* Cut short at every length, its header saying so: the reg property or
     * the tree's end is missing, so the answer is false, never a read past
     * the cut. */
    for (k = 40; k < total; k++) {
        cut = malloc(k);
        if (!cut)
            abort();
        memcpy(cut, fdt, k);
        put32(cut + 4, (uint32_t)k);
        if (be32(cut + 12) > k)
            put32(cut + 12, (uint32_t)k);
        if (be32(cut + 12) + be32(cut + 32) > k)
            put32(cut + 32, (uint32_t)(k - be32(cut + 12)));
        if (be32(cut + 8) + be32(cut + 36) > k)
            put32(cut + 36, (uint32_t)(k - be32(cut + 8)));
        read_damaged(cut);
        free(cut);
    }

    /* A totalsize too short for the 40-byte header itself, in a buffer of
     * just that size: refused before any header field past it is read
     * (under ASan a read there stops the test). */
    for (k = 8; k < 40; k++) {
        cut = malloc(k);
        if (!cut)
            abort();
        memcpy(cut, fdt, k);
        put32(cut + 4, (uint32_t)k);
        CHECK(!fdt_memory(cut, IMAGE, &base, &size));
        memset(&seen, 0, sizeof seen);
        CHECK(!fdt_reserved(cut, record_range, &seen) && seen.count == 0);
        free(cut);
    }

    /* Header fields that point outside the tree: refused. */
    cut = malloc(total);
    if (!cut)
        abort();
    memcpy(cut, fdt, total);
    put32(cut + 36, (uint32_t)total); /* structure block longer than the tree */
    CHECK(!fdt_memory(cut, IMAGE, &base, &size));
    memcpy(cut, fdt, total);
    put32(cut + 12, 0xFFFFFFF0u); /* strings past the end */
    CHECK(!fdt_memory(cut, IMAGE, &base, &size));
    memcpy(cut, fdt, total);
    put32(cut + 20, 16); /* version 16: no structure size */
    CHECK(!fdt_memory(cut, IMAGE, &base, &size));
    free(cut);

    /* Random bit flips, one to four per tree, anywhere but in the magic and
     * the total size (the reader may trust that one: it says how much memory
     * the loader gave the tree). */
    for (i = 0; i < 20000; i++) {
        unsigned flips = 1u + (unsigned)(seed % 4u), j;
        unsigned char *damaged = malloc(total);
        if (!damaged)
            abort();
        memcpy(damaged, fdt, total);
        for (j = 0; j < flips; j++) {
            seed = seed * 6364136223846793005ul + 1442695040888963407ul;
            bit = (size_t)(seed >> 33) % ((total - 8) * 8u);
            damaged[8 + bit / 8u] ^= (unsigned char)(1u << (bit % 8u));
        }
        read_damaged(damaged);
        free(damaged);
    }
    free(fdt);
}

int main(void) {
    test_ranges_in_any_order();
    test_reserved_ranges();
    test_initrd_reserved();
    test_damaged_trees();
    return check_report();
}
