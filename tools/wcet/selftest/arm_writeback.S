/* A jump through a register loaded from a structure's field is taken as a
 * lock hook's tail call, but only while nothing else has written the
 * register: here a post-indexed load moves it on by 4 (_start), a
 * store-exclusive puts its status in it (status) and a long multiply its
 * high word (mul_high). Each bx then jumps to an address the tool cannot
 * know, so it must refuse them (it once took the three as hooks: the
 * writes were not its first operand). */
    .syntax unified
    .thumb
    .text
    .global _start
    .type _start, %function
    .thumb_func
_start:
    ldr r3, [r0, #4]
    ldr r1, [r3], #4
    bx r3

    .global status
    .type status, %function
    .thumb_func
status:
    ldr r3, [r0, #4]
    strex r3, r1, [r0]
    bx r3

    .global mul_high
    .type mul_high, %function
    .thumb_func
mul_high:
    ldr r3, [r0, #4]
    umull r2, r3, r1, r1
    bx r3
