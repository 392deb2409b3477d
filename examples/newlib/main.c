/*
 * newlib on bareheap (port/newlib/), as firmware for QEMU's mps2-an385 /
 * mps2-an386, linked with --specs=nano.specs; built with picolibc (its
 * picolibc.specs, start-up code and linker script, console through
 * semihosting), the same program for those boards and RISC-V virt: printf,
 * malloc, calloc, realloc, memalign, aligned_alloc, posix_memalign and
 * strdup all take their memory from bareheap's default heap, [__heap_start,
 * __heap_end) of the linker script, and a second region added before the
 * first allocation.
 * Built with NEWLIB_DEMO_EMPTY_LINKER_HEAP, on a script that leaves that
 * range empty, the added region alone is the heap. Built with
 * NEWLIB_DEMO_OWN_HEAP, the firmware makes the default heap itself before
 * anything allocates (heap_init_ex() on a small first region, its class
 * table sized for the linker script's range, added after), and newlib
 * allocates from that heap, leaving the firmware's own blocks alone.
 *
 * Proves it: every pointer newlib hands out lies inside that region, and
 * bareheap's statistics count each call (printf's stdout buffer included;
 * picolibc's stdout has none, its asprintf() allocates). Prints "newlib: ok"
 * on success ("picolibc: ok" with picolibc).
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#define _ISOC11_SOURCE 1         /* aligned_alloc */
#define _DEFAULT_SOURCE 1        /* reallocf */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bareheap.h"
#include "bareheap_newlib.h"
#ifdef __PICOLIBC__
#include <sys/lock.h>
#define LIBC_NAME "picolibc"
#else
#include "board.h"
#define LIBC_NAME "newlib"
#endif

extern unsigned char __heap_start[], __heap_end[];

/* A second region, given before the first allocation (with
 * NEWLIB_DEMO_EMPTY_LINKER_HEAP the only region, so larger). */
#ifdef NEWLIB_DEMO_EMPTY_LINKER_HEAP
#define EXTRA_BYTES 32768
#else
#define EXTRA_BYTES 4096
#endif
static union {
    long double align;
    unsigned char bytes[EXTRA_BYTES];
} g_extra;

static int g_failures;
#ifdef NEWLIB_DEMO_OWN_HEAP
/* The firmware's own heap and a block it allocated before newlib did. */
static bh_heap *g_own_heap;
static unsigned char *g_own_block;
#define OWN_BLOCK_BYTES 64u
#endif
/* volatile: gcc refuses a calloc whose product it sees overflow */
static volatile size_t g_huge_count = SIZE_MAX / 2u;

/* The C library's lock hooks, as an RTOS port overrides them: each
 * allocator call must take the lock once and release it before returning,
 * on every path (a failed allocation, a heap not made yet included). */
static volatile int g_lock_depth, g_lock_calls, g_lock_nested;
static void lock_taken(void)
{
    if (g_lock_depth != 0) {
        g_lock_nested++;
    }
    g_lock_depth++;
    g_lock_calls++;
}
#ifdef __PICOLIBC__
/* picolibc's retargetable locks: an RTOS defines all of them (they share
 * one object in libc.a) and the lock objects; the allocator's is
 * __lock___libc_recursive_mutex, the only one counted here. */
struct __lock {
    int unused;
};
struct __lock __lock___libc_recursive_mutex;
void __retarget_lock_init(_LOCK_T *lock)
{
    (void)lock;
}
void __retarget_lock_init_recursive(_LOCK_T *lock)
{
    (void)lock;
}
void __retarget_lock_close(_LOCK_T lock)
{
    (void)lock;
}
void __retarget_lock_close_recursive(_LOCK_T lock)
{
    (void)lock;
}
void __retarget_lock_acquire(_LOCK_T lock)
{
    (void)lock;
}
void __retarget_lock_acquire_recursive(_LOCK_T lock)
{
    if (lock == &__lock___libc_recursive_mutex) {
        lock_taken();
    }
}
int __retarget_lock_try_acquire(_LOCK_T lock)
{
    (void)lock;
    return 1;
}
int __retarget_lock_try_acquire_recursive(_LOCK_T lock)
{
    __retarget_lock_acquire_recursive(lock);
    return 1;
}
void __retarget_lock_release(_LOCK_T lock)
{
    (void)lock;
}
void __retarget_lock_release_recursive(_LOCK_T lock)
{
    if (lock == &__lock___libc_recursive_mutex) {
        g_lock_depth--;
    }
}

/* The console: picolibc's stdout, over semihosting, which allocates nothing. */
static void console_write(const char *text, size_t n)
{
    fwrite(text, 1, n, stdout);
}
#else
void __malloc_lock(struct _reent *reent)
{
    (void)reent;
    lock_taken();
}
void __malloc_unlock(struct _reent *reent)
{
    (void)reent;
    g_lock_depth--;
}

/* The board's console: below newlib's stdio, which allocates its buffer. */
#define console_write board_write
#endif

static void check(int ok, const char *what)
{
    if (!ok) {
        const char *prefix = LIBC_NAME ": FAILED: ";
        console_write(prefix, strlen(prefix));
        console_write(what, strlen(what));
        console_write("\n", 1);
        g_failures++;
    }
}

static int in_heap(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    return (a >= (uintptr_t)__heap_start && a < (uintptr_t)__heap_end) ||
           (a >= (uintptr_t)g_extra.bytes && a < (uintptr_t)(g_extra.bytes + sizeof g_extra.bytes));
}

/* Since the last lock_mark(): the lock was taken at least once, is free now,
 * and was never taken while held (or released while free). */
static int g_lock_mark;
static void lock_mark(void)
{
    g_lock_mark = g_lock_calls;
}
static int lock_balanced(void)
{
    return g_lock_calls > g_lock_mark && g_lock_depth == 0 && g_lock_nested == 0;
}

int main(int argc, char **argv)
{
    bh_stats before, after;
    (void)argc;
    (void)argv;

#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
    /* The board's startup makes unaligned accesses fault, to prove that
     * bareheap makes none; Debian's prebuilt newlib does make some (printf
     * stores halfwords at odd stack offsets), which ARMv7-M allows. */
    *(volatile uint32_t *)(uintptr_t)0xE000ED14u &= ~(1u << 3); /* CCR.UNALIGN_TRP */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif

    /* Nothing has allocated yet: the heap is set up by the first call. */
    check(!heap_get_stats(&before), "heap initialised before the first allocation");
#ifdef NEWLIB_DEMO_EMPTY_LINKER_HEAP
    /* No heap in the linker script: every allocation fails, with ENOMEM,
     * until a region is added, and regions that cannot hold a heap are
     * refused without making one. */
    check((uintptr_t)__heap_end == (uintptr_t)__heap_start, "the linker script's heap range is not empty");
    errno = 0;
    lock_mark();
    check(malloc(16) == NULL && errno == ENOMEM, "malloc without a heap does not fail with ENOMEM");
    check(lock_balanced(), "malloc without a heap: lock not taken or not released");
    errno = 0;
    lock_mark();
    check(calloc(1, 16) == NULL && errno == ENOMEM, "calloc without a heap does not fail with ENOMEM");
    check(lock_balanced(), "calloc without a heap: lock not taken or not released");
    errno = 0;
    lock_mark();
    check(memalign(64, 16) == NULL && errno == ENOMEM, "memalign without a heap does not fail with ENOMEM");
    check(lock_balanced(), "memalign without a heap: lock not taken or not released");
    check(!bh_newlib_add_region(NULL, sizeof g_extra.bytes), "a NULL region was accepted");
    check(!bh_newlib_add_region(g_extra.bytes, 8), "a region too small for a heap was accepted");
    check(!heap_get_stats(&before), "a refused region made a heap");
    check(bh_newlib_add_region(g_extra.bytes, sizeof g_extra.bytes), "the first region added did not make the heap");
    check(heap_get_stats(&before) && before.region_count == 1u, "the heap is not the added region alone");
    check(before.heap_bytes == sizeof g_extra.bytes, "the heap is not all of the added region");
    check(before.control_bytes == bh_control_size(BAREHEAP_NEWLIB_MAX_REGION_BYTES),
          "the port's heap is not sized for BAREHEAP_NEWLIB_MAX_REGION_BYTES");
#elif defined(NEWLIB_DEMO_OWN_HEAP)
    /* The firmware makes the default heap before anything allocates through
     * newlib, from a small region, with the class table sized for the
     * linker script's range, which it adds through the port: the port uses
     * that heap, not one of its own over the linker range. */
    {
        size_t linker_bytes = (size_t)((uintptr_t)__heap_end - (uintptr_t)__heap_start);
        check(heap_init_ex(g_extra.bytes, sizeof g_extra.bytes, linker_bytes), "heap_init_ex on the first region");
        g_own_heap = heap_default();
        g_own_block = heap_alloc(OWN_BLOCK_BYTES);
        check(g_own_block != NULL, "the firmware's own block");
        if (g_own_block != NULL) {
            memset(g_own_block, 'A', OWN_BLOCK_BYTES);
        }
        check(bh_newlib_add_region(__heap_start, linker_bytes), "add the linker script's range to the firmware's heap");
        check(heap_default() == g_own_heap, "bh_newlib_add_region() made a heap over the firmware's");
        check(heap_get_stats(&before) && before.region_count == 2u && before.live_blocks == 1u,
              "the firmware's heap is not its region, the added range and its block");
        check(before.heap_bytes == linker_bytes + sizeof g_extra.bytes,
              "the heap is not all of the first region and the linker script's range");
    }
#else
    /* Memory can be added before anything has allocated: the port makes the
     * heap for it (heap_add_region() alone has no heap yet to add to). */
    check(bh_newlib_add_region(g_extra.bytes, sizeof g_extra.bytes), "add a region before the first allocation");
    check(heap_get_stats(&before) && before.region_count == 2u, "the added region is not in the heap");
    check(before.heap_bytes == (size_t)((uintptr_t)__heap_end - (uintptr_t)__heap_start) + sizeof g_extra.bytes,
          "the heap is not all of the linker script's range and the added region");
#endif

#ifdef __PICOLIBC__
    {
        /* picolibc's stdio allocates for asprintf(). */
        char *text = NULL;
        check(asprintf(&text, "picolibc asprintf on bareheap: %d %s", 42, "hello") > 0 && in_heap(text),
              "asprintf's string is not in the heap");
        if (text != NULL) {
            printf("%s\n", text);
        }
        free(text);
        check(heap_get_stats(&before) && before.alloc_count >= 1u, "asprintf allocated nothing from bareheap");
    }
#else
    /* printf allocates stdout's buffer through _malloc_r. */
    printf("newlib printf on bareheap: %d %s\n", 42, "hello");
    fflush(stdout);
    check(heap_get_stats(&before), "printf did not initialise the heap");
    check(before.alloc_count >= 1u && before.live_blocks >= 1u, "printf allocated nothing from bareheap");
    check(stdout->_bf._base != NULL && in_heap(stdout->_bf._base), "stdout's buffer is not in the heap");
#endif
#ifdef NEWLIB_DEMO_OWN_HEAP
    check(heap_default() == g_own_heap, "printf's allocation replaced the firmware's heap");
    {
        /* Blocks larger than the first region have classes of their own:
         * 100 KiB is found beside eight free 20 KiB holes. With the class
         * table sized for the first region (4 KiB) they would all share its
         * top class, and the request would examine BAREHEAP_PROBE_LIMIT
         * holes, not the large free block after them, and fail. */
        void *hole[8], *keep[8], *large;
        int i, made = 1;
        for (i = 0; i < 8; i++) {
            hole[i] = malloc(20u * 1024u);
            keep[i] = malloc(9000u);
            made &= hole[i] != NULL && keep[i] != NULL;
        }
        check(made, "the 20 KiB blocks and their neighbours");
        for (i = 0; i < 8; i++) {
            free(hole[i]);
        }
        large = malloc(100u * 1024u);
        check(large != NULL && in_heap(large), "malloc(100 KiB) beside eight free 20 KiB blocks");
        free(large);
        for (i = 0; i < 8; i++) {
            free(keep[i]);
        }
    }
#endif

    char *s = malloc(100);
    int *zeros = calloc(16, sizeof *zeros);
    void *dma = memalign(256, 512);
    char *copy = strdup("a string copied by newlib");
    check(s != NULL && in_heap(s), "malloc");
    check(zeros != NULL && in_heap(zeros), "calloc");
    check(dma != NULL && in_heap(dma) && ((uintptr_t)dma & 255u) == 0u, "memalign");
    check(copy != NULL && in_heap(copy), "strdup");
    for (int i = 0; zeros != NULL && i < 16; i++) {
        check(zeros[i] == 0, "calloc did not zero");
    }
    check(malloc_usable_size(s) >= 100u, "malloc_usable_size");
    if (s != NULL) {
        char *grown;
        strcpy(s, "kept across realloc");
        grown = realloc(s, 4000); /* NULL leaves s allocated: keep it to free */
        check(grown != NULL && in_heap(grown) && strcmp(grown, "kept across realloc") == 0, "realloc");
        if (grown != NULL) {
            s = grown;
        }
    }
    heap_get_stats(&after);
    check(after.alloc_count >= before.alloc_count + 5u, "the allocations were not counted by bareheap");
    check(after.live_blocks == before.live_blocks + 4u, "live blocks");
    {
        /* newlib's statistics calls are bareheap's too (and link: newlib's
         * own would bring in its malloc beside this one). */
        struct mallinfo info = mallinfo();
        check(info.uordblks == after.used_bytes && info.fordblks == after.free_bytes &&
                  info.ordblks == after.free_blocks && info.arena == after.heap_bytes &&
                  info.usmblks == after.peak_used_bytes,
              "mallinfo");
        check(malloc_trim(0) == 0 && mallopt(M_TRIM_THRESHOLD, 0) == 0, "malloc_trim / mallopt");
        malloc_stats();
        mstats("(bareheap)"); /* links: newlib's would bring its mallinfo beside ours */
    }

    errno = 0;
    check(malloc(SIZE_MAX / 2u) == NULL && errno == ENOMEM, "a failed malloc sets ENOMEM");
    errno = 0;
    check(memalign(0, SIZE_MAX / 2u) == NULL && errno == ENOMEM, "memalign(0, too much) sets ENOMEM");
    errno = 0;
    check(memalign(6, 16) == NULL && errno == EINVAL, "memalign(6) is refused with EINVAL");
    {
        /* C11 aligned_alloc() and posix_memalign(): newlib's <stdlib.h>
         * declares both, and leaves posix_memalign() to the allocator. */
        void *a = aligned_alloc(64, 100);
        void *b = (void *)1;
        check(a != NULL && in_heap(a) && ((uintptr_t)a & 63u) == 0u, "aligned_alloc");
        free(a);
        a = aligned_alloc(2, 10); /* a valid alignment too */
        check(a != NULL && in_heap(a), "aligned_alloc(2)");
        free(a);
        errno = 0;
        a = aligned_alloc(48, 10);
        check(a == NULL && errno == EINVAL, "aligned_alloc(48) is not EINVAL");
        errno = 0;
        a = aligned_alloc(0, 16); /* memalign(0) serves this; aligned_alloc must not */
        check(a == NULL && errno == EINVAL, "aligned_alloc(0) is not EINVAL");
        a = aligned_alloc(64, 100);
        check(posix_memalign(&b, 128, 10) == 0 && in_heap(b) && ((uintptr_t)b & 127u) == 0u,
              "posix_memalign");
        free(a);
        free(b);
        b = (void *)1;
        check(posix_memalign(&b, 24, 10) == EINVAL && b == (void *)1, "posix_memalign(24) is not EINVAL");
        check(posix_memalign(&b, sizeof(void *) / 2u, 10) == EINVAL && b == (void *)1,
              "posix_memalign(sizeof(void *) / 2) is not EINVAL");
        check(posix_memalign(&b, 64, SIZE_MAX / 2u) == ENOMEM && b == (void *)1,
              "posix_memalign(64, too much) is not ENOMEM");
    }
    {
        /* Every entry point takes newlib's lock once and releases it, on
         * success and on failure. */
        void *a, *b = (void *)1;
        struct mallinfo mi;
        lock_mark();
        a = malloc(24);
        check(a != NULL && lock_balanced(), "malloc: lock");
        lock_mark();
        free(a);
        check(lock_balanced(), "free: lock");
        lock_mark();
        a = calloc(4, 8);
        check(a != NULL && lock_balanced(), "calloc: lock");
        lock_mark();
        b = realloc(a, 300);
        check(b != NULL && lock_balanced(), "realloc: lock");
        if (b != NULL)
            a = b; /* a failed realloc leaves a allocated */
        lock_mark();
        check(malloc_usable_size(a) >= 300u && lock_balanced(), "malloc_usable_size: lock");
        free(a);
        lock_mark();
        a = memalign(64, 24);
        check(a != NULL && lock_balanced(), "memalign: lock");
        free(a);
        lock_mark();
        check(posix_memalign(&b, 32, 24) == 0 && lock_balanced(), "posix_memalign: lock");
        free(b);
        lock_mark();
        check(malloc(SIZE_MAX / 2u) == NULL && lock_balanced(), "failed malloc: lock");
        lock_mark();
        check(calloc(g_huge_count, 4u) == NULL && lock_balanced(), "failed calloc: lock");
        lock_mark();
        check(memalign(64, SIZE_MAX / 2u) == NULL && lock_balanced(), "failed memalign: lock");
        lock_mark();
        b = (void *)1;
        check(posix_memalign(&b, 64, SIZE_MAX / 2u) == ENOMEM && lock_balanced(), "failed posix_memalign: lock");
        lock_mark();
        mi = mallinfo();
        check(mi.arena != 0 && lock_balanced(), "mallinfo: lock");
    }
    {
        /* calloc's count * size overflow is a failed allocation: ENOMEM. */
        errno = 0;
        check(calloc(g_huge_count, 4u) == NULL && errno == ENOMEM, "calloc overflow does not fail with ENOMEM");
    }
    {
        /* realloc(p, 0) frees p and returns NULL, which is not a failure:
         * errno stays as it was. */
        bh_stats s0, s1;
        void *a = malloc(32);
        heap_get_stats(&s0);
        errno = 0;
        check(a != NULL && realloc(a, 0) == NULL && errno == 0, "realloc(p, 0) is not NULL, or sets errno");
        heap_get_stats(&s1);
        check(s1.live_blocks + 1u == s0.live_blocks && s1.free_count == s0.free_count + 1u,
              "realloc(p, 0) did not free p");
    }
    {
        /* reallocf() frees p when the resize fails, but after realloc(p, 0)
         * p is freed already: newlib's own reallocf() freed it again (a
         * double free, counted by bareheap as an error). */
        bh_stats s0, s1;
        void *a = malloc(40);
        heap_get_stats(&s0);
        errno = 0;
        check(a != NULL && reallocf(a, 0) == NULL && errno == 0, "reallocf(p, 0) is not NULL, or sets errno");
        heap_get_stats(&s1);
        check(s1.error_count == s0.error_count && s1.live_blocks + 1u == s0.live_blocks,
              "reallocf(p, 0) did not free p exactly once");
        a = malloc(40);
        heap_get_stats(&s0);
        check(a != NULL && reallocf(a, SIZE_MAX / 2u) == NULL && errno == ENOMEM, "a failed reallocf is not ENOMEM");
        heap_get_stats(&s1);
        check(s1.error_count == s0.error_count && s1.live_blocks + 1u == s0.live_blocks,
              "a failed reallocf did not free p exactly once");
    }
#ifndef __PICOLIBC__
    {
        /* The reentrant forms set the errno of the struct _reent they are
         * given, not the caller's. */
        struct _reent other;
        memset(&other, 0, sizeof other);
        errno = 0;
        check(_malloc_r(&other, SIZE_MAX / 2u) == NULL && other._errno == ENOMEM && errno == 0,
              "_malloc_r: errno not in its struct _reent");
        other._errno = 0;
        check(_memalign_r(&other, 6u, 16u) == NULL && other._errno == EINVAL && errno == 0,
              "_memalign_r: errno not in its struct _reent");
    }
#endif
    {
        /* valloc(): 4 KiB aligned. pvalloc(): also the size rounded up to a
         * page; a size that cannot be rounded is ENOMEM, not a small block. */
        void *v = valloc(10);
        check(v != NULL && in_heap(v) && ((uintptr_t)v & 4095u) == 0u, "valloc is not page aligned");
        free(v);
        v = pvalloc(100);
        check(v != NULL && in_heap(v) && ((uintptr_t)v & 4095u) == 0u && malloc_usable_size(v) >= 4096u,
              "pvalloc(100) is not a page-aligned page");
        free(v);
        errno = 0;
        v = pvalloc(SIZE_MAX - 100u);
        check(v == NULL && errno == ENOMEM, "pvalloc(SIZE_MAX - 100) does not fail with ENOMEM");
        free(v);
    }
    {
        /* realloc(NULL, 0) is malloc(0): on a full heap it fails, with ENOMEM
         * like any failed allocation. The blocks that fill the heap are
         * chained through their first word, to be freed after. */
        void **chain = NULL, **p;
        size_t n;
        for (n = (size_t)1 << 20; n >= sizeof(void *); n /= 2u) {
            while ((p = malloc(n)) != NULL) {
                *p = chain;
                chain = p;
            }
        }
        errno = 0;
        p = realloc(NULL, 0);
        check(p == NULL && errno == ENOMEM, "realloc(NULL, 0) on a full heap does not fail with ENOMEM");
        free(p);
        while (chain != NULL) {
            p = *chain;
            free(chain);
            chain = p;
        }
    }

    free(s);
    free(zeros);
    free(dma);
    free(copy);
    heap_get_stats(&after);
    check(after.live_blocks == before.live_blocks, "free did not return the blocks");
    check(heap_check() == 0u, "heap_check");
#ifdef NEWLIB_DEMO_OWN_HEAP
    {
        /* newlib never had the firmware's block. */
        int intact = g_own_block != NULL && heap_usable_size(g_own_block) >= OWN_BLOCK_BYTES;
        for (unsigned i = 0; intact && i < OWN_BLOCK_BYTES; i++) {
            intact = g_own_block[i] == 'A';
        }
        check(intact && after.error_count == 0u, "the firmware's own block was overwritten or freed");
    }
#endif

    printf("heap %p..%p: %lu allocations, %lu frees, %lu live, peak %lu bytes\n",
           (void *)__heap_start, (void *)__heap_end, (unsigned long)after.alloc_count,
           (unsigned long)after.free_count, (unsigned long)after.live_blocks,
           (unsigned long)after.peak_used_bytes);
    printf(g_failures == 0 ? LIBC_NAME ": ok\n" : LIBC_NAME ": FAILED\n");
    fflush(stdout);
    return g_failures == 0 ? 0 : 1;
}
