/*
 * What the host tests of the examples (tests/test_example_*.c) share: CHECK,
 * which counts every check and prints where one fails; check_report(),
 * which prints the line ctest matches ("N passed, 0 failed") and gives the
 * exit status; and the board and demo output the examples call, which these
 * tests do not look at (a test that does defines EXAMPLE_OWN_PUT_LINE and
 * its own demo_put_line()).
 */
#ifndef BAREHEAP_TEST_EXAMPLE_CHECK_H
#define BAREHEAP_TEST_EXAMPLE_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static unsigned failures, checks;

#define CHECK(cond)                                                    \
    do {                                                               \
        checks++;                                                      \
        if (!(cond)) {                                                 \
            failures++;                                                \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
        }                                                              \
    } while (0)

static int check_report(void) {
    printf("%u passed, %u failed\n", checks - failures, failures);
    return failures != 0;
}

void board_write(const char *text, size_t n);
void demo_put_line(const char *label, uint64_t value, unsigned base);
int demo_run(void);
void board_write(const char *text, size_t n) {
    (void)text;
    (void)n;
}
#ifndef EXAMPLE_OWN_PUT_LINE
void demo_put_line(const char *label, uint64_t value, unsigned base) {
    (void)label;
    (void)value;
    (void)base;
}
#endif
int demo_run(void) { return 0; }

#endif
