/* A bl to its own function's entry is recursion, which the bound tool must
 * refuse even with a --loop bound for the function: it once took the bl for
 * a backward jump, so that with --loop _start=2 it printed 12 for a call
 * that, with r0 = 2, executes 33 (two levels of 4 and 11, the last of 3). */
    .syntax unified
    .thumb
    .text
    .global _start
    .type _start, %function
    .thumb_func
_start:
    push {r4, lr}
    cbz r0, 1f
    subs r0, #1
    bl _start
    .rept 10
    nop
    .endr
1:  pop {r4, pc}
