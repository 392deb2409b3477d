/*
 * Unit tests of every public bareheap function against the contract written
 * in include/bareheap.h: the documented values for NULL, zero and
 * out-of-range arguments, alignment, each realloc path, pointer validation
 * with the error handler, regions, bh_check(), the counters, bh_walk() and
 * the default heap.
 *
 * Runs on the host and, built 32-bit, under qemu-i386. Every random sequence
 * comes from a fixed seed.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bareheap.h"
#include "bareheap_config.h"
#include "test_support.h"

/* Heap and request sizes below are written for a grain of 16 bytes or less;
 * S() scales them with a wider grain, so that a heap holds as many blocks
 * and a block spans as many grains: the splits, merges and moves a test sets
 * up still happen. */
#define S(n) BT_GRAIN_SCALED(n)

#define HEAP_BYTES S(64 * 1024)

BT_HEAP_BUFFER(g_main_mem, HEAP_BYTES);
#if BAREHEAP_DEBUG >= 1
BT_HEAP_BUFFER(g_other_mem, S(16 * 1024));
#endif
BT_HEAP_BUFFER(g_scratch_mem, S(16 * 1024));
BT_HEAP_BUFFER(g_region_mem, S(192 * 1024));
#if BAREHEAP_DEFAULT_HEAP
BT_HEAP_BUFFER(g_default_mem, S(32 * 1024));
BT_HEAP_BUFFER(g_default_mem2, S(16 * 1024));
#endif

static bt_errors g_errors;
static bt_walk_log g_walk;

/* A fresh heap of size_bytes at an aligned address inside buffer, with the
 * recording error handler installed and the log cleared. */
static bh_heap *fresh_heap_in(unsigned char *buffer, size_t size_bytes)
{
    bh_heap *heap = bh_init(bt_align_up(buffer, bh_alignment()), size_bytes);
    assert_non_null(heap);
    bh_set_error_handler(heap, bt_record_error, &g_errors);
    bt_errors_clear(&g_errors);
    return heap;
}

static bh_heap *fresh_heap(void)
{
    return fresh_heap_in(g_main_mem.b, HEAP_BYTES);
}

static void assert_no_errors(void)
{
    assert_int_equal(g_errors.count, 0);
}

#if BAREHEAP_DEBUG >= 1
static void assert_one_error(bh_error kind, const void *address)
{
    assert_int_equal(g_errors.count, 1);
    assert_int_equal(g_errors.kind[0], kind);
    assert_ptr_equal(g_errors.address[0], address);
    bt_errors_clear(&g_errors);
}
#endif

static bool in_range(const void *p, const void *lo, size_t bytes)
{
    uintptr_t u = (uintptr_t)p, l = (uintptr_t)lo;
    return u >= l && u - l < bytes;
}

#if BAREHEAP_DEFAULT_HEAP
/* ---- Default heap before heap_init(): must run first ---- */

static void test_default_heap_before_init(void **state)
{
    bh_stats s;
    unsigned char local[64];
    (void)state;

    assert_null(heap_default());
    assert_false(heap_init(NULL, 4096));
    assert_null(heap_default());

    assert_null(heap_alloc(16));
    assert_null(heap_alloc(0));
    assert_null(heap_calloc(4, 4));
    assert_null(heap_alloc_aligned(64, 16));
    assert_null(heap_realloc(NULL, 16));
    heap_free(NULL);
    heap_free(bt_align_up(local, 16)); /* does nothing: there is no heap */
    assert_int_equal(heap_usable_size(bt_align_up(local, 16)), 0);
    assert_int_equal(heap_usable_size(NULL), 0);
    assert_false(heap_add_region(g_default_mem2.b, 4096));
    memset(&s, 0x5A, sizeof(s));
    assert_false(heap_get_stats(&s));
    assert_true(bt_all_bytes(&s, sizeof(s), 0x5A));
    assert_int_equal(heap_check(), 1);
    assert_null(heap_default());
}

#endif /* BAREHEAP_DEFAULT_HEAP */

/* ---- Queries ---- */

static void test_size_queries(void **state)
{
    size_t a = bh_alignment();
    (void)state;

    assert_true(a >= 8u);
    assert_int_equal(a & (a - 1u), 0);
    assert_int_equal(a, BAREHEAP_ALIGN_BYTES);
    assert_true(a >= sizeof(void *));
    assert_true(a >= sizeof(long long));
    assert_true(a >= sizeof(double));

    assert_true(bh_block_overhead() > 0u);
    assert_true(bh_block_overhead() < bh_min_block_size());
    assert_int_equal(bh_min_block_size() % a, 0);

    /* The control structure grows with the heap, never shrinks. */
    assert_true(bh_control_size(1024) > 0u);
    assert_true(bh_control_size(1024) <= bh_control_size(64u * 1024u));
    assert_true(bh_control_size(64u * 1024u) <= bh_control_size(1024u * 1024u));
    bt_assert_control_grows(S(16u * 1024u));
    {
        size_t n, prev = 0;
        for (n = 256; n < ((size_t)1 << 26); n += n / 3u) {
            size_t c = bh_control_size(n);
            assert_true(c >= prev);
            prev = c;
        }
    }
}

static void test_error_name(void **state)
{
    bh_error kinds[] = {BH_ERROR_NONE,        BH_ERROR_INVALID_POINTER, BH_ERROR_MISALIGNED,
                        BH_ERROR_DOUBLE_FREE, BH_ERROR_OVERFLOW,        BH_ERROR_USE_AFTER_FREE,
                        BH_ERROR_CORRUPTION};
    size_t i, j;
    (void)state;

    for (i = 0; i < BT_ARRAY_LEN(kinds); i++) {
        const char *name = bh_error_name(kinds[i]);
        assert_non_null(name);
        assert_true(name[0] != '\0');
        for (j = 0; j < i; j++) {
            assert_string_not_equal(name, bh_error_name(kinds[j]));
        }
    }
    assert_non_null(bh_error_name((bh_error)7));
    assert_non_null(bh_error_name((bh_error)99));
    assert_non_null(bh_error_name((bh_error)-1));
    assert_non_null(bh_error_name((bh_error)INT_MAX));
}

/* ---- Init ---- */

static void test_init_rejects(void **state)
{
    unsigned char *base = bt_align_up(g_scratch_mem.b, bh_alignment());
    (void)state;

    assert_null(bh_init(NULL, 4096));
    assert_null(bh_init(NULL, 0));
    assert_null(bh_init_ex(NULL, 4096, 65536));
    assert_null(bh_init(base, 0));
    assert_null(bh_init(base, 1));
    assert_null(bh_init(base, bh_min_block_size()));
    assert_null(bh_init(base, bh_control_size(64) - 1u));
    assert_null(bh_init_ex(base, 0, 65536));

    /* Regions that wrap the address space: the pointers are never valid
     * memory, so init must reject them before writing anything. */
    assert_null(bh_init((void *)(UINTPTR_MAX - 4095u), 8192));
    assert_null(bh_init((void *)(UINTPTR_MAX - 255u), 4096));
    assert_null(bh_init((void *)(UINTPTR_MAX & ~(uintptr_t)15u), 65536));
    assert_null(bh_init_ex((void *)(UINTPTR_MAX - 4095u), 8192, 1u << 20));
    /* A real base with a size that wraps. */
    assert_null(bh_init(base, SIZE_MAX));
    assert_null(bh_init(base, SIZE_MAX - 15u));
    assert_null(bh_init(base, (size_t)0 - (uintptr_t)base + 1u));
}

/* The smallest region init accepts: found by search, then checked against the
 * documented bound (control structure plus one minimum block). */
static size_t find_min_init_size(unsigned char *base)
{
    size_t n;
    size_t lower = bh_control_size(bh_min_block_size()) + bh_min_block_size();
    size_t upper = bh_control_size(8192) + bh_min_block_size() + 4u * bh_alignment() +
                   4u * bh_block_overhead();
    for (n = 0; n <= upper; n++) {
        if (bh_init(base, n) != NULL) {
            break;
        }
    }
    assert_true(n <= upper);
    assert_true(n >= lower);
    return n;
}

static void test_init_minimal_size(void **state)
{
    unsigned char *base = bt_align_up(g_scratch_mem.b, bh_alignment());
    size_t min_size, n;
    bh_heap *heap;
    bh_stats s;
    void *p;
    (void)state;

    min_size = find_min_init_size(base);
    assert_true(min_size >= bh_control_size(min_size) + bh_min_block_size());
    /* One byte less fails, the minimum itself works and holds one block. */
    assert_null(bh_init(base, min_size - 1u));
    heap = bh_init(base, min_size);
    assert_non_null(heap);
    assert_true(in_range(heap, base, min_size));
    s = bt_stats(heap);
    assert_int_equal(s.heap_bytes, min_size);
    assert_int_equal(s.control_bytes, bh_control_size(min_size));
    /* exactly one minimum block: a grain more and a grain less would fit */
    assert_int_equal(s.total_bytes, bh_min_block_size());
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(bh_check(heap), 0);
    p = bh_alloc(heap, 0);
    assert_non_null(p);
    assert_true(in_range(p, base, min_size));
    assert_int_equal(bh_check(heap), 0);
    bh_free(heap, p);
    assert_int_equal(bh_check(heap), 0);

    /* Above the minimum, init refuses only what the documented rule refuses:
     * a region too small for its own control structure (which grows with the
     * region) plus one minimum block, give or take alignment. */
    for (n = min_size; n < min_size + 64u * bh_alignment(); n = bt_grain_step(n, 1u)) {
        heap = bh_init(base, n);
        if (heap == NULL) {
            assert_true(n < bh_control_size(n) + bh_min_block_size() + 2u * bh_alignment());
        } else {
            assert_true(n >= bh_control_size(n) + bh_min_block_size());
            assert_int_equal(bh_check(heap), 0);
        }
    }
}

/* init never writes outside [mem, mem + size), whatever the base alignment,
 * including the alignment slack before and the sentinel after. */
static void test_init_stays_inside_region(void **state)
{
    unsigned char *base = bt_align_up(g_scratch_mem.b, 4096);
    size_t offset, size;
    (void)state;

    for (offset = 0; offset < 2u * bh_alignment(); offset = bt_grain_step(offset, 1u)) {
        for (size = 0; size < S(3000); size += S(97)) {
            unsigned char *mem = base + 256 + offset;
            bh_heap *heap;
            memset(base, 0xC3, 256 + offset + size + 256);
            heap = bh_init(mem, size);
            if (heap != NULL) {
                bh_stats s;
                void *p;
                assert_true(in_range(heap, mem, size));
                s = bt_stats(heap);
                /* Fill the heap with blocks written to their full usable size. */
                while ((p = bh_alloc(heap, 24)) != NULL) {
                    assert_true(in_range(p, mem, size));
                    assert_true(bt_is_aligned(p, bh_alignment()));
                    memset(p, 0x11, bh_usable_size(heap, p));
                }
                assert_true(s.total_bytes + s.control_bytes <= size);
                assert_int_equal(bh_check(heap), 0);
            }
            assert_true(bt_all_bytes(base, 256 + offset, 0xC3));
            assert_true(bt_all_bytes(mem + size, 256, 0xC3));
        }
    }
}

static void test_init_misaligned_base(void **state)
{
    unsigned char *base = bt_align_up(g_scratch_mem.b, bh_alignment());
    size_t k;
    (void)state;

    for (k = 1; k < bh_alignment(); k = bt_grain_step(k, 1u)) {
        bh_heap *heap = bh_init(base + k, S(8192));
        bh_stats s;
        void *p[8];
        size_t i;
        assert_non_null(heap);
        assert_true(in_range(heap, base + k, S(8192)));
        s = bt_stats(heap);
        assert_int_equal(s.heap_bytes, S(8192));
        assert_true(s.total_bytes + s.control_bytes <= S(8192));
        for (i = 0; i < BT_ARRAY_LEN(p); i++) {
            p[i] = bh_alloc(heap, 1u + i * 37u);
            assert_non_null(p[i]);
            assert_true(bt_is_aligned(p[i], bh_alignment()));
            assert_true(in_range(p[i], base + k, S(8192)));
            bt_fill(p[i], bh_usable_size(heap, p[i]), (uint32_t)i);
        }
        for (i = 0; i < BT_ARRAY_LEN(p); i++) {
            assert_true(bt_verify(p[i], bh_usable_size(heap, p[i]), (uint32_t)i));
            bh_free(heap, p[i]);
        }
        assert_int_equal(bh_check(heap), 0);
        s = bt_stats(heap);
        assert_int_equal(s.used_bytes, 0);
        assert_int_equal(s.free_blocks, 1);
    }
}

static void test_init_fresh_stats(void **state)
{
    unsigned char *base = bt_align_up(g_main_mem.b, bh_alignment());
    bh_heap *heap;
    bh_stats s;
    (void)state;

    heap = bh_init(base, HEAP_BYTES);
    assert_non_null(heap);
    s = bt_stats(heap);
    assert_int_equal(s.heap_bytes, HEAP_BYTES);
    assert_int_equal(s.control_bytes, bh_control_size(HEAP_BYTES));
    assert_true(s.total_bytes <= s.heap_bytes - s.control_bytes);
    /* Only alignment and sentinels are lost beyond the control structure. */
    assert_true(s.total_bytes + 4u * bh_alignment() + 4u * bh_block_overhead() >=
                s.heap_bytes - s.control_bytes);
    assert_int_equal(s.used_bytes, 0);
    assert_int_equal(s.free_bytes, s.total_bytes);
    assert_int_equal(s.peak_used_bytes, 0);
    assert_int_equal(s.min_free_bytes, s.total_bytes);
    assert_int_equal(s.largest_free_bytes, s.free_bytes - bh_block_overhead());
    assert_int_equal(s.live_blocks, 0);
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(s.region_count, 1);
    assert_int_equal(s.alloc_count, 0);
    assert_int_equal(s.free_count, 0);
    assert_int_equal(s.failed_count, 0);
    assert_int_equal(s.error_count, 0);
    assert_int_equal(bh_check(heap), 0);
    bt_assert_walk_consistent(heap, &g_walk);
    assert_int_equal(g_walk.count, 1);
    assert_false(g_walk.block[0].used);
    assert_int_equal(g_walk.block[0].region, 0);

    /* Init again on the same memory starts over. */
    assert_non_null(bh_alloc(heap, 100));
    assert_null(bh_alloc(heap, SIZE_MAX));
    heap = bh_init(base, HEAP_BYTES);
    assert_non_null(heap);
    {
        bh_stats again = bt_stats(heap);
        bt_assert_stats_equal(&s, &again, 0);
    }
}

static void test_init_ex(void **state)
{
    unsigned char *base = bt_align_up(g_scratch_mem.b, bh_alignment());
    unsigned char *big = bt_align_up(g_region_mem.b, bh_alignment());
    bh_heap *heap;
    bh_stats s;
    void *p;
    (void)state;

    /* max_region_bytes no larger than the region: as bh_init(). */
    heap = bh_init_ex(base, S(8192), 0);
    assert_non_null(heap);
    assert_int_equal(bt_stats(heap).control_bytes, bh_control_size(S(8192)));
    heap = bh_init_ex(base, S(8192), S(4096));
    assert_non_null(heap);
    assert_int_equal(bt_stats(heap).control_bytes, bh_control_size(S(8192)));

    /* Sized for a larger region added later. */
    heap = bh_init_ex(base, S(8192), S(128u * 1024u));
    assert_non_null(heap);
    bh_set_error_handler(heap, bt_record_error, &g_errors);
    bt_errors_clear(&g_errors);
    s = bt_stats(heap);
    assert_true(s.control_bytes >= bh_control_size(S(8192)));
    assert_true(s.control_bytes <= bh_control_size(S(128u * 1024u)));
#if BAREHEAP_MAX_REGIONS >= 2
    assert_true(bh_add_region(heap, big, S(120u * 1024u)));
    p = bh_alloc(heap, S(100u * 1024u));
    assert_non_null(p);
    assert_true(in_range(p, big, S(120u * 1024u)));
    memset(p, 0x3C, S(100u * 1024u));
    assert_int_equal(bh_check(heap), 0);
    bh_free(heap, p);
    assert_int_equal(bh_check(heap), 0);
#else
    assert_false(bh_add_region(heap, big, S(120u * 1024u)));
    (void)p;
#endif
    assert_no_errors();

    /* A table for the whole address space: either too big for 8 KiB, or it
     * works like any heap. */
    heap = bh_init_ex(base, S(8192), SIZE_MAX);
    if (heap != NULL) {
        assert_int_equal(bh_check(heap), 0);
        p = bh_alloc(heap, 100);
        assert_non_null(p);
        bh_free(heap, p);
        assert_int_equal(bh_check(heap), 0);
    }
    heap = bh_init_ex(base, S(16384), SIZE_MAX);
    if (heap != NULL) {
        assert_int_equal(bh_check(heap), 0);
    }
}

/* ---- Allocation ---- */

static void test_alloc_null_heap(void **state)
{
    bh_stats s;
    (void)state;
    assert_null(bh_alloc(NULL, 16));
    assert_null(bh_alloc(NULL, 0));
    assert_null(bh_calloc(NULL, 2, 8));
    assert_null(bh_alloc_aligned(NULL, 64, 16));
    assert_int_equal(bh_check(NULL), 1);
    assert_false(bh_get_stats(NULL, &s));
    assert_false(bh_get_stats(fresh_heap(), NULL));
}

/* The calls whose NULL-heap answer bareheap.h states, called directly. */
static void test_null_heap_others(void **state)
{
    unsigned char local[64];
    unsigned char *p = bt_align_up(local, bh_alignment()) + bh_alignment();
    (void)state;
    bh_free(NULL, p);
    assert_null(bh_realloc(NULL, p, 16));
    assert_null(bh_realloc(NULL, NULL, 16));
    assert_int_equal(bh_usable_size(NULL, p), 0);
    assert_false(bh_add_region(NULL, g_scratch_mem.b, 4096));
    assert_false(bh_set_lock(NULL, NULL, NULL, NULL));
    bh_set_error_handler(NULL, NULL, NULL);
}

static void test_alloc_zero(void **state)
{
    bh_heap *heap = fresh_heap();
    void *p[16];
    size_t i, j;
    bh_stats s;
    (void)state;

    for (i = 0; i < BT_ARRAY_LEN(p); i++) {
        p[i] = bh_alloc(heap, 0);
        assert_non_null(p[i]);
        assert_true(bt_is_aligned(p[i], bh_alignment()));
        for (j = 0; j < i; j++) {
            assert_ptr_not_equal(p[i], p[j]);
        }
        /* The usable bytes of a minimal block really are usable. */
        memset(p[i], 0x77, bh_usable_size(heap, p[i]));
    }
    s = bt_stats(heap);
    assert_int_equal(s.live_blocks, BT_ARRAY_LEN(p));
    assert_int_equal(s.used_bytes, BT_ARRAY_LEN(p) * bh_min_block_size());
    assert_int_equal(s.alloc_count, BT_ARRAY_LEN(p));
    assert_int_equal(bh_check(heap), 0);
    for (i = 0; i < BT_ARRAY_LEN(p); i++) {
        bh_free(heap, p[i]);
    }
    assert_no_errors();
    s = bt_stats(heap);
    assert_int_equal(s.live_blocks, 0);
    assert_int_equal(s.used_bytes, 0);
    assert_int_equal(s.free_count, BT_ARRAY_LEN(p));
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(bh_check(heap), 0);
}

static void test_alloc_alignment_and_usable(void **state)
{
    bh_heap *heap = fresh_heap();
    static void *p[200];
    static size_t kept_size[200];
    size_t i, n = 0, size;
    (void)state;

    for (size = 0; size <= 520u; size++) {
        void *q = bh_alloc(heap, size);
        assert_non_null(q);
        assert_true(bt_is_aligned(q, bh_alignment()));
        assert_true(bh_usable_size(heap, q) >= size);
        /* Sized to the request: never more than a grain plus a minimum
         * block beyond it. */
        assert_true(bh_usable_size(heap, q) < size + bh_alignment() + bh_min_block_size());
        bt_fill(q, bh_usable_size(heap, q), (uint32_t)size);
        if (size % 4u == 0u) { /* keep some, leave holes */
            kept_size[n] = size;
            p[n++] = q;
        } else {
            assert_true(bt_verify(q, bh_usable_size(heap, q), (uint32_t)size));
            bh_free(heap, q);
        }
    }
    assert_int_equal(bh_check(heap), 0);
    for (i = 0; i < n; i++) {
        assert_true(bt_verify(p[i], bh_usable_size(heap, p[i]), (uint32_t)kept_size[i]));
        bh_free(heap, p[i]);
    }
    assert_int_equal(bt_stats(heap).free_blocks, 1);
    /* Larger sizes, including powers of two and their neighbours. */
    for (size = 16; size <= S(16384); size *= 2u) {
        size_t d;
        for (d = 0; d < 3u; d++) {
            size_t req = size - 1u + d;
            void *q = bh_alloc(heap, req);
            assert_non_null(q);
            assert_true(bt_is_aligned(q, bh_alignment()));
            assert_true(bh_usable_size(heap, q) >= req);
            assert_true(bh_usable_size(heap, q) < req + bh_alignment() + bh_min_block_size());
            memset(q, 0x5E, bh_usable_size(heap, q));
            bh_free(heap, q);
        }
    }
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
    assert_int_equal(bh_usable_size(heap, NULL), 0);
}

static void test_free_null(void **state)
{
    bh_heap *heap = fresh_heap();
    bh_stats before, after;
    void *p = bh_alloc(heap, 40);
    (void)state;

    before = bt_stats(heap);
    bh_free(heap, NULL);
    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, 0);
    assert_no_errors();
    bh_free(heap, p);
}

static void test_calloc_zeroing(void **state)
{
    bh_heap *heap = fresh_heap();
    unsigned char *p, *q;
    void *z[4];
    size_t i;
    bh_stats s;
    (void)state;

    /* Dirty the memory first so that zeroing is visible. */
    p = bh_alloc(heap, 4000);
    assert_non_null(p);
    memset(p, 0xA5, bh_usable_size(heap, p));
    bh_free(heap, p);
    q = bh_calloc(heap, 125, 32);
    assert_non_null(q);
    assert_true(bt_is_aligned(q, bh_alignment()));
    assert_true(bh_usable_size(heap, q) >= 4000u);
    assert_true(bt_all_bytes(q, 4000, 0));
    bh_free(heap, q);

    for (i = 1; i < 300u; i += 7u) {
        p = bh_alloc(heap, i * 3u);
        memset(p, 0xFF, bh_usable_size(heap, p));
        bh_free(heap, p);
        q = bh_calloc(heap, 3, i);
        assert_non_null(q);
        assert_true(bt_all_bytes(q, 3u * i, 0));
        bh_free(heap, q);
    }

    /* A zero product is a minimal block, unique and freeable. */
    z[0] = bh_calloc(heap, 0, 16);
    z[1] = bh_calloc(heap, 16, 0);
    z[2] = bh_calloc(heap, 0, 0);
    z[3] = bh_calloc(heap, 0, SIZE_MAX);
    for (i = 0; i < 4u; i++) {
        assert_non_null(z[i]);
        assert_true(bt_is_aligned(z[i], bh_alignment()));
    }
    assert_ptr_not_equal(z[0], z[1]);
    assert_ptr_not_equal(z[1], z[2]);
    assert_ptr_not_equal(z[2], z[3]);
    s = bt_stats(heap);
    assert_int_equal(s.live_blocks, 4);
    for (i = 0; i < 4u; i++) {
        bh_free(heap, z[i]);
    }
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
}

/* Aligned requests near the top of size_t, at the smallest and the largest
 * alignment: the block size and the search size (request, trailer, gap)
 * must not wrap round to a small size that a block serves. Every size in a
 * window around the bound is refused, and the heap is untouched. */
static void test_aligned_size_bounds(void **state)
{
    bh_heap *heap = fresh_heap();
    const size_t top_align = SIZE_MAX / 2u + 1u;
    bh_stats before = bt_stats(heap), after;
    size_t k, calls = 0;
    (void)state;
    for (k = 0; k <= 1024u; k++) {
        assert_null(bh_alloc_aligned(heap, 2u * bh_alignment(), SIZE_MAX - k));
        assert_null(bh_alloc_aligned(heap, 4096u, SIZE_MAX - k));
        assert_null(bh_alloc_aligned(heap, top_align, SIZE_MAX - k));
        assert_null(bh_alloc_aligned(heap, top_align, SIZE_MAX / 2u - 512u + k));
        calls += 4u;
    }
    after = bt_stats(heap);
    assert_int_equal(after.failed_count - before.failed_count, calls);
    assert_int_equal(after.alloc_count, before.alloc_count);
    assert_int_equal(after.free_bytes, before.free_bytes);
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);

    /* Again on a heap one grain under a power of two, whose free block lies
     * in the top class (at the default class count): a search size that
     * wrapped round to a small one would be served from there, so every
     * size up to an alignment plus a margin below the top is tried. */
    heap = fresh_heap_in(g_main_mem.b, HEAP_BYTES - bh_alignment());
    before = bt_stats(heap);
    calls = 0;
    for (k = 0; k <= 4096u + 64u * bh_alignment(); k++) {
        assert_null(bh_alloc_aligned(heap, 2u * bh_alignment(), SIZE_MAX - k));
        assert_null(bh_alloc_aligned(heap, 4096u, SIZE_MAX - k));
        calls += 2u;
    }
    after = bt_stats(heap);
    assert_int_equal(after.failed_count - before.failed_count, calls);
    assert_int_equal(after.free_bytes, before.free_bytes);
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
}

static void test_calloc_overflow(void **state)
{
    bh_heap *heap = fresh_heap();
    const size_t half = (size_t)1 << (sizeof(size_t) * CHAR_BIT / 2u);
    struct {
        size_t count, size;
    } cases[] = {
        {SIZE_MAX, 2},
        {2, SIZE_MAX},
        {SIZE_MAX, SIZE_MAX},
        {SIZE_MAX / 2u + 1u, 2},
        {2, SIZE_MAX / 2u + 1u},
        {half, half},                  /* wraps to exactly 0 */
        {half + 1u, half + 1u},        /* wraps to 2 * half + 1: small on 32-bit */
        {SIZE_MAX / 3u + 1u, 3},
        {(SIZE_MAX >> 4) + 2u, 16},    /* wraps to 16 */
        {16, (SIZE_MAX >> 4) + 2u},
        {(SIZE_MAX >> 8) + 2u, 256},   /* wraps to 256 */
        {65537, 65537},                /* wraps to 131073 on 32-bit */
    };
    size_t i;
    bh_stats before, after;
    void *keep = bh_alloc(heap, 64);
    (void)state;

    bt_fill(keep, 64, 9);
    for (i = 0; i < BT_ARRAY_LEN(cases); i++) {
        /* 65537 * 65537 overflows only with a 32-bit size_t */
        if (cases[i].count == 65537u && SIZE_MAX > 0xFFFFFFFFu) {
            continue;
        }
        before = bt_stats(heap);
        assert_null(bh_calloc(heap, cases[i].count, cases[i].size));
        after = bt_stats(heap);
        bt_assert_stats_equal(&before, &after, BT_IGNORE_FAILED);
        assert_int_equal(after.failed_count, before.failed_count + 1u);
    }
    assert_true(bt_verify(keep, 64, 9));
    assert_int_equal(bh_check(heap), 0);
    assert_no_errors();
}

/* Sizes no heap can serve: each returns NULL and touches nothing but
 * failed_count. */
static void test_huge_sizes(void **state)
{
    bh_heap *heap = fresh_heap();
    bh_stats fresh = bt_stats(heap);
    const size_t a = bh_alignment(), w = bh_block_overhead();
    unsigned char *keep;
    size_t sizes[20];
    size_t n = 0, i;
    (void)state;

    sizes[n++] = SIZE_MAX;
    sizes[n++] = SIZE_MAX - 1u;
    sizes[n++] = SIZE_MAX - w;
    sizes[n++] = SIZE_MAX - w + 1u;
    sizes[n++] = SIZE_MAX - w - a;
    sizes[n++] = SIZE_MAX - w - a + 1u;
    sizes[n++] = SIZE_MAX - w - a + 2u;
    sizes[n++] = SIZE_MAX - a + 1u;
    sizes[n++] = SIZE_MAX - bh_min_block_size();
    sizes[n++] = SIZE_MAX - 4096u;
    sizes[n++] = SIZE_MAX / 2u + 1u;
    sizes[n++] = SIZE_MAX / 2u;
    sizes[n++] = SIZE_MAX / 2u - w;
    sizes[n++] = fresh.heap_bytes;
    sizes[n++] = fresh.total_bytes;
    sizes[n++] = fresh.free_bytes - w + 1u; /* one more than the whole heap holds */
    sizes[n++] = fresh.total_bytes + 1u;

    keep = (unsigned char *)bh_alloc(heap, 100);
    assert_non_null(keep);
    bt_fill(keep, 100, 77);

    for (i = 0; i < n; i++) {
        bh_stats before = bt_stats(heap), after;
        void *r;

        assert_null(bh_alloc(heap, sizes[i]));
        after = bt_stats(heap);
        bt_assert_stats_equal(&before, &after, BT_IGNORE_FAILED);
        assert_int_equal(after.failed_count, before.failed_count + 1u);

        assert_null(bh_calloc(heap, 1, sizes[i]));
        assert_null(bh_calloc(heap, sizes[i], 1));
        assert_null(bh_alloc_aligned(heap, a, sizes[i]));
        assert_null(bh_alloc_aligned(heap, 4096, sizes[i]));
        after = bt_stats(heap);
        bt_assert_stats_equal(&before, &after, BT_IGNORE_FAILED);

        /* realloc keeps the block and its contents */
        r = bh_realloc(heap, keep, sizes[i]);
        assert_null(r);
        after = bt_stats(heap);
        bt_assert_stats_equal(&before, &after, BT_IGNORE_FAILED);
        assert_true(bh_usable_size(heap, keep) >= 100u);
        assert_true(bt_verify(keep, 100, 77));

        assert_null(bh_realloc(heap, NULL, sizes[i]));
        assert_int_equal(bh_check(heap), 0);
    }
    assert_no_errors();
    bh_free(heap, keep);
    assert_int_equal(bt_stats(heap).used_bytes, 0);
}

/* ---- Aligned allocation ---- */

static void test_aligned_invalid(void **state)
{
    bh_heap *heap = fresh_heap();
    size_t bad[] = {0, 3, 5, 6, 7, 12, 24, 48, 100, 1000, 3072, 4097, SIZE_MAX, SIZE_MAX - 1u,
                    ((size_t)1 << (sizeof(size_t) * CHAR_BIT - 1u)) + 1u};
    size_t i;
    bh_stats before = bt_stats(heap), after;
    (void)state;

    for (i = 0; i < BT_ARRAY_LEN(bad); i++) {
        assert_null(bh_alloc_aligned(heap, bad[i], 16));
        assert_null(bh_alloc_aligned(heap, bad[i], 0));
    }
    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, BT_IGNORE_FAILED);
    /* each is a request that returned NULL */
    assert_int_equal(after.failed_count, before.failed_count + 2u * BT_ARRAY_LEN(bad));

    /* A valid alignment no block can offer. */
    assert_null(bh_alloc_aligned(heap, (size_t)1 << (sizeof(size_t) * CHAR_BIT - 1u), 16));
    {
        /* alignments larger than the heap: NULL unless an address of that
         * alignment happens to lie inside it */
        unsigned char *base = bt_align_up(g_main_mem.b, bh_alignment());
        size_t al;
        for (al = HEAP_BYTES * 2u; al <= S((size_t)1 << 24); al *= 2u) {
            if ((uintptr_t)bt_align_up(base, al) >= (uintptr_t)(base + HEAP_BYTES)) {
                assert_null(bh_alloc_aligned(heap, al, 16));
            }
        }
    }
    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, BT_IGNORE_FAILED);
    assert_int_equal(bh_check(heap), 0);
    assert_no_errors();
}

static void test_aligned_powers_of_two(void **state)
{
    bh_heap *heap = fresh_heap();
    /* static: on the boards a frame stays within the 1 KiB stack guard */
    static void *p[96];
    static size_t align[96], size[96];
    size_t n = 0, i;
    bt_rng rng;
    (void)state;

    bt_rng_seed(&rng, 0xA11C);
    for (i = 0; ((size_t)1 << i) <= S(8192); i++) {
        size_t al = (size_t)1 << i;
        size_t req[2];
        size_t k;
        req[0] = bt_rng_range(&rng, 0, 300);
        req[1] = al + 1u;
        assert_true(n + 4u <= BT_ARRAY_LEN(p));
        for (k = 0; k < 2u; k++) {
            void *q = bh_alloc_aligned(heap, al, req[k]);
            void *filler;
            assert_non_null(q);
            assert_true(bt_is_aligned(q, al));
            assert_true(bt_is_aligned(q, bh_alignment()));
            assert_true(bh_usable_size(heap, q) >= req[k]);
            bt_fill(q, bh_usable_size(heap, q), (uint32_t)n);
            p[n] = q;
            align[n] = al;
            size[n] = bh_usable_size(heap, q);
            n++;
            /* an ordinary block in between, so that slack is not merged away */
            filler = bh_alloc(heap, bt_rng_range(&rng, 0, 100));
            assert_non_null(filler);
            bt_fill(filler, bh_usable_size(heap, filler), (uint32_t)n);
            p[n] = filler;
            align[n] = bh_alignment();
            size[n] = bh_usable_size(heap, filler);
            n++;
        }
    }
    assert_int_equal(bh_check(heap), 0);
    bt_assert_walk_consistent(heap, &g_walk);
    for (i = 0; i < n; i++) {
        assert_true(bt_is_aligned(p[i], align[i]));
        assert_int_equal(bh_usable_size(heap, p[i]), size[i]);
        assert_true(bt_verify(p[i], size[i], (uint32_t)i));
    }
    /* free in a scrambled order: the even ones upwards, then the odd ones
     * downwards */
    for (i = 0; i < n; i++) {
        size_t j = i < (n + 1u) / 2u ? 2u * i : 2u * (n - 1u - i) + 1u;
        assert_true(bt_verify(p[j], size[j], (uint32_t)j));
        bh_free(heap, p[j]);
        assert_int_equal(bh_check(heap), 0);
    }
    assert_no_errors();
    assert_int_equal(bt_stats(heap).used_bytes, 0);
    assert_int_equal(bt_stats(heap).free_blocks, 1);
}

static void test_aligned_cost(void **state)
{
    bh_heap *heap;
    size_t plain_used, al;
    void *p;
    (void)state;

    heap = fresh_heap();
    p = bh_alloc(heap, 100);
    plain_used = bt_stats(heap).used_bytes;
    bh_free(heap, p);

    /* Up to bh_alignment(): exactly what bh_alloc() costs. */
    for (al = 1; al <= bh_alignment(); al *= 2u) {
        heap = fresh_heap();
        p = bh_alloc_aligned(heap, al, 100);
        assert_non_null(p);
        assert_int_equal(bt_stats(heap).used_bytes, plain_used);
        bh_free(heap, p);
    }
    /* Larger: the unused front goes back to the heap. */
    for (al = bh_alignment() * 2u; al <= S(4096); al *= 2u) {
        bh_stats s;
        heap = fresh_heap();
        p = bh_alloc_aligned(heap, al, 100);
        assert_non_null(p);
        assert_true(bt_is_aligned(p, al));
        s = bt_stats(heap);
        assert_true(s.used_bytes <= plain_used + bh_min_block_size());
        assert_int_equal(s.live_blocks, 1);
        assert_int_equal(s.alloc_count, 1);
        bh_free(heap, p);
        s = bt_stats(heap);
        assert_int_equal(s.used_bytes, 0);
        assert_int_equal(s.free_blocks, 1);
        assert_int_equal(bh_check(heap), 0);
    }
    assert_no_errors();
}

/* ---- Realloc ---- */

static void test_realloc_null_and_zero(void **state)
{
    bh_heap *heap = fresh_heap();
    bh_stats s0, s1, s2;
    void *p;
    (void)state;

    s0 = bt_stats(heap);
    p = bh_realloc(heap, NULL, 200);
    assert_non_null(p);
    assert_true(bt_is_aligned(p, bh_alignment()));
    assert_true(bh_usable_size(heap, p) >= 200u);
    s1 = bt_stats(heap);
    assert_int_equal(s1.alloc_count, s0.alloc_count + 1u);
    assert_int_equal(s1.live_blocks, 1);

    assert_null(bh_realloc(heap, p, 0));
    s2 = bt_stats(heap);
    assert_int_equal(s2.live_blocks, 0);
    assert_int_equal(s2.used_bytes, 0);
    assert_int_equal(s2.free_count, s1.free_count + 1u);
    assert_int_equal(s2.free_blocks, 1);
    assert_int_equal(bh_check(heap), 0);

    /* realloc(NULL, 0) is bh_alloc(0): a minimal block */
    p = bh_realloc(heap, NULL, 0);
    assert_non_null(p);
    bh_free(heap, p);
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
}

/* Four blocks side by side, returned in address order, out[i] of sizes[i]
 * (on a fresh heap, whichever way the heap hands out addresses). */
static void alloc_run(bh_heap *heap, const size_t *sizes, unsigned char **out)
{
    size_t i, j, idx[4];
    for (i = 0; i < 4u; i++) {
        out[i] = (unsigned char *)bh_alloc(heap, sizes[i]);
        assert_non_null(out[i]);
    }
    if ((uintptr_t)out[0] > (uintptr_t)out[1]) {
        /* handed out downwards: again, in the opposite order */
        for (i = 0; i < 4u; i++) {
            bh_free(heap, out[i]);
        }
        for (i = 0; i < 4u; i++) {
            out[3u - i] = (unsigned char *)bh_alloc(heap, sizes[3u - i]);
            assert_non_null(out[3u - i]);
        }
    }
    for (i = 1; i < 4u; i++) { /* insertion sort by address */
        for (j = i; j > 0u && (uintptr_t)out[j - 1u] > (uintptr_t)out[j]; j--) {
            unsigned char *t = out[j];
            out[j] = out[j - 1u];
            out[j - 1u] = t;
        }
    }
    bt_walk(heap, &g_walk, 0);
    for (i = 0; i < 4u; i++) {
        idx[i] = bt_walk_find(&g_walk, out[i]);
        assert_true(idx[i] != SIZE_MAX);
        assert_true(g_walk.block[idx[i]].used);
        if (i > 0u) {
            assert_int_equal(idx[i], idx[i - 1u] + 1u);
        }
    }
    for (i = 0; i < 4u; i++) {
        bt_fill(out[i], bh_usable_size(heap, out[i]), 100u + (uint32_t)i);
    }
}

static void assert_run_intact(bh_heap *heap, unsigned char **b, size_t i)
{
    assert_true(bt_verify(b[i], bh_usable_size(heap, b[i]), 100u + (uint32_t)i));
}

static void test_realloc_shrink_in_place(void **state)
{
    bh_heap *heap = fresh_heap();
    size_t sizes[4] = {S(1024), S(1024), S(1024), S(1024)};
    unsigned char *b[4];
    unsigned char *r;
    bh_stats before, after;
    (void)state;

    alloc_run(heap, sizes, b);

    /* next used: the tail becomes a free block of its own */
    before = bt_stats(heap);
    r = (unsigned char *)bh_realloc(heap, b[1], S(100));
    assert_ptr_equal(r, b[1]);
    after = bt_stats(heap);
    assert_true(after.free_bytes > before.free_bytes);
    assert_true(after.free_bytes - before.free_bytes >= S(1024) - S(100) - bh_min_block_size());
    assert_int_equal(after.free_blocks, before.free_blocks + 1u);
    assert_int_equal(after.live_blocks, before.live_blocks);
    assert_true(bt_verify(r, S(100), 101));
    assert_true(bh_usable_size(heap, r) >= S(100));
    assert_true(bh_usable_size(heap, r) < S(1024));
    assert_run_intact(heap, b, 0);
    assert_run_intact(heap, b, 2);
    assert_run_intact(heap, b, 3);
    assert_int_equal(bh_check(heap), 0);

    /* next free: the tail merges into it, no new free block */
    bh_free(heap, b[3]);
    before = bt_stats(heap);
    r = (unsigned char *)bh_realloc(heap, b[2], S(64));
    assert_ptr_equal(r, b[2]);
    after = bt_stats(heap);
    assert_true(after.free_bytes > before.free_bytes);
    assert_int_equal(after.free_blocks, before.free_blocks);
    assert_true(bt_verify(r, S(64), 102));
    assert_int_equal(bh_check(heap), 0);

    /* a shrink too small to split keeps the block as it is */
    before = bt_stats(heap);
    r = (unsigned char *)bh_realloc(heap, b[0], bh_usable_size(heap, b[0]) - 1u);
    assert_ptr_equal(r, b[0]);
    after = bt_stats(heap);
    assert_int_equal(after.used_bytes, before.used_bytes);
    /* same size: same pointer */
    r = (unsigned char *)bh_realloc(heap, b[0], bh_usable_size(heap, b[0]));
    assert_ptr_equal(r, b[0]);
    assert_true(bt_verify(r, bh_usable_size(heap, r), 100));
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
}

static void test_realloc_grow_next(void **state)
{
    bh_heap *heap = fresh_heap();
    size_t sizes[4] = {S(512), S(512), S(512), S(512)};
    unsigned char *b[4];
    unsigned char *r;
    size_t old_usable;
    bh_stats before, after;
    (void)state;

    alloc_run(heap, sizes, b);
    old_usable = bh_usable_size(heap, b[1]);
    bh_free(heap, b[2]);
    before = bt_stats(heap);
    r = (unsigned char *)bh_realloc(heap, b[1], S(800));
    assert_ptr_equal(r, b[1]);
    after = bt_stats(heap);
    assert_true(bh_usable_size(heap, r) >= S(800));
    assert_true(bt_verify(r, old_usable, 101));
    assert_int_equal(after.live_blocks, before.live_blocks);
    assert_true(after.used_bytes > before.used_bytes);
    assert_run_intact(heap, b, 0);
    assert_run_intact(heap, b, 3);
    assert_int_equal(bh_check(heap), 0);

    /* taking the whole free neighbour */
    r = (unsigned char *)bh_realloc(heap, b[1], old_usable + S(512));
    assert_ptr_equal(r, b[1]);
    assert_true(bt_verify(r, old_usable, 101));
    assert_int_equal(bh_check(heap), 0);

    /* the last block grows into the rest of the heap */
    {
        unsigned char *last = b[3];
        bt_walk(heap, &g_walk, 0);
        if (bt_walk_find(&g_walk, last) + 1u < g_walk.count &&
            !g_walk.block[bt_walk_find(&g_walk, last) + 1u].used) {
            r = (unsigned char *)bh_realloc(heap, last, S(20000));
            assert_ptr_equal(r, last);
            assert_true(bt_verify(r, S(512), 103));
        }
    }
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
}

static void test_realloc_grow_prev(void **state)
{
    bh_heap *heap = fresh_heap();
    size_t sizes[4] = {S(256), S(600), S(400), S(256)};
    unsigned char *b[4];
    unsigned char *r;
    size_t old_usable;
    bh_stats before, after;
    (void)state;

    alloc_run(heap, sizes, b);
    old_usable = bh_usable_size(heap, b[2]);
    bh_free(heap, b[1]);
    before = bt_stats(heap);
    /* more than b[2] holds, less than b[1] + b[2]; b[3] is used */
    r = (unsigned char *)bh_realloc(heap, b[2], S(700));
    assert_non_null(r);
    assert_ptr_equal(r, b[1]);
    after = bt_stats(heap);
    assert_true(bh_usable_size(heap, r) >= S(700));
    assert_true(bt_verify(r, old_usable, 102));
    assert_int_equal(after.live_blocks, before.live_blocks);
    assert_run_intact(heap, b, 0);
    assert_run_intact(heap, b, 3);
    assert_int_equal(bh_check(heap), 0);
    bt_assert_walk_consistent(heap, &g_walk);

    /* both neighbours free, the next one is enough: stays in place */
    {
        size_t sizes2[4] = {S(300), S(300), S(300), S(300)};
        unsigned char *c[4];
        heap = fresh_heap();
        alloc_run(heap, sizes2, c);
        bh_free(heap, c[0]);
        bh_free(heap, c[2]);
        r = (unsigned char *)bh_realloc(heap, c[1], S(500));
        assert_ptr_equal(r, c[1]);
        assert_true(bt_verify(r, S(300), 101));
        assert_run_intact(heap, c, 3);
        assert_int_equal(bh_check(heap), 0);
        /* the next block is too small now, the previous one is enough */
        r = (unsigned char *)bh_realloc(heap, c[1], bh_usable_size(heap, c[1]) + S(250));
        assert_ptr_equal(r, c[0]);
        assert_true(bt_verify(r, S(300), 101));
        assert_run_intact(heap, c, 3);
        assert_int_equal(bh_check(heap), 0);
    }
    assert_no_errors();
}

/* A shrink that gives back exactly one minimum block: the tail stands as a
 * free block of its own. */
static void test_realloc_shrink_by_a_minimum_block(void **state)
{
    bh_heap *heap = fresh_heap();
    size_t sizes[4] = {S(1024), S(1024), S(1024), S(1024)};
    unsigned char *b[4];
    unsigned char *r;
    size_t want;
    bh_stats before, after;
    (void)state;

    alloc_run(heap, sizes, b);
    want = (size_t)(b[2] - b[1]) - bh_min_block_size() - bh_block_overhead();
    before = bt_stats(heap);
    r = (unsigned char *)bh_realloc(heap, b[1], want);
    assert_ptr_equal(r, b[1]);
    after = bt_stats(heap);
    assert_int_equal(after.free_blocks, before.free_blocks + 1u);
    assert_int_equal(after.free_bytes, before.free_bytes + bh_min_block_size());
    assert_true(bt_verify(r, want, 101));
    assert_run_intact(heap, b, 2);
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
}

/* Growth that needs the block and a free neighbour to the last grain, the
 * one after it, then the one before it: served in place, not moved. */
static void test_realloc_grow_exactly_into_neighbours(void **state)
{
    bh_heap *heap = fresh_heap();
    size_t sizes[4] = {S(300), S(300), S(300), S(300)};
    unsigned char *b[4];
    unsigned char *r;
    size_t old_usable, want;
    bh_stats before, after;
    (void)state;

    alloc_run(heap, sizes, b);
    old_usable = bh_usable_size(heap, b[1]);
    bh_free(heap, b[2]);
    want = (size_t)(b[3] - b[1]) - bh_block_overhead();
    before = bt_stats(heap);
    r = (unsigned char *)bh_realloc(heap, b[1], want);
    assert_ptr_equal(r, b[1]);
    after = bt_stats(heap);
    assert_true(bh_usable_size(heap, r) >= want);
    assert_true(bt_verify(r, old_usable, 101));
    assert_int_equal(after.free_blocks, before.free_blocks - 1u);
    assert_int_equal(after.used_bytes, before.used_bytes + (size_t)(b[3] - b[2]));
    assert_int_equal(bh_check(heap), 0);

    /* b[0] free before it, b[3] used after it */
    bh_free(heap, b[0]);
    want = (size_t)(b[3] - b[0]) - bh_block_overhead();
    before = bt_stats(heap);
    r = (unsigned char *)bh_realloc(heap, b[1], want);
    assert_ptr_equal(r, b[0]);
    after = bt_stats(heap);
    assert_true(bh_usable_size(heap, r) >= want);
    assert_true(bt_verify(r, old_usable, 101));
    assert_int_equal(after.free_blocks, before.free_blocks - 1u);
    assert_int_equal(after.used_bytes, before.used_bytes + (size_t)(b[1] - b[0]));
    assert_run_intact(heap, b, 3);
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
}

static void test_realloc_move(void **state)
{
    bh_heap *heap = fresh_heap();
    size_t sizes[4] = {S(200), S(200), S(200), S(200)};
    unsigned char *b[4];
    unsigned char *r;
    size_t old_usable;
    bh_stats before, after;
    (void)state;

    alloc_run(heap, sizes, b);
    old_usable = bh_usable_size(heap, b[1]);
    before = bt_stats(heap);
    r = (unsigned char *)bh_realloc(heap, b[1], S(5000));
    assert_non_null(r);
    assert_ptr_not_equal(r, b[1]);
    assert_true(bt_is_aligned(r, bh_alignment()));
    assert_true(bh_usable_size(heap, r) >= S(5000));
    assert_true(bt_verify(r, old_usable, 101));
    after = bt_stats(heap);
    assert_int_equal(after.live_blocks, before.live_blocks);
    assert_int_equal(after.alloc_count, before.alloc_count + 1u);
    assert_int_equal(after.free_blocks, before.free_blocks + 1u); /* the old block */
    assert_run_intact(heap, b, 0);
    assert_run_intact(heap, b, 2);
    assert_run_intact(heap, b, 3);
    assert_int_equal(bh_check(heap), 0);
    assert_no_errors();
}

static void test_realloc_failure_keeps_block(void **state)
{
    bh_heap *heap = fresh_heap();
    size_t sizes[4] = {S(300), S(300), S(300), S(300)};
    unsigned char *b[4];
    bh_stats before, after;
    size_t usable, big;
    (void)state;

    alloc_run(heap, sizes, b);
    /* Eat the rest of the heap so that no move is possible. */
    while (bh_alloc(heap, S(1024)) != NULL) {
    }
    while (bh_alloc(heap, 0) != NULL) {
    }
    bh_free(heap, b[0]); /* a free previous block, too small to help */
    usable = bh_usable_size(heap, b[1]);
    before = bt_stats(heap);
    big = usable + S(2000);
    assert_null(bh_realloc(heap, b[1], big));
    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, BT_IGNORE_FAILED);
    assert_int_equal(after.failed_count, before.failed_count + 1u);
    assert_int_equal(bh_usable_size(heap, b[1]), usable);
    assert_run_intact(heap, b, 1);
    assert_run_intact(heap, b, 2);
    assert_run_intact(heap, b, 3);
    /* still a live block: it can be resized and freed */
    assert_ptr_equal(bh_realloc(heap, b[1], S(100)), b[1]);
    assert_true(bt_verify(b[1], S(100), 101));
    bh_free(heap, b[1]);
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
}

/* ---- bh_alloc_aligned()'s probe budget ----
 * It searches for a block that fits at any address, then for one that fits
 * at its own; the two share BAREHEAP_PROBE_LIMIT: (PROBE_LIMIT + 1) / 2 and
 * PROBE_LIMIT / 2 blocks (at least 1) of the request's class
 * (include/bareheap.h). The class here, the last of its first level, is wide
 * enough for both searches to probe its one list: blocks one grain too small
 * for the request, then the block that fits, found at the last probe a
 * search may make and not one block further. */
#define BUDGET_WIDTH_BYTES ((size_t)8 * BAREHEAP_ALIGN_BYTES)
#define BUDGET_LO_BYTES (BUDGET_WIDTH_BYTES << BAREHEAP_SL_LOG2)
#define BUDGET_BLOCKS ((size_t)BAREHEAP_PROBE_LIMIT / 2u + 4u)
BT_HEAP_BUFFER(g_budget_mem, BUDGET_BLOCKS * (2u * BUDGET_LO_BYTES + 16u * BAREHEAP_ALIGN_BYTES) + 8192u);

/* A heap whose free blocks are holes blocks of hole_bytes and, at the tail
 * of their list (probed last), *fit: fit_bytes with its payload on an align
 * boundary. */
static bh_heap *budget_heap(size_t holes, size_t hole_bytes, size_t fit_bytes, size_t align, void **fit)
{
    size_t overhead = bh_block_overhead(), spacer, i, n;
    size_t heap_bytes = sizeof g_budget_mem.b - 4096u;
    bh_heap *heap = fresh_heap_in(g_budget_mem.b, heap_bytes);
    void *hole[BUDGET_BLOCKS] = {NULL};
    uintptr_t first;
    void *p = bh_alloc(heap, 1);
    /* a spacer puts the fitting block's payload on an align boundary */
    first = (uintptr_t)p;
    bh_free(heap, p);
    spacer = (size_t)((0u - first) & (align - 1u));
    while (spacer < bh_min_block_size())
        spacer += align;
    assert_non_null(bh_alloc(heap, spacer - overhead));
    *fit = bh_alloc(heap, fit_bytes - overhead);
    assert_non_null(*fit);
    assert_true(bt_is_aligned(*fit, align));
    assert_non_null(bh_alloc(heap, 1));
    assert_true(holes <= BUDGET_BLOCKS);
    for (i = 0; i < holes; i++) {
        hole[i] = bh_alloc(heap, hole_bytes - overhead);
        assert_non_null(hole[i]);
        assert_non_null(bh_alloc(heap, 1));
    }
    /* nothing else free: the rest goes in ever smaller blocks */
    for (n = heap_bytes; n > 0u; n /= 2u) {
        while (bh_alloc(heap, n) != NULL) {
        }
    }
    bh_free(heap, *fit);
    for (i = 0; i < holes; i++)
        bh_free(heap, hole[i]);
    assert_int_equal(bh_check(heap), 0);
    return heap;
}

static void test_aligned_probe_budget(void **state)
{
    size_t g = bh_alignment(), align = 2u * bh_alignment();
    size_t first_budget = ((size_t)BAREHEAP_PROBE_LIMIT + 1u) / 2u;
    size_t second_budget = BAREHEAP_PROBE_LIMIT >= 2 ? (size_t)BAREHEAP_PROBE_LIMIT / 2u : 1u;
    size_t hole_bytes = 2u * BUDGET_LO_BYTES - BUDGET_WIDTH_BYTES;
    size_t fit_bytes = hole_bytes + g; /* one grain above the holes */
    size_t request = fit_bytes - bh_block_overhead() - sizeof(size_t);
    size_t search, extra;
    (void)state;

    /* search 0: a block of the largest size of the class fits at any address
     * (the first search); search 1: one of the request's size, at an aligned
     * address, fits only there (the second). */
    for (search = 0; search < 2u; search++) {
        size_t budget = search == 0u ? first_budget : second_budget;
        size_t block_bytes = search == 0u ? 2u * BUDGET_LO_BYTES - g : fit_bytes;
        for (extra = 0; extra < 2u; extra++) {
            size_t holes = budget - 1u + extra;
            void *fit, *p;
            bh_heap *heap = budget_heap(holes, hole_bytes, block_bytes, align, &fit);
            bh_stats before = bt_stats(heap);
            p = bh_alloc_aligned(heap, align, request);
            if (extra == 0u) {
                assert_non_null(p);
                assert_true(bt_is_aligned(p, align));
                assert_true((char *)p >= (char *)fit && (char *)p < (char *)fit + block_bytes);
                assert_true(bh_usable_size(heap, p) >= request);
            } else {
                /* one block beyond the budget: a documented failure, nothing changed */
                assert_null(p);
                assert_int_equal(bt_stats(heap).failed_count, before.failed_count + 1u);
                assert_int_equal(bt_stats(heap).free_blocks, before.free_blocks);
                if (holes + 1u <= BAREHEAP_PROBE_LIMIT)
                    assert_ptr_equal(bh_alloc(heap, block_bytes - bh_block_overhead()), fit);
            }
            assert_int_equal(bh_check(heap), 0);
            assert_no_errors();
        }
    }
}

/* A block from bh_alloc_aligned() keeps its alignment through every path. */
static void test_realloc_keeps_alignment(void **state)
{
    size_t al;
    (void)state;

    for (al = bh_alignment() * 2u; al <= S(4096); al *= 2u) {
        bh_heap *heap = fresh_heap();
        unsigned char *p, *r, *guard;
        size_t usable;

        p = (unsigned char *)bh_alloc_aligned(heap, al, S(100));
        assert_non_null(p);
        assert_true(bt_is_aligned(p, al));
        bt_fill(p, S(100), 1);

        /* grow in place (the rest of the heap follows) */
        r = (unsigned char *)bh_realloc(heap, p, S(1000));
        assert_non_null(r);
        assert_true(bt_is_aligned(r, al));
        assert_true(bt_verify(r, S(100), 1));
        p = r;
        bt_fill(p, S(1000), 2);

        /* shrink */
        r = (unsigned char *)bh_realloc(heap, p, S(50));
        assert_ptr_equal(r, p);
        assert_true(bt_verify(r, S(50), 2));

        /* block the next block, then grow: move or grow backwards */
        usable = bh_usable_size(heap, p);
        for (;;) {
            size_t k;
            bt_walk(heap, &g_walk, 0);
            k = bt_walk_find(&g_walk, p) + 1u;
            if (k >= g_walk.count || g_walk.block[k].used) {
                break;
            }
            guard = (unsigned char *)bh_alloc(heap, 16);
            assert_non_null(guard);
        }
        bt_fill(p, usable, 3);
        r = (unsigned char *)bh_realloc(heap, p, S(3000));
        assert_non_null(r);
        assert_true(bt_is_aligned(r, al));
        assert_true(bt_verify(r, usable, 3));
        assert_int_equal(bh_check(heap), 0);

        /* realloc(NULL) is plain: no alignment promised beyond bh_alignment */
        bh_free(heap, r);
        assert_int_equal(bh_check(heap), 0);
        assert_no_errors();
    }
}

/* An aligned block that happens to sit at a much more aligned address (here
 * 64 KiB) needs only the alignment it was allocated with when it moves. */
static void test_realloc_aligned_at_lucky_address(void **state)
{
    /* the block sits 16 times as aligned as the largest alignment swept
     * (64 KiB by default) */
    const size_t al_top = BT_ALIGN_TOP_BYTES;
    const size_t lucky = 16u * al_top;
    unsigned char *x = bt_align_up(g_region_mem.b + lucky, lucky);
    size_t al;
    (void)state;

    for (al = bh_alignment() * 2u; al <= al_top; al *= 2u) {
        bh_heap *heap = NULL;
        unsigned char *p = NULL, *r;
        size_t k, guards = 0;

        /* find a base that puts the block exactly at x */
        for (k = 1; k <= 1024u && p != x; k++) {
            heap = bh_init(x - k * bh_alignment(), S(32u * 1024u));
            assert_non_null(heap);
            p = (unsigned char *)bh_alloc_aligned(heap, al, 100);
            assert_non_null(p);
        }
        assert_ptr_equal(p, x);
        bh_set_error_handler(heap, bt_record_error, &g_errors);
        bt_errors_clear(&g_errors);
        bt_fill(p, 100, 64);
        /* the block after it is used, so the block has to move */
        for (;;) {
            bt_walk(heap, &g_walk, 0);
            k = bt_walk_find(&g_walk, p) + 1u;
            if (k >= g_walk.count || g_walk.block[k].used) {
                break;
            }
            assert_non_null(bh_alloc(heap, 16));
            assert_true(++guards < 1000u);
        }
        /* larger than the block, so that it cannot stay (at a 4 KiB grain
         * 100 bytes take a block of 4 KiB) */
        assert_true(bh_usable_size(heap, p) < S(3000u));
        assert_true(bt_stats(heap).largest_free_bytes > S(3000u) + al);
        r = (unsigned char *)bh_realloc(heap, p, S(3000u));
        assert_non_null(r);
        assert_true(bt_is_aligned(r, al));
        assert_true(bt_verify(r, 100, 64));
        assert_int_equal(bh_check(heap), 0);
        assert_no_errors();
    }
}

static void test_realloc_aligned_random(void **state)
{
    bh_heap *heap = fresh_heap();
    enum { N = 24 };
    unsigned char *p[N];
    size_t align[N], filled[N];
    uint32_t seed[N];
    bt_rng rng;
    size_t i, step;
    (void)state;

    bt_rng_seed(&rng, 36);
    for (i = 0; i < N; i++) {
        align[i] = (size_t)1 << bt_rng_range(&rng, 0, 11);
        p[i] = (unsigned char *)bh_alloc_aligned(heap, align[i], bt_rng_range(&rng, 0, 500));
        assert_non_null(p[i]);
        filled[i] = bh_usable_size(heap, p[i]);
        seed[i] = (uint32_t)i;
        bt_fill(p[i], filled[i], seed[i]);
    }
    for (step = 0; step < 1500u; step++) {
        size_t k = bt_rng_range(&rng, 0, N - 1u);
        size_t n = bt_rng_size(&rng, 2000);
        unsigned char *r = (unsigned char *)bh_realloc(heap, p[k], n);
        if (n == 0u) {
            assert_null(r);
            p[k] = (unsigned char *)bh_alloc_aligned(heap, align[k], 10);
            assert_non_null(p[k]);
        } else if (r == NULL) {
            assert_true(bt_verify(p[k], filled[k], seed[k]));
            continue;
        } else {
            assert_true(bt_verify(r, filled[k] < n ? filled[k] : n, seed[k]));
            p[k] = r;
        }
        assert_true(bt_is_aligned(p[k], align[k]));
        filled[k] = bh_usable_size(heap, p[k]);
        seed[k] = (uint32_t)(step + 1000u);
        bt_fill(p[k], filled[k], seed[k]);
        if (step % 50u == 0u) {
            assert_int_equal(bh_check(heap), 0);
            for (i = 0; i < N; i++) {
                assert_true(bt_verify(p[i], filled[i], seed[i]));
            }
        }
    }
    for (i = 0; i < N; i++) {
        assert_true(bt_verify(p[i], filled[i], seed[i]));
        bh_free(heap, p[i]);
    }
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
    assert_int_equal(bt_stats(heap).free_blocks, 1);
}

/* ---- Invalid pointers ---- */

#if BAREHEAP_DEBUG >= 1

enum { VICTIMS = 12 };
static unsigned char *g_victim[VICTIMS]; /* NULL once freed */
static unsigned char *g_victim_addr[VICTIMS]; /* as allocated */
static size_t g_victim_usable[VICTIMS];

static unsigned char *g_victim_freed(size_t i)
{
    assert_null(g_victim[i]);
    return g_victim_addr[i];
}

/* A heap of used blocks with patterns, some freed in between. */
static bh_heap *victim_heap(void)
{
    bh_heap *heap = fresh_heap();
    size_t i;
    for (i = 0; i < VICTIMS; i++) {
        g_victim[i] = (unsigned char *)bh_alloc(heap, S(64u + 48u * i));
        assert_non_null(g_victim[i]);
        g_victim_addr[i] = g_victim[i];
        g_victim_usable[i] = bh_usable_size(heap, g_victim[i]);
        bt_fill(g_victim[i], g_victim_usable[i], 500u + (uint32_t)i);
    }
    for (i = 2; i < VICTIMS; i += 4u) {
        bh_free(heap, g_victim[i]);
        g_victim[i] = NULL;
    }
    assert_no_errors();
    return heap;
}

static void assert_victims_intact(bh_heap *heap)
{
    size_t i;
    for (i = 0; i < VICTIMS; i++) {
        if (g_victim[i] != NULL) {
            assert_int_equal(bh_usable_size(heap, g_victim[i]), g_victim_usable[i]);
            assert_true(bt_verify(g_victim[i], g_victim_usable[i], 500u + (uint32_t)i));
        }
    }
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
}

/* Exactly one error was reported, of kind or alt, about address. */
static void assert_one_error_of(bh_error kind, bh_error alt, const void *address)
{
    assert_int_equal(g_errors.count, 1);
    if (g_errors.kind[0] != alt) {
        assert_int_equal(g_errors.kind[0], kind);
    }
    assert_ptr_equal(g_errors.address[0], address);
    bt_errors_clear(&g_errors);
}

/* Hands bad to free, realloc (twice) and usable_size: each reports exactly one
 * error of the kind (or alt), with the address, and changes nothing else. */
static void expect_rejected_either(bh_heap *heap, void *bad, bh_error kind, bh_error alt)
{
    bh_stats before = bt_stats(heap), after;

    bh_free(heap, bad);
    assert_one_error_of(kind, alt, bad);
    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, BT_IGNORE_ERRORS);
    assert_int_equal(after.error_count, before.error_count + 1u);

    assert_null(bh_realloc(heap, bad, 100));
    assert_one_error_of(kind, alt, bad);
    assert_null(bh_realloc(heap, bad, 0));
    assert_one_error_of(kind, alt, bad);
    assert_int_equal(bh_usable_size(heap, bad), 0);
    assert_one_error_of(kind, alt, bad);
    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, BT_IGNORE_ERRORS | BT_IGNORE_FAILED);
    assert_int_equal(after.error_count, before.error_count + 4u);

    assert_victims_intact(heap);
}

static void expect_rejected(bh_heap *heap, void *bad, bh_error kind)
{
    expect_rejected_either(heap, bad, kind, kind);
}

/* A pointer freed before and not handed out since: a double free, whether
 * it still starts a free block or that block merged with a free neighbour
 * (its header keeps FLAG_FREE, or at BAREHEAP_DEBUG >= 2 the merged mark). */
static void expect_refree_rejected(bh_heap *heap, void *freed)
{
    size_t k;
    bt_walk(heap, &g_walk, 0);
    k = bt_walk_find(&g_walk, freed);
    if (k != SIZE_MAX)
        assert_false(g_walk.block[k].used);
    expect_rejected(heap, freed, BH_ERROR_DOUBLE_FREE);
}

static void test_invalid_foreign(void **state)
{
    bh_heap *other = fresh_heap_in(g_other_mem.b, S(16 * 1024));
    bh_heap *heap = victim_heap();
    unsigned char stack_buf[256 + 2 * BAREHEAP_ALIGN_BYTES];
    unsigned char *stack_ptr = bt_align_up(stack_buf, bh_alignment());
    static unsigned char static_buf[256 + 2 * BAREHEAP_ALIGN_BYTES];
    void *theirs;
    (void)state;

    memset(stack_ptr, 0, 128);
    expect_rejected(heap, stack_ptr + bh_alignment(), BH_ERROR_INVALID_POINTER);
    memset(stack_ptr, 0xFF, 128);
    expect_rejected(heap, stack_ptr + bh_alignment(), BH_ERROR_INVALID_POINTER);
    expect_rejected(heap, bt_align_up(static_buf, bh_alignment()) + bh_alignment(),
                    BH_ERROR_INVALID_POINTER);

    /* a live block of another heap: rejected, and the other heap untouched */
    theirs = bh_alloc(other, 100);
    assert_non_null(theirs);
    bt_fill(theirs, 100, 4242);
    expect_rejected(heap, theirs, BH_ERROR_INVALID_POINTER);
    assert_true(bt_verify(theirs, 100, 4242));
    assert_int_equal(bt_stats(other).live_blocks, 1);
    assert_int_equal(bh_check(other), 0);

    /* aligned addresses just outside the heap's memory */
    {
        unsigned char *base = bt_align_up(g_main_mem.b, bh_alignment());
        expect_rejected(heap, base + HEAP_BYTES + bh_alignment(), BH_ERROR_INVALID_POINTER);
        expect_rejected(heap, base + HEAP_BYTES, BH_ERROR_INVALID_POINTER);
        /* the control structure is not a block either */
        expect_rejected(heap, base + bh_alignment(), BH_ERROR_INVALID_POINTER);
        expect_rejected(heap, base, BH_ERROR_INVALID_POINTER);
    }
}

static void test_invalid_interior(void **state)
{
    static const unsigned char fills[] = {0x00, 0xAA, 0xFF, 0x55, 0x01};
    size_t f;
    (void)state;

    for (f = 0; f < BT_ARRAY_LEN(fills); f++) {
        bh_heap *heap = victim_heap();
        unsigned char *host;
        size_t off;
        /* Give victim 5 a plain fill, so the word before an interior pointer
         * holds that fill, and forget its pattern. */
        host = g_victim[5];
        memset(host, fills[f], g_victim_usable[5]);
        g_victim[5] = NULL;
        for (off = bh_alignment(); off + bh_alignment() <= g_victim_usable[5] &&
                                   off <= 8u * bh_alignment();
             off += bh_alignment()) {
            expect_rejected(heap, host + off, BH_ERROR_INVALID_POINTER);
            assert_true(bt_all_bytes(host, g_victim_usable[5], fills[f]));
        }
        bh_free(heap, host);
        assert_no_errors();
        assert_int_equal(bh_check(heap), 0);
    }
}

/* An interior pointer preceded by a copy of a real block's header. */
static void test_invalid_forged_header(void **state)
{
    bh_heap *heap = victim_heap();
    unsigned char *host = g_victim[9];
    unsigned char *fake = host + 4u * bh_alignment();
    size_t k;
    (void)state;

    /* Header words only: what follows the fake block is still the host's
     * data, which no real block boundary matches. */
    g_victim[9] = NULL;
    for (k = 0; k < VICTIMS; k++) {
        const unsigned char *model = g_victim[k];
        if (model == NULL) {
            continue;
        }
        memset(host, 0x3D, g_victim_usable[9]);
        memcpy(fake - bh_block_overhead(), model - bh_block_overhead(), bh_block_overhead());
        expect_rejected(heap, fake, BH_ERROR_INVALID_POINTER);
    }
}

/* A header word the program wrote inside its block, of a size no block can
 * have (below the minimum, or not whole grains), followed where that size
 * ends by a plausible header: still not a block. */
static void test_invalid_forged_implausible_size(void **state)
{
    bh_heap *heap = victim_heap();
    unsigned char *host = g_victim[9];
    unsigned char *fake = host + 4u * bh_alignment();
    size_t forged[2], i;
    (void)state;

    g_victim[9] = NULL;
    /* 0 (skipped) where the minimum is one grain; half a grain where that
     * leaves the flag bits (the three lowest) clear */
    forged[0] = bh_min_block_size() - bh_alignment();
    forged[1] = bh_alignment() / 2u >= 8u ? bh_min_block_size() + bh_alignment() / 2u : 0u;
    for (i = 0; i < 2u; i++) {
        size_t next_header = bh_min_block_size();
        if (forged[i] == 0u) {
            continue;
        }
        memset(host, 0x3D, g_victim_usable[9]);
        memcpy(fake - sizeof(size_t), &forged[i], sizeof(size_t));
        memcpy(fake - sizeof(size_t) + forged[i], &next_header, sizeof(size_t));
        expect_rejected(heap, fake, BH_ERROR_INVALID_POINTER);
    }
}

static void test_invalid_misaligned(void **state)
{
    bh_heap *heap = victim_heap();
    size_t k;
    (void)state;

    for (k = 1; k < bh_alignment(); k = bt_grain_step(k, 1u)) {
        expect_rejected(heap, g_victim[0] + k, BH_ERROR_MISALIGNED);
    }
    expect_rejected(heap, g_victim[3] - 1, BH_ERROR_MISALIGNED);
    expect_rejected(heap, g_victim[4] + bh_alignment() + 1u, BH_ERROR_MISALIGNED);
    /* misaligned and foreign: misaligned is what can be told in O(1) */
    expect_rejected(heap, (void *)((uintptr_t)&g_errors | 1u), BH_ERROR_MISALIGNED);
    /* misaligned addresses at the top of the address space */
    expect_rejected(heap, (void *)(UINTPTR_MAX - 2u), BH_ERROR_MISALIGNED);
}

static void test_double_free(void **state)
{
    bh_heap *heap = victim_heap();
    unsigned char *p, *q, *r;
    (void)state;

    /* The setup freed victims 2, 6 and 10; freeing them again. */
    expect_refree_rejected(heap, g_victim_freed(2));
    expect_refree_rejected(heap, g_victim_freed(6));

    /* Both neighbours used: the block stays a block of its own. */
    p = g_victim[4];
    bh_free(heap, p);
    g_victim[4] = NULL;
    assert_no_errors();
    expect_rejected(heap, p, BH_ERROR_DOUBLE_FREE);

    /* 8 alone, then 9 joins 8 and 10 into one free block: each of the three
     * pointers is refused, whichever became the start of the merged block. */
    q = g_victim[8];
    bh_free(heap, q);
    g_victim[8] = NULL;
    r = g_victim[9];
    bh_free(heap, r);
    g_victim[9] = NULL;
    assert_no_errors();
    expect_refree_rejected(heap, q);
    expect_refree_rejected(heap, r);
    expect_refree_rejected(heap, g_victim_freed(10));
    expect_rejected(heap, p, BH_ERROR_DOUBLE_FREE);
}

/* A freed block merged into a free neighbour is no block any more: whatever
 * its stale header says, freeing it again must be refused. */
static void test_double_free_after_merge(void **state)
{
    bh_heap *heap = victim_heap();
    unsigned char *three, *five;
    (void)state;

    /* 2 is free: freeing 3 merges the two */
    three = g_victim[3];
    bh_free(heap, three);
    g_victim[3] = NULL;
    /* 6 is free: freeing 5 merges the two */
    five = g_victim[5];
    bh_free(heap, five);
    g_victim[5] = NULL;
    assert_no_errors();

    expect_refree_rejected(heap, three);
    expect_refree_rejected(heap, g_victim_freed(2));
    expect_refree_rejected(heap, five);
    expect_refree_rejected(heap, g_victim_freed(6));
    /* and after all that the heap still works */
    {
        void *p = bh_alloc(heap, 500);
        assert_non_null(p);
        memset(p, 0, 500);
        bh_free(heap, p);
    }
    assert_victims_intact(heap);
}

#if (BAREHEAP_DEBUG >= 2)
/* Free memory holds poison: a pointer into it that never began a block is an
 * invalid pointer, not a double free, whether the memory was never handed out
 * or was a larger block's interior; the freed block's own pointer, merged
 * into a neighbour either way, is a double free. free, realloc and
 * usable_size each say so. */
static void expect_free_refused(bh_heap *heap, void *bad, bh_error kind)
{
    bh_stats before = bt_stats(heap), after;
    bh_free(heap, bad);
    assert_one_error_of(kind, kind, bad);
    /* realloc and usable_size validate with copies of their own */
    assert_null(bh_realloc(heap, bad, 100));
    assert_one_error_of(kind, kind, bad);
    assert_int_equal(bh_usable_size(heap, bad), 0);
    assert_one_error_of(kind, kind, bad);
    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, BT_IGNORE_ERRORS);
}

static void test_free_into_poison_is_invalid(void **state)
{
    bh_heap *heap = fresh_heap_in(g_region_mem.b, S(64u * 1024u));
    unsigned char *a, *b, *c, *d, *tail;
    size_t off;
    (void)state;
    a = bh_alloc(heap, S(1024));
    b = bh_alloc(heap, S(1024));
    c = bh_alloc(heap, S(1024));
    d = bh_alloc(heap, 16); /* keeps c from the heap's free tail */
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(d);
    tail = d + S(4096);
    bh_free(heap, a);
    bh_free(heap, c);
    bh_free(heap, b); /* merges with a before it and c after it */
    assert_no_errors();
    for (off = bh_alignment(); off < S(1024); off += S(200) - S(200) % bh_alignment()) {
        expect_free_refused(heap, a + off, BH_ERROR_INVALID_POINTER);
        expect_free_refused(heap, c + off, BH_ERROR_INVALID_POINTER);
        expect_free_refused(heap, tail + off, BH_ERROR_INVALID_POINTER);
    }
    expect_free_refused(heap, b, BH_ERROR_DOUBLE_FREE);
    expect_free_refused(heap, c, BH_ERROR_DOUBLE_FREE);
    expect_free_refused(heap, a, BH_ERROR_DOUBLE_FREE);
    /* the marks are no damage: the merged block serves and checks clean */
    assert_int_equal(bh_check(heap), 0);
    a = bh_alloc(heap, S(3000));
    assert_non_null(a);
    memset(a, 0x11, S(3000));
    bh_free(heap, a);
    bh_free(heap, d);
    assert_int_equal(bh_check(heap), 0);
}
#endif

#if (BAREHEAP_DEBUG >= 2)
/* A word written after free where a merged header's mark could sit is
 * damage, whatever its bytes: the mark depends on its address, so no
 * pattern repeated through memory passes for marks. */
static void test_write_after_free_is_no_mark(void **state)
{
    static const unsigned char values[] = {0x24, 0x00, 0xFF, 0xDA};
    const size_t word = sizeof(size_t);
    bh_heap *heap = fresh_heap_in(g_region_mem.b, S(64u * 1024u));
    unsigned char *a, *guard, *at;
    size_t i, v;
    (void)state;
    a = bh_alloc(heap, S(256));
    guard = bh_alloc(heap, 16);
    assert_non_null(a);
    assert_non_null(guard);
    bh_free(heap, a);
    assert_int_equal(bh_check(heap), 0);
    /* where a block could begin, past the free block's header and links
     * (block addresses are a word below a grain boundary; with an 8-byte
     * grain on 64-bit every word is one, the first past the links three
     * words in) */
    at = a - word + bt_round_up(3u * word, bh_alignment());
    for (i = 0; i < sizeof values; i++) {
        for (v = 0; v < word; v++)
            at[v] = values[i];
        assert_int_equal(bh_check(heap), 1);
        assert_one_error_of(BH_ERROR_USE_AFTER_FREE, BH_ERROR_USE_AFTER_FREE, at);
        memset(at, 0xDB, word); /* the poison again */
        assert_int_equal(bh_check(heap), 0);
    }
    bh_free(heap, guard);
    assert_no_errors();
}
#endif

#if (BAREHEAP_DEBUG >= 2)
/* Every error reported since the last clear is the use after free at at
 * (one from the call; at BAREHEAP_DEBUG 3 the check after it finds it too). */
static void assert_damage_reported(const void *at)
{
    unsigned i;
    assert_true(g_errors.count >= 1u);
    for (i = 0; i < g_errors.count && i < BT_MAX_ERRORS; i++) {
        assert_int_equal(g_errors.kind[i], BH_ERROR_USE_AFTER_FREE);
        assert_ptr_equal(g_errors.address[i], at);
    }
    bt_errors_clear(&g_errors);
}

/* A heap whose free tail is taken by one used block: only the blocks the
 * test frees are free. */
static void *take_the_rest(bh_heap *heap)
{
    void *rest = bh_alloc(heap, bt_stats(heap).largest_free_bytes);
    assert_non_null(rest);
    assert_int_equal(bt_stats(heap).free_blocks, 0);
    return rest;
}

/* b, holding S(256) bytes of pattern seed, grown to want bytes would move down
 * into the free block prev and take the free byte at at: with that byte
 * damaged the realloc fails, reporting it, b intact; repaired, it succeeds
 * at prev with the data. */
static void expect_realloc_damage_refused(bh_heap *heap, unsigned char *b, size_t want, unsigned char *at,
                                          unsigned char *prev, unsigned seed)
{
    unsigned char *r;
    *at ^= 0x5A;
    assert_null(bh_realloc(heap, b, want));
    assert_damage_reported(at);
    assert_true(bt_verify(b, S(256), seed));
    *at ^= 0x5A;
    r = (unsigned char *)bh_realloc(heap, b, want);
    assert_ptr_equal(r, prev);
    assert_true(bt_verify(r, S(256), seed));
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
}

/* A free block written to is not handed out by an aligned allocation, nor
 * by a realloc that moves down into it or reaches through the block before
 * it into the free one after it: each reports the damage as a use after
 * free and returns NULL, the old block intact. Repaired, the same call
 * succeeds. */
static void test_damaged_free_block_not_handed_out(void **state)
{
    bh_heap *heap;
    unsigned char *prev, *b, *next, *guard, *at, *r;
    size_t want;
    (void)state;

    /* aligned: the only free block is prev */
    heap = fresh_heap_in(g_region_mem.b, S(64u * 1024u));
    prev = (unsigned char *)bh_alloc(heap, S(1024));
    guard = (unsigned char *)bh_alloc(heap, 16);
    assert_non_null(prev);
    assert_non_null(guard);
    (void)take_the_rest(heap);
    bh_free(heap, prev);
    at = prev + S(600);
    *at ^= 0x5A;
    assert_null(bh_alloc_aligned(heap, 4u * bh_alignment(), S(900)));
    assert_damage_reported(at);
    *at ^= 0x5A;
    r = (unsigned char *)bh_alloc_aligned(heap, 4u * bh_alignment(), S(900));
    assert_non_null(r);
    assert_true(in_range(r, prev, S(1024)));
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);

    /* realloc into the free block before, the one after used */
    heap = fresh_heap_in(g_region_mem.b, S(64u * 1024u));
    prev = (unsigned char *)bh_alloc(heap, S(1024));
    b = (unsigned char *)bh_alloc(heap, S(256));
    guard = (unsigned char *)bh_alloc(heap, 16);
    assert_non_null(prev);
    assert_non_null(b);
    assert_non_null(guard);
    (void)take_the_rest(heap);
    bt_fill(b, S(256), 7);
    bh_free(heap, prev);
    expect_realloc_damage_refused(heap, b, S(700), prev + S(500), prev, 7);

    /* realloc through the free block before into the free one after */
    heap = fresh_heap_in(g_region_mem.b, S(64u * 1024u));
    prev = (unsigned char *)bh_alloc(heap, S(64));
    b = (unsigned char *)bh_alloc(heap, S(256));
    next = (unsigned char *)bh_alloc(heap, S(1024));
    guard = (unsigned char *)bh_alloc(heap, 16);
    assert_non_null(prev);
    assert_non_null(b);
    assert_non_null(next);
    assert_non_null(guard);
    (void)take_the_rest(heap);
    bt_fill(b, S(256), 8);
    bh_free(heap, prev);
    bh_free(heap, next);
    /* all three blocks but one grain: more than b and next hold */
    want = (size_t)(guard - prev) - bh_block_overhead() - bh_alignment();
    expect_realloc_damage_refused(heap, b, want, next + S(100), prev, 8);
}
#endif

static void test_invalid_with_null_handler(void **state)
{
    bh_heap *heap = victim_heap();
    bh_stats before, after;
    (void)state;

    bh_set_error_handler(heap, NULL, NULL);
    before = bt_stats(heap);
    bh_free(heap, g_victim[0] + 1);
    bh_free(heap, g_victim[0] + bh_alignment());
    assert_null(bh_realloc(heap, g_victim[1] + 1, 10));
    assert_int_equal(bh_usable_size(heap, g_victim[1] + 1), 0);
    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, BT_IGNORE_ERRORS | BT_IGNORE_FAILED);
    assert_int_equal(after.error_count, before.error_count + 4u);
    assert_int_equal(g_errors.count, 0);
    assert_victims_intact(heap);
}

static jmp_buf g_jump;
static void jumping_handler(void *context, bh_error kind, const void *address)
{
    bt_record_error(context, kind, address);
    longjmp(g_jump, 1);
}

/* The handler may not return: the heap is left as it was. */
static void test_invalid_handler_longjmp(void **state)
{
    bh_heap *heap = victim_heap();
    volatile int jumped = 0;
    bh_stats before;
    (void)state;

    bh_set_error_handler(heap, jumping_handler, &g_errors);
    before = bt_stats(heap);
    if (setjmp(g_jump) == 0) {
        bh_free(heap, g_victim[0] + bh_alignment());
    } else {
        jumped = 1;
    }
    assert_int_equal(jumped, 1);
    assert_one_error(BH_ERROR_INVALID_POINTER, g_victim[0] + bh_alignment());
    {
        bh_stats after = bt_stats(heap);
        bt_assert_stats_equal(&before, &after, BT_IGNORE_ERRORS);
    }
    bh_set_error_handler(heap, bt_record_error, &g_errors);
    assert_victims_intact(heap);
    {
        void *p = bh_alloc(heap, 300);
        assert_non_null(p);
        bh_free(heap, p);
    }
    assert_victims_intact(heap);
}

#endif /* BAREHEAP_DEBUG >= 1 */

/* ---- Regions ---- */

static void test_add_region_rejects(void **state)
{
    unsigned char *area = bt_align_up(g_region_mem.b, 4096);
    unsigned char *first = area + 16384;
    const size_t first_bytes = 16384;
    bh_heap *heap = bh_init(first, first_bytes);
    bh_stats before, after;
    uintptr_t k;
    (void)state;

    assert_non_null(heap);
    bh_set_error_handler(heap, bt_record_error, &g_errors);
    bt_errors_clear(&g_errors);
    before = bt_stats(heap);

    assert_false(bh_add_region(heap, NULL, 4096));
    assert_false(bh_add_region(heap, area, 0));
    assert_false(bh_add_region(heap, area, 1));
    assert_false(bh_add_region(heap, area, bh_min_block_size() - 1u));
    /* overlaps with the first region, every way */
    assert_false(bh_add_region(heap, first, first_bytes));
    assert_false(bh_add_region(heap, first + 4096, 4096));
    assert_false(bh_add_region(heap, first + first_bytes - 64, 4096));
    assert_false(bh_add_region(heap, first - 4096, 4096 + 64));
    assert_false(bh_add_region(heap, first - 4096, first_bytes + 8192));
    assert_false(bh_add_region(heap, first + first_bytes - 1, 4096));
    assert_false(bh_add_region(heap, first - 4095, 4096));
    /* wrapping */
    assert_false(bh_add_region(heap, (void *)(UINTPTR_MAX - 4095u), 8192));
    assert_false(bh_add_region(heap, area, SIZE_MAX));
    assert_false(bh_add_region(heap, area, (size_t)0 - (uintptr_t)area + 16u));
    /* ending below the first grain boundary (RAM at address 0): its aligned
     * end would be 0, and one word below it the top of the address space */
    for (k = 1; k + 1u < bh_alignment(); k++)
        assert_false(bh_add_region(heap, (void *)k, bh_alignment() - 1u - k));
    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, 0);
    assert_int_equal(bh_check(heap), 0);

#if BAREHEAP_MAX_REGIONS >= 4
    /* an added region is memory of the heap too */
    assert_true(bh_add_region(heap, area + 40960, 8192));
    assert_false(bh_add_region(heap, area + 40960 + 4096, 8192));
    assert_false(bh_add_region(heap, area + 40960 - 4096, 8192));
    assert_false(bh_add_region(heap, area + 36864, 32768));

    /* adjacent, not overlapping: accepted */
    assert_true(bh_add_region(heap, first + first_bytes, 8192));
    assert_true(bh_add_region(heap, area, 16384));
    after = bt_stats(heap);
    assert_int_equal(after.heap_bytes, first_bytes + 8192u + 8192u + 16384u);
    assert_int_equal(after.region_count, 4);
    assert_int_equal(bh_check(heap), 0);
    bt_assert_walk_consistent(heap, &g_walk);
#endif
    assert_no_errors();
}

/* Overlap is judged against what the heap uses of [mem, mem + size): a new
 * region that reaches the control structure or a block is refused, one that
 * touches the region at either end is added (the alignment slack may be
 * given again, bareheap.h). */
static void test_add_region_overlap_in_slack(void **state)
{
    unsigned char *area = bt_align_up(g_region_mem.b, 4096) + S(8192);
    unsigned char *mem = area + 1;                    /* misaligned start */
    const size_t size = S(8192) - 2;                  /* ends at area + S(8192) - 1 */
    bh_heap *heap = bh_init(mem, size);
    bh_stats before, after;
    (void)state;

    assert_non_null(heap);
    before = bt_stats(heap);
    /* ends inside the control structure (which starts up to a grain in) */
    assert_false(bh_add_region(heap, area - S(4096), S(4096) + 64 + bh_alignment()));
    /* starts inside the last block (below the slack a wide grain leaves) */
    assert_false(bh_add_region(heap, area + S(8192) - 64 - bh_alignment(), S(4096)));
    /* covers the whole heap */
    assert_false(bh_add_region(heap, area - S(4096), 3 * S(4096) + S(8192)));
    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, 0);
#if BAREHEAP_MAX_REGIONS >= 3
    /* touching on either side is fine */
    assert_true(bh_add_region(heap, area + S(8192) - 1, S(4096)));
    assert_true(bh_add_region(heap, area - S(4096), S(4096) + 1));
#endif
    assert_int_equal(bh_check(heap), 0);
}

#if BAREHEAP_MAX_REGIONS >= 3
static void test_add_region_serves(void **state)
{
    unsigned char *small = bt_align_up(g_scratch_mem.b, bh_alignment());
    unsigned char *second = bt_align_up(g_region_mem.b, bh_alignment()) + S(8192);
    unsigned char *third = second + S(65536) + S(4096);
    int with_ex;
    (void)state;

    for (with_ex = 0; with_ex < 2; with_ex++) {
        bh_heap *heap = with_ex ? bh_init_ex(small, S(4096), S(65536)) : bh_init(small, S(4096));
        bh_stats s0, s1;
        unsigned char *p, *q, *r;
        size_t i;

        assert_non_null(heap);
        bh_set_error_handler(heap, bt_record_error, &g_errors);
        bt_errors_clear(&g_errors);
        s0 = bt_stats(heap);
        assert_null(bh_alloc(heap, S(8192)));

        assert_true(bh_add_region(heap, second, S(65536)));
        s1 = bt_stats(heap);
        assert_int_equal(s1.region_count, 2);
        assert_int_equal(s1.heap_bytes, s0.heap_bytes + S(65536));
        assert_int_equal(s1.control_bytes, s0.control_bytes);
        assert_true(s1.total_bytes > s0.total_bytes + S(65536) - S(256));
        assert_int_equal(s1.free_blocks, 2);
        assert_true(s1.largest_free_bytes >= S(32768));

        /* only the second region can serve this */
        p = (unsigned char *)bh_alloc(heap, S(32768));
        assert_non_null(p);
        assert_true(in_range(p, second, S(65536)));
        memset(p, 0x21, S(32768));
        bt_walk(heap, &g_walk, 0);
        assert_int_equal(g_walk.block[bt_walk_find(&g_walk, p)].region, 1);

        assert_true(bh_add_region(heap, third, S(32768)));
        q = (unsigned char *)bh_alloc(heap, S(30000));
        assert_non_null(q);
        if (!in_range(q, third, S(32768))) {
            assert_true(in_range(q, second, S(65536)));
        }
        memset(q, 0x22, S(30000));
        /* small blocks from everywhere until the heap is full */
        i = 0;
        while ((r = (unsigned char *)bh_alloc(heap, S(200))) != NULL) {
            memset(r, 0x23, S(200));
            i++;
        }
        assert_true(i > 10u);
        assert_int_equal(bh_check(heap), 0);
        bt_assert_walk_consistent(heap, &g_walk);
        assert_true(bt_all_bytes(p, S(32768), 0x21));
        assert_true(bt_all_bytes(q, S(30000), 0x22));

        /* region order in the walk, and each region used */
        {
            size_t k, seen[3] = {0, 0, 0};
            for (k = 0; k < g_walk.count && k < BT_MAX_WALK; k++) {
                assert_true(g_walk.block[k].region < 3u);
                seen[g_walk.block[k].region]++;
                if (g_walk.block[k].region == 0u) {
                    assert_true(in_range(g_walk.block[k].ptr, small, S(4096)));
                } else if (g_walk.block[k].region == 1u) {
                    assert_true(in_range(g_walk.block[k].ptr, second, S(65536)));
                } else {
                    assert_true(in_range(g_walk.block[k].ptr, third, S(32768)));
                }
            }
            assert_true(seen[0] > 0u && seen[1] > 0u && seen[2] > 0u);
        }
        /* free everything through the walk's record */
        {
            size_t k, n = g_walk.count;
            static void *ptrs[BT_MAX_WALK];
            size_t m = 0;
            for (k = 0; k < n; k++) {
                if (g_walk.block[k].used) {
                    ptrs[m++] = g_walk.block[k].ptr;
                }
            }
            for (k = 0; k < m; k++) {
                bh_free(heap, ptrs[k]);
            }
        }
        assert_no_errors();
        s1 = bt_stats(heap);
        assert_int_equal(s1.used_bytes, 0);
        assert_int_equal(s1.live_blocks, 0);
        assert_int_equal(s1.free_blocks, 3);
        assert_int_equal(bh_check(heap), 0);
    }
}

#endif /* BAREHEAP_MAX_REGIONS >= 3 */

#if BAREHEAP_MAX_REGIONS >= 2
/* Frees of blocks in an added region (free takes another path for a pointer
 * outside the first region, which scans the others): every merge, each
 * block's neighbours keeping their bytes, and at BAREHEAP_DEBUG >= 1 the
 * bad pointers there reported with the heap untouched. */
static void test_free_in_added_region(void **state)
{
    unsigned char *small = bt_align_up(g_scratch_mem.b, bh_alignment());
    unsigned char *second = bt_align_up(g_region_mem.b, bh_alignment()) + S(8192);
    bh_heap *heap = bh_init(small, S(4096));
    unsigned char *p[5];
    bh_stats s;
    size_t i;
    (void)state;

    assert_non_null(heap);
    bh_set_error_handler(heap, bt_record_error, &g_errors);
    bt_errors_clear(&g_errors);
    assert_true(bh_add_region(heap, second, S(65536)));
    /* only the second region holds these: five blocks in a row, the free
     * rest of the region after them */
    for (i = 0; i < 5u; i++) {
        p[i] = (unsigned char *)bh_alloc(heap, S(5000));
        assert_non_null(p[i]);
        assert_true(in_range(p[i], second, S(65536)));
        memset(p[i], (int)(0x40u + i), S(5000));
    }
    for (i = 1; i < 5u; i++)
        assert_true(p[i] > p[i - 1]);
#if BAREHEAP_DEBUG >= 1
    {
        bh_stats before = bt_stats(heap), after;
        bh_free(heap, p[2] + 1); /* misaligned */
        assert_one_error(BH_ERROR_MISALIGNED, p[2] + 1);
        bh_free(heap, p[2] + S(1024)); /* interior: payload bytes where a header would be */
        assert_one_error(BH_ERROR_INVALID_POINTER, p[2] + S(1024));
        bh_free(heap, second + S(65536) + S(4096)); /* past the region's end: no region */
        assert_one_error(BH_ERROR_INVALID_POINTER, second + S(65536) + S(4096));
        after = bt_stats(heap);
        bt_assert_stats_equal(&before, &after, BT_IGNORE_ERRORS);
        assert_int_equal(after.error_count, before.error_count + 3u);
        for (i = 0; i < 5u; i++)
            assert_true(bt_all_bytes(p[i], S(5000), (unsigned char)(0x40u + i)));
    }
#endif
    bh_free(heap, p[1]); /* both neighbours used: no merge */
    assert_no_errors();
#if BAREHEAP_DEBUG >= 1
    bh_free(heap, p[1]); /* again */
    assert_one_error(BH_ERROR_DOUBLE_FREE, p[1]);
#endif
    bh_free(heap, p[0]); /* merges with the next */
    bh_free(heap, p[2]); /* merges with the previous */
    assert_true(bt_all_bytes(p[3], S(5000), 0x43));
    assert_true(bt_all_bytes(p[4], S(5000), 0x44));
    bh_free(heap, p[4]); /* merges with the free rest of the region */
    assert_true(bt_all_bytes(p[3], S(5000), 0x43));
    assert_int_equal(bh_check(heap), 0);
    bh_free(heap, p[3]); /* free on both sides */
    assert_no_errors();
    s = bt_stats(heap);
    assert_int_equal(s.live_blocks, 0);
    assert_int_equal(s.free_blocks, 2);
    assert_int_equal(bh_check(heap), 0);
    bt_assert_walk_consistent(heap, &g_walk);
}
#endif

static void test_add_region_limit(void **state)
{
    const size_t chunk = S(1024);
    unsigned char *pool = bt_align_up(g_region_mem.b, bh_alignment());
    bh_heap *heap;
    size_t i;
    bh_stats s;
    (void)state;

    size_t first_bytes = 0;
    unsigned char *rest;

    /* the first region: large enough for the control structure (which grows
     * with BAREHEAP_MAX_REGIONS) and a few blocks */
    do {
        first_bytes += chunk;
        heap = bh_init(pool, first_bytes);
    } while (heap == NULL || bt_stats(heap).total_bytes < S(512));
    rest = pool + first_bytes + chunk;
    assert_true(first_bytes + (BAREHEAP_MAX_REGIONS + 1u) * 2u * chunk <= S(192u * 1024u));
    bh_set_error_handler(heap, bt_record_error, &g_errors);
    bt_errors_clear(&g_errors);
    /* chunks with gaps between them, so that no two regions touch */
    for (i = 1; i < BAREHEAP_MAX_REGIONS; i++) {
        assert_true(bh_add_region(heap, rest + (i - 1u) * 2u * chunk, chunk));
    }
    s = bt_stats(heap);
    assert_int_equal(s.region_count, BAREHEAP_MAX_REGIONS);
    assert_false(bh_add_region(heap, rest + (size_t)BAREHEAP_MAX_REGIONS * 2u * chunk, chunk));
    {
        bh_stats after = bt_stats(heap);
        bt_assert_stats_equal(&s, &after, 0);
    }
    assert_int_equal(bh_check(heap), 0);

    /* every region serves, and its blocks are valid to free */
    {
        static void *ptrs[1024];
        size_t n = 0, k;
        void *p;
        while ((p = bh_alloc(heap, S(100))) != NULL && n < BT_ARRAY_LEN(ptrs)) {
            memset(p, 0x42, S(100));
            ptrs[n++] = p;
        }
        bt_walk(heap, &g_walk, 0);
        for (k = 0; k < BAREHEAP_MAX_REGIONS; k++) {
            size_t j, used_here = 0;
            for (j = 0; j < g_walk.count; j++) {
                if (g_walk.block[j].region == k && g_walk.block[j].used) {
                    used_here++;
                }
            }
            assert_true(used_here > 0u);
        }
        for (k = 0; k < n; k++) {
            bh_free(heap, ptrs[k]);
        }
        if (p != NULL) {
            bh_free(heap, p);
        }
    }
    assert_no_errors();
    s = bt_stats(heap);
    assert_int_equal(s.used_bytes, 0);
    assert_int_equal(s.free_blocks, BAREHEAP_MAX_REGIONS);
    assert_int_equal(bh_check(heap), 0);
}

/* ---- Random churn with a model of the live blocks ---- */

#define CHURN_LIVE 256

typedef struct churn {
    bh_heap *heap;
    bt_rng rng;
    size_t max_size;
    size_t count;
    unsigned char *p[CHURN_LIVE];
    size_t filled[CHURN_LIVE];
    size_t align[CHURN_LIVE];
    uint32_t seed[CHURN_LIVE];
    uint32_t next_seed;
    /* peak_used_bytes lies between the highest used_bytes seen between calls
     * and that plus the transients of realloc moves (old and new block both
     * held while the contents are copied). */
    size_t peak_lo, peak_hi;
} churn;

static void churn_init(churn *c, bh_heap *heap, uint32_t seed, size_t max_size)
{
    bh_stats s = bt_stats(heap);
    memset(c, 0, sizeof(*c));
    c->heap = heap;
    bt_rng_seed(&c->rng, seed);
    /* requests span as many grains as with a narrow grain, so that a wide
     * grain's heap (scaled too) still fills */
    c->max_size = S(max_size);
    c->peak_lo = s.peak_used_bytes;
    c->peak_hi = s.peak_used_bytes;
}

static void churn_adopt(churn *c, size_t k, unsigned char *p, size_t align)
{
    assert_true(bt_is_aligned(p, align));
    c->p[k] = p;
    c->align[k] = align;
    c->filled[k] = bh_usable_size(c->heap, p);
    c->seed[k] = ++c->next_seed;
    bt_fill(p, c->filled[k], c->seed[k]);
}

static void churn_verify_all(churn *c)
{
    size_t i;
    for (i = 0; i < c->count; i++) {
        assert_true(bt_verify(c->p[i], c->filled[i], c->seed[i]));
    }
}

static void churn_step(churn *c)
{
    bh_heap *heap = c->heap;
    uint32_t op = bt_rng_next(&c->rng) % 100u;
    bh_stats before = bt_stats(heap), after;
    size_t n = bt_rng_size(&c->rng, c->max_size);
    unsigned char *r;
    size_t transient = 0;

    if (c->count == 0u || (op < 45u && c->count < CHURN_LIVE)) {
        size_t align = bh_alignment();
        uint32_t kind = bt_rng_next(&c->rng) % 10u;
        if (kind < 7u) {
            r = (unsigned char *)bh_alloc(heap, n);
        } else if (kind < 8u) {
            r = (unsigned char *)bh_calloc(heap, n / 4u + 1u, 4);
            if (r != NULL) {
                assert_true(bt_all_bytes(r, n / 4u * 4u + 4u, 0));
            }
        } else {
            align = S((size_t)1 << bt_rng_range(&c->rng, 0, 10));
            r = (unsigned char *)bh_alloc_aligned(heap, align, n);
            if (align < bh_alignment()) {
                align = bh_alignment();
            }
        }
        after = bt_stats(heap);
        if (r != NULL) {
            assert_true(bh_usable_size(heap, r) >= n);
            churn_adopt(c, c->count++, r, align);
            assert_int_equal(after.alloc_count, before.alloc_count + 1u);
            assert_int_equal(after.live_blocks, before.live_blocks + 1u);
            assert_true(after.used_bytes > before.used_bytes);
        } else {
            assert_int_equal(after.failed_count, before.failed_count + 1u);
            bt_assert_stats_equal(&before, &after, BT_IGNORE_FAILED);
        }
    } else if (op < 75u) {
        size_t k = bt_rng_range(&c->rng, 0, c->count - 1u);
        assert_true(bt_verify(c->p[k], c->filled[k], c->seed[k]));
        bh_free(heap, c->p[k]);
        after = bt_stats(heap);
        assert_int_equal(after.free_count, before.free_count + 1u);
        assert_int_equal(after.live_blocks, before.live_blocks - 1u);
        c->count--;
        c->p[k] = c->p[c->count];
        c->filled[k] = c->filled[c->count];
        c->align[k] = c->align[c->count];
        c->seed[k] = c->seed[c->count];
    } else {
        size_t k = bt_rng_range(&c->rng, 0, c->count - 1u);
        size_t keep = c->filled[k] < n ? c->filled[k] : n;
        r = (unsigned char *)bh_realloc(heap, c->p[k], n);
        after = bt_stats(heap);
        if (n == 0u) {
            assert_null(r);
            assert_int_equal(after.live_blocks, before.live_blocks - 1u);
            c->count--;
            c->p[k] = c->p[c->count];
            c->filled[k] = c->filled[c->count];
            c->align[k] = c->align[c->count];
            c->seed[k] = c->seed[c->count];
        } else if (r == NULL) {
            assert_true(n > c->filled[k]);
            bt_assert_stats_equal(&before, &after, BT_IGNORE_FAILED);
            assert_int_equal(after.failed_count, before.failed_count + 1u);
            assert_true(bt_verify(c->p[k], c->filled[k], c->seed[k]));
        } else {
            assert_true(bt_verify(r, keep, c->seed[k]));
            assert_true(bh_usable_size(heap, r) >= n);
            assert_int_equal(after.live_blocks, before.live_blocks);
            if (r != c->p[k]) {
                /* old block (at most usable + header + a minimum block) */
                transient = after.used_bytes + c->filled[k] + bh_block_overhead() + bh_alignment() +
                            bh_min_block_size();
            }
            churn_adopt(c, k, r, c->align[k]);
        }
    }
    after = bt_stats(heap);
    assert_int_equal(after.live_blocks, c->count);
    if (after.used_bytes > c->peak_lo) {
        c->peak_lo = after.used_bytes;
    }
    if (after.used_bytes > c->peak_hi) {
        c->peak_hi = after.used_bytes;
    }
    if (transient > c->peak_hi) {
        c->peak_hi = transient;
    }
    assert_in_range(after.peak_used_bytes, c->peak_lo, c->peak_hi);
    /* one region: the lowest free point is the highest used one */
    assert_int_equal(after.min_free_bytes + after.peak_used_bytes, after.total_bytes);
    assert_true(after.largest_free_bytes <= after.free_bytes);
    assert_int_equal(after.error_count, 0);
}

static void churn_free_all(churn *c)
{
    while (c->count > 0u) {
        c->count--;
        assert_true(bt_verify(c->p[c->count], c->filled[c->count], c->seed[c->count]));
        bh_free(c->heap, c->p[c->count]);
    }
}

static churn g_churn;

static void test_check_sound_after_churn(void **state)
{
    uint32_t seed;
    (void)state;

    for (seed = 1; seed <= 4u; seed++) {
        bh_heap *heap = fresh_heap();
        bh_stats s;
        size_t step;
        churn_init(&g_churn, heap, seed, seed * 1500u);
        for (step = 0; step < 3000u; step++) {
            churn_step(&g_churn);
            if (step % 97u == 0u) {
                assert_int_equal(bh_check(heap), 0);
                churn_verify_all(&g_churn);
                bt_assert_walk_consistent(heap, &g_walk);
            }
        }
        assert_int_equal(bh_check(heap), 0);
        churn_verify_all(&g_churn);
        churn_free_all(&g_churn);
        assert_no_errors();
        s = bt_stats(heap);
        assert_int_equal(s.used_bytes, 0);
        assert_int_equal(s.live_blocks, 0);
        assert_int_equal(s.free_blocks, 1);
        assert_int_equal(s.largest_free_bytes, s.free_bytes - bh_block_overhead());
        assert_int_equal(bh_check(heap), 0);
    }
}

/* bh_check() and bh_walk() only read. */
static void test_check_does_not_modify(void **state)
{
    static unsigned char snapshot[HEAP_BYTES];
    unsigned char *base = bt_align_up(g_main_mem.b, bh_alignment());
    bh_heap *heap = fresh_heap();
    size_t step;
    (void)state;

    churn_init(&g_churn, heap, 99, 3000);
    for (step = 0; step < 500u; step++) {
        churn_step(&g_churn);
    }
    memcpy(snapshot, base, HEAP_BYTES);
    assert_int_equal(bh_check(heap), 0);
    assert_memory_equal(snapshot, base, HEAP_BYTES);
    bt_walk(heap, &g_walk, 0);
    assert_memory_equal(snapshot, base, HEAP_BYTES);
    {
        bh_stats s;
        assert_true(bh_get_stats(heap, &s));
    }
    assert_memory_equal(snapshot, base, HEAP_BYTES);
    churn_free_all(&g_churn);
}

/* Corruption of a scratch heap is found by bh_check(), and neither it nor
 * bh_walk() nor bh_get_stats() crash on it. */
typedef enum corruption {
    CORRUPT_HEADER_FF,
    CORRUPT_HEADER_00,
    CORRUPT_HEADER_SIZE_PLUS,
    CORRUPT_OVERFLOW_INTO_NEXT,
    CORRUPT_FREE_PAYLOAD,
    CORRUPT_FREE_FOOTER,
    CORRUPT_HEADER_LOW_BIT,
    CORRUPT_COUNT
} corruption;

static void test_check_detects_corruption(void **state)
{
    unsigned kind;
    (void)state;

    for (kind = 0; kind < CORRUPT_COUNT; kind++) {
        bh_heap *heap = fresh_heap_in(g_scratch_mem.b, S(8192));
        unsigned char *b[6];
        size_t i, w = bh_block_overhead(), clean_blocks, problems;
        bh_stats s;

        for (i = 0; i < 6u; i++) {
            b[i] = (unsigned char *)bh_alloc(heap, S(96));
            assert_non_null(b[i]);
            memset(b[i], 0x10 + (int)i, S(96));
        }
        bh_free(heap, b[3]); /* b[3] free between used blocks (in either order) */
        assert_int_equal(bh_check(heap), 0);
        clean_blocks = bt_walk(heap, &g_walk, 0);
        s = bt_stats(heap);
        assert_no_errors();

        switch ((corruption)kind) {
        case CORRUPT_HEADER_FF:
            memset(b[1] - w, 0xFF, w);
            break;
        case CORRUPT_HEADER_00:
            memset(b[1] - w, 0x00, w);
            break;
        case CORRUPT_HEADER_SIZE_PLUS: {
            /* a plausible header, one grain too large */
            size_t h;
            memcpy(&h, b[1] - sizeof(size_t), sizeof(h));
            h += bh_alignment();
            memcpy(b[1] - sizeof(size_t), &h, sizeof(h));
            break;
        }
        case CORRUPT_OVERFLOW_INTO_NEXT:
            memset(b[1], 0xEE, bh_usable_size(heap, b[1]) + w);
            break;
        case CORRUPT_FREE_PAYLOAD:
            memset(b[3], 0xA5, S(96));
            break;
        case CORRUPT_FREE_FOOTER: {
            /* the last words of the free block */
            size_t size = 0, k;
            bt_walk(heap, &g_walk, 0);
            k = bt_walk_find(&g_walk, b[3]);
            assert_true(k != SIZE_MAX);
            size = g_walk.block[k].size_bytes;
            memset(b[3] + size - w - sizeof(size_t), 0x5C, sizeof(size_t));
            break;
        }
        case CORRUPT_HEADER_LOW_BIT: {
            /* the lowest bit of a used block's header flips */
            size_t h;
            memcpy(&h, b[0] - sizeof(size_t), sizeof(h));
            h ^= 1u;
            memcpy(b[0] - sizeof(size_t), &h, sizeof(h));
            break;
        }
        default:
            fail();
        }

        bt_errors_clear(&g_errors);
        problems = bh_check(heap);
        assert_true(problems > 0u);
        assert_true(g_errors.count > 0u);
        assert_int_equal(g_errors.count, problems);
        for (i = 0; i < g_errors.count && i < BT_MAX_ERRORS; i++) {
            assert_true(g_errors.kind[i] != BH_ERROR_NONE);
            assert_true(g_errors.kind[i] <= BH_ERROR_CORRUPTION);
        }
        assert_true(bt_stats(heap).error_count >= s.error_count + problems);
        /* the walk survives, and stops at a bad header */
        bt_errors_clear(&g_errors);
        assert_true(bt_walk(heap, &g_walk, 0) <= clean_blocks + 1u);
        if (kind == CORRUPT_HEADER_FF || kind == CORRUPT_HEADER_00) {
            assert_true(g_walk.count < clean_blocks);
        }
        bt_errors_clear(&g_errors);
    }
}

/* ---- Counters ---- */

/* realloc counts an allocation and a free only when it takes a new block:
 * growing into the next block, or moving into the free one before it, keeps
 * the block it had (the header's alloc_count and free_count). */
static void expect_realloc_counts(bool free_before, size_t grow_bytes, bool moves_out)
{
    bh_heap *heap = fresh_heap();
    unsigned char *a = bh_alloc(heap, S(256)), *b = bh_alloc(heap, S(256)), *p;
    bh_stats before, after;
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(bh_alloc(heap, 16)); /* b cannot grow into the free tail */
    bh_free(heap, free_before ? a : b);
    before = bt_stats(heap);
    p = bh_realloc(heap, free_before ? b : a, grow_bytes);
    assert_non_null(p);
    after = bt_stats(heap);
    if (moves_out) {
        assert_true(p != a && p != b);
    } else {
        assert_ptr_equal(p, a); /* grown in place, or moved down into a */
    }
    assert_int_equal(after.alloc_count, before.alloc_count + (moves_out ? 1u : 0u));
    assert_int_equal(after.free_count, before.free_count + (moves_out ? 1u : 0u));
    assert_int_equal(after.live_blocks, before.live_blocks);
    assert_int_equal(bh_check(heap), 0);
}

static void test_stats_realloc_counts(void **state)
{
    (void)state;
    expect_realloc_counts(false, S(400), false); /* a grows into b */
    expect_realloc_counts(true, S(400), false);  /* b moves into a */
    expect_realloc_counts(true, S(4096), true);  /* b moves to a new block */
}

static void test_stats_counts(void **state)
{
    bh_heap *heap = fresh_heap();
    bh_stats s0, s;
    void *a, *b, *c, *d;
    (void)state;

    s0 = bt_stats(heap);
    a = bh_alloc(heap, 100);
    s = bt_stats(heap);
    assert_int_equal(s.alloc_count, 1);
    assert_int_equal(s.live_blocks, 1);
    assert_true(s.used_bytes >= 100u + bh_block_overhead());
    assert_true(s.used_bytes < 100u + bh_block_overhead() + bh_min_block_size());
    assert_int_equal(s.peak_used_bytes, s.used_bytes);
    assert_int_equal(s.min_free_bytes, s.free_bytes);
    assert_int_equal(s.free_bytes, s0.free_bytes - s.used_bytes);

    b = bh_calloc(heap, 10, 10);
    c = bh_alloc_aligned(heap, 256, 10);
    d = bh_realloc(heap, NULL, 10);
    assert_non_null(b);
    assert_non_null(c);
    assert_non_null(d);
    s = bt_stats(heap);
    assert_int_equal(s.alloc_count, 4);
    assert_int_equal(s.live_blocks, 4);
    assert_int_equal(s.free_count, 0);
    assert_int_equal(s.failed_count, 0);

    assert_null(bh_alloc(heap, SIZE_MAX));
    assert_null(bh_calloc(heap, SIZE_MAX, 3));
    assert_null(bh_alloc_aligned(heap, 64, SIZE_MAX));
    assert_null(bh_realloc(heap, a, SIZE_MAX));
    assert_null(bh_realloc(heap, NULL, SIZE_MAX));
    s = bt_stats(heap);
    assert_int_equal(s.failed_count, 5);
    assert_int_equal(s.alloc_count, 4);

    bh_free(heap, a);
    assert_null(bh_realloc(heap, b, 0));
    s = bt_stats(heap);
    assert_int_equal(s.free_count, 2);
    assert_int_equal(s.live_blocks, 2);
    bh_free(heap, c);
    bh_free(heap, d);
    s = bt_stats(heap);
    assert_int_equal(s.free_count, 4);
    assert_int_equal(s.live_blocks, 0);
    assert_int_equal(s.used_bytes, 0);
    assert_int_equal(s.error_count, 0);
    assert_true(s.peak_used_bytes > 0u);
    assert_int_equal(s.min_free_bytes, s.total_bytes - s.peak_used_bytes);
    assert_no_errors();
}

/* Growing in place raises used_bytes: the peak and the low-water mark follow. */
static void test_stats_peak_realloc_in_place(void **state)
{
    bh_heap *heap = fresh_heap();
    size_t sizes[4] = {S(100), S(2000), S(100), S(100)};
    unsigned char *b[4], *r;
    bh_stats s;
    (void)state;

    /* into the free next block (the rest of the heap) */
    r = (unsigned char *)bh_alloc(heap, S(100));
    assert_non_null(r);
    assert_ptr_equal(bh_realloc(heap, r, S(20000)), r);
    s = bt_stats(heap);
    assert_true(s.used_bytes > S(20000));
    assert_true(s.peak_used_bytes >= s.used_bytes);
    assert_true(s.min_free_bytes <= s.free_bytes);
    bh_free(heap, r);

    /* into the free previous block */
    heap = fresh_heap();
    alloc_run(heap, sizes, b);
    bh_free(heap, b[1]);
    s = bt_stats(heap);
    r = (unsigned char *)bh_realloc(heap, b[2], S(1500));
    assert_ptr_equal(r, b[1]);
    s = bt_stats(heap);
    assert_true(s.peak_used_bytes >= s.used_bytes);
    assert_true(s.min_free_bytes <= s.free_bytes);
    assert_int_equal(s.min_free_bytes + s.peak_used_bytes, s.total_bytes);
}

/* A request between two class minima, with a fitting block in its own
 * class and another in a class above: BAREHEAP_CLOSE_FIT takes the one of its
 * own class (the closer fit), the default the head of the class above (no
 * probe). Classes from 4 * SL_COUNT grains on are 4 grains wide. */
static void test_fit_policy(void **state)
{
    bh_heap *heap = fresh_heap();
    size_t grain = bh_alignment();
    size_t class_min = ((size_t)4 << BAREHEAP_SL_LOG2) * grain;
    size_t overhead = bh_block_overhead();
    void *own, *above, *fence1, *fence2, *p;
    (void)state;
    /* Blocks of class_min + 2 grains (own class) and 4 * class_min (above). */
    own = bh_alloc(heap, class_min + 2u * grain - overhead);
    fence1 = bh_alloc(heap, 1);
    above = bh_alloc(heap, 4u * class_min - overhead);
    fence2 = bh_alloc(heap, 1);
    assert_non_null(own);
    assert_non_null(fence1);
    assert_non_null(above);
    assert_non_null(fence2);
    bh_free(heap, own);
    bh_free(heap, above);
    /* A block of class_min + 1 grain: the own class, not its minimum. */
    p = bh_alloc(heap, class_min + grain - overhead);
#if BAREHEAP_CLOSE_FIT
    assert_ptr_equal(p, own);
#else
    assert_ptr_equal(p, above);
#endif
    bh_free(heap, p);
    bh_free(heap, fence1);
    bh_free(heap, fence2);
    assert_int_equal(bh_check(heap), 0);
    assert_no_errors();
}

/* peak_used_bytes and min_free_bytes keep their history across an added
 * region: the peak of the first region's time stays the peak until the
 * larger heap passes it, and the lowest free figure stays the lowest. */
static void test_stats_peak_across_regions(void **state)
{
#if BAREHEAP_MAX_REGIONS >= 2
    static union {
        bt_max_align a;
        unsigned char b[S(16384)];
    } first, second;
    bh_heap *heap = bh_init_ex(first.b, sizeof first.b, sizeof second.b);
    bh_stats before, s;
    size_t big;
    void *p, *q;
    (void)state;
    assert_non_null(heap);
    p = bh_alloc(heap, S(8000));
    assert_non_null(p);
    before = bt_stats(heap);
    bh_free(heap, p);
    assert_true(bh_add_region(heap, second.b, sizeof second.b));
    s = bt_stats(heap);
    assert_int_equal(s.peak_used_bytes, before.peak_used_bytes);
    assert_int_equal(s.min_free_bytes, before.min_free_bytes);
    assert_int_equal(s.used_bytes, 0);
    /* Smaller than the old peak: the figures stay. */
    q = bh_alloc(heap, S(1000));
    assert_non_null(q);
    s = bt_stats(heap);
    assert_int_equal(s.peak_used_bytes, before.peak_used_bytes);
    assert_int_equal(s.min_free_bytes, before.min_free_bytes);
    /* Larger: the peak moves; free bytes are higher than before the region
     * was added, so the lowest free figure stays. */
    big = bt_stats(heap).largest_free_bytes;
    p = bh_alloc(heap, big);
    assert_non_null(p);
    s = bt_stats(heap);
    assert_true(s.peak_used_bytes > before.peak_used_bytes);
    assert_int_equal(s.peak_used_bytes, s.used_bytes);
    assert_int_equal(s.min_free_bytes, before.min_free_bytes < s.free_bytes ? before.min_free_bytes : s.free_bytes);
    bh_free(heap, p);
    bh_free(heap, q);
    assert_int_equal(bh_check(heap), 0);
#else
    (void)state;
#endif
}

/* alloc_count - free_count == live_blocks, realloc moves included. */
static void test_stats_counts_balance(void **state)
{
    bh_heap *heap = fresh_heap();
    size_t step;
    (void)state;

    churn_init(&g_churn, heap, 1234, 4000);
    for (step = 0; step < 2000u; step++) {
        bh_stats s;
        churn_step(&g_churn);
        s = bt_stats(heap);
        assert_int_equal((uint32_t)(s.alloc_count - s.free_count), (uint32_t)s.live_blocks);
    }
    churn_free_all(&g_churn);
}

static void test_stats_largest_free(void **state)
{
    uint32_t seed;
    (void)state;

    /* Two free blocks of one class, the smaller first on its list, nothing
     * else free: the figure is the larger one's when a request's probe of
     * the class reaches it (BAREHEAP_PROBE_LIMIT 2 and up), and that request
     * gets it; at a limit of 1 the probe sees the first block only, and so
     * does the figure. 64 and 65 grains share a class at every SL_LOG2. */
    {
        bh_heap *heap = fresh_heap();
        size_t g = bh_alignment(), small = 64u * g - bh_block_overhead(), large = 65u * g - bh_block_overhead();
        void *a = bh_alloc(heap, small), *g1 = bh_alloc(heap, 1), *b = bh_alloc(heap, large);
        void *g2 = bh_alloc(heap, 1), *rest;
        assert_non_null(a);
        assert_non_null(g1);
        assert_non_null(b);
        assert_non_null(g2);
        rest = bh_alloc(heap, bt_stats(heap).largest_free_bytes);
        assert_non_null(rest);
        bh_free(heap, b);
        bh_free(heap, a); /* the list: a, then b */
        if (BAREHEAP_PROBE_LIMIT >= 2) {
            assert_int_equal(bt_stats(heap).largest_free_bytes, large);
            assert_ptr_equal(bh_alloc(heap, large), b);
            bh_free(heap, b);
        } else {
            assert_int_equal(bt_stats(heap).largest_free_bytes, small);
            assert_null(bh_alloc(heap, large));
        }
        bh_free(heap, rest);
        bh_free(heap, g1);
        bh_free(heap, g2);
        assert_int_equal(bh_check(heap), 0);
    }

    /* fresh: the whole free block */
    {
        bh_heap *heap = fresh_heap();
        bh_stats s = bt_stats(heap);
        void *p = bh_alloc(heap, s.largest_free_bytes);
        assert_non_null(p);
        s = bt_stats(heap);
        assert_true(s.free_bytes < bh_min_block_size());
        assert_true(s.largest_free_bytes <= s.free_bytes);
        bh_free(heap, p);
    }
    /* after churn: the figure is always served */
    for (seed = 10; seed < 16u; seed++) {
        bh_heap *heap = fresh_heap();
        size_t step;
        churn_init(&g_churn, heap, seed, 6000);
        for (step = 0; step < 1500u; step++) {
            churn_step(&g_churn);
            if (step % 50u == 49u) {
                bh_stats s = bt_stats(heap);
                bt_walk(heap, &g_walk, 0);
                assert_true(s.largest_free_bytes <= g_walk.max_free_usable);
                if (g_walk.max_free_usable > 0u) {
                    /* at least the class below the largest block */
                    assert_true(s.largest_free_bytes + bh_block_overhead() + bh_alignment() >=
                                g_walk.max_free_size / 2u);
                }
                if (s.largest_free_bytes > 0u) {
                    void *p = bh_alloc(heap, s.largest_free_bytes);
                    assert_non_null(p);
                    s = bt_stats(heap);
                    assert_true(s.peak_used_bytes >= s.used_bytes);
                    bh_free(heap, p);
                    /* the model's peak moves with this extra block */
                    g_churn.peak_lo = s.peak_used_bytes;
                    if (g_churn.peak_hi < s.peak_used_bytes) {
                        g_churn.peak_hi = s.peak_used_bytes;
                    }
                }
            }
        }
        churn_free_all(&g_churn);
    }
}

/* More free blocks in the highest non-empty class than a request probes,
 * the largest of them out of the probe's reach (freed first: last on its
 * list). largest_free_bytes counts only the blocks a request examines, so
 * the figure is served. */
static void test_stats_largest_free_beyond_probe(void **state)
{
    enum { N = BAREHEAP_PROBE_LIMIT + 1 };
    size_t heap_bytes = S(192u * 1024u);
    bh_heap *heap = fresh_heap_in(g_region_mem.b, heap_bytes);
    /* 2 * SL_COUNT grains: the minimum of a class two grains wide */
    size_t block = ((size_t)2 << BAREHEAP_SL_LOG2) * bh_alignment();
    void *x[N], *sep[N], *rest, *p;
    size_t i;
    bh_stats s;
    (void)state;

    assert_true(N * (block + bh_alignment() + bh_min_block_size()) < heap_bytes - S(16384));
    for (i = 0; i < N; i++) {
        /* the first one grain larger: the same class */
        x[i] = bh_alloc(heap, block - bh_block_overhead() + (i == 0u ? bh_alignment() : 0u));
        sep[i] = bh_alloc(heap, 0);
        assert_non_null(x[i]);
        assert_non_null(sep[i]);
    }
    rest = bh_alloc(heap, bt_stats(heap).largest_free_bytes);
    assert_non_null(rest);
    for (i = 0; i < N; i++) {
        bh_free(heap, x[i]);
    }
    s = bt_stats(heap);
    assert_int_equal(s.free_blocks, N);
    assert_int_equal(s.largest_free_bytes, block - bh_block_overhead());
    p = bh_alloc(heap, s.largest_free_bytes);
    assert_non_null(p);
    bh_free(heap, p);
    bh_free(heap, rest);
    for (i = 0; i < N; i++) {
        bh_free(heap, sep[i]);
    }
    assert_int_equal(bt_stats(heap).free_blocks, 1);
    assert_no_errors();
    assert_int_equal(bh_check(heap), 0);
}

/* ---- Walk ---- */

typedef struct order_check {
    const void *last;
    unsigned last_region;
    size_t calls;
} order_check;

static bool order_fn(void *context, const bh_block_info *b)
{
    order_check *o = (order_check *)context;
    if (o->calls > 0u && b->region == o->last_region) {
        if ((uintptr_t)b->ptr <= (uintptr_t)o->last) {
            return false; /* makes the count come out short */
        }
    }
    o->last = b->ptr;
    o->last_region = b->region;
    o->calls++;
    return true;
}

static void test_walk(void **state)
{
    bh_heap *heap = fresh_heap();
    void *p[20];
    size_t i, n;
    order_check o;
    (void)state;

    for (i = 0; i < 20u; i++) {
        p[i] = bh_alloc(heap, S(32u + i * 16u));
        assert_non_null(p[i]);
    }
    for (i = 1; i < 20u; i += 3u) {
        bh_free(heap, p[i]);
    }
    bt_assert_walk_consistent(heap, &g_walk);
    assert_int_equal(g_walk.used_blocks, 20u - 7u);
    assert_true(g_walk.free_blocks >= 7u);
    for (i = 0; i < 20u; i++) {
        size_t k = bt_walk_find(&g_walk, p[i]);
        if (i % 3u != 1u) {
            assert_true(k != SIZE_MAX);
            assert_true(g_walk.block[k].used);
            assert_true(g_walk.block[k].usable_bytes >= S(32u + i * 16u));
        } else if (k != SIZE_MAX) {
            assert_false(g_walk.block[k].used);
        }
    }

    memset(&o, 0, sizeof(o));
    n = bh_walk(heap, order_fn, &o);
    assert_int_equal(n, g_walk.count);
    assert_int_equal(o.calls, g_walk.count);

    /* stopping early */
    assert_int_equal(bt_walk(heap, &g_walk, 1), 1);
    assert_int_equal(g_walk.count, 1);
    assert_int_equal(bt_walk(heap, &g_walk, 3), 3);
    assert_int_equal(g_walk.count, 3);
    for (i = 0; i < 20u; i++) {
        if (i % 3u != 1u) {
            bh_free(heap, p[i]);
        }
    }
    assert_int_equal(bt_walk(heap, &g_walk, 0), 1);
    assert_no_errors();
}

/* ---- bh_trim(): free tails offered, nothing else ---- */

typedef struct trim_log {
    unsigned calls;
    unsigned char *lo[4];
    size_t bytes[4];
} trim_log;

/* Records the range and scribbles over it, as an OS that zeroes or drops
 * the pages would: the heap must not need a byte of it. */
static void trim_scribble(void *context, void *lo, size_t size_bytes)
{
    trim_log *log = (trim_log *)context;
    if (log->calls < BT_ARRAY_LEN(log->lo)) {
        log->lo[log->calls] = (unsigned char *)lo;
        log->bytes[log->calls] = size_bytes;
    }
    log->calls++;
    memset(lo, 0xA5, size_bytes);
}

static void trim_never(void *context, void *lo, size_t size_bytes)
{
    (void)context;
    (void)lo;
    (void)size_bytes;
    fail_msg("bh_trim called back when it must not");
}

static void test_trim(void **state)
{
    bh_heap *heap = fresh_heap();
    unsigned char *p[8], *last_free;
    trim_log log;
    size_t offered, i, n;
    bh_stats s;
    (void)state;

    assert_int_equal(bh_trim(NULL, 0, trim_never, NULL), 0);
    assert_int_equal(bh_trim(heap, 0, NULL, NULL), 0);

    for (i = 0; i < BT_ARRAY_LEN(p); i++) {
        p[i] = (unsigned char *)bh_alloc(heap, 1000u + i * 100u);
        assert_non_null(p[i]);
        bt_fill(p[i], 1000u + i * 100u, (uint32_t)i);
    }
    /* The last two merge with the free tail; the one before stays free
     * below a used block and is not offered. */
    bh_free(heap, p[3]);
    bh_free(heap, p[7]);
    bh_free(heap, p[6]);
    last_free = p[6];
    memset(&log, 0, sizeof(log));
    offered = bh_trim(heap, 0, trim_scribble, &log);
#if BAREHEAP_DEBUG >= 2
    /* Free memory is poisoned: nothing may change under it. */
    assert_int_equal(offered, 0);
    assert_int_equal(log.calls, 0);
    (void)last_free;
    (void)s;
    (void)n;
#else
    s = bt_stats(heap);
    assert_int_equal(log.calls, 1);
    assert_int_equal(offered, log.bytes[0]);
    /* From just past the merged block's links to just before its footer:
     * the block starts one word below p[6]'s payload. */
    assert_ptr_equal(log.lo[0], last_free + 2u * sizeof(void *));
    assert_true(offered > HEAP_BYTES / 2u && offered < s.free_bytes);
    assert_int_equal(bh_check(heap), 0);

    /* keep_bytes leaves the front of the block; too much leaves all. */
    memset(&log, 0, sizeof(log));
    n = bh_trim(heap, 4096, trim_scribble, &log);
    assert_int_equal(log.calls, 1);
    assert_ptr_equal(log.lo[0], last_free - sizeof(size_t) + 4096u);
    assert_int_equal(n, offered - (4096u - 3u * sizeof(size_t)));
    assert_int_equal(bh_trim(heap, HEAP_BYTES, trim_never, NULL), 0);

    /* The scribbled memory serves allocations as before, and every live
     * block kept its bytes. */
    n = 0;
    for (i = 0; i < 64u; i++) {
        void *q = bh_alloc(heap, 512);
        if (!q)
            break;
        memset(q, 0x3C, 512);
        n++;
    }
    assert_true(n > 40u);
    for (i = 0; i < 6u; i++)
        if (i != 3u)
            assert_true(bt_verify(p[i], 1000u + i * 100u, (uint32_t)i));
    assert_int_equal(bh_check(heap), 0);

    /* A used last block: nothing is offered, not even the free block
     * further down. */
    heap = fresh_heap();
    p[0] = (unsigned char *)bh_alloc(heap, 1000);
    assert_non_null(p[0]);
    while (bt_stats(heap).largest_free_bytes > 0)
        assert_non_null(bh_alloc(heap, bt_stats(heap).largest_free_bytes));
    bh_free(heap, p[0]);
    assert_int_equal(bh_trim(heap, 0, trim_never, NULL), 0);
    assert_no_errors();
    /* A write past the last used block reaches the sentinel first: reported,
     * nothing offered. */
    n = bt_walk(heap, &g_walk, 0);
    assert_true(n >= 2u && n == g_walk.count);
    {
        const bh_block_info *last = &g_walk.block[g_walk.count - 1u];
        size_t *sentinel = (size_t *)(void *)((unsigned char *)last->ptr - sizeof(size_t) + last->size_bytes);
        assert_true(last->used);
        assert_int_equal(*sentinel, 0);
        *sentinel = (size_t)0x41414141u;
        assert_int_equal(bh_trim(heap, 0, trim_never, NULL), 0);
        assert_int_equal(g_errors.count, 1);
        assert_int_equal(g_errors.kind[0], BH_ERROR_CORRUPTION);
        assert_ptr_equal(g_errors.address[0], sentinel);
        bt_errors_clear(&g_errors);
        *sentinel = 0;
        assert_int_equal(bh_check(heap), 0);
    }

    /* A free last block of the minimum size: where that is four words it has
     * nothing past its links, and there is no call with 0 bytes; a grain
     * wider than that leaves it an interior, which is offered. */
    heap = fresh_heap();
    {
        size_t whole = bt_stats(heap).free_bytes;
        size_t inner = bh_min_block_size() - 4u * sizeof(size_t);
        p[0] = (unsigned char *)bh_alloc(heap, whole - bh_min_block_size() - bh_block_overhead());
        assert_non_null(p[0]);
        assert_int_equal(bt_walk(heap, &g_walk, 0), 2);
        assert_false(g_walk.block[1].used);
        assert_int_equal(g_walk.block[1].size_bytes, bh_min_block_size());
        if (inner == 0) {
            assert_int_equal(bh_trim(heap, 0, trim_never, NULL), 0);
        } else {
            memset(&log, 0, sizeof(log));
            assert_int_equal(bh_trim(heap, 0, trim_scribble, &log), inner);
            assert_int_equal(log.calls, 1);
            assert_int_equal(log.bytes[0], inner);
        }
    }

    /* A footer that disagrees with its header is reported and not trusted:
     * believed, it would offer live blocks. */
    heap = fresh_heap();
    p[0] = (unsigned char *)bh_alloc(heap, 256);
    assert_non_null(p[0]);
    assert_int_equal(bt_walk(heap, &g_walk, 0), 2);
    assert_false(g_walk.block[1].used);
    {
        unsigned char *tail = (unsigned char *)g_walk.block[1].ptr - sizeof(size_t);
        unsigned char *sentinel = tail + g_walk.block[1].size_bytes;
        size_t *footer = (size_t *)(void *)(sentinel - sizeof(size_t));
        size_t saved = *footer;
        *footer = saved + g_walk.block[0].size_bytes;
        s = bt_stats(heap);
        assert_int_equal(bh_trim(heap, 0, trim_never, NULL), 0);
        assert_int_equal(bt_stats(heap).error_count, s.error_count + 1u);
        assert_int_equal(g_errors.count, 1);
        assert_int_equal(g_errors.kind[0], BH_ERROR_CORRUPTION);
        assert_ptr_equal(g_errors.address[0], sentinel);
        bt_errors_clear(&g_errors);
        *footer = saved;
        assert_int_equal(bh_check(heap), 0);
    }
#endif
    assert_no_errors();
}

#if BAREHEAP_DEBUG < 2 && BAREHEAP_MAX_REGIONS >= 2
/* Every region's free tail is offered, not the first region's alone: one
 * call per region, each range inside its own region, the sum returned. */
static void test_trim_every_region(void **state)
{
    bh_heap *heap = fresh_heap();
    unsigned char *added = bt_align_up(g_region_mem.b, bh_alignment());
    unsigned char *main_base = bt_align_up(g_main_mem.b, bh_alignment());
    trim_log log;
    size_t offered;
    (void)state;
    assert_true(bh_add_region(heap, added, S(64 * 1024)));
    memset(&log, 0, sizeof(log));
    offered = bh_trim(heap, 0, trim_scribble, &log);
    assert_int_equal(log.calls, 2);
    assert_int_equal(offered, log.bytes[0] + log.bytes[1]);
    /* fresh_heap() aligns its base to the grain, up to a page in */
    assert_true(log.lo[0] >= main_base && log.lo[0] + log.bytes[0] <= main_base + HEAP_BYTES);
    assert_true(log.lo[1] >= added && log.lo[1] + log.bytes[1] <= added + S(64 * 1024));
    assert_int_equal(bh_check(heap), 0);
    assert_no_errors();
}
#endif

#if BAREHEAP_DEFAULT_HEAP
/* ---- Default heap after heap_init() ---- */

static void test_default_heap(void **state)
{
    unsigned char *mem = bt_align_up(g_default_mem.b, bh_alignment());
    unsigned char *mem2 = bt_align_up(g_default_mem2.b, bh_alignment());
    unsigned char *p, *q, *r, *z;
    bh_stats s;
    bh_heap *first;
    (void)state;

    assert_true(heap_init(mem, S(32 * 1024)));
    first = heap_default();
    assert_non_null(first);
    assert_true(in_range(first, mem, S(32 * 1024)));
    assert_int_equal(heap_check(), 0);

    p = (unsigned char *)heap_alloc(100);
    assert_non_null(p);
    assert_true(in_range(p, mem, S(32 * 1024)));
    assert_true(heap_usable_size(p) >= 100u);
    memset(p, 0x61, 100);
    q = (unsigned char *)heap_calloc(10, 10);
    assert_non_null(q);
    assert_true(bt_all_bytes(q, 100, 0));
    r = (unsigned char *)heap_alloc_aligned(S(512), 40);
    assert_non_null(r);
    assert_true(bt_is_aligned(r, S(512)));
    p = (unsigned char *)heap_realloc(p, S(3000));
    assert_non_null(p);
    assert_true(bt_all_bytes(p, 100, 0x61));
    z = (unsigned char *)heap_alloc(0);
    assert_non_null(z);
    assert_null(heap_alloc(SIZE_MAX));
    assert_null(heap_calloc(SIZE_MAX, 2));
    assert_null(heap_alloc_aligned(3, 8));
    assert_null(heap_realloc(z, 0));

    assert_true(heap_get_stats(&s));
    assert_int_equal(s.live_blocks, 3);
    assert_int_equal(s.heap_bytes, S(32 * 1024));
    assert_int_equal(heap_check(), 0);
    assert_int_equal(bh_check(heap_default()), 0);

    /* the handle works with the bh_* functions */
    bh_set_error_handler(heap_default(), bt_record_error, &g_errors);
    bt_errors_clear(&g_errors);
#if BAREHEAP_DEBUG >= 1
    heap_free(p + 1);
    assert_one_error(BH_ERROR_MISALIGNED, p + 1);
    assert_int_equal(heap_usable_size(p + bh_alignment()), 0);
    assert_one_error(BH_ERROR_INVALID_POINTER, p + bh_alignment());
#endif
    bt_assert_walk_consistent(heap_default(), &g_walk);
    assert_int_equal(g_walk.used_blocks, 3);

#if BAREHEAP_MAX_REGIONS >= 2
    assert_true(heap_add_region(mem2, S(16 * 1024)));
    assert_false(heap_add_region(mem2, S(16 * 1024)));
    assert_false(heap_add_region(NULL, 4096));
    assert_true(heap_get_stats(&s));
    assert_int_equal(s.region_count, 2);
    z = (unsigned char *)heap_alloc(S(14 * 1024));
    assert_non_null(z);
    bt_walk(heap_default(), &g_walk, 0);
    assert_int_equal(g_walk.block[g_walk.count - 1u].region, 1);
    heap_free(z);
#else
    assert_false(heap_add_region(mem2, S(16 * 1024)));
#endif
    heap_free(NULL);
    heap_free(p);
    heap_free(q);
    heap_free(r);
    assert_no_errors();
    assert_true(heap_get_stats(&s));
    assert_int_equal(s.live_blocks, 0);
    assert_int_equal(s.used_bytes, 0);
    assert_int_equal(heap_check(), 0);

    /* heap_init() again starts a new heap */
    p = (unsigned char *)heap_alloc(50);
    assert_non_null(p);
    assert_true(heap_init(mem2, S(16 * 1024)));
    assert_non_null(heap_default());
    assert_true(in_range(heap_default(), mem2, S(16 * 1024)));
    assert_true(heap_get_stats(&s));
    assert_int_equal(s.heap_bytes, S(16 * 1024));
    assert_int_equal(s.region_count, 1);
    assert_int_equal(s.live_blocks, 0);
    assert_int_equal(s.alloc_count, 0);
    assert_int_equal(s.error_count, 0);
    p = (unsigned char *)heap_alloc(50);
    assert_non_null(p);
    assert_true(in_range(p, mem2, S(16 * 1024)));
    heap_free(p);
    assert_int_equal(heap_check(), 0);
#if BAREHEAP_MAX_REGIONS >= 2
    /* the first memory is not part of the new heap */
    assert_true(heap_add_region(mem, S(32 * 1024)));
#endif
    assert_int_equal(heap_check(), 0);
}
/* A heap_init() that fails keeps the default heap and its live blocks. */
static void test_default_heap_failed_reinit(void **state)
{
    unsigned char *mem = bt_align_up(g_default_mem.b, bh_alignment());
    unsigned char *p;
    bh_heap *h;
    (void)state;
    assert_true(heap_init(mem, S(32 * 1024)));
    h = heap_default();
    p = (unsigned char *)heap_alloc(100);
    assert_non_null(p);
    memset(p, 0x3C, 100);
    assert_false(heap_init(NULL, 4096));
    assert_false(heap_init(mem, 8));
    assert_ptr_equal(heap_default(), h);
    assert_true(heap_usable_size(p) >= 100u);
    assert_true(bt_all_bytes(p, 100, 0x3C));
    heap_free(p);
    assert_int_equal(heap_check(), 0);
    {
        bh_stats s;
        assert_true(heap_get_stats(&s));
        assert_int_equal(s.live_blocks, 0);
    }
}
/* heap_init_ex(): the default heap with bh_init_ex()'s class table. A
 * failure keeps the heap there was. */
static void test_default_heap_init_ex(void **state)
{
    unsigned char *mem = bt_align_up(g_default_mem.b, bh_alignment());
    unsigned char *p;
    bh_heap *h;
    bh_stats s;
    (void)state;
    assert_true(heap_init_ex(mem, S(16 * 1024), S(1024 * 1024)));
    h = heap_default();
    assert_true(in_range(h, mem, S(16 * 1024)));
    assert_true(heap_get_stats(&s));
    assert_int_equal(s.control_bytes, bh_control_size(S(1024 * 1024)));
    /* Larger than the first region's own table, but for a grain (4096)
     * that rounds both up to the same size. */
    assert_true(s.control_bytes >= bh_control_size(S(16 * 1024)));
    if (bh_alignment() <= 64u)
        assert_true(s.control_bytes > bh_control_size(S(16 * 1024)));
    assert_int_equal(s.heap_bytes, S(16 * 1024));
    p = (unsigned char *)heap_alloc(100);
    assert_non_null(p);
    memset(p, 0x5D, 100);
    assert_false(heap_init_ex(NULL, 4096, S(1024 * 1024)));
    assert_false(heap_init_ex(mem, 8, 0));
    assert_ptr_equal(heap_default(), h);
    assert_true(bt_all_bytes(p, 100, 0x5D));
    heap_free(p);
    assert_int_equal(heap_check(), 0);
    /* A max_region_bytes at or below the size changes nothing. */
    assert_true(heap_init_ex(mem, S(16 * 1024), S(4096)));
    assert_true(heap_get_stats(&s));
    assert_int_equal(s.control_bytes, bh_control_size(S(16 * 1024)));
}
#endif /* BAREHEAP_DEFAULT_HEAP */

#if (BAREHEAP_DEBUG >= 2)
/* An interior pointer whose preceding word is a size reaching the host's real
 * end: the seal refuses it (below level 2 this is undefined, bareheap.h). */
static void test_forged_header_at_block_boundary(void **state)
{
    bh_heap *heap = victim_heap();
    unsigned char *host = g_victim[9];
    size_t host_block = g_victim_usable[9] + bh_block_overhead();
    size_t off = 2u * bh_alignment();
    size_t *word = (size_t *)(void *)(host + off - sizeof(size_t));
    bh_stats before, after;
    (void)state;
    host_block = (host_block + bh_alignment() - 1u) & ~(bh_alignment() - 1u);
    *word = host_block - off;
    before = bt_stats(heap);
    bh_free(heap, host + off);
    assert_int_equal(g_errors.count, 1);
    bt_errors_clear(&g_errors);
    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, BT_IGNORE_ERRORS);
    assert_int_equal(bh_check(heap), 0);
    g_victim[9] = NULL;
    bh_free(heap, host);
    assert_victims_intact(heap);
}
#endif

int main(void)
{
    /* static: on the boards a frame stays within the 1 KiB stack guard */
    static const struct CMUnitTest tests[] = {
#if BAREHEAP_DEFAULT_HEAP
        /* first: the default heap has never been initialised */
        cmocka_unit_test(test_default_heap_before_init),
#endif
        cmocka_unit_test(test_size_queries),
        cmocka_unit_test(test_error_name),
        cmocka_unit_test(test_init_rejects),
        cmocka_unit_test(test_init_minimal_size),
        cmocka_unit_test(test_init_stays_inside_region),
        cmocka_unit_test(test_init_misaligned_base),
        cmocka_unit_test(test_init_fresh_stats),
        cmocka_unit_test(test_init_ex),
        cmocka_unit_test(test_alloc_null_heap),
        cmocka_unit_test(test_null_heap_others),
        cmocka_unit_test(test_alloc_zero),
        cmocka_unit_test(test_alloc_alignment_and_usable),
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_calloc_zeroing),
        cmocka_unit_test(test_calloc_overflow),
        cmocka_unit_test(test_aligned_size_bounds),
        cmocka_unit_test(test_huge_sizes),
        cmocka_unit_test(test_aligned_invalid),
        cmocka_unit_test(test_aligned_powers_of_two),
        cmocka_unit_test(test_aligned_cost),
        cmocka_unit_test(test_aligned_probe_budget),
        cmocka_unit_test(test_realloc_null_and_zero),
        cmocka_unit_test(test_realloc_shrink_in_place),
        cmocka_unit_test(test_realloc_grow_next),
        cmocka_unit_test(test_realloc_grow_prev),
        cmocka_unit_test(test_realloc_shrink_by_a_minimum_block),
        cmocka_unit_test(test_realloc_grow_exactly_into_neighbours),
        cmocka_unit_test(test_realloc_move),
        cmocka_unit_test(test_realloc_failure_keeps_block),
        cmocka_unit_test(test_realloc_keeps_alignment),
        cmocka_unit_test(test_realloc_aligned_at_lucky_address),
        cmocka_unit_test(test_realloc_aligned_random),
#if BAREHEAP_DEBUG >= 1
        cmocka_unit_test(test_invalid_foreign),
        cmocka_unit_test(test_invalid_interior),
        cmocka_unit_test(test_invalid_forged_header),
        cmocka_unit_test(test_invalid_forged_implausible_size),
#if (BAREHEAP_DEBUG >= 2)
        cmocka_unit_test(test_forged_header_at_block_boundary),
#endif
        cmocka_unit_test(test_invalid_misaligned),
        cmocka_unit_test(test_double_free),
        cmocka_unit_test(test_double_free_after_merge),
#if (BAREHEAP_DEBUG >= 2)
        cmocka_unit_test(test_free_into_poison_is_invalid),
        cmocka_unit_test(test_write_after_free_is_no_mark),
        cmocka_unit_test(test_damaged_free_block_not_handed_out),
#endif
        cmocka_unit_test(test_invalid_with_null_handler),
        cmocka_unit_test(test_invalid_handler_longjmp),
#endif
        cmocka_unit_test(test_add_region_rejects),
        cmocka_unit_test(test_add_region_overlap_in_slack),
#if BAREHEAP_MAX_REGIONS >= 3
        cmocka_unit_test(test_add_region_serves),
#endif
#if BAREHEAP_MAX_REGIONS >= 2
        cmocka_unit_test(test_free_in_added_region),
#endif
        cmocka_unit_test(test_add_region_limit),
        cmocka_unit_test(test_check_sound_after_churn),
        cmocka_unit_test(test_check_does_not_modify),
        cmocka_unit_test(test_check_detects_corruption),
        cmocka_unit_test(test_stats_counts),
        cmocka_unit_test(test_stats_realloc_counts),
        cmocka_unit_test(test_stats_peak_realloc_in_place),
        cmocka_unit_test(test_fit_policy),
        cmocka_unit_test(test_stats_peak_across_regions),
        cmocka_unit_test(test_stats_counts_balance),
        cmocka_unit_test(test_stats_largest_free),
        cmocka_unit_test(test_stats_largest_free_beyond_probe),
        cmocka_unit_test(test_walk),
        cmocka_unit_test(test_trim),
#if BAREHEAP_DEBUG < 2 && BAREHEAP_MAX_REGIONS >= 2
        cmocka_unit_test(test_trim_every_region),
#endif
#if BAREHEAP_DEFAULT_HEAP
        cmocka_unit_test(test_default_heap),
        cmocka_unit_test(test_default_heap_failed_reinit),
        cmocka_unit_test(test_default_heap_init_ex),
#endif
    };
    return cmocka_run_group_tests_name("bareheap_api", tests, NULL, NULL);
}
