/*
 * A runaway recursion must end in the board's fault report (status 3) as
 * soon as the stack runs out, not in a hang or in writes over .bss: every
 * board keeps a no-access guard under its stack (Cortex-M3/M4: an MPU
 * region; Cortex-M0: the start of RAM; RISC-V: a PMP entry; ARM virt: an
 * unmapped MMU section; x86: unmapped pages, whose fault a task switch takes
 * onto a stack of its own). tests/target/fault_check.cmake checks the report.
 */
#include <stddef.h>

#include "board.h"

/* Never reached; volatile, so that the compiler sees a way out of the
 * recursion and neither warns of an endless one nor turns it into a loop. */
static volatile unsigned stop_depth = ~0u;

/* Not inlined into itself: GCC would otherwise fold several levels into one
 * frame of 1.5 KiB, larger than the 1 KiB guards (-Wstack-usage refuses it). */
static __attribute__((noinline)) unsigned recurse(unsigned depth)
{
    volatile unsigned char frame[256];
    frame[0] = (unsigned char)depth;
    frame[sizeof frame - 1u] = 1u;
    if (depth == stop_depth)
        return frame[0];
    /* Uses the frame after the call: no tail call. */
    return recurse(depth + 1u) + frame[sizeof frame - 1u];
}

int main(int argc, char **argv)
{
    static const char line[] = "stack_overflow: recursing\n";
    (void)argc;
    (void)argv;
    board_write(line, sizeof line - 1u);
    return recurse(0) == 0u ? 0 : 1;
}
