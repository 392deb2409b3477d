/*
 * A half-fit allocator, for the benchmarks only: the algorithm of T.
 * Ogasawara, "An Algorithm with Constant Execution Time for Dynamic Storage
 * Allocation" (RTCSA 1995), with the parameters o1heap documents for its
 * version of it: fragments of four-word headers (32 bytes on 64-bit), every
 * allocation rounded up to a power of two, free fragments filed in one list
 * per power of two, found through one bitmap word, merged with both
 * neighbours on free. o1heap itself is not built here; this stands in for
 * it where a figure needs running code (latency percentiles, instructions on
 * this machine), and the benchmark report puts its instruction counts beside
 * o1heap's published ones so the two can be compared.
 *
 * Like o1heap: no realloc (bench_realloc allocates, copies and frees), no
 * alignment beyond the header's, no checks of the pointer given to free,
 * O(1) counters (allocated bytes, their peak, the largest request, failures).
 * Freestanding, so that make wcet counts its instructions on the targets too
 * (tools/wcet/wcet_halffit.c).
 */
#include "halffit.h"

#include <stdint.h>

#define HF_WORD_BYTES sizeof(size_t)
#define HF_ALIGN_BYTES (4u * HF_WORD_BYTES)
#define HF_HEADER_BYTES HF_ALIGN_BYTES
#define HF_MIN_BYTES (2u * HF_ALIGN_BYTES)
#define HF_MIN_LOG2 (HF_WORD_BYTES == 8u ? 6u : 5u)
#define HF_BINS (8u * sizeof(size_t))

typedef struct hf_frag hf_frag;
/* Header (four words), then the free-list links of a free fragment.
 * Invariant: the fragments from the arena's first tile it, each linked to
 * its neighbours; size is a multiple of HF_MIN_BYTES; a free fragment is on
 * the list of bin floor(log2(size / HF_MIN_BYTES)); no two free fragments
 * are neighbours. */
struct hf_frag {
    hf_frag *next;      /* the fragment above, NULL for the last */
    hf_frag *prev;      /* the fragment below, NULL for the first */
    size_t size_bytes;  /* header included */
    size_t used;
    hf_frag *next_free;
    hf_frag *prev_free;
};

struct hf_heap {
    hf_frag *bins[HF_BINS];
    size_t nonempty;    /* bit i set while bins[i] is not empty */
    size_t capacity_bytes;
    size_t allocated_bytes;
    size_t peak_allocated_bytes;
    size_t peak_request_bytes;
    size_t oom_count;
};

_Static_assert(offsetof(hf_frag, next_free) == HF_HEADER_BYTES, "four-word header");
_Static_assert(sizeof(hf_frag) <= HF_MIN_BYTES, "a free fragment holds its links");
_Static_assert(((size_t)1 << HF_MIN_LOG2) == HF_MIN_BYTES, "HF_MIN_LOG2");

static unsigned log2_floor(size_t x) { return (unsigned)(8u * sizeof(size_t) - 1u) - (unsigned)__builtin_clzl(x); }

static unsigned bin_of(size_t size_bytes) { return log2_floor(size_bytes) - HF_MIN_LOG2; }

static void bin_insert(hf_heap *h, hf_frag *f) {
    unsigned i = bin_of(f->size_bytes);
    hf_frag *first = h->bins[i];
    f->next_free = first;
    f->prev_free = NULL;
    if (first)
        first->prev_free = f;
    h->bins[i] = f;
    h->nonempty |= (size_t)1 << i;
}

static void bin_remove(hf_heap *h, hf_frag *f) {
    if (f->next_free)
        f->next_free->prev_free = f->prev_free;
    if (f->prev_free) {
        f->prev_free->next_free = f->next_free;
    } else {
        unsigned i = bin_of(f->size_bytes);
        h->bins[i] = f->next_free;
        if (!f->next_free)
            h->nonempty &= ~((size_t)1 << i);
    }
}

hf_heap *hf_init(void *mem, size_t size_bytes) {
    uintptr_t base = ((uintptr_t)mem + HF_ALIGN_BYTES - 1u) & ~(uintptr_t)(HF_ALIGN_BYTES - 1u);
    uintptr_t arena = (base + sizeof(hf_heap) + HF_ALIGN_BYTES - 1u) & ~(uintptr_t)(HF_ALIGN_BYTES - 1u);
    uintptr_t end = (uintptr_t)mem + size_bytes;
    hf_heap *h = (hf_heap *)base;
    hf_frag *f;
    if (!mem || end < (uintptr_t)mem || end < arena || end - arena < HF_MIN_BYTES)
        return NULL;
    /* No memset: make wcet builds this freestanding, without <string.h>. */
    {
        unsigned i;
        for (i = 0; i < HF_BINS; i++)
            h->bins[i] = NULL;
        h->nonempty = h->allocated_bytes = h->peak_allocated_bytes = h->peak_request_bytes = h->oom_count = 0;
    }
    f = (hf_frag *)arena;
    f->next = f->prev = NULL;
    f->size_bytes = (size_t)(end - arena) & ~(HF_MIN_BYTES - 1u);
    f->used = 0;
    h->capacity_bytes = f->size_bytes;
    bin_insert(h, f);
    return h;
}

void *hf_alloc(hf_heap *h, size_t size_bytes) {
    size_t need, mask;
    hf_frag *f;
    if (size_bytes > h->peak_request_bytes)
        h->peak_request_bytes = size_bytes;
    if (size_bytes == 0 || size_bytes > h->capacity_bytes - HF_HEADER_BYTES)
        goto fail;
    need = size_bytes + HF_HEADER_BYTES <= HF_MIN_BYTES ? HF_MIN_BYTES
                                                        : (size_t)2 << log2_floor(size_bytes + HF_HEADER_BYTES - 1u);
    if (need > h->capacity_bytes)
        goto fail;
    /* Every fragment of the need's bin and above holds it: the lowest
     * non-empty one serves. */
    mask = h->nonempty & ~(((size_t)1 << bin_of(need)) - 1u);
    if (!mask)
        goto fail;
    f = h->bins[__builtin_ctzl(mask)];
    bin_remove(h, f);
    if (f->size_bytes > need) {
        /* Both are multiples of the minimum: the rest is a fragment. */
        hf_frag *rest = (hf_frag *)((char *)f + need);
        rest->size_bytes = f->size_bytes - need;
        rest->used = 0;
        rest->prev = f;
        rest->next = f->next;
        if (f->next)
            f->next->prev = rest;
        f->next = rest;
        f->size_bytes = need;
        bin_insert(h, rest);
    }
    f->used = 1;
    h->allocated_bytes += f->size_bytes;
    if (h->allocated_bytes > h->peak_allocated_bytes)
        h->peak_allocated_bytes = h->allocated_bytes;
    return (char *)f + HF_HEADER_BYTES;
fail:
    h->oom_count++;
    return NULL;
}

void hf_free(hf_heap *h, void *ptr) {
    hf_frag *f, *next, *prev;
    if (!ptr)
        return;
    f = (hf_frag *)((char *)ptr - HF_HEADER_BYTES);
    f->used = 0;
    h->allocated_bytes -= f->size_bytes;
    next = f->next;
    prev = f->prev;
    if (next && !next->used) {
        bin_remove(h, next);
        f->size_bytes += next->size_bytes;
        f->next = next->next;
        if (next->next)
            next->next->prev = f;
    }
    if (prev && !prev->used) {
        bin_remove(h, prev);
        prev->size_bytes += f->size_bytes;
        prev->next = f->next;
        if (f->next)
            f->next->prev = prev;
        f = prev;
    }
    bin_insert(h, f);
}

size_t hf_usable_size(const void *ptr) {
    const hf_frag *f = (const hf_frag *)(const void *)((const char *)ptr - HF_HEADER_BYTES);
    return f->size_bytes - HF_HEADER_BYTES;
}

size_t hf_alignment(void) { return HF_ALIGN_BYTES; }

size_t hf_free_fragments(const hf_heap *h) {
    size_t n = 0;
    unsigned i;
    for (i = 0; i < HF_BINS; i++) {
        const hf_frag *f;
        for (f = h->bins[i]; f; f = f->next_free)
            n++;
    }
    return n;
}

size_t hf_capacity(const hf_heap *h) { return h->capacity_bytes; }

bool hf_check(const hf_heap *h) {
    const hf_frag *f, *first = NULL;
    size_t free_seen = 0, listed = 0, total = 0, used_bytes = 0;
    unsigned i;
    /* Every list: free fragments of its bin, linked both ways; the bitmap
     * says which lists hold any. */
    for (i = 0; i < HF_BINS; i++) {
        const hf_frag *prev = NULL;
        if (((h->nonempty >> i) & 1u) != (h->bins[i] != NULL))
            return false;
        for (f = h->bins[i]; f; prev = f, f = f->next_free) {
            if (f->used || f->prev_free != prev || bin_of(f->size_bytes) != i)
                return false;
            listed++;
        }
    }
    /* The fragments tile the arena, none beside a free one is free. */
    for (i = 0; i < HF_BINS && !first; i++)
        first = h->bins[i];
    if (!first)
        return h->allocated_bytes == h->capacity_bytes;
    while (first->prev)
        first = first->prev;
    for (f = first; f; f = f->next) {
        if (f->size_bytes < HF_MIN_BYTES || f->size_bytes % HF_MIN_BYTES ||
            (f->next && ((const char *)f + f->size_bytes != (const char *)f->next || f->next->prev != f)))
            return false;
        if (!f->used) {
            free_seen++;
            if (f->next && !f->next->used)
                return false;
        } else {
            used_bytes += f->size_bytes;
        }
        total += f->size_bytes;
    }
    return free_seen == listed && total == h->capacity_bytes && used_bytes == h->allocated_bytes;
}
