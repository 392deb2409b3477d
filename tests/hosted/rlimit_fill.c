/*
 * Fills most of an address-space limit (RLIMIT_AS, `ulimit -v`) the way a
 * program does: one large block, many 1 MiB blocks from one thread (more
 * than one arena's share of the shim's reservation), then a million small
 * ones. glibc serves all of it; so must the shim, whose reservation counts
 * against the limit. Every block is stamped and checked before it is
 * freed. What it prints depends on the limit only, so its output under the
 * shim must equal its output under glibc; exit status 1 if a request fails.
 *
 *   (ulimit -v 1200000; ./rlimit_fill)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define MIB ((size_t)1 << 20)
#define SMALL_BYTES 32u

static int fail(const char *what, size_t n) {
    printf("rlimit_fill: %s failed after %zu blocks\n", what, n);
    return 1;
}

int main(void) {
    struct rlimit limit;
    size_t big_bytes, medium_count, small_count, i, bad = 0;
    unsigned char *big;
    unsigned char **medium, **small;
    if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur < 512 * MIB) {
        printf("rlimit_fill: run under an address-space limit of at least 512 MiB (ulimit -v)\n");
        return 1;
    }
    /* A quarter of the limit in one block, a fifth in 1 MiB blocks, and
     * small blocks whose requests add up to a thirtieth (their headers and
     * rounding take half as much again): under half the limit besides the
     * large block, as the shim's reservation is. */
    big_bytes = (size_t)limit.rlim_cur / 4u;
    medium_count = (size_t)limit.rlim_cur / 5u / MIB;
    small_count = (size_t)limit.rlim_cur / 30u / SMALL_BYTES;
    medium = malloc(medium_count * sizeof *medium);
    small = malloc(small_count * sizeof *small);
    if (!medium || !small)
        return fail("the pointer arrays", 0);
    big = malloc(big_bytes);
    if (!big)
        return fail("the large block", 0);
    big[0] = 1;
    big[big_bytes - 1u] = 2;
    for (i = 0; i < medium_count; i++) {
        medium[i] = malloc(MIB);
        if (!medium[i])
            return fail("a 1 MiB block", i);
        memset(medium[i], (int)(i & 0xFFu), MIB);
    }
    for (i = 0; i < small_count; i++) {
        small[i] = malloc(SMALL_BYTES);
        if (!small[i])
            return fail("a small block", i);
        memset(small[i], (int)(i * 7u & 0xFFu), SMALL_BYTES);
    }
    for (i = 0; i < small_count; i++) {
        unsigned j;
        for (j = 0; j < SMALL_BYTES; j++)
            bad += small[i][j] != (unsigned char)(i * 7u & 0xFFu);
        free(small[i]);
    }
    for (i = 0; i < medium_count; i++) {
        bad += medium[i][0] != (unsigned char)(i & 0xFFu) || medium[i][MIB - 1u] != (unsigned char)(i & 0xFFu);
        free(medium[i]);
    }
    bad += big[0] != 1 || big[big_bytes - 1u] != 2;
    free(big);
    free(small);
    free(medium);
    printf("rlimit_fill: %zu MiB in one block, %zu blocks of 1 MiB, %zu blocks of %u bytes, %zu damaged\n",
           big_bytes / MIB, medium_count, small_count, SMALL_BYTES, bad);
    return bad != 0;
}
