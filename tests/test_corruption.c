/*
 * Deliberately corrupted heaps: one field of the heap's structures damaged at
 * a time (a header flag, a free-list link, a bitmap bit, a counter, a
 * sentinel), as a stray write in firmware would. Each must be found by
 * bh_check() and reported as BH_ERROR_CORRUPTION without a fault, and the
 * O(1) pointer validation of bh_free() must refuse a block whose neighbours
 * are inconsistent, leaving the heap as it was. Once the field is restored
 * the heap is sound again.
 *
 * Also the edges no other test reaches: regions at the ends of the address
 * space, the probe of a request's own class running out, NULL handles.
 *
 * Reaches the internals (bareheap_internal.h) to do the damage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bareheap_internal.h"
#include "test_support.h"

#define HEAP_BYTES BT_GRAIN_SCALED(16 * 1024)

BT_HEAP_BUFFER(g_mem, HEAP_BYTES);
/* 1 MiB, or what test_own_class_probe_runs_out needs where the grain and
 * the classes are wider */
#define PROBE_TEST_BYTES (((size_t)BAREHEAP_PROBE_LIMIT + 4u) * (4u * SL_COUNT + 2u) * GRAIN_BYTES + 16384u)
#define BIG_BYTES (PROBE_TEST_BYTES > (size_t)1024 * 1024 ? PROBE_TEST_BYTES : (size_t)1024 * 1024)
BT_HEAP_BUFFER(g_big_mem, BIG_BYTES);
static bt_errors g_errors;
static bt_walk_log g_walk;

typedef struct fixture {
    bh_heap *heap;
    unsigned char *p[6]; /* p[1] and p[3] freed: free blocks between used ones */
} fixture;

/* [p0][p1 free][p2][p3 free][p4][p5][ rest free ] */
static fixture make_fixture(void) {
    fixture f;
    unsigned i;
    f.heap = bh_init(bt_align_up(g_mem.b, bh_alignment()), HEAP_BYTES);
    assert_non_null(f.heap);
    bh_set_error_handler(f.heap, bt_record_error, &g_errors);
    bt_errors_clear(&g_errors);
    for (i = 0; i < 6; i++) {
        f.p[i] = (unsigned char *)bh_alloc(f.heap, 64);
        assert_non_null(f.p[i]);
    }
    bh_free(f.heap, f.p[1]);
    bh_free(f.heap, f.p[3]);
    assert_int_equal(bh_check(f.heap), 0);
    assert_int_equal(g_errors.count, 0);
    return f;
}

static size_t *header_of(void *payload) { return &block_from_payload(payload)->header; }

/* bh_check() finds at least one problem, all reported as corruption. */
static void expect_corrupt(bh_heap *heap) {
    size_t problems, i;
    bt_errors_clear(&g_errors);
    problems = bh_check(heap);
    assert_true(problems >= 1);
    assert_int_equal(g_errors.count, problems);
    for (i = 0; i < problems && i < BT_MAX_ERRORS; i++)
        assert_int_equal(g_errors.kind[i], BH_ERROR_CORRUPTION);
    bt_errors_clear(&g_errors);
}

static void expect_sound(bh_heap *heap) {
    bt_errors_clear(&g_errors);
    assert_int_equal(bh_check(heap), 0);
    assert_int_equal(g_errors.count, 0);
}

/* ---- bh_check() ---- */

static void test_check_free_flag_on_used_block(void **state) {
    fixture f = make_fixture();
    size_t saved = *header_of(f.p[2]);
    (void)state;
    /* p2 claims to be free between two free blocks: two free neighbours,
     * a missing footer, a block on no list, counters that disagree. */
    *header_of(f.p[2]) = saved | FLAG_FREE;
#if (BAREHEAP_DEBUG >= 2)
    /* Read as free, p2's interior is checked for poison: its payload is
     * (never written), but where the grain leaves slack past the 64 bytes
     * the canary lies inside too, and is a use after free to the walker. */
    if (block_size(block_from_payload(f.p[2])) - 2u * WORD_BYTES > 64u) {
        size_t problems, i, corruption = 0;
        bt_errors_clear(&g_errors);
        problems = bh_check(f.heap);
        assert_int_equal(g_errors.count, problems);
        for (i = 0; i < problems && i < BT_MAX_ERRORS; i++) {
            if (g_errors.kind[i] == BH_ERROR_CORRUPTION) {
                corruption++;
            } else {
                assert_int_equal(g_errors.kind[i], BH_ERROR_USE_AFTER_FREE);
                assert_true((const unsigned char *)g_errors.address[i] >= f.p[2] + 64 &&
                            (const unsigned char *)g_errors.address[i] < f.p[3]);
            }
        }
        assert_true(corruption >= 1);
        bt_errors_clear(&g_errors);
    } else {
        expect_corrupt(f.heap);
    }
#else
    expect_corrupt(f.heap);
#endif
    *header_of(f.p[2]) = saved;
    expect_sound(f.heap);
}

static void test_check_aligned_flag_on_free_block(void **state) {
    fixture f = make_fixture();
    size_t saved = *header_of(f.p[1]);
    (void)state;
    *header_of(f.p[1]) = saved | FLAG_ALIGNED;
    expect_corrupt(f.heap);
    *header_of(f.p[1]) = saved;
    expect_sound(f.heap);
}

static void test_check_prev_free_flag_wrong(void **state) {
    fixture f = make_fixture();
    size_t saved = *header_of(f.p[5]);
    (void)state;
    *header_of(f.p[5]) = saved | FLAG_PREV_FREE; /* p4 is used */
    expect_corrupt(f.heap);
    *header_of(f.p[5]) = saved;
    expect_sound(f.heap);
}

static void test_check_block_size_beyond_region(void **state) {
    fixture f = make_fixture();
    size_t saved = *header_of(f.p[4]);
    (void)state;
    *header_of(f.p[4]) = (HEAP_BYTES * 2u) | (saved & FLAG_MASK);
    expect_corrupt(f.heap);
    /* The walk stops at the bad block rather than stepping over it. */
    assert_true(bt_walk(f.heap, &g_walk, 0) < 7u);
    *header_of(f.p[4]) = saved;
    expect_sound(f.heap);
}

static void test_check_sentinel_damaged(void **state) {
    fixture f = make_fixture();
    block *sentinel = (block *)(void *)f.heap->regions[0].hi;
    size_t saved = sentinel->header;
    (void)state;
    sentinel->header = saved | (GRAIN_BYTES * 4u);
    expect_corrupt(f.heap);
    /* Its prev-free flag alone, cleared under the free tail: the sentinel
     * must say what the last block is. */
    assert_true(saved == FLAG_PREV_FREE);
    sentinel->header = 0;
    expect_corrupt(f.heap);
    sentinel->header = saved;
    expect_sound(f.heap);
}

static void test_check_list_links(void **state) {
    fixture f = make_fixture();
    block *free1 = block_from_payload(f.p[1]);
    block *saved_next = free1->next_free;
    block **saved_link = free1->prev_link;
    static union {
        bt_max_align a;
        unsigned char b[256];
    } foreign;
    unsigned char *outside = bt_align_up(foreign.b + WORD_BYTES, GRAIN_BYTES) - WORD_BYTES;
    (void)state;
    /* misaligned link */
    free1->next_free = (block *)(void *)((char *)block_from_payload(f.p[3]) + 1);
    expect_corrupt(f.heap);
    /* a link out of the heap */
    free1->next_free = (block *)(void *)outside;
    expect_corrupt(f.heap);
    /* a link to a used block */
    free1->next_free = block_from_payload(f.p[2]);
    expect_corrupt(f.heap);
    /* a cycle */
    free1->next_free = free1;
    expect_corrupt(f.heap);
    free1->next_free = saved_next;
    /* a back link that disagrees */
    free1->prev_link = &free1->next_free;
    expect_corrupt(f.heap);
    free1->prev_link = saved_link;
    expect_sound(f.heap);
}

static void test_check_bitmaps(void **state) {
    fixture f = make_fixture();
    size_t saved_fl = f.heap->fl_bitmap;
    unsigned fl_count = heap_fl_count(f.heap);
    unsigned fl, empty_fl = fl_count;
    uint32_t saved_sl;
    (void)state;
    for (fl = 0; fl < fl_count; fl++) {
        if (f.heap->sl_bitmap[fl] == 0) {
            empty_fl = fl;
            break;
        }
    }
    assert_true(empty_fl < fl_count);
    /* a first-level bit for an empty level */
    f.heap->fl_bitmap = saved_fl | ((size_t)1 << empty_fl);
    expect_corrupt(f.heap);
    f.heap->fl_bitmap = saved_fl;
    /* a second-level bit for an empty list */
    saved_sl = f.heap->sl_bitmap[empty_fl];
    f.heap->sl_bitmap[empty_fl] = 1u;
    expect_corrupt(f.heap);
    f.heap->sl_bitmap[empty_fl] = saved_sl;
    /* the same in a level that has other lists: its first-level bit is right */
    for (fl = 0; fl < fl_count; fl++) {
        unsigned sl;
        if (f.heap->sl_bitmap[fl] == 0)
            continue;
        for (sl = 0; sl < SL_COUNT; sl++) {
            if (f.heap->heads[fl * SL_COUNT + sl] == NULL)
                break;
        }
        if (sl == SL_COUNT)
            continue;
        saved_sl = f.heap->sl_bitmap[fl];
        f.heap->sl_bitmap[fl] = saved_sl | ((uint32_t)1 << sl);
        expect_corrupt(f.heap);
        f.heap->sl_bitmap[fl] = saved_sl;
        break;
    }
    assert_true(fl < fl_count);
    /* a bit beyond the table */
    if (fl_count < sizeof(size_t) * CHAR_BIT) {
        f.heap->fl_bitmap = saved_fl | ((size_t)1 << fl_count);
        expect_corrupt(f.heap);
        f.heap->fl_bitmap = saved_fl;
    }
    /* the word past the second-level table, which a search past the top
     * class reads and must find empty */
    f.heap->sl_bitmap[fl_count] = 1u;
    expect_corrupt(f.heap);
    f.heap->sl_bitmap[fl_count] = 0;
    expect_sound(f.heap);
}

static void test_check_block_on_wrong_list(void **state) {
    bh_heap *heap = bh_init(bt_align_up(g_mem.b, bh_alignment()), HEAP_BYTES);
    block *only;
    unsigned c, wrong = 1;
    (void)state;
    assert_non_null(heap);
    bh_set_error_handler(heap, bt_record_error, &g_errors);
    /* One free block: move it to another class's list, bitmaps consistent. */
    only = (block *)(void *)heap->regions[0].lo;
    c = heap_class_of(heap, block_size(only));
    assert_false(c == wrong);
    heap->heads[c] = NULL;
    heap->sl_bitmap[CLASS_FL(c)] &= ~((uint32_t)1 << CLASS_SL(c));
    heap->fl_bitmap = 0;
    heap->heads[wrong] = only;
    only->prev_link = &heap->heads[wrong]; /* links consistent too: only the class is wrong */
    heap->sl_bitmap[CLASS_FL(wrong)] |= (uint32_t)1 << CLASS_SL(wrong);
    heap->fl_bitmap |= (size_t)1 << CLASS_FL(wrong);
    expect_corrupt(heap);
    heap->heads[wrong] = NULL;
    heap->sl_bitmap[CLASS_FL(wrong)] = 0;
    heap->heads[c] = only;
    only->prev_link = &heap->heads[c];
    heap->sl_bitmap[CLASS_FL(c)] = (uint32_t)1 << CLASS_SL(c);
    heap->fl_bitmap = (size_t)1 << CLASS_FL(c);
    expect_sound(heap);
}

static void test_check_counters(void **state) {
    fixture f = make_fixture();
    (void)state;
    f.heap->alloc_count++; /* one more live block than the walk finds */
    expect_corrupt(f.heap);
    f.heap->alloc_count--;
    f.heap->free_bytes += GRAIN_BYTES;
    expect_corrupt(f.heap);
    f.heap->free_bytes -= GRAIN_BYTES;
    f.heap->free_blocks++;
    expect_corrupt(f.heap);
    f.heap->free_blocks--;
    expect_sound(f.heap);
}

/* ---- The control structure's own bounds ----
 * The region table, the size of the class table and where its bitmaps lie
 * are what every walk takes for its bounds. A stray write to one of them
 * must be reported, not followed: bh_check() reports it once (at the heap)
 * and walks nothing, bh_walk() visits nothing, bh_trim() offers nothing. */

#if BAREHEAP_DEBUG < 2
static void trim_never_control(void *context, void *lo, size_t size_bytes) {
    (void)context;
    (void)lo;
    (void)size_bytes;
    fail_msg("bh_trim offered memory of a heap whose control structure is damaged");
}
#endif

static void expect_control_refused(bh_heap *heap) {
    bt_errors_clear(&g_errors);
    assert_int_equal(bh_check(heap), 1);
    assert_int_equal(g_errors.count, 1);
    assert_int_equal(g_errors.kind[0], BH_ERROR_CORRUPTION);
    assert_ptr_equal(g_errors.address[0], heap);
    bt_errors_clear(&g_errors);
    assert_int_equal(bt_walk(heap, &g_walk, 0u), 0);
    assert_int_equal(g_errors.count, 0);
#if BAREHEAP_DEBUG < 2
    assert_int_equal(bh_trim(heap, 0, trim_never_control, NULL), 0);
    assert_int_equal(g_errors.count, 1);
    assert_int_equal(g_errors.kind[0], BH_ERROR_CORRUPTION);
    assert_ptr_equal(g_errors.address[0], heap);
#endif
    bt_errors_clear(&g_errors);
}

/* A bit flipped high in an address: far outside the heap. */
#define FAR_BIT ((uintptr_t)1 << (sizeof(uintptr_t) * CHAR_BIT - 2u))

static void test_check_control_damaged(void **state) {
    fixture f = make_fixture();
    bh_heap *heap = f.heap;
    unsigned saved_u, i;
    size_t saved_z;
    uintptr_t saved_a;
    uint32_t *saved_sl = heap->sl_bitmap;
    (void)state;
#if BAREHEAP_MAX_REGIONS >= 2
    /* A second region, its last block free, so that trim has a tail there. */
    assert_true(bh_add_region(heap, bt_align_up(g_big_mem.b, bh_alignment()), 8192));
#endif
    expect_sound(heap);
    /* The region count: none, one more than in use (an empty entry, whose
     * sentinel would be read at address 0), more than the table holds. */
    saved_u = heap->region_count;
    heap->region_count = 0;
    expect_control_refused(heap);
    heap->region_count = saved_u + 1u;
    if (heap->region_count <= BAREHEAP_MAX_REGIONS)
        expect_control_refused(heap);
    heap->region_count = BAREHEAP_MAX_REGIONS + 1u;
    expect_control_refused(heap);
    heap->region_count = saved_u;
    /* Each bound of each region, moved far away or by a grain. */
    for (i = 0; i < heap->region_count; i++) {
        saved_a = heap->regions[i].lo;
        heap->regions[i].lo = saved_a ^ FAR_BIT;
        expect_control_refused(heap);
        heap->regions[i].lo = saved_a - GRAIN_BYTES;
        expect_control_refused(heap);
        heap->regions[i].lo = saved_a;
        saved_a = heap->regions[i].hi;
        heap->regions[i].hi = saved_a ^ FAR_BIT;
        expect_control_refused(heap);
        heap->regions[i].hi = saved_a + GRAIN_BYTES;
        expect_control_refused(heap);
        heap->regions[i].hi = saved_a;
    }
    saved_z = heap->total_bytes;
    heap->total_bytes = saved_z + GRAIN_BYTES;
    expect_control_refused(heap);
    heap->total_bytes = saved_z;
    /* The class table: its size, its top class, where its bitmaps lie,
     * and the size of the whole structure, which places region 0. */
    saved_u = heap->class_top;
    heap->class_top = saved_u + 1u;
    expect_control_refused(heap);
    heap->class_top = saved_u + SL_COUNT;
    expect_control_refused(heap);
    heap->class_top = saved_u + (unsigned)(sizeof(size_t) * CHAR_BIT) * SL_COUNT;
    expect_control_refused(heap);
    heap->class_top = UINT_MAX;
    expect_control_refused(heap);
    heap->class_top = saved_u;
    /* Larger, it would let a request's class run past the table. */
    saved_z = heap->direct_request_bytes;
    heap->direct_request_bytes = saved_z + GRAIN_BYTES;
    expect_control_refused(heap);
    heap->direct_request_bytes = saved_z;
    heap->sl_bitmap = (uint32_t *)(void *)((uintptr_t)saved_sl ^ FAR_BIT);
    expect_control_refused(heap);
    heap->sl_bitmap = saved_sl;
    saved_z = heap->control_bytes;
    heap->control_bytes = saved_z + GRAIN_BYTES;
    expect_control_refused(heap);
    heap->control_bytes = saved_z;
    /* Region 0 moved up over its first block, with total_bytes shrunk to
     * match: the region sizes still add up, only region 0's place (right
     * after the control structure) betrays it. */
    saved_a = heap->regions[0].lo;
    saved_z = heap->total_bytes;
    heap->regions[0].lo = saved_a + block_size((block *)(void *)saved_a);
    heap->total_bytes = saved_z - block_size((block *)(void *)saved_a);
    expect_control_refused(heap);
    heap->regions[0].lo = saved_a;
    heap->total_bytes = saved_z;
    expect_sound(heap);
    assert_true(bt_walk(heap, &g_walk, 0u) >= 7u);
}

/* The region's last block (the free tail) claims one grain more than is
 * left before the sentinel: bh_check() reports it without stepping onto
 * it, and bh_walk() stops before it instead of handing out a block that
 * reaches past its region. */
static void test_check_last_block_one_grain_past_region(void **state) {
    fixture f = make_fixture();
    const region *r = &f.heap->regions[0];
    uintptr_t a = r->lo;
    block *last;
    size_t saved, i;
    (void)state;
    while (a + block_size((block *)(void *)a) < r->hi)
        a += block_size((block *)(void *)a);
    last = (block *)(void *)a;
    assert_true(a + block_size(last) == r->hi && block_is_free(last));
    saved = last->header;
    last->header = saved + GRAIN_BYTES;
    expect_corrupt(f.heap);
    assert_int_equal(bt_walk(f.heap, &g_walk, 0u), 6u); /* p0..p5, not the tail */
    for (i = 0; i < g_walk.count && i < BT_MAX_WALK; i++)
        assert_true((uintptr_t)g_walk.block[i].ptr - WORD_BYTES + g_walk.block[i].size_bytes <= r->hi);
    last->header = saved;
    expect_sound(f.heap);
}

/* bh_walk() gives a free block's usable_bytes as what one request could get
 * from it (its capacity), not a number read from its footer as a used
 * block's is: on a fresh heap, one free block, whose usable_bytes is the
 * largest request that succeeds and lands there. */
static void test_walk_free_block_usable_bytes(void **state) {
    bh_heap *heap = bh_init(bt_align_up(g_mem.b, bh_alignment()), HEAP_BYTES);
    size_t usable;
    void *p;
    (void)state;
    assert_non_null(heap);
    assert_int_equal(bt_walk(heap, &g_walk, 0u), 1u);
    assert_false(g_walk.block[0].used);
    usable = g_walk.block[0].usable_bytes;
    assert_null(bh_alloc(heap, usable + 1u));
    p = bh_alloc(heap, usable);
    assert_ptr_equal(p, g_walk.block[0].ptr);
    bh_free(heap, p);
    expect_sound(heap);
}

/* The damages below leave every other structure consistent, so that only
 * one of bh_check()'s tests can see each. */

/* p4 made free in place (flags, footer, list, counters all agree), next to
 * free p3: only the rule that free neighbours always merge is broken. */
static void test_check_two_free_neighbours(void **state) {
    fixture f = make_fixture();
    block *b = block_from_payload(f.p[4]);
    size_t size = block_size(b);
    size_t *next_header = header_of(f.p[5]);
    size_t saved_next = *next_header;
    unsigned c = heap_class_of(f.heap, size);
    block *first = f.heap->heads[c];
    static unsigned char saved[512 + BAREHEAP_ALIGN_BYTES]; /* a 64-byte request's block at any grain */
    (void)state;
    assert_true(block_is_prev_free(b));                      /* p3 is free */
    assert_ptr_equal(first, block_from_payload(f.p[3]));     /* and heads this list */
    assert_true(size <= sizeof saved);
    memcpy(saved, b, size);
    b->header = size | FLAG_FREE | FLAG_PREV_FREE;
    *block_footer(b) = size;
#if BAREHEAP_DEBUG >= 2
    memset((unsigned char *)b + 3u * WORD_BYTES, (int)POISON_BYTE, size - 4u * WORD_BYTES);
#endif
    *next_header = saved_next | FLAG_PREV_FREE;
    b->next_free = first;
    b->prev_link = &f.heap->heads[c];
    first->prev_link = &b->next_free;
    f.heap->heads[c] = b;
    f.heap->free_bytes += size;
    f.heap->free_blocks++;
    f.heap->free_count++;
    expect_corrupt(f.heap);
    f.heap->heads[c] = first;
    first->prev_link = &f.heap->heads[c];
    f.heap->free_bytes -= size;
    f.heap->free_blocks--;
    f.heap->free_count--;
    *next_header = saved_next;
    memcpy(b, saved, size);
    expect_sound(f.heap);
}

/* A free block unlinked from its list, the rest of the list and its bits
 * intact: the lists hold one free block fewer than the walk finds. */
static void test_check_free_block_on_no_list(void **state) {
    fixture f = make_fixture();
    block *p3 = block_from_payload(f.p[3]);
    block *after = p3->next_free;
    block **link = p3->prev_link;
    (void)state;
    assert_ptr_equal(after, block_from_payload(f.p[1])); /* freed first, so second */
    *link = after;
    after->prev_link = link;
    expect_corrupt(f.heap);
    *link = p3;
    after->prev_link = &p3->next_free;
    expect_sound(f.heap);
}

/* The alignment word of an aligned block: only powers of two above the
 * grain that the payload has are sound. */
static void test_check_alignment_word_damaged(void **state) {
    fixture f = make_fixture();
    size_t align = 4u * GRAIN_BYTES, saved, *word;
    unsigned char *p = (unsigned char *)bh_alloc_aligned(f.heap, align, 64);
    (void)state;
    assert_non_null(p);
    word = block_align_word(block_from_payload(p));
    saved = *word;
    assert_int_equal(saved, align);
    expect_sound(f.heap);
    *word = GRAIN_BYTES; /* what a plain block has: never recorded */
    expect_corrupt(f.heap);
    *word = 3u * GRAIN_BYTES; /* not a power of two */
    expect_corrupt(f.heap);
    *word = (size_t)1 << (sizeof(size_t) * CHAR_BIT - 1u); /* more than the payload has */
    expect_corrupt(f.heap);
    *word = saved;
    expect_sound(f.heap);
}

/* ---- pointer validation in bh_free() ---- */

#if BAREHEAP_DEBUG >= 1
/* Every call that validates a pointer refuses p as invalid and changes
 * nothing: bh_free, bh_realloc (larger, smaller, to 0: NULL) and
 * bh_usable_size (0). Each has its own copy of the validation. */
static void expect_pointer_refused(bh_heap *heap, void *p) {
    static const size_t resize_bytes[] = {4096, 1, 0};
    bh_stats before = bt_stats(heap), after;
    unsigned call;
    for (call = 0; call < 5u; call++) {
        bt_errors_clear(&g_errors);
        if (call == 0u)
            bh_free(heap, p);
        else if (call < 4u)
            assert_null(bh_realloc(heap, p, resize_bytes[call - 1u]));
        else
            assert_int_equal(bh_usable_size(heap, p), 0);
        assert_true(g_errors.count >= 1);
        assert_int_equal(g_errors.kind[0], BH_ERROR_INVALID_POINTER);
        assert_ptr_equal(g_errors.address[0], p);
        after = bt_stats(heap);
        bt_assert_stats_equal(&before, &after, BT_IGNORE_ERRORS);
    }
    bt_errors_clear(&g_errors);
}

static void test_free_next_claims_prev_free(void **state) {
    fixture f = make_fixture();
    size_t saved = *header_of(f.p[5]);
    (void)state;
    *header_of(f.p[5]) = saved | FLAG_PREV_FREE; /* says p4 is free */
    expect_pointer_refused(f.heap, f.p[4]);
    *header_of(f.p[5]) = saved;
    expect_sound(f.heap);
}

static void test_free_next_size_implausible(void **state) {
    fixture f = make_fixture();
    size_t saved = *header_of(f.p[5]);
    (void)state;
    *header_of(f.p[5]) = MIN_BLOCK_BYTES - GRAIN_BYTES; /* below a minimal block */
    expect_pointer_refused(f.heap, f.p[4]);
    *header_of(f.p[5]) = saved;
    expect_sound(f.heap);
}

static void test_free_last_block_sentinel_damaged(void **state) {
    bh_heap *heap = bh_init(bt_align_up(g_mem.b, bh_alignment()), HEAP_BYTES);
    bh_stats s;
    block *sentinel;
    size_t saved;
    void *all;
    (void)state;
    assert_non_null(heap);
    bh_set_error_handler(heap, bt_record_error, &g_errors);
    assert_true(bh_get_stats(heap, &s));
    all = bh_alloc(heap, s.largest_free_bytes); /* the last block of the region */
    assert_non_null(all);
    sentinel = (block *)(void *)heap->regions[0].hi;
    saved = sentinel->header;
    sentinel->header = saved | (GRAIN_BYTES * 2u);
    expect_pointer_refused(heap, all);
    sentinel->header = saved;
    expect_sound(heap);
    bh_free(heap, all);
    expect_sound(heap);
}

static void test_free_first_block_claims_prev_free(void **state) {
    fixture f = make_fixture();
    size_t saved = *header_of(f.p[0]);
    (void)state;
    *header_of(f.p[0]) = saved | FLAG_PREV_FREE; /* nothing stands before it */
    expect_pointer_refused(f.heap, f.p[0]);
    *header_of(f.p[0]) = saved;
    expect_sound(f.heap);
}

#if BAREHEAP_MAX_REGIONS >= 2
/* A heap whose first region is full, and a region added at base; returns
 * the first block of the added region, allocated. */
static unsigned char *added_region_first_block(bh_heap **heap_out, unsigned char *base) {
    bh_heap *heap = bh_init(bt_align_up(g_mem.b, bh_alignment()), HEAP_BYTES);
    bh_stats stats;
    unsigned char *p;
    assert_non_null(heap);
    bh_set_error_handler(heap, bt_record_error, &g_errors);
    assert_true(bh_get_stats(heap, &stats));
    assert_non_null(bh_alloc(heap, stats.largest_free_bytes)); /* region 0 is full */
    assert_true(bh_add_region(heap, base, 4096u > 4u * GRAIN_BYTES ? 4096u : 4u * GRAIN_BYTES));
    p = (unsigned char *)bh_alloc(heap, 64);
    assert_non_null(p);
    assert_ptr_equal(block_from_payload(p), (block *)(void *)heap->regions[1].lo);
    *heap_out = heap;
    return p;
}

/* The same at an added region, placed so that its start is one word below a
 * grain boundary, where alignment alone would put the first block. A header
 * that claims a free block before it makes free read the word below as a
 * footer: that word must still be in the region, so the block starts a word
 * further in. */
static void test_free_first_block_of_added_region_claims_prev_free(void **state) {
    unsigned char *base = bt_align_up(g_big_mem.b, GRAIN_BYTES) + GRAIN_BYTES - WORD_BYTES;
    bh_heap *heap;
    unsigned char *p = added_region_first_block(&heap, base);
    size_t saved;
    (void)state;
    assert_true(heap->regions[1].lo >= (uintptr_t)base + WORD_BYTES);
    saved = *header_of(p);
    *header_of(p) = saved | FLAG_PREV_FREE;
    expect_pointer_refused(heap, p);
    *header_of(p) = saved;
    expect_sound(heap);
    bh_free(heap, p);
    expect_sound(heap);
}

/* The same first block, its footer word naming a free block that begins
 * below the region, where a word that reads as that block's header is
 * planted (memory that is not the heap's): the bound on the footer's size,
 * the distance back to the region's start, refuses it. The header test
 * alone would have taken the planted word, and free would have unlinked a
 * block that does not exist. */
static void test_free_first_block_footer_reaches_below_region(void **state) {
    size_t prev_bytes = 2u * MIN_BLOCK_BYTES;
    unsigned char *base = bt_align_up(g_big_mem.b, GRAIN_BYTES) + 2u * prev_bytes + GRAIN_BYTES - WORD_BYTES;
    bh_heap *heap;
    unsigned char *p = added_region_first_block(&heap, base);
    size_t *header, *planted, saved_header, saved_footer, saved_planted;
    (void)state;
    header = header_of(p);
    planted = (size_t *)(void *)((unsigned char *)header - prev_bytes);
    assert_true((unsigned char *)planted >= g_big_mem.b && (uintptr_t)planted < heap->regions[1].lo);
    saved_header = *header;
    saved_footer = header[-1];
    saved_planted = *planted;
    *header = saved_header | FLAG_PREV_FREE;
    header[-1] = prev_bytes;
    *planted = prev_bytes | FLAG_FREE;
    expect_pointer_refused(heap, p);
    *header = saved_header;
    header[-1] = saved_footer;
    *planted = saved_planted;
    expect_sound(heap);
    bh_free(heap, p);
    expect_sound(heap);
}
#endif

static void test_free_bad_footer_before(void **state) {
    fixture f = make_fixture();
    size_t *footer = (size_t *)(void *)header_of(f.p[2]) - 1; /* p1's footer */
    size_t saved = *footer;
    (void)state;
    *footer = saved + 1u; /* misaligned size */
    expect_pointer_refused(f.heap, f.p[2]);
    *footer = MIN_BLOCK_BYTES - GRAIN_BYTES; /* too small */
    expect_pointer_refused(f.heap, f.p[2]);
    *footer = HEAP_BYTES * 2u; /* reaches before the region */
    expect_pointer_refused(f.heap, f.p[2]);
    *footer = saved + GRAIN_BYTES; /* no free block there */
    expect_pointer_refused(f.heap, f.p[2]);
    *footer = saved;
    expect_sound(f.heap);
    bh_free(f.heap, f.p[2]); /* and now it merges with p1 and p3 */
    expect_sound(f.heap);
}
#endif

#if BAREHEAP_DEBUG < 2
static void trim_never(void *context, void *lo, size_t size_bytes) {
    (void)context;
    (void)lo;
    (void)size_bytes;
    fail_msg("bh_trim offered memory from a damaged tail");
}

/* bh_trim() with the tail's footer word set to footer_bytes: the tail is
 * reported, at the region's end, and nothing is offered. The footer is put
 * back; the caller restores what else it damaged. */
static void expect_trim_refused(fixture *f, size_t *footer, size_t footer_bytes, uintptr_t hi) {
    size_t saved = *footer;
    *footer = footer_bytes;
    bt_errors_clear(&g_errors);
    assert_int_equal(bh_trim(f->heap, 0, trim_never, NULL), 0);
    assert_int_equal(g_errors.count, 1);
    assert_int_equal(g_errors.kind[0], BH_ERROR_CORRUPTION);
    assert_ptr_equal(g_errors.address[0], (const void *)hi);
    *footer = saved;
}

/* The free last block's footer claims a size no block can have (below the
 * minimum, or not whole grains), and the word that size points at reads as
 * that block's header: bh_trim() reports the tail and offers nothing. */
static void test_trim_implausible_footer(void **state) {
    fixture f = make_fixture();
    uintptr_t hi = f.heap->regions[0].hi;
    size_t *footer = (size_t *)(void *)(hi - WORD_BYTES);
    size_t sizes[2], i;
    (void)state;
    sizes[0] = MIN_BLOCK_BYTES - GRAIN_BYTES; /* 0 where the minimum is one grain */
    sizes[1] = MIN_BLOCK_BYTES + WORD_BYTES;  /* whole grains where a grain is a word */
    for (i = 0; i < 2u; i++) {
        size_t *forged = (size_t *)(void *)(hi - sizes[i]);
        size_t saved_forged;
        if (sizes[i] == 0 || (i == 1u && (sizes[i] & (GRAIN_BYTES - 1u)) == 0))
            continue;
        saved_forged = *forged;
        *forged = sizes[i] | FLAG_FREE;
        expect_trim_refused(&f, footer, sizes[i], hi);
        *forged = saved_forged;
        expect_sound(f.heap);
    }
    /* A footer larger than the whole region, whole grains, that would put
     * the tail's header a grain from address 0: refused before that header
     * is read (read, it would fault). */
    expect_trim_refused(&f, footer, hi - (GRAIN_BYTES - WORD_BYTES), hi);
    expect_sound(f.heap);
}
#endif

/* ---- edges ---- */

static void test_regions_at_the_ends_of_memory(void **state) {
    fixture f = make_fixture();
    bh_stats before = bt_stats(f.heap), after;
    (void)state;
    /* Fake addresses: never dereferenced, the calls refuse them first. */
    assert_false(bh_add_region(f.heap, (void *)(uintptr_t)1, 2));
    assert_false(bh_add_region(f.heap, (void *)(UINTPTR_MAX - 15u), 15));
    /* within two words and a grain of the top: aligning the start up wraps */
    assert_false(bh_add_region(f.heap, (void *)(UINTPTR_MAX - 10u), 10));
    assert_null(bh_init((void *)(UINTPTR_MAX - 3u), 3));
    /* Ending exactly at the top (accepted in principle, the top grain left
     * unused) but too small for a block, or for a control structure and a
     * block: refused before a write, which here would fault. */
    assert_false(bh_add_region(f.heap, (void *)(UINTPTR_MAX - 15u), 16));
    assert_false(bh_add_region(f.heap, (void *)(UINTPTR_MAX - 2u * bh_alignment() + 1u), 2u * bh_alignment()));
    assert_null(bh_init((void *)(UINTPTR_MAX - 63u), 64));
    assert_null(bh_init((void *)(UINTPTR_MAX - bh_control_size(64) + 1u), bh_control_size(64)));
    after = bt_stats(f.heap);
    bt_assert_stats_equal(&before, &after, 0);
    expect_sound(f.heap);
}

static void test_init_too_small_or_misaligned(void **state) {
    unsigned char *base = bt_align_up(g_mem.b, bh_alignment());
    (void)state;
    assert_null(bh_init(base + 1, 2));                 /* nothing after aligning up */
    assert_null(bh_init(base + 1, bh_alignment()));    /* ends before the first grain */
    assert_null(bh_init(base, bh_control_size(256)));  /* no room for a block */
}

/* More free blocks in a request's own class than the probe examines, all too
 * small: the request fails in bounded time, though the heap has free space.
 * Blocks of 4 * SL_COUNT grains are the minimum of a class 4 grains wide; a
 * request one grain larger falls in that class, above its minimum. */
static void test_own_class_probe_runs_out(void **state) {
    enum { N = BAREHEAP_PROBE_LIMIT + 4 };
    bh_heap *heap = bh_init(bt_align_up(g_big_mem.b, bh_alignment()), sizeof g_big_mem.b - 4096u);
    void *small[N], *sep[N], *rest;
    size_t grains = 4u * SL_COUNT, payload = grains * GRAIN_BYTES - bh_block_overhead(), i;
    bh_stats s;
    (void)state;
    assert_non_null(heap);
    assert_true(N * (grains + 2u) * GRAIN_BYTES < sizeof g_big_mem.b - 16384u);
    bh_set_error_handler(heap, bt_record_error, &g_errors);
    bt_errors_clear(&g_errors);
    for (i = 0; i < N; i++) {
        small[i] = bh_alloc(heap, payload);
        sep[i] = bh_alloc(heap, 0);
        assert_non_null(small[i]);
        assert_non_null(sep[i]);
    }
    assert_true(bh_get_stats(heap, &s));
    rest = bh_alloc(heap, s.largest_free_bytes);
    assert_non_null(rest);
    for (i = 0; i < N; i++)
        bh_free(heap, small[i]);
    s = bt_stats(heap);
    assert_int_equal(s.free_blocks, N);
    assert_null(bh_alloc(heap, payload + GRAIN_BYTES));
    small[0] = bh_alloc(heap, payload); /* an exact fit still works */
    assert_non_null(small[0]);
    bh_free(heap, small[0]);
    bh_free(heap, rest);
    for (i = 0; i < N; i++)
        bh_free(heap, sep[i]);
    expect_sound(heap);
    s = bt_stats(heap);
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(g_errors.count, 0);
}

static void test_null_handles(void **state) {
    (void)state;
    bh_set_error_handler(NULL, bt_record_error, &g_errors); /* ignored */
    assert_int_equal(bh_walk(NULL, bt_walk_record, NULL), 0);
    {
        fixture f = make_fixture();
        assert_int_equal(bh_walk(f.heap, NULL, NULL), 0);
    }
}

/* ---- A write after free into a free block's links (BAREHEAP_DEBUG >= 2) ----
 * The two link words are not poisoned; a call that would follow or write
 * through a damaged one reports a use after free at it and changes nothing. */
#if (BAREHEAP_DEBUG >= 2)
static union {
    void *align;
    unsigned char b[256];
} g_bait; /* where a damaged link points outside the heap: never written */

/* [s0][a: 65 G free][s1][b: 64 G free][s2][used to the end]: b, freed last,
 * heads the class both share, a after it; nothing free above their class. */
typedef struct link_fixture {
    bh_heap *heap;
    unsigned char *a, *b, *s[3];
} link_fixture;

static link_fixture make_link_fixture(void) {
    size_t g = bh_alignment(), over = bh_block_overhead();
    link_fixture f;
    unsigned i;
    f.heap = bh_init(bt_align_up(g_big_mem.b, g), 256u * 1024u);
    assert_non_null(f.heap);
    f.s[0] = (unsigned char *)bh_alloc(f.heap, 16);
    f.a = (unsigned char *)bh_alloc(f.heap, 65u * g - over);
    f.s[1] = (unsigned char *)bh_alloc(f.heap, 16);
    f.b = (unsigned char *)bh_alloc(f.heap, 64u * g - over);
    f.s[2] = (unsigned char *)bh_alloc(f.heap, 16);
    assert_true(f.s[0] && f.a && f.s[1] && f.b && f.s[2]);
    while (bh_alloc(f.heap, 64) != NULL) {
    }
    while (bh_alloc(f.heap, 1) != NULL) {
    }
    for (i = 0; i < 3; i++)
        memset(f.s[i], 0x30 + (int)i, 16);
    bh_free(f.heap, f.a);
    bh_free(f.heap, f.b);
    assert_ptr_equal(f.heap->heads[class_of(block_size(block_from_payload(f.b)))], block_from_payload(f.b));
    assert_ptr_equal(block_from_payload(f.b)->next_free, block_from_payload(f.a));
    assert_int_equal(bh_check(f.heap), 0);
    memset(g_bait.b, 0xB7, sizeof g_bait.b);
    bh_set_error_handler(f.heap, bt_record_error, &g_errors);
    bt_errors_clear(&g_errors);
    return f;
}

/* One report, a use after free at word of b's payload; nothing written. */
static void expect_link_report(const link_fixture *f, unsigned word, const bh_stats *before) {
    bh_stats after;
    unsigned i;
    /* (at level 3 the check after the call reports the damage too) */
    assert_true(BAREHEAP_DEBUG >= 3 ? g_errors.count >= 1 : g_errors.count == 1);
    assert_int_equal(g_errors.kind[0], BH_ERROR_USE_AFTER_FREE);
    assert_ptr_equal(g_errors.address[0], f->b + word * sizeof(void *));
    /* its probe may report the forward link again, and stop there */
    after = bt_stats(f->heap);
    after.largest_free_bytes = before->largest_free_bytes;
    bt_assert_stats_equal(before, &after, BT_IGNORE_FAILED | BT_IGNORE_ERRORS);
    assert_true(bt_all_bytes(g_bait.b, sizeof g_bait.b, 0xB7));
    for (i = 0; i < 3; i++)
        assert_true(bt_all_bytes(f->s[i], 16, (unsigned char)(0x30u + i)));
    bt_errors_clear(&g_errors);
}

static void test_free_links_damaged(void **state) {
    size_t g = bh_alignment(), over = bh_block_overhead();
    unsigned kind, op;
    (void)state;
    for (kind = 0; kind < 4; kind++) {
        for (op = 0; op < 7; op++) {
            unsigned word = kind / 2u; /* 0: the forward link, 1: the link back */
            link_fixture f;
            void **words, *saved;
            bh_stats before, after;
            if ((op == 4u || op == 5u) && word != 0u)
                continue; /* a probe follows forward links only */
            f = make_link_fixture();
            words = (void **)(void *)f.b;
            saved = words[word];
            before = bt_stats(f.heap);
            /* outside the heap, or a used block's payload inside it */
            words[word] = kind % 2u ? (void *)f.s[1] : (void *)(g_bait.b + 64);
            switch (op) {
            case 0: /* b is the head its class's search finds */
                assert_null(bh_alloc(f.heap, 64u * g - over));
                break;
            case 1: /* aligned: b, the first block above the search's class */
                assert_null(bh_alloc_aligned(f.heap, 2u * g, 40u * g - over));
                break;
            case 2: /* free of a neighbour: b would merge */
                bh_free(f.heap, f.s[2]);
                break;
            case 3: /* realloc of a neighbour, which could grow into b */
                assert_null(bh_realloc(f.heap, f.s[1], 70u * g));
                break;
            case 4: /* a probe past b: b too small, a large enough */
                assert_null(bh_alloc(f.heap, 65u * g - over));
                break;
            case 5: /* the statistics' probe of the top class */
                assert_true(bh_get_stats(f.heap, &after));
                break;
            default: /* usable size of a neighbour, whose free or realloc would merge */
                assert_int_equal(bh_usable_size(f.heap, f.s[2]), 0);
                break;
            }
            expect_link_report(&f, word, &before);
            /* still damaged, and bh_check says so; repaired, all is well */
            assert_true(bh_check(f.heap) > 0);
            words[word] = saved;
            bt_errors_clear(&g_errors);
            assert_int_equal(bh_check(f.heap), 0);
            assert_int_equal(g_errors.count, 0);
            bh_free(f.heap, f.s[2]);
            assert_non_null(bh_alloc(f.heap, 64u * g - over));
            assert_int_equal(bh_check(f.heap), 0);
        }
    }
}
#else
static void test_free_links_damaged(void **state) {
    (void)state; /* below level 2 a write after free is not looked for */
}
#endif

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_free_flag_on_used_block),
        cmocka_unit_test(test_check_aligned_flag_on_free_block),
        cmocka_unit_test(test_check_prev_free_flag_wrong),
        cmocka_unit_test(test_check_block_size_beyond_region),
        cmocka_unit_test(test_check_sentinel_damaged),
        cmocka_unit_test(test_check_list_links),
        cmocka_unit_test(test_check_bitmaps),
        cmocka_unit_test(test_check_block_on_wrong_list),
        cmocka_unit_test(test_check_counters),
        cmocka_unit_test(test_check_control_damaged),
        cmocka_unit_test(test_check_last_block_one_grain_past_region),
        cmocka_unit_test(test_walk_free_block_usable_bytes),
        cmocka_unit_test(test_check_two_free_neighbours),
        cmocka_unit_test(test_check_free_block_on_no_list),
        cmocka_unit_test(test_check_alignment_word_damaged),
#if BAREHEAP_DEBUG >= 1
        cmocka_unit_test(test_free_next_claims_prev_free),
        cmocka_unit_test(test_free_next_size_implausible),
        cmocka_unit_test(test_free_last_block_sentinel_damaged),
        cmocka_unit_test(test_free_first_block_claims_prev_free),
#if BAREHEAP_MAX_REGIONS >= 2
        cmocka_unit_test(test_free_first_block_of_added_region_claims_prev_free),
        cmocka_unit_test(test_free_first_block_footer_reaches_below_region),
#endif
        cmocka_unit_test(test_free_bad_footer_before),
#endif
#if BAREHEAP_DEBUG < 2
        cmocka_unit_test(test_trim_implausible_footer),
#endif
        cmocka_unit_test(test_regions_at_the_ends_of_memory),
        cmocka_unit_test(test_init_too_small_or_misaligned),
        cmocka_unit_test(test_own_class_probe_runs_out),
        cmocka_unit_test(test_null_handles),
        cmocka_unit_test(test_free_links_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
