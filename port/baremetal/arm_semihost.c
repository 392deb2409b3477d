/*
 * Console and exit through ARM semihosting, as QEMU implements it with
 * -semihosting-config enable=on,target=native: SYS_WRITE0 prints a string
 * (to QEMU's stderr), SYS_EXIT_EXTENDED ends QEMU with the given status.
 * M-profile traps with bkpt 0xab, A-profile in ARM state with svc 0x123456.
 */
#include <stdint.h>

#define SYS_WRITE0 0x04
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

void board_console_flush(const char *line);
void board_exit_now(int status) __attribute__((noreturn));

static uintptr_t semihost_call(uintptr_t op, const void *arg)
{
    register uintptr_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
#else
    __asm__ volatile("svc 0x123456" : "+r"(r0) : "r"(r1) : "memory");
#endif
    return r0;
}

/* QEMU reads the parameter block as little-endian words whatever the
 * data endianness of the guest: on big-endian ARM store them swapped. */
static uint32_t semihost_word(uint32_t v)
{
#if defined(__ARMEB__)
    return (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
#else
    return v;
#endif
}

void board_console_flush(const char *line)
{
    (void)semihost_call(SYS_WRITE0, line);
}

void board_exit_now(int status)
{
    static volatile uint32_t block[2];
    block[0] = semihost_word(ADP_STOPPED_APPLICATION_EXIT);
    block[1] = semihost_word((uint32_t)status); /* 0..255: board_exit() */
    for (;;) {
        (void)semihost_call(SYS_EXIT_EXTENDED, (const void *)block);
    }
}
