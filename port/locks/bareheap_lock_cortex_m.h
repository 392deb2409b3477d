/*
 * bareheap lock for single-core Cortex-M: masks interrupts (PRIMASK) for the
 * duration of each heap call, restoring the previous mask afterwards, so the
 * heap may be used from thread code and interrupt handlers alike, but not
 * from NMI or HardFault handlers, which PRIMASK does not mask. The time
 * interrupts stay masked is one call's bounded time. PRIMASK exists on every
 * Cortex-M, ARMv6-M (M0/M0+) included; BASEPRI is not needed.
 *
 *   static bh_cortex_m_lock lock;
 *   bh_set_lock(heap, bh_cortex_m_lock_enter, bh_cortex_m_lock_exit, &lock);
 *
 * Not for multi-core parts: PRIMASK is per core (use bareheap_lock_spin.h).
 */
#ifndef BAREHEAP_LOCK_CORTEX_M_H
#define BAREHEAP_LOCK_CORTEX_M_H

#include <stdint.h>

typedef struct bh_cortex_m_lock {
    uint32_t saved_primask; /* valid between enter and exit */
} bh_cortex_m_lock;

static inline void bh_cortex_m_lock_enter(void *context) {
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
    ((bh_cortex_m_lock *)context)->saved_primask = primask;
}

static inline void bh_cortex_m_lock_exit(void *context) {
    uint32_t primask = ((bh_cortex_m_lock *)context)->saved_primask;
    __asm__ volatile("msr primask, %0" : : "r"(primask) : "memory");
}

#endif /* BAREHEAP_LOCK_CORTEX_M_H */
