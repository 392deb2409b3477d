/*
 * The part of the cmocka API that the bareheap tests use, for bare-metal
 * targets that have no cmocka: the same test sources build against it
 * unchanged. Output goes to the board console (port/baremetal/board.h); a
 * group ends with the line "N passed, N failed" and
 * cmocka_run_group_tests() returns the number failed, which becomes QEMU's
 * exit status.
 *
 * A failed assertion prints file, line and values, and abandons the test with
 * __builtin_longjmp (no C library needed); the next test runs. The
 * comparisons and casts follow cmocka 1.1: integers are compared as
 * uintmax_t.
 */
#ifndef BAREHEAP_TARGET_CMOCKA_H
#define BAREHEAP_TARGET_CMOCKA_H

#include <stddef.h>
#include <stdint.h>

typedef uintmax_t LargestIntegralType;

typedef void (*CMUnitTestFunction)(void **state);
typedef int (*CMFixtureFunction)(void **state);

struct CMUnitTest {
    const char *name;
    CMUnitTestFunction test_func;
    CMFixtureFunction setup_func;
    CMFixtureFunction teardown_func;
    void *initial_state;
};

#define cmocka_unit_test(f) {#f, f, NULL, NULL, NULL}
#define cmocka_unit_test_setup(f, setup) {#f, f, setup, NULL, NULL}
#define cmocka_unit_test_teardown(f, teardown) {#f, f, NULL, teardown, NULL}
#define cmocka_unit_test_setup_teardown(f, setup, teardown) {#f, f, setup, teardown, NULL}
#define cmocka_unit_test_prestate(f, state) {#f, f, NULL, NULL, state}

#define cmocka_run_group_tests(group, setup, teardown)                                     \
    bt_run_group(#group, group, sizeof(group) / sizeof((group)[0]), setup, teardown)
#define cmocka_run_group_tests_name(name, group, setup, teardown)                          \
    bt_run_group(name, group, sizeof(group) / sizeof((group)[0]), setup, teardown)

int bt_run_group(const char *name, const struct CMUnitTest *tests, size_t count,
                 CMFixtureFunction setup, CMFixtureFunction teardown);

/* Each returns only when the check holds. */
void bt_check_true(int ok, const char *expr, const char *file, int line);
void bt_check_int(uintmax_t a, uintmax_t b, int equal, const char *file, int line);
void bt_check_ptr(const void *a, const void *b, int equal, const char *file, int line);
void bt_check_range(uintmax_t v, uintmax_t lo, uintmax_t hi, const char *file, int line);
void bt_check_memory(const void *a, const void *b, size_t n, int equal, const char *file,
                     int line);
void bt_check_string(const char *a, const char *b, int equal, const char *file, int line);
void bt_fail(const char *file, int line, const char *format, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
void bt_skip(const char *file, int line) __attribute__((noreturn));
void print_message(const char *format, ...) __attribute__((format(printf, 1, 2)));
void print_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

#define assert_true(c) bt_check_true(!!(c), #c, __FILE__, __LINE__)
#define assert_false(c) bt_check_true(!(c), "!(" #c ")", __FILE__, __LINE__)
#define assert_return_code(rc, error) bt_check_true((rc) >= 0, #rc " >= 0", __FILE__, __LINE__)
#define assert_int_equal(a, b)                                                             \
    bt_check_int((uintmax_t)(a), (uintmax_t)(b), 1, __FILE__, __LINE__)
#define assert_int_not_equal(a, b)                                                         \
    bt_check_int((uintmax_t)(a), (uintmax_t)(b), 0, __FILE__, __LINE__)
#define assert_ptr_equal(a, b)                                                             \
    bt_check_ptr((const void *)(a), (const void *)(b), 1, __FILE__, __LINE__)
#define assert_ptr_not_equal(a, b)                                                         \
    bt_check_ptr((const void *)(a), (const void *)(b), 0, __FILE__, __LINE__)
#define assert_null(p) bt_check_ptr((const void *)(p), NULL, 1, __FILE__, __LINE__)
#define assert_non_null(p) bt_check_ptr((const void *)(p), NULL, 0, __FILE__, __LINE__)
#define assert_in_range(v, lo, hi)                                                         \
    bt_check_range((uintmax_t)(v), (uintmax_t)(lo), (uintmax_t)(hi), __FILE__, __LINE__)
#define assert_memory_equal(a, b, n)                                                       \
    bt_check_memory((const void *)(a), (const void *)(b), (size_t)(n), 1, __FILE__, __LINE__)
#define assert_memory_not_equal(a, b, n)                                                   \
    bt_check_memory((const void *)(a), (const void *)(b), (size_t)(n), 0, __FILE__, __LINE__)
#define assert_string_equal(a, b) bt_check_string((a), (b), 1, __FILE__, __LINE__)
#define assert_string_not_equal(a, b) bt_check_string((a), (b), 0, __FILE__, __LINE__)
#define fail() bt_fail(__FILE__, __LINE__, "failed")
#define fail_msg(...) bt_fail(__FILE__, __LINE__, __VA_ARGS__)
#define skip() bt_skip(__FILE__, __LINE__)

#endif /* BAREHEAP_TARGET_CMOCKA_H */
