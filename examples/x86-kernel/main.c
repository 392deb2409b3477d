/*
 * bareheap in an x86 kernel: a multiboot kernel for qemu-system-i386 -kernel
 * (startup, serial console and exit in port/baremetal/x86/) that finds its RAM
 * the way a kernel does, from the memory map the loader hands over.
 *
 * Every usable (type 1) range of the multiboot memory map at or above 1 MiB
 * and below 4 GiB is a candidate, minus what is already taken there: the
 * kernel image (linked at 2 MiB, so [1 MiB, 2 MiB) stays a range of its own)
 * the multiboot structures the loader put after it (and its command line
 * and boot loader name wherever they are), the boot modules (an
 * initrd, -initrd in QEMU) with their list and command lines, and whatever
 * another entry of the map lists as not usable (entries may overlap; the
 * more restrictive type wins). The largest piece
 * goes to heap_init, the others to heap_add_region. Memory below 1 MiB
 * (BIOS data, the loader's tables, VGA) is left alone.
 *
 *   make test-target-x86-multiboot     runs it (ctest x86_kernel_demo)
 *   tools/qemu-x86-multiboot.sh build/target-x86-multiboot/examples/x86_kernel_demo.elf
 */
#include <stdbool.h>
#include <stdint.h>

#include "allocator.h"
#include "board.h"
#include "demo_workload.h"
#include "mem_ranges.h"

extern unsigned char __image_start[], __image_end[];

/* The parts of the multiboot (v1) information structure used here. */
#define MB_FLAG_CMDLINE (1u << 2)
#define MB_FLAG_MODS (1u << 3)
#define MB_FLAG_ELF_SECTIONS (1u << 5)
#define MB_FLAG_MMAP (1u << 6)
#define MB_FLAG_DRIVES (1u << 7)
#define MB_FLAG_LOADER_NAME (1u << 9)
#define MB_FLAG_APM (1u << 10)
#define MB_FLAG_VBE (1u << 11)
#define MB_TYPE_USABLE 1u

typedef struct mb_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;                       /* 20 bytes */
    uint32_t vbe_control_info, vbe_mode_info; /* 512 and 256 bytes */
} mb_info;

/* The whole structure as the specification lays it out, up to its last
 * field (framebuffer_color_info ends at 116): what a loader may fill. */
#define MB_INFO_BYTES 116u

/* An entry: size (of the rest), then base, length, type; packed, so read it
 * field by field. The next entry is at +size+4. */
static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

/* The entry at byte off of the map, or NULL at its end. An entry whose size
 * field is below the 20 bytes of base, length and type, or runs past the
 * map, ends it: a damaged map is read no further (and never in a loop). */
static const unsigned char *mmap_entry(const mb_info *mbi, uint32_t off)
{
    const unsigned char *e;
    if (off > mbi->mmap_length || mbi->mmap_length - off < 24u) {
        return NULL;
    }
    e = (const unsigned char *)(uintptr_t)mbi->mmap_addr + off;
    return rd32(e) < 20u || rd32(e) > mbi->mmap_length - off - 4u ? NULL : e;
}

/* An entry's end, base + length, or the top of the 64-bit space if that
 * wraps (no RAM ends there: a usable entry that does is damaged and left
 * out; a reserved one reserves to the top). */
static uint64_t mmap_end(const unsigned char *e)
{
    uint64_t base = rd64(e + 4), len = rd64(e + 12);
    return len > ~base ? ~(uint64_t)0 : base + len;
}

/* The top of the memory a 32-bit kernel hands out: below the last page. */
#define ADDR_TOP 0xFFFFF000ull

static uintptr_t addr_clip(uint64_t a)
{
    return (uintptr_t)(a > ADDR_TOP ? ADDR_TOP : a);
}

static mem_ranges g_ram;

/* Takes [addr, addr + bytes) out of the RAM, clipped to the top of the
 * address space (a loader's addresses are 32-bit, its sizes unchecked). */
static void mb_take(uint32_t addr, uint64_t bytes)
{
    mem_ranges_take(&g_ram, addr, addr_clip((uint64_t)addr + bytes));
}

/* Takes out the ELF section header table (syms: count, entry size, address,
 * string-table index) and every section placed in memory (sh_addr, at 12 in
 * an entry, not 0): the kernel's own lie in its image, but the symbol and
 * string tables a loader copies after it do not. (Bit 4's a.out symbols are
 * for a.out kernels; this one is ELF.) */
static void mb_take_elf_sections(const mb_info *mbi)
{
    uint32_t count = mbi->syms[0], entry_bytes = mbi->syms[1], table = mbi->syms[2];
    const unsigned char *sh = (const unsigned char *)(uintptr_t)table;
    uint32_t i;
    mb_take(table, (uint64_t)count * entry_bytes);
    /* An Elf32_Shdr is 40 bytes; sh_size is at 20. A table that would wrap
     * the address space is not read. */
    if (entry_bytes < 24u || (uint64_t)table + (uint64_t)count * entry_bytes > ADDR_TOP) {
        return;
    }
    for (i = 0; i < count; i++, sh += entry_bytes) {
        uint32_t addr = rd32(sh + 12), bytes = rd32(sh + 20);
        if (addr != 0u) {
            mb_take(addr, bytes);
        }
    }
}

static size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

static void put_str(const char *s)
{
    board_write(s, str_len(s));
}

int main(int argc, char **argv)
{
    const mb_info *mbi = (const mb_info *)board_multiboot_info;
    const unsigned char *e;
    unsigned i;
    uint32_t off;
    (void)argc;
    (void)argv;

    if (mbi == NULL || (mbi->flags & MB_FLAG_MMAP) == 0u) {
        put_str("x86 kernel: no multiboot memory map\ndemo: FAILED\n");
        return 1;
    }

    for (off = 0; (e = mmap_entry(mbi, off)) != NULL; off += rd32(e) + 4u) {
        uint64_t base = rd64(e + 4), end = mmap_end(e);
        uint32_t type = rd32(e + 20);
        demo_put_line("mmap base        ", base, 16u);
        demo_put_line("     length      ", rd64(e + 12), 16u);
        demo_put_line("     type        ", type, 10u);
        if (type == MB_TYPE_USABLE && end > 0x100000u && end != ~(uint64_t)0 && base < 0x100000000ull) {
            mem_ranges_add(&g_ram, (uintptr_t)(base < 0x100000u ? 0x100000u : base), addr_clip(end));
        }
    }
    /* A range the map also lists as anything but usable is not usable
     * (entries may overlap; the more restrictive type wins). */
    for (off = 0; (e = mmap_entry(mbi, off)) != NULL; off += rd32(e) + 4u) {
        uint64_t base = rd64(e + 4), end = mmap_end(e);
        if (rd32(e + 20) != MB_TYPE_USABLE && base < ADDR_TOP && end > base) {
            mem_ranges_take(&g_ram, (uintptr_t)base, addr_clip(end));
        }
    }
    /* Boot modules (an initrd): their contents and their list. */
    if ((mbi->flags & MB_FLAG_MODS) != 0u) {
        const unsigned char *mod = (const unsigned char *)(uintptr_t)mbi->mods_addr;
        mem_ranges_take(&g_ram, mbi->mods_addr, mbi->mods_addr + 16u * mbi->mods_count);
        for (i = 0; i < mbi->mods_count; i++, mod += 16) {
            const char *line = (const char *)(uintptr_t)rd32(mod + 8); /* its command line */
            mem_ranges_take(&g_ram, rd32(mod), rd32(mod + 4));           /* mod_start, mod_end */
            if (line != NULL) {
                mem_ranges_take(&g_ram, (uintptr_t)line, (uintptr_t)line + str_len(line) + 1u);
            }
        }
    }

    /* The image (to its page's end), then each structure the loader handed
     * over, wherever it put it (QEMU: right after the kernel, its name
     * after the command line, which may run into the next page). */
    mem_ranges_take(&g_ram, (uintptr_t)__image_start, ((uintptr_t)__image_end + 4095u) & ~(uintptr_t)4095u);
    mem_ranges_take(&g_ram, (uintptr_t)mbi, (uintptr_t)mbi + MB_INFO_BYTES);
    mem_ranges_take(&g_ram, mbi->mmap_addr, mbi->mmap_addr + mbi->mmap_length);
    if ((mbi->flags & MB_FLAG_CMDLINE) != 0u) {
        mem_ranges_take(&g_ram, mbi->cmdline, mbi->cmdline + str_len((const char *)(uintptr_t)mbi->cmdline) + 1u);
    }
    if ((mbi->flags & MB_FLAG_LOADER_NAME) != 0u) {
        const char *name = (const char *)(uintptr_t)mbi->boot_loader_name;
        mem_ranges_take(&g_ram, (uintptr_t)name, (uintptr_t)name + str_len(name) + 1u);
    }
    /* What a loader such as GRUB hands over besides (QEMU's sets none of
     * these flags): the ELF section headers and the sections they place in
     * memory, the drives, the APM table, the VBE information blocks. */
    if ((mbi->flags & MB_FLAG_ELF_SECTIONS) != 0u) {
        mb_take_elf_sections(mbi);
    }
    if ((mbi->flags & MB_FLAG_DRIVES) != 0u) {
        mb_take(mbi->drives_addr, mbi->drives_length);
    }
    if ((mbi->flags & MB_FLAG_APM) != 0u) {
        mb_take(mbi->apm_table, 20u);
    }
    if ((mbi->flags & MB_FLAG_VBE) != 0u) {
        mb_take(mbi->vbe_control_info, 512u);
        mb_take(mbi->vbe_mode_info, 256u);
    }

    if (mem_ranges_to_heap(&g_ram, 1u) == 0u) {
        put_str("x86 kernel: no usable memory above 1 MiB\ndemo: FAILED\n");
        return 1;
    }
    return demo_run();
}
