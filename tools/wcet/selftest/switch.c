/* A dense switch: compilers dispatch it through a jump table (RISC-V: a
 * pc-relative table and jr, or with -mcmodel=medlow an absolute one, whose
 * entry the bound tool once took for a hook's pointer and printed 8, as if
 * every case returned at once; Cortex-M0 -Os: a call of libgcc's
 * __gnu_thumb1_case_uqi), which the bound tool must refuse, not take for a
 * return. */
volatile int sink;

__attribute__((noinline)) int f(int x)
{
    switch (x) {
    case 0: sink = 1; return 11;
    case 1: sink = 2; sink = 3; return 12;
    case 2: sink = 3; return 13;
    case 3: sink = 4; return 14;
    case 4: sink = 5; return 15;
    case 5: sink = 6; sink = 7; sink = 8; sink = 9; sink = 10; return 16;
    case 6: sink = 7; return 17;
    }
    return 0;
}

void _start(void);
void _start(void)
{
    (void)f(sink);
    for (;;) {
    }
}
