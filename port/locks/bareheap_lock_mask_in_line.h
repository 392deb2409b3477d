/*
 * A configuration header that compiles this CPU's interrupt mask into every
 * heap call, for every heap, with no lock hooks (BAREHEAP_LOCK_HOOKS 0):
 * PRIMASK on Cortex-M (bareheap_lock_cortex_m.h), mstatus.MIE on RISC-V in
 * machine mode (bareheap_lock_riscv.h). Every call may then be made from
 * thread code and interrupt handlers alike (not NMI or HardFault on
 * Cortex-M), for three instructions a call on Cortex-M (mrs, cpsid, msr).
 * Each call keeps the mask it found in its own frame, so calls that nest (an
 * error handler or a bh_walk()/bh_trim() callback calling another heap)
 * restore in turn.
 *
 * Use it as the configuration header, with port/locks/ on the include path:
 *   -DBAREHEAP_CONFIG_HEADER='"bareheap_lock_mask_in_line.h"'
 * or include it from a configuration header of your own. bh_set_lock() then
 * returns false. Single-core parts only: a mask is per core.
 */
#ifndef BAREHEAP_LOCK_MASK_IN_LINE_H
#define BAREHEAP_LOCK_MASK_IN_LINE_H

#define BAREHEAP_LOCK_HOOKS 0
#if defined(__ARM_ARCH_PROFILE) && (__ARM_ARCH_PROFILE == 'M')
#include "bareheap_lock_cortex_m.h"
#define BAREHEAP_LOCK_STATE uint32_t
#define BAREHEAP_LOCK_ENTER(heap) bh_cortex_m_mask_save()
#define BAREHEAP_LOCK_EXIT(heap, state) bh_cortex_m_mask_restore(state)
#elif defined(__riscv)
#include "bareheap_lock_riscv.h"
#define BAREHEAP_LOCK_STATE unsigned long
#define BAREHEAP_LOCK_ENTER(heap) bh_riscv_mask_save()
#define BAREHEAP_LOCK_EXIT(heap, state) bh_riscv_mask_restore(state)
#else
#error "bareheap_lock_mask_in_line.h: an interrupt mask for Cortex-M or RISC-V only"
#endif

#endif /* BAREHEAP_LOCK_MASK_IN_LINE_H */
