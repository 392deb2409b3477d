#ifndef BAREHEAP_DEMO_WORKLOAD_H
#define BAREHEAP_DEMO_WORKLOAD_H
#include <stdint.h>
/* Runs the example workload on the default heap; returns the problems seen. */
int demo_run(void);
/* Prints label and value (base 10 or 16) on a line. 64-bit, so that a
 * 32-bit target prints memory sizes and addresses above 4 GiB as they are
 * (a device tree's or a multiboot map's), not cut to their low half. */
void demo_put_line(const char *label, uint64_t value, unsigned base);
#endif
