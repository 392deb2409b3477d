/*
 * ARMv7-A startup for QEMU "virt" (cortex-a15), built big-endian (BE8):
 * QEMU enters the ELF's entry point in SVC mode, MMU and caches off.
 *
 * Sets SCTLR.EE (exceptions taken big-endian too) and SCTLR.A (every
 * unaligned access faults, as on a Cortex-M0), points VBAR at the vectors
 * below, sets the stack, clears .bss and runs board_start(), which turns
 * on the MMU with the stack guard. Every exception other than the
 * semihosting call reports through board_trap().
 *
 * A second CPU (QEMU -smp 2) starts at board_cpu1_start once
 * board_hart_start() asks for it (board.c).
 */
    .syntax unified
    .arm
    .section .text.start, "ax"
    .globl _start
_start:
    mrc     p15, 0, r0, c1, c0, 0
    orr     r0, r0, #(1 << 25)      /* EE */
    orr     r0, r0, #(1 << 1)       /* A */
    bic     r0, r0, #(1 << 13)      /* V = 0: vectors at VBAR */
    mcr     p15, 0, r0, c1, c0, 0
    isb
    ldr     r0, =vectors
    mcr     p15, 0, r0, c12, c0, 0
    isb
    ldr     sp, =__stack_top

    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
1:  cmp     r0, r1
    strlo   r2, [r0], #4
    blo     1b

    bl      board_start
2:  b       2b

/* CPU 1, powered on by PSCI CPU_ON (board.c) in SVC mode with the MMU off
 * and r0 = the context id, its stack top. PSCI sets no endianness: data
 * accesses are little-endian until setend, so it comes before the literal
 * pool's first load. Then as CPU 0 above, with the vectors shared (a trap
 * here reports on CPU 0's stack, and the report ends the run). */
    .globl board_cpu1_start
board_cpu1_start:
    setend  be
    mrc     p15, 0, r1, c1, c0, 0
    orr     r1, r1, #(1 << 25)      /* EE */
    orr     r1, r1, #(1 << 1)       /* A */
    bic     r1, r1, #(1 << 13)      /* V = 0 */
    mcr     p15, 0, r1, c1, c0, 0
    isb
    ldr     r1, =vectors
    mcr     p15, 0, r1, c12, c0, 0
    isb
    mov     sp, r0
    bl      board_cpu1_main
4:  wfi
    b       4b

    .balign 32
vectors:
    b       _start
    b       trap_undef
    b       trap_svc
    b       trap_prefetch
    b       trap_data
    b       trap_other
    b       trap_other
    b       trap_other

/* Each mode's lr lies a fixed distance past the instruction to report
 * (ARM state, the firmware is built -marm): 4 for an undefined instruction,
 * an svc, a prefetch abort and the interrupted instruction of an IRQ/FIQ,
 * 8 for a data abort. */
trap_undef:
    mov     r0, #1
    sub     r1, lr, #4
    b       trap_common
trap_svc:
    mov     r0, #2
    sub     r1, lr, #4
    b       trap_common
trap_prefetch:
    mov     r0, #3
    sub     r1, lr, #4
    mrc     p15, 0, r2, c5, c0, 1   /* IFSR: a prefetch abort's status */
    b       trap_report
trap_data:
    mov     r0, #4
    sub     r1, lr, #8
    b       trap_common
trap_other:
    mov     r0, #5
    sub     r1, lr, #4
trap_common:
    mrc     p15, 0, r2, c5, c0, 0   /* DFSR */
trap_report:
    /* The old stack may be what faulted (an overflow into the guard). */
    ldr     sp, =__stack_top
    bl      board_trap
3:  b       3b
