/*
 * bareheap on RISC-V, QEMU "virt" with -bios none: RAM is found the way a
 * kernel finds it. QEMU enters with a1 = the flattened device tree
 * (port/baremetal/riscv/start.S keeps it in board_fdt); of the ranges the
 * /memory nodes' "reg" properties list (a machine may have several nodes, a
 * node several ranges, in any order), the one that holds the image is the
 * RAM used here. The heap is that RAM after the image
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

/* s (at most n bytes, NUL-terminated within them) is prefix, or prefix@... */
static bool name_is(const char *s, size_t n, const char *prefix, bool whole)
{
    while (*prefix != '\0') {
        if (n-- == 0u || *s++ != *prefix++) {
            return false;
        }
    }
    return !whole || (n > 0u && (*s == '\0' || *s == '@'));
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

/* The range of any /memory node's reg that holds addr; false if there is
 * none or the tree is malformed. Every read stays inside the blocks the
 * header declares. */
static bool fdt_memory(const unsigned char *fdt, uint64_t addr, uint64_t *base, uint64_t *size)
{
    uint32_t total = be32(fdt + 4), off_struct = be32(fdt + 8), off_strings = be32(fdt + 12);
    uint32_t size_strings = be32(fdt + 32), size_struct = be32(fdt + 36);
    const unsigned char *p, *end;
    const char *strings;
    uint32_t addr_cells = 2, size_cells = 1;
    int depth = 0;
    bool in_memory = false;

    /* Version 17 and later give the structure block's size (offset 36). */
    if (total < 40u || be32(fdt + 20) < 17u || off_struct > total || size_struct > total - off_struct ||
        off_strings > total || size_strings > total - off_strings) {
        return false;
    }
    p = fdt + off_struct;
    end = p + size_struct;
    strings = (const char *)fdt + off_strings;
    for (;;) {
        uint32_t token;
        if (end - p < 4) {
            return false;
        }
        token = be32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            size_t len = 0, room = (size_t)(end - p);
            while (len < room && name[len] != '\0') {
                len++;
            }
            if (len == room) {
                return false;
            }
            depth++;
            in_memory = depth == 2 && name_is(name, room, "memory", true);
            p += (len + 4u) & ~(size_t)3u;
        } else if (token == FDT_END_NODE) {
            depth--;
            in_memory = false;
        } else if (token == FDT_PROP) {
            uint32_t len, nameoff;
            const char *name;
            const unsigned char *value;
            if (end - p < 8) {
                return false;
            }
            len = be32(p);
            nameoff = be32(p + 4);
            value = p + 8;
            if (len > (size_t)(end - value) || nameoff >= size_strings) {
                return false;
            }
            name = strings + nameoff;
            if (depth == 1 && name_is(name, size_strings - nameoff, "#address-cells", true) && len >= 4u) {
                addr_cells = be32(value);
            } else if (depth == 1 && name_is(name, size_strings - nameoff, "#size-cells", true) && len >= 4u) {
                size_cells = be32(value);
            } else if (in_memory && name_is(name, size_strings - nameoff, "reg", true)) {
                uint32_t step, i;
                if (addr_cells < 1u || addr_cells > 2u || size_cells < 1u || size_cells > 2u) {
                    return false;
                }
                step = 4u * (addr_cells + size_cells);
                for (i = 0; len - i >= step; i += step) { /* every range of reg */
                    uint64_t b = cells(value + i, addr_cells);
                    uint64_t n = cells(value + i + 4u * addr_cells, size_cells);
                    if (b <= addr && addr - b < n) {
                        *base = b;
                        *size = n;
                        return true;
                    }
                }
            }
            p = value + ((len + 3u) & ~(uint32_t)3u);
        } else if (token != FDT_NOP) {
            return false; /* FDT_END or garbage */
        }
    }
}

int main(int argc, char **argv)
{
    const unsigned char *fdt = (const unsigned char *)board_fdt;
    uint64_t ram_base, ram_size, ram_end;
    uintptr_t start = (uintptr_t)__heap_start, end, fdt_lo, fdt_hi;
    (void)argc;
    (void)argv;

    if (fdt == NULL || be32(fdt) != FDT_MAGIC || !fdt_memory(fdt, start, &ram_base, &ram_size)) {
        demo_put_line("no device tree memory node at ", (uintptr_t)fdt, 16u);
        return 1;
    }
    /* RAM may end at the top of a 32-bit address space (rv32, -m 2G). */
    ram_end = ram_base + ram_size;
    end = ram_end > (uint64_t)UINTPTR_MAX || ram_end < ram_base ? UINTPTR_MAX : (uintptr_t)ram_end;
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
        if (fdt_hi < end && end - fdt_hi > 4096u) {
            (void)heap_add_region((void *)fdt_hi, end - fdt_hi);
        }
    } else if (!heap_init(__heap_start, end - start)) {
        return 1;
    }
    demo_put_line("heap regions     ", 1u + (fdt_lo >= start && fdt_lo < end && fdt_hi < end && end - fdt_hi > 4096u), 10u);
    return demo_run();
}
