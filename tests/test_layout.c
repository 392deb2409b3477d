/*
 * Golden block layouts: after each scripted sequence the heap must hold
 * exactly the listed blocks (size, used or free, PREV_FREE flag) in address
 * order, followed by the sentinel. Sizes are written as BLK(request) so the
 * tables hold on 32- and 64-bit targets alike.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bareheap_internal.h"
#include "test_support.h"

/* Request sizes and alignments of the scripts are written for a grain of 16
 * bytes or less; S() scales them with a wider grain, so that the blocks
 * keep their sizes in grains (and their splits), and the heap with them. */
#define S(n) BT_GRAIN_SCALED(n)
#define HEAP_BYTES S(4096u)

static union {
    long double ld;
    void *p;
    unsigned char b[HEAP_BYTES + 64];
} memory;

static bh_heap *heap;

/* Block size for a request: header, payload and (DEBUG >= 2) the seal word,
 * rounded to the grain. */
static size_t BLK(size_t request) {
    size_t bytes = (request + WORD_BYTES + SEAL_WORDS * WORD_BYTES + GRAIN_BYTES - 1u) & ~(GRAIN_BYTES - 1u);
    return bytes < MIN_BLOCK_BYTES ? MIN_BLOCK_BYTES : bytes;
}

typedef struct golden {
    size_t size; /* 0: "the rest of the region" */
    bool used;
} golden;

#define FREE_REST {0, false}
#define USED_REST {0, true}

static size_t region_bytes(void) { return (size_t)(heap->regions[0].hi - heap->regions[0].lo); }

static void expect_layout(const golden *g, size_t count) {
    const region *r = &heap->regions[0];
    uintptr_t a = r->lo;
    size_t i, accounted = 0;
    bool prev_free = false;
    for (i = 0; i < count; i++) {
        block *b = (block *)(void *)a;
        size_t want = g[i].size ? g[i].size : region_bytes() - accounted;
        assert_true(a < r->hi);
        assert_int_equal(block_size(b), want);
        assert_int_equal(block_is_free(b), !g[i].used);
        assert_int_equal(block_is_prev_free(b), prev_free);
        if (!g[i].used)
            assert_int_equal(*block_footer(b), want);
        prev_free = !g[i].used;
        accounted += want;
        a += want;
    }
    /* The sentinel ends the region right after the last block. */
    assert_true(a == r->hi);
    assert_int_equal(block_size((block *)(void *)a), 0);
    assert_int_equal(block_is_prev_free((block *)(void *)a), prev_free);
    assert_int_equal(bh_check(heap), 0);
}

static int setup(void **state) {
    (void)state;
    heap = bh_init(memory.b, HEAP_BYTES);
    return heap ? 0 : -1;
}

static void test_fresh_heap_is_one_free_block(void **state) {
    static const golden g[] = {FREE_REST};
    (void)state;
    expect_layout(g, 1);
    assert_int_equal(heap->free_blocks, 1);
}

static void test_split_then_merge_right_left_both(void **state) {
    void *a, *b, *c;
    (void)state;
    a = bh_alloc(heap, 100);
    b = bh_alloc(heap, 200);
    c = bh_alloc(heap, 300);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    {
        const golden g[] = {{BLK(100), true}, {BLK(200), true}, {BLK(300), true}, FREE_REST};
        expect_layout(g, 4);
    }
    bh_free(heap, b); /* no free neighbour: stays alone */
    {
        const golden g[] = {{BLK(100), true}, {BLK(200), false}, {BLK(300), true}, FREE_REST};
        expect_layout(g, 4);
    }
    bh_free(heap, a); /* merges with the free block after it */
    {
        const golden g[] = {{BLK(100) + BLK(200), false}, {BLK(300), true}, FREE_REST};
        expect_layout(g, 3);
    }
    bh_free(heap, c); /* free on both sides: one block again */
    {
        const golden g[] = {FREE_REST};
        expect_layout(g, 1);
    }
}

static void test_merge_left(void **state) {
    void *a, *b, *c;
    (void)state;
    a = bh_alloc(heap, 40);
    b = bh_alloc(heap, 40);
    c = bh_alloc(heap, 40);
    bh_free(heap, a);
    bh_free(heap, b); /* merges with the free block before it */
    {
        const golden g[] = {{2 * BLK(40), false}, {BLK(40), true}, FREE_REST};
        expect_layout(g, 3);
    }
    bh_free(heap, c);
}

static void test_whole_region_up_to_the_sentinel(void **state) {
    bh_stats s;
    void *p;
    (void)state;
    assert_true(bh_get_stats(heap, &s));
    p = bh_alloc(heap, s.largest_free_bytes);
    assert_non_null(p);
    {
        static const golden g[] = {USED_REST};
        expect_layout(g, 1); /* the sentinel's PREV_FREE is clear */
    }
    assert_null(bh_alloc(heap, 0));
    bh_free(heap, p);
    {
        static const golden g[] = {FREE_REST};
        expect_layout(g, 1);
    }
}

static void test_remainder_too_small_stays_in_the_block(void **state) {
    bh_stats s;
    void *p;
    (void)state;
    assert_true(bh_get_stats(heap, &s));
    /* Leaves less than a minimum block: the whole region is handed out. */
    p = bh_alloc(heap, s.largest_free_bytes - MIN_BLOCK_BYTES + 1u);
    assert_non_null(p);
    {
        static const golden g[] = {USED_REST};
        expect_layout(g, 1);
    }
    bh_free(heap, p);
}

static void test_realloc_shrink_and_grow_in_place(void **state) {
    void *a, *b, *q;
    (void)state;
    a = bh_alloc(heap, S(500));
    b = bh_alloc(heap, S(64));
    q = bh_realloc(heap, a, S(100)); /* the tail becomes a free block */
    assert_ptr_equal(q, a);
    {
        const golden g[] = {{BLK(S(100)), true}, {BLK(S(500)) - BLK(S(100)), false}, {BLK(S(64)), true}, FREE_REST};
        expect_layout(g, 4);
    }
    q = bh_realloc(heap, a, S(300)); /* grows into the free block after it */
    assert_ptr_equal(q, a);
    {
        const golden g[] = {{BLK(S(300)), true}, {BLK(S(500)) - BLK(S(300)), false}, {BLK(S(64)), true}, FREE_REST};
        expect_layout(g, 4);
    }
    q = bh_realloc(heap, b, S(100)); /* the last used block grows into the rest */
    assert_ptr_equal(q, b);
    {
        const golden g[] = {{BLK(S(300)), true}, {BLK(S(500)) - BLK(S(300)), false}, {BLK(S(100)), true}, FREE_REST};
        expect_layout(g, 4);
    }
    bh_free(heap, a);
    bh_free(heap, b);
    {
        static const golden g[] = {FREE_REST};
        expect_layout(g, 1);
    }
}

static void test_realloc_moves_into_the_previous_block(void **state) {
    unsigned char *a, *b, *c, *q;
    size_t i;
    (void)state;
    a = bh_alloc(heap, S(200));
    b = bh_alloc(heap, S(100));
    c = bh_alloc(heap, S(64));
    for (i = 0; i < 100; i++)
        b[i] = (unsigned char)(i + 1);
    bh_free(heap, a);
    q = bh_realloc(heap, b, S(250)); /* next is used, prev is free: move down */
    assert_ptr_equal(q, a);
    for (i = 0; i < 100; i++)
        assert_int_equal(q[i], (unsigned char)(i + 1));
    {
        const golden g[] = {{BLK(S(250)), true},
                            {BLK(S(200)) + BLK(S(100)) - BLK(S(250)), false},
                            {BLK(S(64)), true},
                            FREE_REST};
        expect_layout(g, 4);
    }
    bh_free(heap, q);
    bh_free(heap, c);
}

static void test_aligned_gives_the_front_back(void **state) {
    unsigned char *p, *first;
    size_t front;
    (void)state;
    first = bh_alloc(heap, S(8));
    p = bh_alloc_aligned(heap, S(512), S(100));
    assert_non_null(p);
    assert_true(((uintptr_t)p & (S(512) - 1u)) == 0);
    front = (size_t)(p - first) - BLK(S(8));
    assert_true(front == 0 || front >= MIN_BLOCK_BYTES);
    if (front) {
        const golden g[] = {{BLK(S(8)), true}, {front, false}, {BLK(S(100) + WORD_BYTES), true}, FREE_REST};
        expect_layout(g, 4);
    } else {
        const golden g[] = {{BLK(S(8)), true}, {BLK(S(100) + WORD_BYTES), true}, FREE_REST};
        expect_layout(g, 3);
    }
    /* The block remembers its alignment in its last word. */
    assert_true(block_from_payload(p)->header & FLAG_ALIGNED);
    assert_int_equal(*block_align_word(block_from_payload(p)), S(512));
    assert_true(bh_usable_size(heap, p) >= S(100));
    bh_free(heap, p);
    bh_free(heap, first);
    {
        static const golden g[] = {FREE_REST};
        expect_layout(g, 1);
    }
}

/* An aligned request whose search size (its block, the worst front gap and
 * a minimum block, less a grain) is exactly a class minimum takes a free
 * block of that class, not one of a larger class: the search starts above
 * the class of that size less a grain, as a plain request's does. Here the
 * search size is 64 grains, a power of two and so a class minimum in every
 * configuration, and x is a free block of exactly 64 grains. */
static void test_aligned_search_takes_its_class_minimum(void **state) {
    size_t align = 4u * GRAIN_BYTES, search = 64u * GRAIN_BYTES;
    size_t trailer = (SEAL_WORDS + 1u) * WORD_BYTES; /* the seal and the alignment word */
    size_t block_bytes = search - align - MIN_BLOCK_BYTES + GRAIN_BYTES;
    size_t request = block_bytes - trailer - WORD_BYTES;
    unsigned char *x, *y, *q;
    void *g1, *g2;
    (void)state;
    x = bh_alloc(heap, search - bh_block_overhead()); /* a block of exactly 64 grains */
    g1 = bh_alloc(heap, 1);
    y = bh_alloc(heap, 100u * GRAIN_BYTES);          /* a larger class */
    g2 = bh_alloc(heap, 1);
    assert_non_null(x);
    assert_non_null(g1);
    assert_non_null(y);
    assert_non_null(g2);
    assert_int_equal(block_size(block_from_payload(x)), search);
    assert_int_equal(class_of(search - GRAIN_BYTES) + 1u, class_of(search));
    bh_free(heap, x);
    bh_free(heap, y);
    q = bh_alloc_aligned(heap, align, request);
    assert_non_null(q);
    assert_true(((uintptr_t)q & (align - 1u)) == 0);
    assert_true(q >= x && q < x + search);
    assert_int_equal(bh_check(heap), 0);
}

static void test_size_classes_are_ordered_and_exact_at_minimums(void **state) {
    size_t size;
    unsigned prev = class_of(MIN_BLOCK_BYTES);
    (void)state;
    for (size = MIN_BLOCK_BYTES + GRAIN_BYTES; size < ((size_t)1 << 24); size += GRAIN_BYTES) {
        unsigned c = class_of(size);
        /* Consecutive: a search from the class above another skips none. */
        assert_true(c == prev || c == prev + 1u);
        assert_true(class_min_bytes(c) <= size);
        if (c != prev)
            assert_int_equal(class_min_bytes(c), size);
        /* The split into levels that the bitmaps use. */
        if (CLASS_FL(c) == 0)
            assert_int_equal(c, size / GRAIN_BYTES);
        else
            assert_true(size / GRAIN_BYTES >> (CLASS_FL(c) - 1u) == SL_COUNT + CLASS_SL(c));
        prev = c;
    }
}

/* A region's blocks cover its memory to the grain: the first block sits one
 * word below the first grain boundary that leaves the word below it inside
 * the region, the sentinel one word below the last grain boundary at or
 * before its end. */
static void expect_region_tight(const region *r, uintptr_t lo_raw, uintptr_t hi_raw) {
    assert_int_equal((r->lo + WORD_BYTES) % GRAIN_BYTES, 0);
    assert_true(r->lo >= lo_raw + WORD_BYTES);
    assert_true(r->lo - GRAIN_BYTES < lo_raw + WORD_BYTES);
    assert_int_equal((r->hi + WORD_BYTES) % GRAIN_BYTES, 0);
    assert_true(r->hi + WORD_BYTES <= hi_raw);
    assert_true(r->hi + WORD_BYTES + GRAIN_BYTES > hi_raw);
}

static union {
    long double ld;
    void *p;
    unsigned char b[HEAP_BYTES + 64];
} extra;

static void test_regions_use_their_memory_to_the_grain(void **state) {
    unsigned char *mem = (unsigned char *)(((uintptr_t)memory.b + GRAIN_BYTES - 1u) & ~(uintptr_t)(GRAIN_BYTES - 1u));
    unsigned char *more = (unsigned char *)(((uintptr_t)extra.b + GRAIN_BYTES - 1u) & ~(uintptr_t)(GRAIN_BYTES - 1u));
    /* 1 KiB, or the least every offset takes where the control structure
     * and the grain need more */
    size_t least = bh_control_size(HEAP_BYTES) + 3u * GRAIN_BYTES + MIN_BLOCK_BYTES;
    size_t base = least > 1024u ? least : 1024u;
    size_t k, s;
    (void)state;
    /* every offset and size within a grain: GRAIN_BYTES^2 inits, which a
     * wide grain samples */
    for (k = 0; k < GRAIN_BYTES; k = bt_grain_step(k, 1u)) {
        for (s = 0; s < GRAIN_BYTES; s = bt_grain_step(s, 1u)) {
            size_t size = base + s;
            /* the first region begins after the control structure */
            bh_heap *h = bh_init(mem + k, size);
            assert_non_null(h);
            expect_region_tight(&h->regions[0], (uintptr_t)h + h->control_bytes - WORD_BYTES,
                                (uintptr_t)(mem + k + size));
#if BAREHEAP_MAX_REGIONS >= 2
            /* an added one, with all of its memory */
            assert_true(bh_add_region(h, more + k, size));
            expect_region_tight(&h->regions[1], (uintptr_t)(more + k), (uintptr_t)(more + k + size));
            assert_int_equal(h->total_bytes, (size_t)(h->regions[0].hi - h->regions[0].lo) +
                                                 (size_t)(h->regions[1].hi - h->regions[1].lo));
#else
            (void)more;
#endif
            assert_int_equal(bh_check(h), 0);
        }
    }
}

/* The control structure is its struct, list heads and bitmaps, rounded up
 * to a whole grain and no more. */
static void test_control_bytes_round_to_the_grain(void **state) {
    unsigned shift;
    (void)state;
    for (shift = 4; shift < sizeof(size_t) * CHAR_BIT - 1u; shift++) {
        size_t region_bytes = (size_t)1 << shift;
        unsigned fl = fl_count_for(region_bytes);
        size_t exact = sizeof(bh_heap) + (size_t)fl * SL_COUNT * sizeof(block *) + ((size_t)fl + 1u) * sizeof(uint32_t);
        size_t control = bh_control_size(region_bytes);
        assert_int_equal(control % GRAIN_BYTES, 0);
        assert_true(control >= exact);
        assert_true(control - exact < GRAIN_BYTES);
    }
}

/* Up to direct_request_bytes a request's class, less one grain, is at most
 * the top one, so its search needs no clamp; one byte more and it is above
 * (or, with a table for all of size_t, it is the largest request). */
static void test_direct_requests_end_at_the_top_class(void **state) {
    unsigned fl;
    (void)state;
    for (fl = 1; fl <= fl_count_for(SIZE_MAX); fl++) {
        size_t direct = direct_request_bytes_for(fl);
        unsigned top = fl * SL_COUNT - 1u;
        assert_true(class_of(BLK(direct) - GRAIN_BYTES) <= top);
        if (direct < MAX_REQUEST_BYTES)
            assert_int_equal(class_of(BLK(direct + 1u) - GRAIN_BYTES), top + 1u);
        else
            assert_int_equal(direct, MAX_REQUEST_BYTES);
    }
}

/* A region larger than the heap was planned for holds a block above the
 * top class: requests on both sides of the bound are served from it. */
static void test_requests_beside_the_bound_find_the_large_block(void **state) {
#if BAREHEAP_MAX_REGIONS >= 2
    size_t direct, k;
    (void)state;
    /* A heap planned for an eighth of the buffer, whatever its control
     * structure takes (64 regions make it 1 KiB on 64-bit). */
    heap = bh_init(memory.b, bh_control_size(HEAP_BYTES / 8u) + HEAP_BYTES / 8u);
    assert_non_null(heap);
    assert_true(bh_add_region(heap, extra.b, sizeof extra.b));
    direct = heap->direct_request_bytes;
    assert_true(heap->regions[1].hi - heap->regions[1].lo >= BLK(direct + GRAIN_BYTES));
    /* A grain either side; a wide grain's sampled where its rounding changes
     * (the bound itself included: k == G). */
    for (k = 0; k <= 2u * GRAIN_BYTES; k = bt_grain_step(k, 1u)) {
        size_t n = direct - GRAIN_BYTES + k;
        unsigned char *p = bh_alloc(heap, n);
        assert_true((uintptr_t)p > heap->regions[1].lo && (uintptr_t)p < heap->regions[1].hi);
        assert_int_equal(block_size(block_from_payload(p)), BLK(n));
        assert_int_equal(bh_check(heap), 0);
        bh_free(heap, p);
    }
    assert_int_equal(bh_check(heap), 0);
#else
    (void)state;
#endif
}

/* A plain request's block size and the class its search starts above, as
 * bareheap.c mapped them before direct_request_bytes: the overflow test,
 * then the class of the block size less a grain, clamped to the top class.
 * 0: the request fails. */
static size_t request_map_clamped(const bh_heap *h, size_t n, unsigned *below) {
    size_t bytes;
    if (n > MAX_REQUEST_BYTES)
        return 0;
    bytes = BLK(n);
    *below = heap_class_of(h, bytes - GRAIN_BYTES);
    return bytes;
}

/* alloc_body()'s mapping, request_map(), against the old one. */
static void expect_same_mapping(const bh_heap *h, size_t n) {
    unsigned below = 0, below_clamped = 0;
    size_t bytes = request_map(h, n, &below);
    size_t bytes_clamped = request_map_clamped(h, n, &below_clamped);
    assert_int_equal(bytes, bytes_clamped);
    if (!bytes)
        return;
    assert_int_equal(below, below_clamped);
    /* heads[below] and the search from below + 1 stay in the table (its
     * sl_bitmap word fl_count included), and the block size did not wrap */
    assert_true(below <= h->class_top);
    assert_true(bytes > n && bytes - n >= WORD_BYTES + SEAL_WORDS * WORD_BYTES);
}

/* every n in [lo, lo + count), up to SIZE_MAX */
static void expect_same_mapping_from(const bh_heap *h, size_t lo, size_t count) {
    size_t i;
    for (i = 0; i < count; i++) {
        expect_same_mapping(h, lo + i);
        if (lo + i == SIZE_MAX)
            break;
    }
}

/* For every class table a heap can have, a plain request maps to the block
 * size and start class it did with the overflow test and the clamp: every
 * size within two grains of the bound, within two of the largest request
 * (PTRDIFF_MAX), the last two grains up to SIZE_MAX, the small ones, and
 * each grain edge beside a power of two. */
static void test_direct_requests_map_as_the_clamp_did(void **state) {
    const size_t trailer_bytes = SEAL_WORDS * WORD_BYTES;
    const size_t max_request = MAX_REQUEST_BYTES;
    unsigned fl, fl_max = fl_count_for(SIZE_MAX);
    bh_heap h;
    (void)state;
    /* A search from the class above the top one shifts 2 by fl_count. */
    assert_true(fl_max + 1u < sizeof(size_t) * CHAR_BIT);
    memset(&h, 0, sizeof h);
    for (fl = fl_count_for(MIN_BLOCK_BYTES); fl <= fl_max; fl++) {
        unsigned k;
        h.class_top = fl * SL_COUNT - 1u;
        h.direct_request_bytes = direct_request_bytes_for(fl);
        assert_int_equal(heap_fl_count(&h), fl);
        assert_true(h.direct_request_bytes <= max_request);
        expect_same_mapping_from(&h, 0, 8u * GRAIN_BYTES);
        expect_same_mapping_from(&h, h.direct_request_bytes - 2u * GRAIN_BYTES, 4u * GRAIN_BYTES + 1u);
        expect_same_mapping_from(&h, max_request - 2u * GRAIN_BYTES, 4u * GRAIN_BYTES + 1u);
        expect_same_mapping_from(&h, SIZE_MAX - 2u * GRAIN_BYTES, 2u * GRAIN_BYTES + 1u);
        for (k = 0; k < sizeof(size_t) * CHAR_BIT; k++) {
            /* the sizes whose blocks end at, one byte past and one grain
             * on either side of 2^k */
            size_t edge = ((size_t)1 << k) - WORD_BYTES - trailer_bytes;
            expect_same_mapping_from(&h, edge - GRAIN_BYTES - 1u, 3u);
            expect_same_mapping_from(&h, edge - 1u, 3u);
            expect_same_mapping_from(&h, edge + GRAIN_BYTES - 1u, 3u);
        }
    }
}

/* Memory for a heap with the largest class table: its control structure
 * (some 16 KiB on 64-bit at SL_LOG2 5), grains to align and place it, and a
 * block. The 16 KiB boards use the layout heap's memory and skip the tables
 * that do not fit. */
#if defined(BAREHEAP_TEST_SMALL_RAM) && BAREHEAP_TEST_SMALL_RAM
#define WIDE memory
#else
#define SIZE_BITS (sizeof(size_t) * CHAR_BIT)
static union {
    long double ld;
    void *p;
    unsigned char b[sizeof(bh_heap) + SIZE_BITS * SL_COUNT * sizeof(block *) + (SIZE_BITS + 1u) * sizeof(uint32_t) +
                    8u * BAREHEAP_ALIGN_BYTES];
} wide;
#define WIDE wide
#endif

/* A region added beyond a small heap's plan: large enough for requests
 * around the bound of the first few tables (up to fl_count 10 at the 16-byte
 * grain). */
#if defined(BAREHEAP_TEST_SMALL_RAM) && BAREHEAP_TEST_SMALL_RAM
#define FAR extra
#elif BAREHEAP_MAX_REGIONS >= 2
static union {
    long double ld;
    void *p;
    unsigned char b[256u * 1024u];
} beyond;
#define FAR beyond
#endif

/* Requests no block of h can hold, up to the bound, beside it, at the
 * overflow bound and SIZE_MAX, fail through bh_alloc, bh_calloc and
 * bh_realloc(NULL) alike and leave h as it was. */
static void expect_large_requests_fail(bh_heap *h) {
    const size_t max_request = MAX_REQUEST_BYTES;
    size_t direct = h->direct_request_bytes;
    size_t sizes[8];
    unsigned i;
    sizes[0] = direct - 1u;
    sizes[1] = direct;
    sizes[2] = direct + 1u;
    sizes[3] = direct + GRAIN_BYTES;
    sizes[4] = max_request - 1u;
    sizes[5] = max_request;
    sizes[6] = max_request + 1u;
    sizes[7] = SIZE_MAX;
    for (i = 0; i < 8u; i++) {
        size_t n = sizes[i];
        uint32_t failed = h->failed_count;
        size_t free_bytes = h->free_bytes;
        if (n <= max_request && BLK(n) <= free_bytes)
            continue; /* a block might hold it */
        assert_null(bh_alloc(h, n));
        assert_null(bh_calloc(h, 1u, n));
        assert_null(bh_realloc(h, NULL, n));
        assert_int_equal(h->failed_count, failed + 3u);
        assert_int_equal(h->free_bytes, free_bytes);
        assert_int_equal(bh_check(h), 0);
    }
}

/* Every class table that fits beside its heap, planned with bh_init_ex()
 * (SIZE_MAX included): the bound in the control structure is the one for
 * its table, requests at and beside it and at the overflow bound fail
 * cleanly, and, for the tables whose bound a test buffer can exceed, a
 * region added beyond the plan holds a block above the top class from which
 * bh_alloc, bh_calloc and a realloc that must leave the first region serve
 * the requests at each grain edge around the bound. */
static void test_every_class_table_keeps_its_bound(void **state) {
    unsigned char *mem = (unsigned char *)(((uintptr_t)WIDE.b + GRAIN_BYTES - 1u) & ~(uintptr_t)(GRAIN_BYTES - 1u));
    size_t room = sizeof WIDE.b - (size_t)(mem - WIDE.b);
    unsigned fl, fl_max = fl_count_for(SIZE_MAX);
    bool tried_max = false;
    (void)state;
    for (fl = 1; fl <= fl_max + 1u; fl++) {
        /* fl_max + 1: the plan for SIZE_MAX, in all of the memory */
        bool plan_max = fl > fl_max;
        unsigned want = plan_max ? fl_max : fl;
        size_t size = plan_max ? room : control_bytes_for(fl) + 2u * GRAIN_BYTES + MIN_BLOCK_BYTES;
        size_t max_region = plan_max ? SIZE_MAX : (fl >= 2u ? class_min_bytes((fl - 1u) * SL_COUNT) : 0);
        size_t direct, n, far_bytes;
        bh_heap *h;
        unsigned char *small;
        if (control_bytes_for(want) + 2u * GRAIN_BYTES + MIN_BLOCK_BYTES > room)
            continue; /* the table does not fit in this memory */
        if (fl_count_for(size) > want)
            continue; /* a heap that small needs a larger table */
        h = bh_init_ex(mem, size, max_region);
        assert_non_null(h);
        tried_max |= plan_max;
        assert_int_equal(heap_fl_count(h), want);
        assert_int_equal(h->class_top, want * SL_COUNT - 1u);
        direct = h->direct_request_bytes;
        assert_int_equal(direct, direct_request_bytes_for(want));
        assert_int_equal(bh_check(h), 0);
        expect_large_requests_fail(h);
        if (plan_max)
            assert_int_equal(direct, MAX_REQUEST_BYTES);
#if BAREHEAP_MAX_REGIONS >= 2
        /* a region beyond the plan, with a block above the top class and a
         * remainder after the largest request below */
        if (plan_max || direct > sizeof FAR.b)
            continue;
        far_bytes = BLK(direct + 2u * GRAIN_BYTES) + MIN_BLOCK_BYTES + 3u * GRAIN_BYTES;
        if (far_bytes > sizeof FAR.b)
            continue;
        /* a small block in the first region, which the rest of it walls in:
         * realloc cannot grow it in place */
        small = bh_alloc(h, 1u);
        assert_non_null(small);
        while (bh_alloc(h, 1u) != NULL)
            ;
        assert_true(bh_add_region(h, FAR.b, far_bytes));
        assert_true(block_size((block *)(void *)h->regions[1].lo) >= class_min_bytes(h->class_top + 1u));
        /* the sizes whose blocks end a grain apart, from two grains below
         * the bound to two above */
        for (n = direct - 2u * GRAIN_BYTES; n <= direct + 2u * GRAIN_BYTES; n++) {
            unsigned char *p, *q;
            if ((n + WORD_BYTES + SEAL_WORDS * WORD_BYTES) % GRAIN_BYTES > 1u && n != direct && n != direct + 1u)
                continue;
            p = bh_alloc(h, n);
            assert_true((uintptr_t)p > h->regions[1].lo && (uintptr_t)p < h->regions[1].hi);
            assert_int_equal(block_size(block_from_payload(p)), BLK(n));
            bh_free(h, p);
            p = bh_calloc(h, 1u, n);
            assert_true((uintptr_t)p > h->regions[1].lo && (uintptr_t)p < h->regions[1].hi);
            assert_int_equal(block_size(block_from_payload(p)), BLK(n));
            assert_int_equal(p[n - 1u], 0);
            bh_free(h, p);
            /* realloc falls back on a plain request where it cannot grow */
            *small = 0x5A;
            q = bh_realloc(h, small, n);
            assert_true((uintptr_t)q > h->regions[1].lo && (uintptr_t)q < h->regions[1].hi);
            assert_int_equal(block_size(block_from_payload(q)), BLK(n));
            assert_int_equal(*q, 0x5A);
            bh_free(h, q);
            /* the first region's only free block, the one realloc left */
            small = bh_alloc(h, 1u);
            assert_true((uintptr_t)small > h->regions[0].lo && (uintptr_t)small < h->regions[0].hi);
            assert_int_equal(bh_check(h), 0);
        }
        expect_large_requests_fail(h);
#else
        (void)n;
        (void)far_bytes;
        (void)small;
#endif
    }
    /* the largest table fits in the hosted tests' memory */
#if !(defined(BAREHEAP_TEST_SMALL_RAM) && BAREHEAP_TEST_SMALL_RAM)
    assert_true(tried_max);
#else
    (void)tried_max;
#endif
}

static void test_bit_scans(void **state) {
    unsigned i;
    (void)state;
    for (i = 0; i < 32; i++) {
        uint32_t x = (uint32_t)1 << i;
        assert_int_equal(bits_ctz32(x), i);
        assert_int_equal(bits_fls32(x), i);
        assert_int_equal(bits_ctz32(x | 0x80000000u), i);
        assert_int_equal(bits_fls32(x | 1u), i);
    }
    for (i = 0; i < sizeof(size_t) * CHAR_BIT; i++) {
        size_t x = (size_t)1 << i;
        assert_int_equal(bits_ctz_size(x), i);
        assert_int_equal(bits_fls_size(x | 1u), i);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fresh_heap_is_one_free_block, setup),
        cmocka_unit_test_setup(test_split_then_merge_right_left_both, setup),
        cmocka_unit_test_setup(test_merge_left, setup),
        cmocka_unit_test_setup(test_whole_region_up_to_the_sentinel, setup),
        cmocka_unit_test_setup(test_remainder_too_small_stays_in_the_block, setup),
        cmocka_unit_test_setup(test_realloc_shrink_and_grow_in_place, setup),
        cmocka_unit_test_setup(test_realloc_moves_into_the_previous_block, setup),
        cmocka_unit_test_setup(test_aligned_gives_the_front_back, setup),
        cmocka_unit_test_setup(test_aligned_search_takes_its_class_minimum, setup),
        cmocka_unit_test(test_size_classes_are_ordered_and_exact_at_minimums),
        cmocka_unit_test(test_bit_scans),
        cmocka_unit_test(test_direct_requests_end_at_the_top_class),
        cmocka_unit_test(test_requests_beside_the_bound_find_the_large_block),
        cmocka_unit_test(test_direct_requests_map_as_the_clamp_did),
        cmocka_unit_test(test_every_class_table_keeps_its_bound),
        cmocka_unit_test(test_regions_use_their_memory_to_the_grain),
        cmocka_unit_test(test_control_bytes_round_to_the_grain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
