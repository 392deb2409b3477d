/* jr t0 returns from a routine called by jal t0 (-msave-restore's
 * __riscv_save_N) only while t0 still holds the link. Here t0 holds long's
 * address, so _start executes 14 instructions; the bound tool once took
 * every jr t0 for a return and printed 3. It must refuse the jump, and
 * follow save, whose jr t0 does return (5 for f). */
    .text
    .global _start
    .type _start, @function
_start:
    la t0, long
    jr t0
    .type long, @function
long:
    .rept 10
    nop
    .endr
    ret
    .type f, @function
f:
    jal t0, save
    nop
    ret
    .type save, @function
save:
    addi sp, sp, -16
    jr t0
