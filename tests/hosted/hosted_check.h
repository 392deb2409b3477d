/*
 * What the shim's test programs share: plain checks that count failures
 * (no assert(): it vanishes under NDEBUG), and a value the optimiser cannot
 * see through, so that calls with absurd sizes or malloc/free pairs are not
 * folded away.
 */
#ifndef BAREHEAP_TEST_HOSTED_CHECK_H
#define BAREHEAP_TEST_HOSTED_CHECK_H

#include <stddef.h>
#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                              \
        }                                                                            \
    } while (0)

static volatile size_t opaque_zero;
static size_t opaque(size_t x) { return x + opaque_zero; }

#endif
