/*
 * bareheap lock for multi-core systems: a C11 atomic spinlock (acquire on
 * entry, release on exit) that waits with plain loads and tries the
 * exchange only when the lock reads free, so that waiting cores do not
 * keep taking the line from the holder. No fairness: a core may wait
 * through any number of other cores' calls, so a waiter's time is bounded
 * only by how the cores share the heap. The cores' atomic accesses must
 * reach one global exclusive monitor (or coherent atomics) and the heap's
 * memory must be coherent between them; on parts without that (some dual
 * Cortex-M parts with per-core caches) use the part's hardware semaphore
 * behind bh_set_lock(). Needs <stdatomic.h> (C11). Combine it
 * with an interrupt mask if handlers on the same core use the heap, or a
 * handler could spin on a lock its own core holds: mask first, then take
 * the spinlock, and store the saved mask only once the spinlock is held
 * (read it back before releasing). Calling bh_cortex_m_lock_enter() before
 * bh_spin_lock_enter() on one shared bh_cortex_m_lock does not do that: a
 * core waiting for the spinlock overwrites the saved mask of the core that
 * holds it, which then restores the other core's mask on exit.
 *
 * It does not nest (the interrupt-mask locks do): give each heap its own,
 * or share one only among heaps whose error handler and bh_walk()/bh_trim()
 * callbacks never call another of them, which would spin for good on the
 * lock its own caller holds. Heaps that call each other from those
 * callbacks with a lock each must still do so in one direction only (A's
 * callbacks may call into B, B's never into A): a core in A's callback
 * waiting for B while another core in B's waits for A would wait for good.
 *
 *   static bh_spin_lock lock = BH_SPIN_LOCK_INIT;
 *   bh_set_lock(heap, bh_spin_lock_enter, bh_spin_lock_exit, &lock);
 */
#ifndef BAREHEAP_LOCK_SPIN_H
#define BAREHEAP_LOCK_SPIN_H

#include <stdatomic.h>

/* Without an atomic read-modify-write (ARMv6-M: Cortex-M0/M0+/M1, RISC-V
 * without A) GCC has no instruction for the exchange and calls
 * __atomic_exchange_4, which a bare-metal link lacks and which, where a
 * library supplies it by masking interrupts, does not keep another core
 * out. Such parts need their own hardware lock (the RP2040's SIO
 * spinlocks, for one) behind bh_set_lock(). */
#if defined(__GNUC__) && !defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_4)
#error "bareheap_lock_spin.h: this CPU has no atomic test-and-set"
#endif

typedef struct bh_spin_lock {
    atomic_uint held; /* 1 while a core is inside a call */
} bh_spin_lock;

#define BH_SPIN_LOCK_INIT {0u}

static inline void bh_spin_lock_enter(void *context) {
    bh_spin_lock *lock = (bh_spin_lock *)context;
    while (atomic_exchange_explicit(&lock->held, 1u, memory_order_acquire) != 0u) {
        while (atomic_load_explicit(&lock->held, memory_order_relaxed) != 0u)
            ;
    }
}

static inline void bh_spin_lock_exit(void *context) {
    atomic_store_explicit(&((bh_spin_lock *)context)->held, 0u, memory_order_release);
}

#endif /* BAREHEAP_LOCK_SPIN_H */
