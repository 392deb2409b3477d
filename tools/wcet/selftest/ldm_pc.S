/* An ldm from another base than the stack that loads pc jumps to the word it
 * loads (here a table's entry pointing at long), so it is no return: the
 * bound tool must refuse it, not end the path there (it once printed 2 for
 * f, which executes 13 instructions). */
    .syntax unified
    .thumb
    .text
    .global _start
    .type _start, %function
    .thumb_func
_start:
    ldr r0, =table
    ldm r0, {r1, pc}
    .ltorg
    .type long, %function
    .thumb_func
long:
    .rept 10
    nop
    .endr
    bx lr
    .data
table:
    .word 0, long + 1
