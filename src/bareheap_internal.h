/*
 * bareheap internals: block layout, size-class mapping, bit scans, the
 * control structure. Shared by bareheap.c (the operations) and
 * bareheap_check.c (the walker); tests include it to reach the layout.
 *
 * Block layout (W = one word = sizeof(size_t), G = BAREHEAP_ALIGN_BYTES):
 *
 *   used:  [ header | payload ...................................... ]
 *   free:  [ header | next_free | prev_link | ...unused... | footer ]
 *            ^ block address B: B + W is G-aligned, so sizes are multiples of G
 *
 * header = block size in bytes (header included) | FLAG_FREE | FLAG_PREV_FREE |
 * FLAG_ALIGNED. The footer, the last word of a free block, repeats its size so
 * that the next block can find this one's start in O(1) when it merges
 * backward; it is only valid while FLAG_PREV_FREE is set in the next block.
 * Each region ends with a sentinel: a header of size 0, never free, whose
 * FLAG_PREV_FREE tells whether the last block is free.
 */
#ifndef BAREHEAP_INTERNAL_H
#define BAREHEAP_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bareheap.h"
#include "bareheap_config.h"

/* The platform supplies these (libc, or port/libc/bh_string.c). Declared here
 * because freestanding toolchains need not have <string.h>. The names are in
 * parentheses so that a <string.h> included before (by a configuration
 * header) that defines them as function-like macros, as newlib's does under
 * _FORTIFY_SOURCE, does not expand inside these declarations; after such a
 * header they are declared twice, which -Wredundant-decls need not report. */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wredundant-decls"
#endif
void *(memcpy)(void *dest, const void *src, size_t n);
void *(memmove)(void *dest, const void *src, size_t n);
void *(memset)(void *dest, int c, size_t n);
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif

#if defined(__STDC_VERSION__) && (__STDC_VERSION__ >= 201112L)
#define BAREHEAP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#else
#define BAREHEAP_STATIC_ASSERT_JOIN2(a, b) a##b
#define BAREHEAP_STATIC_ASSERT_JOIN(a, b) BAREHEAP_STATIC_ASSERT_JOIN2(a, b)
#define BAREHEAP_STATIC_ASSERT(cond, msg) \
    typedef char BAREHEAP_STATIC_ASSERT_JOIN(bareheap_static_assert_, __LINE__)[(cond) ? 1 : -1]
#endif

#if defined(__GNUC__) || defined(__clang__)
#define BH_LIKELY(x) __builtin_expect(!!(x), 1)
#define BH_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define BH_LIKELY(x) (x)
#define BH_UNLIKELY(x) (x)
#endif

/* Marks the costlier side of a branch that a worst-case call takes (a list
 * emptied or started, so bitmaps change): the compiler lays it out in line
 * and the cheaper side takes the jump, which adds nothing to the worst case. */
#define BH_COSTLY(x) BH_LIKELY(x)

/* Tells the optimiser an invariant of the control structure, so that it
 * drops tests the invariant decides. Only for facts bh_init() establishes
 * and no call changes. */
#if defined(__GNUC__) || defined(__clang__)
#define BH_ASSUME(cond)                  \
    do {                                 \
        if (!(cond))                     \
            __builtin_unreachable();     \
    } while (0)
#else
#define BH_ASSUME(cond) ((void)0)
#endif

#define WORD_BYTES ((size_t)sizeof(size_t))
#define GRAIN_BYTES ((size_t)BAREHEAP_ALIGN_BYTES)
#define SL_COUNT ((unsigned)1 << BAREHEAP_SL_LOG2)

#define FLAG_FREE ((size_t)1)
#define FLAG_PREV_FREE ((size_t)2)
/* Set on blocks from bh_alloc_aligned(): their last word holds the alignment
 * asked for, which realloc must keep. */
#define FLAG_ALIGNED ((size_t)4)
#define FLAG_MASK ((size_t)7)

/* A free block needs a header, two links and a footer. */
#define MIN_BLOCK_BYTES ((4 * WORD_BYTES + GRAIN_BYTES - 1) & ~(GRAIN_BYTES - 1))

/* An aligned request searches twice, for a block that fits at any address
 * and then for one that fits at its own. The two searches share the probe
 * budget, so that together they examine no more blocks than a plain request
 * (two at BAREHEAP_PROBE_LIMIT 1): two full probes cost as much again as the
 * rest of the call (make wcet, Cortex-M3 -O2: 319 -> 275). */
#define ALIGNED_FIRST_PROBES ((BAREHEAP_PROBE_LIMIT + 1u) / 2u)
#define ALIGNED_SECOND_PROBES (BAREHEAP_PROBE_LIMIT >= 2 ? BAREHEAP_PROBE_LIMIT / 2u : 1u)

BAREHEAP_STATIC_ASSERT(sizeof(size_t) == sizeof(void *), "size_t must be as wide as a pointer");
BAREHEAP_STATIC_ASSERT(sizeof(uintptr_t) == sizeof(void *), "uintptr_t must be as wide as a pointer");
#ifdef BAREHEAP_ALIGN_DEFAULTED
/* The default grain must suit every object, as malloc's does (C11's
 * max_align_t, found here without C11): offsetof past a char is the
 * alignment the type needs in memory. A user's BAREHEAP_ALIGN_BYTES is
 * taken as chosen. */
struct align_probe_long_double {
    char c;
    long double x;
};
struct align_probe_long_long {
    char c;
    long long x;
};
BAREHEAP_STATIC_ASSERT(offsetof(struct align_probe_long_double, x) <= GRAIN_BYTES &&
                           offsetof(struct align_probe_long_long, x) <= GRAIN_BYTES,
                       "the default BAREHEAP_ALIGN_BYTES is below this target's max_align_t: set it");
#endif
BAREHEAP_STATIC_ASSERT(GRAIN_BYTES > FLAG_MASK, "sizes must leave the flag bits clear");
BAREHEAP_STATIC_ASSERT(GRAIN_BYTES % WORD_BYTES == 0, "the grain must be a whole number of words");
BAREHEAP_STATIC_ASSERT(MIN_BLOCK_BYTES % GRAIN_BYTES == 0, "blocks are whole grains");
BAREHEAP_STATIC_ASSERT(MIN_BLOCK_BYTES >= 4 * WORD_BYTES, "a free block holds header, links, footer");
BAREHEAP_STATIC_ASSERT(SL_COUNT <= 32, "second-level bitmaps are 32 bits");

typedef struct block block;
/* Fields past header exist only while the block is free. prev_link is the
 * link that points to this block: its list's head in the control structure,
 * or the next_free of the block before it. Unlinking then needs neither the
 * block's class nor a test for the first block: *prev_link == this block. */
struct block {
    size_t header;
    block *next_free;
    block **prev_link;
};

/* One region: [lo, hi] from its first block to its sentinel, both block
 * addresses. Invariant: the blocks from lo tile [lo, hi) exactly. */
typedef struct region {
    uintptr_t lo;
    uintptr_t hi;
} region;

/*
 * The control structure, at the start of the memory given to bh_init().
 * fl_count, the number of first-level classes, is sized from the largest
 * region expected and kept as class_top (heap_fl_count() recovers it).
 * Invariants between calls:
 *   bit fl of fl_bitmap == (sl_bitmap[fl] != 0)
 *   bit sl of sl_bitmap[fl] == (heads[fl * SL_COUNT + sl] != NULL)
 *   sl_bitmap[fl_count] == 0: a search from the class above the top one
 *   reads it and finds nothing, with no bounds test on the hot path
 *   every block on list c is free and maps to class c (blocks above the top
 *   class map to it)
 *   free_bytes == sum of free block sizes, free_blocks == their count
 *   used_bytes(total_bytes - free_bytes) == sum of used block sizes
 *   alloc_count - free_count == number of used blocks (wrapping arithmetic)
 * The lowest free_bytes is kept per "epoch" between two added regions, when
 * total_bytes is constant, so that the peak of used bytes in the epoch is
 * total_bytes - epoch_min_free_bytes and the hot path keeps one figure, not
 * two; adding a region folds the epoch into min_free_bytes/peak_used_bytes.
 */
struct bh_heap {
    size_t fl_bitmap;
    uint32_t *sl_bitmap;    /* fl_count + 1 words, after heads[]; the last is always 0 */
    size_t direct_request_bytes; /* direct_request_bytes_for(fl_count) */
    unsigned class_top;     /* fl_count * SL_COUNT - 1: the top class, which takes larger blocks too */
    unsigned region_count;
    size_t control_bytes;
    size_t heap_bytes;
    size_t total_bytes;
    size_t free_bytes;
    size_t epoch_min_free_bytes; /* lowest free_bytes since the last region was added */
    size_t peak_used_bytes;      /* highest used bytes before this epoch */
    size_t min_free_bytes;       /* lowest free_bytes before this epoch */
    size_t free_blocks;
    size_t alloc_count;     /* live blocks == alloc_count - free_count (mod 2^N) */
    size_t free_count;
    uint32_t failed_count;
    uint32_t error_count;
    bh_error_fn error_fn;
    void *error_context;
#if BAREHEAP_LOCK_HOOKS
    bh_lock_fn lock_fn;     /* NULL: no lock (the caller serialises); unlock_fn NULL with it */
    bh_lock_fn unlock_fn;
    void *lock_context;
#endif
    region regions[BAREHEAP_MAX_REGIONS];
    block *heads[];         /* fl_count * SL_COUNT free-list heads */
};

/* ---- Block access ---- */
static inline size_t block_size(const block *b) { return b->header & ~FLAG_MASK; }
static inline bool block_is_free(const block *b) { return (b->header & FLAG_FREE) != 0; }
static inline bool block_is_prev_free(const block *b) { return (b->header & FLAG_PREV_FREE) != 0; }
static inline void *block_payload(block *b) { return (char *)b + WORD_BYTES; }
static inline block *block_from_payload(void *p) { return (block *)(void *)((char *)p - WORD_BYTES); }
static inline block *block_at(block *b, size_t offset) { return (block *)(void *)((char *)b + offset); }
static inline block *block_before(block *b, size_t offset) { return (block *)(void *)((char *)b - offset); }
static inline block *block_next(block *b) { return block_at(b, block_size(b)); }
static inline size_t *block_footer(block *b) {
    return (size_t *)(void *)((char *)b + block_size(b) - WORD_BYTES);
}
/* ---- Memory-checker integration ----
 * Under ASan or memcheck every byte of the heap that the program must not touch is
 * poisoned: a free block but for its header (which the core reads for the
 * neighbouring blocks) and, at DEBUG >= 2, the canary bytes after a
 * request. The core opens a range (TOOL_ACCESS) before it writes inside
 * it, a free block's links around each of its own accesses (LINKS_OPEN and
 * LINKS_CLOSE, below: they are the first words of the freed payload, where
 * a use after free most often lands) and its footer around each read
 * (footer_read()). ASan's shadow has 8-byte granules: where the footer
 * shares one with the next block's header (32-bit words), it stays open. */
#if BAREHEAP_ASAN
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define TOOL_NOACCESS(addr, n) __asan_poison_memory_region((const void *)(addr), (n))
#define TOOL_ACCESS(addr, n) __asan_unpoison_memory_region((const void *)(addr), (n))
#elif BAREHEAP_VALGRIND
#include <valgrind/memcheck.h>
#define TOOL_NOACCESS(addr, n) ((void)VALGRIND_MAKE_MEM_NOACCESS((addr), (n)))
#define TOOL_ACCESS(addr, n) ((void)VALGRIND_MAKE_MEM_DEFINED((addr), (n)))
#else
#define TOOL_NOACCESS(addr, n) ((void)0)
#define TOOL_ACCESS(addr, n) ((void)0)
#endif
/* The links of free block b, or nothing for NULL: two words from the
 * payload's start, whole granules of ASan's shadow (8 bytes) at either word
 * size, so opened and closed exactly. */
#if BAREHEAP_ASAN || BAREHEAP_VALGRIND
/* Functions, not macros: one test of b per translation unit, not one per
 * place the list operations are inlined (which the coverage build, at -O0
 * with forced inlining, would count as branches each). */
static inline void links_open(const block *b) {
    if (b != NULL)
        TOOL_ACCESS(&b->next_free, 2u * WORD_BYTES);
}
static inline void links_close(const block *b) {
    if (b != NULL)
        TOOL_NOACCESS(&b->next_free, 2u * WORD_BYTES);
}
#define LINKS_OPEN(b) links_open(b)
#define LINKS_CLOSE(b) links_close(b)
#else
#define LINKS_OPEN(b) ((void)0)
#define LINKS_CLOSE(b) ((void)0)
#endif

/* Free block b's links, read with them closed before and after. */
static inline block *link_next(const block *b) {
    block *next;
    LINKS_OPEN(b);
    next = b->next_free;
    LINKS_CLOSE(b);
    return next;
}
static inline block **link_back(const block *b) {
    block **link;
    LINKS_OPEN(b);
    link = b->prev_link;
    LINKS_CLOSE(b);
    return link;
}

/* ---- Trailer words of used blocks ----
 * From the end of a used block: the seal (BAREHEAP_DEBUG >= 2: the request
 * size XOR seal_key(block), after canary bytes that fill the slack from the
 * end of the request), then the alignment word of an aligned block. */
#if (BAREHEAP_DEBUG >= 2)
#define SEAL_WORDS ((size_t)1)
#else
#define SEAL_WORDS ((size_t)0)
#endif
#define POISON_BYTE 0xDBu /* every byte of a free block's interior at DEBUG >= 2 */
#define CANARY_BYTE 0xCAu /* the slack after a request at DEBUG >= 2 */
#define POISON_WORD ((SIZE_MAX / 0xFFu) * POISON_BYTE)
/* At DEBUG >= 2, the header of a free block swallowed by a merge holds
 * merged_mark() of its address instead of poison, so that freeing that
 * block's pointer again is a double free while a pointer into free memory
 * that never began a block is an invalid one. Keyed by the address, so that
 * a stray pattern written after free cannot pass for marks word after word;
 * never POISON_WORD (that would take an address of all ones). */
#define MERGED_KEY ((SIZE_MAX / 0xFFu) * 0x24u)
static inline size_t merged_mark(uintptr_t at) { return MERGED_KEY ^ (size_t)at; }
#define SEAL_KEY ((SIZE_MAX / 0xFFu) * 0x5Au)
/* The seal is keyed by its block's address: an interior pointer whose
 * preceding word the program set to a size reaching the real block's end
 * shares that block's seal and canary, and with an unkeyed seal it passed
 * for a block. Keyed by a multiple of the address (an odd constant spreads
 * any difference of start into the high bits), the seal decodes there to a
 * request far beyond the fake block's capacity, except by a coincidence of
 * about capacity / 2^(bits in a word). */
#if UINTPTR_MAX > 0xFFFFFFFFu
#define SEAL_MIX ((uintptr_t)0x9E3779B97F4A7C15u)
#else
#define SEAL_MIX ((uintptr_t)0x9E3779B9u)
#endif
static inline size_t seal_key(const block *b) { return SEAL_KEY ^ (size_t)((uintptr_t)b * SEAL_MIX); }

static inline size_t block_trailer_bytes(const block *b) {
    return (SEAL_WORDS + ((b->header & FLAG_ALIGNED) ? 1u : 0u)) * WORD_BYTES;
}
/* What a used block can hold: all of it but the header and trailer. */
static inline size_t block_capacity_bytes(const block *b) {
    return block_size(b) - WORD_BYTES - block_trailer_bytes(b);
}
/* Where an aligned block keeps its alignment. */
static inline size_t *block_align_word(block *b) {
    return (size_t *)(void *)((char *)b + block_size(b) - (1u + SEAL_WORDS) * WORD_BYTES);
}
/* Whether aligned block b's alignment word holds one it can have been given:
 * a power of two above the grain that its payload meets. realloc moves the
 * block by it, so it is checked before it is trusted: by bh_check(), and at
 * BAREHEAP_DEBUG >= 2 by pointer validation, since the word lies after the
 * request's canary and a write past a request that fills the block lands
 * on it first. */
static inline bool block_align_word_sound(block *b) {
    size_t align = *block_align_word(b);
    return align > GRAIN_BYTES && (align & (align - 1u)) == 0 &&
           ((uintptr_t)(const void *)block_payload(b) & (align - 1u)) == 0;
}
/* Bytes the caller may use: the request itself when sealed, else capacity.
 * A damaged seal gives at most the capacity. */
static inline size_t block_usable_bytes(const block *b) {
#if (BAREHEAP_DEBUG >= 2)
    size_t request = *block_footer((block *)(uintptr_t)b) ^ seal_key(b);
    return request < block_capacity_bytes(b) ? request : block_capacity_bytes(b);
#else
    return block_capacity_bytes(b);
#endif
}
#if (BAREHEAP_DEBUG >= 2)
/* Whether used block b's seal and canary are intact. */
static inline bool block_seal_intact(const block *b) {
    size_t request = *block_footer((block *)(uintptr_t)b) ^ seal_key(b);
    size_t capacity = block_capacity_bytes(b);
    const unsigned char *p, *start, *end;
    /* A damaged seal may hold any number: bound it before it moves a pointer. */
    if (request > capacity)
        return false;
    start = (const unsigned char *)b + WORD_BYTES + request;
    end = (const unsigned char *)b + WORD_BYTES + capacity;
    TOOL_ACCESS(start, (size_t)(end - start));
    for (p = start; p < end && *p == CANARY_BYTE; p++)
        ;
    TOOL_NOACCESS(start, (size_t)(end - start));
    return p == end;
}

/* The first byte of [lo, hi), part of a free block's interior and open to
 * the memory checker, that is neither poison nor in a merged header's mark,
 * or 0. A mark sits where a block began (one word below a grain boundary);
 * the ranges checked begin and end at such places or inside the interior's
 * first words, so a mark lies wholly inside or outside. It is tested as a
 * word where one may begin: its bytes may include POISON_BYTE. */
static inline uintptr_t poison_find_damage(uintptr_t lo, uintptr_t hi) {
    for (; lo < hi; lo++) {
        if (((lo + WORD_BYTES) & (GRAIN_BYTES - 1u)) == 0 && hi - lo >= WORD_BYTES &&
            *(const size_t *)lo == merged_mark(lo)) {
            lo += WORD_BYTES - 1u;
            continue;
        }
        if (*(const unsigned char *)lo != POISON_BYTE)
            return lo;
    }
    return 0;
}
#endif
/* The size in the footer of the free block that ends at end: the block's last
 * word, closed to the program under a memory checker (which then reports a
 * write there after free) and opened for the read. */
static inline size_t footer_read(const void *end) {
    const size_t *footer = (const size_t *)end - 1;
    size_t size;
    TOOL_ACCESS(footer, WORD_BYTES);
    size = *footer;
    TOOL_NOACCESS(footer, WORD_BYTES);
    return size;
}
/* Valid only when block_is_prev_free(b). */
static inline size_t block_prev_size(const block *b) { return footer_read(b); }

/* ---- Bit scans ---- */
#if BAREHEAP_USE_BUILTINS
static inline unsigned bits_ctz32(uint32_t x) { return (unsigned)__builtin_ctz(x); }
static inline unsigned bits_fls32(uint32_t x) { return 31u - (unsigned)__builtin_clz(x); }
#if SIZE_MAX > 0xFFFFFFFFu
static inline unsigned bits_ctz_size(size_t x) { return (unsigned)__builtin_ctzll((unsigned long long)x); }
static inline unsigned bits_fls_size(size_t x) { return 63u - (unsigned)__builtin_clzll((unsigned long long)x); }
#else
static inline unsigned bits_ctz_size(size_t x) { return bits_ctz32((uint32_t)x); }
static inline unsigned bits_fls_size(size_t x) { return bits_fls32((uint32_t)x); }
#endif
#else
/* Portable versions: branch-light, no loops, no libgcc helpers. */
static inline unsigned bits_ctz32(uint32_t x) {
    static const unsigned char debruijn[32] = {0,  1,  28, 2,  29, 14, 24, 3,  30, 22, 20,
                                               15, 25, 17, 4,  8,  31, 27, 13, 23, 21, 19,
                                               16, 7,  26, 12, 18, 6,  11, 5,  10, 9};
    return debruijn[(uint32_t)((x & (0u - x)) * 0x077CB531u) >> 27];
}
static inline unsigned bits_fls32(uint32_t x) {
    static const unsigned char fls8[16] = {0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
    unsigned n = 0;
    if (x >= 0x10000u) { n += 16; x >>= 16; }
    if (x >= 0x100u) { n += 8; x >>= 8; }
    if (x >= 0x10u) { n += 4; x >>= 4; }
    return n + fls8[x];
}
#if SIZE_MAX > 0xFFFFFFFFu
static inline unsigned bits_ctz_size(size_t x) {
    uint32_t lo = (uint32_t)x;
    return lo ? bits_ctz32(lo) : 32u + bits_ctz32((uint32_t)(x >> 32));
}
static inline unsigned bits_fls_size(size_t x) {
    uint32_t hi = (uint32_t)(x >> 32);
    return hi ? 32u + bits_fls32(hi) : bits_fls32((uint32_t)x);
}
#else
static inline unsigned bits_ctz_size(size_t x) { return bits_ctz32((uint32_t)x); }
static inline unsigned bits_fls_size(size_t x) { return bits_fls32((uint32_t)x); }
#endif
#endif

/* ---- Size classes ----
 * Sizes are counted in grains (u = size / G). Below SL_COUNT grains every
 * size has its own class (fl 0). Above, fl = floor(log2 u) - SL_LOG2 + 1 and
 * the power of two is cut into SL_COUNT equal classes. A class holds sizes
 * [class_min, class_min + width), width = 2^(fl-1) grains for fl >= 1. */
#if BAREHEAP_ALIGN_BYTES == 8
#define GRAIN_LOG2 3u
#elif BAREHEAP_ALIGN_BYTES == 16
#define GRAIN_LOG2 4u
#elif BAREHEAP_ALIGN_BYTES == 32
#define GRAIN_LOG2 5u
#elif BAREHEAP_ALIGN_BYTES == 64
#define GRAIN_LOG2 6u
#elif BAREHEAP_ALIGN_BYTES == 128
#define GRAIN_LOG2 7u
#elif BAREHEAP_ALIGN_BYTES == 256
#define GRAIN_LOG2 8u
#elif BAREHEAP_ALIGN_BYTES == 512
#define GRAIN_LOG2 9u
#elif BAREHEAP_ALIGN_BYTES == 1024
#define GRAIN_LOG2 10u
#elif BAREHEAP_ALIGN_BYTES == 2048
#define GRAIN_LOG2 11u
#elif BAREHEAP_ALIGN_BYTES == 4096
#define GRAIN_LOG2 12u
#endif
BAREHEAP_STATIC_ASSERT(((size_t)1 << GRAIN_LOG2) == GRAIN_BYTES, "GRAIN_LOG2 matches the grain");
/* fl_count <= bits in size_t - GRAIN_LOG2 - SL_LOG2 + 1; a search from the
 * class above the top one shifts 2 by fl_count, which must stay below the
 * width of size_t. */
BAREHEAP_STATIC_ASSERT(GRAIN_LOG2 + BAREHEAP_SL_LOG2 >= 3, "a search past the top class shifts within size_t");

/* Classes are numbered c = fl * SL_COUNT + sl, in order of size: the list
 * heads are heads[c], class c's bit is bit (c % SL_COUNT) of
 * sl_bitmap[c / SL_COUNT], and the class above c is c + 1 across a first-
 * level boundary too (a search starts there with no carry to handle). */
#define CLASS_FL(c) ((c) >> BAREHEAP_SL_LOG2)
#define CLASS_SL(c) ((c) & (SL_COUNT - 1u))

/* The class holding blocks of size_bytes (a multiple of G), unclamped. */
static inline unsigned class_of(size_t size_bytes) {
    size_t u = size_bytes >> GRAIN_LOG2;
    unsigned shift;
#if BAREHEAP_BRANCHLESS_LISTS
    /* Below SL_COUNT grains the same sum gives u itself once the bit of
     * SL_COUNT is set for the scan (shift 0), so sizes on both sides of it
     * take one path: no branch that random sizes send either way. */
    shift = bits_fls_size(u | SL_COUNT) - BAREHEAP_SL_LOG2;
#else
    if (u < SL_COUNT)
        return (unsigned)u;
    shift = bits_fls_size(u) - BAREHEAP_SL_LOG2;
#endif
    /* fl = shift + 1 and sl = u / 2^shift - SL_COUNT: fl * SL_COUNT + sl
     * is this sum, with no separate fl and sl to compute. */
    return (shift << BAREHEAP_SL_LOG2) + (unsigned)(u >> shift);
}

/* The smallest block size in class c. */
static inline size_t class_min_bytes(unsigned c) {
    if (CLASS_FL(c) == 0)
        return (size_t)c << GRAIN_LOG2;
    return ((size_t)(SL_COUNT + CLASS_SL(c)) << (CLASS_FL(c) - 1u)) << GRAIN_LOG2;
}

/* The class a free block of size_bytes is filed under in this heap: its own,
 * or the top class for a block larger than the heap was sized for. */
static inline unsigned heap_class_of(const bh_heap *heap, size_t size_bytes) {
    unsigned c = class_of(size_bytes);
    unsigned top = heap->class_top;
    return c < top ? c : top;
}

/* First-level classes needed for blocks up to max_block_bytes. */
static inline unsigned fl_count_for(size_t max_block_bytes) {
    unsigned c = class_of(max_block_bytes < MIN_BLOCK_BYTES ? MIN_BLOCK_BYTES : max_block_bytes);
    return CLASS_FL(c) + 1u;
}

/* Largest request. C's pointer subtraction, and the compilers' reasoning
 * about object sizes, assume no object spans more than PTRDIFF_MAX bytes; on
 * a 32-bit target whose heap is above 2 GiB a larger block could exist, so
 * larger requests fail, as glibc's do. Being half of size_t, it also keeps a
 * block size (request, header and trailer words, rounded to a grain) within
 * size_t, and, a few words lower (aligned_body()), an aligned search's size
 * (that, plus the alignment and a front block): no block size computed for a
 * larger request is used (a plain request's may wrap, and is dropped). */
#define MAX_REQUEST_BYTES ((size_t)PTRDIFF_MAX)
BAREHEAP_STATIC_ASSERT(MAX_REQUEST_BYTES <= SIZE_MAX / 2u, "half of size_t bounds every request");

/* Bytes of a block a caller is told it may use (bh_usable_size(), bh_walk()):
 * at most the largest request. A block served for a request near it, or a
 * free block of a 32-bit heap above 2 GiB, holds more; reported, those bytes
 * would make an object larger than C allows, and a realloc to the size
 * reported would be refused. (realloc itself needs no clamp: a request up to
 * the limit fits in such a block, a shrink in place that copies nothing.) */
static inline size_t usable_within_limit(size_t usable_bytes) {
    return usable_bytes < MAX_REQUEST_BYTES ? usable_bytes : MAX_REQUEST_BYTES;
}

/* The largest plain request whose block size neither overflows nor, less
 * one grain, maps above the top class: up to it, a request's search needs no
 * clamp. Above the top class lie blocks of 2^(SL_LOG2 + fl_count - 1) grains
 * and more; where that is beyond size_t, only the overflow bound remains. */
static inline size_t direct_request_bytes_for(unsigned fl_count) {
    unsigned top_log2 = BAREHEAP_SL_LOG2 + fl_count - 1u + GRAIN_LOG2;
    size_t trailer_bytes = SEAL_WORDS * WORD_BYTES;
    if (top_log2 >= sizeof(size_t) * CHAR_BIT)
        return MAX_REQUEST_BYTES;
    return ((size_t)1 << top_log2) - WORD_BYTES - trailer_bytes;
}

static inline unsigned heap_fl_count(const bh_heap *heap) { return (heap->class_top + 1u) >> BAREHEAP_SL_LOG2; }

/* Block size for a request plus trailer_bytes of trailer words. Exact for
 * size_bytes <= MAX_REQUEST_BYTES (half of size_t: the few words added
 * cannot wrap); beyond that the sum may wrap, and a caller that has not
 * checked the size first tests it before using the result (request_map()). */
static inline size_t request_block_bytes_unchecked(size_t size_bytes, size_t trailer_bytes) {
    size_t bytes = (size_bytes + trailer_bytes + WORD_BYTES + GRAIN_BYTES - 1u) & ~(GRAIN_BYTES - 1u);
    return bytes < MIN_BLOCK_BYTES ? MIN_BLOCK_BYTES : bytes;
}

/* A plain request's block size, 0 if none can be that large, and in *below
 * the class its search starts above: that of the block size less a grain,
 * clamped to the top class. One compare with direct_request_bytes decides
 * both whether the size can overflow and whether the class needs the clamp. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__OPTIMIZE_SIZE__)
/* Forced inline at -O2: left to GCC's choice, x86-64 alloc compiles with
 * one register copy more on every call (callgrind: small alloc 81 -> 82). */
__attribute__((always_inline))
#endif
static inline size_t request_map(const bh_heap *heap, size_t size_bytes, unsigned *below) {
    size_t bytes = request_block_bytes_unchecked(size_bytes, SEAL_WORDS * WORD_BYTES);
    if (BH_LIKELY(size_bytes <= heap->direct_request_bytes)) {
        *below = class_of(bytes - GRAIN_BYTES);
    } else {
        /* bytes - G maps above the top class, if bytes exists at all (it
         * wrapped if not: it is not used then). */
        *below = heap->class_top;
        if (size_bytes > MAX_REQUEST_BYTES)
            bytes = 0;
    }
    return bytes;
}

/* Bytes of control structure for fl_count first-level classes: the struct,
 * the list heads, the second-level bitmaps (one more than fl_count, the last
 * always 0), rounded to a grain. */
static inline size_t control_bytes_for(unsigned fl_count) {
    size_t bytes = sizeof(bh_heap) + (size_t)fl_count * SL_COUNT * sizeof(block *) +
                   ((size_t)fl_count + 1u) * sizeof(uint32_t);
    return (bytes + GRAIN_BYTES - 1u) & ~(GRAIN_BYTES - 1u);
}

/* Every public call on a heap runs its _locked body between these two; the
 * body never calls a public function, so the lock is never taken twice.
 *   lock_state lock_saved = LOCK_ENTER(heap); ... LOCK_EXIT(heap, lock_saved);
 * The state is the port lock's (an interrupt mask's previous value), or a
 * constant the compiler drops: macros, so that the hooks' enter stays a
 * function returning nothing where -Os keeps it out of line. */
#if BAREHEAP_LOCK_HOOKS
typedef int lock_state;
static inline void lock_enter(bh_heap *heap) {
    if (heap->lock_fn)
        heap->lock_fn(heap->lock_context);
}
static inline void lock_exit(bh_heap *heap) {
    if (heap->unlock_fn)
        heap->unlock_fn(heap->lock_context);
}
#define LOCK_ENTER(heap) (lock_enter(heap), 0)
#define LOCK_EXIT(heap, state) ((void)(state), lock_exit(heap))
#elif defined(BAREHEAP_LOCK_ENTER)
typedef BAREHEAP_LOCK_STATE lock_state;
/* No cast: the state may be a structure (a key type of an RTOS's lock). */
#define LOCK_ENTER(heap) ((void)(heap), BAREHEAP_LOCK_ENTER(heap))
/* A statement, so that the configuration's exit may be one too. */
#define LOCK_EXIT(heap, state)                     \
    do {                                           \
        (void)(heap);                              \
        (void)(state);                             \
        BAREHEAP_LOCK_EXIT((heap), (state));       \
    } while (0)
#else
typedef int lock_state;
#define LOCK_ENTER(heap) ((void)(heap), 0)
#define LOCK_EXIT(heap, state) ((void)(heap), (void)(state))
#endif

/* bh_check() without the lock, for callers that hold it. */
size_t bh_internal_check(bh_heap *heap);

/* Reports a problem: counts it and tells the handler. Never touches blocks. */
void bh_internal_report(bh_heap *heap, bh_error kind, const void *address);

#endif /* BAREHEAP_INTERNAL_H */
