/*
 * QEMU "virt" ARM board (cortex-a15, big-endian): console and exit through
 * semihosting (arm_semihost.c), traps reported with the address of the
 * instruction that trapped (start.S takes it from the mode's lr) and the
 * fault status register of the abort (IFSR or DFSR). A stack overflow runs
 * into an unmapped section and is reported as a data abort.
 */
#include <stdint.h>

#include "board.h"

void board_start(void) __attribute__((noreturn));
void board_trap(uint32_t kind, uint32_t pc, uint32_t status) __attribute__((noreturn));

/* 1 MiB under the stack (virt.ld), 1 MiB aligned. */
extern uint32_t __stack_guard[];
/* The last MiB of RAM (virt.ld), mapped at the top of the address space too. */
extern unsigned char __top_memory[];

#define TOP_SECTION 4095u

/* First-level translation table, short-descriptor format: one section
 * descriptor per MiB of the 4 GiB address space. The MMU reads it in the
 * endianness of SCTLR.EE, which start.S set as the data's. */
static uint32_t mmu_sections[4096] __attribute__((aligned(16384)));

/* Section, full access (AP[2:0] = 011), TEX 001 C 0 B 0: normal memory,
 * not cached, as with the MMU off; SCTLR.A still faults unaligned access. */
#define SECTION_FLAT_BITS 0x1C02u

/* Turns this CPU's MMU on with the table below. Domain 0 is a client, so
 * the access bits apply. */
static void mmu_enable(void)
{
    uint32_t sctlr;
    __asm__ volatile("mcr p15, 0, %0, c2, c0, 2\n"  /* TTBCR: TTBR0 alone, short descriptors */
                     "mcr p15, 0, %1, c3, c0, 0\n"  /* DACR */
                     "mcr p15, 0, %2, c2, c0, 0\n"  /* TTBR0 */
                     "mcr p15, 0, %0, c8, c7, 0\n"  /* TLBIALL */
                     "dsb\n"
                     "isb\n"
                     :
                     : "r"(0u), "r"(1u), "r"((uint32_t)(uintptr_t)mmu_sections)
                     : "memory");
    __asm__ volatile("mrc p15, 0, %0, c1, c0, 0" : "=r"(sctlr));
    __asm__ volatile("mcr p15, 0, %0, c1, c0, 0\n"
                     "isb\n"
                     :
                     : "r"(sctlr | 1u)
                     : "memory");
}

/* Maps every MiB to itself but the stack guard's, whose descriptor 0 makes
 * any access a translation fault, and the top one, which shows the last MiB
 * of RAM, and turns the MMU on. */
static void mmu_guard_stack(void)
{
    uint32_t guard = (uint32_t)(uintptr_t)__stack_guard >> 20;
    uint32_t i;
    for (i = 0; i < 4096u; i++)
        mmu_sections[i] = i == guard ? 0u : (i << 20) | SECTION_FLAT_BITS;
    mmu_sections[TOP_SECTION] = (uint32_t)(uintptr_t)__top_memory | SECTION_FLAT_BITS;
    mmu_enable();
}

/* PSCI 0.2 CPU_ON, 32-bit. QEMU's virt machine, with no firmware at EL2 or
 * EL3, answers PSCI calls itself through HVC and holds every CPU but 0
 * powered off until one asks for it. */
#define PSCI_CPU_ON 0x84000003u

void board_cpu1_start(void);
void board_cpu1_main(void);
static void (*volatile cpu1_entry)(unsigned long hart);

void board_hart_start(void (*entry)(unsigned long hart), void *stack_top)
{
    register uint32_t r0 __asm__("r0") = PSCI_CPU_ON;
    register uint32_t r1 __asm__("r1") = 1u; /* MPIDR affinity of CPU 1 */
    register uint32_t r2 __asm__("r2") = (uint32_t)(uintptr_t)board_cpu1_start;
    register uint32_t r3 __asm__("r3") = (uint32_t)(uintptr_t)stack_top;
    cpu1_entry = entry;
    /* The entry and the translation table are in memory before CPU 1 runs. */
    __asm__ volatile("dsb\n"
                     "hvc #0\n"
                     : "+r"(r0)
                     : "r"(r1), "r"(r2), "r"(r3)
                     : "memory");
    /* A machine with one CPU answers INVALID_PARAMETERS (-2). */
    if (r0 != 0u)
        board_fault("PSCI CPU_ON", (uintptr_t)board_cpu1_start, r0);
}

/* CPU 1, from start.S on its own stack: the MMU on with CPU 0's table (the
 * same stack guard), then the entry; when it returns, start.S parks. */
void board_cpu1_main(void)
{
    mmu_enable();
    cpu1_entry(1u);
}

void *board_top_memory(size_t *size_bytes)
{
    *size_bytes = (size_t)1 << 20;
    return (void *)(uintptr_t)(TOP_SECTION << 20);
}

void board_start(void)
{
    mmu_guard_stack();
    board_exit(main(board_argc, board_argv));
}

void board_trap(uint32_t kind, uint32_t pc, uint32_t status)
{
    static const char *const names[] = {
        "exception", "undefined instruction", "svc", "prefetch abort", "data abort", "irq/fiq",
    };
    board_fault(kind < 6u ? names[kind] : names[0], pc, status);
}
