/*
 * QEMU "virt" ARM board (cortex-a15, big-endian): console and exit through
 * semihosting (arm_semihost.c), traps reported with the address of the
 * instruction that trapped (start.S takes it from the mode's lr).
 */
#include <stdint.h>

#include "board.h"

void board_start(void) __attribute__((noreturn));
void board_trap(uint32_t kind, uint32_t pc, uint32_t dfsr) __attribute__((noreturn));

void board_start(void)
{
    board_exit(main(board_argc, board_argv));
}

void board_trap(uint32_t kind, uint32_t pc, uint32_t dfsr)
{
    static const char *const names[] = {
        "exception", "undefined instruction", "svc", "prefetch abort", "data abort", "irq/fiq",
    };
    board_fault(kind < 6u ? names[kind] : names[0], pc, dfsr);
}
