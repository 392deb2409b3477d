/*
 * bareheap on RISC-V, QEMU "virt" with -bios none: RAM is found the way a
 * kernel finds it. QEMU enters with a1 = the flattened device tree
 * (port/baremetal/riscv/start.S keeps it in board_fdt); the /memory node's
 * "reg" gives the RAM. The heap is that RAM after the image
 * (__heap_start, from port/baremetal/riscv/virt.ld) minus the device tree
 * itself, which QEMU places inside RAM: the part below the tree goes to
 * heap_init, the part above it to heap_add_region.
 */
#include <stdbool.h>
#include <stdint.h>

#include "allocator.h"
#include "board.h"
#include "demo_workload.h"

extern unsigned char __heap_start[];

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

static uint32_t be32(const void *p)
{
    const unsigned char *b = (const unsigned char *)p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static bool name_is(const char *s, const char *prefix, bool whole)
{
    while (*prefix != '\0') {
        if (*s++ != *prefix++) {
            return false;
        }
    }
    return !whole || *s == '\0' || *s == '@';
}

static uint64_t cells(const unsigned char *p, uint32_t count)
{
    uint64_t v = 0;
    uint32_t i;
    for (i = 0; i < count; i++) {
        v = (v << 32) | be32(p + 4u * i);
    }
    return v;
}

/* The first range of the first /memory node; false if there is none. */
static bool fdt_memory(const unsigned char *fdt, uint64_t *base, uint64_t *size)
{
    const unsigned char *p = fdt + be32(fdt + 8);
    const char *strings = (const char *)fdt + be32(fdt + 12);
    uint32_t addr_cells = 2, size_cells = 1;
    int depth = 0;
    bool in_memory = false;

    for (;;) {
        uint32_t token = be32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            size_t len = 0;
            while (name[len] != '\0') {
                len++;
            }
            depth++;
            in_memory = depth == 2 && name_is(name, "memory", true);
            p += (len + 4u) & ~(size_t)3u;
        } else if (token == FDT_END_NODE) {
            depth--;
            in_memory = false;
        } else if (token == FDT_PROP) {
            uint32_t len = be32(p);
            const char *name = strings + be32(p + 4);
            const unsigned char *value = p + 8;
            if (depth == 1 && name_is(name, "#address-cells", true)) {
                addr_cells = be32(value);
            } else if (depth == 1 && name_is(name, "#size-cells", true)) {
                size_cells = be32(value);
            } else if (in_memory && name_is(name, "reg", true) &&
                       len >= 4u * (addr_cells + size_cells)) {
                *base = cells(value, addr_cells);
                *size = cells(value + 4u * addr_cells, size_cells);
                return true;
            }
            p += 8u + ((len + 3u) & ~(uint32_t)3u);
        } else if (token != FDT_NOP) {
            return false; /* FDT_END or garbage */
        }
    }
}

int main(int argc, char **argv)
{
    const unsigned char *fdt = (const unsigned char *)board_fdt;
    uint64_t ram_base, ram_size;
    uintptr_t start = (uintptr_t)__heap_start, end, fdt_lo, fdt_hi;
    (void)argc;
    (void)argv;

    if (fdt == NULL || be32(fdt) != FDT_MAGIC || !fdt_memory(fdt, &ram_base, &ram_size)) {
        demo_put_line("no device tree memory node at ", (uintptr_t)fdt, 16u);
        return 1;
    }
    end = (uintptr_t)(ram_base + ram_size);
    fdt_lo = (uintptr_t)fdt;
    fdt_hi = fdt_lo + be32(fdt + 4);
    demo_put_line("RAM base         ", (uintptr_t)ram_base, 16u);
    demo_put_line("RAM bytes        ", (uintptr_t)ram_size, 10u);
    demo_put_line("device tree at   ", fdt_lo, 16u);
    demo_put_line("image ends at    ", start, 16u);

    if (fdt_lo >= start && fdt_lo < end) {
        /* [start, fdt) and [fdt end, RAM end) */
        if (!heap_init(__heap_start, fdt_lo - start)) {
            return 1;
        }
        if (end - fdt_hi > 4096u) {
            (void)heap_add_region((void *)fdt_hi, end - fdt_hi);
        }
    } else if (!heap_init(__heap_start, end - start)) {
        return 1;
    }
    demo_put_line("heap regions     ", 1u + (fdt_lo >= start && end - fdt_hi > 4096u), 10u);
    return demo_run();
}
