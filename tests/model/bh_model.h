/*
 * A reference model of a bareheap heap and an interpreter of operation
 * sequences decoded from a byte string.
 *
 * The model keeps a shadow map of the live blocks (address, requested size,
 * usable size, alignment, content seed) and the totals the heap's counters
 * must agree with. Every operation's answer is checked against it:
 *   - a new block is aligned (to bh_alignment() and to the alignment asked
 *     for), lies inside one region, overlaps no other live block, and has
 *     bh_usable_size() >= the request (and not much more: blocks are sized
 *     to the request);
 *   - calloc memory is zero; realloc keeps min(old, new) bytes of content,
 *     shrinks in place, keeps an aligned block's alignment, and on failure
 *     leaves the block and its contents as they were;
 *   - a request no larger than bh_stats.largest_free_bytes never fails;
 *   - a failed or rejected call changes no counter but failed_count or
 *     error_count;
 *   - an aligned block's free front is the least gap that aligns it and can
 *     stand as a block;
 *   - misuse (double free, foreign and misaligned pointers, an interior
 *     pointer behind a word that reads as a header) is reported with the
 *     right kind and leaves the heap as it was (BAREHEAP_DEBUG >= 1);
 *   - the counters equal the model's totals after every step (live blocks,
 *     allocation, free and failure counts, used + free == total), and
 *     every check_every steps bh_check() finds nothing, the walk's used
 *     blocks are the model's live blocks in address order, each as large as
 *     its usable size and alignment word make it, and largest_free_bytes is
 *     what the top class's first BAREHEAP_PROBE_LIMIT blocks serve;
 *   - freeing everything gives back the initial free space, one free block
 *     per region;
 *   - bh_trim() offers only memory outside every live block, at most one
 *     range per region, and the heap works on after that memory has been
 *     scribbled over.
 *
 * Plain C99, no stdio, no malloc: usable from a libFuzzer entry point, from a
 * seeded stress driver and on a bare-metal target. A failed property is
 * reported once through the options' fail callback and stops the run.
 *
 * Input format: a sequence of operations, each an opcode byte followed by
 * its argument bytes; input that runs out mid-operation reads as zeros, and
 * every byte string is a valid program (see bh_model.c for the encoding).
 */
#ifndef BH_MODEL_H
#define BH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bareheap.h"
#include "bareheap_config.h"

#define BHM_MAX_SLOTS 256u

/* What went wrong: the step (operation index from 0), its name, the
 * property that did not hold, and two values involved (addresses, sizes). */
typedef struct bhm_failure {
    unsigned long step;
    const char *op;
    const char *what;
    uintptr_t a;
    uintptr_t b;
} bhm_failure;

typedef void (*bhm_fail_fn)(void *context, const bhm_failure *failure);

typedef struct bhm_options {
    unsigned slots;       /* live-block slots, 1..BHM_MAX_SLOTS (0: BHM_MAX_SLOTS) */
    unsigned check_every; /* bh_check() and a walk every n steps (0: only at the end) */
    bool misuse;          /* generate misuse operations (needs BAREHEAP_DEBUG >= 1) */
    bhm_fail_fn fail;     /* told about the first failure; may be NULL */
    void *fail_context;
} bhm_options;

typedef struct bhm_slot {
    unsigned char *p; /* NULL: empty */
    size_t size;      /* bytes requested */
    size_t usable;    /* bh_usable_size() when handed out */
    size_t align;     /* alignment asked for, 0 for plain blocks */
    uint32_t seed;    /* content pattern */
} bhm_slot;

typedef struct bhm_region {
    uintptr_t base; /* the memory given to init or add_region */
    uintptr_t end;
    size_t free_below; /* bytes below base that no region uses */
} bhm_region;

typedef struct bhm_model {
    bhm_options opt;
    bh_heap *heap;
    unsigned char *arena; /* the heap's first region, then added regions */
    size_t arena_bytes;
    size_t arena_used;
    size_t heap_bytes;
    bhm_region region[BAREHEAP_MAX_REGIONS];
    unsigned region_count;
    bhm_slot slot[BHM_MAX_SLOTS];
    uint16_t order[BHM_MAX_SLOTS]; /* slot indices by address, kept by model_check() */
    size_t live;
    /* expected counters */
    uint32_t alloc_count, free_count, failed_count, error_count;
    size_t heap_bytes_total;
    /* the water marks: highest used and lowest free figure since init, a
     * moving realloc's moment with both copies included */
    size_t peak_used, min_free;
    bh_stats initial;
    /* error handler log */
    uint32_t errors_seen;
    bh_error last_error;
    const void *last_error_address;
    /* progress */
    unsigned long steps;
    uint32_t seed_counter;
    bool failed;
    /* the byte string being decoded */
    const uint8_t *data;
    size_t data_bytes;
    size_t pos;
    const char *op;
} bhm_model;

/* Makes a heap of heap_bytes at arena + offset and resets the model; the rest
 * of the arena (after offset + heap_bytes) is used for added regions.
 * Returns false (after reporting) if bh_init() fails or the heap is not as
 * documented when fresh. */
bool bhm_init(bhm_model *m, const bhm_options *opt, void *arena, size_t arena_bytes, size_t offset,
              size_t heap_bytes);

/* Decodes and runs every operation in data. Returns false at the first
 * failure. Can be called again to run more operations on the same heap. */
bool bhm_run(bhm_model *m, const uint8_t *data, size_t data_bytes);

/* Frees every live block (checking its contents), then checks that the heap
 * is back to its initial free space: no live block, one free block per
 * region, and on a one-region heap the largest request that succeeds is the
 * free space minus one header. Returns false at the first failure. */
bool bhm_finish(bhm_model *m);

/* Smallest heap_bytes bhm_init() accepts for the model's own needs. */
size_t bhm_min_heap_bytes(void);

#endif /* BH_MODEL_H */
