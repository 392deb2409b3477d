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

typedef struct bh_riscv_lock {
    unsigned long saved_mie; /* the MIE bit (bit 3) as it was on entry */
} bh_riscv_lock;

static inline void bh_riscv_lock_enter(void *context) {
    unsigned long old;
    /* csrrci: read mstatus and clear MIE in one instruction. */
    __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrrci %0, mstatus, 8\n\t.option pop"
                     : "=r"(old) : : "memory");
    ((bh_riscv_lock *)context)->saved_mie = old & 8u;
}

static inline void bh_riscv_lock_exit(void *context) {
    unsigned long mie = ((bh_riscv_lock *)context)->saved_mie;
    __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrrs zero, mstatus, %0\n\t.option pop"
                     : : "r"(mie) : "memory");
}

#endif /* BAREHEAP_LOCK_RISCV_H */
