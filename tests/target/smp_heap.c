/*
 * One heap shared by two harts running at once (QEMU virt -smp 2, RISC-V or
 * ARM, one host thread per hart), through the C11 spinlock of
 * port/locks/bareheap_lock_spin.h, which is what it is for. Each hart
 * allocates, resizes and frees its own blocks, tagged and checked before
 * each free; a counter of harts inside the lock, raised and lowered with
 * atomics inside it, tells whether both were ever in at once. Passes when that never happened, the harts' critical
 * sections did interleave (each waited for the other at least once), every
 * block stayed intact and bh_check() finds the heap sound.
 *
 * SMP_HEAP_LOCK=0 is the control: the same counter around an empty
 * critical section with no spinlock, no heap calls. It passes when both
 * harts were inside at once, which shows that without the lock the harts'
 * critical sections do overlap (the hart threads running at once, or one
 * preempted inside while the other runs), so the first build's result is
 * the lock's.
 * Each hart makes OPS steps, then goes on while the other has not made its
 * OPS or the harts have not yet met (a wait for the lock; in the control,
 * both inside at once), up to MAX_OPS: a host that runs one hart's thread
 * at a time may let a hart make all of a fixed count alone (the control
 * then saw both inside at once 0 times in 2 runs of 10).
 * Prints "smp_heap: ok".
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bareheap.h"
#include "board.h"
#include "concurrent_check.h"
#include "../../port/locks/bareheap_lock_spin.h"

#define HEAP_BYTES 65536u
#define SLOTS 32u
#define OPS 100000u
#define MAX_OPS (20u * OPS)

static union {
    uint64_t align;
    unsigned char b[HEAP_BYTES];
} memory;
static bh_heap *heap;
static bh_spin_lock spin = BH_SPIN_LOCK_INIT;

static atomic_uint inside;    /* harts between lock_enter and lock_exit */
static atomic_uint overlaps;  /* times a hart found the other inside */
static atomic_uint waits;     /* times a hart found the lock taken */
static atomic_uint second_done;
static atomic_uint finished; /* harts that made their OPS steps */
static atomic_uint started; /* harts at the start line: both begin together */

static __attribute__((aligned(16))) unsigned char second_stack[8192];

static void lock_enter(void *context)
{
#if SMP_HEAP_LOCK
    if (atomic_load_explicit(&((bh_spin_lock *)context)->held, memory_order_relaxed) != 0u) {
        atomic_fetch_add_explicit(&waits, 1u, memory_order_relaxed);
    }
    bh_spin_lock_enter(context);
#else
    (void)context;
#endif
    if (atomic_fetch_add_explicit(&inside, 1u, memory_order_relaxed) != 0u) {
        atomic_fetch_add_explicit(&overlaps, 1u, memory_order_relaxed);
    }
}

static void lock_exit(void *context)
{
    atomic_fetch_sub_explicit(&inside, 1u, memory_order_relaxed);
#if SMP_HEAP_LOCK
    bh_spin_lock_exit(context);
#else
    (void)context;
#endif
}

/* Whether the harts have met: see the file's comment. */
static bool go_on(uint32_t i)
{
    if (i + 1u == OPS) {
        atomic_fetch_add(&finished, 1u);
    }
    if (i + 1u < OPS) {
        return true;
    }
    return i + 1u < MAX_OPS &&
           (atomic_load(&finished) < 2u || atomic_load(SMP_HEAP_LOCK ? &waits : &overlaps) == 0u);
}

#if SMP_HEAP_LOCK
static atomic_uint damage; /* blocks found changed */

static void worker(unsigned hart)
{
    unsigned char *slot[SLOTS] = {0};
    size_t size[SLOTS] = {0};
    uint32_t x = 0x9E3779B9u + 0x1000193u * hart, i;
    for (i = 0;; i++) {
        atomic_fetch_add(&damage, slot_step(heap, slot, size, SLOTS, rng_next(&x), hart * 0x40u, 700u));
        if (!go_on(i)) {
            break;
        }
    }
    atomic_fetch_add(&damage, slots_free(heap, slot, size, SLOTS, hart * 0x40u));
}
#else
/* About as long inside as a heap call. */
static void worker(unsigned hart)
{
    volatile uint32_t work = 0;
    uint32_t i, j;
    (void)hart;
    for (i = 0;; i++) {
        lock_enter(NULL);
        for (j = 0; j < 20u; j++) {
            work = work + j;
        }
        lock_exit(NULL);
        if (!go_on(i)) {
            break;
        }
    }
}
#endif

static void start_line(void)
{
    atomic_fetch_add(&started, 1u);
    while (atomic_load(&started) < 2u) {
    }
}

static void second_main(unsigned long hart)
{
    start_line();
    worker((unsigned)hart);
    atomic_store_explicit(&second_done, 1u, memory_order_release);
}

int main(int argc, char **argv)
{
    unsigned failures = 0;
    bh_stats s;
    (void)argc;
    (void)argv;
    heap = bh_init(memory.b, sizeof memory.b);
    if (heap == NULL || !bh_set_lock(heap, lock_enter, lock_exit, &spin)) {
        say("smp_heap: FAILED to make the heap\n");
        return 1;
    }
    board_hart_start(second_main, second_stack + sizeof second_stack);
    start_line();
    worker(0);
    while (atomic_load_explicit(&second_done, memory_order_acquire) == 0u) {
    }
    say_num("smp_heap: both inside at once ", atomic_load(&overlaps));
    say_num(", waited for the lock ", atomic_load(&waits));
    say("\n");
#if SMP_HEAP_LOCK
    if (atomic_load(&overlaps) != 0u) {
        say("smp_heap: FAILED: both harts inside the lock at once\n");
        failures++;
    }
    if (atomic_load(&waits) == 0u) {
        say("smp_heap: FAILED: the harts never met at the lock\n");
        failures++;
    }
    if (atomic_load(&damage) != 0u || bh_check(heap) != 0u || !bh_get_stats(heap, &s) || s.live_blocks != 0u) {
        say("smp_heap: FAILED: blocks or the heap damaged\n");
        failures++;
    }
#else
    (void)s;
    if (atomic_load(&overlaps) == 0u) {
        say("smp_heap: FAILED: the harts never ran at once\n");
        failures++;
    }
#endif
    if (failures == 0u) {
        say("smp_heap: ok\n");
    }
    return failures == 0u ? 0 : 1;
}
