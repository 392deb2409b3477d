/*
 * Firmware for make wcet (tools/wcet.sh): the calls whose instruction counts
 * are measured, on a 64 KiB heap (and, for the calls on larger blocks, on a
 * heap in the RAM after the image). It runs under QEMU with an instruction
 * trace (-singlestep -d exec,nochain); every measured call is bracketed by
 * wcet_op_<case>() before and wcet_done() after, and tools/wcet.sh counts the
 * trace lines in between that lie outside this file's functions (all named
 * wcet_* or main): the instructions of bareheap and of what it calls (libgcc
 * helpers; memcpy/memmove/memset are counted apart, as the copy of realloc).
 *
 * Cases:
 *   random small (8..256 B) and mixed (8 B..64 KiB, log-uniform) alloc/free;
 *   split of the one huge free block (first allocation on a fresh heap);
 *   free between two free neighbours (double merge);
 *   a heap of small holes where requests must probe their own class
 *   (BAREHEAP_PROBE_LIMIT blocks, found at the last probe or not at all);
 *   aligned allocation, alignments 8..4096;
 *   realloc: shrink, grow into the next block, into the previous one (a move),
 *   and the fallback (allocate, copy, free);
 *   and, built to take the costlier side of every branch they can combine,
 *   the probing alloc, the aligned alloc whose first search fails after its
 *   probes and whose second finds the block at its last probe, and the realloc
 *   fallback that does that aligned alloc and then a double merge, with the
 *   blocks they file below 2^BAREHEAP_SL_LOG2 grains and, where the heap
 *   holds it, above; and the aligned alloc (and realloc fallback) whose
 *   second search finds its block by the class scan instead, through the
 *   first-level bitmap, after the first search's probes failed;
 *   and on larger blocks, where the class mapping of RV32 costs more: the
 *   first split, the double merge and that aligned alloc in each size band of
 *   its bit scan, the aligned alloc setting a new low-water mark, and a realloc
 *   fallback that first tests the block before for a move (it has room but is
 *   misaligned) and whose old block's neighbours each empty their level, also
 *   with the first search above the heap's planned top class (a region added).
 */
#include <stddef.h>
#include <stdint.h>

#include "bareheap.h"
#include "bareheap_internal.h" /* the probe budgets, the header flags, the low-water mark */
#include "wcet_common.h"

#define HEAP_BYTES 65536u

static unsigned char wcet_arena[HEAP_BYTES] __attribute__((aligned(4096)));
static bh_heap *wcet_heap;

/* WCET_MASK_HOOKS: every heap gets the interrupt mask of port/locks/ as its
 * lock hooks, whose calls and bodies (bh_*_lock_enter/exit, not this file's)
 * the trace counts with the call: what a heap shared with interrupt
 * handlers cost before the mask could be compiled in. */
#if defined(WCET_MASK_HOOKS)
#if defined(__arm__)
#include "bareheap_lock_cortex_m.h"
static bh_cortex_m_lock wcet_mask;
#define WCET_MASK_ENTER bh_cortex_m_lock_enter
#define WCET_MASK_EXIT bh_cortex_m_lock_exit
#else
#include "bareheap_lock_riscv.h"
static bh_riscv_lock wcet_mask;
#define WCET_MASK_ENTER bh_riscv_lock_enter
#define WCET_MASK_EXIT bh_riscv_lock_exit
#endif
#endif

static bh_heap *wcet_init(void *mem, size_t bytes)
{
    bh_heap *heap = bh_init(mem, bytes);
#if defined(WCET_MASK_HOOKS)
    if (heap && !bh_set_lock(heap, WCET_MASK_ENTER, WCET_MASK_EXIT, &wcet_mask))
        wcet_errors++;
#endif
    return heap;
}
WCET_MARK(alloc_small)
WCET_MARK(free_small)
WCET_MARK(alloc_mixed)
WCET_MARK(free_mixed)
WCET_MARK(alloc_fresh_split)
WCET_MARK(free_double_merge)
WCET_MARK(free_last_merge)
WCET_MARK(alloc_holes_probe_hit)
WCET_MARK(alloc_holes_probe_miss)
WCET_MARK(alloc_holes_small)
WCET_MARK(free_holes)
WCET_MARK(free_aligned_fragmented)
WCET_MARK(alloc_probe_worst)
WCET_MARK(aligned_fresh)
WCET_MARK(aligned_fragmented)
WCET_MARK(aligned_probe_worst)
WCET_MARK(realloc_shrink)
WCET_MARK(realloc_grow_next)
WCET_MARK(realloc_grow_prev)
WCET_MARK(realloc_grow_prev_next)
WCET_MARK(realloc_fallback)
WCET_MARK(realloc_fallback_worst)
WCET_MARK(aligned_scan_worst)
WCET_MARK(realloc_scan_worst)
WCET_MARK(alloc_band_split)
WCET_MARK(free_band_merge)
WCET_MARK(aligned_band_scan)
WCET_MARK(realloc_band_scan)

#define ALLOC(c, n) (wcet_op_##c(), wcet_r = bh_alloc(wcet_heap, (n)), wcet_done(), wcet_calls++, wcet_r)
#define FREE(c, p) (wcet_op_##c(), bh_free(wcet_heap, (p)), wcet_done(), wcet_calls++)
#define ALIGNED(c, a, n) \
    (wcet_op_##c(), wcet_r = bh_alloc_aligned(wcet_heap, (a), (n)), wcet_done(), wcet_calls++, wcet_r)
#define REALLOC(c, p, n) \
    (wcet_op_##c(), wcet_r = bh_realloc(wcet_heap, (p), (n)), wcet_done(), wcet_calls++, wcet_r)

static void wcet_fresh(void) {
    wcet_heap = wcet_init(wcet_arena, HEAP_BYTES);
    if (!wcet_heap)
        wcet_errors++;
}

static void wcet_check(void) {
    if (bh_check(wcet_heap) != 0)
        wcet_errors++;
}

#define SLOTS 64
static void *wcet_slot[SLOTS];

static void wcet_random_small(unsigned steps) {
    unsigned i;
    wcet_fresh();
    for (i = 0; i < SLOTS; i++)
        wcet_slot[i] = NULL;
    for (i = 0; i < steps; i++) {
        unsigned k = wcet_rand() % SLOTS;
        if (wcet_slot[k]) {
            FREE(free_small, wcet_slot[k]);
            wcet_slot[k] = NULL;
        } else {
            wcet_slot[k] = ALLOC(alloc_small, wcet_small());
        }
    }
    wcet_check();
}

static void wcet_random_mixed(unsigned steps) {
    unsigned i;
    wcet_fresh();
    for (i = 0; i < SLOTS; i++)
        wcet_slot[i] = NULL;
    for (i = 0; i < steps; i++) {
        unsigned k = wcet_rand() % 16u; /* at most 16 live: big ones still fit at times */
        if (wcet_slot[k]) {
            FREE(free_mixed, wcet_slot[k]);
            wcet_slot[k] = NULL;
        } else {
            wcet_slot[k] = ALLOC(alloc_mixed, wcet_mixed());
        }
    }
    wcet_check();
}

/* First allocation on a fresh heap: the one huge block is split. */
static void wcet_fresh_split(unsigned steps) {
    (void)steps;
    static const size_t sizes[] = {1, 8, 12, 100, 256, 1000, 4000, 30000, 60000};
    unsigned i;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        wcet_fresh();
        if (!ALLOC(alloc_fresh_split, sizes[i]))
            wcet_errors++;
    }
}

/* [a][b][c][d]: free a and c, then b merges with both; also the block before
 * the heap's free tail (merges with the tail). */
static void wcet_double_merge(unsigned steps) {
    (void)steps;
    unsigned i;
    wcet_fresh();
    for (i = 0; i < 40; i++) {
        size_t na = wcet_mixed() % 4096u + 1u, nb = wcet_small(), nc = wcet_mixed() % 4096u + 1u;
        void *a = bh_alloc(wcet_heap, na), *b = bh_alloc(wcet_heap, nb);
        void *c = bh_alloc(wcet_heap, nc), *d = bh_alloc(wcet_heap, 16);
        if (!a || !b || !c || !d) {
            wcet_errors++;
            return;
        }
        bh_free(wcet_heap, a);
        bh_free(wcet_heap, c);
        FREE(free_double_merge, b);
        bh_free(wcet_heap, d);
        /* d sat between the merged block and the free tail */
    }
    for (i = 0; i < 20; i++) {
        void *a = bh_alloc(wcet_heap, wcet_small()), *b = bh_alloc(wcet_heap, wcet_small());
        bh_free(wcet_heap, a);
        FREE(free_last_merge, b);
    }
    wcet_check();
}

/* A heap of small holes, then requests that must probe their own class.
 * Class [1024, 1088) of block sizes holds PROBE_LIMIT holes of 1040 bytes
 * (too small for a 1056-byte block) and, for the hit case, one of 1072 at the
 * probe limit. Nothing larger is free. */
#define HOLES 1536
#define CLASS_HOLES 12
static void *wcet_hole_used[HOLES], *wcet_hole_free[HOLES];
static void *wcet_big_used[CLASS_HOLES + 1], *wcet_big_free[CLASS_HOLES + 1];

static void wcet_holes(unsigned steps) {
    (void)steps;
    unsigned i;
    void *p;
    wcet_fresh();
    for (i = 0; i < HOLES; i++) {
        wcet_hole_free[i] = bh_alloc(wcet_heap, 8);
        wcet_hole_used[i] = bh_alloc(wcet_heap, 8);
    }
    for (i = 0; i < CLASS_HOLES + 1; i++) {
        /* the hole at index PROBE_LIMIT - 1 in the list (freed first) fits */
        wcet_big_free[i] = bh_alloc(wcet_heap, i == 0 ? 1064 : 1032);
        wcet_big_used[i] = bh_alloc(wcet_heap, 8);
    }
    /* use up the tail */
    while ((p = bh_alloc(wcet_heap, 64)) != NULL) {
    }
    while ((p = bh_alloc(wcet_heap, 8)) != NULL) {
    }
    for (i = 0; i < HOLES; i++)
        FREE(free_holes, wcet_hole_free[i]);
    /* list order of class [1024,1088): head is the last freed */
    bh_free(wcet_heap, wcet_big_free[0]);
    for (i = 1; i < BAREHEAP_PROBE_LIMIT; i++)
        bh_free(wcet_heap, wcet_big_free[i]);
    /* found at the last probe */
    p = ALLOC(alloc_holes_probe_hit, 1048);
    if (p != wcet_big_free[0])
        wcet_errors++;
    /* now PROBE_LIMIT - 1 blocks too small; add more than the limit */
    for (i = BAREHEAP_PROBE_LIMIT; i < CLASS_HOLES + 1; i++)
        bh_free(wcet_heap, wcet_big_free[i]);
    for (i = 0; i < 8; i++)
        if (ALLOC(alloc_holes_probe_miss, 1048 + 4 * i) != NULL)
            wcet_errors++;
    /* small requests on the hole heap, each served from a hole */
    for (i = 0; i < 64; i++)
        if (!ALLOC(alloc_holes_small, 1 + wcet_rand() % 8u))
            wcet_errors++;
    wcet_check();
}

/* ---- The costliest paths, by construction ----
 * The own class of these requests is the last of its first level (the search
 * moves to the next level) or the one before it, and nothing is free above
 * it: the request probes its own class, BAREHEAP_PROBE_LIMIT blocks, and the block
 * that fits is the last probed, the tail of the list (the costlier unlink).
 * Its remainder, and an aligned block's front, go to empty classes (the
 * bitmaps change). The class ends at 2 lo or one class width below; its
 * holes have its minimum size, too small for a request one grain larger.
 *
 * Each call runs in two geometries where the heap holds them: blocks filed
 * below 2^BAREHEAP_SL_LOG2 grains (a first level of one size per class) and
 * blocks at or above it, since the class mapping takes a different path for
 * each and which costs more depends on the build. */
typedef struct wcet_geometry {
    size_t lo;    /* the first level of the request's class starts at lo bytes */
    size_t align; /* the aligned calls' alignment */
    size_t front; /* the free block left before their aligned payload */
} wcet_geometry;

static size_t wcet_plain_request(size_t block_bytes) { return block_bytes - bh_block_overhead(); }
static size_t wcet_aligned_request(size_t block_bytes) {
    return block_bytes - bh_block_overhead() - sizeof(size_t); /* the alignment word */
}
static size_t wcet_class_width(const wcet_geometry *geo) { return geo->lo >> BAREHEAP_SL_LOG2; }
static size_t wcet_pow2_above(size_t n) {
    size_t p = 1;
    while (p <= n)
        p *= 2u;
    return p;
}

/* Where the next allocation's payload lands (the heap's free tail). */
static uintptr_t wcet_next_payload(void) {
    void *p = bh_alloc(wcet_heap, 1);
    bh_free(wcet_heap, p);
    return (uintptr_t)p;
}

static void *wcet_probe_hole[BAREHEAP_PROBE_LIMIT];
static void *wcet_merge_prev, *wcet_merge_mid, *wcet_merge_next;

/* Bytes a heap of wcet_probe_heap() takes, with margin: the spacer, the
 * fitting block, the holes, the blocks of the merge and a 1-byte block after
 * each. */
static size_t wcet_probe_heap_bytes(const wcet_geometry *geo, unsigned holes, int with_merge) {
    size_t small = bh_min_block_size() + bh_alignment();
    size_t bytes = geo->align + small + (2u * geo->lo + small) * (holes + 1u) + 4u * small;
    if (with_merge)
        bytes += geo->lo * 9u / 8u + 4u * geo->align + 2u * small;
    return bytes + bh_control_size(HEAP_BYTES);
}

/* A fresh heap as above whose list holds holes blocks too small and then
 * the fitting block, of hit_bytes and its payload at hit_residue modulo
 * geo->align; with_merge adds an aligned block between
 * two free blocks of other first levels, alone in their classes. Returns the
 * fitting block's payload. */
static void *wcet_probe_heap(const wcet_geometry *geo, unsigned holes, size_t hole_bytes, size_t hit_bytes,
                             size_t hit_residue, int with_merge) {
    size_t min = bh_min_block_size(), spacer;
    uintptr_t first;
    void *hit;
    unsigned i;
    wcet_fresh();
    /* the first allocation's address, then a spacer that puts hit where asked */
    first = wcet_next_payload();
    spacer = (size_t)((hit_residue - first) & (geo->align - 1u));
    while (spacer < min)
        spacer += geo->align;
    (void)bh_alloc(wcet_heap, wcet_plain_request(spacer));
    hit = bh_alloc(wcet_heap, wcet_plain_request(hit_bytes));
    (void)bh_alloc(wcet_heap, 1);
    for (i = 0; i < holes; i++) {
        wcet_probe_hole[i] = bh_alloc(wcet_heap, wcet_plain_request(hole_bytes));
        (void)bh_alloc(wcet_heap, 1);
    }
    if (with_merge) {
        /* merge_prev's size puts merge_mid's payload on an alignment boundary:
         * no free front between them, so merge_prev stays its neighbour */
        size_t prev_bytes = geo->lo * 3u / 4u;
        prev_bytes += (size_t)((0u - (wcet_next_payload() + prev_bytes)) & (geo->align - 1u));
        wcet_merge_prev = bh_alloc(wcet_heap, wcet_plain_request(prev_bytes));
        wcet_merge_mid = bh_alloc_aligned(wcet_heap, geo->align, 16);
        wcet_merge_next = bh_alloc(wcet_heap, wcet_plain_request(geo->lo * 3u / 8u));
        (void)bh_alloc(wcet_heap, 1);
    }
    while (bh_alloc(wcet_heap, 64) != NULL) {
    }
    while (bh_alloc(wcet_heap, 1) != NULL) {
    }
    if (!hit || ((uintptr_t)hit & (geo->align - 1u)) != (hit_residue & (geo->align - 1u)) ||
        (uintptr_t)hit - first < spacer) {
        wcet_errors++;
        return NULL;
    }
    bh_free(wcet_heap, hit); /* first freed: the tail of its list */
    for (i = 0; i < holes; i++)
        bh_free(wcet_heap, wcet_probe_hole[i]);
    if (with_merge) {
        bh_free(wcet_heap, wcet_merge_prev);
        bh_free(wcet_heap, wcet_merge_next);
    }
    return hit;
}

/* The three built calls in geometry geo; plain and aligned say which of them
 * the heap holds there. */
static void wcet_worst_paths_in(const wcet_geometry *geo, int plain_fits, int aligned_fits) {
    size_t g = bh_alignment(), w = wcet_class_width(geo);
    unsigned k;
    /* The class is the last of its first level (the search moves on a level)
     * or the one before it (the search stays on the level). */
    for (k = 0; k < 2u; k++) {
        size_t class_end = 2u * geo->lo - k * w, hole_bytes = class_end - w;
        size_t request_bytes = hole_bytes + g; /* not a class minimum */
        /* aligned: the first search asks for this much; the block is one grain less */
        size_t first_search = request_bytes + geo->align + bh_min_block_size() - g;
        /* computed before the calls: bh_block_overhead() would count in them */
        size_t plain = wcet_plain_request(request_bytes), aligned = wcet_aligned_request(request_bytes);
        void *hit, *p;
        if (plain_fits) {
            /* plain: the block is the class's largest, the remainder w - 2 grains */
            hit = wcet_probe_heap(geo, BAREHEAP_PROBE_LIMIT - 1u, hole_bytes, class_end - g, 0, 0);
            if (ALLOC(alloc_probe_worst, plain) != hit || !hit)
                wcet_errors++;
            wcet_check();
        }
        if (!aligned_fits)
            continue;
        /* aligned: the first search probes the whole list, the second finds the
         * block at its last probe; the front and the tail go to two empty
         * classes */
        hit = wcet_probe_heap(geo, ALIGNED_SECOND_PROBES - 1u, hole_bytes, first_search - g,
                              geo->align - geo->front, 0);
        p = ALIGNED(aligned_probe_worst, geo->align, aligned);
        if (!hit || p != (char *)hit + geo->front)
            wcet_errors++;
        wcet_check();
        /* realloc: the block cannot grow in place (its free neighbours are too
         * small), the new one is found as above, the old one merges with both */
        hit = wcet_probe_heap(geo, ALIGNED_SECOND_PROBES - 1u, hole_bytes, first_search - g,
                              geo->align - geo->front, 1);
        /* both neighbours free */
        if (!wcet_merge_mid || !block_is_prev_free(block_from_payload(wcet_merge_mid)) ||
            !block_is_free(block_from_payload(wcet_merge_next)))
            wcet_errors++;
        p = REALLOC(realloc_fallback_worst, wcet_merge_mid, aligned);
        if (!hit || p != (char *)hit + geo->front)
            wcet_errors++;
        wcet_check();
    }
}

static void wcet_worst_paths(unsigned steps) {
    size_t g = bh_alignment(), min = bh_min_block_size(), sl_bytes = (size_t)SL_COUNT * g;
    /* Small blocks: the remainder (w - 2 grains), the front (a minimum block)
     * and the tail (align - 2 grains) all below SL_COUNT grains. */
    wcet_geometry small = {2048u, 64u, 0};
    /* Large: the plain call's remainder at SL_COUNT grains or more (w from
     * SL_COUNT + 2 grains up); the aligned calls' front SL_COUNT grains and
     * their tail (align + min - 2 grains - front) as much; the fitting block
     * (request + align + min - 2 grains) still within the holes' class. */
    wcet_geometry plain_large, aligned_large;
    (void)steps;
    small.front = min;
    plain_large.align = small.align;
    plain_large.front = small.front;
    plain_large.lo = wcet_pow2_above(sl_bytes + 2u * g - 1u) << BAREHEAP_SL_LOG2;
    aligned_large.front = sl_bytes;
    aligned_large.align = wcet_pow2_above(2u * sl_bytes + 2u * g - min - 1u);
    aligned_large.lo = wcet_pow2_above(aligned_large.align + min - g) << BAREHEAP_SL_LOG2;
    wcet_worst_paths_in(&small, 1, 1);
    wcet_worst_paths_in(&plain_large, wcet_probe_heap_bytes(&plain_large, BAREHEAP_PROBE_LIMIT - 1u, 0) <= HEAP_BYTES, 0);
    wcet_worst_paths_in(&aligned_large, 0,
                        wcet_probe_heap_bytes(&aligned_large, ALIGNED_SECOND_PROBES - 1u, 1) <= HEAP_BYTES);
}

/* ---- The second search's class scan ----
 * The built aligned calls above end in the second search's probe. Its class
 * scan is the other way to a block, and it costs more: the scan that fails
 * the first search and the probes of that search's list come first, and the
 * block the second scan finds is the first of the lowest non-empty class
 * above the request's, alone in its list, so taking it can empty both
 * bitmap words. In units of lo = 64 grains and w = lo / 2^BAREHEAP_SL_LOG2 (a
 * class width in lo's first level):
 *   the request's block, 2 lo - w + G, lies in the last class of lo's level;
 *   the alignment, 8 lo, puts the first search's class in 8 lo's level, whose
 *   list holds ALIGNED_FIRST_PROBES blocks of its minimum size, too small to
 *   fit there at any address;
 *   the block, 4 lo + 2 G, is alone in 4 lo's level (2 lo's is empty: the
 *   second scan leaves the request's first level through fl_bitmap), and
 *   holds the request at its own address after a front of front bytes, with
 *   a tail above 2^BAREHEAP_SL_LOG2 grains; both go to empty classes.
 * realloc does the same after an aligned block (alignment 8 lo) between two
 * small free blocks of other first levels, too small to grow it, and then
 * frees that block with a double merge. */
#define WCET_ANYWHERE SIZE_MAX

/* Allocates a block of block_bytes, after a spacer that puts its payload at
 * residue modulo align (unless residue is WCET_ANYWHERE), then, if separate,
 * a 1-byte block so that it stays apart from what follows once freed. */
static void *wcet_place(size_t align, size_t residue, size_t block_bytes, int separate) {
    void *p;
    if (residue != WCET_ANYWHERE) {
        size_t spacer = (size_t)((residue - wcet_next_payload()) & (align - 1u));
        while (spacer != 0 && spacer < bh_min_block_size())
            spacer += align;
        if (spacer != 0)
            (void)bh_alloc(wcet_heap, wcet_plain_request(spacer));
    }
    p = bh_alloc(wcet_heap, wcet_plain_request(block_bytes));
    if (separate)
        (void)bh_alloc(wcet_heap, 1);
    if (!p || (residue != WCET_ANYWHERE && ((uintptr_t)p & (align - 1u)) != residue))
        wcet_errors++;
    return p;
}

static void wcet_fill(void) {
    while (bh_alloc(wcet_heap, 64) != NULL) {
    }
    while (bh_alloc(wcet_heap, 1) != NULL) {
    }
}

static void *wcet_scan_probed[ALIGNED_FIRST_PROBES];

/* A fresh heap as described above, lo being 64 grains, whose block fits at a
 * front of front bytes; with_merge adds the aligned block of realloc between
 * its two free neighbours. Returns the fitting block's payload. */
static void *wcet_scan_heap(size_t front, int with_merge) {
    size_t lo = 64u * bh_alignment(), w = lo / SL_COUNT, align = 8u * lo;
    void *hit;
    unsigned i;
    wcet_fresh();
    hit = wcet_place(align, align - front, 4u * lo + 2u * bh_alignment(), 1);
    for (i = 0; i < ALIGNED_FIRST_PROBES; i++)
        wcet_scan_probed[i] = wcet_place(align, WCET_ANYWHERE, 10u * lo - 8u * w, 1);
    if (with_merge) {
        /* merge_prev ends where an aligned payload begins: the aligned block
         * follows it with no front */
        size_t prev_bytes = lo * 3u / 8u;
        wcet_merge_prev = wcet_place(align, (0u - prev_bytes) & (align - 1u), prev_bytes, 0);
        wcet_merge_mid = bh_alloc_aligned(wcet_heap, align, 16);
        wcet_merge_next = wcet_place(align, WCET_ANYWHERE, lo * 3u / 16u, 1);
    }
    wcet_fill();
    bh_free(wcet_heap, hit); /* the tail of its list, as in wcet_probe_heap() */
    for (i = 0; i < ALIGNED_FIRST_PROBES; i++)
        bh_free(wcet_heap, wcet_scan_probed[i]);
    if (with_merge) {
        bh_free(wcet_heap, wcet_merge_prev);
        bh_free(wcet_heap, wcet_merge_next);
        if (!wcet_merge_mid || !block_is_prev_free(block_from_payload(wcet_merge_mid)) ||
            !block_is_free(block_from_payload(wcet_merge_next)))
            wcet_errors++;
    }
    return hit;
}

/* Whether the blocks the first search probed are all still there, free: the
 * call took its block elsewhere. Then the heap's own check. */
static void wcet_probed_check(void *const *probed) {
    unsigned i;
    for (i = 0; i < ALIGNED_FIRST_PROBES; i++)
        if (!probed[i] || !block_is_free(block_from_payload(probed[i])))
            wcet_errors++;
    wcet_check();
}

/* Whether the call that returned p took the scan's block at front bytes and
 * left the first search's list as it was. */
static void wcet_scan_check(void *hit, size_t front, void *p) {
    if (!hit || p != (char *)hit + front)
        wcet_errors++;
    wcet_probed_check(wcet_scan_probed);
}

static void wcet_scan_paths(unsigned steps) {
    size_t g = bh_alignment(), lo = 64u * g, w = lo / SL_COUNT;
    /* the request's block: 2 lo - w + G; the front: a minimum block, then
     * 2^BAREHEAP_SL_LOG2 grains (the class mapping's other path) */
    size_t aligned = wcet_aligned_request(2u * lo - w + g), fronts[2];
    void *hit, *p;
    unsigned k;
    (void)steps;
    fronts[0] = bh_min_block_size();
    fronts[1] = (size_t)SL_COUNT * g;
    for (k = 0; k < 2u; k++) {
        hit = wcet_scan_heap(fronts[k], 0);
        p = ALIGNED(aligned_scan_worst, 8u * lo, aligned);
        wcet_scan_check(hit, fronts[k], p);
        hit = wcet_scan_heap(fronts[k], 1);
        p = REALLOC(realloc_scan_worst, wcet_merge_mid, aligned);
        wcet_scan_check(hit, fronts[k], p);
    }
}

/* ---- Larger blocks ----
 * The class mapping's cost depends on the block size where the target has no
 * count-leading-zeros instruction: RV32IMAC without Zbb takes the portable
 * bit scan, whose branches test the size against 2^16, 2^8 and 2^4 grains
 * (after the shifts), so that blocks of 256 grains and more, 4096 and more
 * and 2^20 and more (on RV32, 16-byte grains: 4 KiB, 64 KiB, 16 MiB) take
 * other paths, some costlier. The 64 KiB heap holds no block of 4096 grains,
 * nor the built calls above with their blocks of 256 grains and more. These
 * calls run on a heap in the RAM after the firmware image (the linker
 * script's [__heap_start, __heap_end): nearly 16 MiB on the Cortex-M3 board,
 * nearly 1 GiB on the RV32 one), as large as each call needs; a call that
 * needs more than the board has is left out. A pointer they free or resize
 * always lies in the heap's first region, so that its validation scans no
 * other. The aligned and realloc calls also take three sides the calls above
 * miss on every target: the low-water mark's store (the call sets a new
 * low), realloc's test of the block before for a move (it has the room, but
 * a misaligned payload) and the old block's two neighbours each emptying
 * their first level. Sizes are in grains of G bytes (bh_alignment()). */
extern unsigned char __heap_start[], __heap_end[];

/* A fresh heap of bytes in that RAM (one region), or 0 if it is too small. */
static int wcet_big_fresh(size_t bytes) {
    if (bytes > (size_t)(__heap_end - __heap_start))
        return 0;
    wcet_heap = wcet_init(__heap_start, bytes);
    if (!wcet_heap)
        wcet_errors++;
    return wcet_heap != NULL;
}

/* Bytes of a heap whose blocks, after the control structure, hold block_bytes. */
static size_t wcet_heap_for(size_t block_bytes) {
    return bh_control_size(block_bytes + block_bytes / 2u) + block_bytes + 4u * bh_alignment();
}

/* Allocates the largest free block whole. */
static void wcet_take_largest(void) {
    bh_stats st;
    if (!bh_get_stats(wcet_heap, &st) || !bh_alloc(wcet_heap, st.largest_free_bytes))
        wcet_errors++;
}

/* Allocates the free tail whole, larger than all the blocks freed before it:
 * the free bytes reach a new low, so the next call that uses memory lowers
 * the low-water mark (a store the calls above, after a fill and frees, skip). */
static void wcet_take_tail(void) {
    wcet_take_largest();
    /* the low-water mark since the last region was added */
    if (wcet_heap->epoch_min_free_bytes != wcet_heap->free_bytes)
        wcet_errors++;
}

/* Whether b is free and alone in its class's list (filed in an empty class,
 * or the last block of its list when taken off it). */
static int wcet_alone(block *b) {
    uintptr_t link = (uintptr_t)b->prev_link, heads = (uintptr_t)wcet_heap->heads;
    return block_is_free(b) && !b->next_free && *b->prev_link == b &&
           link - heads < (uintptr_t)wcet_heap->sl_bitmap - heads;
}

/* Whether no free block lies in the first level of blocks of bytes. */
static int wcet_level_empty(size_t bytes) {
    return !(wcet_heap->fl_bitmap & ((size_t)1 << CLASS_FL(heap_class_of(wcet_heap, bytes))));
}

/* Sizes in grains, 1.5 times 16, 256, 4096, 2^16, 2^20 and 2^22: one in each
 * size band of the portable bit scan (and the last two in the top one). */
static const size_t wcet_bands[] = {24u, 384u, 6144u, 98304u, 1572864u, 6291456u};
#define WCET_BANDS (sizeof wcet_bands / sizeof wcet_bands[0])

/* The first allocation on a fresh heap (alloc_fresh_split) with the request
 * and the remainder in each band, the remainder at least the request (the
 * search leaves the request's first level through the first-level bitmap). */
static void wcet_band_split(unsigned steps) {
    size_t g = bh_alignment();
    unsigned i, k;
    (void)steps;
    for (i = 0; i < WCET_BANDS; i++) {
        for (k = i; k < WCET_BANDS; k++) {
            /* computed before the call: bh_block_overhead() would count in it */
            size_t request = wcet_plain_request(wcet_bands[i] * g), rest = wcet_bands[k] * g;
            uintptr_t first;
            if (!wcet_big_fresh(wcet_heap_for(wcet_bands[i] * g + rest)))
                continue;
            first = wcet_next_payload();
            /* the block taken emptied its level; the remainder went to an empty class */
            if ((uintptr_t)ALLOC(alloc_band_split, request) != first ||
                !wcet_alone(block_next(block_from_payload(wcet_r))))
                wcet_errors++;
            wcet_check();
        }
    }
}

/* free_double_merge with its merged block in each band: the block freed
 * lies between two free blocks, each alone in its first level, and the
 * merged block goes to an empty class. */
static void wcet_band_merge(unsigned steps) {
    size_t g = bh_alignment();
    unsigned i;
    (void)steps;
    for (i = 0; i < WCET_BANDS; i++) {
        size_t x = wcet_bands[i] * g, prev_bytes = (wcet_bands[i] / 2u + wcet_bands[i] / 4u) * g;
        size_t next_bytes = (wcet_bands[i] / 8u + wcet_bands[i] / 16u) * g;
        size_t mid_bytes = bh_min_block_size();
        void *prev, *mid, *next;
        if (!wcet_big_fresh(wcet_heap_for(2u * x + x / 4u)))
            continue;
        /* Below 2^SL_LOG2 grains one first level holds both (BAREHEAP_SL_LOG2=5
         * at the lowest band): the bands above give this path. */
        if (CLASS_FL(heap_class_of(wcet_heap, prev_bytes)) == CLASS_FL(heap_class_of(wcet_heap, next_bytes)))
            continue;
        prev = bh_alloc(wcet_heap, wcet_plain_request(prev_bytes));
        mid = bh_alloc(wcet_heap, wcet_plain_request(mid_bytes));
        next = bh_alloc(wcet_heap, wcet_plain_request(next_bytes));
        (void)bh_alloc(wcet_heap, 1);
        if (!prev || !mid || !next) {
            wcet_errors++;
            continue;
        }
        wcet_take_tail();
        bh_free(wcet_heap, prev);
        bh_free(wcet_heap, next);
        FREE(free_band_merge, mid);
        if (!wcet_alone(block_from_payload(prev)) || !wcet_level_empty(next_bytes) ||
            block_size(block_from_payload(prev)) != prev_bytes + mid_bytes + next_bytes)
            wcet_errors++;
        wcet_check();
    }
}

/* The class-scan calls of wcet_scan_heap() at larger sizes, with everything
 * they file in an empty class and every list they take from emptied. In
 * bytes, w being 256 grains times a power of 16 (the request's first level
 * starts at w):
 *   the request's block, w + G, maps below w + G, at w: its class is the
 *   first of w's level, the other classes of that level are empty;
 *   the alignment, 4 w, puts the first search in 4 w's level, whose class of
 *   5 w holds ALIGNED_FIRST_PROBES blocks of 5 w, too small;
 *   the block, 4 w - G, is alone in 2 w's level; it fits at its own address
 *   after a front of w (class w, empty), and leaves a tail of 2 w - 2 G (the
 *   last class of w's level, empty).
 * The call that finds it sets a new low-water mark (wcet_take_tail()).
 * realloc resizes an aligned block (alignment 4 w) between a free block of
 * w - G (alone in w / 2's level) and one of w / 2 - G (alone in w / 4's):
 * together they hold the request, so realloc tests whether the block before
 * is aligned for a move into it, which it is not, and falls back to the
 * aligned allocation; then the old block merges with both into a block of
 * about 1.5 w, filed in an empty class of w's level. */
static void *wcet_band_probed[ALIGNED_FIRST_PROBES];
static void *wcet_band_prev, *wcet_band_mid, *wcet_band_next;

/* Room per first-search probe above the default limit's two, in units of w:
 * the tail taken after the frees must outweigh the blocks freed, or the call
 * sets no new low-water mark (BAREHEAP_PROBE_LIMIT=8). */
#define WCET_BAND_MORE (ALIGNED_FIRST_PROBES > 2u ? ALIGNED_FIRST_PROBES - 2u : 0u)

/* The heap of the second geometry below: a first region of 6 w, which plans
 * the classes up to 8 w (its top class is the last of 4 w's level), holding
 * realloc's three blocks (with_merge) and nothing else free, and an added
 * region of 60 w for the rest (more above two first-search probes). 0 if
 * the RAM is too small. */
static int wcet_band_regions(size_t w, int with_merge) {
    size_t g = bh_alignment(), align = 8u * w, first_bytes = 6u * w, added_bytes = (60u + 16u * WCET_BAND_MORE) * w;
    size_t prev_bytes = w - g;
    uintptr_t at = ((uintptr_t)__heap_start + align - 1u) & ~(uintptr_t)(align - 1u), offset, first;
    if (at + 2u * align + first_bytes + added_bytes > (uintptr_t)__heap_end)
        return 0;
    /* where the first payload lies in a region that starts at an alignment boundary */
    wcet_heap = wcet_init((void *)at, first_bytes);
    if (!wcet_heap) {
        wcet_errors++;
        return 0;
    }
    offset = wcet_next_payload() - at;
    /* so that after a first block of prev_bytes the next payload is aligned */
    first = at + align - prev_bytes - offset;
    wcet_heap = wcet_init((void *)first, first_bytes);
    if (!wcet_heap) {
        wcet_errors++;
        return 0;
    }
    if (with_merge) {
        wcet_band_prev = bh_alloc(wcet_heap, wcet_plain_request(prev_bytes));
        wcet_band_mid = bh_alloc_aligned(wcet_heap, align, 16);
        wcet_band_next = bh_alloc(wcet_heap, wcet_plain_request(w / 2u - g));
        (void)bh_alloc(wcet_heap, 1);
        if (!wcet_band_mid || (char *)wcet_band_mid != (char *)wcet_band_prev + prev_bytes)
            wcet_errors++;
    }
    wcet_take_largest();
    if (!bh_add_region(wcet_heap, (void *)(first + first_bytes + align), added_bytes)) {
        wcet_errors++;
        return 0;
    }
    return 1;
}

/* A heap as described above, NULL if the RAM is too small. With beyond, the
 * second geometry: the heap's planned top class is the last of 4 w's level
 * (wcet_band_regions()), the alignment 8 w, which maps the first search above
 * it (the mapping's clamp), and the blocks it probes, of 8 w, lie in the top
 * class (they are in an added region, beyond the plan); realloc's three
 * blocks lie in the first region. */
static void *wcet_band_heap(size_t w, int with_merge, int beyond) {
    size_t g = bh_alignment(), align = (beyond ? 8u : 4u) * w, probed = (beyond ? 8u : 5u) * w;
    void *hit, *refile = NULL;
    unsigned i;
    if (beyond ? !wcet_band_regions(w, with_merge) : !wcet_big_fresh(wcet_heap_for((44u + 12u * WCET_BAND_MORE) * w)))
        return NULL;
    hit = wcet_place(align, align - w, 4u * w - g, 1);
    for (i = 0; i < ALIGNED_FIRST_PROBES; i++)
        wcet_band_probed[i] = wcet_place(align, WCET_ANYWHERE, probed, 1);
    if (with_merge && !beyond) {
        size_t prev_bytes = w - g;
        wcet_band_prev = wcet_place(align, (0u - prev_bytes) & (align - 1u), prev_bytes, 0);
        wcet_band_mid = bh_alloc_aligned(wcet_heap, align, 16);
        wcet_band_next = wcet_place(align, WCET_ANYWHERE, w / 2u - g, 1);
        if (!wcet_band_mid || (char *)wcet_band_mid != (char *)wcet_band_prev + prev_bytes)
            wcet_errors++;
    }
    /* Beyond the plan the tail shares the top class with the probed blocks,
     * which the frees below file before it: a block trimmed into it files it
     * first again, where an allocation at BAREHEAP_PROBE_LIMIT=1 finds it. */
    if (beyond)
        refile = bh_alloc(wcet_heap, wcet_plain_request(2u * bh_min_block_size()));
    bh_free(wcet_heap, hit);
    for (i = 0; i < ALIGNED_FIRST_PROBES; i++)
        bh_free(wcet_heap, wcet_band_probed[i]);
    if (with_merge) {
        bh_free(wcet_heap, wcet_band_prev);
        bh_free(wcet_heap, wcet_band_next);
    }
    if (beyond && (!refile || bh_realloc(wcet_heap, refile, 1) != refile))
        wcet_errors++;
    wcet_take_tail();
    return hit;
}

/* Whether the call that returned p took the block hit at front bytes, which
 * emptied its level, filed the front and the tail alone in their classes and
 * left the first search's list as it was. */
static void wcet_band_check(void *hit, size_t front, void *p) {
    if (!hit || p != (char *)hit + front || !wcet_alone(block_from_payload(hit)) ||
        block_size(block_from_payload(hit)) != front || !wcet_alone(block_next(block_from_payload(p))) ||
        !wcet_level_empty(4u * front - bh_alignment()))
        wcet_errors++;
    wcet_probed_check(wcet_band_probed);
}

static void wcet_band_scan(unsigned steps) {
    size_t g = bh_alignment(), w;
    void *hit, *p;
    int beyond;
    (void)steps;
    for (beyond = 0; beyond < 2; beyond++) {
        for (w = 256u * g; w <= 1048576u * g; w *= 16u) {
            size_t aligned = wcet_aligned_request(w + g), align = (beyond ? 8u : 4u) * w, merged;
            hit = wcet_band_heap(w, 0, beyond);
            if (!hit)
                break;
            p = ALIGNED(aligned_band_scan, align, aligned);
            wcet_band_check(hit, w, p);
            hit = wcet_band_heap(w, 1, beyond);
            if (!hit)
                break;
            merged = w - g + block_size(block_from_payload(wcet_band_mid)) + w / 2u - g;
            p = REALLOC(realloc_band_scan, wcet_band_mid, aligned);
            wcet_band_check(hit, w, p);
            /* the old block merged with both neighbours, which emptied their
             * levels, into a block alone in its class */
            if (!wcet_alone(block_from_payload(wcet_band_prev)) ||
                block_size(block_from_payload(wcet_band_prev)) != merged || !wcet_level_empty(w - g) ||
                !wcet_level_empty(w / 2u - g))
                wcet_errors++;
        }
    }
}

/* Aligned allocation, 8..4096, on a fresh and on a fragmented heap. */
static void wcet_aligned(unsigned steps) {
    (void)steps;
    unsigned i, k;
    for (k = 3; k <= 12; k++) {
        wcet_fresh();
        if (!ALIGNED(aligned_fresh, (size_t)1 << k, wcet_small()))
            wcet_errors++;
    }
    wcet_fresh();
    for (i = 0; i < SLOTS; i++)
        wcet_slot[i] = NULL;
    for (i = 0; i < 600; i++) {
        unsigned s = wcet_rand() % SLOTS;
        if (wcet_slot[s]) {
            /* not free_small: the mean of free is over the random workloads */
            FREE(free_aligned_fragmented, wcet_slot[s]);
            wcet_slot[s] = NULL;
        } else if (i & 1u) {
            wcet_slot[s] = ALIGNED(aligned_fragmented, (size_t)8 << (wcet_rand() % 10u), wcet_small());
        } else {
            wcet_slot[s] = bh_alloc(wcet_heap, wcet_small());
        }
    }
    wcet_check();
}

static void wcet_realloc(unsigned steps) {
    (void)steps;
    unsigned i;
    wcet_fresh();
    for (i = 0; i < 40; i++) {
        size_t n = 64u + wcet_rand() % 2048u;
        void *a, *b, *c, *p, *q;
        int aligned = (i & 3u) == 3u;
        /* shrink: with a used next block, then with a free next block */
        a = aligned ? bh_alloc_aligned(wcet_heap, 64, n) : bh_alloc(wcet_heap, n);
        b = bh_alloc(wcet_heap, 16);
        c = bh_alloc(wcet_heap, 16);
        if (!a || !b || !c) {
            wcet_errors++;
            return;
        }
        a = REALLOC(realloc_shrink, a, n / 2u);
        bh_free(wcet_heap, b);
        a = REALLOC(realloc_shrink, a, n / 4u);
        /* grow into the free next block */
        p = a;
        a = REALLOC(realloc_grow_next, a, n);
        if (a != p)
            wcet_errors++;
        bh_free(wcet_heap, a);
        bh_free(wcet_heap, c);
        /* grow into the previous block (a move): [p free][a][c used] */
        p = bh_alloc(wcet_heap, n);
        a = bh_alloc(wcet_heap, 32);
        c = bh_alloc(wcet_heap, 16);
        bh_free(wcet_heap, p);
        a = REALLOC(realloc_grow_prev, a, n);
        if (a != p)
            wcet_errors++;
        bh_free(wcet_heap, a);
        bh_free(wcet_heap, c);
        /* into both: [p free][a][q free][c used] */
        p = bh_alloc(wcet_heap, n / 2u);
        a = bh_alloc(wcet_heap, 32);
        q = bh_alloc(wcet_heap, n / 2u);
        c = bh_alloc(wcet_heap, 16);
        bh_free(wcet_heap, p);
        bh_free(wcet_heap, q);
        a = REALLOC(realloc_grow_prev_next, a, n + 8u);
        if (a != p)
            wcet_errors++;
        bh_free(wcet_heap, a);
        bh_free(wcet_heap, c);
        /* fallback: both neighbours used (c larger than an aligned block's
         * free front, so it lands after a) */
        p = bh_alloc(wcet_heap, 16);
        a = aligned ? bh_alloc_aligned(wcet_heap, 64, 32) : bh_alloc(wcet_heap, 32);
        c = bh_alloc(wcet_heap, 128);
        q = REALLOC(realloc_fallback, a, n + 256u);
        if (!q || q == a)
            wcet_errors++;
        bh_free(wcet_heap, q);
        bh_free(wcet_heap, p);
        bh_free(wcet_heap, c);
    }
    wcet_check();
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    wcet_step("small", wcet_random_small, 4000);
    wcet_step("mixed", wcet_random_mixed, 3000);
    wcet_step("split", wcet_fresh_split, 0);
    wcet_step("merge", wcet_double_merge, 0);
    wcet_step("holes", wcet_holes, 0);
    wcet_step("aligned", wcet_aligned, 0);
    wcet_step("realloc", wcet_realloc, 0);
    wcet_step("worst paths", wcet_worst_paths, 0);
    wcet_step("scan paths", wcet_scan_paths, 0);
    wcet_step("band split", wcet_band_split, 0);
    wcet_step("band merge", wcet_band_merge, 0);
    wcet_step("band scan", wcet_band_scan, 0);
    return wcet_report();
}
