/*
 * One replay: every call of a trace, in file order, on a fresh bareheap heap
 * of the configured size. Calls from several threads were serialised by the
 * recorder's trace lock, so file order is an order in which they really took
 * effect; one heap serves all of them here.
 *
 * Blocks are matched to frees and reallocs by the address the recording
 * process saw (an open-addressing hash map from recorded address to the
 * replay's block). Live bytes are counted in the trace's terms (what the
 * program asked for and had not freed), so that figure does not depend on
 * the heap size; the footprint and failure figures do.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bareheap.h"
#include "bareheap_internal.h" /* block_size() of a payload: the exact end of a block */
#include "bh_trace_format.h"
#include "replay.h"

/* ---- Recorded address -> replay block --------------------------------------- */

typedef struct addr_slot {
    uint64_t key;       /* recorded address; 0: empty slot */
    void *block;        /* the replay's payload; NULL when the replay failed to allocate it */
    uint64_t size_bytes;/* requested */
    uint64_t held_bytes;/* requested bytes of the block the replay holds: 0 when block is NULL */
} addr_slot;

typedef struct addr_map {
    addr_slot *slots;
    size_t mask;        /* capacity - 1, capacity a power of two */
    size_t count;
} addr_map;

/* Drawn once per process, so that a trace cannot be made to collide. */
static uint64_t addr_salt;

static size_t addr_hash(uint64_t key, size_t mask)
{
    /* splitmix64's finaliser over the address and the salt. Fibonacci
     * hashing of the address alone (a fixed multiplier) let a damaged or
     * hostile trace put every address on one slot, so that each lookup
     * walked all of them: 300,000 calls took 43 s. Only speed depends on
     * the hash, never a figure. */
    uint64_t h = key ^ addr_salt;
    h = (h ^ (h >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    h = (h ^ (h >> 27)) * UINT64_C(0x94D049BB133111EB);
    return (size_t)(h ^ (h >> 31)) & mask;
}

static bool addr_map_init(addr_map *m, size_t capacity)
{
    if (addr_salt == 0u) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        addr_salt = ((uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 16 ^
                     (uint64_t)(uintptr_t)&ts) | 1u;
    }
    m->slots = calloc(capacity, sizeof *m->slots);
    m->mask = capacity - 1u;
    m->count = 0;
    return m->slots != NULL;
}

static addr_slot *addr_map_find(addr_map *m, uint64_t key)
{
    size_t i = addr_hash(key, m->mask);
    while (m->slots[i].key != 0) {
        if (m->slots[i].key == key) {
            return &m->slots[i];
        }
        i = (i + 1u) & m->mask;
    }
    return NULL;
}

static bool addr_map_grow(addr_map *m)
{
    addr_map bigger;
    size_t i;
    if (!addr_map_init(&bigger, 2u * (m->mask + 1u))) {
        return false;
    }
    for (i = 0; i <= m->mask; i++) {
        if (m->slots[i].key != 0) {
            size_t j = addr_hash(m->slots[i].key, bigger.mask);
            while (bigger.slots[j].key != 0) {
                j = (j + 1u) & bigger.mask;
            }
            bigger.slots[j] = m->slots[i];
            bigger.count++;
        }
    }
    free(m->slots);
    *m = bigger;
    return true;
}

/* Inserts or replaces; returns false on out of memory. *replaced tells
 * whether the key was live already (its old block is then left allocated). */
static bool addr_map_put(addr_map *m, uint64_t key, void *payload, uint64_t size_bytes, uint64_t held_bytes,
                         addr_slot *replaced)
{
    size_t i;
    replaced->key = 0;
    if (2u * (m->count + 1u) > m->mask + 1u && !addr_map_grow(m)) {
        return false;
    }
    i = addr_hash(key, m->mask);
    while (m->slots[i].key != 0 && m->slots[i].key != key) {
        i = (i + 1u) & m->mask;
    }
    if (m->slots[i].key == key) {
        *replaced = m->slots[i];
    } else {
        m->count++;
    }
    m->slots[i].key = key;
    m->slots[i].block = payload;
    m->slots[i].size_bytes = size_bytes;
    m->slots[i].held_bytes = held_bytes;
    return true;
}

/* Removes key (linear probing with backward-shift deletion: no tombstones,
 * so lookups stay short in long traces). Returns false if it was not there. */
static bool addr_map_take(addr_map *m, uint64_t key, addr_slot *out)
{
    addr_slot *s = addr_map_find(m, key);
    size_t hole, i;
    if (s == NULL) {
        return false;
    }
    *out = *s;
    hole = (size_t)(s - m->slots);
    i = hole;
    for (;;) {
        size_t home;
        i = (i + 1u) & m->mask;
        if (m->slots[i].key == 0) {
            break;
        }
        home = addr_hash(m->slots[i].key, m->mask);
        /* Move slot i into the hole unless its home lies cyclically in (hole, i]. */
        if (((i - home) & m->mask) >= ((i - hole) & m->mask)) {
            m->slots[hole] = m->slots[i];
            hole = i;
        }
    }
    m->slots[hole].key = 0;
    m->count--;
    return true;
}

/* ---- The heap map at one moment ----------------------------------------------- */

bool heap_map_add(heap_map *map, uint64_t offset_bytes, uint64_t size_bytes, bool used, unsigned region_index)
{
    if (map->count == map->capacity) {
        size_t capacity = map->capacity == 0u ? 256u : 2u * map->capacity;
        map_block *bigger = realloc(map->blocks, capacity * sizeof *bigger);
        if (bigger == NULL) {
            return false;
        }
        map->blocks = bigger;
        map->capacity = capacity;
    }
    map->blocks[map->count].offset_bytes = offset_bytes;
    map->blocks[map->count].size_bytes = size_bytes;
    map->blocks[map->count].used = used;
    map->blocks[map->count].region = region_index;
    map->count++;
    if (offset_bytes + size_bytes > map->span_bytes) {
        map->span_bytes = offset_bytes + size_bytes;
    }
    return true;
}

void heap_map_free(heap_map *map)
{
    free(map->blocks);
    memset(map, 0, sizeof *map);
}

typedef struct walk_context {
    const unsigned char *first_block; /* NULL until the first block is seen */
    heap_map *map;
    bool out_of_memory;
    bool first_only;
} walk_context;

static bool walk_collect(void *context, const bh_block_info *info)
{
    walk_context *w = context;
    const unsigned char *start = (const unsigned char *)block_from_payload(info->ptr);
    if (w->first_block == NULL) {
        w->first_block = start;
    }
    if (w->first_only) {
        return false;
    }
    if (!heap_map_add(w->map, (uint64_t)(start - w->first_block), info->size_bytes, info->used, info->region)) {
        w->out_of_memory = true;
        return false;
    }
    return true;
}

/* ---- The replay ------------------------------------------------------------------ */

typedef struct replay_state {
    bh_heap *heap;
    const unsigned char *memory;
    replay_result *result;
    uint64_t live_bytes; /* requested and not freed, in the trace */
    size_t held_bytes;   /* of which the replay holds blocks (less what failed here) */
    size_t live_blocks;
} replay_state;

/* Request sizes come from a 64-bit process; on a 32-bit build a size beyond
 * SIZE_MAX is a request no heap can serve, which bh_alloc() answers with NULL. */
static size_t size_from_trace(uint64_t size_bytes)
{
    return size_bytes > (uint64_t)SIZE_MAX ? SIZE_MAX : (size_t)size_bytes;
}

static void state_note_block(replay_state *s, void *payload)
{
    block *b = block_from_payload(payload);
    size_t end = (size_t)((const unsigned char *)b - s->memory) + block_size(b);
    if (end > s->result->peak_end_offset) {
        s->result->peak_end_offset = end;
    }
}

static void state_note_failure(replay_state *s, size_t index, const trace_op *op)
{
    replay_result *r = s->result;
    r->failures++;
    if (!r->failed) {
        bh_stats st;
        r->failed = true;
        r->first_failure.op_index = index;
        r->first_failure.op = op->op;
        r->first_failure.size_bytes = op->size_bytes;
        r->first_failure.align_log2 = op->op == BH_TRACE_ALIGNED ? op->align_log2 : 0u;
        r->first_failure.live_bytes = s->live_bytes;
        if (bh_get_stats(s->heap, &st)) {
            r->first_failure.free_bytes = st.free_bytes;
            r->first_failure.largest_free_bytes = st.largest_free_bytes;
        }
    }
}

static void *state_alloc(replay_state *s, const trace_op *op)
{
    size_t n = size_from_trace(op->size_bytes);
    if (op->op == BH_TRACE_ALIGNED) {
        /* An alignment beyond the address space of this build cannot be met. */
        if (op->align_log2 >= sizeof(size_t) * CHAR_BIT) {
            return NULL;
        }
        return bh_alloc_aligned(s->heap, (size_t)1 << op->align_log2, n);
    }
    /* calloc's zeroing changes nothing in the heap's layout: bh_alloc() is
     * the same block without writing the payload. */
    return bh_alloc(s->heap, n);
}

static bool state_live_add(replay_state *s, addr_map *m, uint64_t key, void *payload, uint64_t size_bytes,
                           uint64_t held_bytes)
{
    addr_slot old;
    if (!addr_map_put(m, key, payload, size_bytes, held_bytes, &old)) {
        return false;
    }
    if (old.key != 0) {
        /* The program got an address that is live in the trace: a free was
         * not recorded. Its block stays allocated (conservative). */
        s->result->reused_addresses++;
        s->live_bytes -= old.size_bytes;
        s->live_blocks--;
    }
    s->live_bytes += size_bytes;
    s->held_bytes += size_from_trace(held_bytes);
    s->live_blocks++;
    if (s->live_bytes > s->result->peak_live_bytes) {
        s->result->peak_live_bytes = s->live_bytes; /* state_step() notes the index */
    }
    if (s->live_blocks > s->result->peak_live_blocks) {
        s->result->peak_live_blocks = s->live_blocks;
    }
    return true;
}

static void state_live_remove(replay_state *s, const addr_slot *slot)
{
    s->live_bytes -= slot->size_bytes;
    s->held_bytes -= size_from_trace(slot->held_bytes);
    s->live_blocks--;
}

/* A free of the block recorded at key (free, or realloc to 0 bytes). */
static void state_free(replay_state *s, addr_map *m, uint64_t key)
{
    addr_slot slot;
    if (!addr_map_take(m, key, &slot)) {
        s->result->unknown_frees++;
        return;
    }
    state_live_remove(s, &slot);
    bh_free(s->heap, slot.block); /* NULL (the replay's allocation failed): nothing */
}

static bool state_sample(replay_state *s, size_t index)
{
    replay_result *r = s->result;
    replay_sample *sample;
    bh_stats st;
    if ((r->sample_count & (r->sample_count - 1u)) == 0u) {
        /* capacity doubles at every power of two */
        size_t capacity = r->sample_count == 0u ? 64u : 2u * r->sample_count;
        replay_sample *bigger;
        if (capacity < 64u) {
            capacity = 64u;
        }
        bigger = realloc(r->samples, capacity * sizeof *bigger);
        if (bigger == NULL) {
            return false;
        }
        r->samples = bigger;
    }
    (void)bh_get_stats(s->heap, &st);
    sample = &r->samples[r->sample_count++];
    sample->op_index = index;
    sample->live_bytes = s->live_bytes;
    sample->held_bytes = s->held_bytes;
    sample->used_bytes = st.used_bytes;
    sample->free_bytes = st.free_bytes;
    sample->largest_free_bytes = st.largest_free_bytes;
    sample->free_blocks = st.free_blocks;
    sample->span_bytes = r->peak_end_offset > r->first_block_offset ? r->peak_end_offset - r->first_block_offset : 0u;
    return true;
}

static bool state_snapshot(replay_state *s)
{
    walk_context w;
    memset(&w, 0, sizeof w);
    w.map = &s->result->snapshot;
    (void)bh_walk(s->heap, walk_collect, &w);
    s->result->have_snapshot = !w.out_of_memory;
    return !w.out_of_memory;
}

/* Replays op; returns false on out of memory of the tool itself. */
static bool state_step(replay_state *s, addr_map *m, size_t index, const trace_op *op)
{
    replay_result *r = s->result;
    addr_slot slot;
    void *p;
    uint64_t held;
    uint64_t live_before = r->peak_live_bytes;

    switch (op->op) {
    case BH_TRACE_MALLOC:
    case BH_TRACE_CALLOC:
    case BH_TRACE_ALIGNED:
        if (op->result == 0u) {
            r->skipped_failed_in_trace++;
            return true;
        }
        if (op->size_bytes > UINT64_MAX - s->live_bytes) {
            r->bad_records++;
            return true;
        }
        r->allocs++;
        p = state_alloc(s, op);
        if (p == NULL) {
            state_note_failure(s, index, op);
        } else {
            state_note_block(s, p);
        }
        if (!state_live_add(s, m, op->result, p, op->size_bytes, p == NULL ? 0u : op->size_bytes)) {
            return false;
        }
        break;
    case BH_TRACE_FREE:
        r->frees++;
        state_free(s, m, op->arg);
        break;
    case BH_TRACE_REALLOC:
        if (op->arg == 0u) {
            trace_op as_malloc = *op;
            as_malloc.op = BH_TRACE_MALLOC;
            return state_step(s, m, index, &as_malloc);
        }
        r->reallocs++;
        if (op->size_bytes == 0u) { /* realloc(p, 0): a free */
            state_free(s, m, op->arg);
            break;
        }
        if (op->result == 0u) { /* failed when recorded: the block stayed */
            r->skipped_failed_in_trace++;
            return true;
        }
        /* Against the live bytes before the old block leaves them: no real
         * trace comes near (a 64-bit process has at most 2^57 bytes of
         * address space), and a refused record changes nothing. */
        if (op->size_bytes > UINT64_MAX - s->live_bytes) {
            r->bad_records++;
            return true;
        }
        if (!addr_map_take(m, op->arg, &slot)) {
            r->unknown_frees++;
            slot.key = 0;
            slot.block = NULL;
            slot.held_bytes = 0;
            p = state_alloc(s, op);
        } else {
            p = slot.block == NULL ? state_alloc(s, op)
                                   : bh_realloc(s->heap, slot.block, size_from_trace(op->size_bytes));
        }
        held = op->size_bytes;
        if (p == NULL) {
            state_note_failure(s, index, op);
            p = slot.block; /* bh_realloc() failing leaves the block as it was */
            held = slot.held_bytes;
        } else {
            state_note_block(s, p);
        }
        /* Only now: a failure's live bytes include the old block, which the
         * program held when it called. */
        if (slot.key != 0u) {
            state_live_remove(s, &slot);
        }
        if (!state_live_add(s, m, op->result, p, op->size_bytes, held)) {
            return false;
        }
        break;
    case BH_TRACE_END: /* the trace was closed: no call */
        return true;
    default:
        r->bad_records++;
        return true;
    }
    if (r->peak_live_bytes != live_before) {
        r->peak_live_op = index;
    }
    if (op->op != BH_TRACE_FREE) {
        bh_stats st;
        (void)bh_get_stats(s->heap, &st);
        /* The core's own peak sees both copies of a block moved by realloc. */
        if (st.peak_used_bytes > r->peak_used_bytes) {
            r->peak_used_bytes = st.peak_used_bytes;
            r->peak_used_op = index;
        }
    }
    return true;
}

static size_t map_failed_bytes;
static int map_failed_errno;

size_t replay_map_failure(int *error)
{
    *error = map_failed_errno;
    return map_failed_bytes;
}

static size_t page_bytes(void)
{
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (size_t)page : 4096u;
}

/* Where the heap starts: a multiple of the largest alignment the trace asks
 * for, a page at least. An aligned block lands where the absolute address
 * allows, and the blocks after it move with it: on mmap()'s page alignment
 * alone a replay came out differently from one run (and one --min-heap
 * probe) to the next. Past the power of two at or above the heap size no
 * larger alignment is needed: no multiple of it then lies inside the heap. */
static size_t heap_start_alignment(const trace_file *trace, size_t heap_bytes)
{
    size_t align = page_bytes();
    size_t wanted = trace->align_log2_max < sizeof(size_t) * CHAR_BIT ? (size_t)1 << trace->align_log2_max
                                                                        : SIZE_MAX / 2u + 1u;
    while (align < wanted && align < heap_bytes && align <= SIZE_MAX / 4u) {
        align *= 2u;
    }
    return align;
}

bool replay_run(const trace_file *trace, const replay_config *config, replay_result *result)
{
    replay_state s;
    addr_map map;
    walk_context w;
    bh_stats st;
    void *mapping, *memory;
    size_t i, align, map_bytes;
    bool ok = true;

    memset(result, 0, sizeof *result);
    result->heap_bytes = config->heap_bytes;
    result->first_failure.op_index = SIZE_MAX;
    /* Untouched pages of a large heap cost nothing: the core writes only
     * headers, and a replay never writes payloads except when realloc moves.
     * So the mapping is as large as aligning the start needs. */
    align = heap_start_alignment(trace, config->heap_bytes);
    map_bytes = config->heap_bytes;
    if (align > page_bytes()) {
        /* mmap() gives a page's alignment: the rest is taken off the front */
        map_bytes = config->heap_bytes > SIZE_MAX - align ? SIZE_MAX : config->heap_bytes + align - page_bytes();
    }
    /* mmap() refuses 0 bytes, which is no shortage of memory here: a heap of
     * 0 bytes (--heap 0, or --max-heap under one grain for --min-heap) is one
     * bh_init() refuses, like any heap too small for its control structure. */
    mapping = config->heap_bytes == 0u ? NULL
                                       : mmap(NULL, map_bytes, PROT_READ | PROT_WRITE,
                                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) {
        map_failed_bytes = config->heap_bytes;
        map_failed_errno = errno;
        return false;
    }
    memory = mapping == NULL ? NULL : (void *)(((uintptr_t)mapping + align - 1u) & ~(uintptr_t)(align - 1u));
    memset(&s, 0, sizeof s);
    s.memory = memory;
    s.result = result;
    s.heap = memory == NULL ? NULL : bh_init(memory, config->heap_bytes);
    if (s.heap == NULL) {
        result->init_failed = true;
        result->failed = true;
        result->failures = 1;
        result->first_failure.op_index = 0;
        if (mapping != NULL) {
            munmap(mapping, map_bytes);
        }
        return true;
    }
    (void)bh_get_stats(s.heap, &st);
    result->control_bytes = st.control_bytes;
    result->total_bytes = st.total_bytes;
    memset(&w, 0, sizeof w);
    w.first_only = true;
    (void)bh_walk(s.heap, walk_collect, &w);
    result->first_block_offset = w.first_block == NULL ? 0u : (size_t)(w.first_block - (const unsigned char *)memory);
    result->peak_end_offset = result->first_block_offset;

    if (!addr_map_init(&map, 1024u)) {
        munmap(mapping, map_bytes);
        return false;
    }
    for (i = 0; i < trace->op_count && ok; i++) {
        trace_op op;
        trace_get(trace, i, &op);
        ok = state_step(&s, &map, i, &op);
        result->ops_done = i + 1u;
        if (config->sample_every_ops != 0u && ((i + 1u) % config->sample_every_ops == 0u || i + 1u == trace->op_count)) {
            ok = ok && state_sample(&s, i);
        }
        if (i == config->snapshot_op) {
            ok = ok && state_snapshot(&s);
        }
        if (config->progress && (i & 0xFFFFu) == 0xFFFFu) {
            progress_note(false, "%s: op %zu of %zu (%zu%%)", config->progress_label, i + 1u, trace->op_count,
                          (size_t)((uint64_t)(i + 1u) * 100u / trace->op_count));
        }
        if (result->failed && config->stop_at_failure) {
            break;
        }
    }
    result->end_live_bytes = s.live_bytes;
    result->end_live_blocks = s.live_blocks;
    free(map.slots);
    munmap(mapping, map_bytes);
    return ok;
}

void replay_result_free(replay_result *result)
{
    free(result->samples);
    heap_map_free(&result->snapshot);
    memset(result, 0, sizeof *result);
}
