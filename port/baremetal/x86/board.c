/*
 * x86 multiboot kernel under qemu-system-i386: console on the 16550 serial
 * port COM1 (0x3f8), exit through QEMU's isa-debug-exit device at 0xf4.
 *
 * isa-debug-exit makes QEMU exit with (value << 1) | 1, always odd. The
 * kernel writes status + 0x20, so QEMU's exit status is 65 + 2 * status:
 * tools/qemu-x86-multiboot.sh turns it back into the firmware's status and
 * anything else (QEMU's own errors, a triple fault with -no-reboot: 0 or 1)
 * into a failure.
 *
 * Stack guard: paging maps the address space flat (4 MiB pages) but for
 * the first page (so that a null pointer read or written faults, as on a
 * hosted system) and the 64 KiB under the stack (__stack_guard), whose
 * pages are not present, so an overflow raises a page fault (a frame larger
 * than the guard could step over it: the toolchain file's -Wstack-usage
 * refuses one). That fault
 * cannot push its frame on the same stack: its IDT entry (and the double
 * fault's) is a task gate, which switches to a task with a stack of its own.
 * (QEMU does not check segment limits, so an expand-down stack segment would
 * not do.)
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
#define DATA_SELECTOR 0x10u
#define KERNEL_TSS_SELECTOR 0x18u /* the GDT entries start.S leaves to this file */
#define FAULT_TSS_SELECTOR 0x20u  /* + 8 * fault task */
#define VECTOR_DOUBLE_FAULT 8u
#define VECTOR_PAGE_FAULT 14u
#define PAGE_PRESENT_WRITABLE 0x3u
#define PAGE_4M 0x80u
#define CR0_PG 0x80000000u
#define CR4_PSE 0x10u

extern uint32_t __bss_start[], __bss_end[];
extern const char trap_stubs[];
extern uint64_t gdt[];
extern char __stack_guard[], __stack_guard_end[];
extern const char task_page_fault[], task_double_fault[];

/* A 32-bit task state segment: what a task switch saves and loads. */
typedef struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3;
    uint32_t eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt, iomap;
} tss;

/* The kernel's own TSS, which the CPU saves into when a fault task starts:
 * its eip is then the faulting instruction (start.S reads it, offset 32). */
tss board_tss __attribute__((used));
static tss g_fault_tss[2]; /* page fault, double fault */
static uint32_t g_fault_stack[2][256] __attribute__((aligned(16)));
/* C99 has no static assertion: a negative array size fails the build. */
typedef char tss_eip_at_32[__builtin_offsetof(tss, eip) == 32u ? 1 : -1];
typedef char tss_is_104_bytes[sizeof(tss) == 104u ? 1 : -1];

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

/* A GDT descriptor: base, limit (20 bits), access byte, flags (G, D/B). */
static uint64_t gdt_descriptor(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    return (uint64_t)(limit & 0xFFFFu) | ((uint64_t)(base & 0xFFFFFFu) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)((limit >> 16) & 0xFu) << 48) | ((uint64_t)flags << 52) |
           ((uint64_t)(base >> 24) << 56);
}

/* The page directory, the page table of the 4 MiB that hold the guard
 * (multiboot.ld asserts that the guard lies within one such 4 MiB), and that
 * of the first 4 MiB, whose first page is left out (the same table where the
 * guard lies there). */
static uint32_t g_page_dir[1024] __attribute__((aligned(4096)));
static uint32_t g_guard_table[1024] __attribute__((aligned(4096)));
static uint32_t g_low_table[1024] __attribute__((aligned(4096)));

/* RAM at the top of the address space, for tests of heap memory that ends
 * at 2^32 (board_top_memory()): the page table of the top 4 MiB maps its
 * last TOP_MEMORY_BYTES onto this .bss array and the rest flat, as before
 * (the BIOS ROM; QEMU's memory map reports it reserved). */
#define TOP_MEMORY_BYTES 16384u
static unsigned char g_top_memory[TOP_MEMORY_BYTES] __attribute__((aligned(4096)));
static uint32_t g_top_table[1024] __attribute__((aligned(4096)));

void *board_top_memory(size_t *size_bytes)
{
    *size_bytes = TOP_MEMORY_BYTES;
    return (void *)(uintptr_t)(0u - TOP_MEMORY_BYTES);
}

/* Puts t's descriptor at selector: a 32-bit TSS with no I/O bitmap. */
static void tss_describe(tss *t, uint32_t selector)
{
    t->iomap = (uint32_t)sizeof(tss) << 16;
    gdt[selector >> 3] = gdt_descriptor((uint32_t)(uintptr_t)t, sizeof(tss) - 1u, 0x89u, 0u);
}

/* Turns on paging, flat but for page 0, the guard pages and the top memory,
 * and makes the page and double faults task switches. */
static void stack_guard_install(uint32_t (*idt)[2])
{
    static const char *const entries[2] = {task_page_fault, task_double_fault};
    uint32_t guard = (uint32_t)(uintptr_t)__stack_guard;
    uint32_t guard_end = (uint32_t)(uintptr_t)__stack_guard_end;
    uint32_t top = 0u - TOP_MEMORY_BYTES;
    uint32_t i;
    for (i = 0; i < 1024u; i++) {
        uint32_t page = (guard & 0xFFC00000u) + (i << 12);
        uint32_t top_page = 0xFFC00000u + (i << 12);
        g_page_dir[i] = (i << 22) | PAGE_4M | PAGE_PRESENT_WRITABLE;
        g_guard_table[i] = (page >= guard && page < guard_end) || page == 0u ? 0u : page | PAGE_PRESENT_WRITABLE;
        g_low_table[i] = i == 0u ? 0u : (i << 12) | PAGE_PRESENT_WRITABLE;
        if (top_page >= top) {
            top_page = (uint32_t)(uintptr_t)g_top_memory + (top_page - top);
        }
        g_top_table[i] = top_page | PAGE_PRESENT_WRITABLE;
    }
    g_page_dir[0] = (uint32_t)(uintptr_t)g_low_table | PAGE_PRESENT_WRITABLE;
    g_page_dir[guard >> 22] = (uint32_t)(uintptr_t)g_guard_table | PAGE_PRESENT_WRITABLE;
    g_page_dir[1023] = (uint32_t)(uintptr_t)g_top_table | PAGE_PRESENT_WRITABLE;
    for (i = 0; i < 2u; i++) {
        tss *t = &g_fault_tss[i];
        t->eip = (uint32_t)(uintptr_t)entries[i];
        t->esp = (uint32_t)(uintptr_t)&g_fault_stack[i][256];
        t->eflags = 0x2u; /* interrupts off */
        t->cr3 = (uint32_t)(uintptr_t)g_page_dir; /* a switch loads it, paging on */
        t->cs = CODE_SELECTOR;
        t->ss = t->ds = t->es = t->fs = t->gs = DATA_SELECTOR;
        tss_describe(t, FAULT_TSS_SELECTOR + 8u * i);
    }
    tss_describe(&board_tss, KERNEL_TSS_SELECTOR);
    /* Task gates: {-, TSS selector}, {-, P, DPL 0, type 5}. */
    idt[VECTOR_PAGE_FAULT][0] = FAULT_TSS_SELECTOR << 16;
    idt[VECTOR_PAGE_FAULT][1] = 0x8500u;
    idt[VECTOR_DOUBLE_FAULT][0] = (FAULT_TSS_SELECTOR + 8u) << 16;
    idt[VECTOR_DOUBLE_FAULT][1] = 0x8500u;
    __asm__ volatile("ltr %w0" : : "r"(KERNEL_TSS_SELECTOR) : "memory");
    __asm__ volatile("movl %%cr4, %%eax\n\t"
                     "orl %0, %%eax\n\t"
                     "movl %%eax, %%cr4\n\t"
                     "movl %1, %%cr3\n\t"
                     "movl %%cr0, %%eax\n\t"
                     "orl %2, %%eax\n\t"
                     "movl %%eax, %%cr0"
                     :
                     : "i"(CR4_PSE), "r"((uint32_t)(uintptr_t)g_page_dir), "i"(CR0_PG)
                     : "eax", "memory");
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
    stack_guard_install(g_idt);
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
