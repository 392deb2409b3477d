/*
 * bareheap lock for single-core Cortex-M: masks interrupts (PRIMASK) for the
 * duration of each heap call, restoring the previous mask afterwards, so the
 * heap may be used from thread code and interrupt handlers alike, but not
 * from NMI or HardFault handlers, which PRIMASK does not mask. The time
 * interrupts stay masked is one call's bounded time (at BAREHEAP_DEBUG 0 and
 * 1: level 2 poisons and checks whole blocks under the lock, level 3 checks
 * the whole heap). PRIMASK exists on every Cortex-M, ARMv6-M (M0/M0+)
 * included; BASEPRI is not needed. Privileged code only: in unprivileged
 * thread mode (an MPU task of an RTOS, a TF-M partition) CPSID and MSR
 * PRIMASK are ignored without a fault, and the heap would be unprotected.
 * Unprivileged callers need a lock their RTOS provides (a mutex, or a
 * system call that masks) behind bh_set_lock().
 *
 *   static bh_cortex_m_lock lock;
 *   bh_set_lock(heap, bh_cortex_m_lock_enter, bh_cortex_m_lock_exit, &lock);
 *
 * Or compiled into every call, for every heap, with no hook (3 instructions
 * a call, against some 30 for the hooks' calls and bodies), in the
 * configuration header (BAREHEAP_CONFIG_HEADER; bareheap_lock_mask_in_line.h
 * is one that does just this):
 *
 *   #define BAREHEAP_LOCK_HOOKS 0
 *   #define BAREHEAP_LOCK_STATE uint32_t
 *   #define BAREHEAP_LOCK_ENTER(heap) bh_cortex_m_mask_save()
 *   #define BAREHEAP_LOCK_EXIT(heap, state) bh_cortex_m_mask_restore(state)
 *   #include "bareheap_lock_cortex_m.h"
 *
 * Not for multi-core parts: PRIMASK is per core (bareheap_lock_spin.h, where
 * the cores' exclusive accesses reach one global monitor and the heap's
 * memory is coherent between them, or the part's hardware semaphore).
 */
#ifndef BAREHEAP_LOCK_CORTEX_M_H
#define BAREHEAP_LOCK_CORTEX_M_H

#include <stdint.h>

/* Masks interrupts and returns the mask as it was. */
static inline uint32_t bh_cortex_m_mask_save(void) {
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
    return primask;
}

/* Puts back a mask bh_cortex_m_mask_save() returned. Each call keeps its
 * own, so calls nested from an error handler or callback restore in turn. */
static inline void bh_cortex_m_mask_restore(uint32_t primask) {
    __asm__ volatile("msr primask, %0" : : "r"(primask) : "memory");
}

/* One object may serve several heaps, and a call on one may then run inside
 * a call on another (an error handler or a bh_walk()/bh_trim() callback
 * may call into another heap): so enter and exit nest, and only the
 * outermost pair saves and restores the mask. A single saved value would be
 * overwritten by the inner enter (masked), and the outer exit would leave
 * interrupts masked for good. Both fields change only while masked. */
typedef struct bh_cortex_m_lock {
    uint32_t saved_primask; /* valid while depth > 0: the mask before the outermost enter */
    uint32_t depth;         /* enters not yet exited */
} bh_cortex_m_lock;

static inline void bh_cortex_m_lock_enter(void *context) {
    bh_cortex_m_lock *lock = (bh_cortex_m_lock *)context;
    uint32_t primask = bh_cortex_m_mask_save();
    if (lock->depth++ == 0u)
        lock->saved_primask = primask;
}

static inline void bh_cortex_m_lock_exit(void *context) {
    bh_cortex_m_lock *lock = (bh_cortex_m_lock *)context;
    if (--lock->depth == 0u)
        bh_cortex_m_mask_restore(lock->saved_primask);
}

#endif /* BAREHEAP_LOCK_CORTEX_M_H */
