/* tail() ends in a call of g, a far tail call on RISC-V built with
 * -mno-relax (auipc + jr); call() calls g and goes on, from Thumb code to an
 * ARM-state g on Cortex-A15 (blx). Either way g's body is on the caller's
 * path, so the caller's bound must exceed g's. */
volatile int sink;

#if defined(__arm__)
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

void _start(void);
void _start(void)
{
    (void)tail(sink);
    (void)call(sink);
    for (;;) {
    }
}
