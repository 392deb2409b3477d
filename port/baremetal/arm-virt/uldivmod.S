/*
 * __aeabi_uldivmod for the big-endian ARM build: Debian's arm-none-eabi
 * libgcc has no big-endian multilib. Restoring shift-subtract division of n
 * (r0, r1) by d (r2, r3): quotient in (r0, r1), remainder in (r2, r3). A
 * 64-bit value sits in a register pair as if loaded by LDM, so the high word
 * is in the first register on big-endian, in the second on little-endian.
 * Division by zero returns quotient 0, remainder n. 64 iterations: for tests.
 */
    .syntax unified
    .arm
    .text
#if defined(__ARMEB__)
    nh .req r0
    nl .req r1
    dh .req r2
    dl .req r3
#else
    nl .req r0
    nh .req r1
    dl .req r2
    dh .req r3
#endif
    .globl __aeabi_uldivmod
    .type __aeabi_uldivmod, %function
__aeabi_uldivmod:
    push    {r4, r5, r6, r7, r8, lr}
    /* n becomes the quotient; r5:r4 the remainder (high:low) */
    mov     r4, #0
    mov     r5, #0
    orrs    r6, dl, dh
    beq     2f
    mov     r6, #64
1:  /* remainder:n <<= 1 */
    adds    nl, nl, nl
    adcs    nh, nh, nh
    adcs    r4, r4, r4
    adc     r5, r5, r5
    /* remainder >= d: remainder -= d, quotient bit 1 */
    subs    r7, r4, dl
    sbcs    r8, r5, dh
    movcs   r4, r7
    movcs   r5, r8
    orrcs   nl, nl, #1
    subs    r6, r6, #1
    bne     1b
    mov     dl, r4
    mov     dh, r5
    pop     {r4, r5, r6, r7, r8, pc}
2:  mov     dl, nl
    mov     dh, nh
    mov     nl, #0
    mov     nh, #0
    pop     {r4, r5, r6, r7, r8, pc}
    .size __aeabi_uldivmod, . - __aeabi_uldivmod
