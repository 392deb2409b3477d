/*
 * The x86 kernel example and the strings of the multiboot information that
 * the loader puts after the kernel (QEMU: the command line, then the boot
 * loader's name, right after the image): its main, included here as
 * example_main, runs; then every byte the heap can hand out is allocated and
 * written, and both strings must read as before. ctest gives a command line
 * whose end falls just short of a page boundary, so the loader's name
 * crosses it.
 */
int example_main(int argc, char **argv);
#define main example_main
#include "x86-kernel/main.c"
#undef main

#include "heap_fill.h"

#ifndef MB_FLAG_LOADER_NAME
#define MB_FLAG_LOADER_NAME (1u << 9)
#endif
#define MB_LOADER_NAME_OFFSET 64u /* boot_loader_name in the information structure */

/* FNV-1a over a string and its NUL. */
static uint32_t str_checksum(const char *s)
{
    uint32_t h = 2166136261u;
    do {
        h = (h ^ (unsigned char)*s) * 16777619u;
    } while (*s++ != '\0');
    return h;
}

int main(int argc, char **argv)
{
    const mb_info *mbi = (const mb_info *)board_multiboot_info;
    const char *cmdline, *loader;
    uint32_t cmdline_sum, loader_sum;
    unsigned blocks;
    int rc;

    if (mbi == NULL || (mbi->flags & MB_FLAG_CMDLINE) == 0u || (mbi->flags & MB_FLAG_LOADER_NAME) == 0u) {
        put_str("x86 boot info: no command line or loader name\ndemo: FAILED\n");
        return 1;
    }
    cmdline = (const char *)(uintptr_t)mbi->cmdline;
    loader = (const char *)(uintptr_t)rd32((const unsigned char *)mbi + MB_LOADER_NAME_OFFSET);
    demo_put_line("command line at  ", (uintptr_t)cmdline, 16u);
    demo_put_line("        bytes    ", str_len(cmdline) + 1u, 10u);
    demo_put_line("loader name at   ", (uintptr_t)loader, 16u);
    cmdline_sum = str_checksum(cmdline);
    loader_sum = str_checksum(loader);

    rc = example_main(argc, argv);
    if (rc != 0) {
        return rc;
    }
    heap_free_chain(heap_fill_all(&blocks));
    if (str_checksum(cmdline) != cmdline_sum || str_checksum(loader) != loader_sum) {
        put_str("x86 boot info: command line or loader name changed\ndemo: FAILED\n");
        return 1;
    }
    put_str("boot info intact\n");
    return 0;
}
