/*
 * One heap used from thread code and from an interrupt handler at once, as
 * the interrupt-mask locks of port/locks/ allow: a timer (SysTick on
 * Cortex-M, the machine timer on RISC-V) interrupts the program's
 * allocations, frees and reallocs every few thousand cycles, and its handler
 * allocates, resizes and frees on the same heap. The heap's lock is the
 * port's mask (PRIMASK, mstatus.MIE) with a flag set while it is held; the
 * handler checks the flag, so an interrupt that arrived inside a heap call
 * would be counted. Every block carries its owner's tag, checked before it
 * is freed, and bh_check() ends the run.
 *
 * Built three times: ISR_HEAP_MASK=1 as above (passes when no interrupt
 * arrived inside a call, the handler's own calls ran, and nothing was
 * damaged); the same with ISR_HEAP_IN_LINE=1, the mask compiled into every
 * call (BAREHEAP_LOCK_HOOKS 0, isr_in_line_config.h) instead of hooks; and
 * ISR_HEAP_MASK=0, a lock that sets the flag without masking, whose handler
 * leaves the heap alone: it passes when interrupts did arrive inside calls,
 * which shows that the first builds' interrupts come often enough to have
 * met a call had the mask not held them back.
 * SysTick is optional on ARMv6-M: QEMU's microbit has one, the nRF51 it
 * models does not (there a TIMER peripheral would take its place).
 * Prints "isr_heap: ok".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bareheap.h"
#include "board.h"
#include "concurrent_check.h"

#define REG32(a) (*(volatile uint32_t *)(a))

#if defined(__ARM_ARCH_PROFILE) && (__ARM_ARCH_PROFILE == 'M')
#include "../../port/locks/bareheap_lock_cortex_m.h"
typedef bh_cortex_m_lock mask_lock;
#define MASK_ENTER bh_cortex_m_lock_enter
#define MASK_EXIT bh_cortex_m_lock_exit
#define MASK_SAVE bh_cortex_m_mask_save
#define MASK_RESTORE bh_cortex_m_mask_restore
#define SYST_CSR 0xE000E010u /* ENABLE 1, TICKINT 2, CLKSOURCE 4 (the core clock) */
#define SYST_RVR 0xE000E014u
#define SYST_CVR 0xE000E018u
#if defined(__ARM_ARCH_6M__)
#define SYST_RELOAD 1000u /* its SysTick counts a slower clock */
#else
#define SYST_RELOAD 3000u
#endif
#define TIMER_HANDLER void SysTick_Handler(void)
static void timer_start(void)
{
    REG32(SYST_RVR) = SYST_RELOAD - 1u;
    REG32(SYST_CVR) = 0u;
    REG32(SYST_CSR) = 7u;
}
static void timer_rearm(void) {}
static void timer_stop(void) { REG32(SYST_CSR) = 0u; }
#elif defined(__riscv)
#include "../../port/locks/bareheap_lock_riscv.h"
typedef bh_riscv_lock mask_lock;
#define MASK_ENTER bh_riscv_lock_enter
#define MASK_EXIT bh_riscv_lock_exit
#define MASK_SAVE bh_riscv_mask_save
#define MASK_RESTORE bh_riscv_mask_restore
/* virt's CLINT: mtime counts at 10 MHz; hart 0's compare register. */
#define CLINT_MTIMECMP 0x2004000u
#define CLINT_MTIME 0x200BFF8u
#define TIMER_TICKS 200u /* 20 us */
#define CSR_WRITE(op, csr, value)                                                                  \
    __asm__ volatile(".option push\n\t.option arch, +zicsr\n\t" op " " csr ", %0\n\t.option pop" \
                     : : "r"(value) : "memory")
/* The board's report of a trap that is not the timer's (a fault). */
void board_trap(uintptr_t cause, uintptr_t pc, uintptr_t value) __attribute__((noreturn));
static uint64_t mtime_read(void)
{
    uint32_t hi, lo;
    do {
        hi = REG32(CLINT_MTIME + 4u);
        lo = REG32(CLINT_MTIME);
    } while (hi != REG32(CLINT_MTIME + 4u));
    return ((uint64_t)hi << 32) | lo;
}
/* The compare register's high word first at all ones, so that no partial
 * value lies in the past. */
static void mtimecmp_write(uint64_t t)
{
    REG32(CLINT_MTIMECMP + 4u) = 0xFFFFFFFFu;
    REG32(CLINT_MTIMECMP) = (uint32_t)t;
    REG32(CLINT_MTIMECMP + 4u) = (uint32_t)(t >> 32);
}
static void timer_rearm(void) { mtimecmp_write(mtime_read() + TIMER_TICKS); }
static void timer_handler(void);
/* Saves what it uses and returns with mret. A trap that is not the machine
 * timer's interrupt (a fault) goes to the board's report. */
__attribute__((interrupt("machine"), aligned(4))) static void trap_vector(void)
{
    unsigned long cause, pc, value;
    __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrr %0, mcause\n\tcsrr %1, mepc\n\t"
                     "csrr %2, mtval\n\t.option pop"
                     : "=r"(cause), "=r"(pc), "=r"(value));
    if ((long)cause >= 0 || (cause & 0xFFu) != 7u)
        board_trap(cause, pc, value);
    timer_handler();
}
static void timer_start(void)
{
    CSR_WRITE("csrw", "mtvec", (unsigned long)(uintptr_t)trap_vector);
    timer_rearm();
    CSR_WRITE("csrs", "mie", 0x80ul);    /* MTIE */
    CSR_WRITE("csrs", "mstatus", 0x8ul); /* MIE */
}
static void timer_stop(void)
{
    CSR_WRITE("csrc", "mstatus", 0x8ul);
    CSR_WRITE("csrc", "mie", 0x80ul);
}
#define TIMER_HANDLER static void timer_handler(void)
#else
#error "isr_heap.c: a board with an interrupt-mask lock in port/locks/"
#endif

#if defined(__ARM_ARCH_6M__)
#define HEAP_BYTES 3072u /* the Cortex-M0 board has 16 KiB of RAM */
#define SLOTS 12u
#define OPS 20000u
#else
#define HEAP_BYTES 32768u
#define SLOTS 48u
#define OPS 60000u
#endif
#define ISR_SLOTS 6u
#define MIN_TICKS 100u /* interrupts a run must take to tell anything */

static union {
    uint64_t align;
    unsigned char b[HEAP_BYTES];
} memory;
static bh_heap *heap;
static mask_lock mask;

static volatile uint32_t held;          /* a heap call holds the lock */
static volatile uint32_t ticks;         /* SysTick interrupts taken */
static volatile uint32_t ticks_in_call; /* ... while a heap call held the lock */
static volatile uint32_t isr_calls;     /* heap calls the handler made */
static volatile uint32_t isr_damage;    /* handler blocks found changed */

static void lock_enter(void *context)
{
#if ISR_HEAP_MASK
    MASK_ENTER(context);
#else
    (void)context;
#endif
    held++;
}

static void lock_exit(void *context)
{
    held--;
#if ISR_HEAP_MASK
    MASK_EXIT(context);
#else
    (void)context;
#endif
}

#if defined(ISR_HEAP_IN_LINE)
/* The lock compiled into the core (isr_in_line_config.h): the mask as
 * bareheap_lock_mask_in_line.h takes it, and the flag. */
unsigned long isr_in_line_enter(void)
{
    unsigned long state = (unsigned long)MASK_SAVE();
    held++;
    return state;
}

void isr_in_line_exit(unsigned long state)
{
    held--;
    MASK_RESTORE(state);
}
#endif

TIMER_HANDLER
{
    timer_rearm();
    ticks++;
    if (held) {
        ticks_in_call++;
        return;
    }
#if ISR_HEAP_MASK
    {
        static unsigned char *slot[ISR_SLOTS];
        static size_t size[ISR_SLOTS];
        static uint32_t x = 0x2545F491u;
        isr_damage += slot_step(heap, slot, size, ISR_SLOTS, rng_next(&x), 0xC0u, 64u);
        isr_calls++;
    }
#endif
}

int main(int argc, char **argv)
{
    unsigned char *slot[SLOTS] = {0};
    size_t size[SLOTS] = {0};
    uint32_t x = 0x9E3779B9u, i, damage = 0, failures = 0;
    bh_stats s;
    (void)argc;
    (void)argv;

    heap = bh_init(memory.b, sizeof memory.b);
#if defined(ISR_HEAP_IN_LINE)
    /* The lock is compiled in: hooks are refused. */
    if (heap == NULL || bh_set_lock(heap, lock_enter, lock_exit, &mask)) {
#else
    if (heap == NULL || !bh_set_lock(heap, lock_enter, lock_exit, &mask)) {
#endif
        say("isr_heap: FAILED to make the heap\n");
        return 1;
    }
    timer_start();

    /* OPS steps, then more until MIN_TICKS interrupts were taken (and, in the
     * control, one arrived inside a call), up to 20 times OPS: the timer
     * counts the emulator's time, so a faster host takes fewer interrupts
     * in the same steps. */
    for (i = 0; i < 20u * OPS; i++) {
        damage += slot_step(heap, slot, size, SLOTS, rng_next(&x), 0x11u, 200u);
        if (i + 1u >= OPS && ticks >= MIN_TICKS && (ISR_HEAP_MASK || ticks_in_call != 0u)) {
            break;
        }
    }
    timer_stop();

    damage += slots_free(heap, slot, size, SLOTS, 0x11u);
    say_num("isr_heap: ticks ", ticks);
    say_num(", in a call ", ticks_in_call);
    say_num(", handler's heap calls ", isr_calls);
    say("\n");
    if (ticks < MIN_TICKS) {
        say("isr_heap: FAILED: too few interrupts to tell\n");
        failures++;
    }
#if ISR_HEAP_MASK
    if (ticks_in_call != 0u) {
        say("isr_heap: FAILED: an interrupt arrived inside a heap call\n");
        failures++;
    }
    if (isr_calls < MIN_TICKS || damage != 0u || isr_damage != 0u) {
        say("isr_heap: FAILED: the handler's calls or the blocks\n");
        failures++;
    }
    if (bh_check(heap) != 0u || !bh_get_stats(heap, &s) || held != 0u) {
        say("isr_heap: FAILED: the heap is damaged\n");
        failures++;
    }
#else
    (void)s;
    (void)damage;
    if (ticks_in_call == 0u) {
        say("isr_heap: FAILED: no interrupt arrived inside a heap call without the mask\n");
        failures++;
    }
#endif
    if (failures == 0u) {
        say("isr_heap: ok\n");
    }
    return failures == 0u ? 0 : 1;
}
