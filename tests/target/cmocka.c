/*
 * Freestanding runner behind tests/target/cmocka.h: runs each test with its
 * setup and teardown, reports on the board console in cmocka's format, and
 * ends with "N passed, N failed". Also the few C library functions the tests
 * call beyond the core's own (port/libc/bh_string.c): strlen, strcmp,
 * strtoul, and a small vsnprintf-style formatter for messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "cmocka.h"
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/* ---- C library pieces ---- */

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return (int)(unsigned char)*a - (int)(unsigned char)*b;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    unsigned long v = 0;
    unsigned b = base == 0 ? 10u : (unsigned)base;
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9') {
            d = (unsigned)(*s - '0');
        } else if (*s >= 'a' && *s <= 'z') {
            d = (unsigned)(*s - 'a') + 10u;
        } else if (*s >= 'A' && *s <= 'Z') {
            d = (unsigned)(*s - 'A') + 10u;
        } else {
            break;
        }
        if (d >= b) {
            break;
        }
        v = v * b + d;
    }
    if (end != NULL) {
        *end = (char *)(uintptr_t)s;
    }
    return v;
}

/* ---- output ---- */

static void out(const char *s, size_t n)
{
    board_write(s, n);
}

static void out_str(const char *s)
{
    out(s, strlen(s));
}

static void out_unsigned(uintmax_t v, unsigned base, unsigned width, char pad)
{
    char buf[3 * sizeof v];
    size_t n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        buf[n++] = (char)(d < 10u ? '0' + d : 'a' + d - 10u);
        v /= base;
    } while (v != 0u);
    while (n < width && n < sizeof buf) {
        buf[n++] = pad;
    }
    while (n > 0u) {
        out(&buf[--n], 1);
    }
}

/* %[0][width][l|ll|z|j|h]{d,i,u,x,X,p,s,c,%} */
static void out_vformat(const char *f, va_list ap)
{
    for (; *f != '\0'; f++) {
        unsigned width = 0;
        char pad = ' ';
        int size = 0; /* 0 int, 1 long, 2 long long, 3 size_t, 4 intmax_t */
        if (*f != '%') {
            out(f, 1);
            continue;
        }
        f++;
        if (*f == '0') {
            pad = '0';
            f++;
        }
        while (*f >= '0' && *f <= '9') {
            width = width * 10u + (unsigned)(*f++ - '0');
        }
        for (;; f++) {
            if (*f == 'l') {
                size = size == 1 ? 2 : 1;
            } else if (*f == 'z') {
                size = 3;
            } else if (*f == 'j') {
                size = 4;
            } else if (*f != 'h') {
                break;
            }
        }
        switch (*f) {
        case 'd':
        case 'i': {
            intmax_t v = size == 0   ? va_arg(ap, int)
                         : size == 1 ? va_arg(ap, long)
                         : size == 2 ? va_arg(ap, long long)
                         : size == 3 ? (intmax_t)va_arg(ap, size_t)
                                     : va_arg(ap, intmax_t);
            if (v < 0) {
                out("-", 1);
                out_unsigned((uintmax_t)0 - (uintmax_t)v, 10u, width, pad);
            } else {
                out_unsigned((uintmax_t)v, 10u, width, pad);
            }
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uintmax_t v = size == 0   ? va_arg(ap, unsigned)
                          : size == 1 ? va_arg(ap, unsigned long)
                          : size == 2 ? va_arg(ap, unsigned long long)
                          : size == 3 ? va_arg(ap, size_t)
                                      : va_arg(ap, uintmax_t);
            out_unsigned(v, *f == 'u' ? 10u : 16u, width, pad);
            break;
        }
        case 'p':
            out("0x", 2);
            out_unsigned((uintmax_t)(uintptr_t)va_arg(ap, void *), 16u, 0u, ' ');
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            out_str(s != NULL ? s : "(null)");
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            out(&c, 1);
            break;
        }
        case '\0':
            return;
        default:
            out(f, 1);
            break;
        }
    }
}

static void out_format(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    out_vformat(format, ap);
    va_end(ap);
}

void print_message(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    out_vformat(format, ap);
    va_end(ap);
}

void print_error(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    out_vformat(format, ap);
    va_end(ap);
}

/* ---- running ---- */

static void *g_test_jump[5]; /* __builtin_setjmp buffer of the running test */
static int g_in_test;
static int g_skipped;

static void leave_test(void) __attribute__((noreturn));
static void leave_test(void)
{
    if (!g_in_test) {
        out_str("[  ERROR   ] assertion outside a test\n");
        board_exit(2);
    }
    __builtin_longjmp(g_test_jump, 1);
}

static void failure_at(const char *file, int line)
{
    out_format("[  ERROR   ] --- %s:%d: ", file, line);
}

void bt_check_true(int ok, const char *expr, const char *file, int line)
{
    if (!ok) {
        failure_at(file, line);
        out_format("%s\n", expr);
        leave_test();
    }
}

void bt_check_int(uintmax_t a, uintmax_t b, int equal, const char *file, int line)
{
    if ((a == b) != (equal != 0)) {
        failure_at(file, line);
        out_format("%ju (0x%jx) %s %ju (0x%jx)\n", a, a, equal ? "!=" : "==", b, b);
        leave_test();
    }
}

void bt_check_ptr(const void *a, const void *b, int equal, const char *file, int line)
{
    if ((a == b) != (equal != 0)) {
        failure_at(file, line);
        out_format("%p %s %p\n", a, equal ? "!=" : "==", b);
        leave_test();
    }
}

void bt_check_range(uintmax_t v, uintmax_t lo, uintmax_t hi, const char *file, int line)
{
    if (v < lo || v > hi) {
        failure_at(file, line);
        out_format("%ju is not within the range [%ju, %ju]\n", v, lo, hi);
        leave_test();
    }
}

void bt_check_memory(const void *a, const void *b, size_t n, int equal, const char *file,
                     int line)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    size_t i, differ = 0, first = 0;
    for (i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            if (differ++ == 0u) {
                first = i;
            }
        }
    }
    if ((differ == 0u) != (equal != 0)) {
        failure_at(file, line);
        if (equal) {
            out_format("%zu bytes of %p and %p differ, the first at offset %zu\n", differ, a, b,
                       first);
        } else {
            out_format("%zu bytes of %p and %p are equal\n", n, a, b);
        }
        leave_test();
    }
}

void bt_check_string(const char *a, const char *b, int equal, const char *file, int line)
{
    if ((strcmp(a, b) == 0) != (equal != 0)) {
        failure_at(file, line);
        out_format("\"%s\" %s \"%s\"\n", a, equal ? "!=" : "==", b);
        leave_test();
    }
}

void bt_fail(const char *file, int line, const char *format, ...)
{
    va_list ap;
    failure_at(file, line);
    va_start(ap, format);
    out_vformat(format, ap);
    va_end(ap);
    out("\n", 1);
    leave_test();
}

void bt_skip(const char *file, int line)
{
    (void)file;
    (void)line;
    g_skipped = 1;
    leave_test();
}

/* Runs one test; returns 1 passed, 0 failed, -1 skipped. Kept out of line
 * so that the longjmp target frame holds no variable the test changes. */
static int __attribute__((noinline)) run_one(const struct CMUnitTest *t)
{
    void *state = t->initial_state;
    volatile int stage = 0; /* 0 setup, 1 test, 2 teardown */

    g_skipped = 0;
    g_in_test = 1;
    if (__builtin_setjmp(g_test_jump) == 0) {
        if (t->setup_func != NULL && t->setup_func(&state) != 0) {
            out_str("[  ERROR   ] setup failed\n");
            g_in_test = 0;
            return 0;
        }
        stage = 1;
        t->test_func(&state);
        stage = 2;
        if (t->teardown_func != NULL && t->teardown_func(&state) != 0) {
            out_str("[  ERROR   ] teardown failed\n");
            g_in_test = 0;
            return 0;
        }
        g_in_test = 0;
        return 1;
    }
    g_in_test = 0;
    (void)stage;
    return g_skipped ? -1 : 0;
}

int bt_run_group(const char *name, const struct CMUnitTest *tests, size_t count,
                 CMFixtureFunction setup, CMFixtureFunction teardown)
{
    void *group_state = NULL;
    unsigned passed = 0, failed = 0, skipped = 0;
    size_t i;

    out_format("[==========] %s: Running %zu test(s).\n", name, count);
    if (setup != NULL && setup(&group_state) != 0) {
        out_format("[  ERROR   ] %s: group setup failed\n", name);
        out_format("%u passed, %zu failed\n", 0u, count);
        return (int)count;
    }
    for (i = 0; i < count; i++) {
        int result;
        out_format("[ RUN      ] %s\n", tests[i].name);
        result = run_one(&tests[i]);
        if (result > 0) {
            passed++;
            out_format("[       OK ] %s\n", tests[i].name);
        } else if (result < 0) {
            skipped++;
            out_format("[  SKIPPED ] %s\n", tests[i].name);
        } else {
            failed++;
            out_format("[  FAILED  ] %s\n", tests[i].name);
        }
    }
    if (teardown != NULL && teardown(&group_state) != 0) {
        out_format("[  ERROR   ] %s: group teardown failed\n", name);
        failed++;
    }
    out_format("[==========] %s: %zu test(s) run.\n", name, count);
    if (skipped > 0u) {
        out_format("%u skipped\n", skipped);
    }
    out_format("%u passed, %u failed\n", passed, failed);
    return (int)failed;
}
