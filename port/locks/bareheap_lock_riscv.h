/*
 * bareheap lock for single-hart RISC-V in machine mode: clears mstatus.MIE
 * for the duration of each heap call and restores it afterwards, so the heap
 * may be used from thread code and trap handlers alike. The time interrupts
 * stay disabled is one call's bounded time (at BAREHEAP_DEBUG 0 and 1: level
 * 2 poisons and checks whole blocks under the lock, level 3 checks the
 * whole heap). Machine mode only: in supervisor mode reading mstatus is an
 * illegal instruction (sstatus.SIE is the bit there). MIE does not hold off
 * non-maskable interrupts or synchronous exceptions (a handler that
 * emulates misaligned accesses, say): those must not use the heap.
 *
 *   static bh_riscv_lock lock;
 *   bh_set_lock(heap, bh_riscv_lock_enter, bh_riscv_lock_exit, &lock);
 *
 * Or compiled into every call, for every heap, with no hook, in the
 * configuration header (BAREHEAP_CONFIG_HEADER; bareheap_lock_mask_in_line.h
 * is one that does just this):
 *
 *   #define BAREHEAP_LOCK_HOOKS 0
 *   #define BAREHEAP_LOCK_STATE unsigned long
 *   #define BAREHEAP_LOCK_ENTER(heap) bh_riscv_mask_save()
 *   #define BAREHEAP_LOCK_EXIT(heap, state) bh_riscv_mask_restore(state)
 *   #include "bareheap_lock_riscv.h"
 */
#ifndef BAREHEAP_LOCK_RISCV_H
#define BAREHEAP_LOCK_RISCV_H

/* Clears MIE and returns what it was (bit 3, the rest 0). */
static inline unsigned long bh_riscv_mask_save(void) {
    unsigned long old;
    /* csrrci: read mstatus and clear MIE in one instruction. */
    __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrrci %0, mstatus, 8\n\t.option pop"
                     : "=r"(old) : : "memory");
    return old & 8u;
}

/* Sets MIE again if bh_riscv_mask_save() found it set. Each call keeps its
 * own, so calls nested from an error handler or callback restore in turn. */
static inline void bh_riscv_mask_restore(unsigned long mie) {
    __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrrs zero, mstatus, %0\n\t.option pop"
                     : : "r"(mie) : "memory");
}

/* One object may serve several heaps, and a call on one may then run inside
 * a call on another (an error handler or a bh_walk()/bh_trim() callback
 * may call into another heap): so enter and exit nest, and only the
 * outermost pair saves and restores MIE. A single saved bit would be
 * overwritten by the inner enter (0), and the outer exit would leave
 * interrupts disabled for good. Both fields change only with MIE clear. */
typedef struct bh_riscv_lock {
    unsigned long saved_mie; /* valid while depth > 0: the MIE bit (bit 3) before the outermost enter */
    unsigned long depth;     /* enters not yet exited */
} bh_riscv_lock;

static inline void bh_riscv_lock_enter(void *context) {
    bh_riscv_lock *lock = (bh_riscv_lock *)context;
    unsigned long mie = bh_riscv_mask_save();
    if (lock->depth++ == 0u)
        lock->saved_mie = mie;
}

static inline void bh_riscv_lock_exit(void *context) {
    bh_riscv_lock *lock = (bh_riscv_lock *)context;
    if (--lock->depth == 0u)
        bh_riscv_mask_restore(lock->saved_mie);
}

#endif /* BAREHEAP_LOCK_RISCV_H */
