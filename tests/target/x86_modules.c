/*
 * The x86 kernel example run with boot modules (QEMU -initrd): its main,
 * included here as example_main, runs, then every byte the heap can hand
 * out is allocated and written (heap_fill.h), between two checksums of
 * every module and two reads of the module list. A heap placed over a
 * module (the loader puts one right after its own data, where a kernel that
 * ignores the module list would start its heap) or over the list shows as
 * a change, and "demo: FAILED".
 */
#include "heap_fill.h"

int example_main(int argc, char **argv);
#define main example_main
#include "x86-kernel/main.c"
#undef main

#ifndef MB_FLAG_MODS
#define MB_FLAG_MODS (1u << 3)
#endif
#define MAX_MODULES 8u

/* FNV-1a over [lo, hi). */
static uint32_t checksum(uint32_t lo, uint32_t hi)
{
    const unsigned char *p = (const unsigned char *)(uintptr_t)lo;
    uint32_t h = 2166136261u;
    for (; lo < hi; lo++) {
        h = (h ^ *p++) * 16777619u;
    }
    return h;
}

int main(int argc, char **argv)
{
    const mb_info *mbi = (const mb_info *)board_multiboot_info;
    const uint32_t *mods;
    uint32_t before[MAX_MODULES], start[MAX_MODULES], end[MAX_MODULES], count, i;
    unsigned blocks;
    int rc;

    if (mbi == NULL || (mbi->flags & MB_FLAG_MODS) == 0u || mbi->mods_count == 0u) {
        put_str("x86 modules: no boot module (run with -initrd)\ndemo: FAILED\n");
        return 1;
    }
    mods = (const uint32_t *)(uintptr_t)mbi->mods_addr;
    demo_put_line("module list at   ", mbi->mods_addr, 16u);
    count = mbi->mods_count < MAX_MODULES ? mbi->mods_count : MAX_MODULES;
    for (i = 0; i < count; i++) {
        start[i] = mods[4u * i];
        end[i] = mods[4u * i + 1u];
        demo_put_line("module start     ", start[i], 16u);
        demo_put_line("       end       ", end[i], 16u);
        before[i] = checksum(start[i], end[i]);
    }
    rc = example_main(argc, argv);
    /* Memory the demo left free is the heap's too: all of it, written. */
    heap_free_chain(heap_fill_all(&blocks));
    demo_put_line("heap filled with ", blocks, 10u);
    for (i = 0; i < count; i++) {
        if (mods[4u * i] != start[i] || mods[4u * i + 1u] != end[i] || checksum(start[i], end[i]) != before[i]) {
            demo_put_line("module changed   ", mods[4u * i], 16u);
            put_str("demo: FAILED\n");
            return 1;
        }
    }
    demo_put_line("modules intact   ", count, 10u);
    return rc;
}
