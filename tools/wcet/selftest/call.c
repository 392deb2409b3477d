/* tail() ends in a call of g, a far tail call on RISC-V built with
 * -mno-relax (auipc + jr); call() calls g and goes on, from Thumb code to an
 * ARM-state g on Cortex-A15 (blx). Either way g's body is on the caller's
 * path, so the caller's bound must exceed g's. Built with -mlong-calls,
 * call() reaches g through a register loaded from a literal pool, and
 * dispatch() calls through a table everywhere: neither callee is known to
 * the bound tool, which must refuse them rather than count one instruction. */
volatile int sink;

#if defined(__arm__) && defined(__ARM_ARCH_ISA_ARM) /* not on M-profile, which has no ARM state */
#define ARM_STATE __attribute__((target("arm")))
#else
#define ARM_STATE
#endif

__attribute__((noinline)) ARM_STATE int g(int x)
{
    sink = x;
    sink = x + 1;
    sink = x + 2;
    sink = x + 3;
    return x * 3;
}

__attribute__((noinline)) int tail(int x)
{
    sink = 1;
    return g(x + 1);
}

__attribute__((noinline)) int call(int x)
{
    sink = 1;
    return g(x + 1) + 1;
}

__attribute__((noinline)) int h(int x)
{
    sink = x;
    return x + 5;
}

int (*const table[2])(int) = {g, h};

__attribute__((noinline)) int dispatch(int i, int x)
{
    return table[i & 1](x) + 1;
}

void _start(void);
void _start(void)
{
    (void)tail(sink);
    (void)call(sink);
    (void)dispatch(sink, sink);
    for (;;) {
    }
}
