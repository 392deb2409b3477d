#ifndef BAREHEAP_DEMO_WORKLOAD_H
#define BAREHEAP_DEMO_WORKLOAD_H
#include <stdint.h>
/* Runs the example workload on the default heap; returns the problems seen. */
int demo_run(void);
/* Prints label and value (base 10 or 16) on a line. */
void demo_put_line(const char *label, uintptr_t value, unsigned base);
#endif
