/*
 * newlib on bareheap: malloc, free, calloc, realloc, reallocf, memalign and
 * their reentrant _r forms, aligned_alloc and posix_memalign, so that everything
 * in the firmware that allocates through newlib (printf's stream buffers,
 * strdup, C++ operator new, which calls malloc) takes its memory from
 * bareheap's default heap (heap_*).
 *
 * Linking this file (before libc) replaces newlib's allocator: newlib's own
 * malloc objects, and with them its _sbrk, are not pulled in. That takes
 * every function of newlib's malloc family, mallinfo(), malloc_stats(),
 * malloc_trim() and mallopt() included: newlib builds each of those into an
 * object that needs its own heap's variables, which would bring in its
 * _malloc_r beside this one (a link error). mstats() and _mstats_r() too:
 * newlib keeps them in one object with mallinfo(), malloc_stats() and
 * mallopt(), so a call to mstats() would bring in that object, and its
 * second definitions of those three (a link error again).
 *
 * The same file serves picolibc (newlib's descendant: the C library of
 * Debian's RISC-V toolchain, of Zephyr and of Arm's LLVM embedded toolchain),
 * found by its __PICOLIBC__: the same calls and answers, without the _r
 * forms, which picolibc does not have. picolibc keeps free() and cfree() in
 * one object, so cfree() is defined here too; its malloc takes its memory
 * through sbrk(), which then stays out of the link.
 *
 * The heap is bareheap's default heap. If the firmware has made it
 * (heap_init() or heap_init_ex() before anything allocates through newlib),
 * that heap serves newlib. Otherwise the first allocation makes it from the
 * linker script's [__heap_start, __heap_end), with its class table sized
 * for regions up to BAREHEAP_NEWLIB_MAX_REGION_BYTES (below). More memory
 * can be added at any time with bh_newlib_add_region() (bareheap_newlib.h);
 * heap_add_region() would refuse it before the first allocation, when there
 * is no heap yet, and would run outside the C library's lock. If the linker
 * script's range is too small for a heap (empty, say), allocations fail
 * with ENOMEM until bh_newlib_add_region() makes the heap from the region
 * it is given.
 *
 * Each call runs between __malloc_lock() and __malloc_unlock() (newlib's
 * hooks: empty in a single-threaded newlib; an RTOS port overrides them,
 * e.g. with a recursive mutex or by masking interrupts), so the heap_* calls
 * are never entered twice at once. With picolibc, the lock its own malloc
 * takes: __LIBC_LOCK(), the C library's recursive retargetable lock
 * (__retarget_lock_acquire_recursive() on __lock___libc_recursive_mutex;
 * no-ops unless the RTOS or the firmware defines them).
 *
 * A failed allocation sets errno (with newlib, that of the caller's struct
 * _reent; picolibc's is thread-local) to ENOMEM; memalign() with an
 * alignment that is not a power of two, to EINVAL.
 *
 * Where this differs from newlib's own allocator: full newlib's memalign()
 * takes any alignment (newlib-nano's refuses one that is not a power of
 * two, as this one does), and its realloc(p, 0) returns a minimal block
 * where this one frees p and returns NULL, as bareheap's realloc does (C
 * leaves both to the implementation).
 */
#include <errno.h>
#include <malloc.h>
#ifndef __PICOLIBC__
#include <reent.h>
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/lock.h>

#include "bareheap.h"
#include "bareheap_newlib.h"

extern unsigned char __heap_start[], __heap_end[];

/* The largest region the heap this port makes will be given (by
 * bh_newlib_add_region()): its class table is sized for blocks that large,
 * as bh_init_ex() does. 0, the default: sized for the first region, so that
 * blocks larger than it all share its top class, of which an allocation
 * examines BAREHEAP_PROBE_LIMIT blocks (an 8 KiB linker heap with 4 MiB of
 * SDRAM added can then fail a 100 KiB request with megabytes free). Set it
 * to the largest region you will add; each power of two above the first
 * region costs the control structure 2^BAREHEAP_SL_LOG2 list heads and a
 * bitmap word. Unused when the firmware makes the default heap itself (it
 * then chooses, with heap_init_ex()). */
#ifndef BAREHEAP_NEWLIB_MAX_REGION_BYTES
#define BAREHEAP_NEWLIB_MAX_REGION_BYTES 0
#endif
/* A negative value would become a size near SIZE_MAX: a class table for the
 * whole address space, silently, where a mistake is more likely than that
 * choice (which SIZE_MAX itself still makes). */
typedef char bh_newlib_max_region_not_negative[(BAREHEAP_NEWLIB_MAX_REGION_BYTES) >= 0 ? 1 : -1];

/* What each call is given and takes: libc_ctx, the caller's C library
 * state (newlib's struct _reent; picolibc keeps none to pass), with
 * CTX_CURRENT the calling thread's; CTX_ERRNO(ctx), its errno; CTX_LOCK and
 * CTX_UNLOCK, the C library's allocator lock. */
#ifdef __PICOLIBC__
/* picolibc: errno is thread-local, and its own allocator runs under the C
 * library's recursive lock (__LIBC_LOCK(): the retargetable lock, no-ops
 * unless the RTOS or the firmware defines __retarget_lock_*). */
typedef void *libc_ctx;
#define CTX_CURRENT NULL
#define CTX_ERRNO(ctx) (*((void)(ctx), &errno))
#define CTX_LOCK(ctx) ((void)(ctx), __LIBC_LOCK())
#define CTX_UNLOCK(ctx) ((void)(ctx), __LIBC_UNLOCK())
#define CTX_STDERR(ctx) ((void)(ctx), stderr)
#else
typedef struct _reent *libc_ctx;
#define CTX_CURRENT _REENT
/* newlib builds with errno in each struct _reent, or, configured with
 * --enable-newlib-reent-thread-local (4.3 on), in a thread-local variable:
 * _REENT_ERRNO() names the right one where newlib defines it. */
#ifdef _REENT_ERRNO
#define CTX_ERRNO(ctx) _REENT_ERRNO(ctx)
#else
#define CTX_ERRNO(ctx) ((ctx)->_errno)
#endif
#define CTX_LOCK(ctx) __malloc_lock(ctx)
#define CTX_UNLOCK(ctx) __malloc_unlock(ctx)
#define CTX_STDERR(ctx) _stderr_r(ctx)

/* newlib's lock hooks (newlib/libc/stdlib/mlock.c; not in a public header). */
void __malloc_lock(struct _reent *reent);
void __malloc_unlock(struct _reent *reent);

/* Also defined here, so newlib's versions (which walk its own heap) stay out. */
void *_reallocf_r(struct _reent *reent, void *ptr, size_t size_bytes);
size_t _malloc_usable_size_r(struct _reent *reent, void *ptr);
void *_valloc_r(struct _reent *reent, size_t size_bytes);
void *_pvalloc_r(struct _reent *reent, size_t size_bytes);
#endif
void *reallocf(void *ptr, size_t size_bytes);

/* Whether there is a default heap, made now from the linker script's range
 * if neither the firmware nor an earlier call has made one. A heap the
 * firmware made is used as it is: making another over the linker range
 * would hand newlib memory the firmware's blocks live in. Called with the
 * lock held. */
static bool heap_ready(void)
{
    return heap_default() != NULL ||
           heap_init_ex(__heap_start, (size_t)((uintptr_t)__heap_end - (uintptr_t)__heap_start),
                        BAREHEAP_NEWLIB_MAX_REGION_BYTES);
}

bool bh_newlib_add_region(void *mem, size_t size_bytes)
{
    libc_ctx ctx = CTX_CURRENT;
    bool added;
    CTX_LOCK(ctx);
    if (heap_ready()) {
        added = heap_add_region(mem, size_bytes);
    } else {
        /* The linker script's range cannot hold a heap (a script that
         * leaves it empty, all of the heap being memory set up at run
         * time, external SDRAM say): this region makes the heap. */
        added = heap_init_ex(mem, size_bytes, BAREHEAP_NEWLIB_MAX_REGION_BYTES);
    }
    CTX_UNLOCK(ctx);
    return added;
}

static void *result(libc_ctx ctx, void *ptr)
{
    if (ptr == NULL) {
        CTX_ERRNO(ctx) = ENOMEM;
    }
    return ptr;
}

static void *libc_malloc(libc_ctx ctx, size_t size_bytes)
{
    void *p = NULL;
    CTX_LOCK(ctx);
    if (heap_ready()) {
        p = heap_alloc(size_bytes);
    }
    CTX_UNLOCK(ctx);
    return result(ctx, p);
}

static void libc_free(libc_ctx ctx, void *ptr)
{
    if (ptr == NULL) {
        return;
    }
    CTX_LOCK(ctx);
    heap_free(ptr);
    CTX_UNLOCK(ctx);
}

/* The block is cleared after the C library's lock is released, as bh_calloc()
 * clears outside the heap's own: with a lock that masks interrupts, the
 * clear, O(bytes), does not keep them masked. */
static void *libc_calloc(libc_ctx ctx, size_t count, size_t size_bytes)
{
    void *p = NULL;
    size_t total = 0;
    CTX_LOCK(ctx);
    if (heap_ready()) {
        if (size_bytes == 0u || count <= SIZE_MAX / size_bytes) {
            total = count * size_bytes;
            p = heap_alloc(total);
        } else {
            /* The product overflows: refused, and counted as a failed call. */
            p = heap_calloc(count, size_bytes);
        }
    }
    CTX_UNLOCK(ctx);
    if (p != NULL) {
        memset(p, 0, total);
    }
    return result(ctx, p);
}

static void *libc_realloc(libc_ctx ctx, void *ptr, size_t size_bytes)
{
    void *p = NULL;
    CTX_LOCK(ctx);
    if (heap_ready()) {
        p = heap_realloc(ptr, size_bytes);
    }
    CTX_UNLOCK(ctx);
    /* realloc(p, 0) frees p and returns NULL: not a failure. realloc(NULL, 0)
     * is malloc(0), and its NULL is one. */
    return size_bytes == 0u && ptr != NULL ? p : result(ctx, p);
}

/* newlib's reallocf() frees ptr whenever _realloc_r() returns NULL, so after
 * realloc(ptr, 0), which has freed it already, a second time: a double free
 * (reported at BAREHEAP_DEBUG >= 1, a corrupt heap without it). Here ptr is
 * freed only when a resize to a size above 0 failed, as FreeBSD's reallocf()
 * does; defining both names keeps newlib's object out of the link. */
static void *libc_reallocf(libc_ctx ctx, void *ptr, size_t size_bytes)
{
    void *p = libc_realloc(ctx, ptr, size_bytes);
    if (p == NULL && size_bytes != 0u) {
        libc_free(ctx, ptr);
    }
    return p;
}

/* An alignment that is not a power of two is refused (EINVAL), as
 * newlib-nano's memalign() refuses it (full newlib's rounds it up): rounding
 * 6 up to the default 8 would return a pointer that is not a multiple of 6.
 * 0 and powers of two below the default alignment get the default; a
 * failure with those is ENOMEM. */
/* A block aligned to align_bytes (0 or a power of two), or NULL; errno untouched. */
static void *aligned_under_lock(libc_ctx ctx, size_t align_bytes, size_t size_bytes)
{
    void *p = NULL;
    CTX_LOCK(ctx);
    if (heap_ready()) {
        p = heap_alloc_aligned(align_bytes < bh_alignment() ? bh_alignment() : align_bytes,
                               size_bytes);
    }
    CTX_UNLOCK(ctx);
    return p;
}

static void *libc_memalign(libc_ctx ctx, size_t align_bytes, size_t size_bytes)
{
    if ((align_bytes & (align_bytes - 1u)) != 0u) {
        CTX_ERRNO(ctx) = EINVAL;
        return NULL;
    }
    return result(ctx, aligned_under_lock(ctx, align_bytes, size_bytes));
}

/* newlib's <stdlib.h> declares posix_memalign() and its aligned_alloc()
 * calls it, but newlib leaves the definition to the allocator (its own
 * malloc has none): without this one neither links. POSIX's rules: an
 * alignment that is not a power of two multiple of sizeof(void *) is
 * EINVAL, no memory ENOMEM; *memptr is written only on success, and errno
 * is left alone (the result is the error). */
int posix_memalign(void **memptr, size_t align_bytes, size_t size_bytes)
{
    void *p;
    if (align_bytes == 0u || (align_bytes & (align_bytes - 1u)) != 0u ||
        align_bytes % sizeof(void *) != 0u) {
        return EINVAL;
    }
    p = aligned_under_lock(CTX_CURRENT, align_bytes, size_bytes);
    if (p == NULL) {
        return ENOMEM;
    }
    *memptr = p;
    return 0;
}

static size_t libc_malloc_usable_size(libc_ctx ctx, void *ptr)
{
    size_t n;
    CTX_LOCK(ctx);
    n = heap_usable_size(ptr);
    CTX_UNLOCK(ctx);
    return n;
}

/* Page-aligned forms, for completeness: 4 KiB pages. */
static void *libc_valloc(libc_ctx ctx, size_t size_bytes)
{
    return libc_memalign(ctx, 4096u, size_bytes);
}

static void *libc_pvalloc(libc_ctx ctx, size_t size_bytes)
{
    if (size_bytes > SIZE_MAX - 4095u) {
        CTX_ERRNO(ctx) = ENOMEM;
        return NULL;
    }
    return libc_memalign(ctx, 4096u, (size_bytes + 4095u) & ~(size_t)4095u);
}

/* newlib's mallinfo from bareheap's statistics; all zero while there is no
 * default heap. arena is all the memory given to the heap (control structure
 * and alignment included, so more than uordblks + fordblks); usmblks is the
 * peak of uordblks, as newlib's own malloc reports it although its header
 * calls the field unused. keepcost is 0: there is no system to give memory
 * back to. */
static struct mallinfo libc_mallinfo(libc_ctx ctx)
{
    struct mallinfo info = {0};
    bh_stats stats;
    CTX_LOCK(ctx);
    if (heap_get_stats(&stats)) {
        info.arena = stats.heap_bytes;
        info.ordblks = stats.free_blocks;
        info.usmblks = stats.peak_used_bytes;
        info.uordblks = stats.used_bytes;
        info.fordblks = stats.free_bytes;
    }
    CTX_UNLOCK(ctx);
    return info;
}

/* To stderr, as newlib's does. */
static void libc_malloc_stats(libc_ctx ctx)
{
    struct mallinfo info = libc_mallinfo(ctx);
    fprintf(CTX_STDERR(ctx), "heap bytes = %10lu\npeak used bytes = %10lu\nin use bytes = %10lu\n",
            (unsigned long)info.arena, (unsigned long)info.usmblks, (unsigned long)info.uordblks);
}

/* newlib's older statistics call: a title line, then malloc_stats(). */
static void libc_mstats(libc_ctx ctx, char *title)
{
    fprintf(CTX_STDERR(ctx), "Memory allocation statistics %s\n", title);
    libc_malloc_stats(ctx);
}

void *malloc(size_t size_bytes)
{
    return libc_malloc(CTX_CURRENT, size_bytes);
}

void free(void *ptr)
{
    libc_free(CTX_CURRENT, ptr);
}

/* The old name of free(): picolibc keeps it in one object with its free(),
 * which a call of cfree() would otherwise bring in beside this one. */
void cfree(void *ptr)
{
    libc_free(CTX_CURRENT, ptr);
}

void *calloc(size_t count, size_t size_bytes)
{
    return libc_calloc(CTX_CURRENT, count, size_bytes);
}

void *realloc(void *ptr, size_t size_bytes)
{
    return libc_realloc(CTX_CURRENT, ptr, size_bytes);
}

void *reallocf(void *ptr, size_t size_bytes)
{
    return libc_reallocf(CTX_CURRENT, ptr, size_bytes);
}

void *memalign(size_t align_bytes, size_t size_bytes)
{
    return libc_memalign(CTX_CURRENT, align_bytes, size_bytes);
}

size_t malloc_usable_size(void *ptr)
{
    return libc_malloc_usable_size(CTX_CURRENT, ptr);
}

/* C11's, here rather than newlib's, which calls posix_memalign() and so
 * refuses alignments below sizeof(void *) (1 and 2 on 32-bit targets),
 * which C17 counts as valid. Not a power of two, 0 included (no object has
 * that alignment; memalign() takes it as "any", aligned_alloc() may not):
 * NULL with EINVAL, as glibc's aligned_alloc() since 2.38. */
void *aligned_alloc(size_t align_bytes, size_t size_bytes)
{
    if (align_bytes == 0u) {
        CTX_ERRNO(CTX_CURRENT) = EINVAL;
        return NULL;
    }
    return libc_memalign(CTX_CURRENT, align_bytes, size_bytes);
}

void *valloc(size_t size_bytes)
{
    return libc_valloc(CTX_CURRENT, size_bytes);
}

void *pvalloc(size_t size_bytes)
{
    return libc_pvalloc(CTX_CURRENT, size_bytes);
}

struct mallinfo mallinfo(void)
{
    return libc_mallinfo(CTX_CURRENT);
}

void malloc_stats(void)
{
    libc_malloc_stats(CTX_CURRENT);
}

/* Nothing to give back to a system: 0, as newlib's when it releases nothing. */
int malloc_trim(size_t pad_bytes)
{
    (void)pad_bytes;
    return 0;
}

/* No tunable: 0 (failure) for every parameter, as for one newlib does not know. */
int mallopt(int parameter, int value)
{
    (void)parameter;
    (void)value;
    return 0;
}

void mstats(char *title)
{
    libc_mstats(CTX_CURRENT, title);
}

#ifndef __PICOLIBC__
/* newlib's reentrant forms, which newlib itself calls (stdio's buffers) and
 * which set errno in the struct _reent they are given. */
void *_malloc_r(struct _reent *reent, size_t size_bytes)
{
    return libc_malloc(reent, size_bytes);
}

void _free_r(struct _reent *reent, void *ptr)
{
    libc_free(reent, ptr);
}

void *_calloc_r(struct _reent *reent, size_t count, size_t size_bytes)
{
    return libc_calloc(reent, count, size_bytes);
}

void *_realloc_r(struct _reent *reent, void *ptr, size_t size_bytes)
{
    return libc_realloc(reent, ptr, size_bytes);
}

void *_reallocf_r(struct _reent *reent, void *ptr, size_t size_bytes)
{
    return libc_reallocf(reent, ptr, size_bytes);
}

void *_memalign_r(struct _reent *reent, size_t align_bytes, size_t size_bytes)
{
    return libc_memalign(reent, align_bytes, size_bytes);
}

size_t _malloc_usable_size_r(struct _reent *reent, void *ptr)
{
    return libc_malloc_usable_size(reent, ptr);
}

void *_valloc_r(struct _reent *reent, size_t size_bytes)
{
    return libc_valloc(reent, size_bytes);
}

void *_pvalloc_r(struct _reent *reent, size_t size_bytes)
{
    return libc_pvalloc(reent, size_bytes);
}

struct mallinfo _mallinfo_r(struct _reent *reent)
{
    return libc_mallinfo(reent);
}

void _malloc_stats_r(struct _reent *reent)
{
    libc_malloc_stats(reent);
}

void _mstats_r(struct _reent *reent, char *title)
{
    libc_mstats(reent, title);
}

int _malloc_trim_r(struct _reent *reent, size_t pad_bytes)
{
    (void)reent;
    return malloc_trim(pad_bytes);
}

int _mallopt_r(struct _reent *reent, int parameter, int value)
{
    (void)reent;
    return mallopt(parameter, value);
}
#endif
