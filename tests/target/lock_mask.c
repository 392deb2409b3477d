/*
 * The interrupt-mask locks of port/locks/ on the CPU they are written for
 * (Cortex-M: PRIMASK; RISC-V in machine mode: mstatus.MIE): a call on a heap
 * with the lock runs masked, and afterwards the mask is as the caller had
 * it, unmasked or masked, also when a call on a second heap with the same
 * lock object runs inside it (from the first heap's error handler). The
 * error handler, which runs with the lock held, observes the mask. No
 * interrupt source is enabled, so unmasking is safe.
 * Built twice: with the masks as lock hooks (bh_set_lock), and with
 * LOCK_MASK_IN_LINE, the core compiled into the firmware with
 * port/locks/bareheap_lock_mask_in_line.h, where every call masks by itself
 * and bh_set_lock() is refused; the checks are the same.
 * Prints "lock_mask: ok".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bareheap.h"
#include "board.h"

#if defined(__ARM_ARCH_PROFILE) && (__ARM_ARCH_PROFILE == 'M')
#include "../../port/locks/bareheap_lock_cortex_m.h"
typedef bh_cortex_m_lock mask_lock;
#define MASK_ENTER bh_cortex_m_lock_enter
#define MASK_EXIT bh_cortex_m_lock_exit
static bool masked(void) {
    uint32_t primask;
    __asm__ volatile("mrs %0, primask" : "=r"(primask) : : "memory");
    return (primask & 1u) != 0;
}
static void set_masked(bool on) {
    if (on)
        __asm__ volatile("cpsid i" : : : "memory");
    else
        __asm__ volatile("cpsie i" : : : "memory");
}
#elif defined(__riscv)
#include "../../port/locks/bareheap_lock_riscv.h"
typedef bh_riscv_lock mask_lock;
#define MASK_ENTER bh_riscv_lock_enter
#define MASK_EXIT bh_riscv_lock_exit
static bool masked(void) {
    unsigned long mstatus;
    __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrr %0, mstatus\n\t.option pop"
                     : "=r"(mstatus) : : "memory");
    return (mstatus & 8u) == 0;
}
static void set_masked(bool on) {
    if (on)
        __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrci mstatus, 8\n\t.option pop" : : : "memory");
    else
        __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrsi mstatus, 8\n\t.option pop" : : : "memory");
}
#else
#error "lock_mask.c: no interrupt-mask lock for this CPU"
#endif

static union {
    long double align;
    unsigned char bytes[4096];
} g_memory;

/* Gives heap the mask as its lock: as hooks, or (in line) checks that
 * bh_set_lock() is refused, the mask being compiled in. */
static bool heap_lock(bh_heap *heap, mask_lock *lock) {
#if defined(LOCK_MASK_IN_LINE)
    return !bh_set_lock(heap, MASK_ENTER, MASK_EXIT, lock);
#else
    return bh_set_lock(heap, MASK_ENTER, MASK_EXIT, lock);
#endif
}

static int g_failures;
static int g_reports;
static bool g_masked_in_handler;

static void fail(const char *what) {
    static const char prefix[] = "lock_mask: FAILED: ";
    size_t n = 0;
    while (what[n])
        n++;
    board_write(prefix, sizeof prefix - 1u);
    board_write(what, n);
    board_write("\n", 1);
    g_failures++;
}

/* context: NULL, or another heap to call into first (see main()). */
static void on_error(void *context, bh_error kind, const void *address) {
    (void)kind;
    (void)address;
    if (context) {
        bh_heap *other = (bh_heap *)context;
        bh_free(other, bh_alloc(other, 16));
    }
    g_reports++;
    g_masked_in_handler = masked();
}

/* One rejected free (a misaligned pointer, reported before anything
 * changes) from a caller whose mask is caller_masked. */
static void check_call(bh_heap *heap, bool caller_masked, const char *what) {
    int reports = g_reports;
    set_masked(caller_masked);
    g_masked_in_handler = false;
    bh_free(heap, g_memory.bytes + 1);
    if (g_reports != reports + 1 || !g_masked_in_handler)
        fail(what);
    if (masked() != caller_masked)
        fail(caller_masked ? "the mask was lifted on exit" : "the mask stayed on after exit");
    set_masked(false);
}

int main(int argc, char **argv) {
    static mask_lock lock;
    bh_heap *heap;
    void *p;
    (void)argc;
    (void)argv;
    heap = bh_init(g_memory.bytes, sizeof g_memory.bytes);
    if (!heap || !heap_lock(heap, &lock)) {
        fail("init");
        board_exit(1);
    }
    bh_set_error_handler(heap, on_error, NULL);
    check_call(heap, false, "not masked inside a call made unmasked");
    check_call(heap, true, "not masked inside a call made masked");
    check_call(heap, false, "not masked inside a later call made unmasked");
    set_masked(false);
    p = bh_alloc(heap, 100);
    if (!p || masked())
        fail("alloc");
    bh_free(heap, p);
    if (masked() || bh_check(heap) != 0)
        fail("free");
    {
        /* A second heap with the same lock object (an interrupt mask has no
         * owner: nothing asks for one object per heap), called from the
         * first one's error handler, as the contract allows for another
         * heap. The hooks nest on one object, and the outer call must still
         * leave the caller's mask as it found it. */
        static union {
            long double align;
            unsigned char bytes[1024];
        } other_memory;
        bh_heap *other = bh_init(other_memory.bytes, sizeof other_memory.bytes);
        if (!other || !heap_lock(other, &lock)) {
            fail("init of a second heap");
        } else {
            bh_set_error_handler(heap, on_error, other);
            check_call(heap, false, "not masked inside a call that nests another heap's, made unmasked");
            check_call(heap, true, "not masked inside a call that nests another heap's, made masked");
            bh_set_error_handler(heap, on_error, NULL);
            if (bh_check(other) != 0)
                fail("the second heap");
        }
    }
    if (g_failures == 0)
        board_write("lock_mask: ok\n", 14);
    return g_failures == 0 ? 0 : 1;
}
