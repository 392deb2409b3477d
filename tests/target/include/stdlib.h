/* The stdlib functions the tests use, for targets without a C library
 * (tests/target/cmocka.c). */
#ifndef BAREHEAP_TARGET_STDLIB_H
#define BAREHEAP_TARGET_STDLIB_H

#include <stddef.h>

unsigned long strtoul(const char *s, char **end, int base);

#endif
