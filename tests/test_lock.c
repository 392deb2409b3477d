/*
 * Lock hooks: every public call on a locked heap takes the lock exactly once
 * and releases it before returning, never nested, including calls that fail,
 * calls rejected by pointer validation (the error handler runs with the lock
 * held) and bh_walk(); an error handler that leaves by longjmp after
 * releasing the lock leaves the heap unlocked and as the call found it. Then
 * two threads share one heap through the C11 spinlock port and the heap ends
 * sound with nothing lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bareheap.h"
#include "bareheap_config.h"

#if defined(__linux__)
#include <pthread.h>
#if defined(__STDC_VERSION__) && (__STDC_VERSION__ >= 201112L) && !defined(__STDC_NO_ATOMICS__)
#include "../port/locks/bareheap_lock_spin.h"
#define HAVE_SPIN_LOCK 1
#endif
#endif

static union {
    long double ld;
    void *p;
    unsigned char b[256 * 1024];
} memory;

typedef struct lock_log {
    int depth;     /* 1 while held */
    int max_depth; /* must stay 1 */
    long enters;
    long exits;
    int held_in_handler; /* depth seen by the error handler */
} lock_log;

static void log_enter(void *context) {
    lock_log *log = context;
    log->depth++;
    if (log->depth > log->max_depth)
        log->max_depth = log->depth;
    log->enters++;
}

static void log_exit(void *context) {
    lock_log *log = context;
    log->depth--;
    log->exits++;
}

static lock_log *g_log;
static void on_error(void *context, bh_error kind, const void *address) {
    (void)context;
    (void)kind;
    (void)address;
    g_log->held_in_handler = g_log->depth;
}

static bool count_block(void *context, const bh_block_info *block) {
    (void)block;
    (*(size_t *)context)++;
    return g_log->depth == 1;
}

/* One call: exactly one enter and one exit, balanced on return. */
#define EXPECT_ONE_LOCK(log, call)                 \
    do {                                           \
        long before = (log).enters;                \
        call;                                      \
        assert_int_equal((log).enters, before + 1); \
        assert_int_equal((log).exits, (log).enters); \
        assert_int_equal((log).depth, 0);          \
    } while (0)

static void test_every_call_locks_once(void **state) {
    lock_log log;
    bh_heap *heap = bh_init(memory.b, 64 * 1024);
    unsigned char *p = NULL, *q = NULL, *r = NULL;
    bh_stats s;
    size_t blocks = 0, problems = 1, usable = 0;
    int local;
    (void)state;
    memset(&log, 0, sizeof log);
    g_log = &log;
    assert_non_null(heap);
    bh_set_lock(heap, log_enter, log_exit, &log);
    EXPECT_ONE_LOCK(log, bh_set_error_handler(heap, on_error, NULL));
    EXPECT_ONE_LOCK(log, p = bh_alloc(heap, 100));
    EXPECT_ONE_LOCK(log, q = bh_calloc(heap, 10, 10));
    EXPECT_ONE_LOCK(log, r = bh_alloc_aligned(heap, 256, 100));
    assert_non_null(p);
    assert_non_null(q);
    assert_non_null(r);
    EXPECT_ONE_LOCK(log, p = bh_realloc(heap, p, 5000));
    assert_non_null(p);
    EXPECT_ONE_LOCK(log, usable = bh_usable_size(heap, p));
    assert_true(usable >= 5000);
    EXPECT_ONE_LOCK(log, assert_null(bh_alloc(heap, SIZE_MAX)));
    EXPECT_ONE_LOCK(log, assert_null(bh_calloc(heap, SIZE_MAX, 2)));
    EXPECT_ONE_LOCK(log, assert_null(bh_alloc_aligned(heap, 3, 8)));
    EXPECT_ONE_LOCK(log, assert_true(bh_get_stats(heap, &s)));
    EXPECT_ONE_LOCK(log, blocks = bh_walk(heap, count_block, &blocks));
    assert_true(blocks >= 4);
    EXPECT_ONE_LOCK(log, problems = bh_check(heap));
    assert_int_equal(problems, 0);
#if BAREHEAP_DEBUG >= 1
    /* Rejected by validation: the handler runs with the lock held. */
    EXPECT_ONE_LOCK(log, bh_free(heap, &local));
    assert_int_equal(log.held_in_handler, 1);
    EXPECT_ONE_LOCK(log, assert_null(bh_realloc(heap, &local, 10)));
#else
    (void)local;
#endif
    EXPECT_ONE_LOCK(log, assert_null(bh_realloc(heap, q, 0)));
    EXPECT_ONE_LOCK(log, bh_free(heap, p));
    EXPECT_ONE_LOCK(log, bh_free(heap, r));
#if BAREHEAP_MAX_REGIONS >= 2
    EXPECT_ONE_LOCK(log, assert_true(bh_add_region(heap, memory.b + 128 * 1024, 64 * 1024)));
#else
    /* No room for a second region: refused, under one lock all the same. */
    EXPECT_ONE_LOCK(log, assert_false(bh_add_region(heap, memory.b + 128 * 1024, 64 * 1024)));
#endif
    EXPECT_ONE_LOCK(log, assert_false(bh_add_region(heap, memory.b + 1024, 1024)));
    /* free(NULL) and a NULL heap return before any lock. */
    {
        long before = log.enters;
        bh_free(heap, NULL);
        assert_int_equal(log.enters, before);
    }
    assert_int_equal(log.max_depth, 1);
    bh_set_lock(heap, NULL, NULL, NULL);
    {
        long before = log.enters;
        bh_free(heap, bh_alloc(heap, 10));
        assert_int_equal(log.enters, before);
    }
    assert_int_equal(bh_check(heap), 0);
}

/* One hook without the other is refused: the heap keeps its old lock
 * setting, so no call takes a lock it never releases. */
static void test_set_lock_half_null_refused(void **state) {
    lock_log log;
    bh_heap *heap = bh_init(memory.b, 64 * 1024);
    (void)state;
    memset(&log, 0, sizeof log);
    g_log = &log;
    assert_non_null(heap);
    assert_false(bh_set_lock(heap, log_enter, NULL, &log));
    bh_free(heap, bh_alloc(heap, 10));
    assert_int_equal(log.enters, 0);
    assert_false(bh_set_lock(heap, NULL, log_exit, &log));
    bh_free(heap, bh_alloc(heap, 10));
    assert_int_equal(log.exits, 0);
    /* a locked heap stays locked the same way */
    assert_true(bh_set_lock(heap, log_enter, log_exit, &log));
    assert_false(bh_set_lock(heap, log_enter, NULL, &log));
    {
        void *p = NULL;
        EXPECT_ONE_LOCK(log, p = bh_alloc(heap, 10));
        assert_non_null(p);
        EXPECT_ONE_LOCK(log, bh_free(heap, p));
    }
    assert_true(bh_set_lock(heap, NULL, NULL, NULL));
    assert_false(bh_set_lock(NULL, log_enter, log_exit, &log)); /* NULL heap: nothing */
    assert_int_equal(bh_check(heap), 0);
}

#if defined(HAVE_SPIN_LOCK)
#include "lock_threads.h"

static void test_two_threads_share_a_heap(void **state) {
    static bh_spin_lock lock = BH_SPIN_LOCK_INIT;
    bh_heap *heap = bh_init(memory.b, 128 * 1024);
    (void)state;
    assert_non_null(heap);
    bh_set_lock(heap, bh_spin_lock_enter, bh_spin_lock_exit, &lock);
    threads_share(heap);
}
#endif

#if (BAREHEAP_DEBUG >= 1)
/* The error handler as bareheap.h allows it to leave by longjmp: it
 * releases the heap's lock first. The call is abandoned, the lock is free,
 * and the heap is as the call found it. */
#include "lock_escape.h"

static void escape_on_error(void *context, bh_error kind, const void *address) {
    (void)kind;
    (void)address;
    g_log->held_in_handler = g_log->depth;
    log_exit(context);
    longjmp(g_escape, 1);
}

static void escape_lock_released(void) {
    assert_int_equal(g_log->held_in_handler, 1);
    assert_int_equal(g_log->depth, 0);
    assert_int_equal(g_log->exits, g_log->enters);
    assert_int_equal(g_log->max_depth, 1);
}

static void test_handler_longjmp_releases_lock(void **state) {
    lock_log log;
    bh_heap *heap;
    (void)state;
    memset(&log, 0, sizeof log);
    g_log = &log;
    heap = bh_init(memory.b, sizeof memory.b);
    assert_non_null(heap);
    bh_set_lock(heap, log_enter, log_exit, &log);
    bh_set_error_handler(heap, escape_on_error, &log);
    bh_free(heap, escape_double_free(heap, escape_lock_released));
    assert_int_equal(log.depth, 0);
    assert_int_equal(log.max_depth, 1);
}
#endif

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_call_locks_once),
        cmocka_unit_test(test_set_lock_half_null_refused),
#if (BAREHEAP_DEBUG >= 1) /* a double free goes unseen without validation */
        cmocka_unit_test(test_handler_longjmp_releases_lock),
#endif
#if defined(HAVE_SPIN_LOCK)
        cmocka_unit_test(test_two_threads_share_a_heap),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
