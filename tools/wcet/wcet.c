/*
 * Firmware for make wcet (tools/wcet.sh): the calls whose instruction counts
 * are measured, on a 64 KiB heap. It runs under QEMU with an instruction
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
 *   first-level bitmap, after the first search's probes failed.
 */
#include <stddef.h>
#include <stdint.h>

#include "bareheap.h"
#include "bareheap_internal.h" /* the probe budgets and the header flags */
#include "wcet_common.h"

#define HEAP_BYTES 65536u

static unsigned char wcet_arena[HEAP_BYTES] __attribute__((aligned(4096)));
static bh_heap *wcet_heap;
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

#define ALLOC(c, n) (wcet_op_##c(), wcet_r = bh_alloc(wcet_heap, (n)), wcet_done(), wcet_calls++, wcet_r)
#define FREE(c, p) (wcet_op_##c(), bh_free(wcet_heap, (p)), wcet_done(), wcet_calls++)
#define ALIGNED(c, a, n) \
    (wcet_op_##c(), wcet_r = bh_alloc_aligned(wcet_heap, (a), (n)), wcet_done(), wcet_calls++, wcet_r)
#define REALLOC(c, p, n) \
    (wcet_op_##c(), wcet_r = bh_realloc(wcet_heap, (p), (n)), wcet_done(), wcet_calls++, wcet_r)

static void wcet_fresh(void) {
    wcet_heap = bh_init(wcet_arena, HEAP_BYTES);
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

/* Whether the call that returned p took the scan's block at front bytes and
 * left the first search's list as it was. */
static void wcet_scan_check(void *hit, size_t front, void *p) {
    unsigned i;
    if (!hit || p != (char *)hit + front)
        wcet_errors++;
    for (i = 0; i < ALIGNED_FIRST_PROBES; i++)
        if (!wcet_scan_probed[i] || !block_is_free(block_from_payload(wcet_scan_probed[i])))
            wcet_errors++;
    wcet_check();
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
    return wcet_report();
}
