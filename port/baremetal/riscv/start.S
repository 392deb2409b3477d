/*
 * RISC-V startup for QEMU "virt" with -bios none: QEMU's reset code enters
 * here at 0x80000000 in machine mode with a0 = hart id, a1 = the flattened
 * device tree. Hart 1 (QEMU -smp 2 and up) waits until board_hart_start()
 * gives it an entry and a stack; harts above it park. Sets gp and sp,
 * installs the trap vector, clears .bss, puts a locked no-access PMP region
 * under the stack (an overflow traps instead of corrupting memory), then
 * runs board_start(a1).
 */
    .option arch, +zicsr
#if __riscv_xlen == 64
#define REG_S sd
#define REG_L ld
#else
#define REG_S sw
#define REG_L lw
#endif

    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    bnez    a0, secondary
    la      sp, __stack_top
    la      t0, trap_entry
    csrw    mtvec, t0
    mv      s0, a1

    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    REG_S   zero, 0(t0)
    addi    t0, t0, __riscv_xlen / 8
    j       1b
2:
    /* PMP entry 0: NAPOT, 1 KiB at __stack_guard, locked, no R/W/X.
     * pmpaddr = (base >> 2) | (size / 8 - 1) */
    la      t0, __stack_guard
    srli    t0, t0, 2
    ori     t0, t0, (1024 / 8) - 1
    csrw    pmpaddr0, t0
    li      t0, 0x98            /* L | A=NAPOT */
    csrw    pmpcfg0, t0

    mv      a0, s0
    call    board_start
park:
    wfi
    j       park

/* A hart other than 0: polls board_hart_mailbox (riscv/board.c: the entry,
 * then the stack pointer, published entry last) and calls entry(hart id).
 * Hart 1 only: the mailbox hands out one stack, and a third hart (-smp 3)
 * that took it too ran on the second's stack and faulted within a run.
 * It polls rather than waits (wfi needs an interrupt enabled in mie), which
 * costs a host thread only in runs with more than one hart. The mailbox is
 * in .data, which the loader writes, not in .bss, which hart 0 clears while
 * this hart may already be reading. */
secondary:
    la      t0, trap_entry
    csrw    mtvec, t0
    li      t0, 1
    bne     a0, t0, park
    la      t0, board_hart_mailbox
1:  REG_L   t1, 0(t0)
    beqz    t1, 1b
    fence   r, r
    REG_L   sp, __riscv_xlen / 8(t0)
    jalr    t1
    j       park

/* Any trap: a fresh stack, then board_trap(mcause, mepc, mtval). */
    .balign 4
trap_entry:
    la      sp, __stack_top
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    board_trap
    j       park
