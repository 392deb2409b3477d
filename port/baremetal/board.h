/*
 * The board contract of the bare-metal test and example firmware: a console
 * and an exit status, nothing else. Each board (port/baremetal/<board>/)
 * provides startup code that sets up the stack, .data and .bss, installs a
 * fault handler that prints the fault and exits non-zero, then calls
 * main(board_argc, board_argv) and board_exit() with its result.
 *
 *   Cortex-M (microbit, mps2-an385, mps2-an386): ARM semihosting (bkpt 0xab).
 *   ARM virt (cortex-a15, big-endian): ARM semihosting (svc 0x123456).
 *   RISC-V virt: the 16550 UART at 0x10000000 and the SiFive test device.
 *   x86 (qemu-system-i386, multiboot): COM1 at 0x3f8 and isa-debug-exit.
 *
 * QEMU's exit status is the firmware's: 0 for main() returning 0.
 */
#ifndef BAREHEAP_BOARD_H
#define BAREHEAP_BOARD_H

#include <stddef.h>

/* Writes n bytes to the console. Output may be buffered up to a newline or
 * board_exit(). */
void board_write(const char *text, size_t n);

/* Flushes the console and ends the emulation with this status (0: success).
 * QEMU exits with the status when it is 1..255 and with 255 for any other
 * non-zero status (the exit paths carry 8 bits, and 256 must not arrive as
 * 0), except on x86, where statuses above 95 and negative ones arrive as 95
 * (port/baremetal/x86/board.c). */
void board_exit(int status) __attribute__((noreturn));

/* Arguments given to main(): one ("firmware") unless the program defines
 * board_argc and board_argv itself, overriding the weak defaults. */
extern int board_argc;
extern char *board_argv[];

/* Writes v as 0x and 2 * sizeof v hex digits, as board_fault() prints pc. */
void board_write_hex(unsigned long v);

/* Called by the fault handlers on a fresh stack: prints what is known and
 * exits with status 3. */
void board_fault(const char *what, unsigned long pc, unsigned long detail)
    __attribute__((noreturn));

/* Set by the RISC-V startup from a1: the flattened device tree QEMU handed
 * over (NULL on the ARM boards). */
extern const void *board_fdt;

/* Set by the x86 startup from ebx: the multiboot information structure the
 * loader handed over (NULL on the other boards). */
extern const void *board_multiboot_info;

/* RISC-V virt and ARM virt only: starts the second hart (CPU) of a
 * two-hart machine (QEMU -smp 2) at entry(hart id) on stack_top (16-byte
 * aligned); when entry returns, the hart parks. Harts above 1 (-smp 3 and
 * up) park from the start on RISC-V and stay powered off on ARM: there is
 * one stack to hand out. The console is hart 0's. On ARM a machine with
 * one CPU reports a fault. */
void board_hart_start(void (*entry)(unsigned long hart), void *stack_top);

/* Writable memory that ends at the top of the address space, for tests of a
 * heap region that reaches it: its start, *size_bytes set to its size. The
 * x86 board maps 16 KiB there (paging), ARM virt 1 MiB (the last MiB of
 * RAM, an MMU section); the others have none and return NULL with
 * *size_bytes 0. */
void *board_top_memory(size_t *size_bytes);

int main(int argc, char **argv);

#endif /* BAREHEAP_BOARD_H */
