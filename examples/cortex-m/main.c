/*
 * bareheap on a Cortex-M: the heap is the RAM the linker script leaves after
 * .data, .bss and the stack, [__heap_start, __heap_end)
 * (port/baremetal/cortex-m/mps2.ld or microbit.ld; startup code in
 * port/baremetal/cortex-m/startup.c). Run under QEMU with `make demo`.
 */
#include <stdint.h>

#include "allocator.h"
#include "board.h"
#include "demo_workload.h"

extern unsigned char __heap_start[], __heap_end[];

int main(int argc, char **argv)
{
    /* As integers: the linker's two symbols are distinct objects to C, and
     * subtracting pointers to different objects is undefined. */
    size_t heap_bytes = (size_t)((uintptr_t)__heap_end - (uintptr_t)__heap_start);
    (void)argc;
    (void)argv;

    demo_put_line("heap start       ", (uintptr_t)__heap_start, 16u);
    demo_put_line("heap bytes       ", heap_bytes, 10u);
    if (!heap_init(__heap_start, heap_bytes)) {
        demo_put_line("heap_init failed ", heap_bytes, 10u);
        return 1;
    }
    return demo_run();
}
