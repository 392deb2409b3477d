/*
 * Seeded random stress against a shadow model of the live blocks: every
 * answer is checked (alignment, inside the heap, no overlap with another live
 * block, usable size, contents kept through realloc, calloc zeroed, stats equal
 * to the model's totals) and bh_check() runs after every step for small heaps,
 * every 64 steps for large ones. Freeing everything must give back the
 * initial free space as one block.
 *
 * Usage: test_stress [operations per heap size] (default 40000, 3000 at
 * BAREHEAP_DEBUG 3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bareheap.h"
#include "bareheap_config.h"

/* BAREHEAP_TEST_SMALL_RAM: boards with 16 KiB of RAM (Cortex-M0) run the
 * small heaps only, with fewer slots. */
#if defined(BAREHEAP_TEST_SMALL_RAM) && BAREHEAP_TEST_SMALL_RAM
#define SLOTS 64u
#define MAX_HEAP_BYTES (8u << 10)
#else
#define SLOTS 512u
#define MAX_HEAP_BYTES (4u << 20)
#endif

static union {
    long double ld;
    void *p;
    unsigned char b[MAX_HEAP_BYTES];
} memory;

#if BAREHEAP_DEBUG >= 3
/* Every call runs bh_check() over the whole heap: fewer steps, same paths. */
static unsigned long operations = 3000;
#else
static unsigned long operations = 40000;
#endif

typedef struct slot {
    unsigned char *p;
    size_t size;
    size_t align;
    unsigned char seed;
} slot;

static slot slots[SLOTS];
static uint64_t rng_state;

static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t rng_below(size_t n) { return n ? (size_t)(rng() % n) : 0; }

static unsigned char pattern(const slot *s, size_t i) { return (unsigned char)(s->seed + i * 7u); }

static void fill(slot *s) {
    size_t i;
    for (i = 0; i < s->size; i++)
        s->p[i] = pattern(s, i);
}

static void verify(const slot *s, size_t n) {
    size_t i;
    for (i = 0; i < n && i < s->size; i++) {
        if (s->p[i] != pattern(s, i))
            fail_msg("slot contents lost at byte %zu of %zu", i, s->size);
    }
}

static size_t random_size(size_t heap_bytes) {
    switch (rng_below(4)) {
    case 0: return rng_below(33);
    case 1: return rng_below(257);
    case 2: return rng_below(4097);
    default: return rng_below(heap_bytes / 8 + 1);
    }
}

/* Blocks are sized to the request: the block a request of n bytes takes
 * (overhead, the alignment word of an aligned block, rounded to a grain, at
 * least a minimum block) plus a tail too small to stand as a free block,
 * never a whole minimum block more. */
static void expect_sized_to_request(bh_heap *heap, const void *p, size_t n, size_t align) {
    size_t g = bh_alignment(), extra = bh_block_overhead() + (align > g ? sizeof(size_t) : 0u);
    size_t block = (n + extra + g - 1u) & ~(g - 1u), usable = bh_usable_size(heap, (void *)p);
    if (block < bh_min_block_size())
        block = bh_min_block_size();
    assert_true(usable >= n);
    if (usable + extra >= block + bh_min_block_size())
        fail_msg("block of %zu usable bytes for a request of %zu", usable, n);
}

static int error_calls;
static void on_error(void *context, bh_error kind, const void *address) {
    (void)context;
    (void)kind;
    (void)address;
    error_calls++;
}

/* Live blocks must not overlap: sort-free check against every other slot
 * would be quadratic; instead compare with the model's neighbours in a
 * bitmap-free way: check each new block against all live ones (SLOTS is small). */
static void expect_no_overlap(bh_heap *heap, unsigned index) {
    const slot *s = &slots[index];
    size_t usable = bh_usable_size(heap, s->p);
    unsigned i;
    for (i = 0; i < SLOTS; i++) {
        const slot *o;
        if (i == index || !slots[i].p)
            continue;
        o = &slots[i];
        if (s->p < o->p + bh_usable_size(heap, o->p) && o->p < s->p + usable)
            fail_msg("blocks overlap");
    }
}

static void run(size_t heap_bytes, uint64_t seed, size_t offset) {
    unsigned char *base = memory.b + offset;
    bh_heap *heap = bh_init(base, heap_bytes);
    bh_stats initial, s;
    unsigned long op;
    size_t live, check_every = heap_bytes <= 65536u ? 1u : 64u;
    unsigned i;

    assert_non_null(heap);
    bh_set_error_handler(heap, on_error, NULL);
    error_calls = 0;
    rng_state = seed;
    memset(slots, 0, sizeof slots);
    assert_true(bh_get_stats(heap, &initial));

    for (op = 0; op < operations; op++) {
        unsigned index = (unsigned)rng_below(SLOTS);
        slot *sl = &slots[index];
        unsigned choice = (unsigned)rng_below(10);
        if (!sl->p) {
            size_t n = random_size(heap_bytes);
            sl->align = 0;
            assert_true(bh_get_stats(heap, &s));
            if (choice < 6) {
                sl->p = bh_alloc(heap, n);
                /* The heap promises every request up to largest_free_bytes. */
                if (!sl->p && s.free_blocks != 0 && n <= s.largest_free_bytes)
                    fail_msg("alloc(%zu) failed with largest_free_bytes %zu", n, s.largest_free_bytes);
            } else if (choice < 8) {
                size_t count = 1 + rng_below(4);
                sl->p = bh_calloc(heap, count, n / 4);
                n = count * (n / 4);
                if (sl->p) {
                    size_t k;
                    for (k = 0; k < n; k++)
                        if (sl->p[k] != 0)
                            fail_msg("calloc memory not zeroed");
                }
            } else {
                sl->align = (size_t)1 << rng_below(13);
                sl->p = bh_alloc_aligned(heap, sl->align, n);
            }
            if (sl->p) {
                assert_true(((uintptr_t)sl->p & (bh_alignment() - 1u)) == 0);
                if (sl->align)
                    assert_true(((uintptr_t)sl->p & (sl->align - 1u)) == 0);
                assert_true(sl->p >= base && sl->p + n <= base + heap_bytes);
                expect_sized_to_request(heap, sl->p, n, sl->align);
                sl->size = n;
                sl->seed = (unsigned char)rng();
                fill(sl);
                if (op % 16 == 0)
                    expect_no_overlap(heap, index);
            }
        } else if (choice < 6) {
            verify(sl, sl->size);
            bh_free(heap, sl->p);
            sl->p = NULL;
        } else {
            size_t n = random_size(heap_bytes);
            size_t old_usable = bh_usable_size(heap, sl->p);
            unsigned char *q;
            verify(sl, sl->size);
            q = bh_realloc(heap, sl->p, n);
            /* Within its usable size a block is resized in place. */
            if (n != 0 && n <= old_usable && q != sl->p)
                fail_msg("realloc to %zu of a block of %zu usable bytes moved or failed", n, old_usable);
            if (n == 0) {
                assert_null(q);
                sl->p = NULL;
            } else if (q) {
                slot moved = *sl;
                moved.p = q;
                verify(&moved, n);
                if (sl->align)
                    assert_true(((uintptr_t)q & (sl->align - 1u)) == 0);
                expect_sized_to_request(heap, q, n, sl->align);
                sl->p = q;
                sl->size = n;
                fill(sl);
            } else {
                verify(sl, sl->size); /* a failed realloc keeps the block */
            }
        }
        if (op % check_every == 0) {
            assert_int_equal(bh_check(heap), 0);
            assert_true(bh_get_stats(heap, &s));
            assert_int_equal(s.used_bytes + s.free_bytes, s.total_bytes);
            for (live = 0, i = 0; i < SLOTS; i++)
                live += slots[i].p != NULL;
            assert_int_equal(s.live_blocks, live);
            assert_true(s.peak_used_bytes >= s.used_bytes);
            assert_true(s.min_free_bytes <= s.free_bytes);
        }
    }
    for (i = 0; i < SLOTS; i++) {
        if (slots[i].p) {
            verify(&slots[i], slots[i].size);
            bh_free(heap, slots[i].p);
        }
    }
    assert_int_equal(bh_check(heap), 0);
    assert_true(bh_get_stats(heap, &s));
    assert_int_equal(s.free_bytes, initial.free_bytes);
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(s.largest_free_bytes, initial.largest_free_bytes);
    assert_int_equal(s.live_blocks, 0);
    assert_int_equal(error_calls, 0);
}

/* A size written for a grain of 16 bytes or less, scaled with a wider grain
 * so that the heap still holds as many blocks. */
#define SCALED(bytes) \
    (BAREHEAP_ALIGN_BYTES > 16 ? (size_t)(bytes) * (BAREHEAP_ALIGN_BYTES / 16u) : (size_t)(bytes))

static void test_small_heaps(void **state) {
    /* From a few hundred bytes beyond the control structure up. */
    const size_t sizes[] = {bh_control_size(SCALED(512)) + SCALED(384), bh_control_size(SCALED(1024)) + SCALED(1000),
                            SCALED(4096),
#if MAX_HEAP_BYTES >= 16384u + 16u
                            SCALED(16384) < MAX_HEAP_BYTES - 16u ? SCALED(16384) : MAX_HEAP_BYTES - 16u
#else
                            MAX_HEAP_BYTES - 16u
#endif
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        run(sizes[i], 0x9E3779B97F4A7C15ull + i, i * 3u);
}

static void test_medium_heaps(void **state) {
    (void)state;
#if MAX_HEAP_BYTES >= 262144u + 16u
    run(65536, 12345, 0);
    run(262144, 777, 5);
#else
    skip();
#endif
}

static void test_large_heap(void **state) {
    (void)state;
    run(MAX_HEAP_BYTES - 64u, 4242, 1);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_heaps),
        cmocka_unit_test(test_medium_heaps),
        cmocka_unit_test(test_large_heap),
    };
    if (argc > 1)
        operations = strtoul(argv[1], NULL, 10);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
