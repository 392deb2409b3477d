/*
 * Requests above PTRDIFF_MAX on a heap large enough to serve them.
 *
 * C's pointer subtraction, and the compilers' reasoning about object sizes,
 * assume no object spans more than PTRDIFF_MAX bytes. A 32-bit target with a
 * heap above 2 GiB (a 32-bit kernel on a PC, a hypervisor's guest) has free
 * blocks that large, so the limit must be the allocator's, not the heap's.
 * The heap here is 2.75 GiB of address space reserved without backing, in a
 * 32-bit process (qemu-i386): only the words the heap writes are touched.
 *
 * Every form of allocation must refuse a request above PTRDIFF_MAX and
 * leave the heap as it was (failed_count aside), with the live block's
 * contents intact; a request of exactly PTRDIFF_MAX bytes is an object C
 * allows, and the heap serves it. Built only in 32-bit trees: no 64-bit heap
 * reaches 2^63 bytes.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE under -std=c99 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "bareheap.h"
#include "bareheap_config.h"
#include "test_support.h"

/* 2.75 GiB: qemu-i386 finds some 2.9 GiB of address space in one piece. */
#define REGION_BYTES ((size_t)11u << 28)
#define KEEP_BYTES 100u

static unsigned char *region;
static bh_heap *heap;
static bt_errors errors;

static int setup(void **state)
{
    void *m;
    (void)state;
    m = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    /* No such stretch of address space: the test cannot run, so it fails. */
    if (m == MAP_FAILED)
        return -1;
    region = (unsigned char *)m;
    heap = bh_init(region, REGION_BYTES);
    if (!heap)
        return -1;
    bt_errors_clear(&errors);
    bh_set_error_handler(heap, bt_record_error, &errors);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (region)
        munmap(region, REGION_BYTES);
    return 0;
}

static void assert_inside_region(const void *p, size_t size_bytes)
{
    uintptr_t lo = (uintptr_t)region, a = (uintptr_t)p;
    assert_true(a >= lo && a - lo <= REGION_BYTES && REGION_BYTES - (a - lo) >= size_bytes);
}

/* The heap could serve all of these but C allows none of them: each is
 * refused, changes nothing but failed_count, and keeps the live block. */
static void test_above_ptrdiff_max_refused(void **state)
{
    const size_t top = (size_t)PTRDIFF_MAX;
    const size_t sizes[] = {top + 1u, top + 2u, top + 4096u, top + (top >> 2), ((size_t)5u << 29) - 64u};
    unsigned char *keep;
    bh_stats before, after;
    size_t i;
    (void)state;

    /* The premise: one free block larger than every size tried. */
    before = bt_stats(heap);
    assert_int_equal(before.free_blocks, 1);
    assert_true(before.free_bytes > ((size_t)5u << 29) + bh_block_overhead());

    keep = (unsigned char *)bh_alloc(heap, KEEP_BYTES);
    assert_non_null(keep);
    bt_fill(keep, KEEP_BYTES, 5);
    before = bt_stats(heap);

    for (i = 0; i < BT_ARRAY_LEN(sizes); i++) {
        size_t s = sizes[i];
        assert_null(bh_alloc(heap, s));
        assert_null(bh_calloc(heap, 1, s));
        assert_null(bh_calloc(heap, s, 1));
        assert_null(bh_alloc_aligned(heap, 2u * bh_alignment(), s));
        assert_null(bh_alloc_aligned(heap, 4096u, s));
        assert_null(bh_realloc(heap, NULL, s));
        assert_null(bh_realloc(heap, keep, s));
        assert_true(bt_verify(keep, KEEP_BYTES, 5));
    }
    /* A product above the limit that does not overflow size_t. */
    assert_null(bh_calloc(heap, 2, (size_t)1 << 30));
    assert_null(bh_calloc(heap, 5, (size_t)1 << 29));

    after = bt_stats(heap);
    bt_assert_stats_equal(&before, &after, BT_IGNORE_FAILED);
    assert_int_equal(after.failed_count - before.failed_count, 7u * BT_ARRAY_LEN(sizes) + 2u);
    /* The stats promise no more than the largest request. */
    assert_int_equal(after.largest_free_bytes, top);
    assert_int_equal(errors.count, 0);
    assert_int_equal(bh_check(heap), 0);
    bh_free(heap, keep);
    assert_int_equal(bt_stats(heap).live_blocks, 0);
}

/* Up to the limit, the heap serves: a plain, an aligned and a grown block of
 * PTRDIFF_MAX bytes (the aligned one a page less, below its limit, which is
 * a few words lower), each inside the region, and the heap is whole
 * afterwards. */
static void test_up_to_ptrdiff_max_served(void **state)
{
    const size_t top = (size_t)PTRDIFF_MAX;
    bh_stats fresh = bt_stats(heap);
    unsigned char *p, *keep, *grown;
    (void)state;

    p = (unsigned char *)bh_alloc(heap, top);
    assert_non_null(p);
    assert_inside_region(p, top);
    assert_true(bh_usable_size(heap, p) >= top);
    p[0] = 1;
    p[top - 1u] = 2;
    bh_free(heap, p);

    p = (unsigned char *)bh_alloc_aligned(heap, 4096u, top - 4096u);
    assert_non_null(p);
    assert_true(bt_is_aligned(p, 4096u));
    assert_inside_region(p, top - 4096u);
    bh_free(heap, p);

    /* In place into the free block after it: the data stays. */
    keep = (unsigned char *)bh_alloc(heap, KEEP_BYTES);
    assert_non_null(keep);
    bt_fill(keep, KEEP_BYTES, 6);
    grown = (unsigned char *)bh_realloc(heap, keep, top);
    assert_ptr_equal(grown, keep);
    assert_true(bt_verify(grown, KEEP_BYTES, 6));
    assert_null(bh_realloc(heap, grown, top + 1u));
    keep = (unsigned char *)bh_realloc(heap, grown, KEEP_BYTES);
    assert_ptr_equal(keep, grown);
    assert_true(bt_verify(keep, KEEP_BYTES, 6));
    bh_free(heap, keep);

    assert_int_equal(errors.count, 0);
    assert_int_equal(bh_check(heap), 0);
    assert_int_equal(bt_stats(heap).free_bytes, fresh.free_bytes);
    assert_int_equal(bt_stats(heap).free_blocks, 1);
}

/* What bh_walk() reports of a block. */
typedef struct {
    size_t count;
    bh_block_info last;
    size_t largest_free_usable;
} walk_seen;

static bool walk_note(void *context, const bh_block_info *info)
{
    walk_seen *w = (walk_seen *)context;
    w->count++;
    w->last = *info;
    if (!info->used && info->usable_bytes > w->largest_free_usable)
        w->largest_free_usable = info->usable_bytes;
    return true;
}

/* The bytes the heap says a caller may use stop at the limit too: a free
 * block's usable_bytes is "the largest request it could serve on its own"
 * and a used block's what bh_usable_size() reports, which the program may
 * use as its object and hand back to realloc. A block of PTRDIFF_MAX bytes
 * has a few bytes of slack past the request; reported, they made an object
 * larger than C allows, and realloc to the usable size failed. */
static void test_usable_sizes_stop_at_the_limit(void **state)
{
    const size_t top = (size_t)PTRDIFF_MAX;
    bh_stats fresh = bt_stats(heap);
    walk_seen w;
    unsigned char *p, *q;
    size_t usable;
    (void)state;

    memset(&w, 0, sizeof w);
    assert_int_equal(bh_walk(heap, walk_note, &w), 1);
    assert_true(w.last.size_bytes > top + bh_block_overhead());
    assert_int_equal(w.largest_free_usable, top);
    assert_int_equal(w.largest_free_usable, fresh.largest_free_bytes);

    p = (unsigned char *)bh_alloc(heap, w.largest_free_usable);
    assert_non_null(p);
    usable = bh_usable_size(heap, p);
    assert_int_equal(usable, top);
    memset(&w, 0, sizeof w);
    (void)bh_walk(heap, walk_note, &w);
    assert_int_equal(w.count, 2);
    /* The used block comes first, the free rest after it. */
    assert_true(w.largest_free_usable < top);
    q = (unsigned char *)bh_realloc(heap, p, usable);
    assert_ptr_equal(q, p);
    assert_int_equal(bh_usable_size(heap, q), top);
    bh_free(heap, q);

    /* An aligned block, grown in place to the limit. */
    p = (unsigned char *)bh_alloc_aligned(heap, 4096u, KEEP_BYTES);
    assert_non_null(p);
    q = (unsigned char *)bh_realloc(heap, p, top);
    assert_ptr_equal(q, p);
    assert_int_equal(bh_usable_size(heap, q), top);
    assert_ptr_equal(bh_realloc(heap, q, bh_usable_size(heap, q)), q);
    bh_free(heap, q);

    assert_int_equal(errors.count, 0);
    assert_int_equal(bh_check(heap), 0);
    assert_int_equal(bt_stats(heap).free_bytes, fresh.free_bytes);
    assert_int_equal(bt_stats(heap).free_blocks, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_above_ptrdiff_max_refused),
        cmocka_unit_test(test_up_to_ptrdiff_max_served),
        cmocka_unit_test(test_usable_sizes_stop_at_the_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
