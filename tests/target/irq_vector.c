/*
 * The Cortex-M vector table's external interrupts: a firmware's own
 * IRQ5_Handler runs when line 5 is pended (IRQ_VECTOR_HANDLED=1, prints
 * "irq_vector: ok"), and a line pended with no handler of the firmware's is
 * reported as an unexpected interrupt with its number and fails the run
 * (IRQ_VECTOR_HANDLED=0, line 7).
 */
#include <stdint.h>

#include "board.h"

#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define NVIC_ISER0 0xE000E100u
#define NVIC_ISPR0 0xE000E200u

static volatile uint32_t handled;

#if IRQ_VECTOR_HANDLED
#define LINE 5u
void IRQ5_Handler(void);
void IRQ5_Handler(void) { handled++; }
#else
#define LINE 7u
#endif

int main(int argc, char **argv)
{
    static const char ok[] = "irq_vector: ok\n";
    (void)argc;
    (void)argv;
    REG32(NVIC_ISER0) = 1u << LINE;
    REG32(NVIC_ISPR0) = 1u << LINE;
    __asm__ volatile("dsb\n\tisb" : : : "memory");
    if (handled != 1u) {
        return 1;
    }
    board_write(ok, sizeof ok - 1u);
    return 0;
}
