/*
 * A fault is reported with the address of the instruction that faulted: the
 * firmware prints that address ("fault_pc: expect pc=0x..."), then makes an
 * unaligned word load (a HardFault on ARMv6-M, a UsageFault on ARMv7-M with
 * CCR.UNALIGN_TRP, as the startup code sets it). tests/target/fault_check.cmake
 * compares the two lines.
 *
 * LOW_STACK=1 takes the fault with SP 64 bytes above the stack's bottom
 * (__stack_bottom, from the linker script): the exception frame still lies
 * inside the stack, so the report must still find the pc in it.
 */
#include <stddef.h>
#include <stdint.h>

#include "board.h"

#if !(defined(__ARM_ARCH_PROFILE) && (__ARM_ARCH_PROFILE == 'M'))
#error "fault_pc.c: Cortex-M boards only"
#endif

extern uint32_t __stack_bottom[];

/* Its first instruction is the load that faults. */
void fault_load(const volatile uint32_t *p);
__asm__(".text\n\t"
        ".balign 4\n\t"
        ".global fault_load\n\t"
        ".type fault_load, %function\n\t"
        ".thumb_func\n"
        "fault_load:\n\t"
        "ldr r0, [r0]\n\t"
        "bx lr\n\t"
        ".size fault_load, . - fault_load\n");

static volatile uint32_t g_words[2];

static void write_hex(uintptr_t v)
{
    char buf[2 + 2 * sizeof v];
    size_t i;
    buf[0] = '0';
    buf[1] = 'x';
    for (i = 0; i < 2 * sizeof v; i++) {
        unsigned digit = (unsigned)(v >> (4u * (2u * sizeof v - 1u - i))) & 0xFu;
        buf[2 + i] = (char)(digit < 10u ? '0' + digit : 'a' + digit - 10u);
    }
    board_write(buf, sizeof buf);
}

int main(int argc, char **argv)
{
    const volatile uint32_t *odd = (const volatile uint32_t *)(uintptr_t)((uintptr_t)&g_words[0] + 1u);
    (void)argc;
    (void)argv;
    board_write("fault_pc: expect pc=", 20);
    write_hex((uintptr_t)fault_load & ~(uintptr_t)1u);
    board_write("\n", 1);
#if LOW_STACK
    {
        uintptr_t low = (uintptr_t)__stack_bottom + 64u;
        /* r0 = odd, sp = low, then the load: nothing of this frame is used
         * again, the fault ends the program. */
        __asm__ volatile("mov r0, %0\n\t"
                         "mov sp, %1\n\t"
                         "bl fault_load\n\t"
                         :
                         : "r"(odd), "r"(low)
                         : "r0", "lr", "memory");
    }
#else
    fault_load(odd);
#endif
    board_write("fault_pc: no fault\n", 19);
    return 1;
}
