/*
 * bareheap core: a two-level segregated fit allocator (TLSF), after M. Masmano,
 * I. Ripoll, A. Crespo and J. Real, "TLSF: a New Dynamic Memory Allocator for
 * Real-Time Systems" (ECRTS 2004), with three changes that remove TLSF's false
 * out-of-memory failures:
 *   - a block is sized to its request, never to its size class;
 *   - a request that is not exactly a class minimum takes the head of the first
 *     non-empty class above its own (any block there fits, O(1)), and only if
 *     there is none probes up to BAREHEAP_PROBE_LIMIT blocks of its own class,
 *     so the last block that fits is still found (BAREHEAP_CLOSE_FIT: the
 *     first block of its own class first, if that one fits);
 *   - free blocks go to the head of their list, so freeing a block and asking
 *     for the same size again finds it on the first probe.
 *
 * Bounds. Every operation is O(1): two bit scans, a constant number of list
 * updates, and at most BAREHEAP_PROBE_LIMIT probes on the way to a failure (or
 * on the last fitting block; an aligned request's two searches share them,
 * taking two at a limit of 1); pointer validation scans at most
 * BAREHEAP_MAX_REGIONS region bounds. Memory: one word of header per block,
 * blocks rounded to BAREHEAP_ALIGN_BYTES, and a control structure of
 * bh_control_size() bytes. Like every segregated fit, bareheap can fail with
 * the free memory split into pieces each too small for a request; it cannot
 * fail while a block of a class above the request's own is free.
 * These bounds hold at BAREHEAP_DEBUG 0 and 1. Level 2 adds time in
 * proportion to the bytes handed out or freed (poison and canaries, never to
 * the heap's contents) and, per free-list link tested before it is followed,
 * a scan of at most BAREHEAP_MAX_REGIONS region bounds; level 3 runs
 * bh_check() after every call, O(blocks).
 */
#include "bareheap_internal.h"

#if (BAREHEAP_DEBUG >= 2)
#define HEAP_ASSERT(heap, cond, addr)                                 \
    do {                                                              \
        if (BH_UNLIKELY(!(cond)))                                     \
            bh_internal_report((heap), BH_ERROR_CORRUPTION, (addr));  \
    } while (0)
#else
#define HEAP_ASSERT(heap, cond, addr) ((void)0)
#endif

#if (BAREHEAP_DEBUG >= 3)
#define HEAP_VERIFY(heap) ((void)bh_internal_check(heap))
#else
#define HEAP_VERIFY(heap) ((void)0)
#endif

/* The few helpers on every alloc and free path: inlined where the compiler
 * allows it, which removes call overhead from the bounded path (-Os builds
 * keep the compiler's own choice, for size). */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
#define BH_HOT_INLINE static inline __attribute__((always_inline))
#else
#define BH_HOT_INLINE static inline
#endif

void bh_internal_report(bh_heap *heap, bh_error kind, const void *address) {
    heap->error_count++;
    if (heap->error_fn)
        heap->error_fn(heap->error_context, kind, address);
}

/* request_block_bytes_unchecked(), or 0 for a request above the largest. */
static inline size_t request_block_bytes(size_t size_bytes, size_t trailer_bytes) {
    if (BH_UNLIKELY(size_bytes > MAX_REQUEST_BYTES))
        return 0;
    return request_block_bytes_unchecked(size_bytes, trailer_bytes);
}

/* ---- Poison and seals (BAREHEAP_DEBUG >= 2) ----
 * Invariant: every byte of a free block between its links and its footer is
 * POISON_BYTE, so a write through a dangling pointer shows when the block is
 * handed out again. Every used block ends in a seal that records the request;
 * the bytes between the request and the trailer are CANARY_BYTE, so a write
 * past the end shows when the block is freed, resized or checked. Both cost
 * time in proportion to the bytes concerned, not to the heap's contents. */
#if (BAREHEAP_DEBUG >= 2)
static void poison_fill(uintptr_t lo, uintptr_t hi) {
    if (lo < hi) {
        TOOL_ACCESS(lo, (size_t)(hi - lo));
        memset((void *)lo, (int)POISON_BYTE, (size_t)(hi - lo));
    }
}

/* Whether the part [lo, hi) of free block f, which is about to be handed out,
 * is still all poison; reports the first damaged byte otherwise. Only f's
 * interior is poisoned: its header, links and footer are skipped.
 * The callers' hi reaches three words past the block handed out, which
 * wraps past 2^N for a block that ends at or a grain below the sentinel of
 * a region ending at the top of the address space: hi then lies below f
 * (a few words above 0), and f's own end bounds the check, as it would have. */
static bool poison_intact(bh_heap *heap, block *f, uintptr_t lo, uintptr_t hi) {
    uintptr_t inner_lo = (uintptr_t)f + 3u * WORD_BYTES;
    uintptr_t inner_hi = (uintptr_t)f + block_size(f) - WORD_BYTES;
    uintptr_t damage;
    lo = lo > inner_lo ? lo : inner_lo;
    hi = hi < inner_hi && hi > (uintptr_t)f ? hi : inner_hi;
    if (lo >= hi)
        return true;
    TOOL_ACCESS(lo, (size_t)(hi - lo));
    damage = poison_find_damage(lo, hi);
    TOOL_NOACCESS(lo, (size_t)(hi - lo));
    if (BH_UNLIKELY(damage)) {
        bh_internal_report(heap, BH_ERROR_USE_AFTER_FREE, (const void *)damage);
        return false;
    }
    return true;
}

/* Writes the canary after request_bytes and the seal, for a used block. */
static void block_seal(block *b, size_t request_bytes) {
    size_t capacity = block_capacity_bytes(b);
    memset((char *)block_payload(b) + request_bytes, (int)CANARY_BYTE, capacity - request_bytes);
    *block_footer(b) = request_bytes ^ seal_key(b);
    TOOL_NOACCESS((char *)block_payload(b) + request_bytes, capacity - request_bytes);
}

/* A free block's two links are not poisoned (they are in use while it is
 * free): a write after free there is found by testing that each link and the
 * link back from the block it names agree, before they are followed or
 * written through (links_intact() and next_intact(), below). */
static bool links_intact(bh_heap *heap, block *b);
static bool next_intact(bh_heap *heap, block *b);

#define POISON_FILL(lo, hi) poison_fill((uintptr_t)(const void *)(lo), (uintptr_t)(const void *)(hi))
/* Free block f is about to be handed out, in [lo, hi): its links, then its poison. */
#define POISON_INTACT(heap, f, lo, hi) \
    (links_intact((heap), (f)) && poison_intact((heap), (f), (uintptr_t)(lo), (uintptr_t)(hi)))
#define NEXT_INTACT(heap, b) next_intact((heap), (b))
#define BLOCK_SEAL(b, n) block_seal((b), (n))
#define MERGED_MARK(b) ((b)->header = merged_mark((uintptr_t)(b)))
#else
#define POISON_FILL(lo, hi) ((void)0)
#define POISON_INTACT(heap, f, lo, hi) true
#define NEXT_INTACT(heap, b) true
#define BLOCK_SEAL(b, n) ((void)0)
#define MERGED_MARK(b) ((void)0)
#endif

/* ---- Free lists ----
 * The list operations keep the lists and bitmaps only; free_bytes and
 * free_blocks are kept by each operation for its net effect (a free with two
 * merges adds one block's bytes, not five updates). */

/* Under a memory checker, the links of the free block whose first link is
 * link, opened or closed; nothing for a list head (link into the control
 * structure). */
#if BAREHEAP_ASAN || BAREHEAP_VALGRIND
static block *link_owner(const bh_heap *heap, block **link) {
    uintptr_t offset = (uintptr_t)link - (uintptr_t)heap->heads;
    if (offset < (uintptr_t)heap->sl_bitmap - (uintptr_t)heap->heads)
        return NULL;
    return (block *)(void *)((char *)link - offsetof(block, next_free));
}
#define LINK_OWNER_OPEN(heap, link) LINKS_OPEN(link_owner((heap), (link)))
#define LINK_OWNER_CLOSE(heap, link) LINKS_CLOSE(link_owner((heap), (link)))
#else
#define LINK_OWNER_OPEN(heap, link) ((void)0)
#define LINK_OWNER_CLOSE(heap, link) ((void)0)
#endif

/* Files free block b of size bytes (passed: the header was just written,
 * and reading it back costs a load on every path). */
BH_HOT_INLINE void list_insert(bh_heap *heap, block *b, size_t size) {
    unsigned c = heap_class_of(heap, size);
    block **head = &heap->heads[c];
    block *first;
#if defined(__GNUC__) || defined(__clang__)
    /* head in a register: it is stored and loaded through, and GCC
     * otherwise computes it twice (once folded into the load). */
    __asm__("" : "+r"(head));
#endif
    first = *head;
    LINKS_OPEN(first);
    b->next_free = first;
#if BAREHEAP_BRANCHLESS_LISTS
    /* No branch on whether the list was empty: setting bits already set
     * changes nothing, and b's own back link, written again below, takes
     * the store that a first block would. */
    heap->sl_bitmap[CLASS_FL(c)] |= (uint32_t)1 << CLASS_SL(c);
    heap->fl_bitmap |= (size_t)1 << CLASS_FL(c);
    (first ? first : b)->prev_link = &b->next_free;
#else
    if (BH_COSTLY(!first)) {
        /* The bits are set while the list is non-empty: only its first block sets them. */
        heap->sl_bitmap[CLASS_FL(c)] |= (uint32_t)1 << CLASS_SL(c);
        heap->fl_bitmap |= (size_t)1 << CLASS_FL(c);
    } else {
        first->prev_link = &b->next_free;
    }
#endif
    /* Stored apart from next_free: GCC 12 at -O2 otherwise merges the two
     * adjacent stores into one vector store, built from both registers at
     * a cost of two instructions more (x86-64 small free 107 -> 105). */
    b->prev_link = head;
    *head = b;
    LINKS_CLOSE(first);
}

/* Unlinks free block b. Its class is needed only when its list becomes empty,
 * and then it follows from the head's position: no size mapping here.
 * At BAREHEAP_DEBUG >= 2, which checks the back link, one out-of-line copy
 * serves every caller: the check then exists once, not once per call site. */
#if (BAREHEAP_DEBUG >= 2) && (defined(__GNUC__) || defined(__clang__))
static __attribute__((noinline)) void list_remove(bh_heap *heap, block *b) {
#elif (BAREHEAP_DEBUG >= 2)
static void list_remove(bh_heap *heap, block *b) {
#else
BH_HOT_INLINE void list_remove(bh_heap *heap, block *b) {
#endif
    block *next, **link;
    /* b's links stay open: b is used next, or merged and filed, which
     * closes them. */
    LINKS_OPEN(b);
    next = b->next_free;
    link = b->prev_link;
    LINK_OWNER_OPEN(heap, link);
    HEAP_ASSERT(heap, *link == b, b);
    *link = next;
    LINK_OWNER_CLOSE(heap, link);
    LINKS_OPEN(next);
    /* The list is empty now if b was last and its link is a head. The byte
     * offset of link from the first head tells: below the heads' extent
     * (they end where sl_bitmap begins) only if link is a head. Unsigned, so
     * one compare; shifts of the offset give the class. */
#if BAREHEAP_BRANCHLESS_LISTS
    /* b's back link, dead now, takes the store when b was last. */
    (next ? next : b)->prev_link = link;
    {
        uintptr_t offset = (uintptr_t)link - (uintptr_t)heap->heads;
        uintptr_t emptied = (uintptr_t)(next == NULL) &
                            (uintptr_t)(offset < (uintptr_t)heap->sl_bitmap - (uintptr_t)heap->heads);
        unsigned fl, sl;
        /* Otherwise class 0 stands in: its bit is cleared with a mask of
         * 0, and its first level's bit, cleared when its word is 0, is
         * clear already. The one branch left follows whether a first
         * level is empty, which changes seldom. */
        offset &= (uintptr_t)0 - emptied;
        fl = (unsigned)(offset / (sizeof(block *) * SL_COUNT));
        sl = (unsigned)(offset / sizeof(block *)) & (SL_COUNT - 1u);
        heap->sl_bitmap[fl] &= ~((uint32_t)emptied << sl);
        if (!heap->sl_bitmap[fl])
            heap->fl_bitmap &= ~((size_t)1 << fl);
    }
#else
    if (BH_COSTLY(!next)) {
        uintptr_t offset = (uintptr_t)link - (uintptr_t)heap->heads;
        if (BH_COSTLY(offset < (uintptr_t)heap->sl_bitmap - (uintptr_t)heap->heads)) {
            /* The list is empty now. */
            unsigned fl = (unsigned)(offset / (sizeof(block *) * SL_COUNT));
            unsigned sl = (unsigned)(offset / sizeof(block *)) & (SL_COUNT - 1u);
            heap->sl_bitmap[fl] &= ~((uint32_t)1 << sl);
            if (BH_COSTLY(!heap->sl_bitmap[fl]))
                heap->fl_bitmap &= ~((size_t)1 << fl);
        }
    } else {
        next->prev_link = link;
    }
#endif
    LINKS_CLOSE(next);
}

/* Makes [b, b + size) a free block with its footer and files it; the block
 * after it must already have FLAG_PREV_FREE. prev_flag is FLAG_PREV_FREE or 0
 * for the block before b. */
BH_HOT_INLINE void block_file_free(bh_heap *heap, block *b, size_t size, size_t prev_flag) {
    TOOL_ACCESS(b, size);
    b->header = size | FLAG_FREE | prev_flag;
    /* From size, not the header: no mask of the flags just written. */
    ((size_t *)(void *)((char *)b + size))[-1] = size;
    list_insert(heap, b, size);
    TOOL_NOACCESS((char *)b + WORD_BYTES, size - WORD_BYTES);
}

/* block_file_free(), also telling the next block that this one is free. */
BH_HOT_INLINE void block_make_free(bh_heap *heap, block *b, size_t size, size_t prev_flag) {
    block_at(b, size)->header |= FLAG_PREV_FREE;
    block_file_free(heap, b, size, prev_flag);
}

/* ---- Search ---- */

/* The first block of class c or of the first non-empty class above it, or
 * NULL. O(1). c may be the class above the top one (sl_bitmap[fl_count] is
 * 0, and fl_count + 1 bits fit in size_t). */
BH_HOT_INLINE block *class_search_from(bh_heap *heap, unsigned c) {
    unsigned fl = CLASS_FL(c);
    uint32_t sl_bits = heap->sl_bitmap[fl] & ((uint32_t)0xFFFFFFFFu << CLASS_SL(c));
    if (!sl_bits) {
        size_t fl_bits = heap->fl_bitmap & ((size_t)0 - ((size_t)2 << fl));
        if (!fl_bits)
            return NULL;
        fl = bits_ctz_size(fl_bits);
        sl_bits = heap->sl_bitmap[fl];
    }
    return heap->heads[(fl << BAREHEAP_SL_LOG2) + bits_ctz32(sl_bits)];
}

/* Whether free block b holds size_bytes. size_bytes is a multiple of G and
 * the flags sit below G, so the header compares with it as the size would,
 * whatever its flag bits: one load and one compare per probe, no mask. */
static inline bool block_fits(const block *b, size_t size_bytes) { return b->header >= size_bytes; }

/* Unrolls the probe loop below where speed is asked for, with the pragma
 * each compiler knows (GCC's from version 8); elsewhere the loop stays. */
#if defined(__OPTIMIZE_SIZE__)
#define BH_UNROLL_PROBES
#elif defined(__clang__)
#define BH_UNROLL_PROBES _Pragma("clang loop unroll_count(16)")
#elif defined(__GNUC__) && (__GNUC__ >= 8) && !defined(__INTEL_COMPILER)
#define BH_UNROLL_PROBES _Pragma("GCC unroll 16")
#else
#define BH_UNROLL_PROBES
#endif

/* The first of b and the n - 1 blocks after it on its list that holds
 * size_bytes, or NULL. Unrolled, a probe costs a test for the list's end, a
 * load, a compare and a load of the next link, with no loop counter (the
 * worst allocation is the one that probes most). Limits above 16 probes
 * unroll by 16. */
BH_HOT_INLINE block *list_probe(bh_heap *heap, block *b, size_t size_bytes, unsigned n) {
    (void)heap; /* for the link test at BAREHEAP_DEBUG >= 2 */
    /* Counts down: where the loop stays (-Os), one subtract and its flags. */
    BH_UNROLL_PROBES
    for (; n != 0; n--) {
        if (!b || block_fits(b, size_bytes))
            return b;
        if (!NEXT_INTACT(heap, b))
            return NULL;
        b = link_next(b);
    }
    return NULL;
}

/* A free block of at least size_bytes, still on its list, or NULL; probes
 * (1..BAREHEAP_PROBE_LIMIT, a constant at each call) bounds the blocks of
 * one class examined.
 * below is the class of size_bytes - G, clamped to the top class; the
 * caller maps it (a plain request tells from its size whether to clamp). Every
 * block of a class above it holds size_bytes (sizes are whole grains, and
 * those classes start above size_bytes - G), so the first non-empty one
 * serves in O(1), with no test for whether size_bytes is a class minimum.
 * Failing that, class below may hold large enough blocks among smaller ones
 * (when size_bytes is not a class minimum, below is its own class): examine
 * up to probes of them. When it is a minimum, they are all too small, and
 * the probes only cost time on the way to a failure.
 * With BAREHEAP_CLOSE_FIT, the first block of class below, the closest fit
 * found in O(1), if it is large enough, before the classes above. */
BH_HOT_INLINE block *block_find(bh_heap *heap, unsigned below, size_t size_bytes, unsigned probes) {
    block *b;
#if BAREHEAP_CLOSE_FIT
    block *head = heap->heads[below];
    if (head && block_fits(head, size_bytes))
        return head;
#endif
    b = class_search_from(heap, below + 1u);
    if (b)
        return b;
#if BAREHEAP_CLOSE_FIT
    /* The head was the first probe, above. */
    return head && NEXT_INTACT(heap, head) ? list_probe(heap, link_next(head), size_bytes, probes - 1u) : NULL;
#else
    return list_probe(heap, heap->heads[below], size_bytes, probes);
#endif
}

/* The same, mapping size_bytes itself. */
BH_HOT_INLINE block *block_find_for(bh_heap *heap, size_t size_bytes, unsigned probes) {
    return block_find(heap, heap_class_of(heap, size_bytes - GRAIN_BYTES), size_bytes, probes);
}

/* ---- Using blocks ---- */

/* Takes free block next, whose header the caller read as next_header, off
 * its list to become part of the block before it and returns its size; its
 * header and links are interior now (its header marked as merged, the links
 * poisoned). The caller accounts for the block and its bytes. (The header is
 * passed: read again after the caller's stores, it would cost a load.) */
BH_HOT_INLINE size_t block_absorb_next(bh_heap *heap, block *next, size_t next_header) {
    size_t size = next_header & ~FLAG_MASK;
    list_remove(heap, next);
    POISON_FILL((char *)next + WORD_BYTES, (char *)next + 3u * WORD_BYTES);
    MERGED_MARK(next);
    return size;
}

/* b is used and at least size_bytes; gives its tail beyond size_bytes back to
 * the heap if the tail can stand as a block, merging it with a free next block:
 *   [ b ............ | tail ][ next (free) ] => [ b ][ ---- free ---- ]
 * b's header keeps its flags. */
static void block_trim(bh_heap *heap, block *b, size_t size_bytes) {
    size_t size = block_size(b);
    size_t tail_bytes = size - size_bytes;
    block *tail, *next;
    if (tail_bytes < MIN_BLOCK_BYTES)
        return;
    next = block_next(b);
    b->header = size_bytes | (b->header & FLAG_MASK);
    tail = block_at(b, size_bytes);
    TOOL_ACCESS(tail, tail_bytes); /* a canary may lie there */
    POISON_FILL(tail, next);
    heap->free_bytes += tail_bytes;
    if (block_is_free(next)) {
        tail_bytes += block_absorb_next(heap, next, next->header);
        block_file_free(heap, tail, tail_bytes, 0);
    } else {
        heap->free_blocks++;
        block_make_free(heap, tail, tail_bytes, 0);
    }
}

/* After a call that used more memory, free_bytes being heap->free_bytes
 * now (passed: stores through block pointers in between would make the
 * compiler load it again): keeps the low-water mark. */
static inline void stats_note_growth(bh_heap *heap, size_t free_bytes) {
    if (free_bytes < heap->epoch_min_free_bytes)
        heap->epoch_min_free_bytes = free_bytes;
}

/* Takes free block b (already off its list, still counted as free) for a
 * request of size_bytes: marks it used and gives back to the heap any tail
 * that can stand as a block. */
BH_HOT_INLINE void block_use(bh_heap *heap, block *b, size_t size_bytes, size_t extra_flags) {
    size_t size = block_size(b);
    size_t free_bytes = heap->free_bytes;
    TOOL_ACCESS(b, size);
    if (size - size_bytes >= MIN_BLOCK_BYTES) {
        /* The tail takes b's place in the count; the block after it already
         * knows its neighbour is free. */
        b->header = size_bytes | (b->header & FLAG_PREV_FREE) | extra_flags;
        free_bytes -= size_bytes;
        heap->free_bytes = free_bytes;
        block_file_free(heap, block_at(b, size_bytes), size - size_bytes, 0);
    } else {
        b->header = size | (b->header & FLAG_PREV_FREE) | extra_flags;
        block_at(b, size)->header &= ~FLAG_PREV_FREE;
        free_bytes -= size;
        heap->free_bytes = free_bytes;
        heap->free_blocks--;
    }
    heap->alloc_count++;
    stats_note_growth(heap, free_bytes);
}

/* Frees used block b, merging it with free neighbours:
 *   [ prev (free) ][ b ][ next (free) ] => [ ------------ free ------------ ]
 * b's own header is marked free first, so that a later free of the same
 * pointer sees FLAG_FREE even once b is inside a larger free block. */
BH_HOT_INLINE void block_release(bh_heap *heap, block *b) {
    size_t size = block_size(b);
    size_t prev_flag = b->header & FLAG_PREV_FREE;
    block *next = block_at(b, size);
    size_t next_header = next->header;
    bool next_free = (next_header & FLAG_FREE) != 0;
    TOOL_ACCESS(b, size); /* a canary may lie there */
#if (BAREHEAP_DEBUG >= 1)
    /* Kept if b is merged into prev: a second free of b then sees it. */
    b->header |= FLAG_FREE;
#endif
    POISON_FILL(block_payload(b), next);
    heap->free_bytes += size;
    /* Freed, b is one more free block; each merge makes two blocks one.
     * prev_flag / FLAG_PREV_FREE is the merge with prev as 0 or 1: a shift,
     * where a test of prev_flag would be a select. */
    if (next_free) {
        size += block_absorb_next(heap, next, next_header);
        heap->free_blocks -= prev_flag / FLAG_PREV_FREE;
    } else {
        heap->free_blocks += 1u - prev_flag / FLAG_PREV_FREE;
    }
    if (prev_flag) {
        /* The footer gives prev's size, and a free block's own PREV_FREE is
         * clear (free neighbours always merge): prev's header is not read. */
        size_t prev_size = block_prev_size(b);
        block *prev = block_before(b, prev_size);
        list_remove(heap, prev);
        size += prev_size;
        prev_flag = 0;
        /* prev's footer is interior now; b's header is marked, so that a
         * later free of b is told a double free. */
        POISON_FILL((char *)b - WORD_BYTES, b);
        MERGED_MARK(b);
        b = prev;
    }
    if (next_free)
        block_file_free(heap, b, size, prev_flag);
    else
        block_make_free(heap, b, size, prev_flag);
    heap->free_count++;
}

/* ---- Pointer validation ---- */

/* Reads a word that may lie in poisoned memory (a pointer being validated
 * may point anywhere in the heap) without the memory checker stopping the
 * program: the answer is then a report through the error handler. */
#if BAREHEAP_ASAN && (BAREHEAP_DEBUG >= 1)
__attribute__((no_sanitize_address, noinline)) static size_t word_peek(const void *addr) {
    return *(const size_t *)addr;
}
#elif BAREHEAP_VALGRIND && (BAREHEAP_DEBUG >= 1)
static size_t word_peek(const void *addr) {
    size_t word;
    VALGRIND_DISABLE_ERROR_REPORTING;
    word = *(const size_t *)addr;
    VALGRIND_ENABLE_ERROR_REPORTING;
    return word;
}
#elif (BAREHEAP_DEBUG >= 1)
static inline size_t word_peek(const void *addr) { return *(const size_t *)addr; }
#endif

#if (BAREHEAP_DEBUG >= 1)
/* The region after the first that holds block address a, or NULL.
 * O(BAREHEAP_MAX_REGIONS). Out of line where speed is asked for: the first
 * region is tested by the caller, whose bounds then stay in registers. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
__attribute__((noinline))
#endif
static const region *region_find_other(const bh_heap *heap, uintptr_t a) {
    unsigned i;
    for (i = 1; i < heap->region_count; i++) {
        if (a >= heap->regions[i].lo && a < heap->regions[i].hi)
            return &heap->regions[i];
    }
    return NULL;
}

/* The region after the first that holds the block of ptr, a pointer given
 * back, or NULL after reporting ptr as invalid: validation's lookup past
 * the first region, for block_validate() and the split free alike. */
BH_HOT_INLINE const region *region_find_for_ptr(bh_heap *heap, void *ptr) {
    const region *r = region_find_other(heap, (uintptr_t)ptr - WORD_BYTES);
    if (BH_UNLIKELY(!r))
        bh_internal_report(heap, BH_ERROR_INVALID_POINTER, ptr);
    return r;
}
#endif

#if (BAREHEAP_DEBUG >= 2)
/* Whether a free block of this heap begins at a: where a block may begin
 * inside a region, room for a minimum block before the region's end, a
 * header marked free. Reads only the header, and only once a is known to lie
 * in a region. O(BAREHEAP_MAX_REGIONS). */
static bool free_block_at(const bh_heap *heap, uintptr_t a) {
    uintptr_t lo = heap->regions[0].lo, hi = heap->regions[0].hi;
    if ((a + WORD_BYTES) & (GRAIN_BYTES - 1u))
        return false;
    if (a - lo >= hi - lo) {
        const region *r = region_find_other(heap, a);
        if (!r)
            return false;
        hi = r->hi;
    }
    return hi - a >= MIN_BLOCK_BYTES && (word_peek((const void *)a) & FLAG_FREE) != 0;
}

/* Whether free block b's link to the next block of its list holds: none, or
 * a free block whose link back names it. */
static bool next_sound(const bh_heap *heap, const block *b) {
    const block *next = (const block *)(uintptr_t)word_peek(&b->next_free);
    return !next || (free_block_at(heap, (uintptr_t)next) &&
                     word_peek(&next->prev_link) == (size_t)(uintptr_t)&b->next_free);
}

/* Whether free block b's link back holds: its class's head, or the link of a
 * free block, and either names b. */
static bool back_sound(const bh_heap *heap, const block *b) {
    block *const *link = (block *const *)(uintptr_t)word_peek(&b->prev_link);
    uintptr_t offset = (uintptr_t)link - (uintptr_t)heap->heads;
    if (offset < (uintptr_t)heap->sl_bitmap - (uintptr_t)heap->heads)
        return link == &heap->heads[heap_class_of(heap, block_size(b))] && *link == b;
    return free_block_at(heap, (uintptr_t)link - offsetof(block, next_free)) &&
           word_peek(link) == (size_t)(uintptr_t)b;
}

/* Free block b's forward link may be followed: reports a write after free
 * at the link word otherwise. */
static bool next_intact(bh_heap *heap, block *b) {
    if (BH_UNLIKELY(!next_sound(heap, b))) {
        bh_internal_report(heap, BH_ERROR_USE_AFTER_FREE, &b->next_free);
        return false;
    }
    return true;
}

/* Free block b may be unlinked: both its links hold (reported otherwise). */
static bool links_intact(bh_heap *heap, block *b) {
    if (!next_intact(heap, b))
        return false;
    if (BH_UNLIKELY(!back_sound(heap, b))) {
        bh_internal_report(heap, BH_ERROR_USE_AFTER_FREE, &b->prev_link);
        return false;
    }
    return true;
}
#endif

/* The used block behind ptr, or NULL after reporting why there is none.
 * Reads only the block's header, its neighbours' headers and the footer
 * before it; writes nothing. Size plausibility is tested before the FREE bit
 * so that garbage words with that bit set are reported as invalid, not as a
 * double free. */
#if (BAREHEAP_DEBUG >= 1)
/* The first test of every pointer given back: whether it is off the grain
 * (reported if so), before any word near it is read. */
BH_HOT_INLINE bool ptr_misaligned(bh_heap *heap, void *ptr) {
    if (BH_UNLIKELY((uintptr_t)ptr & (GRAIN_BYTES - 1u))) {
        bh_internal_report(heap, BH_ERROR_MISALIGNED, ptr);
        return true;
    }
    return false;
}

/* block_validate() past its first two tests: ptr is aligned, and its block
 * address lies in the region [lo, hi) (hi its sentinel). */
BH_HOT_INLINE block *block_validate_in(bh_heap *heap, void *ptr, uintptr_t lo, uintptr_t hi) {
    size_t header, next_header, size;
    block *b, *next;
    /* Until it is known to be a live block, ptr may point anywhere in the
     * heap, free interiors included: read through word_peek(). */
    b = block_from_payload(ptr);
    header = word_peek(b);
#if (BAREHEAP_DEBUG >= 2)
    /* A header swallowed by a merge: ptr was freed, and its block merged.
     * (Poison there is free memory that never began a block: invalid.) */
    if (BH_UNLIKELY(header == merged_mark((uintptr_t)b))) {
        bh_internal_report(heap, BH_ERROR_DOUBLE_FREE, ptr);
        return NULL;
    }
#endif
    size = header & ~FLAG_MASK;
    if (BH_UNLIKELY(size < MIN_BLOCK_BYTES || (size & (GRAIN_BYTES - 1u)) || size > hi - (uintptr_t)b))
        goto invalid;
    if (BH_UNLIKELY(header & FLAG_FREE)) {
        bh_internal_report(heap, BH_ERROR_DOUBLE_FREE, ptr);
        return NULL;
    }
    next = block_at(b, size);
    next_header = word_peek(next);
    if (BH_UNLIKELY(next_header & FLAG_PREV_FREE))
        goto invalid;
    if ((uintptr_t)next != hi) {
        size_t next_size = next_header & ~FLAG_MASK;
        if (BH_UNLIKELY(next_size < MIN_BLOCK_BYTES || next_size > hi - (uintptr_t)next))
            goto invalid;
    } else if (BH_UNLIKELY(next_header != 0)) {
        goto invalid;
    }
    if (header & FLAG_PREV_FREE) {
        /* Readable even at b == lo (region_format() keeps the word below
         * a region's first block in the heap's memory); the bound below
         * then refuses it. */
        size_t prev_size = word_peek((const char *)b - WORD_BYTES);
        if (BH_UNLIKELY((prev_size & (GRAIN_BYTES - 1u)) || prev_size < MIN_BLOCK_BYTES ||
                        prev_size > (uintptr_t)b - lo ||
                        word_peek(block_before(b, prev_size)) != (prev_size | FLAG_FREE)))
            goto invalid;
    }
#if (BAREHEAP_DEBUG >= 2)
    /* An aligned block's alignment word comes after the canary. */
    if (BH_UNLIKELY(!block_seal_intact(b) || ((header & FLAG_ALIGNED) && !block_align_word_sound(b)))) {
        bh_internal_report(heap, BH_ERROR_OVERFLOW, ptr);
        return NULL;
    }
    /* A free or realloc of b unlinks its free neighbours (links_intact()
     * reports a damaged link). */
    if (BH_UNLIKELY(((next_header & FLAG_FREE) && !links_intact(heap, next)) ||
                    ((header & FLAG_PREV_FREE) && !links_intact(heap, block_before(b, block_prev_size(b))))))
        return NULL;
#endif
    return b;
invalid:
    bh_internal_report(heap, BH_ERROR_INVALID_POINTER, ptr);
    return NULL;
}
#endif

BH_HOT_INLINE block *block_validate(bh_heap *heap, void *ptr) {
#if (BAREHEAP_DEBUG >= 1)
    /* The bounds of ptr's region: most heaps have one, decided by one
     * unsigned compare. */
    uintptr_t a = (uintptr_t)ptr;
    uintptr_t lo = heap->regions[0].lo, hi = heap->regions[0].hi;
    if (ptr_misaligned(heap, ptr))
        return NULL;
    if (BH_UNLIKELY(a - WORD_BYTES - lo >= hi - lo)) {
        const region *r = region_find_for_ptr(heap, ptr);
        if (BH_UNLIKELY(!r))
            return NULL;
        lo = r->lo;
        hi = r->hi;
    }
    return block_validate_in(heap, ptr, lo, hi);
#else
    (void)heap;
    return block_from_payload(ptr);
#endif
}

/* ---- Regions ---- */

/* The end of [base, base + size_bytes), a region that does not wrap
 * (size_bytes - 1 <= UINTPTR_MAX - base). Memory that reaches the top of
 * the address space has no representable end: it ends at UINTPTR_MAX, which
 * leaves its last grain unused (aligned down, the sentinel goes one word
 * below that grain) and keeps every address the heap computes past a block,
 * up to a region's end plus a word, from wrapping to 0. */
static inline uintptr_t region_end(uintptr_t base, size_t size_bytes) {
    uintptr_t end = base + size_bytes;
    return end - (end == 0u);
}

/* Lays out [lo_raw, hi_raw), memory the heap may use, as one free block and
 * a sentinel. Returns false, touching nothing, if it cannot hold a minimum
 * block. The first block starts at least a word above lo_raw: the word below
 * it, which block_validate() may read as a footer, is then memory the heap
 * was given (never a device register below a RAM bank). */
static bool region_format(bh_heap *heap, uintptr_t lo_raw, uintptr_t hi_raw) {
    uintptr_t lo, hi;
    block *b, *sentinel;
    /* Below one grain the aligned end is 0, and a word below it wraps. */
    if (hi_raw < GRAIN_BYTES || lo_raw > UINTPTR_MAX - 2u * WORD_BYTES - GRAIN_BYTES)
        return false;
    /* Block addresses sit one word below a grain boundary. */
    lo = ((lo_raw + 2u * WORD_BYTES + GRAIN_BYTES - 1u) & ~(uintptr_t)(GRAIN_BYTES - 1u)) - WORD_BYTES;
    hi = (hi_raw & ~(uintptr_t)(GRAIN_BYTES - 1u)) - WORD_BYTES;
    if (hi <= lo || hi - lo < MIN_BLOCK_BYTES || heap->region_count >= BAREHEAP_MAX_REGIONS)
        return false;
    b = (block *)(void *)lo;
    sentinel = (block *)(void *)hi;
    sentinel->header = 0;
    heap->regions[heap->region_count].lo = lo;
    heap->regions[heap->region_count].hi = hi;
    heap->region_count++;
    heap->total_bytes += (size_t)(hi - lo);
    POISON_FILL(lo + 3u * WORD_BYTES, hi - WORD_BYTES);
    block_make_free(heap, b, (size_t)(hi - lo), 0);
    heap->free_bytes += (size_t)(hi - lo);
    heap->free_blocks++;
    return true;
}

/* ---- Instance API ---- */

size_t bh_control_size(size_t region_bytes) {
    return control_bytes_for(fl_count_for(region_bytes));
}

bh_heap *bh_init_ex(void *mem, size_t size_bytes, size_t max_region_bytes) {
    uintptr_t base = (uintptr_t)mem, start, end;
    unsigned fl_count;
    size_t control;
    bh_heap *heap;
    /* size_bytes 0 wraps to SIZE_MAX (as wide as uintptr_t): refused too. */
    if (!mem || size_bytes - 1u > UINTPTR_MAX - base)
        return NULL;
    end = region_end(base, size_bytes);
    start = (base + GRAIN_BYTES - 1u) & ~(uintptr_t)(GRAIN_BYTES - 1u);
    /* start wraps to 0 only from the last grain of the address space. (A
     * start at or past end needs no test of its own: the aligned end is
     * then at or below it, refused below.) */
    if (start < base)
        return NULL;
    fl_count = fl_count_for(max_region_bytes > size_bytes ? max_region_bytes : size_bytes);
    control = control_bytes_for(fl_count);
    /* region_format() puts the first block one grain minus a word after the
     * control structure and the sentinel one word below the last grain
     * boundary; refuse here, before writing anything, if no block fits. */
    end &= ~(uintptr_t)(GRAIN_BYTES - 1u);
    if (end < start || end - start < control + GRAIN_BYTES + MIN_BLOCK_BYTES)
        return NULL;
    /* The memory may have held an earlier heap that left parts poisoned. */
    TOOL_ACCESS(start, (size_t)(end - start));
    heap = (bh_heap *)(void *)start;
    /* Every counter, bitmap and list head starts at zero or NULL (all bits
     * zero on every supported target, as .bss zeroing assumes too); one call
     * instead of a store per field keeps init small. */
    memset(heap, 0, control);
    heap->class_top = fl_count * SL_COUNT - 1u;
    heap->direct_request_bytes = direct_request_bytes_for(fl_count);
    heap->sl_bitmap = (uint32_t *)(void *)&heap->heads[(size_t)fl_count * SL_COUNT];
    heap->control_bytes = control;
    heap->heap_bytes = size_bytes;
    /* The control structure's last word may lie below the first block. */
    if (!region_format(heap, start + control - WORD_BYTES, end))
        return NULL;
    heap->min_free_bytes = heap->free_bytes;
    heap->epoch_min_free_bytes = heap->free_bytes;
    HEAP_VERIFY(heap);
    return heap;
}

bh_heap *bh_init(void *mem, size_t size_bytes) {
    return bh_init_ex(mem, size_bytes, 0);
}

static bool add_region_locked(bh_heap *heap, void *mem, size_t size_bytes) {
    uintptr_t base = (uintptr_t)mem, end;
    size_t peak;
    unsigned i;
    if (!mem || size_bytes - 1u > UINTPTR_MAX - base) /* 0 as in bh_init_ex() */
        return false;
    end = region_end(base, size_bytes);
    /* Region 0's memory begins with the control structure. (Tested apart
     * from the loop: a loop that picks region 0's start by index reads
     * regions[i] only for i >= 1, which GCC's -Warray-bounds flags as past
     * the table at BAREHEAP_MAX_REGIONS 1, failing -Werror builds.) */
    if (base < heap->regions[0].lo && end > (uintptr_t)heap)
        return false;
    for (i = 0; i < heap->region_count; i++) {
        if (base < heap->regions[i].hi + WORD_BYTES && end > heap->regions[i].lo)
            return false;
    }
    TOOL_ACCESS(base, size_bytes);
    /* Fold the epoch's figures while total_bytes still describes it. */
    peak = heap->total_bytes - heap->epoch_min_free_bytes;
    if (!region_format(heap, base, end))
        return false;
    if (peak > heap->peak_used_bytes)
        heap->peak_used_bytes = peak;
    if (heap->epoch_min_free_bytes < heap->min_free_bytes)
        heap->min_free_bytes = heap->epoch_min_free_bytes;
    heap->epoch_min_free_bytes = heap->free_bytes;
    heap->heap_bytes += size_bytes;
    return true;
}

bool bh_add_region(bh_heap *heap, void *mem, size_t size_bytes) {
    lock_state lock_saved;
    bool added;
    if (!heap)
        return false;
    lock_saved = LOCK_ENTER(heap);
    added = add_region_locked(heap, mem, size_bytes);
    HEAP_VERIFY(heap);
    LOCK_EXIT(heap, lock_saved);
    return added;
}

/* Serves a plain request: NULL (counted) if no block fits or, at DEBUG >= 2,
 * if the block found was written to while free. Inlined into alloc_call()
 * (bh_alloc's) only; the other callers share one copy, alloc_locked(). */
BH_HOT_INLINE void *alloc_body(bh_heap *heap, size_t size_bytes) {
    unsigned below;
    size_t bytes = request_map(heap, size_bytes, &below);
    block *b = bytes ? block_find(heap, below, bytes, BAREHEAP_PROBE_LIMIT) : NULL;
    /* Poison is checked past the request's block too: block_use() writes
     * the tail's header and links there, or with no tail the canary fills
     * the slack (less than a minimum block, so at most three words), and a
     * write after free under them would be lost. */
    if (BH_UNLIKELY(!b || !POISON_INTACT(heap, b, b, (uintptr_t)b + bytes + 3u * WORD_BYTES))) {
        heap->failed_count++;
        return NULL;
    }
    list_remove(heap, b);
    block_use(heap, b, bytes, 0);
    BLOCK_SEAL(b, size_bytes);
    return block_payload(b);
}

static void *alloc_locked(bh_heap *heap, size_t size_bytes) {
    return alloc_body(heap, size_bytes);
}

/* Where a heap may have lock hooks, alloc, aligned alloc, free and realloc
 * test for them first and, with none, tail-call their body out of line; a
 * heap with hooks goes through a function of its own that takes them. The
 * public entry then keeps no frame, saving no registers, for hook calls that
 * are not made (x86-64 -O2, small sizes: alloc 81 -> 70 instructions, free
 * 112 -> 107; Cortex-M3 worst alloc 127 -> 123, free 160 -> 158), and a heap
 * with hooks pays the extra call (with the PRIMASK hooks installed, the
 * Cortex-M3 worst cases some 10 higher). At -Os the bodies stay in line, and
 * with a lock compiled in those of alloc and aligned alloc (free and realloc
 * have splits of their own, below). */
#if BAREHEAP_LOCK_HOOKS && (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
#define BH_HOOKS_SPLIT 1
#define BH_CALL static __attribute__((noinline))
#else
#define BH_HOOKS_SPLIT 0
#define BH_CALL BH_HOT_INLINE
#endif

/* bh_alloc() between its lock's enter and exit. */
BH_CALL void *alloc_call(bh_heap *heap, size_t size_bytes) {
    void *p = alloc_body(heap, size_bytes);
    HEAP_VERIFY(heap);
    return p;
}

BH_CALL void *alloc_locking(bh_heap *heap, size_t size_bytes) {
    lock_state lock_saved = LOCK_ENTER(heap);
    void *p = alloc_call(heap, size_bytes);
    LOCK_EXIT(heap, lock_saved);
    return p;
}

void *bh_alloc(bh_heap *heap, size_t size_bytes) {
    if (BH_UNLIKELY(!heap))
        return NULL;
#if BH_HOOKS_SPLIT
    if (!heap->lock_fn)
        return alloc_call(heap, size_bytes);
#endif
    return alloc_locking(heap, size_bytes);
}

void *bh_calloc(bh_heap *heap, size_t count, size_t size_bytes) {
    lock_state lock_saved;
    size_t total = 0;
    void *p;
    if (BH_UNLIKELY(!heap))
        return NULL;
    lock_saved = LOCK_ENTER(heap);
    if (size_bytes != 0 && count > SIZE_MAX / size_bytes) {
        heap->failed_count++;
        p = NULL;
    } else {
        total = count * size_bytes;
        p = alloc_locked(heap, total);
        HEAP_VERIFY(heap);
    }
    LOCK_EXIT(heap, lock_saved);
    /* The block is the caller's now: zero it outside the lock. */
    if (p)
        memset(p, 0, total);
    return p;
}

/* Payload offset from block b such that the payload is aligned to align_bytes
 * and the skipped front can stand as a free block (or is empty). */
static size_t aligned_gap_bytes(const block *b, size_t align_bytes) {
    uintptr_t payload = (uintptr_t)b + WORD_BYTES;
    size_t gap = (size_t)((0u - payload) & (align_bytes - 1u));
    /* Too small a front to stand as a block: move on by whole alignments
     * (one step when MIN_BLOCK_BYTES <= 3 G, as with the default grain).
     * The result stays below MIN_BLOCK_BYTES + align_bytes. */
    if (gap != 0 && gap < MIN_BLOCK_BYTES)
        gap += (MIN_BLOCK_BYTES - gap + align_bytes - 1u) & ~(align_bytes - 1u);
    return gap;
}

/* An aligned block keeps its alignment in a trailer word (FLAG_ALIGNED), so
 * it needs one word more than its request. Inlined into bh_alloc_aligned()'s
 * body (at -O2 its worst case is 5 instructions lower on Cortex-M3 without the
 * call, for about 1.3 KB more code). realloc calls alloc_aligned_locked(),
 * its only caller, which the compiler inlines there at -O2 by its own choice:
 * forced in line there too, the worst Cortex-M3 realloc is 4 instructions
 * higher (RV32 5 lower). */
BH_HOT_INLINE void *aligned_body(bh_heap *heap, size_t align_bytes, size_t size_bytes) {
    size_t bytes, search_bytes, gap;
    bool second_search = false;
    block *b;
    /* One test for the largest request and for the sizes below: search_bytes
     * <= size_bytes + (SEAL_WORDS + 2) W + MIN_BLOCK_BYTES - 1 + align_bytes
     * for a block above the minimum (one raised to it, a request of a few
     * words, is 2 MIN_BLOCK_BYTES - G + align_bytes), and the front gap
     * (whole grains, below MIN_BLOCK_BYTES + align_bytes) plus the block
     * size is at most search_bytes. With align_bytes <= SIZE_MAX / 2 + 1 and
     * size_bytes this far below MAX_REQUEST_BYTES (at most SIZE_MAX / 2),
     * neither wraps: search_bytes <= SIZE_MAX + 1 - G. The few requests just
     * below the largest that this refuses need a block of half the address
     * space. */
    if (size_bytes > MAX_REQUEST_BYTES - (SEAL_WORDS + 2u) * WORD_BYTES - MIN_BLOCK_BYTES)
        goto fail;
    bytes = request_block_bytes_unchecked(size_bytes, (SEAL_WORDS + 1u) * WORD_BYTES);
    search_bytes = bytes + align_bytes + MIN_BLOCK_BYTES - GRAIN_BYTES;
    b = block_find_for(heap, search_bytes, ALIGNED_FIRST_PROBES);
    if (!b) {
        /* A block too small for the worst gap may still fit at its own
         * address; this matters on a nearly full heap. */
        b = block_find_for(heap, bytes, ALIGNED_SECOND_PROBES);
        if (!b)
            goto fail;
        second_search = true;
    }
    /* One gap computation for both searches, and the test only for the
     * second's block (the first's holds the worst gap): GCC then computes
     * the gap once on each path at -O2 (the flag's test threaded away: worst
     * realloc 451 -> 449 on Cortex-M3 -O2, aligned 333 -> 331 on RV32), and
     * keeps one copy at -Os (22 bytes less on Cortex-M4). */
    gap = aligned_gap_bytes(b, align_bytes);
    if (second_search && block_size(b) < gap + bytes)
        goto fail;
    /* As in alloc_body(), with the front's footer, a word before the block. */
    if (!POISON_INTACT(heap, b, (uintptr_t)b + gap - WORD_BYTES, (uintptr_t)b + gap + bytes + 3u * WORD_BYTES))
        goto fail;
    list_remove(heap, b);
    if (gap) {
        /* [ b: gap | aligned block ] => [ free front ][ used ... ] */
        size_t size = block_size(b);
        size_t prev_flag = b->header & FLAG_PREV_FREE;
        block *front = b;
        TOOL_ACCESS(b, size);
        b = block_at(b, gap);
        b->header = (size - gap) | FLAG_PREV_FREE;
        block_file_free(heap, front, gap, prev_flag);
        heap->free_blocks++; /* the front; b's bytes stay counted as free until block_use() */
    }
    block_use(heap, b, bytes, FLAG_ALIGNED);
    *block_align_word(b) = align_bytes;
    BLOCK_SEAL(b, size_bytes);
    return block_payload(b);
fail:
    heap->failed_count++;
    return NULL;
}

static void *alloc_aligned_locked(bh_heap *heap, size_t align_bytes, size_t size_bytes) {
    return aligned_body(heap, align_bytes, size_bytes);
}

/* bh_alloc_aligned() between its lock's enter and exit. */
BH_CALL void *aligned_call(bh_heap *heap, size_t align_bytes, size_t size_bytes) {
    void *p;
    if (align_bytes == 0 || (align_bytes & (align_bytes - 1u))) {
        heap->failed_count++;
        p = NULL;
    } else if (align_bytes <= GRAIN_BYTES) {
        p = alloc_locked(heap, size_bytes);
    } else {
        p = aligned_body(heap, align_bytes, size_bytes);
    }
    HEAP_VERIFY(heap);
    return p;
}

BH_CALL void *aligned_locking(bh_heap *heap, size_t align_bytes, size_t size_bytes) {
    lock_state lock_saved = LOCK_ENTER(heap);
    void *p = aligned_call(heap, align_bytes, size_bytes);
    LOCK_EXIT(heap, lock_saved);
    return p;
}

void *bh_alloc_aligned(bh_heap *heap, size_t align_bytes, size_t size_bytes) {
    if (BH_UNLIKELY(!heap))
        return NULL;
#if BH_HOOKS_SPLIT
    if (!heap->lock_fn)
        return aligned_call(heap, align_bytes, size_bytes);
#endif
    return aligned_locking(heap, align_bytes, size_bytes);
}

/* bh_free() between its lock's enter and exit. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__) && (BAREHEAP_DEBUG >= 1)
/* Where speed is asked for, in three parts, so that the common path keeps
 * no frame for the scan of the other regions, a call: the tests of
 * block_validate() up to the region, then the rest of validation and the
 * release (free_in), reached directly for a pointer in the first region
 * and through the scan (free_far) for one in another (make wcet: worst free
 * RV32 184 -> 175, whose frame saved the return address and registers for
 * that call; Cortex-M3 157 -> 158, the price of passing the bounds; x86-64
 * about the same; with the interrupt mask in line, Cortex-M3 161 -> 159 and
 * RV32 189 -> 183. A copy of validation and release in free_far instead,
 * tried: Cortex-M3 156, RV32 174, 636 bytes more code and a second copy of
 * every branch to test). */
static __attribute__((noinline)) void free_in(bh_heap *heap, void *ptr, uintptr_t lo, uintptr_t hi) {
    block *b = block_validate_in(heap, ptr, lo, hi);
    if (BH_LIKELY(b != NULL))
        block_release(heap, b);
    HEAP_VERIFY(heap);
}

static __attribute__((noinline)) void free_far(bh_heap *heap, void *ptr) {
    const region *r = region_find_for_ptr(heap, ptr);
    if (BH_UNLIKELY(!r)) {
        HEAP_VERIFY(heap);
        return;
    }
    free_in(heap, ptr, r->lo, r->hi);
}

BH_HOT_INLINE void free_call(bh_heap *heap, void *ptr) {
    uintptr_t a = (uintptr_t)ptr;
    uintptr_t lo = heap->regions[0].lo, hi = heap->regions[0].hi;
    if (ptr_misaligned(heap, ptr)) {
        HEAP_VERIFY(heap);
        return;
    }
    if (BH_UNLIKELY(a - WORD_BYTES - lo >= hi - lo)) {
        free_far(heap, ptr);
        return;
    }
    free_in(heap, ptr, lo, hi);
}
#else
BH_CALL void free_call(bh_heap *heap, void *ptr) {
    block *b = block_validate(heap, ptr);
    if (BH_LIKELY(b != NULL))
        block_release(heap, b);
    HEAP_VERIFY(heap);
}
#endif

BH_CALL void free_locking(bh_heap *heap, void *ptr) {
    lock_state lock_saved = LOCK_ENTER(heap);
    free_call(heap, ptr);
    LOCK_EXIT(heap, lock_saved);
}

void bh_free(bh_heap *heap, void *ptr) {
    if (!heap || !ptr)
        return;
#if BH_HOOKS_SPLIT
    if (!heap->lock_fn) {
        free_call(heap, ptr);
        return;
    }
#endif
    free_locking(heap, ptr);
}

size_t bh_usable_size(bh_heap *heap, void *ptr) {
    lock_state lock_saved;
    block *b;
    size_t usable;
    if (!heap || !ptr)
        return 0;
    lock_saved = LOCK_ENTER(heap);
    b = block_validate(heap, ptr);
    usable = b ? usable_within_limit(block_usable_bytes(b)) : 0;
    LOCK_EXIT(heap, lock_saved);
    return usable;
}

/* b is a valid used block and size_bytes > 0. */
static void *realloc_locked(bh_heap *heap, block *b, size_t size_bytes) {
    /* An aligned block keeps its alignment word at its end, wherever that is. */
    size_t aligned = b->header & FLAG_ALIGNED;
    size_t align_bytes = aligned ? *block_align_word(b) : GRAIN_BYTES;
    size_t bytes = request_block_bytes(size_bytes, (SEAL_WORDS + (aligned ? 1u : 0u)) * WORD_BYTES);
    size_t size = block_size(b);
    size_t keep_bytes = block_usable_bytes(b);
    block *next = block_at(b, size), *dest = b;
    size_t next_size = block_is_free(next) ? block_size(next) : 0u;
    void *p;
    if (BH_UNLIKELY(!bytes))
        goto fail;
    if (bytes <= size) {
        block_trim(heap, b, bytes);
    } else if (size + next_size >= bytes) {
        /* [ b ][ next (free) ] => [ b ---------- ] then trim. All of next
         * is checked, not only the part handed out: the trim poisons the
         * rest over again, and a write after free there would be lost. */
        if (!POISON_INTACT(heap, next, next, (char *)next + next_size))
            goto fail;
        list_remove(heap, next);
        heap->free_bytes -= next_size;
        heap->free_blocks--;
        TOOL_ACCESS(next, next_size);
        b->header += next_size;
        block_at(b, size + next_size)->header &= ~FLAG_PREV_FREE;
        block_trim(heap, b, bytes);
        stats_note_growth(heap, heap->free_bytes);
    } else if (block_is_prev_free(b) && block_prev_size(b) + size + next_size >= bytes &&
               ((uintptr_t)(const void *)block_payload(block_before(b, block_prev_size(b))) &
                (align_bytes - 1u)) == 0) {
        /* [ prev (free) ][ b ][ next (free)? ] => [ b's data moved down ---- ] */
        size_t prev_size = block_prev_size(b);
        size_t keep_flags;
        dest = block_before(b, prev_size);
        /* All of both: the trim poisons over what is not handed out. */
        if (!POISON_INTACT(heap, dest, dest, b) ||
            (next_size && !POISON_INTACT(heap, next, next, (char *)next + next_size)))
            goto fail;
        keep_flags = (dest->header & FLAG_PREV_FREE) | aligned;
        list_remove(heap, dest);
        TOOL_ACCESS(dest, prev_size);
        heap->free_bytes -= prev_size + next_size;
        heap->free_blocks -= next_size ? (size_t)2 : (size_t)1;
        if (next_size) {
            list_remove(heap, next);
            TOOL_ACCESS(next, next_size);
        }
        memmove(block_payload(dest), block_payload(b), keep_bytes);
        dest->header = (prev_size + size + next_size) | keep_flags;
        block_at(dest, prev_size + size + next_size)->header &= ~FLAG_PREV_FREE;
        block_trim(heap, dest, bytes);
        stats_note_growth(heap, heap->free_bytes);
    } else {
        /* Allocate, copy, free: the old block stays intact if this fails. */
        p = aligned ? alloc_aligned_locked(heap, align_bytes, size_bytes) : alloc_locked(heap, size_bytes);
        if (p) {
            memcpy(p, block_payload(b), keep_bytes);
            block_release(heap, b);
        }
        return p;
    }
    /* The old canary may lie anywhere in the new block: under the request or
     * under the trailer words written below. */
    TOOL_ACCESS(block_payload(dest), block_size(dest) - WORD_BYTES);
    if (aligned)
        *block_align_word(dest) = align_bytes;
    BLOCK_SEAL(dest, size_bytes);
    return block_payload(dest);
fail:
    heap->failed_count++;
    return NULL;
}

/* bh_realloc() between its lock's enter and exit. Out of line where the
 * hooks are split off (above), and with a lock compiled in line on ARM: the
 * lock's state then waits in the caller's frame, and the body has every
 * register (Cortex-M3 -O2, make wcet: worst case 459 -> 445; RV32, with
 * twice the registers, gains nothing). */
#if !BAREHEAP_LOCK_HOOKS && defined(BAREHEAP_LOCK_ENTER) && defined(__arm__) && \
    (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
static __attribute__((noinline))
#else
BH_CALL
#endif
void *realloc_call(bh_heap *heap, void *ptr, size_t size_bytes) {
    block *b;
    void *p;
    if (!ptr) {
        p = alloc_locked(heap, size_bytes);
    } else if ((b = block_validate(heap, ptr)) == NULL) {
        p = NULL;
    } else if (size_bytes == 0) {
        block_release(heap, b);
        p = NULL;
    } else {
        p = realloc_locked(heap, b, size_bytes);
    }
    HEAP_VERIFY(heap);
    return p;
}

BH_CALL void *realloc_locking(bh_heap *heap, void *ptr, size_t size_bytes) {
    lock_state lock_saved = LOCK_ENTER(heap);
    void *p = realloc_call(heap, ptr, size_bytes);
    LOCK_EXIT(heap, lock_saved);
    return p;
}

void *bh_realloc(bh_heap *heap, void *ptr, size_t size_bytes) {
    if (!heap)
        return NULL;
#if BH_HOOKS_SPLIT
    if (!heap->lock_fn)
        return realloc_call(heap, ptr, size_bytes);
#endif
    return realloc_locking(heap, ptr, size_bytes);
}

bool bh_get_stats(bh_heap *heap, bh_stats *stats) {
    lock_state lock_saved;
    size_t largest = 0;
    if (!heap || !stats)
        return false;
    lock_saved = LOCK_ENTER(heap);
    if (heap->fl_bitmap) {
        /* Any block the top class's probe reaches serves a request of its
         * own usable size (block_find probes the same blocks). */
        unsigned fl = bits_fls_size(heap->fl_bitmap);
        unsigned sl = bits_fls32(heap->sl_bitmap[fl]);
        const block *b = heap->heads[fl * SL_COUNT + sl];
        unsigned probes;
        for (probes = 0; b && probes < BAREHEAP_PROBE_LIMIT; probes++, b = link_next(b)) {
            if (block_size(b) > largest)
                largest = block_size(b);
            if (!NEXT_INTACT(heap, (block *)(uintptr_t)b))
                break;
        }
        /* A block that size serves a request of its capacity, up to the
         * largest request (a 32-bit heap above 2 GiB has larger blocks). */
        largest = usable_within_limit(largest - (WORD_BYTES + SEAL_WORDS * WORD_BYTES));
    }
    stats->heap_bytes = heap->heap_bytes;
    stats->control_bytes = heap->control_bytes;
    stats->total_bytes = heap->total_bytes;
    stats->used_bytes = heap->total_bytes - heap->free_bytes;
    stats->free_bytes = heap->free_bytes;
    stats->peak_used_bytes = heap->total_bytes - heap->epoch_min_free_bytes;
    if (heap->peak_used_bytes > stats->peak_used_bytes)
        stats->peak_used_bytes = heap->peak_used_bytes;
    stats->min_free_bytes = heap->epoch_min_free_bytes;
    if (heap->min_free_bytes < stats->min_free_bytes)
        stats->min_free_bytes = heap->min_free_bytes;
    stats->largest_free_bytes = largest;
    stats->live_blocks = heap->alloc_count - heap->free_count;
    stats->free_blocks = heap->free_blocks;
    stats->region_count = heap->region_count;
    stats->alloc_count = (uint32_t)heap->alloc_count;
    stats->free_count = (uint32_t)heap->free_count;
    stats->failed_count = heap->failed_count;
    stats->error_count = heap->error_count;
    LOCK_EXIT(heap, lock_saved);
    return true;
}

void bh_set_error_handler(bh_heap *heap, bh_error_fn fn, void *context) {
    lock_state lock_saved;
    if (!heap)
        return;
    lock_saved = LOCK_ENTER(heap);
    heap->error_fn = fn;
    heap->error_context = context;
    LOCK_EXIT(heap, lock_saved);
}

bool bh_set_lock(bh_heap *heap, bh_lock_fn lock, bh_lock_fn unlock, void *context) {
#if BAREHEAP_LOCK_HOOKS
    /* One hook without the other would lock without unlocking (or the
     * reverse): refused, changing nothing. */
    if (!heap || (lock == NULL) != (unlock == NULL))
        return false;
    /* Not under the old lock: this is set once, before the heap is shared. */
    heap->lock_fn = lock;
    heap->unlock_fn = unlock;
    heap->lock_context = context;
    return true;
#else
    /* The lock is the configuration's (or none): a caller that counted on
     * its own is told so, rather than left unlocked in silence. */
    (void)heap;
    (void)lock;
    (void)unlock;
    (void)context;
    return false;
#endif
}

size_t bh_alignment(void) { return GRAIN_BYTES; }
size_t bh_block_overhead(void) { return WORD_BYTES + SEAL_WORDS * WORD_BYTES; }
size_t bh_min_block_size(void) { return MIN_BLOCK_BYTES; }

const char *bh_error_name(bh_error kind) {
    switch (kind) {
    case BH_ERROR_NONE: return "none";
    case BH_ERROR_INVALID_POINTER: return "invalid pointer";
    case BH_ERROR_MISALIGNED: return "misaligned pointer";
    case BH_ERROR_DOUBLE_FREE: return "double free";
    case BH_ERROR_OVERFLOW: return "overflow";
    case BH_ERROR_USE_AFTER_FREE: return "use after free";
    case BH_ERROR_CORRUPTION: return "corruption";
    default: break; /* a value outside the enumeration; -Wswitch-enum checks the cases */
    }
    return "unknown";
}

/* ---- Default heap ---- */
#if BAREHEAP_DEFAULT_HEAP
static bh_heap *default_heap;

bool heap_init_ex(void *base, size_t size_bytes, size_t max_region_bytes) {
    /* A failed call keeps the current default heap and its blocks. */
    bh_heap *heap = bh_init_ex(base, size_bytes, max_region_bytes);
    if (!heap)
        return false;
    default_heap = heap;
    return true;
}
bool heap_init(void *base, size_t size_bytes) { return heap_init_ex(base, size_bytes, 0); }
void *heap_alloc(size_t size_bytes) { return bh_alloc(default_heap, size_bytes); }
void heap_free(void *ptr) { bh_free(default_heap, ptr); }
void *heap_realloc(void *ptr, size_t size_bytes) { return bh_realloc(default_heap, ptr, size_bytes); }
void *heap_calloc(size_t count, size_t size_bytes) { return bh_calloc(default_heap, count, size_bytes); }
void *heap_alloc_aligned(size_t align_bytes, size_t size_bytes) {
    return bh_alloc_aligned(default_heap, align_bytes, size_bytes);
}
size_t heap_usable_size(void *ptr) { return bh_usable_size(default_heap, ptr); }
bool heap_add_region(void *base, size_t size_bytes) { return bh_add_region(default_heap, base, size_bytes); }
size_t heap_check(void) { return bh_check(default_heap); }
bool heap_get_stats(bh_stats *stats) { return bh_get_stats(default_heap, stats); }
bh_heap *heap_default(void) { return default_heap; }
#endif
