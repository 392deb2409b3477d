/* A jal to a label inside its own function is a call: the path goes on
 * after it once the subroutine returns. f executes 18 instructions (2, the
 * jal, nop and ret, 10 nops, 3); the bound tool once took the jal for a jump
 * and printed 5. */
    .text
    .global _start
    .type _start, @function
_start:
    addi sp, sp, -16
    sw ra, 12(sp)
    jal ra, 1f
    .rept 10
    nop
    .endr
    lw ra, 12(sp)
    addi sp, sp, 16
    ret
1:  nop
    ret
