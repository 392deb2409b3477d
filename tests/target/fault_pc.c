/*
 * A fault is reported with the address of the instruction that faulted: the
 * firmware prints that address (fault_at, "fault_pc: expect pc=0x..." in the
 * fault report's own format), then runs fault_insn(), whose instruction at
 * fault_at faults. tests/target/fault_check.cmake compares the two lines.
 * FAULT_VARIANT picks the fault:
 *
 *   Cortex-M  0: an unaligned word load (a HardFault on ARMv6-M, a UsageFault
 *                on ARMv7-M with CCR.UNALIGN_TRP, as the startup code sets it)
 *             1: the same with SP 64 bytes above the stack's bottom
 *                (__stack_bottom, from the linker script): the exception
 *                frame still lies inside the stack, so the report must still
 *                find the pc in it
 *   ARM virt  0: an unaligned word load (a data abort: SCTLR.A is set)
 *             1: an undefined instruction
 *   RISC-V    0: a load from the PMP guard under the stack (access fault)
 *             1: an illegal instruction
 *   x86       0: ud2 (#UD, no error code)
 *             1: a bad selector loaded into DS (#GP, which pushes an error
 *                code)
 *
 * The exception entry of each CPU records a different address (the ARM
 * exception modes a fixed distance past the faulting instruction): the
 * report must name the instruction itself.
 */
#include <stddef.h>
#include <stdint.h>

#include "board.h"

void fault_insn(const volatile uint32_t *p);
extern const char fault_at[]; /* the instruction that faults, in fault_insn */

#if defined(__ARM_ARCH_PROFILE) && (__ARM_ARCH_PROFILE == 'M')
extern uint32_t __stack_bottom[];
__asm__(".text\n\t"
        ".balign 4\n\t"
        ".global fault_insn\n\t"
        ".global fault_at\n\t"
        ".type fault_insn, %function\n\t"
        ".thumb_func\n"
        "fault_insn:\n"
        "fault_at:\n\t"
        "ldr r0, [r0]\n\t"
        "bx lr\n\t"
        ".size fault_insn, . - fault_insn\n");
#elif defined(__arm__)
__asm__(".text\n\t"
        ".balign 4\n\t"
        ".global fault_insn\n\t"
        ".global fault_at\n\t"
        ".type fault_insn, %function\n\t"
        ".arm\n"
        "fault_insn:\n"
        "fault_at:\n\t"
#if FAULT_VARIANT == 0
        "ldr r0, [r0]\n\t"
#else
        "udf #0\n\t"
#endif
        "bx lr\n\t"
        ".size fault_insn, . - fault_insn\n");
#elif defined(__riscv)
extern uint32_t __stack_guard[];
__asm__(".text\n\t"
        ".balign 4\n\t"
        ".global fault_insn\n\t"
        ".global fault_at\n\t"
        ".type fault_insn, @function\n"
        "fault_insn:\n"
        "fault_at:\n\t"
#if FAULT_VARIANT == 0
        "lw a0, 0(a0)\n\t"
#else
        "unimp\n\t"
#endif
        "ret\n\t"
        ".size fault_insn, . - fault_insn\n");
#elif defined(__i386__)
__asm__(".text\n\t"
        ".balign 4\n\t"
        ".global fault_insn\n\t"
        ".global fault_at\n\t"
        ".type fault_insn, @function\n"
        "fault_insn:\n\t"
#if FAULT_VARIANT == 0
        "fault_at:\n\t"
        "ud2\n\t"
#else
        "movw $0x1230, %ax\n"
        "fault_at:\n\t"
        "movw %ax, %ds\n\t"
#endif
        "ret\n\t"
        ".size fault_insn, . - fault_insn\n");
#else
#error "fault_pc.c: no faulting instruction for this CPU"
#endif

static volatile uint32_t g_words[2];

int main(int argc, char **argv)
{
    const volatile uint32_t *p = (const volatile uint32_t *)(uintptr_t)((uintptr_t)&g_words[0] + 1u);
    (void)argc;
    (void)argv;
#if defined(__riscv)
    p = (const volatile uint32_t *)__stack_guard;
#endif
    board_write("fault_pc: expect pc=", 20);
    board_write_hex((unsigned long)(uintptr_t)fault_at);
    board_write("\n", 1);
#if defined(__ARM_ARCH_PROFILE) && (__ARM_ARCH_PROFILE == 'M') && FAULT_VARIANT == 1
    {
        uintptr_t low = (uintptr_t)__stack_bottom + 64u;
        /* r0 = p, sp = low, then the load: nothing of this frame is used
         * again, the fault ends the program. */
        __asm__ volatile("mov r0, %0\n\t"
                         "mov sp, %1\n\t"
                         "bl fault_insn\n\t"
                         :
                         : "r"(p), "r"(low)
                         : "r0", "lr", "memory");
    }
#else
    fault_insn(p);
#endif
    board_write("fault_pc: no fault\n", 19);
    return 1;
}
