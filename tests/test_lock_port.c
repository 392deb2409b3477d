/*
 * The lock compiled into every call (BAREHEAP_LOCK_HOOKS 0 with
 * BAREHEAP_LOCK_ENTER / BAREHEAP_LOCK_EXIT, tests/lock_port_config.h): every
 * public call on a heap enters it exactly once and exits it before
 * returning, with the heap it was called on and the state its own enter
 * returned, also when a call nests another heap's from its error handler
 * (states restored innermost first, as interrupt masks need); calls that
 * fail or are rejected lock the same way; bh_set_lock() is refused and
 * changes nothing; an error handler that leaves by longjmp after releasing
 * the lock leaves the heap as the call found it; and two threads share a
 * heap through a mutex taken in the macros, with nothing lost.
 * The core is compiled into this program with that configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bareheap.h"
#include "bareheap_config.h"

#if !defined(BAREHEAP_LOCK_ENTER) || BAREHEAP_LOCK_HOOKS
#error "test_lock_port.c is built with BAREHEAP_CONFIG_HEADER=\"lock_port_config.h\""
#endif

#if defined(__linux__)
#include <pthread.h>
#define HAVE_THREADS 1
#endif

static union {
    long double ld;
    void *p;
    unsigned char b[256 * 1024];
} memory;

#define MAX_NEST 8

/* What the port lock saw. Written only while no other thread is in a call
 * (the thread test takes the mutex first). */
static struct port_log {
    int depth;
    int max_depth;
    long enters;
    long exits;
    long mismatches;                 /* an exit whose heap or state is not its enter's */
    unsigned long next_token;
    unsigned long tokens[MAX_NEST];  /* the state each open enter returned */
    struct bh_heap *heaps[MAX_NEST]; /* and its heap */
    struct bh_heap *last_heap;       /* the heap of the latest enter */
    int held_in_handler;             /* depth the error handler saw */
} g_log;

#if defined(HAVE_THREADS)
static pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
static int g_use_mutex;
#endif

unsigned long test_port_enter(struct bh_heap *heap) {
    unsigned long token;
#if defined(HAVE_THREADS)
    if (g_use_mutex)
        pthread_mutex_lock(&g_mutex);
#endif
    token = ++g_log.next_token;
    if (g_log.depth < MAX_NEST) {
        g_log.tokens[g_log.depth] = token;
        g_log.heaps[g_log.depth] = heap;
    }
    g_log.depth++;
    if (g_log.depth > g_log.max_depth)
        g_log.max_depth = g_log.depth;
    g_log.enters++;
    g_log.last_heap = heap;
    return token;
}

void test_port_exit(struct bh_heap *heap, unsigned long state) {
    g_log.depth--;
    if (g_log.depth < 0 || g_log.depth >= MAX_NEST || g_log.tokens[g_log.depth] != state ||
        g_log.heaps[g_log.depth] != heap)
        g_log.mismatches++;
    g_log.exits++;
#if defined(HAVE_THREADS)
    if (g_use_mutex)
        pthread_mutex_unlock(&g_mutex);
#endif
}

static void log_reset(void) { memset(&g_log, 0, sizeof g_log); }

/* Hooks offered to bh_set_lock(), which must refuse them: never called. */
static long g_hook_calls;
static void hook(void *context) {
    (void)context;
    g_hook_calls++;
}

static void on_error(void *context, bh_error kind, const void *address) {
    (void)kind;
    (void)address;
    g_log.held_in_handler = g_log.depth;
    if (context) {
        /* Another heap, called from this one's handler (the contract
         * allows it): its call nests inside this one's lock. */
        bh_heap *other = (bh_heap *)context;
        void *p = bh_alloc(other, 16);
        assert_non_null(p);
        /* other's call was entered and exited inside this one's */
        assert_ptr_equal(g_log.last_heap, other);
        assert_int_equal(g_log.max_depth, 2);
        assert_int_equal(g_log.depth, 1);
        bh_free(other, p);
        assert_int_equal(g_log.depth, 1);
    }
}

static bool count_block(void *context, const bh_block_info *block) {
    (void)block;
    (*(size_t *)context)++;
    return g_log.depth == 1;
}

/* One call on heap: exactly one enter and one exit, with that heap and the
 * enter's state, balanced on return. */
#define EXPECT_ONE_LOCK(heap, call)                             \
    do {                                                        \
        long before = g_log.enters;                             \
        g_log.last_heap = NULL;                                 \
        call;                                                   \
        assert_int_equal(g_log.enters, before + 1);             \
        assert_int_equal(g_log.exits, g_log.enters);            \
        assert_int_equal(g_log.depth, 0);                       \
        assert_int_equal(g_log.mismatches, 0);                  \
        assert_ptr_equal(g_log.last_heap, (heap));              \
    } while (0)

static void test_every_call_locks_once(void **state) {
    bh_heap *heap = bh_init(memory.b, 64 * 1024);
    unsigned char *p = NULL, *q = NULL, *r = NULL;
    bh_stats s;
    size_t blocks = 0, problems = 1, usable = 0;
    int local;
    (void)state;
    log_reset();
    assert_non_null(heap);
    /* bh_init locks nothing: the heap is not shared before it exists. */
    assert_int_equal(g_log.enters, 0);
    EXPECT_ONE_LOCK(heap, bh_set_error_handler(heap, on_error, NULL));
    EXPECT_ONE_LOCK(heap, p = bh_alloc(heap, 100));
    EXPECT_ONE_LOCK(heap, q = bh_calloc(heap, 10, 10));
    EXPECT_ONE_LOCK(heap, r = bh_alloc_aligned(heap, 256, 100));
    assert_non_null(p);
    assert_non_null(q);
    assert_non_null(r);
    memset(p, 0x5A, 100);
    EXPECT_ONE_LOCK(heap, p = bh_realloc(heap, p, 5000));
    assert_non_null(p);
    assert_int_equal(p[99], 0x5A);
    EXPECT_ONE_LOCK(heap, usable = bh_usable_size(heap, p));
    assert_true(usable >= 5000);
    EXPECT_ONE_LOCK(heap, assert_null(bh_alloc(heap, SIZE_MAX)));
    EXPECT_ONE_LOCK(heap, assert_null(bh_calloc(heap, SIZE_MAX, 2)));
    EXPECT_ONE_LOCK(heap, assert_null(bh_alloc_aligned(heap, 3, 8)));
    EXPECT_ONE_LOCK(heap, assert_true(bh_get_stats(heap, &s)));
    EXPECT_ONE_LOCK(heap, blocks = bh_walk(heap, count_block, &blocks));
    assert_true(blocks >= 4);
    EXPECT_ONE_LOCK(heap, problems = bh_check(heap));
    assert_int_equal(problems, 0);
#if BAREHEAP_DEBUG >= 1
    /* Rejected by validation: the handler runs with the lock held. */
    EXPECT_ONE_LOCK(heap, bh_free(heap, &local));
    assert_int_equal(g_log.held_in_handler, 1);
    EXPECT_ONE_LOCK(heap, assert_null(bh_realloc(heap, &local, 10)));
#else
    (void)local;
#endif
    EXPECT_ONE_LOCK(heap, assert_null(bh_realloc(heap, q, 0)));
    EXPECT_ONE_LOCK(heap, bh_free(heap, p));
    EXPECT_ONE_LOCK(heap, bh_free(heap, r));
#if BAREHEAP_MAX_REGIONS >= 2
    EXPECT_ONE_LOCK(heap, assert_true(bh_add_region(heap, memory.b + 128 * 1024, 64 * 1024)));
#endif
    EXPECT_ONE_LOCK(heap, assert_false(bh_add_region(heap, memory.b + 1024, 1024)));
    /* free(NULL) and a NULL heap return before any lock. */
    {
        long before = g_log.enters;
        bh_free(heap, NULL);
        bh_free(NULL, memory.b);
        assert_null(bh_alloc(NULL, 10));
        assert_int_equal(bh_check(NULL), 1);
        assert_int_equal(g_log.enters, before);
    }
    assert_int_equal(g_log.max_depth, 1);
    assert_int_equal(bh_check(heap), 0);
}

/* bh_trim(): one lock with a callback, none without (it returns first). */
static size_t g_trim_calls;
static void trim_fn(void *context, void *start, size_t size_bytes) {
    (void)context;
    (void)start;
    (void)size_bytes;
    g_trim_calls++;
}

static void test_trim_locks_once(void **state) {
    bh_heap *heap = bh_init(memory.b, 64 * 1024);
    (void)state;
    log_reset();
    assert_non_null(heap);
    assert_int_equal(bh_trim(heap, 0, NULL, NULL), 0);
    assert_int_equal(g_log.enters, 0);
    EXPECT_ONE_LOCK(heap, (void)bh_trim(heap, 0, trim_fn, NULL));
    assert_int_equal(g_log.max_depth, 1);
}

/* The lock is the configuration's: bh_set_lock() says so and changes
 * nothing, and the calls after it take the port lock once, no hook. */
static void test_set_lock_refused(void **state) {
    bh_heap *heap = bh_init(memory.b, 64 * 1024);
    void *p = NULL;
    (void)state;
    log_reset();
    g_hook_calls = 0;
    assert_non_null(heap);
    assert_false(bh_set_lock(heap, hook, hook, NULL));
    assert_false(bh_set_lock(heap, NULL, NULL, NULL));
    assert_false(bh_set_lock(NULL, hook, hook, NULL));
    EXPECT_ONE_LOCK(heap, p = bh_alloc(heap, 10));
    assert_non_null(p);
    EXPECT_ONE_LOCK(heap, bh_free(heap, p));
    assert_int_equal(g_hook_calls, 0);
    assert_int_equal(bh_check(heap), 0);
}

#if (BAREHEAP_DEBUG >= 1)
/* A call whose error handler calls into a second heap: the second heap's
 * lock nests inside the first's, and each exit gets its own enter's state
 * (an interrupt mask restored by the inner exit to the outer's saved value
 * would unmask inside the outer call). */
static void test_nested_heaps_restore_in_turn(void **state) {
    bh_heap *heap = bh_init(memory.b, 64 * 1024);
    bh_heap *other = bh_init(memory.b + 128 * 1024, 16 * 1024);
    int local;
    (void)state;
    log_reset();
    assert_non_null(heap);
    assert_non_null(other);
    bh_set_error_handler(heap, on_error, other);
    {
        long before = g_log.enters;
        bh_free(heap, &local); /* rejected: the handler runs, and calls other */
        /* heap's call, other's alloc and free */
        assert_int_equal(g_log.enters, before + 3);
        assert_int_equal(g_log.exits, g_log.enters);
    }
    assert_int_equal(g_log.held_in_handler, 1);
    assert_int_equal(g_log.max_depth, 2);
    assert_int_equal(g_log.depth, 0);
    assert_int_equal(g_log.mismatches, 0);
    assert_int_equal(bh_check(heap), 0);
    assert_int_equal(bh_check(other), 0);
}

/* The error handler as bareheap.h allows it to leave by longjmp: it
 * releases the lock first, with the state the call's enter returned (for
 * an interrupt mask: the mask the handler knows it was called under). The
 * call is abandoned, the lock is free, and the heap is as the call found
 * it. */
#include "lock_escape.h"

static void escape_on_error(void *context, bh_error kind, const void *address) {
    (void)kind;
    (void)address;
    g_log.held_in_handler = g_log.depth;
    test_port_exit((struct bh_heap *)context, g_log.tokens[g_log.depth - 1]);
    longjmp(g_escape, 1);
}

static void escape_lock_released(void) {
    assert_int_equal(g_log.held_in_handler, 1);
    assert_int_equal(g_log.depth, 0);
    assert_int_equal(g_log.exits, g_log.enters);
    assert_int_equal(g_log.mismatches, 0);
}

static void test_handler_longjmp_releases_lock(void **state) {
    bh_heap *heap;
    unsigned char *q;
    size_t i;
    (void)state;
    log_reset();
    heap = bh_init(memory.b, sizeof memory.b);
    assert_non_null(heap);
    bh_set_error_handler(heap, escape_on_error, heap);
    q = escape_double_free(heap, escape_lock_released);
    for (i = 0; i < 200; i++)
        assert_int_equal(q[i], 0x77);
    bh_free(heap, q);
    assert_int_equal(g_log.depth, 0);
    assert_int_equal(g_log.max_depth, 1);
    assert_int_equal(g_log.mismatches, 0);
}
#endif

#if defined(HAVE_THREADS)
#include "lock_threads.h"

/* The macros' lock serialises threads: a mutex taken in enter, released in
 * exit. */
static void test_two_threads_share_a_heap(void **state) {
    bh_heap *heap = bh_init(memory.b, 128 * 1024);
    (void)state;
    log_reset();
    assert_non_null(heap);
    g_use_mutex = 1;
    threads_share(heap);
    g_use_mutex = 0;
    assert_int_equal(g_log.max_depth, 1);
    assert_int_equal(g_log.mismatches, 0);
    assert_int_equal(g_log.exits, g_log.enters);
    assert_true(g_log.enters >= 2 * THREAD_OPS);
}
#endif

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_call_locks_once),
        cmocka_unit_test(test_trim_locks_once),
        cmocka_unit_test(test_set_lock_refused),
#if (BAREHEAP_DEBUG >= 1) /* a rejected pointer goes unseen without validation */
        cmocka_unit_test(test_nested_heaps_restore_in_turn),
        cmocka_unit_test(test_handler_longjmp_releases_lock),
#endif
#if defined(HAVE_THREADS)
        cmocka_unit_test(test_two_threads_share_a_heap),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
