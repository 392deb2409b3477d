/*
 * Out of memory on every allocation path at every step.
 *
 * A scripted sequence of allocations, aligned allocations, callocs, realloc
 * growths and frees is replayed once per step N that allocates: steps before
 * N run normally, then the heap is filled until no free block is left, and
 * step N must fail. The failed call must leave the heap exactly as it was
 * (every counter but failed_count, and the block list from bh_walk(), block
 * by block), a failed realloc must keep its block and contents, and once the
 * filler blocks are freed the rest of the script must run and end, with
 * everything freed, as the initial free space in one block: nothing leaked,
 * nothing corrupted.
 *
 * Then: a heap filled to exhaustion with random sizes and freed in random
 * order ends as one free block, for several heap sizes and seeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bareheap.h"
#include "bareheap_config.h"
#include "test_support.h"

/* The script's sizes and alignments are written for a grain of 16 bytes or
 * less: S() scales them with a wider grain, so that a realloc still outgrows
 * its block and an aligned request still needs more than the grain. */
#define S(n) BT_GRAIN_SCALED(n)
#define HEAP_BYTES S(32 * 1024)
#define SLOTS 8u
#define MAX_FILLERS 4096u

BT_HEAP_BUFFER(g_mem, HEAP_BYTES);
static bt_errors g_errors;
static bt_walk_log g_walk_before, g_walk_after;
static void *g_fillers[MAX_FILLERS];

typedef enum op_kind { OP_ALLOC, OP_CALLOC, OP_ALIGNED, OP_REALLOC, OP_FREE } op_kind;

typedef struct op {
    op_kind kind;
    unsigned slot;
    size_t size;
    size_t align; /* OP_ALIGNED */
} op;

/* Every path, small and large, aligned and not, realloc growth of plain and
 * aligned blocks, frees that make holes the next steps may reuse. */
static const op g_script[] = {
    {OP_ALLOC, 0, S(24), 0},          {OP_ALLOC, 1, 0, 0},              {OP_CALLOC, 2, S(100), 0},
    {OP_ALIGNED, 3, S(40), S(64)},    {OP_REALLOC, 0, S(200), 0},       {OP_FREE, 1, 0, 0},
    {OP_ALIGNED, 4, S(1000), S(256)}, {OP_REALLOC, 3, S(3000), 0},      {OP_ALLOC, 5, S(4000), 0},
    {OP_CALLOC, 1, S(16), 0},         {OP_FREE, 2, 0, 0},               {OP_REALLOC, 5, S(9000), 0},
    {OP_ALIGNED, 6, S(8), S(4096)},   {OP_REALLOC, 4, S(2000), 0},      {OP_ALLOC, 7, S(1), 0},
    {OP_FREE, 0, 0, 0},               {OP_REALLOC, 7, S(500), 0},       {OP_CALLOC, 2, S(3000), 0},
    {OP_ALLOC, 0, S(64), 0},          {OP_REALLOC, 6, S(100), 0},
};

typedef struct slot {
    unsigned char *p;
    size_t size;
    uint32_t seed;
} slot;

static slot g_slots[SLOTS];
static uint32_t g_seed;

static bh_heap *fresh_heap(void) {
    bh_heap *heap = bh_init(bt_align_up(g_mem.b, bh_alignment()), HEAP_BYTES);
    assert_non_null(heap);
    bh_set_error_handler(heap, bt_record_error, &g_errors);
    bt_errors_clear(&g_errors);
    memset(g_slots, 0, sizeof g_slots);
    return heap;
}

/* Runs one step; returns the call's result (NULL for a failure or a free). */
static void *run_op(bh_heap *heap, const op *o) {
    slot *s = &g_slots[o->slot];
    switch (o->kind) {
    case OP_ALLOC: return bh_alloc(heap, o->size);
    case OP_CALLOC: return bh_calloc(heap, 1, o->size);
    case OP_ALIGNED: return bh_alloc_aligned(heap, o->align, o->size);
    case OP_REALLOC: return bh_realloc(heap, s->p, o->size);
    default:
        bh_free(heap, s->p);
        return NULL;
    }
}

/* Records a successful step in the slots. */
static void commit_op(const op *o, void *result) {
    slot *s = &g_slots[o->slot];
    if (o->kind == OP_FREE) {
        s->p = NULL;
        return;
    }
    assert_non_null(result);
    if (o->kind == OP_REALLOC)
        assert_true(bt_verify(result, s->size < o->size ? s->size : o->size, s->seed));
    if (o->kind == OP_CALLOC)
        assert_true(bt_all_bytes(result, o->size, 0));
    if (o->kind == OP_ALIGNED)
        assert_true(bt_is_aligned(result, o->align));
    s->p = (unsigned char *)result;
    s->size = o->size;
    s->seed = ++g_seed;
    bt_fill(s->p, s->size, s->seed);
}

/* Fills the heap until no free block is left; returns the fillers' count. */
static size_t exhaust(bh_heap *heap) {
    size_t n = 0;
    bh_stats s = bt_stats(heap);
    while (s.free_blocks != 0) {
        void *p = bh_alloc(heap, s.largest_free_bytes);
        if (!p)
            p = bh_alloc(heap, 0);
        assert_non_null(p); /* any free block serves a minimal request */
        assert_true(n < MAX_FILLERS);
        g_fillers[n++] = p;
        s = bt_stats(heap);
    }
    return n;
}

static void assert_walks_equal(const bt_walk_log *a, const bt_walk_log *b) {
    size_t i;
    assert_int_equal(a->count, b->count);
    assert_true(a->count <= BT_MAX_WALK);
    for (i = 0; i < a->count; i++) {
        assert_ptr_equal(a->block[i].ptr, b->block[i].ptr);
        assert_int_equal(a->block[i].size_bytes, b->block[i].size_bytes);
        assert_int_equal(a->block[i].usable_bytes, b->block[i].usable_bytes);
        assert_int_equal(a->block[i].used, b->block[i].used);
        assert_int_equal(a->block[i].region, b->block[i].region);
    }
}

static void free_all_and_expect_initial(bh_heap *heap, const bh_stats *initial) {
    bh_stats s;
    unsigned i;
    for (i = 0; i < SLOTS; i++) {
        if (g_slots[i].p) {
            assert_true(bt_verify(g_slots[i].p, g_slots[i].size, g_slots[i].seed));
            bh_free(heap, g_slots[i].p);
            g_slots[i].p = NULL;
        }
    }
    assert_int_equal(bh_check(heap), 0);
    s = bt_stats(heap);
    assert_int_equal(s.live_blocks, 0);
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(s.free_bytes, initial->free_bytes);
    assert_int_equal(s.largest_free_bytes, initial->largest_free_bytes);
    assert_int_equal(g_errors.count, 0);
}

static void test_every_step_out_of_memory(void **state) {
    size_t fail_at, steps = BT_ARRAY_LEN(g_script), failures = 0;
    (void)state;
    for (fail_at = 0; fail_at < steps; fail_at++) {
        const op *target = &g_script[fail_at];
        bh_heap *heap;
        bh_stats initial, before, after;
        size_t i, fillers;
        void *result;
        if (target->kind == OP_FREE)
            continue;
        heap = fresh_heap();
        initial = bt_stats(heap);
        for (i = 0; i < fail_at; i++)
            commit_op(&g_script[i], run_op(heap, &g_script[i]));
        /* A realloc step must grow its block to be a growth at all. */
        if (target->kind == OP_REALLOC && g_slots[target->slot].p)
            assert_true(target->size > bh_usable_size(heap, g_slots[target->slot].p));

        fillers = exhaust(heap);
        before = bt_stats(heap);
        bt_walk(heap, &g_walk_before, 0);
        result = run_op(heap, target);
        assert_null(result);
        after = bt_stats(heap);
        bt_walk(heap, &g_walk_after, 0);
        assert_int_equal(after.failed_count, before.failed_count + 1u);
        bt_assert_stats_equal(&before, &after, BT_IGNORE_FAILED);
        assert_walks_equal(&g_walk_before, &g_walk_after);
        assert_int_equal(bh_check(heap), 0);
        if (target->kind == OP_REALLOC && g_slots[target->slot].p) {
            const slot *s = &g_slots[target->slot];
            assert_true(bt_verify(s->p, s->size, s->seed));
        }
        failures++;

        /* Room again: the step and the rest of the script succeed. */
        for (i = 0; i < fillers; i++)
            bh_free(heap, g_fillers[i]);
        assert_int_equal(bh_check(heap), 0);
        for (i = fail_at; i < steps; i++)
            commit_op(&g_script[i], run_op(heap, &g_script[i]));
        free_all_and_expect_initial(heap, &initial);
    }
    assert_true(failures >= 14u);
}

/* Requests that fail on a heap with plenty of room leave it as it was too. */
static void test_impossible_requests_change_nothing(void **state) {
    bh_heap *heap = fresh_heap();
    bh_stats before, after;
    void *p = bh_alloc(heap, 100);
    (void)state;
    assert_non_null(p);
    before = bt_stats(heap);
    bt_walk(heap, &g_walk_before, 0);
    assert_null(bh_alloc(heap, HEAP_BYTES));
    assert_null(bh_calloc(heap, HEAP_BYTES / 8u, 16));
    assert_null(bh_alloc_aligned(heap, 4096, HEAP_BYTES));
    assert_null(bh_realloc(heap, p, HEAP_BYTES));
    after = bt_stats(heap);
    bt_walk(heap, &g_walk_after, 0);
    assert_int_equal(after.failed_count, before.failed_count + 4u);
    bt_assert_stats_equal(&before, &after, BT_IGNORE_FAILED);
    assert_walks_equal(&g_walk_before, &g_walk_after);
    bh_free(heap, p);
    assert_int_equal(bh_check(heap), 0);
}

/* Fill to exhaustion with random sizes, free in random order: one block. */
static void exhaust_and_release(size_t heap_bytes, uint32_t seed) {
    static void *blocks[MAX_FILLERS];
    bh_heap *heap = bh_init(bt_align_up(g_mem.b, bh_alignment()), heap_bytes);
    bh_stats initial, s;
    bt_rng rng;
    size_t n = 0, misses = 0, i;
    assert_non_null(heap);
    bh_set_error_handler(heap, bt_record_error, &g_errors);
    bt_errors_clear(&g_errors);
    bt_rng_seed(&rng, seed);
    initial = bt_stats(heap);
    /* Random sizes until many misses in a row, then whatever is left. */
    while (misses < 64u && n < MAX_FILLERS) {
        size_t size = bt_rng_size(&rng, heap_bytes / 4u);
        void *p = (bt_rng_next(&rng) & 3u) == 0u
                      ? bh_alloc_aligned(heap, (size_t)1 << bt_rng_range(&rng, 0, 9), size)
                      : bh_alloc(heap, size);
        if (p) {
            blocks[n++] = p;
            misses = 0;
        } else {
            misses++;
        }
    }
    while (n < MAX_FILLERS) {
        s = bt_stats(heap);
        if (s.free_blocks == 0)
            break;
        blocks[n] = bh_alloc(heap, s.largest_free_bytes);
        assert_non_null(blocks[n]);
        n++;
    }
    s = bt_stats(heap);
    assert_int_equal(s.free_blocks, 0);
    assert_int_equal(s.free_bytes, 0);
    assert_null(bh_alloc(heap, 0));
    assert_int_equal(bh_check(heap), 0);
    /* Fisher-Yates, then free in that order. */
    for (i = n; i > 1u; i--) {
        size_t j = bt_rng_range(&rng, 0, i - 1u);
        void *t = blocks[i - 1u];
        blocks[i - 1u] = blocks[j];
        blocks[j] = t;
    }
    for (i = 0; i < n; i++) {
        bh_free(heap, blocks[i]);
        if ((i & 31u) == 0u)
            assert_int_equal(bh_check(heap), 0);
    }
    assert_int_equal(bh_check(heap), 0);
    s = bt_stats(heap);
    assert_int_equal(s.live_blocks, 0);
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(s.free_bytes, initial.free_bytes);
    assert_int_equal(s.largest_free_bytes, initial.largest_free_bytes);
    assert_int_equal(g_errors.count, 0);
}

static void test_exhaust_random_and_release(void **state) {
    const size_t sizes[] = {bh_control_size(BT_GRAIN_SCALED(1024)) + BT_GRAIN_SCALED(512), BT_GRAIN_SCALED(4096),
                            BT_GRAIN_SCALED(12345), HEAP_BYTES};
    size_t i;
    uint32_t seed;
    (void)state;
    for (i = 0; i < BT_ARRAY_LEN(sizes); i++) {
        for (seed = 1; seed <= 8u; seed++)
            exhaust_and_release(sizes[i], seed * 7919u + (uint32_t)i);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_step_out_of_memory),
        cmocka_unit_test(test_impossible_requests_change_nothing),
        cmocka_unit_test(test_exhaust_random_and_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
