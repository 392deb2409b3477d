/*
 * Multiboot (version 1) entry for qemu-system-i386 -kernel: QEMU's loader
 * reads the header below from the first 8 KiB of the image, loads the ELF
 * segments, and jumps to _start in 32-bit protected mode, paging off, with
 * eax = 0x2BADB002 and ebx = the physical address of the multiboot
 * information structure.
 */
    .section .multiboot, "a"
    .align 4
    .long 0x1BADB002                /* magic */
    .long 0x00000003                /* flags: modules page-aligned, memory map wanted */
    .long -(0x1BADB002 + 0x00000003)

    .text
    .globl _start
    .type _start, @function
_start:
    cli
    movl $__stack_top, %esp
    xorl %ebp, %ebp
    cld
    /* The i386 psABI has esp 16-aligned at every call (gcc relies on it for
     * SSE spills): __stack_top is, and the two arguments take 8 bytes. */
    subl $8, %esp
    pushl %ebx                      /* board_start(magic, info) */
    pushl %eax
    call board_start
1:  hlt
    jmp 1b
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
