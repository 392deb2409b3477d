/*
 * bareheap on RISC-V, QEMU "virt" with -bios none: RAM is found the way a
 * kernel finds it. QEMU enters with a1 = the flattened device tree
 * (port/baremetal/riscv/start.S keeps it in board_fdt); of the ranges the
 * /memory nodes' "reg" properties list (a machine may have several nodes, a
 * node several ranges, in any order), the one that holds the image is the
 * RAM used here. The heap is that RAM after the image
 * (__heap_start, from port/baremetal/riscv/virt.ld) minus the device tree
 * itself, which QEMU places inside RAM, and minus every range the tree
 * reserves (its header's memory reservation block and the children of
 * /reserved-memory, where firmware such as OpenSBI records its own memory)
 * and the initrd /chosen points at (QEMU -initrd puts it in the middle of
 * the RAM after the image):
 * the largest piece goes to heap_init, the others to heap_add_region.
 */
#include <stdbool.h>
#include <stdint.h>

#include "allocator.h"
#include "board.h"
#include "demo_workload.h"
#include "mem_ranges.h"

extern unsigned char __heap_start[];

#define FDT_MAGIC 0xd00dfeedu
/* The header (version 17): magic and totalsize, then eight more words. */
#define FDT_HEADER_BYTES 40u
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

/* s (at most n bytes, NUL-terminated within them) is name, or name@... */
static bool name_is(const char *s, size_t n, const char *name)
{
    while (*name != '\0') {
        if (n-- == 0u || *s++ != *name++) {
            return false;
        }
    }
    return n > 0u && (*s == '\0' || *s == '@');
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

/* What the walk below tells about each property. node2 is the name of the
 * node at depth 2 the property lies in or under ("" at the root). */
typedef struct fdt_prop {
    int depth;            /* 1: the root's own properties */
    const char *node2;    /* at most node2_room bytes, NUL-terminated within */
    size_t node2_room;
    const char *name;     /* at most name_room bytes, NUL-terminated within */
    size_t name_room;
    const unsigned char *value;
    uint32_t len;
} fdt_prop;

typedef bool (*fdt_visit_fn)(void *context, const fdt_prop *prop); /* false: stop */

/* Calls visit for every property of the tree, in order; false if the tree is
 * malformed. Every read stays inside the blocks the header declares. */
static bool fdt_walk(const unsigned char *fdt, fdt_visit_fn visit, void *context)
{
    uint32_t total = be32(fdt + 4), off_struct, off_strings, size_strings, size_struct;
    const unsigned char *p, *end;
    fdt_prop prop;

    /* The header's other fields only once totalsize says all 40 bytes of
     * it are there. Version 17 and later give the structure block's size
     * (offset 36). */
    if (total < FDT_HEADER_BYTES) {
        return false;
    }
    off_struct = be32(fdt + 8);
    off_strings = be32(fdt + 12);
    size_strings = be32(fdt + 32);
    size_struct = be32(fdt + 36);
    if (be32(fdt + 20) < 17u || off_struct > total || size_struct > total - off_struct || off_strings > total ||
        size_strings > total - off_strings) {
        return false;
    }
    p = fdt + off_struct;
    end = p + size_struct;
    prop.depth = 0;
    prop.node2 = "";
    prop.node2_room = 1;
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
            /* The name and its padding to a word, inside the block: a
             * pointer past its end, even unread, is undefined in C. */
            if (len == room || ((len + 4u) & ~(size_t)3u) > room) {
                return false;
            }
            prop.depth++;
            if (prop.depth == 2) {
                prop.node2 = name;
                prop.node2_room = room;
            }
            p += (len + 4u) & ~(size_t)3u;
        } else if (token == FDT_END_NODE) {
            if (prop.depth == 2) {
                prop.node2 = "";
                prop.node2_room = 1;
            }
            prop.depth--;
        } else if (token == FDT_PROP) {
            uint32_t nameoff;
            if (end - p < 8) {
                return false;
            }
            prop.len = be32(p);
            nameoff = be32(p + 4);
            prop.value = p + 8;
            /* The value and its padding to a word, inside the block: what
             * is left after the value holds the padding (no sum to wrap). */
            if (prop.len > (size_t)(end - prop.value) ||
                (size_t)(end - prop.value) - prop.len < ((0u - (uint32_t)prop.len) & 3u) || nameoff >= size_strings) {
                return false;
            }
            prop.name = (const char *)fdt + off_strings + nameoff;
            prop.name_room = size_strings - nameoff;
            if (!visit(context, &prop)) {
                return true;
            }
            p = prop.value + ((prop.len + 3u) & ~(uint32_t)3u);
        } else if (token == FDT_END && prop.depth == 0) {
            return true;
        } else if (token != FDT_NOP) {
            return false;
        }
    }
}

/* The cell counts of a reg: the root's, or a depth-2 node's own for its
 * children (as /reserved-memory states them). */
typedef struct cell_sizes {
    uint32_t addr, size;
} cell_sizes;

/* Takes prop into c if it is #address-cells or #size-cells. */
static void cell_sizes_read(const fdt_prop *prop, cell_sizes *c)
{
    if (prop->len < 4u) {
        return;
    }
    if (name_is(prop->name, prop->name_room, "#address-cells")) {
        c->addr = be32(prop->value);
    } else if (name_is(prop->name, prop->name_room, "#size-cells")) {
        c->size = be32(prop->value);
    }
}

typedef bool (*range_fn)(void *context, uint64_t base, uint64_t size); /* false: stop */

/* Calls fn for each (base, size) of a reg property; false if its cell
 * counts are beyond what this reader handles (1 or 2 cells each). */
static bool reg_each(const fdt_prop *prop, cell_sizes cells_of, range_fn fn, void *context)
{
    uint32_t step, i;
    if (cells_of.addr < 1u || cells_of.addr > 2u || cells_of.size < 1u || cells_of.size > 2u) {
        return false;
    }
    step = 4u * (cells_of.addr + cells_of.size);
    for (i = 0; prop->len - i >= step; i += step) {
        if (!fn(context, cells(prop->value + i, cells_of.addr), cells(prop->value + i + 4u * cells_of.addr, cells_of.size))) {
            break;
        }
    }
    return true;
}

/* ---- The RAM that holds an address: any range of any /memory node ---- */
typedef struct memory_search {
    uint64_t addr, base, size;
    cell_sizes root;
    bool found, bad;
} memory_search;

static bool memory_range_check(void *context, uint64_t base, uint64_t size)
{
    memory_search *m = (memory_search *)context;
    if (base <= m->addr && m->addr - base < size) {
        m->base = base;
        m->size = size;
        m->found = true;
        return false;
    }
    return true;
}

static bool memory_visit(void *context, const fdt_prop *prop)
{
    memory_search *m = (memory_search *)context;
    if (prop->depth == 1) {
        cell_sizes_read(prop, &m->root);
    } else if (prop->depth == 2 && name_is(prop->node2, prop->node2_room, "memory") &&
               name_is(prop->name, prop->name_room, "reg")) {
        m->bad = !reg_each(prop, m->root, memory_range_check, m);
        return !m->found && !m->bad;
    }
    return true;
}

/* The range of any /memory node's reg that holds addr; false if there is
 * none or the tree is malformed. */
static bool fdt_memory(const unsigned char *fdt, uint64_t addr, uint64_t *base, uint64_t *size)
{
    memory_search m = {0};
    m.addr = addr;
    m.root.addr = 2;
    m.root.size = 1;
    if (!fdt_walk(fdt, memory_visit, &m) || !m.found || m.bad) {
        return false;
    }
    *base = m.base;
    *size = m.size;
    return true;
}

/* ---- Reserved memory: the header's reservation block, /reserved-memory,
 * and the initrd /chosen points at ---- */
typedef struct reserved_search {
    cell_sizes node; /* the root's, then /reserved-memory's own once seen */
    range_fn fn;
    void *context;
    uint64_t initrd_start, initrd_end;
    unsigned initrd_seen; /* bit 0: linux,initrd-start, bit 1: linux,initrd-end */
    bool bad;
} reserved_search;

/* /chosen's linux,initrd-start or -end: one cell or two (QEMU writes one;
 * other loaders two), anything else is damage. */
static bool initrd_read(const fdt_prop *prop, reserved_search *r)
{
    uint64_t *to;
    unsigned bit;
    if (name_is(prop->name, prop->name_room, "linux,initrd-start")) {
        to = &r->initrd_start;
        bit = 1u;
    } else if (name_is(prop->name, prop->name_room, "linux,initrd-end")) {
        to = &r->initrd_end;
        bit = 2u;
    } else {
        return true;
    }
    if (prop->len != 4u && prop->len != 8u) {
        return false;
    }
    *to = cells(prop->value, prop->len / 4u);
    r->initrd_seen |= bit;
    return true;
}

static bool reserved_visit(void *context, const fdt_prop *prop)
{
    reserved_search *r = (reserved_search *)context;
    /* The root's properties come before /reserved-memory's. */
    if (prop->depth == 1 || (prop->depth == 2 && name_is(prop->node2, prop->node2_room, "reserved-memory"))) {
        cell_sizes_read(prop, &r->node);
    } else if (prop->depth == 2 && name_is(prop->node2, prop->node2_room, "chosen")) {
        /* The loader's initrd (QEMU -initrd) lies in RAM, often in the
         * middle of the RAM after the image. */
        if (!initrd_read(prop, r)) {
            r->bad = true;
            return false;
        }
    } else if (prop->depth == 3 && name_is(prop->node2, prop->node2_room, "reserved-memory") &&
               name_is(prop->name, prop->name_room, "reg")) {
        if (!reg_each(prop, r->node, r->fn, r->context)) {
            r->bad = true;
            return false;
        }
    }
    return true;
}

/* Calls fn for every reserved range: the memory reservation block's entries,
 * the reg of every child of /reserved-memory, and the initrd that /chosen's
 * linux,initrd-start and linux,initrd-end bound (fn's answer is not asked
 * for: every range counts). False (fn may have been called for some) if the
 * tree is malformed. */
static bool fdt_reserved(const unsigned char *fdt, range_fn fn, void *context)
{
    uint32_t total = be32(fdt + 4), off;
    reserved_search r = {0};
    if (total < FDT_HEADER_BYTES) {
        return false; /* off_mem_rsvmap (offset 16) is not there */
    }
    off = be32(fdt + 16);
    for (;; off += 16u) {
        uint64_t base, size;
        if (off > total || total - off < 16u) {
            return false; /* no terminating entry */
        }
        base = cells(fdt + off, 2);
        size = cells(fdt + off + 8u, 2);
        if (base == 0u && size == 0u) {
            break;
        }
        (void)fn(context, base, size);
    }
    r.node.addr = 2;
    r.node.size = 1;
    r.fn = fn;
    r.context = context;
    if (!fdt_walk(fdt, reserved_visit, &r) || r.bad) {
        return false;
    }
    if (r.initrd_seen == 3u && r.initrd_end >= r.initrd_start) {
        if (r.initrd_end > r.initrd_start) {
            (void)fn(context, r.initrd_start, r.initrd_end - r.initrd_start);
        }
    } else if (r.initrd_seen != 0u) {
        return false; /* one bound without the other, or an end before the start */
    }
    return true;
}

/* The end of [base, base + size) as an address: clipped to the top of the
 * address space (rv32 RAM may end exactly at 4 GiB, -m 2G). */
static uintptr_t range_end(uint64_t base, uint64_t size)
{
    uint64_t end = base + size;
    return end < base || end > (uint64_t)UINTPTR_MAX ? UINTPTR_MAX : (uintptr_t)end;
}

/* Takes a reserved range out of the heap's ranges (one above the address
 * space holds nothing of ours). */
static bool take_reserved(void *context, uint64_t base, uint64_t size)
{
    uintptr_t end = range_end(base, size);
    if (base <= (uint64_t)UINTPTR_MAX) {
        demo_put_line("reserved         ", base, 16u);
        demo_put_line("          bytes  ", end - (uintptr_t)base, 10u);
        mem_ranges_take((mem_ranges *)context, (uintptr_t)base, end);
    }
    return true;
}

static mem_ranges g_ram;

int main(int argc, char **argv)
{
    const unsigned char *fdt = (const unsigned char *)board_fdt;
    uint64_t ram_base, ram_size;
    uintptr_t start = (uintptr_t)__heap_start, end, fdt_lo, fdt_hi;
    unsigned regions;
    (void)argc;
    (void)argv;

    if (fdt == NULL || be32(fdt) != FDT_MAGIC || !fdt_memory(fdt, start, &ram_base, &ram_size)) {
        demo_put_line("no device tree memory node at ", (uintptr_t)fdt, 16u);
        return 1;
    }
    end = range_end(ram_base, ram_size);
    fdt_lo = (uintptr_t)fdt;
    fdt_hi = fdt_lo + be32(fdt + 4);
    demo_put_line("RAM base         ", ram_base, 16u);
    demo_put_line("RAM bytes        ", ram_size, 10u);
    demo_put_line("device tree at   ", fdt_lo, 16u);
    demo_put_line("image ends at    ", start, 16u);

    /* The RAM after the image, minus the tree itself (QEMU places it in
     * RAM) and whatever the tree reserves. */
    mem_ranges_add(&g_ram, start, end);
    mem_ranges_take(&g_ram, fdt_lo, fdt_hi < fdt_lo ? UINTPTR_MAX : fdt_hi);
    if (!fdt_reserved(fdt, take_reserved, &g_ram)) {
        demo_put_line("malformed reservations in the tree at ", fdt_lo, 16u);
        return 1;
    }
    regions = mem_ranges_to_heap(&g_ram, 4096u);
    if (regions == 0u) {
        return 1;
    }
    demo_put_line("heap regions     ", regions, 10u);
    return demo_run();
}
