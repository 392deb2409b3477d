/*
 * The RISC-V example run with an initrd (QEMU -initrd, which puts it in the
 * middle of the RAM after the image and points /chosen's linux,initrd-start
 * and linux,initrd-end at it): its main, included here as example_main,
 * runs; then every byte the heap can hand out is allocated and written, and
 * the initrd's checksum must not have changed. A heap laid over the initrd
 * shows as "initrd changed" and "demo: FAILED".
 */
int example_main(int argc, char **argv);
#define main example_main
#include "riscv/main.c"
#undef main

#include "heap_fill.h"

/* Finds /chosen's initrd bounds on its own (not through the example's
 * reservations, the code under test). */
typedef struct initrd_bounds {
    uint64_t start, end;
    unsigned seen;
} initrd_bounds;

static bool initrd_visit(void *context, const fdt_prop *prop)
{
    initrd_bounds *b = (initrd_bounds *)context;
    if (prop->depth == 2 && name_is(prop->node2, prop->node2_room, "chosen") &&
        (prop->len == 4u || prop->len == 8u)) {
        if (name_is(prop->name, prop->name_room, "linux,initrd-start")) {
            b->start = cells(prop->value, prop->len / 4u);
            b->seen |= 1u;
        } else if (name_is(prop->name, prop->name_room, "linux,initrd-end")) {
            b->end = cells(prop->value, prop->len / 4u);
            b->seen |= 2u;
        }
    }
    return true;
}

/* FNV-1a over [lo, hi). */
static uint32_t checksum(uintptr_t lo, uintptr_t hi)
{
    const unsigned char *p = (const unsigned char *)lo;
    uint32_t h = 2166136261u;
    for (; lo < hi; lo++) {
        h = (h ^ *p++) * 16777619u;
    }
    return h;
}

int main(int argc, char **argv)
{
    const unsigned char *fdt = (const unsigned char *)board_fdt;
    initrd_bounds b = {0};
    uint32_t before;
    void *first;
    unsigned blocks;
    int rc;

    if (fdt == NULL || be32(fdt) != FDT_MAGIC || !fdt_walk(fdt, initrd_visit, &b) || b.seen != 3u ||
        b.end <= b.start) {
        demo_put_line("riscv initrd: no initrd in the tree at ", (uintptr_t)fdt, 16u);
        demo_put_line("demo: FAILED", 0u, 10u);
        return 1;
    }
    demo_put_line("initrd start     ", (uintptr_t)b.start, 16u);
    demo_put_line("       end       ", (uintptr_t)b.end, 16u);
    before = checksum((uintptr_t)b.start, (uintptr_t)b.end);
    rc = example_main(argc, argv);
    if (rc != 0) {
        return rc;
    }
    first = heap_fill_all(&blocks);
    demo_put_line("blocks written   ", blocks, 10u);
    heap_free_chain(first);
    if (checksum((uintptr_t)b.start, (uintptr_t)b.end) != before) {
        demo_put_line("initrd changed   ", (uintptr_t)b.start, 16u);
        demo_put_line("demo: FAILED", 0u, 10u);
        return 1;
    }
    demo_put_line("initrd intact    ", (uintptr_t)(b.end - b.start), 10u);
    return 0;
}
