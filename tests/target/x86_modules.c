/*
 * The x86 kernel example run with boot modules (QEMU -initrd): its main,
 * included here as example_main, runs between two checksums of every
 * module, so a heap placed over a module (the loader puts one right after
 * its own data, where a kernel that ignores the module list would start its
 * heap) shows as a changed checksum, and "demo: FAILED".
 */
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
    uint32_t before[MAX_MODULES], count, i;
    int rc;

    if (mbi == NULL || (mbi->flags & MB_FLAG_MODS) == 0u || mbi->mods_count == 0u) {
        put_str("x86 modules: no boot module (run with -initrd)\ndemo: FAILED\n");
        return 1;
    }
    mods = (const uint32_t *)(uintptr_t)mbi->mods_addr;
    count = mbi->mods_count < MAX_MODULES ? mbi->mods_count : MAX_MODULES;
    for (i = 0; i < count; i++) {
        demo_put_line("module start     ", mods[4u * i], 16u);
        demo_put_line("       end       ", mods[4u * i + 1u], 16u);
        before[i] = checksum(mods[4u * i], mods[4u * i + 1u]);
    }
    rc = example_main(argc, argv);
    for (i = 0; i < count; i++) {
        if (checksum(mods[4u * i], mods[4u * i + 1u]) != before[i]) {
            demo_put_line("module changed   ", mods[4u * i], 16u);
            put_str("demo: FAILED\n");
            return 1;
        }
    }
    demo_put_line("modules intact   ", count, 10u);
    return rc;
}
