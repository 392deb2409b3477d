/*
 * Cortex-M startup for the QEMU boards (microbit: Cortex-M0; mps2-an385:
 * Cortex-M3; mps2-an386: Cortex-M4F). QEMU loads SP and PC from the vector
 * table at address 0, so Reset_Handler is the first code to run.
 *
 * Reset_Handler copies .data, clears .bss, runs the static constructors
 * (.init_array: C++ firmware, and libstdc++'s own), and on ARMv7-M puts an
 * MPU no-access region under the stack so an overflow faults instead of
 * corrupting memory and, from main() on, makes every unaligned access fault
 * (CCR.UNALIGN_TRP: ARMv6-M always faults). It enables the FPU when code is
 * built for it.
 *
 * Every fault vector resets SP to the top of the stack (an overflow must not
 * lock the core up) and reports through board_fault(), which exits with 3.
 * The system exceptions a firmware may use (SVCall, PendSV, SysTick) and the
 * 32 external interrupts (IRQ0_Handler .. IRQ31_Handler: both boards have 32
 * lines) are weak: a firmware's own definition takes the vector, and one
 * taken without a definition is reported as unexpected, with its number.
 */
#include <stdint.h>

#include "board.h"

extern uint32_t __stack_top[];
extern uint32_t __stack_guard[];     /* MPU no-access region, 1 KiB aligned */
extern uint32_t __stack_bottom[];    /* above the guard (if the board has one) */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
typedef void (*init_fn)(void);
extern init_fn __init_array_start[], __init_array_end[];

void Reset_Handler(void) __attribute__((noreturn));
void Fault_Handler(void) __attribute__((naked, noreturn));
void fault_report(uint32_t ipsr, uint32_t *old_sp) __attribute__((noreturn, used));

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define SCB_CCR 0xE000ED14u
#define SCB_SHCSR 0xE000ED24u
#define SCB_CFSR 0xE000ED28u
#define SCB_HFSR 0xE000ED2Cu
#define SCB_CPACR 0xE000ED88u
#define MPU_CTRL 0xE000ED94u
#define MPU_RNR 0xE000ED98u
#define MPU_RBAR 0xE000ED9Cu
#define MPU_RASR 0xE000EDA0u

#define CCR_UNALIGN_TRP (1u << 3)
#define CCR_DIV_0_TRP (1u << 4)

static inline void barrier(void)
{
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}

void Reset_Handler(void)
{
    uint32_t *src = __data_load;
    uint32_t *dst;

    for (dst = __data_start; dst < __data_end; dst++) {
        *dst = *src++;
    }
    for (dst = __bss_start; dst < __bss_end; dst++) {
        *dst = 0u;
    }

#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
    REG32(SCB_CCR) |= CCR_DIV_0_TRP;
    /* Region 0: 1 KiB at __stack_guard, no access (AP=000), execute never;
     * the rest of memory keeps the default map (PRIVDEFENA). */
    REG32(MPU_RNR) = 0u;
    REG32(MPU_RBAR) = (uint32_t)(uintptr_t)__stack_guard;
    REG32(MPU_RASR) = (1u << 28) | (9u << 1) | 1u; /* XN, SIZE = 2^(9+1), ENABLE */
    /* Region 1: the first 32 bytes, no access, so that a null pointer read
     * or written (with a small offset) faults as on a hosted system, not
     * lands in the vector table. Exception entry's vector fetch is not
     * checked by the MPU; code starts after the table. */
    REG32(MPU_RNR) = 1u;
    REG32(MPU_RBAR) = 0u;
    REG32(MPU_RASR) = (1u << 28) | (4u << 1) | 1u; /* XN, SIZE = 2^(4+1), ENABLE */
    REG32(MPU_CTRL) = (1u << 2) | 1u;              /* PRIVDEFENA, ENABLE */
    REG32(SCB_SHCSR) |= (1u << 16) | (1u << 17) | (1u << 18); /* Mem, Bus, Usage faults */
    barrier();
#endif
#if defined(__ARM_FP)
    REG32(SCB_CPACR) |= 0xFu << 20; /* CP10, CP11: full access */
    barrier();
#endif
    /* After the stack guard and the FPU are set up: a constructor may use
     * either. */
    for (init_fn *fn = __init_array_start; fn < __init_array_end; fn++) {
        (*fn)();
    }
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
    /* Only now: libstdc++'s constructors (<iostream>'s locale set-up) make
     * unaligned accesses, which ARMv7-M allows, and a program that needs
     * them (the newlib examples) can only turn the trap off in main(). */
    REG32(SCB_CCR) |= CCR_UNALIGN_TRP;
    barrier();
#endif

    board_exit(main(board_argc, board_argv));
}

/* Runs on the faulting stack, which may be the guard: switch to a fresh one
 * before anything is pushed, keeping the old SP to find the stacked PC. */
void Fault_Handler(void)
{
    __asm__ volatile(
        "mov r1, sp\n\t"
        "ldr r0, =__stack_top\n\t"
        "mov sp, r0\n\t"
        "mrs r0, ipsr\n\t"
        "bl fault_report\n\t");
}

void fault_report(uint32_t ipsr, uint32_t *old_sp)
{
    static const char *const names[] = {
        "thread", "reset", "NMI", "HardFault", "MemManage", "BusFault", "UsageFault", "exception",
        "exception", "exception", "exception", "unexpected SVCall", "DebugMonitor", "exception",
        "unexpected PendSV", "unexpected SysTick",
    };
    uint32_t pc = 0u, detail = 0u;
    uintptr_t sp = (uintptr_t)old_sp;

    /* The exception frame: r0-r3, r12, lr, pc, xpsr. Read it only when it
     * lies inside the stack (a frame pushed into the guard was not written).
     * The bottom comes from the linker script: the Cortex-M0 board has no
     * guard, and a fixed 1 KiB there hid every fault taken with SP in the
     * stack's lowest KiB. */
    if (sp >= (uintptr_t)__stack_bottom && sp + 32u <= (uintptr_t)__stack_top) {
        pc = old_sp[6];
    }
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
    detail = REG32(SCB_CFSR) | (REG32(SCB_HFSR) & 0xC0000000u);
#endif
    if (ipsr >= 16u) {
        /* An external interrupt with no handler: its number as the detail. */
        board_fault("unexpected interrupt", pc, ipsr - 16u);
    }
    board_fault(ipsr < sizeof names / sizeof names[0] ? names[ipsr] : "exception", pc, detail);
}

/* Weak: see the file's comment (tests/target/isr_heap.c defines
 * SysTick_Handler, irq_vector.c IRQ5_Handler). */
void SVC_Handler(void) __attribute__((weak, noreturn, alias("Fault_Handler")));
void PendSV_Handler(void) __attribute__((weak, noreturn, alias("Fault_Handler")));
void SysTick_Handler(void) __attribute__((weak, noreturn, alias("Fault_Handler")));
#define IRQ_WEAK(n) void IRQ##n##_Handler(void) __attribute__((weak, noreturn, alias("Fault_Handler")));
#define IRQ_WEAK8(a, b, c, d, e, f, g, h) \
    IRQ_WEAK(a) IRQ_WEAK(b) IRQ_WEAK(c) IRQ_WEAK(d) IRQ_WEAK(e) IRQ_WEAK(f) IRQ_WEAK(g) IRQ_WEAK(h)
IRQ_WEAK8(0, 1, 2, 3, 4, 5, 6, 7)
IRQ_WEAK8(8, 9, 10, 11, 12, 13, 14, 15)
IRQ_WEAK8(16, 17, 18, 19, 20, 21, 22, 23)
IRQ_WEAK8(24, 25, 26, 27, 28, 29, 30, 31)

typedef void (*vector)(void);

__attribute__((section(".vectors"), used)) static const vector vectors[16 + 32] = {
    (vector)(uintptr_t)__stack_top,
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0, 0, 0, 0,
    SVC_Handler,
    Fault_Handler, /* DebugMonitor */
    0,
    PendSV_Handler,
    SysTick_Handler,
    IRQ0_Handler, IRQ1_Handler, IRQ2_Handler, IRQ3_Handler, IRQ4_Handler, IRQ5_Handler, IRQ6_Handler,
    IRQ7_Handler, IRQ8_Handler, IRQ9_Handler, IRQ10_Handler, IRQ11_Handler, IRQ12_Handler, IRQ13_Handler,
    IRQ14_Handler, IRQ15_Handler, IRQ16_Handler, IRQ17_Handler, IRQ18_Handler, IRQ19_Handler,
    IRQ20_Handler, IRQ21_Handler, IRQ22_Handler, IRQ23_Handler, IRQ24_Handler, IRQ25_Handler,
    IRQ26_Handler, IRQ27_Handler, IRQ28_Handler, IRQ29_Handler, IRQ30_Handler, IRQ31_Handler,
};
