/*
 * The reference model and operation interpreter: see bh_model.h.
 *
 * Encoding. Each operation is one opcode byte, op = byte % 16, then its
 * arguments (a missing byte reads as 0):
 *   0-3   alloc      slot, size(2)          slot freed first if occupied
 *   4     calloc     slot, count, size(2)   count % 9 elements of size / count;
 *                                          near SIZE_MAX and count >= 2: a product
 *                                          that wraps to a few bytes
 *   5     aligned    slot, align, size(2)   align byte % 16: 0 -> 0, 1 -> 3
 *                                          (both invalid), else 1 << (a - 2)
 *   6-7   realloc    slot, size(2)          empty slot: realloc(NULL, n)
 *   8-10  free       slot                   empty slot: free(NULL)
 *   11    add_region sub, size(2)           even sub: a new region, sub / 2 % 64
 *                                          times 8 bytes above the last; odd: a range
 *                                          over a region's middle, sentinel or
 *                                          first header, which must be refused
 *   12    stats      -                      every counter against the model
 *   13    check      -                      bh_check() and a walk
 *   14    misuse     sub, slot              double free, misaligned, foreign,
 *                                          interior behind a forged header
 *   15    edge       sub, slot              alloc(largest_free), SIZE_MAX
 *                                          requests, free everything
 * size(2): two bytes b0 b1, v = (b0 & 31) << 8 | b1, by b0 >> 5:
 *   0-1 v % 64, 2-3 v % 1024, 4 v, 5 v/8192 of the heap,
 *   6 around largest_free_bytes, 7 near SIZE_MAX or just beyond the heap.
 *
 * Contents: a block of n bytes carries a pattern from its seed on every byte
 * when n <= FULL_BYTES, otherwise on the first and last EDGE_BYTES and every
 * STRIDE-th byte between (about 128 in a large block), so that
 * multi-megabyte blocks stay cheap.
 */
#include "bh_model.h"

#define FULL_BYTES 256u
#define EDGE_BYTES 128u
#define STRIDE 1021u

/* Foreign memory for misuse: never part of any heap. */
static unsigned char foreign_buffer[512];

/* ---- failures ---- */

static bool fail(bhm_model *m, const char *what, uintptr_t a, uintptr_t b) {
    if (!m->failed) {
        bhm_failure f;
        m->failed = true;
        f.step = m->steps;
        f.op = m->op;
        f.what = what;
        f.a = a;
        f.b = b;
        if (m->opt.fail)
            m->opt.fail(m->opt.fail_context, &f);
    }
    return false;
}

#define REQUIRE(m, cond, what, a, b)                                                                          \
    do {                                                                                                      \
        if (!(cond))                                                                                          \
            return fail((m), (what), (uintptr_t)(a), (uintptr_t)(b));                                         \
    } while (0)

/* ---- the byte string ---- */

static unsigned byte_next(bhm_model *m) {
    return m->pos < m->data_bytes ? m->data[m->pos++] : 0u;
}

/* ---- content patterns ---- */

static unsigned char pattern_byte(uint32_t seed, size_t i) {
    uint32_t v = seed ^ ((uint32_t)i * 0x9E3779B1u);
    return (unsigned char)(v ^ (v >> 13) ^ (v >> 24));
}

/* The marked index after i in a block of n bytes (n > FULL_BYTES): every
 * byte of both edges, and between them every STRIDE-th byte, or about 128
 * bytes spread evenly over a large block. */
static size_t mark_next(size_t i, size_t n) {
    size_t stride;
    if (i + 1u < EDGE_BYTES || i + 1u >= n - EDGE_BYTES)
        return i + 1u;
    stride = (n >> 7) | 1u;
    if (stride < STRIDE)
        stride = STRIDE;
    if (i + stride < n - EDGE_BYTES)
        return i + stride;
    return n - EDGE_BYTES;
}

static void slot_fill(bhm_slot *s) {
    size_t i, n = s->size;
    if (n <= FULL_BYTES) {
        for (i = 0; i < n; i++)
            s->p[i] = pattern_byte(s->seed, i);
        return;
    }
    for (i = 0; i < n; i = mark_next(i, n))
        s->p[i] = pattern_byte(s->seed, i);
}

/* Checks the marks of a block of s->size bytes below limit, read at p. */
static bool slot_verify_at(bhm_model *m, const bhm_slot *s, const unsigned char *p, size_t limit) {
    size_t i, n = s->size;
    if (limit > n)
        limit = n;
    for (i = 0; i < limit; i = n <= FULL_BYTES ? i + 1u : mark_next(i, n)) {
        if (p[i] != pattern_byte(s->seed, i))
            return fail(m, "block contents changed", (uintptr_t)(p + i), i);
    }
    return true;
}

static bool zero_verify(bhm_model *m, const unsigned char *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i = n <= FULL_BYTES ? i + 1u : mark_next(i, n)) {
        if (p[i] != 0)
            return fail(m, "calloc memory not zero", (uintptr_t)(p + i), p[i]);
    }
    return true;
}

/* ---- the error handler ---- */

static void on_error(void *context, bh_error kind, const void *address) {
    bhm_model *m = (bhm_model *)context;
    m->errors_seen++;
    m->last_error = kind;
    m->last_error_address = address;
}

/* ---- layout arithmetic, as bareheap_internal.h documents it ---- */

static size_t grain(void) { return bh_alignment(); }
/* Bytes a block takes beyond its payload (a header; at BAREHEAP_DEBUG >= 2
 * also a seal). */
static size_t word(void) { return bh_block_overhead(); }

/* Block span [lo, hi) a region [base, end) is formatted into: block
 * addresses one word below a grain boundary, the sentinel at the last one. */
static bool region_span(uintptr_t base, uintptr_t end, uintptr_t *lo, uintptr_t *hi) {
    uintptr_t g = grain(), w = sizeof(size_t); /* the header word */
    /* The first block sits a word below a grain boundary, at least a word
     * above base (the word below it stays in the region). */
    *lo = ((base + 2u * w + g - 1u) & ~(g - 1u)) - w;
    *hi = (end & ~(g - 1u)) - w;
    return *hi > *lo && *hi - *lo >= bh_min_block_size();
}

/* ---- stats ---- */

static bool stats_get(bhm_model *m, bh_stats *s) {
    REQUIRE(m, bh_get_stats(m->heap, s), "bh_get_stats failed", 0, 0);
    return true;
}

/* Equal but for failed_count and error_count, which grew by the deltas. */
static bool stats_same(bhm_model *m, const bh_stats *a, const bh_stats *b, uint32_t failed_delta,
                       uint32_t error_delta) {
    REQUIRE(m, a->heap_bytes == b->heap_bytes && a->control_bytes == b->control_bytes &&
                   a->total_bytes == b->total_bytes && a->region_count == b->region_count,
            "rejected call changed the heap's size", a->total_bytes, b->total_bytes);
    REQUIRE(m, a->used_bytes == b->used_bytes && a->free_bytes == b->free_bytes,
            "rejected call changed used/free bytes", a->free_bytes, b->free_bytes);
    REQUIRE(m, a->live_blocks == b->live_blocks && a->free_blocks == b->free_blocks,
            "rejected call changed the block counts", a->free_blocks, b->free_blocks);
    REQUIRE(m, a->peak_used_bytes == b->peak_used_bytes && a->min_free_bytes == b->min_free_bytes,
            "rejected call changed peak or minimum", a->peak_used_bytes, b->peak_used_bytes);
    REQUIRE(m, a->largest_free_bytes == b->largest_free_bytes, "rejected call changed largest free",
            a->largest_free_bytes, b->largest_free_bytes);
    REQUIRE(m, a->alloc_count == b->alloc_count && a->free_count == b->free_count,
            "rejected call changed alloc/free counts", a->alloc_count, b->alloc_count);
    REQUIRE(m, b->failed_count == a->failed_count + failed_delta, "failed_count", a->failed_count,
            b->failed_count);
    REQUIRE(m, b->error_count == a->error_count + error_delta, "error_count", a->error_count,
            b->error_count);
    return true;
}

/* A used and free figure the heap passed through. */
static void watermark_note(bhm_model *m, size_t used_bytes, size_t free_bytes) {
    if (used_bytes > m->peak_used)
        m->peak_used = used_bytes;
    if (free_bytes < m->min_free)
        m->min_free = free_bytes;
}

/* The counters against the model's totals. O(1). */
static bool stats_check(bhm_model *m) {
    bh_stats s;
    if (!stats_get(m, &s))
        return false;
    REQUIRE(m, s.used_bytes + s.free_bytes == s.total_bytes, "used + free != total", s.used_bytes,
            s.free_bytes);
    REQUIRE(m, s.live_blocks == m->live, "live_blocks differs from the model", s.live_blocks, m->live);
    REQUIRE(m, s.alloc_count == m->alloc_count, "alloc_count differs from the model", s.alloc_count,
            m->alloc_count);
    REQUIRE(m, s.free_count == m->free_count, "free_count differs from the model", s.free_count,
            m->free_count);
    REQUIRE(m, s.failed_count == m->failed_count, "failed_count differs from the model", s.failed_count,
            m->failed_count);
    REQUIRE(m, s.error_count == m->error_count, "error_count differs from the model", s.error_count,
            m->error_count);
    REQUIRE(m, m->errors_seen == m->error_count, "error handler calls differ from the model",
            m->errors_seen, m->error_count);
    REQUIRE(m, s.heap_bytes == m->heap_bytes_total, "heap_bytes differs from the model", s.heap_bytes,
            m->heap_bytes_total);
    REQUIRE(m, s.region_count == m->region_count, "region_count differs from the model", s.region_count,
            m->region_count);
    REQUIRE(m, s.control_bytes == m->initial.control_bytes, "control_bytes changed", s.control_bytes,
            m->initial.control_bytes);
    REQUIRE(m, (s.live_blocks == 0) == (s.used_bytes == 0), "used bytes without live blocks",
            s.live_blocks, s.used_bytes);
    REQUIRE(m, s.used_bytes >= s.live_blocks * bh_min_block_size(), "used bytes below live blocks",
            s.used_bytes, s.live_blocks);
    REQUIRE(m, (s.free_blocks == 0) == (s.free_bytes == 0), "free bytes without free blocks",
            s.free_blocks, s.free_bytes);
    REQUIRE(m, s.free_blocks == 0 ? s.largest_free_bytes == 0 : s.largest_free_bytes + word() <= s.free_bytes,
            "largest_free_bytes beyond free bytes", s.largest_free_bytes, s.free_bytes);
    watermark_note(m, s.used_bytes, s.free_bytes);
    /* Exact, not bounds: a mark kept too high or too low (an added region's
     * bytes counted as used, say) is as wrong as one never updated. */
    REQUIRE(m, s.peak_used_bytes == m->peak_used, "peak_used_bytes is not the highest used figure",
            s.peak_used_bytes, m->peak_used);
    REQUIRE(m, s.min_free_bytes == m->min_free, "min_free_bytes is not the lowest free figure", s.min_free_bytes,
            m->min_free);
    REQUIRE(m, s.peak_used_bytes <= s.total_bytes, "peak beyond total", s.peak_used_bytes, s.total_bytes);
    return true;
}

/* ---- size classes, as bareheap_internal.h documents them ---- */

static unsigned log2_floor(size_t v) {
    unsigned n = 0;
    while (v >>= 1)
        n++;
    return n;
}

/* The class of a free block of size_bytes, before the clamp to the top. */
static unsigned class_of_bytes(size_t size_bytes) {
    size_t u = size_bytes >> log2_floor(grain());
    unsigned shift;
    if (u < ((size_t)1 << BAREHEAP_SL_LOG2))
        return (unsigned)u;
    shift = log2_floor(u) - BAREHEAP_SL_LOG2;
    return (shift << BAREHEAP_SL_LOG2) + (unsigned)(u >> shift);
}

/* The smallest block size of class c. */
static size_t class_min_bytes(unsigned c) {
    unsigned fl = c >> BAREHEAP_SL_LOG2, sl = c & (((unsigned)1 << BAREHEAP_SL_LOG2) - 1u);
    if (fl == 0)
        return (size_t)c * grain();
    return ((((size_t)1 << BAREHEAP_SL_LOG2) + sl) << (fl - 1u)) * grain();
}

/* The top class of a heap made by bh_init() on heap_bytes: blocks above it
 * (of a larger added region) are filed under it. */
static unsigned class_top_for(size_t heap_bytes) {
    size_t max = heap_bytes < bh_min_block_size() ? bh_min_block_size() : heap_bytes;
    return ((class_of_bytes(max) >> BAREHEAP_SL_LOG2) + 1u) * ((unsigned)1 << BAREHEAP_SL_LOG2) - 1u;
}

/* ---- the walk against the model ---- */

/* The live slots in address order (m->order, slot indices, empty slots
 * first): between two checks one or two slots change, so insertion sort
 * costs about one pass. */
static void order_sort(bhm_model *m) {
    unsigned i, j;
    for (i = 1; i < m->opt.slots; i++) {
        uint16_t k = m->order[i];
        uintptr_t key = (uintptr_t)m->slot[k].p;
        for (j = i; j > 0 && (uintptr_t)m->slot[m->order[j - 1u]].p > key; j--)
            m->order[j] = m->order[j - 1u];
        m->order[j] = k;
    }
}

typedef struct walk_tally {
    bhm_model *m;
    unsigned next_live; /* index into m->order of the next live slot */
    size_t used_blocks, used_bytes, free_blocks;
    /* the highest class holding a free block: how many, smallest, largest */
    unsigned top_class, class_top;
    size_t top_count, top_min, top_max;
    size_t top_class_min; /* smaller free blocks are in lower classes: not mapped */
    const void *bad;  /* the first block that disagrees with the model */
    const char *what; /* and how */
} walk_tally;

/* Used blocks: exactly the model's live blocks, in address order, each
 * sized as its usable size says (so an aligned block keeps its alignment
 * word through every move). Free blocks: the top class's, for
 * largest_free_bytes. */
static bool walk_count(void *context, const bh_block_info *info) {
    walk_tally *t = (walk_tally *)context;
    bhm_model *m = t->m;
    if (info->used) {
        const bhm_slot *s;
        size_t capacity;
        t->used_blocks++;
        t->used_bytes += info->size_bytes;
        if (t->next_live >= m->opt.slots) {
            t->what = "walk: a used block the model does not hold";
            t->bad = info->ptr;
            return false;
        }
        s = &m->slot[m->order[t->next_live++]];
        if (s->p != info->ptr) {
            t->what = "walk: used blocks are not the model's live blocks";
            t->bad = info->ptr;
            return false;
        }
        capacity = info->size_bytes - word() - (s->align > grain() ? sizeof(size_t) : 0u);
#if BAREHEAP_DEBUG >= 2
        if (info->usable_bytes != s->size || s->size > capacity) {
#else
        if (info->usable_bytes != s->usable || s->usable != capacity) {
#endif
            t->what = "walk: block size disagrees with its usable size and alignment";
            t->bad = info->ptr;
            return false;
        }
    } else {
        unsigned c;
        t->free_blocks++;
        if (info->size_bytes < t->top_class_min)
            return true;
        c = class_of_bytes(info->size_bytes);
        if (c > t->class_top)
            c = t->class_top;
        if (t->top_count == 0 || c > t->top_class) {
            t->top_class = c;
            t->top_class_min = class_min_bytes(c);
            t->top_count = 0;
            t->top_min = t->top_max = info->size_bytes;
        }
        if (c == t->top_class) {
            t->top_count++;
            if (info->size_bytes < t->top_min)
                t->top_min = info->size_bytes;
            if (info->size_bytes > t->top_max)
                t->top_max = info->size_bytes;
        }
    }
    return true;
}

/* bh_check() clean, the walk's used blocks are the model's live ones (the
 * same blocks, no leak, none overlapping), and largest_free_bytes is what
 * the top class's first BAREHEAP_PROBE_LIMIT blocks serve: exact when the
 * class holds no more, between its smallest and largest block otherwise. */
static bool model_check(bhm_model *m) {
    walk_tally t;
    bh_stats s;
    size_t problems = bh_check(m->heap);
    m->error_count += (uint32_t)problems; /* reported to the handler too */
    REQUIRE(m, problems == 0, "bh_check() found problems", problems, 0);
    order_sort(m);
    t.m = m;
    t.next_live = m->opt.slots - (unsigned)m->live;
    t.used_blocks = t.used_bytes = t.free_blocks = 0;
    t.top_class = 0;
    t.class_top = class_top_for(m->heap_bytes);
    t.top_count = t.top_min = t.top_max = t.top_class_min = 0;
    t.bad = NULL;
    t.what = NULL;
    (void)bh_walk(m->heap, walk_count, &t);
    REQUIRE(m, t.what == NULL, t.what, (uintptr_t)t.bad, 0);
    if (!stats_get(m, &s))
        return false;
    REQUIRE(m, t.used_blocks == m->live, "walk: used blocks differ from the model", t.used_blocks, m->live);
    REQUIRE(m, t.used_bytes == s.used_bytes, "walk: used bytes differ from stats", t.used_bytes, s.used_bytes);
    REQUIRE(m, t.free_blocks == s.free_blocks, "walk: free blocks differ from stats", t.free_blocks,
            s.free_blocks);
    if (t.free_blocks == 0)
        return true;
    if (t.top_count <= BAREHEAP_PROBE_LIMIT) {
        REQUIRE(m, s.largest_free_bytes == t.top_max - word(), "largest_free_bytes is not the top class's largest",
                s.largest_free_bytes, t.top_max);
    } else {
        REQUIRE(m, s.largest_free_bytes + word() >= t.top_min && s.largest_free_bytes + word() <= t.top_max,
                "largest_free_bytes outside the top class", s.largest_free_bytes, t.top_max);
    }
    return true;
}

/* The block whose payload is ptr, as bh_walk() reports it, and its
 * neighbours in its region (size_bytes 0: none). */
typedef struct walk_find {
    const void *ptr;
    bh_block_info prev, info, next;
    bool found;
} walk_find;

static bool walk_find_block(void *context, const bh_block_info *info) {
    walk_find *f = (walk_find *)context;
    if (f->found) {
        if (info->region == f->info.region)
            f->next = *info;
        return false;
    }
    if (info->ptr != f->ptr) {
        f->prev = *info;
        return true;
    }
    f->info = *info;
    f->found = true;
    if (f->prev.region != info->region)
        f->prev.size_bytes = 0;
    return true;
}

static bool block_find_walk(bhm_model *m, const void *ptr, walk_find *f) {
    f->ptr = ptr;
    f->found = false;
    f->prev.size_bytes = f->next.size_bytes = 0;
    f->prev.region = f->next.region = 0;
    (void)bh_walk(m->heap, walk_find_block, f);
    REQUIRE(m, f->found, "walk does not reach a live block", (uintptr_t)ptr, 0);
    return true;
}

/* ---- blocks ---- */

static bhm_slot *slot_pick(bhm_model *m) {
    return &m->slot[byte_next(m) % m->opt.slots];
}

/* The block size a request of n bytes takes (align: as asked of
 * bh_alloc_aligned(), 0 for plain), or 0 if none could hold it: the request,
 * the overhead and, above the grain, the word that keeps the alignment,
 * rounded to a grain, at least a minimum block. */
static size_t block_bytes_for(size_t n, size_t align) {
    size_t extra = word() + (align > grain() ? sizeof(size_t) : 0u), bytes;
    if (n > SIZE_MAX - extra - grain())
        return 0;
    bytes = (n + extra + grain() - 1u) & ~(grain() - 1u);
    return bytes < bh_min_block_size() ? bh_min_block_size() : bytes;
}

/* A new block p of n bytes (alignment align, 0 for plain) into empty slot s:
 * every placement property, then the content pattern. */
static bool slot_take(bhm_model *m, bhm_slot *s, void *ptr, size_t n, size_t align) {
    unsigned char *p = (unsigned char *)ptr;
    uintptr_t u = (uintptr_t)p;
    size_t usable, i;
    bool inside = false;
    REQUIRE(m, (u & (grain() - 1u)) == 0, "block not aligned to bh_alignment()", u, grain());
    REQUIRE(m, align == 0 || (u & (align - 1u)) == 0, "block not aligned as asked", u, align);
    usable = bh_usable_size(m->heap, p);
    REQUIRE(m, usable >= n, "usable size below the request", usable, n);
#if BAREHEAP_DEBUG >= 2
    REQUIRE(m, usable == n, "usable size is not the request (the canary follows it)", usable, n);
#else
    /* Sized to the request: the block the request takes plus a tail too
     * small to stand as a free block, never a whole minimum block more. */
    REQUIRE(m, usable + word() + (align > grain() ? sizeof(size_t) : 0u) <
                   block_bytes_for(n, align) + bh_min_block_size(),
            "block much larger than its request", usable, n);
#endif
    for (i = 0; i < m->region_count; i++) {
        uintptr_t lo = m->region[i].base;
        if (i == 0)
            lo = (uintptr_t)m->heap + m->initial.control_bytes;
        if (u >= lo && u <= m->region[i].end && usable <= m->region[i].end - u) {
            inside = true;
            break;
        }
    }
    REQUIRE(m, inside, "block outside every region", u, usable);
    for (i = 0; i < m->opt.slots; i++) {
        const bhm_slot *o = &m->slot[i];
        if (o->p && o != s && p < o->p + o->usable && o->p < p + usable)
            return fail(m, "blocks overlap", u, (uintptr_t)o->p);
    }
    s->p = p;
    s->size = n;
    s->usable = usable;
    s->align = align;
    s->seed = ++m->seed_counter * 0x9E3779B1u;
    slot_fill(s);
    m->live++;
    return true;
}

static bool slot_free(bhm_model *m, bhm_slot *s) {
    if (!slot_verify_at(m, s, s->p, s->size))
        return false;
    bh_free(m->heap, s->p);
    s->p = NULL;
    m->live--;
    m->free_count++;
    return true;
}

/* A request of n bytes: SIZE_MAX-like values and edges included. */
static size_t size_next(bhm_model *m) {
    unsigned b0 = byte_next(m), b1 = byte_next(m);
    size_t v = ((size_t)(b0 & 31u) << 8) | b1;
    bh_stats s;
    switch (b0 >> 5) {
    case 0:
    case 1: return v % 64u;
    case 2:
    case 3: return v % 1024u;
    case 4: return v;
    case 5: return (size_t)(((uint64_t)m->heap_bytes_total * v) >> 13);
    case 6:
        if (!bh_get_stats(m->heap, &s))
            return 0;
        return s.largest_free_bytes + (v % 64u) < 32u ? 0 : s.largest_free_bytes + (v % 64u) - 32u;
    default:
        if (v & 1u)
            return SIZE_MAX - (v >> 1);
        return m->heap_bytes_total + (v >> 1);
    }
}

/* Whether the heap promises to serve a request of n bytes: no larger than
 * largest_free_bytes, and some block free (with none free the figure is 0,
 * and even a request of 0 needs a minimal block). */
static bool must_serve(const bh_stats *before, size_t n) {
    return before->free_blocks != 0 && n <= before->largest_free_bytes;
}

/* The outcome of an allocation request of n bytes (must_succeed: whether the
 * heap promised to serve it) against stats taken before it. */
static bool alloc_result(bhm_model *m, bhm_slot *s, void *p, size_t n, size_t align, bool must_succeed,
                         const bh_stats *before) {
    bh_stats after;
    if (p) {
        m->alloc_count++;
        return slot_take(m, s, p, n, align);
    }
    REQUIRE(m, !must_succeed, "request the heap must serve failed", n, before->largest_free_bytes);
    m->failed_count++;
    if (!stats_get(m, &after))
        return false;
    return stats_same(m, before, &after, 1, 0);
}

static bool op_alloc(bhm_model *m) {
    bhm_slot *s = slot_pick(m);
    size_t n = size_next(m);
    bh_stats before;
    void *p;
    if (s->p && !slot_free(m, s))
        return false;
    if (!stats_get(m, &before))
        return false;
    p = bh_alloc(m->heap, n);
    return alloc_result(m, s, p, n, 0, must_serve(&before, n), &before);
}

static bool op_calloc(bhm_model *m) {
    bhm_slot *s = slot_pick(m);
    size_t count = byte_next(m) % 9u;
    size_t n = size_next(m);
    size_t each = count ? n / count : n;
    bool overflow;
    /* A request near SIZE_MAX, split over two or more elements, is made one
     * that overflows: the product wraps to a few bytes, which the heap could
     * serve if it multiplied without testing. */
    if (count >= 2u && n > SIZE_MAX / 2u)
        each = SIZE_MAX / count + 1u + (SIZE_MAX - n) % 16u;
    overflow = each != 0 && count > SIZE_MAX / each;
    bh_stats before;
    void *p;
    if (s->p && !slot_free(m, s))
        return false;
    if (!stats_get(m, &before))
        return false;
    p = bh_calloc(m->heap, count, each);
    if (overflow) {
        REQUIRE(m, p == NULL, "calloc with an overflowing product succeeded", count, each);
    }
    if (p && !zero_verify(m, (const unsigned char *)p, count * each))
        return false;
    return alloc_result(m, s, p, overflow ? 0 : count * each, 0,
                        !overflow && must_serve(&before, count * each), &before);
}

static bool walk_first_free(void *context, const bh_block_info *info) {
    if (info->used)
        return true;
    *(bh_block_info *)context = *info;
    return false;
}

/* Whether the heap's only free block holds n bytes aligned to align at its
 * own address: the first aligned payload in it whose front is empty or can
 * stand as a free block (bareheap.h: the front goes back to the heap). With
 * one free block no search can miss it, so the request must not fail. */
static bool aligned_fits_alone(bhm_model *m, size_t align, size_t n, bool *fits) {
    bh_block_info f;
    size_t need = block_bytes_for(n, align), gap;
    f.ptr = NULL;
    (void)bh_walk(m->heap, walk_first_free, &f);
    REQUIRE(m, f.ptr != NULL, "walk finds no free block", 0, 0);
    gap = (size_t)(0u - (uintptr_t)f.ptr) & (align - 1u);
    while (gap != 0 && gap < bh_min_block_size())
        gap += align;
    *fits = need != 0 && gap <= f.size_bytes && need <= f.size_bytes - gap;
    return true;
}

/* The front an aligned block p was cut from: the free block before it, if
 * any, is that front (the block p came from had no free neighbour), and
 * the block it was cut from began where the front begins. The front is the
 * least gap that aligns p and can stand as a free block, as in
 * aligned_fits_alone(): no larger, or memory is lost to it. */
static bool aligned_front_check(bhm_model *m, void *p, size_t align) {
    walk_find f;
    size_t gap;
    if (!block_find_walk(m, p, &f))
        return false;
    if (f.prev.size_bytes == 0 || f.prev.used)
        return true;
    gap = (size_t)(0u - (uintptr_t)f.prev.ptr) & (align - 1u);
    while (gap != 0 && gap < bh_min_block_size())
        gap += align;
    REQUIRE(m, f.prev.size_bytes == gap, "aligned block's front is not the least gap", f.prev.size_bytes, gap);
    return true;
}

static bool op_aligned(bhm_model *m) {
    bhm_slot *s = slot_pick(m);
    unsigned a = byte_next(m) % 16u;
    size_t align = a == 0 ? 0 : a == 1 ? 3 : (size_t)1 << (a - 2u);
    size_t n = size_next(m);
    bh_stats before;
    bool must = false;
    void *p;
    if (s->p && !slot_free(m, s))
        return false;
    if (!stats_get(m, &before))
        return false;
    if (a >= 2 && align > grain() && before.free_blocks == 1 && !aligned_fits_alone(m, align, n, &must))
        return false;
    p = bh_alloc_aligned(m->heap, align, n);
    if (a < 2) {
        REQUIRE(m, p == NULL, "aligned alloc with an invalid alignment succeeded", align, n);
    }
    /* Alignments up to the grain are plain requests. */
    if (!alloc_result(m, s, p, n, align, a >= 2 && (align <= grain() ? must_serve(&before, n) : must), &before))
        return false;
    return !p || align <= grain() || aligned_front_check(m, p, align);
}

/* Where bh_realloc(s->p, n) must put the block, by the order bareheap.h
 * documents, or NULL when it may move it anywhere or fail: in place if the
 * block, with a free next block, holds n; else at a free previous block if
 * that (with the block and a free next block) holds n at the block's
 * alignment. */
static bool realloc_predict(bhm_model *m, const bhm_slot *s, size_t n, unsigned char **expect) {
    walk_find f;
    size_t need = block_bytes_for(n, s->align), align = s->align > grain() ? s->align : grain();
    size_t next_free, room;
    *expect = NULL;
    if (!block_find_walk(m, s->p, &f))
        return false;
    if (need == 0)
        return true;
    next_free = f.next.size_bytes && !f.next.used ? f.next.size_bytes : 0u;
    room = f.info.size_bytes + next_free;
    if (need <= room) {
        *expect = s->p;
    } else if (f.prev.size_bytes && !f.prev.used && need <= room + f.prev.size_bytes &&
               ((uintptr_t)f.prev.ptr & (align - 1u)) == 0) {
        *expect = (unsigned char *)f.prev.ptr;
    }
    return true;
}

static bool op_realloc(bhm_model *m) {
    bhm_slot *s = slot_pick(m);
    size_t n = size_next(m);
    bh_stats before, after;
    bhm_slot old;
    unsigned char *q, *expect = NULL;
    if (!stats_get(m, &before))
        return false;
    if (!s->p) {
        q = (unsigned char *)bh_realloc(m->heap, NULL, n);
        return alloc_result(m, s, q, n, 0, must_serve(&before, n), &before);
    }
    if (!slot_verify_at(m, s, s->p, s->size))
        return false;
    old = *s;
    if (n != 0 && !realloc_predict(m, &old, n, &expect))
        return false;
    q = (unsigned char *)bh_realloc(m->heap, s->p, n);
    if (!stats_get(m, &after))
        return false;
    if (n == 0) {
        REQUIRE(m, q == NULL, "realloc to 0 returned a block", (uintptr_t)q, 0);
        s->p = NULL;
        m->live--;
        m->free_count++;
        return true;
    }
    if (!q) {
        /* Documented: in place when it fits; a plain block is served like an
         * alloc of n otherwise. */
        REQUIRE(m, n > old.usable, "realloc that fits in place failed", n, old.usable);
        REQUIRE(m, expect == NULL, "realloc that fits its neighbours failed", n, (uintptr_t)expect);
        REQUIRE(m, old.align > grain() || !must_serve(&before, n), "realloc within largest_free failed",
                n, before.largest_free_bytes);
        m->failed_count++;
        if (!stats_same(m, &before, &after, 1, 0))
            return false;
        REQUIRE(m, bh_usable_size(m->heap, old.p) == old.usable, "failed realloc changed the block",
                (uintptr_t)old.p, old.usable);
        return slot_verify_at(m, &old, old.p, old.size);
    }
    if (n <= old.usable) {
        REQUIRE(m, q == old.p, "realloc that fits did not stay in place", (uintptr_t)q, (uintptr_t)old.p);
    }
    REQUIRE(m, expect == NULL || q == expect, "realloc did not grow into its free neighbours", (uintptr_t)q,
            (uintptr_t)expect);
    /* A move through alloc-copy-free counts one allocation and one free; a
     * move into the previous block and growth in place count none. */
    {
        uint32_t da = after.alloc_count - m->alloc_count, df = after.free_count - m->free_count;
        REQUIRE(m, da == df && da <= 1u, "realloc counted allocations and frees unevenly", da, df);
        REQUIRE(m, da == 0 || q != old.p, "realloc in place counted as a move", da, (uintptr_t)q);
        m->alloc_count += da;
        m->free_count += da;
        if (da) {
            /* Both copies were live between the new block's allocation and
             * the old one's free. */
            walk_find moved;
            if (!block_find_walk(m, q, &moved))
                return false;
            watermark_note(m, before.used_bytes + moved.info.size_bytes, before.free_bytes - moved.info.size_bytes);
        }
    }
    if (!slot_verify_at(m, &old, q, n))
        return false;
    s->p = NULL;
    m->live--;
    return slot_take(m, s, q, n, old.align);
}

static bool op_free(bhm_model *m) {
    bhm_slot *s = slot_pick(m);
    if (!s->p) {
        bh_stats before, after;
        if (!stats_get(m, &before))
            return false;
        bh_free(m->heap, NULL);
        if (!stats_get(m, &after))
            return false;
        return stats_same(m, &before, &after, 0, 0);
    }
    return slot_free(m, s);
}

static bool op_add_region(bhm_model *m) {
    unsigned sub = byte_next(m);
    size_t v = size_next(m) % 65536u;
    bh_stats before, after;
    bool ok;
    if (!stats_get(m, &before))
        return false;
    if (sub & 1u) {
        /* Overlapping memory the heap already uses: refused, nothing
         * changes. Besides a region's middle, ranges that would be a valid
         * region of their own but for one byte: the last byte of a
         * region's sentinel, or the first of its first block's header. */
        const bhm_region *r = &m->region[(sub >> 3) % m->region_count];
        size_t span = (size_t)(r->end - r->base), bytes = span / 2u;
        uintptr_t base = r->base + span / 4u, lo, hi;
        if ((sub & 6u) == 4u) {
            r = &m->region[m->region_count - 1u]; /* the last in the arena: free memory above */
            (void)region_span(r->base, r->end, &lo, &hi);
            base = hi + sizeof(size_t) - 1u;
            bytes = 256u;
            if (base + bytes > (uintptr_t)(m->arena + m->arena_bytes))
                return true;
        } else if ((sub & 6u) == 6u) {
            (void)region_span(r->base, r->end, &lo, &hi);
            bytes = bh_min_block_size() + 4u * grain() + 2u * sizeof(size_t);
            base = lo + 1u - bytes;
            if (base < r->base - r->free_below)
                return true; /* not enough unused memory below it */
        }
        ok = bh_add_region(m->heap, (void *)base, bytes);
        REQUIRE(m, !ok, "add_region over a region succeeded", base, bytes);
        if (!stats_get(m, &after))
            return false;
        return stats_same(m, &before, &after, 0, 0);
    } else {
        /* In grains of 8 bytes, so that some gaps hold a region of their own. */
        size_t gap = (sub >> 1) % 64u * 8u;
        size_t room = m->arena_bytes - m->arena_used;
        size_t size = 16u + v;
        uintptr_t base, lo, hi;
        bool fits;
        if (room < gap + size)
            return true; /* arena exhausted: nothing to try */
        base = (uintptr_t)(m->arena + m->arena_used + gap);
        fits = region_span(base, base + size, &lo, &hi) && m->region_count < BAREHEAP_MAX_REGIONS;
        ok = bh_add_region(m->heap, (void *)base, size);
        REQUIRE(m, ok == fits, "add_region answer differs from the model", ok, fits);
        if (!stats_get(m, &after))
            return false;
        if (!ok)
            return stats_same(m, &before, &after, 0, 0);
        m->arena_used += gap + size;
        m->region[m->region_count].base = base;
        m->region[m->region_count].end = base + size;
        m->region[m->region_count].free_below = gap;
        m->region_count++;
        m->heap_bytes_total += size;
        REQUIRE(m, after.total_bytes == before.total_bytes + (size_t)(hi - lo),
                "add_region: total_bytes grew by other than the region's blocks", after.total_bytes,
                before.total_bytes);
        REQUIRE(m, after.free_bytes == before.free_bytes + (size_t)(hi - lo),
                "add_region: free_bytes grew by other than the region's blocks", after.free_bytes,
                before.free_bytes);
        return true;
    }
}

static bool op_stats(bhm_model *m) {
    bh_stats a, b;
    if (!stats_get(m, &a) || !stats_get(m, &b))
        return false;
    /* Reading the counters changes nothing. */
    return stats_same(m, &a, &b, 0, 0);
}

/* One misuse call, expecting exactly one report of kind (or of alt) at
 * address ptr and no other change. */
static bool expect_rejected(bhm_model *m, const bh_stats *before, const void *ptr, bh_error kind, bh_error alt) {
    bh_stats after;
    REQUIRE(m, m->errors_seen == m->error_count + 1u, "misuse not reported once", m->errors_seen,
            m->error_count);
    REQUIRE(m, m->last_error == kind || m->last_error == alt, "misuse reported with the wrong kind",
            m->last_error, kind);
    REQUIRE(m, m->last_error_address == ptr, "misuse reported at the wrong address",
            (uintptr_t)m->last_error_address, (uintptr_t)ptr);
    m->error_count++;
    if (!stats_get(m, &after))
        return false;
    return stats_same(m, before, &after, 0, 1);
}

/* Where an interior pointer's forged header may reach: the header of the
 * first block after live block ptr (same region) whose previous block is
 * free, or 0 if there is none. */
typedef struct walk_boundary {
    const void *ptr;
    unsigned region;
    int state; /* 0: before ptr's block, 1: after it, 2: after a free block past it */
    uintptr_t target;
} walk_boundary;

static bool walk_find_boundary(void *context, const bh_block_info *info) {
    walk_boundary *w = (walk_boundary *)context;
    if (w->state == 0) {
        if (info->ptr == w->ptr) {
            w->state = 1;
            w->region = info->region;
        }
        return true;
    }
    if (info->region != w->region)
        return false;
    if (w->state == 2) {
        w->target = (uintptr_t)info->ptr - sizeof(size_t);
        return false;
    }
    if (!info->used)
        w->state = 2;
    return true;
}

static bool op_misuse(bhm_model *m) {
    unsigned sub = byte_next(m) % 5u;
    bhm_slot *s = slot_pick(m);
    bh_stats before;
    /* Aligned, so that it is reported as foreign, not as misaligned. */
    unsigned char *foreign =
        foreign_buffer + ((grain() - ((uintptr_t)foreign_buffer & (grain() - 1u))) & (grain() - 1u)) + grain();
    if (!m->opt.misuse)
        return true;
    switch (sub) {
    case 0: /* double free of a block just freed */
        if (!s->p)
            return true;
        {
            unsigned char *p = s->p;
            if (!slot_free(m, s) || !stats_check(m) || !stats_get(m, &before))
                return false;
            bh_free(m->heap, p);
            /* Merged into its neighbours or not, a block freed a moment ago
             * is a double free, never an invalid pointer: its header keeps
             * FLAG_FREE (at BAREHEAP_DEBUG >= 2, a merged mark). */
            return expect_rejected(m, &before, p, BH_ERROR_DOUBLE_FREE, BH_ERROR_DOUBLE_FREE);
        }
    case 1: /* misaligned: inside a live block, or anywhere */
        {
            unsigned char *p = (s->p ? s->p : foreign) + 1u + (s->seed % (grain() - 1u));
            if (!stats_get(m, &before))
                return false;
            bh_free(m->heap, p);
            return expect_rejected(m, &before, p, BH_ERROR_MISALIGNED, BH_ERROR_MISALIGNED);
        }
    case 2: /* foreign free */
        if (!stats_get(m, &before))
            return false;
        bh_free(m->heap, foreign);
        return expect_rejected(m, &before, foreign, BH_ERROR_INVALID_POINTER, BH_ERROR_INVALID_POINTER);
    case 4:
        /* An interior pointer behind a word of the program's data that reads
         * as a used header of a plausible size, reaching a block boundary:
         * one whose previous block is free, so the pointer cannot be the
         * start of a used block (were it, that previous block would be it).
         * The word is the block's own and is put back after the call. */
        if (!s->p || s->usable < grain())
            return true;
        {
            walk_boundary w;
            size_t *forged, saved;
            unsigned char *q;
            w.ptr = s->p;
            w.region = 0;
            w.state = 0;
            w.target = 0;
            (void)bh_walk(m->heap, walk_find_boundary, &w);
            if (!w.target)
                return true;
            q = s->p + grain() * (1u + s->seed % (s->usable / grain()));
            forged = (size_t *)(void *)(q - sizeof(size_t));
            saved = *forged;
            *forged = (size_t)(w.target - (uintptr_t)forged);
            if (!stats_get(m, &before))
                return false;
            bh_free(m->heap, q);
            *forged = saved;
            return expect_rejected(m, &before, q, BH_ERROR_INVALID_POINTER, BH_ERROR_INVALID_POINTER);
        }
    default: /* foreign realloc and usable_size */
        if (!stats_get(m, &before))
            return false;
        REQUIRE(m, bh_realloc(m->heap, foreign, 16) == NULL, "realloc of a foreign pointer succeeded",
                (uintptr_t)foreign, 0);
        if (!expect_rejected(m, &before, foreign, BH_ERROR_INVALID_POINTER, BH_ERROR_INVALID_POINTER))
            return false;
        if (!stats_get(m, &before))
            return false;
        REQUIRE(m, bh_usable_size(m->heap, foreign) == 0, "usable size of a foreign pointer",
                (uintptr_t)foreign, 0);
        return expect_rejected(m, &before, foreign, BH_ERROR_INVALID_POINTER, BH_ERROR_INVALID_POINTER);
    }
}

static bool free_all(bhm_model *m) {
    unsigned i;
    for (i = 0; i < m->opt.slots; i++) {
        if (m->slot[i].p && !slot_free(m, &m->slot[i]))
            return false;
    }
    return true;
}

/* With nothing live: one free block per region, and on one region the
 * largest request that succeeds is the free space minus one header. */
static bool expect_all_free(bhm_model *m) {
    bh_stats s;
    void *p;
    if (!model_check(m) || !stats_check(m) || !stats_get(m, &s))
        return false;
    REQUIRE(m, s.used_bytes == 0 && s.free_bytes == s.total_bytes, "memory still used with nothing live",
            s.used_bytes, s.free_bytes);
    REQUIRE(m, s.free_blocks == m->region_count, "free space not one block per region", s.free_blocks,
            m->region_count);
    if (m->region_count != 1)
        return true;
    REQUIRE(m, s.free_bytes == m->initial.free_bytes, "free space differs from the initial one", s.free_bytes,
            m->initial.free_bytes);
    REQUIRE(m, s.largest_free_bytes == s.free_bytes - word(), "largest_free is not free space minus a header",
            s.largest_free_bytes, s.free_bytes);
    p = bh_alloc(m->heap, s.free_bytes - word() + 1u);
    REQUIRE(m, p == NULL, "request beyond the free space succeeded", (uintptr_t)p, s.free_bytes);
    m->failed_count++;
    p = bh_alloc(m->heap, s.free_bytes - word());
    REQUIRE(m, p != NULL, "request of the whole free space failed", s.free_bytes, 0);
    m->alloc_count++;
    watermark_note(m, s.total_bytes, 0);
    REQUIRE(m, bh_usable_size(m->heap, p) == s.free_bytes - word(), "whole-heap block has another size",
            bh_usable_size(m->heap, p), s.free_bytes);
    bh_free(m->heap, p);
    m->free_count++;
    return stats_check(m);
}

/* ---- bh_trim: what it offers is scribbled over ---- */

typedef struct trim_log {
    unsigned calls;
    uintptr_t lo[BAREHEAP_MAX_REGIONS];
    size_t bytes[BAREHEAP_MAX_REGIONS];
} trim_log;

/* As an OS that zeroes or drops the pages would, but with a pattern the
 * heap could not mistake for anything. */
static void trim_scribble(void *context, void *lo, size_t size_bytes) {
    trim_log *log = (trim_log *)context;
    unsigned char *p = (unsigned char *)lo;
    size_t i;
    if (log->calls < BAREHEAP_MAX_REGIONS) {
        log->lo[log->calls] = (uintptr_t)lo;
        log->bytes[log->calls] = size_bytes;
    }
    log->calls++;
    for (i = 0; i < size_bytes; i++)
        p[i] = 0xA5u;
}

/* At most one range per region, each inside one region and outside every
 * live block (header included); no counter moves; every live block keeps
 * its contents; nothing at all at BAREHEAP_DEBUG >= 2. */
static bool op_trim(bhm_model *m) {
    size_t keep_bytes = (size_t)byte_next(m) * 64u, offered, total = 0;
    trim_log log;
    bh_stats before, after;
    unsigned i, k;
    log.calls = 0;
    if (!stats_get(m, &before))
        return false;
    offered = bh_trim(m->heap, keep_bytes, trim_scribble, &log);
#if BAREHEAP_DEBUG >= 2
    REQUIRE(m, offered == 0 && log.calls == 0, "trim offered poisoned memory", offered, log.calls);
#endif
    REQUIRE(m, log.calls <= m->region_count, "trim offered more ranges than regions", log.calls, m->region_count);
    for (k = 0; k < log.calls; k++) {
        uintptr_t lo = log.lo[k], hi = lo + log.bytes[k];
        bool inside = false;
        total += log.bytes[k];
        REQUIRE(m, log.bytes[k] > 0, "trim offered 0 bytes", lo, 0);
        for (i = 0; i < m->region_count; i++)
            inside |= lo >= m->region[i].base && hi <= m->region[i].end;
        REQUIRE(m, inside, "trim offered memory outside the regions", lo, hi);
        for (i = 0; i < m->opt.slots; i++) {
            const bhm_slot *o = &m->slot[i];
            uintptr_t b_lo = (uintptr_t)o->p - sizeof(size_t), b_hi = (uintptr_t)o->p + o->usable;
            REQUIRE(m, !o->p || hi <= b_lo || lo >= b_hi, "trim offered a live block", lo, (uintptr_t)o->p);
        }
    }
    REQUIRE(m, offered == total, "trim's total is not the sum of what it offered", offered, total);
    for (i = 0; i < m->opt.slots; i++) {
        if (m->slot[i].p && !slot_verify_at(m, &m->slot[i], m->slot[i].p, m->slot[i].size))
            return false;
    }
    if (!stats_get(m, &after))
        return false;
    return stats_same(m, &before, &after, 0, 0);
}

static bool op_edge(bhm_model *m) {
    unsigned sub = byte_next(m) % 5u;
    bhm_slot *s = slot_pick(m);
    bh_stats before, after;
    void *p;
    switch (sub) {
    case 0: /* the largest request the heap promises to serve */
        if (s->p && !slot_free(m, s))
            return false;
        if (!stats_get(m, &before))
            return false;
        p = bh_alloc(m->heap, before.largest_free_bytes);
        return alloc_result(m, s, p, before.largest_free_bytes, 0, before.free_blocks != 0, &before);
    case 1: /* requests beyond any block */
        if (!stats_get(m, &before))
            return false;
        REQUIRE(m, bh_alloc(m->heap, SIZE_MAX) == NULL, "alloc(SIZE_MAX) succeeded", 0, 0);
        REQUIRE(m, bh_alloc_aligned(m->heap, 64, SIZE_MAX - 8u) == NULL, "aligned(SIZE_MAX) succeeded", 0, 0);
        REQUIRE(m, bh_calloc(m->heap, SIZE_MAX / 2u, 3) == NULL, "calloc overflow succeeded", 0, 0);
        m->failed_count += 3u;
        if (s->p) {
            REQUIRE(m, bh_realloc(m->heap, s->p, SIZE_MAX) == NULL, "realloc(SIZE_MAX) succeeded", 0, 0);
            m->failed_count++;
            if (!slot_verify_at(m, s, s->p, s->size))
                return false;
        }
        if (!stats_get(m, &after))
            return false;
        return stats_same(m, &before, &after, s->p ? 4u : 3u, 0);
    case 2:
        return free_all(m) && expect_all_free(m);
    case 3:
        return op_trim(m);
    default: /* usable sizes are stable */
    {
        unsigned i;
        for (i = 0; i < m->opt.slots; i++) {
            const bhm_slot *o = &m->slot[i];
            if (o->p)
                REQUIRE(m, bh_usable_size(m->heap, o->p) == o->usable, "usable size changed", (uintptr_t)o->p,
                        o->usable);
        }
        return true;
    }
    }
}

/* ---- the interpreter ---- */

static bool step(bhm_model *m) {
    unsigned op = byte_next(m) % 16u;
    bool ok;
    switch (op) {
    case 0:
    case 1:
    case 2:
    case 3: m->op = "alloc"; ok = op_alloc(m); break;
    case 4: m->op = "calloc"; ok = op_calloc(m); break;
    case 5: m->op = "aligned"; ok = op_aligned(m); break;
    case 6:
    case 7: m->op = "realloc"; ok = op_realloc(m); break;
    case 8:
    case 9:
    case 10: m->op = "free"; ok = op_free(m); break;
    case 11: m->op = "add_region"; ok = op_add_region(m); break;
    case 12: m->op = "stats"; ok = op_stats(m); break;
    case 13: m->op = "check"; ok = model_check(m); break;
    case 14: m->op = "misuse"; ok = op_misuse(m); break;
    default: m->op = "edge"; ok = op_edge(m); break;
    }
    if (ok)
        ok = stats_check(m);
    if (ok && m->opt.check_every && (m->steps % m->opt.check_every) == 0)
        ok = model_check(m);
    m->steps++;
    return ok;
}

/* A few hundred bytes past the control structure; with a wide grain, the
 * least init takes at any base offset (the control structure, a grain of
 * slack before the first block, a minimum block, a grain for the offset). */
size_t bhm_min_heap_bytes(void) {
    size_t n = bh_control_size(1024) + 256u;
    while (n < bh_control_size(n) + 2u * grain() + bh_min_block_size())
        n = bh_control_size(n) + 2u * grain() + bh_min_block_size();
    return n;
}

bool bhm_init(bhm_model *m, const bhm_options *opt, void *arena, size_t arena_bytes, size_t offset,
              size_t heap_bytes) {
    unsigned char *a = (unsigned char *)arena;
    unsigned i;
    bh_stats s;
    m->opt = *opt;
    if (m->opt.slots == 0 || m->opt.slots > BHM_MAX_SLOTS)
        m->opt.slots = BHM_MAX_SLOTS;
#if BAREHEAP_DEBUG < 1
    m->opt.misuse = false; /* undefined behaviour without validation */
#endif
    m->failed = false;
    m->steps = 0;
    m->op = "init";
    m->data = NULL;
    m->data_bytes = 0;
    m->pos = 0;
    m->arena = a;
    m->arena_bytes = arena_bytes;
    m->arena_used = offset + heap_bytes;
    m->heap_bytes = heap_bytes;
    m->heap_bytes_total = heap_bytes;
    m->live = 0;
    m->alloc_count = m->free_count = m->failed_count = m->error_count = 0;
    m->errors_seen = 0;
    m->last_error = BH_ERROR_NONE;
    m->last_error_address = NULL;
    m->seed_counter = 0;
    for (i = 0; i < BHM_MAX_SLOTS; i++) {
        m->slot[i].p = NULL;
        m->slot[i].size = m->slot[i].usable = m->slot[i].align = 0;
        m->slot[i].seed = 0;
        m->order[i] = (uint16_t)i;
    }
    REQUIRE(m, offset + heap_bytes <= arena_bytes && offset + heap_bytes >= offset, "heap beyond the arena",
            offset, heap_bytes);
    m->heap = bh_init(a + offset, heap_bytes);
    REQUIRE(m, m->heap != NULL, "bh_init failed", (uintptr_t)(a + offset), heap_bytes);
    bh_set_error_handler(m->heap, on_error, m);
    m->region[0].base = (uintptr_t)(a + offset);
    m->region[0].end = (uintptr_t)(a + offset) + heap_bytes;
    m->region[0].free_below = 0;
    m->region_count = 1;
    REQUIRE(m, bh_get_stats(m->heap, &s), "bh_get_stats failed", 0, 0);
    m->initial = s;
    m->peak_used = 0;
    m->min_free = s.free_bytes;
    REQUIRE(m, (uintptr_t)m->heap >= m->region[0].base && s.control_bytes == bh_control_size(heap_bytes),
            "control structure misplaced or missized", (uintptr_t)m->heap, s.control_bytes);
    REQUIRE(m, s.free_blocks == 1 && s.live_blocks == 0 && s.free_bytes == s.total_bytes,
            "fresh heap is not one free block", s.free_blocks, s.free_bytes);
    REQUIRE(m, s.total_bytes + s.control_bytes <= heap_bytes, "more blocks than memory", s.total_bytes,
            heap_bytes);
    return stats_check(m) && model_check(m);
}

bool bhm_run(bhm_model *m, const uint8_t *data, size_t data_bytes) {
    m->data = data;
    m->data_bytes = data_bytes;
    m->pos = 0;
    while (!m->failed && m->pos < m->data_bytes) {
        if (!step(m))
            return false;
    }
    return !m->failed;
}

bool bhm_finish(bhm_model *m) {
    if (m->failed)
        return false;
    m->op = "finish";
    return free_all(m) && expect_all_free(m);
}
