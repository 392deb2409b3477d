/*
 * bareheap lock for multi-core systems: a C11 atomic test-and-set spinlock
 * (acquire on entry, release on exit). Needs <stdatomic.h> (C11). Combine it
 * with an interrupt mask if handlers on the same core use the heap, or a
 * handler could spin on a lock its own core holds.
 *
 *   static bh_spin_lock lock = BH_SPIN_LOCK_INIT;
 *   bh_set_lock(heap, bh_spin_lock_enter, bh_spin_lock_exit, &lock);
 */
#ifndef BAREHEAP_LOCK_SPIN_H
#define BAREHEAP_LOCK_SPIN_H

#include <stdatomic.h>

typedef struct bh_spin_lock {
    atomic_flag held;
} bh_spin_lock;

#define BH_SPIN_LOCK_INIT {ATOMIC_FLAG_INIT}

static inline void bh_spin_lock_enter(void *context) {
    bh_spin_lock *lock = (bh_spin_lock *)context;
    while (atomic_flag_test_and_set_explicit(&lock->held, memory_order_acquire))
        ;
}

static inline void bh_spin_lock_exit(void *context) {
    atomic_flag_clear_explicit(&((bh_spin_lock *)context)->held, memory_order_release);
}

#endif /* BAREHEAP_LOCK_SPIN_H */
