/*
 * QEMU "virt" RISC-V board: console on the 16550 UART at 0x10000000, exit
 * through the SiFive test device at 0x100000 (0x5555: pass; (status << 16) |
 * 0x3333: fail with that status).
 */
#include <stdint.h>

#include "board.h"

#define UART_BASE 0x10000000u
#define UART_THR 0u
#define UART_LSR 5u
#define UART_LSR_THRE 0x20u
#define TEST_DEVICE 0x100000u

void board_console_flush(const char *line);
void board_exit_now(int status) __attribute__((noreturn));
void board_start(const void *fdt) __attribute__((noreturn));
void board_trap(uintptr_t cause, uintptr_t pc, uintptr_t value) __attribute__((noreturn));

/* Read by the harts other than 0 (start.S): the entry first (0: not yet),
 * then the stack pointer. In .data: see start.S. */
volatile uintptr_t board_hart_mailbox[2] __attribute__((section(".data")));

void board_hart_start(void (*entry)(unsigned long hart), void *stack_top)
{
    board_hart_mailbox[1] = (uintptr_t)stack_top;
    /* The stack pointer is visible before the entry that publishes it. */
    __asm__ volatile("fence w, w" : : : "memory");
    board_hart_mailbox[0] = (uintptr_t)entry;
}

static volatile uint8_t *uart(unsigned offset)
{
    return (volatile uint8_t *)(uintptr_t)(UART_BASE + offset);
}

void board_console_flush(const char *line)
{
    for (; *line != '\0'; line++) {
        while ((*uart(UART_LSR) & UART_LSR_THRE) == 0u) {
        }
        *uart(UART_THR) = (uint8_t)*line;
    }
}

void board_exit_now(int status)
{
    volatile uint32_t *test = (volatile uint32_t *)(uintptr_t)TEST_DEVICE;
    uint32_t code = (uint32_t)status; /* 0..255: board_exit() */
    for (;;) {
        *test = code == 0u ? 0x5555u : (code << 16) | 0x3333u;
    }
}

void board_start(const void *fdt)
{
    board_fdt = fdt;
    board_exit(main(board_argc, board_argv));
}

void board_trap(uintptr_t cause, uintptr_t pc, uintptr_t value)
{
    /* mcause's exception codes (privileged spec, table 3.6): an ecall from
     * this M-mode firmware is 11, and 10 and 14 are reserved. */
    static const char *const names[] = {
        "instruction misaligned", "instruction access fault", "illegal instruction",
        "breakpoint", "load misaligned", "load access fault", "store misaligned",
        "store access fault", "ecall from U-mode", "ecall from S-mode", "trap",
        "ecall from M-mode", "instruction page fault", "load page fault", "trap",
        "store page fault",
    };
    /* The top bit of mcause marks an interrupt: one that comes here was
     * enabled without a vector of its own (tests/target/isr_heap.c installs
     * one for the timer). */
    const char *what = (intptr_t)cause < 0 ? "interrupt"
                       : cause < sizeof names / sizeof names[0] ? names[cause] : "trap";
    board_fault(what, (unsigned long)pc, (unsigned long)value);
}
