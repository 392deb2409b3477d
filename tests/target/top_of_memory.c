/*
 * Heap memory that ends at the top of the address space: mem + size_bytes
 * is 2^32, which wraps to 0. Runs on the boards that have RAM there
 * (board_top_memory(): x86 and ARM virt), on its last 16 KiB, and fails on a
 * board without it. Built twice: against the library's configuration and
 * with BAREHEAP_DEBUG=2 and an 8-byte grain (as on Cortex-M and RISC-V 32),
 * where the write-after-free check's bound, three words past the block it
 * hands out, wraps to 0 for a block that ends at the top sentinel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "board.h"
#include "test_support.h"

#define SLOTS 96
#define TOP_BYTES 16384u /* of the board's top memory: what SLOTS blocks fill */
#define LOW_BYTES 2048u /* a heap below, for the top memory to be added to */

static unsigned char *top;   /* board_top_memory() */
static size_t top_bytes;
BT_HEAP_BUFFER(low_memory, LOW_BYTES);

static int setup(void **state) {
    (void)state;
    top = (unsigned char *)board_top_memory(&top_bytes);
    if (top == NULL || top_bytes < TOP_BYTES || (uintptr_t)top + (top_bytes - 1u) != UINTPTR_MAX) {
        print_error("no memory at the top of the address space on this board\n");
        return -1;
    }
    if (top_bytes > TOP_BYTES) {
        top += top_bytes - TOP_BYTES;
        top_bytes = TOP_BYTES;
    }
    return 0;
}

/* A heap in low memory, smaller than any request below that must be served
 * at the top; its class table is sized for itself only (bh_init), so the
 * top region's large blocks share its top class. */
static bh_heap *low_heap_make(void) {
    bh_heap *heap = bh_init(bt_align_up(low_memory.b, bh_alignment()), LOW_BYTES);
    assert_non_null(heap);
    return heap;
}

/* Fills the heap with random requests (the last ones take whatever free
 * block is largest, up to the sentinel at the top), checks every block's
 * contents and frees them all. */
static void fill_and_free_all(bh_heap *heap, uint32_t seed) {
    static void *slot[SLOTS];
    static size_t slot_bytes[SLOTS];
    bt_rng rng;
    size_t i, n = 0;
    bool reached_top = false;
    bt_rng_seed(&rng, seed);
    /* Allocate until the heap is full: the last blocks lie against the
     * sentinel at the top. */
    while (n < SLOTS) {
        size_t bytes = bt_rng_range(&rng, 1u, 700u);
        void *p = bh_alloc(heap, bytes);
        if (p == NULL) {
            bh_stats s = bt_stats(heap);
            if (s.largest_free_bytes == 0u) {
                break;
            }
            bytes = s.largest_free_bytes;
            p = bh_alloc(heap, bytes);
            assert_non_null(p);
        }
        bt_fill(p, bytes, seed + (uint32_t)n);
        if ((uintptr_t)p + bytes >= UINTPTR_MAX - 64u) {
            reached_top = true;
        }
        slot[n] = p;
        slot_bytes[n] = bytes;
        n++;
    }
    assert_true(reached_top);
    assert_int_equal(bh_check(heap), 0);
    /* Every other one, then the rest: merges on both sides, up to the top. */
    for (i = 0; i < n; i += 2u) {
        assert_true(bt_verify(slot[i], slot_bytes[i], seed + (uint32_t)i));
        bh_free(heap, slot[i]);
    }
    assert_int_equal(bh_check(heap), 0);
    for (i = 1; i < n; i += 2u) {
        assert_true(bt_verify(slot[i], slot_bytes[i], seed + (uint32_t)i));
        bh_free(heap, slot[i]);
    }
    assert_int_equal(bh_check(heap), 0);
}

/* The whole free block, up to the sentinel, as one request; written to its
 * last usable byte and read back. */
static void use_whole_block(bh_heap *heap) {
    bh_stats s = bt_stats(heap);
    size_t usable;
    unsigned char *p = (unsigned char *)bh_alloc(heap, s.largest_free_bytes);
    assert_non_null(p);
    usable = bh_usable_size(heap, p);
    assert_true(usable >= s.largest_free_bytes);
    assert_true((uintptr_t)p + (usable - 1u) > UINTPTR_MAX - 2u * bh_alignment() - 2u * sizeof(size_t));
    bt_fill(p, usable, 77u);
    assert_int_equal(bh_check(heap), 0);
    assert_true(bt_verify(p, usable, 77u));
    bh_free(heap, p);
    assert_int_equal(bh_check(heap), 0);
}

typedef struct trim_log {
    unsigned calls;
    uintptr_t lo, size_bytes;
} trim_log;

static void trim_record(void *context, void *lo, size_t size_bytes) {
    trim_log *log = (trim_log *)context;
    log->calls++;
    log->lo = (uintptr_t)lo;
    log->size_bytes = size_bytes;
}

/* The walk reaches the block against the sentinel, and the trim offers that
 * block's inside, ending below the unused top grain (the offered range's
 * end is an address: no wrap). */
static void walk_and_trim(bh_heap *heap) {
    static bt_walk_log walk;
    trim_log trimmed = {0u, 0u, 0u};
    const bh_block_info *last;
    size_t offered;
    unsigned char *p = (unsigned char *)bh_alloc(heap, 100u);
    assert_non_null(p);
    bt_assert_walk_consistent(heap, &walk);
    assert_int_equal(walk.count, 2);
    last = &walk.block[1];
    assert_false(last->used);
    assert_int_equal((uintptr_t)last->ptr + last->size_bytes - sizeof(size_t),
                     (uintptr_t)0 - bh_alignment() - sizeof(size_t));
    offered = bh_trim(heap, 0u, trim_record, &trimmed);
#if (BAREHEAP_DEBUG >= 2)
    assert_int_equal(offered, 0); /* free memory holds poison */
    assert_int_equal(trimmed.calls, 0);
#else
    assert_int_equal(trimmed.calls, 1);
    assert_int_equal(offered, trimmed.size_bytes);
    assert_true(trimmed.lo > (uintptr_t)p);
    assert_true(trimmed.size_bytes > 0u &&
                trimmed.size_bytes <= (uintptr_t)0 - bh_alignment() - sizeof(size_t) - trimmed.lo);
    memset((void *)trimmed.lo, 0x3C, trimmed.size_bytes); /* what a discard may leave */
#endif
    bt_fill(p, 100u, 9u);
    bh_free(heap, p);
    assert_int_equal(bh_check(heap), 0);
    p = (unsigned char *)bh_alloc(heap, bt_stats(heap).largest_free_bytes);
    assert_non_null(p);
    bh_free(heap, p);
    assert_int_equal(bh_check(heap), 0);
}

static void test_init_on_memory_that_ends_at_the_top(void **state) {
    bh_heap *heap = bh_init(top, top_bytes);
    bh_stats s;
    (void)state;
    assert_non_null(heap);
    assert_int_equal(bh_check(heap), 0);
    s = bt_stats(heap);
    assert_int_equal(s.heap_bytes, top_bytes);
    /* All but the control structure, the word below the first block, the
     * sentinel and the top grain, which has no representable end. */
    assert_in_range(s.total_bytes, top_bytes - s.control_bytes - 4u * bh_alignment(),
                    top_bytes - s.control_bytes - bh_alignment());
    assert_int_equal(s.free_blocks, 1);
    fill_and_free_all(heap, 1u);
    fill_and_free_all(heap, 2u);
    use_whole_block(heap);
    s = bt_stats(heap);
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(s.used_bytes, 0);
    walk_and_trim(heap);
}

#if BAREHEAP_MAX_REGIONS >= 2
static void test_region_that_ends_at_the_top(void **state) {
    bh_heap *heap = low_heap_make();
    bh_stats s;
    unsigned char *big, *aligned, *grown;
    (void)state;
    assert_true(bh_add_region(heap, top, top_bytes));
    /* The same memory again, or any part of it, overlaps. */
    assert_false(bh_add_region(heap, top, top_bytes));
    assert_false(bh_add_region(heap, top + top_bytes / 2u, top_bytes / 2u));
    assert_false(bh_add_region(heap, top + top_bytes - 64u, 64u));
    s = bt_stats(heap);
    assert_int_equal(s.region_count, 2);
    assert_int_equal(s.heap_bytes, LOW_BYTES + top_bytes);
    assert_int_equal(bh_check(heap), 0);

    /* More than the first region holds: served at the top ((uintptr_t)
     * offsets, since top + top_bytes is 0 as a pointer). */
    big = (unsigned char *)bh_alloc(heap, 10000u);
    assert_non_null(big);
    assert_true((uintptr_t)big - (uintptr_t)top < top_bytes);
    bt_fill(big, 10000u, 5u);
    aligned = (unsigned char *)bh_alloc_aligned(heap, 1024u, 2000u);
    assert_non_null(aligned);
    assert_true((uintptr_t)aligned - (uintptr_t)top < top_bytes);
    assert_true(bt_is_aligned(aligned, 1024u));
    bt_fill(aligned, 2000u, 6u);
    /* Grows in place into the free block before the sentinel, then gives it back. */
    grown = (unsigned char *)bh_realloc(heap, aligned, 3000u);
    assert_ptr_equal(grown, aligned);
    assert_true(bt_verify(grown, 2000u, 6u));
    grown = (unsigned char *)bh_realloc(heap, grown, 100u);
    assert_ptr_equal(grown, aligned);
    assert_true(bt_verify(grown, 100u, 6u));
    assert_true(bt_verify(big, 10000u, 5u));
    assert_int_equal(bh_check(heap), 0);
    bh_free(heap, grown);
    bh_free(heap, big);
    assert_int_equal(bh_check(heap), 0);
    fill_and_free_all(heap, 3u);
    s = bt_stats(heap);
    assert_int_equal(s.used_bytes, 0);
    assert_int_equal(s.free_blocks, 2);
}
#endif

/* Refused, and not one byte written: the memory is real here, so a write
 * before a refusal would show. */
static void test_refusals_at_the_top_write_nothing(void **state) {
    bh_heap *heap = low_heap_make();
    bh_stats before, after;
    (void)state;
    before = bt_stats(heap);
    memset(top, 0xA5, top_bytes);
    /* one byte past the top: wraps */
    assert_null(bh_init(top, top_bytes + 1u));
    assert_null(bh_init(top + 8, top_bytes));
    assert_false(bh_add_region(heap, top, top_bytes + 1u));
    assert_false(bh_add_region(heap, top + 8, top_bytes));
    /* ending at the top, too small for a block beside the unused top grain */
    assert_null(bh_init((void *)(UINTPTR_MAX - 15u), 16u));
    assert_false(bh_add_region(heap, (void *)(UINTPTR_MAX - 15u), 16u));
    /* too small for a control structure and a block */
    assert_null(bh_init(top + top_bytes - 64u, 64u));
    assert_true(bt_all_bytes(top, top_bytes, 0xA5));
    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, 0);
    assert_int_equal(bh_check(heap), 0);
}

#if (BAREHEAP_DEBUG >= 2)
/* A write through a dangling pointer into the block against the sentinel is
 * found when that block is handed out again, whole: the check's upper bound,
 * a few words past the block, wraps to 0 there. */
static void test_write_after_free_at_the_top_is_found(void **state) {
    bh_heap *heap = bh_init(top, top_bytes);
    bt_errors log;
    bh_stats s;
    unsigned char *p, *q;
    size_t whole;
    (void)state;
    assert_non_null(heap);
    bt_errors_clear(&log);
    bh_set_error_handler(heap, bt_record_error, &log);
    /* The request that takes the whole block, up to the sentinel. */
    s = bt_stats(heap);
    whole = s.largest_free_bytes;
    p = (unsigned char *)bh_alloc(heap, whole);
    assert_non_null(p);
    /* its payload ends at its seal word, a word below the sentinel, which
     * sits a word below the unused top grain */
    assert_int_equal((uintptr_t)p + whole, (uintptr_t)0 - bh_alignment() - 2u * sizeof(size_t));
    bh_free(heap, p);
    p[whole / 2u] ^= 0x5Au; /* after free */
    q = (unsigned char *)bh_alloc(heap, whole);
    assert_null(q);
    /* (At BAREHEAP_DEBUG >= 3 the check after the call reports it again.) */
    assert_true(BAREHEAP_DEBUG >= 3 ? log.count >= 1u : log.count == 1u);
    assert_int_equal(log.kind[0], BH_ERROR_USE_AFTER_FREE);
    assert_ptr_equal(log.address[0], p + whole / 2u);
    /* Nothing was lost: repaired, the block serves the request. */
    p[whole / 2u] ^= 0x5Au;
    q = (unsigned char *)bh_alloc(heap, whole);
    assert_ptr_equal(q, p);
    bh_free(heap, q);
    assert_int_equal(bh_check(heap), 0);
}
#endif

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_on_memory_that_ends_at_the_top),
#if BAREHEAP_MAX_REGIONS >= 2
        cmocka_unit_test(test_region_that_ends_at_the_top),
#endif
        cmocka_unit_test(test_refusals_at_the_top_write_nothing),
#if (BAREHEAP_DEBUG >= 2)
        cmocka_unit_test(test_write_after_free_at_the_top_is_found),
#endif
    };
    (void)argc;
    (void)argv;
    return cmocka_run_group_tests(tests, setup, NULL);
}
