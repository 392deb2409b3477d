/*
 * Helpers shared by the bareheap unit tests: heap buffers, a seeded PRNG,
 * content patterns, an error-handler recorder, a stats comparison and a block
 * walker. Header only (static functions), included after <cmocka.h>.
 *
 * Heap memory is a static array inside a union with the most-aligned scalar
 * types (C99 has no _Alignas and no max_align_t). That union is not always
 * aligned to bh_alignment() (i386 aligns long double to 4), so tests that care
 * about exact sizes align the base themselves with bt_align_up().
 */
#ifndef BAREHEAP_TEST_SUPPORT_H
#define BAREHEAP_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bareheap.h"
#include "bareheap_config.h"

/* The most-aligned scalar types C99 knows. */
typedef union bt_max_align {
    long double ld;
    double d;
    long long ll;
    uintmax_t um;
    void *p;
    void (*fp)(void);
} bt_max_align;

/* A static heap buffer of `bytes` bytes plus room to align it up by hand. */
#define BT_HEAP_BUFFER(name, bytes)                                            \
    static union {                                                             \
        bt_max_align align;                                                    \
        unsigned char b[(bytes) + 4096];                                       \
    } name

#define BT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A heap or request size written for a grain of 16 bytes or less, scaled
 * with a wider grain (BAREHEAP_ALIGN_BYTES, from bareheap_config.h) so that
 * the heap still holds as many blocks, and a block spans as many grains. */
#define BT_GRAIN_SCALED(bytes) \
    ((BAREHEAP_ALIGN_BYTES) > 16 ? (size_t)(bytes) * ((BAREHEAP_ALIGN_BYTES) / 16u) : (size_t)(bytes))

/* The largest alignment of a sweep over alignments: 4 KiB, or 16 grains
 * where the grain is wider (alignments within a grain ask nothing of the
 * allocator). */
#define BT_ALIGN_TOP_BYTES \
    (4096u > 16u * (BAREHEAP_ALIGN_BYTES) ? (size_t)4096 : (size_t)16 * (BAREHEAP_ALIGN_BYTES))

/* The offset after k in a sweep of offsets (by step) across grains: every
 * one up to a grain of 64 bytes; with a wider grain, where every offset
 * would cost a grain's worth of runs, those within 32 bytes of a grain's
 * ends, where the rounding changes. */
static inline size_t bt_grain_step(size_t k, size_t step)
{
    size_t g = bh_alignment(), next = k + step, in = next % g;
    return (g > 64u && in >= 32u && in < g - 32u) ? next - in + (g - 32u) : next;
}

/* The control structure for a heap 64 times small_bytes (of 2^SL_LOG2
 * grains or more) holds six more first-level classes than the one for
 * small_bytes, each a row of 2^BAREHEAP_SL_LOG2 list heads: that many bytes
 * more at least, less what the rounding to a grain absorbs (with a
 * page-wide grain, all of it). */
static inline void bt_assert_control_grows(size_t small_bytes)
{
    size_t rows = 6u * ((size_t)1 << BAREHEAP_SL_LOG2) * sizeof(void *);
    assert_true(bh_control_size(small_bytes) + rows < bh_control_size(64u * small_bytes) + bh_alignment());
}

static inline unsigned char *bt_align_up(void *p, size_t align_bytes)
{
    uintptr_t u = (uintptr_t)p;
    u = (u + (uintptr_t)(align_bytes - 1u)) & ~(uintptr_t)(align_bytes - 1u);
    return (unsigned char *)u;
}

static inline bool bt_is_aligned(const void *p, size_t align_bytes)
{
    return ((uintptr_t)p & (uintptr_t)(align_bytes - 1u)) == 0u;
}

static inline size_t bt_round_up(size_t n, size_t align_bytes)
{
    return (n + align_bytes - 1u) & ~(align_bytes - 1u);
}

/* ---- xorshift32: deterministic on every target, seeded per test ---- */

typedef struct bt_rng {
    uint32_t state;
} bt_rng;

static inline void bt_rng_seed(bt_rng *rng, uint32_t seed)
{
    rng->state = seed != 0u ? seed : 0x9E3779B9u;
}

static inline uint32_t bt_rng_next(bt_rng *rng)
{
    uint32_t x = rng->state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng->state = x;
    return x;
}

/* Uniform enough in [lo, hi] for test purposes. */
static inline size_t bt_rng_range(bt_rng *rng, size_t lo, size_t hi)
{
    return lo + (size_t)(bt_rng_next(rng) % (uint32_t)(hi - lo + 1u));
}

/* Sizes skewed towards small ones, up to max_bytes. */
static inline size_t bt_rng_size(bt_rng *rng, size_t max_bytes)
{
    uint32_t pick = bt_rng_next(rng) % 8u;
    size_t cap = pick < 4u ? 64u : pick < 6u ? 512u : pick < 7u ? 4096u : max_bytes;
    if (cap > max_bytes) {
        cap = max_bytes;
    }
    return bt_rng_range(rng, 0u, cap);
}

/* ---- content patterns: each block gets its own, to catch overlap ---- */

static inline unsigned char bt_pattern_byte(uint32_t seed, size_t i)
{
    uint32_t v = seed * 2654435761u + (uint32_t)i * 40503u + (uint32_t)(i >> 7);
    return (unsigned char)(v ^ (v >> 11) ^ (v >> 23));
}

static inline void bt_fill(void *p, size_t n, uint32_t seed)
{
    unsigned char *b = (unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) {
        b[i] = bt_pattern_byte(seed, i);
    }
}

static inline bool bt_verify(const void *p, size_t n, uint32_t seed)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) {
        if (b[i] != bt_pattern_byte(seed, i)) {
            return false;
        }
    }
    return true;
}

static inline bool bt_all_bytes(const void *p, size_t n, unsigned char value)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) {
        if (b[i] != value) {
            return false;
        }
    }
    return true;
}

/* ---- error handler recorder ---- */

#define BT_MAX_ERRORS 16

typedef struct bt_errors {
    unsigned count;
    bh_error kind[BT_MAX_ERRORS];
    const void *address[BT_MAX_ERRORS];
} bt_errors;

static inline void bt_errors_clear(bt_errors *log)
{
    memset(log, 0, sizeof(*log));
}

static inline void bt_record_error(void *context, bh_error kind, const void *address)
{
    bt_errors *log = (bt_errors *)context;
    if (log->count < BT_MAX_ERRORS) {
        log->kind[log->count] = kind;
        log->address[log->count] = address;
    }
    log->count++;
}

/* ---- stats ---- */

#define BT_IGNORE_FAILED 1u /* failed_count may differ */
#define BT_IGNORE_ERRORS 2u /* error_count may differ */

static inline void bt_assert_stats_equal(const bh_stats *a, const bh_stats *b, unsigned ignore)
{
    assert_int_equal(a->heap_bytes, b->heap_bytes);
    assert_int_equal(a->control_bytes, b->control_bytes);
    assert_int_equal(a->total_bytes, b->total_bytes);
    assert_int_equal(a->used_bytes, b->used_bytes);
    assert_int_equal(a->free_bytes, b->free_bytes);
    assert_int_equal(a->peak_used_bytes, b->peak_used_bytes);
    assert_int_equal(a->min_free_bytes, b->min_free_bytes);
    assert_int_equal(a->largest_free_bytes, b->largest_free_bytes);
    assert_int_equal(a->live_blocks, b->live_blocks);
    assert_int_equal(a->free_blocks, b->free_blocks);
    assert_int_equal(a->region_count, b->region_count);
    assert_int_equal(a->alloc_count, b->alloc_count);
    assert_int_equal(a->free_count, b->free_count);
    if ((ignore & BT_IGNORE_FAILED) == 0u) {
        assert_int_equal(a->failed_count, b->failed_count);
    }
    if ((ignore & BT_IGNORE_ERRORS) == 0u) {
        assert_int_equal(a->error_count, b->error_count);
    }
}

static inline bh_stats bt_stats(bh_heap *heap)
{
    bh_stats s;
    memset(&s, 0, sizeof(s));
    assert_true(bh_get_stats(heap, &s));
    assert_int_equal(s.used_bytes + s.free_bytes, s.total_bytes);
    return s;
}

/* ---- walking ---- */

#define BT_MAX_WALK 4096

typedef struct bt_walk_log {
    size_t count;      /* blocks reported */
    size_t stop_after; /* 0: never stop */
    size_t used_blocks, free_blocks;
    size_t used_bytes, free_bytes, size_sum;
    size_t max_free_size; /* largest free block, header included */
    size_t max_free_usable;
    bh_block_info block[BT_MAX_WALK]; /* the first BT_MAX_WALK blocks */
} bt_walk_log;

static inline bool bt_walk_record(void *context, const bh_block_info *info)
{
    bt_walk_log *log = (bt_walk_log *)context;
    if (log->count < BT_MAX_WALK) {
        log->block[log->count] = *info;
    }
    log->count++;
    log->size_sum += info->size_bytes;
    if (info->used) {
        log->used_blocks++;
        log->used_bytes += info->size_bytes;
    } else {
        log->free_blocks++;
        log->free_bytes += info->size_bytes;
        if (info->size_bytes > log->max_free_size) {
            log->max_free_size = info->size_bytes;
        }
        if (info->usable_bytes > log->max_free_usable) {
            log->max_free_usable = info->usable_bytes;
        }
    }
    return log->stop_after == 0u || log->count < log->stop_after;
}

/* Walks the heap into *log (which may be large: keep it static). */
static inline size_t bt_walk(bh_heap *heap, bt_walk_log *log, size_t stop_after)
{
    memset(log, 0, offsetof(bt_walk_log, block));
    log->stop_after = stop_after;
    return bh_walk(heap, bt_walk_record, log);
}

/* Index of the block whose payload is ptr in the last walk, or SIZE_MAX. */
static inline size_t bt_walk_find(const bt_walk_log *log, const void *ptr)
{
    size_t i, n = log->count < BT_MAX_WALK ? log->count : BT_MAX_WALK;
    for (i = 0; i < n; i++) {
        if (log->block[i].ptr == ptr) {
            return i;
        }
    }
    return SIZE_MAX;
}

/* Walks the heap and checks that the blocks agree with the counters:
 * address order and contiguity within a region, sums equal to the stats. */
static inline void bt_assert_walk_consistent(bh_heap *heap, bt_walk_log *log)
{
    bh_stats s = bt_stats(heap);
    size_t i, n, visited = bt_walk(heap, log, 0u);

    assert_int_equal(visited, log->count);
    assert_int_equal(log->size_sum, s.total_bytes);
    assert_int_equal(log->used_bytes, s.used_bytes);
    assert_int_equal(log->free_bytes, s.free_bytes);
    assert_int_equal(log->used_blocks, s.live_blocks);
    assert_int_equal(log->free_blocks, s.free_blocks);

    n = log->count < BT_MAX_WALK ? log->count : BT_MAX_WALK;
    for (i = 0; i < n; i++) {
        const bh_block_info *b = &log->block[i];
        assert_true(bt_is_aligned(b->ptr, bh_alignment()));
        assert_true(b->size_bytes >= bh_min_block_size());
        assert_true(b->usable_bytes + bh_block_overhead() <= b->size_bytes);
        if (b->used) {
            assert_int_equal(b->usable_bytes, bh_usable_size(heap, b->ptr));
        } else {
            assert_int_equal(b->usable_bytes, b->size_bytes - bh_block_overhead());
        }
        if (i > 0u && log->block[i - 1u].region == b->region) {
            const bh_block_info *a = &log->block[i - 1u];
            /* address order, no gap, and never two free blocks side by side */
            assert_ptr_equal((const unsigned char *)a->ptr + a->size_bytes, b->ptr);
            assert_false(!a->used && !b->used);
        }
        if (i > 0u) {
            assert_true(log->block[i - 1u].region <= b->region);
        }
    }
}

#endif /* BAREHEAP_TEST_SUPPORT_H */
