/*
 * bareheap lock for single-hart RISC-V in machine mode: clears mstatus.MIE
 * for the duration of each heap call and restores it afterwards, so the heap
 * may be used from thread code and trap handlers alike. The time interrupts
 * stay disabled is one call's bounded time. Machine mode only: in supervisor
 * mode reading mstatus is an illegal instruction (sstatus.SIE is the bit
 * there).
 *
 *   static bh_riscv_lock lock;
 *   bh_set_lock(heap, bh_riscv_lock_enter, bh_riscv_lock_exit, &lock);
 */
#ifndef BAREHEAP_LOCK_RISCV_H
#define BAREHEAP_LOCK_RISCV_H

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
    unsigned long old;
    /* csrrci: read mstatus and clear MIE in one instruction. */
    __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrrci %0, mstatus, 8\n\t.option pop"
                     : "=r"(old) : : "memory");
    if (lock->depth++ == 0u)
        lock->saved_mie = old & 8u;
}

static inline void bh_riscv_lock_exit(void *context) {
    bh_riscv_lock *lock = (bh_riscv_lock *)context;
    if (--lock->depth == 0u)
        __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrrs zero, mstatus, %0\n\t.option pop"
                         : : "r"(lock->saved_mie) : "memory");
}

#endif /* BAREHEAP_LOCK_RISCV_H */
