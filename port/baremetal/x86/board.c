/*
 * x86 multiboot kernel under qemu-system-i386: console on the 16550 serial
 * port COM1 (0x3f8), exit through QEMU's isa-debug-exit device at 0xf4.
 *
 * isa-debug-exit makes QEMU exit with (value << 1) | 1, always odd. The
 * kernel writes status + 0x20, so QEMU's exit status is 65 + 2 * status:
 * tools/qemu-x86-multiboot.sh turns it back into the firmware's status and
 * anything else (QEMU's own errors, a triple fault with -no-reboot: 0 or 1)
 * into a failure.
 */
#include <stdint.h>

#include "board.h"

#define COM1 0x3f8u
#define COM1_LSR (COM1 + 5u)
#define LSR_THRE 0x20u
#define DEBUG_EXIT_PORT 0xf4u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define CODE_SELECTOR 0x08u   /* start.S's GDT */
#define TRAP_STUB_BYTES 16u   /* start.S's trap_stubs */
#define IDT_VECTORS 32u       /* the CPU exceptions; no interrupt is enabled */

extern uint32_t __bss_start[], __bss_end[];
extern const char trap_stubs[];

void board_console_flush(const char *line);
void board_exit_now(int status) __attribute__((noreturn));
void board_start(uint32_t magic, uint32_t info) __attribute__((noreturn, used));
void board_trap(uint32_t vector, uint32_t eip, uint32_t error) __attribute__((noreturn, used));

/* Interrupt gates: {offset 15..0, selector}, {offset 31..16, P, DPL 0, type}. */
static uint32_t g_idt[IDT_VECTORS][2];

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

void board_console_flush(const char *line)
{
    for (; *line != '\0'; line++) {
        while ((inb(COM1_LSR) & LSR_THRE) == 0u) {
        }
        outb(COM1, (uint8_t)*line);
    }
}

void board_exit_now(int status)
{
    /* QEMU exits with (value << 1) | 1, 8 bits wide, and the runner
     * (tools/qemu-x86-multiboot.sh) reads 65 + 2 * status back: the value
     * 0x20 + status fits for statuses 0..0x5F. Any other (128, 134 for an
     * abort, and 255, which board_exit() makes of 256 and negatives) becomes
     * 0x5F, never 0. */
    uint32_t code = (uint32_t)status;
    if (code > 0x5Fu) {
        code = 0x5Fu;
    }
    for (;;) {
        outl(DEBUG_EXIT_PORT, code + 0x20u);
        __asm__ volatile("cli; hlt");
    }
}

/* Without an IDT a fault is a triple fault: QEMU (-no-reboot) exits 0 with
 * nothing printed. */
static void idt_install(void)
{
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } idtr;
    uint32_t i;
    for (i = 0; i < IDT_VECTORS; i++) {
        uint32_t entry = (uint32_t)(uintptr_t)(trap_stubs + TRAP_STUB_BYTES * i);
        g_idt[i][0] = (entry & 0xFFFFu) | (CODE_SELECTOR << 16);
        g_idt[i][1] = (entry & 0xFFFF0000u) | 0x8E00u; /* present, 32-bit interrupt gate */
    }
    idtr.limit = (uint16_t)(sizeof g_idt - 1u);
    idtr.base = (uint32_t)(uintptr_t)g_idt;
    __asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
}

void board_trap(uint32_t vector, uint32_t eip, uint32_t error)
{
    static const char *const names[] = {
        "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded",
        "invalid opcode", "device not available", "double fault", "coprocessor segment overrun",
        "invalid TSS", "segment not present", "stack fault", "general protection", "page fault",
        "exception", "x87 error", "alignment check", "machine check", "SIMD error",
    };
    board_fault(vector < sizeof names / sizeof names[0] ? names[vector] : "exception", eip,
                error);
}

void board_start(uint32_t magic, uint32_t info)
{
    uint32_t *p;
    /* QEMU's loader clears .bss; a loader that does not is covered too. The
     * stack is outside .bss. */
    for (p = __bss_start; p < __bss_end; p++) {
        *(volatile uint32_t *)p = 0u;
    }
    idt_install();
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        board_fault("not started by a multiboot loader", 0u, magic);
    }
    board_multiboot_info = (const void *)(uintptr_t)info;
    board_exit(main(board_argc, board_argv));
}
