/*
 * Multiboot (version 1) entry for qemu-system-i386 -kernel: QEMU's loader
 * reads the header below from the first 8 KiB of the image, loads the ELF
 * segments, and jumps to _start in 32-bit protected mode, paging off, with
 * eax = 0x2BADB002 and ebx = the physical address of the multiboot
 * information structure.
 *
 * The loader's GDT may be gone by now (the multiboot specification leaves
 * GDTR undefined), and an interrupt gate needs a code segment: _start loads
 * its own flat GDT first. trap_stubs are the entries of the IDT that
 * board_start() installs (port/baremetal/x86/board.c), one per CPU exception.
 * A page fault (a stack overflow into the guard pages) and a double fault
 * are taken by a task switch instead, onto a stack of their own:
 * task_page_fault and task_double_fault.
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
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  movl $0x10, %ecx
    movw %cx, %ds
    movw %cx, %es
    movw %cx, %fs
    movw %cx, %gs
    movw %cx, %ss
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

/* Exception n enters at trap_stubs + 16 * n with the CPU's frame (error
 * code, where the exception has one, then eip, cs, eflags) on the faulting
 * stack; the stub makes it uniform: vector, error code (0 if none), eip. */
    .balign 16
    .globl trap_stubs
trap_stubs:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .balign 16
    .if (\n != 8) && (\n != 10) && (\n != 11) && (\n != 12) && (\n != 13) && (\n != 14) && (\n != 17) && (\n != 21)
    pushl $0
    .endif
    pushl $\n
    jmp trap_common
    .endr

/* A fresh stack (the fault may be an overflow) and flat data segments (it
 * may be a bad selector), then board_trap(vector, eip, error code). */
trap_common:
    movl 0(%esp), %eax
    movl 4(%esp), %ecx
    movl 8(%esp), %edx
    movl $0x10, %ebx
    movw %bx, %ds
    movw %bx, %es
    movw %bx, %ss
    movl $__stack_top, %esp
    subl $4, %esp                   /* 16-aligned at the call, as above */
    pushl %ecx
    pushl %edx
    pushl %eax
    call board_trap
2:  hlt
    jmp 2b

/* The first instruction of the page-fault and double-fault tasks (the TSS
 * board.c gives them): the CPU switched to the task's own stack and pushed
 * the error code there. The faulting instruction's address is in the TSS
 * of the task that faulted, the kernel's (board_tss, eip at offset 32). */
    .globl task_page_fault
task_page_fault:
    movl $14, %eax
    jmp task_fault_common
    .globl task_double_fault
task_double_fault:
    movl $8, %eax
task_fault_common:
    popl %edx                       /* error code */
    movl board_tss+32, %ecx
    andl $-16, %esp                 /* 16-aligned at the call, as above */
    subl $4, %esp
    pushl %edx
    pushl %ecx
    pushl %eax
    call board_trap
3:  hlt
    jmp 3b

    .data
    .balign 8
/* Flat 4 GiB segments, accessed bits preset (the CPU need not write here).
 * board.c fills the rest: three TSS descriptors (a task switch writes their
 * busy bits, so the table is not read-only). */
    .globl gdt
gdt:
    .quad 0
    .quad 0x00CF9B000000FFFF        /* 0x08: code, 32-bit */
    .quad 0x00CF93000000FFFF        /* 0x10: data */
    .quad 0                         /* 0x18: TSS of the kernel */
    .quad 0                         /* 0x20: TSS of the page-fault task */
    .quad 0                         /* 0x28: TSS of the double-fault task */
gdt_end:
    .balign 4
    .word 0
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .section .note.GNU-stack, "", @progbits
