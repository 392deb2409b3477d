/*
 * The benchmarks' fragmentation run (frag.c) as bare-metal firmware: the same
 * workload and seeds as the host's `bench frag`, run by the board's CPU on
 * the target's own block layout (32-bit words, its alignment). Built by
 * bench/firmware.cmake for a QEMU board of port/baremetal/.
 *
 * Arguments (board_argv, generated at build time): one or more groups of
 * five numbers, "region lo hi seeds p_alloc_percent", run in turn.
 *
 * Output: frag.c's "R mode=frag..." and "R mode=fragsum..." lines, then
 * "N passed, M failed" over all seeds: a seed passes when it ran until an
 * allocation failed and no free block could have served that request (no
 * false failure, which bareheap promises). QEMU exits with 0 when M is 0.
 */
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "frag.h"

void frag_print(const char *line) {
    size_t n = 0;
    while (line[n] != '\0')
        n++;
    board_write(line, n);
}

static void print_str(const char *s) { frag_print(s); }

static void print_uint(unsigned v) {
    char buf[12];
    size_t n = sizeof buf - 1u;
    buf[n] = '\0';
    do {
        buf[--n] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u && n > 0u);
    frag_print(buf + n);
}

/* A decimal argument; false if it is not one or does not fit 32 bits. */
static int parse_u32(const char *s, uint32_t *out) {
    uint32_t v = 0;
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++) {
        uint32_t d = (uint32_t)(unsigned char)*s - (uint32_t)'0';
        if (d > 9u || v > (UINT32_MAX - d) / 10u)
            return 0;
        v = v * 10u + d;
    }
    *out = v;
    return 1;
}

int main(int argc, char **argv) {
    unsigned passed = 0, failed = 0;
    int i;
    if (argc < 6 || (argc - 1) % 5 != 0) {
        print_str("frag: usage: region lo hi seeds p_alloc_percent [...]\n");
        return 2;
    }
    for (i = 1; i + 4 < argc; i += 5) {
        uint32_t v[5];
        frag_totals t;
        int k;
        for (k = 0; k < 5; k++) {
            if (!parse_u32(argv[i + k], &v[k])) {
                print_str("frag: bad argument\n");
                return 2;
            }
        }
        if (v[1] == 0u || v[1] > v[2] || v[3] == 0u) {
            print_str("frag: bad sizes or seeds\n");
            return 2;
        }
        (void)frag_run(v[0], v[1], v[2], v[3], v[4], &t);
        passed += t.reached - t.false_failures;
        /* Seeds that did not run, or stopped short of a failure, fail. */
        failed += t.false_failures + (v[3] - t.reached);
    }
    print_uint(passed);
    print_str(" passed, ");
    print_uint(failed);
    print_str(" failed\n");
    return failed == 0u ? 0 : 1;
}
