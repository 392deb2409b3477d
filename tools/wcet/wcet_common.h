/*
 * What the two firmware of make wcet share (tools/wcet/wcet.c, bareheap;
 * tools/wcet/wcet_halffit.c, the benchmarks' half-fit): the markers that
 * bracket a measured call, the request generators with their seed (so both
 * run the same request sequences), the call and error counts and the last
 * line tools/wcet.sh checks. Included by exactly one file of each firmware:
 * it defines what it declares.
 */
#ifndef WCET_COMMON_H
#define WCET_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "board.h"

static void *wcet_r;
static unsigned wcet_calls, wcet_errors;

/* Markers: one function per case, never inlined, merged or removed; the
 * trace counts from wcet_op_<case> to wcet_done. */
#define WCET_MARK(name) \
    __attribute__((noipa)) void wcet_op_##name(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noipa)) void wcet_done(void) { __asm__ volatile("" ::: "memory"); }

static uint32_t wcet_seed = 0x2545F491u;
static uint32_t wcet_rand(void) {
    wcet_seed ^= wcet_seed << 13;
    wcet_seed ^= wcet_seed >> 17;
    wcet_seed ^= wcet_seed << 5;
    return wcet_seed;
}

/* 8..256 B uniform */
static size_t wcet_small(void) { return 8u + wcet_rand() % 249u; }

/* 8 B..64 KiB, log-uniform */
static size_t wcet_mixed(void) {
    unsigned e = 3u + wcet_rand() % 13u; /* 2^3 .. 2^15 */
    size_t n = ((size_t)1 << e) + (wcet_rand() & (((size_t)1 << e) - 1u));
    return n;
}

static void wcet_puts(const char *s) {
    size_t n = 0;
    while (s[n])
        n++;
    board_write(s, n);
}

static void wcet_putu(unsigned v) {
    char buf[12];
    int i = 11;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    wcet_puts(buf + i);
}

/* Runs one sequence; names it if it went wrong. */
static void wcet_step(const char *name, void (*fn)(unsigned), unsigned steps) {
    unsigned before = wcet_errors;
    fn(steps);
    if (wcet_errors != before) {
        wcet_puts("wcet: errors in ");
        wcet_puts(name);
        wcet_puts("\n");
    }
}

/* The last line, which tools/wcet.sh requires to say 0 errors; main's status. */
static int wcet_report(void) {
    wcet_puts("wcet: ");
    wcet_putu(wcet_calls);
    wcet_puts(" calls, ");
    wcet_putu(wcet_errors);
    wcet_puts(" errors\n");
    return wcet_errors ? 1 : 0;
}

#endif /* WCET_COMMON_H */
