/*
 * The heap walker behind bh_check() and bh_walk(): O(number of blocks), for
 * tests, debugging and start-up self-checks, never for a real-time path.
 * Also bh_trim(), which reads only the last block of each region.
 *
 * Both trust nothing they read: the region and class tables are checked
 * against each other before any walk, every block size is checked against its
 * region before the walk steps over it, and every free-list link is checked
 * to point at a block of the heap before it is followed, so a corrupt heap
 * gives a report, not a fault. Neither writes to a block.
 */
#include "bareheap_internal.h"

/* Whether a block at b of the given size lies inside region r and is
 * correctly sized and placed. */
static bool block_plausible(const region *r, uintptr_t b, size_t size) {
    return size >= MIN_BLOCK_BYTES && (size & (GRAIN_BYTES - 1u)) == 0 && size <= r->hi - b;
}

/* The region holding block address a, placed like a block, or NULL. */
static const region *region_of_block(const bh_heap *heap, uintptr_t a) {
    unsigned i;
    if (((a + WORD_BYTES) & (GRAIN_BYTES - 1u)) != 0)
        return NULL;
    for (i = 0; i < heap->region_count; i++) {
        if (a >= heap->regions[i].lo && a < heap->regions[i].hi)
            return &heap->regions[i];
    }
    return NULL;
}

/* Whether the fields that bound every walk agree with each other: the
 * region count, each region's extent (placed like blocks, holding one at
 * least, adding up to total_bytes, the first one right after the control
 * structure) and the class table (its size, top class, the requests
 * that need no clamp to it, and where its bitmaps lie). A stray write to
 * any one of them breaks one of these relations; trusted, it would send a
 * walk through memory that is not the heap's (a region table entry past the
 * count has a sentinel at address 0). O(BAREHEAP_MAX_REGIONS). */
static bool control_plausible(const bh_heap *heap) {
    size_t region_bytes = 0;
    unsigned fl_count = heap_fl_count(heap);
    unsigned i;
    if (heap->region_count == 0 || heap->region_count > BAREHEAP_MAX_REGIONS ||
        fl_count == 0 || fl_count > fl_count_for(SIZE_MAX) ||
        heap->class_top != fl_count * SL_COUNT - 1u ||
        heap->direct_request_bytes != direct_request_bytes_for(fl_count) ||
        heap->sl_bitmap != (const uint32_t *)(const void *)&heap->heads[(size_t)fl_count * SL_COUNT] ||
        heap->control_bytes != control_bytes_for(fl_count) ||
        heap->regions[0].lo != (uintptr_t)heap + heap->control_bytes + GRAIN_BYTES - WORD_BYTES)
        return false;
    for (i = 0; i < heap->region_count; i++) {
        const region *r = &heap->regions[i];
        if (((r->lo + WORD_BYTES) & (GRAIN_BYTES - 1u)) != 0 || ((r->hi + WORD_BYTES) & (GRAIN_BYTES - 1u)) != 0 ||
            r->hi <= r->lo || r->hi - r->lo < MIN_BLOCK_BYTES)
            return false;
        region_bytes += (size_t)(r->hi - r->lo);
    }
    return region_bytes == heap->total_bytes;
}

typedef struct walk_totals {
    size_t total_bytes;
    size_t free_bytes;
    size_t free_blocks;
    size_t used_blocks;
} walk_totals;

static size_t check_problem(bh_heap *heap, const void *address) {
    bh_internal_report(heap, BH_ERROR_CORRUPTION, address);
    return 1;
}

/* Walks the blocks of one region, tallying into *t. Returns problems found. */
static size_t region_check(bh_heap *heap, const region *r, walk_totals *t) {
    size_t problems = 0;
    uintptr_t a = r->lo;
    bool prev_free = false;
    while (a < r->hi) {
        block *b = (block *)(void *)a;
        size_t size = block_size(b);
        if (!block_plausible(r, a, size))
            return problems + check_problem(heap, b); /* cannot step further */
        if (block_is_prev_free(b) != prev_free)
            problems += check_problem(heap, b);
        if (block_is_free(b)) {
            if (prev_free)
                problems += check_problem(heap, b); /* two free neighbours */
            if (footer_read((const char *)b + size) != size)
                problems += check_problem(heap, b);
            if (b->header & FLAG_ALIGNED)
                problems += check_problem(heap, b);
#if (BAREHEAP_DEBUG >= 2)
            {
                /* Written through a dangling pointer? */
                uintptr_t start = (uintptr_t)b + 3u * WORD_BYTES;
                uintptr_t end = (uintptr_t)b + size - WORD_BYTES;
                uintptr_t damage;
                TOOL_ACCESS(start, (size_t)(end - start));
                damage = poison_find_damage(start, end);
                TOOL_NOACCESS(start, (size_t)(end - start));
                if (damage) {
                    bh_internal_report(heap, BH_ERROR_USE_AFTER_FREE, (const void *)damage);
                    problems++;
                }
            }
#endif
            t->free_bytes += size;
            t->free_blocks++;
        } else {
            if ((b->header & FLAG_ALIGNED) && !block_align_word_sound(b))
                problems += check_problem(heap, b);
#if (BAREHEAP_DEBUG >= 2)
            if (!block_seal_intact(b)) {
                bh_internal_report(heap, BH_ERROR_OVERFLOW, block_payload(b));
                problems++;
            }
#endif
            t->used_blocks++;
        }
        t->total_bytes += size;
        prev_free = block_is_free(b);
        a += size;
    }
    if (a != r->hi) {
        problems += check_problem(heap, (void *)a);
    } else {
        block *sentinel = (block *)(void *)a;
        if ((sentinel->header & ~FLAG_PREV_FREE) != 0 || block_is_prev_free(sentinel) != prev_free)
            problems += check_problem(heap, sentinel);
    }
    return problems;
}

/* Walks every free list, bounded by the free blocks the region walk found
 * (plus one, to notice a cycle or a stray block). Returns problems found. */
static size_t lists_check(bh_heap *heap, size_t free_blocks) {
    size_t problems = 0, listed = 0;
    unsigned fl_count = heap_fl_count(heap);
    unsigned fl, sl;
    for (fl = 0; fl < fl_count; fl++) {
        bool fl_bit = (heap->fl_bitmap >> fl) & 1u;
        if (fl_bit != (heap->sl_bitmap[fl] != 0))
            problems += check_problem(heap, &heap->sl_bitmap[fl]);
        for (sl = 0; sl < SL_COUNT; sl++) {
            block *const *head = &heap->heads[fl * SL_COUNT + sl];
            block *const *link = head;
            const block *b = *head;
            bool sl_bit = (heap->sl_bitmap[fl] >> sl) & 1u;
            if (sl_bit != (b != NULL))
                problems += check_problem(heap, head);
            while (b) {
                const region *r = region_of_block(heap, (uintptr_t)b);
                if (!r || !block_plausible(r, (uintptr_t)b, block_size(b)) || !block_is_free(b) ||
                    link_back(b) != link || listed > free_blocks) {
                    problems += check_problem(heap, b);
                    break; /* the rest of this list cannot be trusted */
                }
                if (heap_class_of(heap, block_size(b)) != fl * SL_COUNT + sl)
                    problems += check_problem(heap, b);
                listed++;
                link = &b->next_free;
                b = link_next(b);
            }
        }
    }
    if ((heap->fl_bitmap >> fl_count) != 0) /* bits beyond the table */
        problems += check_problem(heap, &heap->fl_bitmap);
    if (heap->sl_bitmap[fl_count] != 0)
        problems += check_problem(heap, &heap->sl_bitmap[fl_count]);
    if (listed != free_blocks)
        problems += check_problem(heap, heap);
    return problems;
}

size_t bh_internal_check(bh_heap *heap) {
    walk_totals t = {0, 0, 0, 0};
    size_t problems = 0;
    unsigned i;
    /* Bounds that cannot be trusted: one report, and no walk. */
    if (!control_plausible(heap))
        return check_problem(heap, heap);
    for (i = 0; i < heap->region_count; i++)
        problems += region_check(heap, &heap->regions[i], &t);
    problems += lists_check(heap, t.free_blocks);
    if (t.total_bytes != heap->total_bytes || t.free_bytes != heap->free_bytes ||
        t.free_blocks != heap->free_blocks || t.used_blocks != heap->alloc_count - heap->free_count)
        problems += check_problem(heap, heap);
    return problems;
}

size_t bh_check(bh_heap *heap) {
    lock_state lock_saved;
    size_t problems;
    if (!heap)
        return 1;
    lock_saved = LOCK_ENTER(heap);
    problems = bh_internal_check(heap);
    LOCK_EXIT(heap, lock_saved);
    return problems;
}

static size_t walk_locked(bh_heap *heap, bh_walk_fn fn, void *context) {
    size_t visited = 0;
    unsigned i;
    if (!control_plausible(heap))
        return 0;
    for (i = 0; i < heap->region_count; i++) {
        const region *r = &heap->regions[i];
        uintptr_t a = r->lo;
        while (a < r->hi) {
            block *b = (block *)(void *)a;
            bh_block_info info;
            size_t size = block_size(b);
            if (!block_plausible(r, a, size))
                return visited;
            info.ptr = block_payload(b);
            info.size_bytes = size;
            info.used = !block_is_free(b);
            /* A free block has no request (nor seal): what one could get
             * from it. Either, up to the largest request. */
            info.usable_bytes = usable_within_limit(info.used ? block_usable_bytes(b) : block_capacity_bytes(b));
            info.region = i;
            visited++;
            if (!fn(context, &info))
                return visited;
            a += size;
        }
    }
    return visited;
}

size_t bh_walk(bh_heap *heap, bh_walk_fn fn, void *context) {
    lock_state lock_saved;
    size_t visited;
    if (!heap || !fn)
        return 0;
    lock_saved = LOCK_ENTER(heap);
    visited = walk_locked(heap, fn, context);
    LOCK_EXIT(heap, lock_saved);
    return visited;
}

#if (BAREHEAP_DEBUG < 2)
/* The address of region r's last block if it is free, else 0; also 0 when
 * the sentinel, footer and header disagree (reported: a damaged footer must
 * not make live memory look free; a write past the last used block lands
 * on the sentinel first). */
static uintptr_t region_free_tail(bh_heap *heap, const region *r) {
    const block *sentinel = (const block *)(const void *)r->hi;
    uintptr_t b;
    size_t size;
    if (sentinel->header != FLAG_PREV_FREE) {
        if (sentinel->header != 0)
            (void)check_problem(heap, sentinel);
        return 0;
    }
    size = footer_read((const void *)r->hi);
    b = r->hi - size;
    if (size > r->hi - r->lo || !block_plausible(r, b, size) ||
        ((const block *)(const void *)b)->header != (size | FLAG_FREE)) {
        (void)check_problem(heap, sentinel);
        return 0;
    }
    return b;
}

static size_t trim_locked(bh_heap *heap, size_t keep_bytes, bh_trim_fn fn, void *context) {
    /* Header, both links and the footer stay: the lists and the merge with
     * the block before still read them. */
    size_t skip_bytes = keep_bytes > 3u * WORD_BYTES ? keep_bytes : 3u * WORD_BYTES;
    size_t offered = 0;
    unsigned i;
    /* Damaged region bounds could make live memory look like a free tail. */
    if (!control_plausible(heap)) {
        (void)check_problem(heap, heap);
        return 0;
    }
    for (i = 0; i < heap->region_count; i++) {
        uintptr_t b = region_free_tail(heap, &heap->regions[i]);
        uintptr_t hi = heap->regions[i].hi - WORD_BYTES;
        /* Nothing past the kept bytes (a block of four words has nothing
         * past its links). */
        if (!b || skip_bytes >= hi - b)
            continue;
        /* The range is fn's to write for as long as the call lasts. Then
         * the whole interior is closed again from its start, which the
         * checker's granules align with (the range's start need not). */
        TOOL_ACCESS(b + skip_bytes, (size_t)(hi - b) - skip_bytes);
        fn(context, (void *)(b + skip_bytes), (size_t)(hi - b) - skip_bytes);
        TOOL_NOACCESS(b + 3u * WORD_BYTES, (size_t)(hi - b) - 3u * WORD_BYTES);
        offered += (size_t)(hi - b) - skip_bytes;
    }
    return offered;
}
#endif

size_t bh_trim(bh_heap *heap, size_t keep_bytes, bh_trim_fn fn, void *context) {
    lock_state lock_saved;
    size_t offered = 0;
    if (!heap || !fn)
        return 0;
    lock_saved = LOCK_ENTER(heap);
#if (BAREHEAP_DEBUG < 2)
    offered = trim_locked(heap, keep_bytes, fn, context);
#else
    /* Free interiors hold poison that the next allocation checks. */
    (void)keep_bytes;
    (void)context;
#endif
    LOCK_EXIT(heap, lock_saved);
    return offered;
}
