/* The string functions the tests use, for targets without a C library:
 * mem* from port/libc/bh_string.c, str* from tests/target/cmocka.c. */
#ifndef BAREHEAP_TARGET_STRING_H
#define BAREHEAP_TARGET_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
