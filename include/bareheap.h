/*
 * bareheap: dynamic memory allocation for systems without an operating system.
 *
 * A two-level segregated fit (TLSF) allocator. At BAREHEAP_DEBUG 0 and 1 (the
 * default) every call below runs in bounded time: no loop in alloc, free,
 * realloc or aligned alloc depends on how many blocks the heap holds. The only
 * loops are over compile-time constants (BAREHEAP_PROBE_LIMIT blocks of one
 * size class, BAREHEAP_MAX_REGIONS regions). Level 2 adds time in proportion to
 * the bytes handed out or freed (poison and canaries are written and checked);
 * level 3 runs bh_check() after every call that changes the heap, O(number of
 * blocks).
 * bh_check() and bh_walk() visit every block and are O(number of blocks).
 *
 * Two interfaces share one implementation:
 *   bh_*    explicit heap handles: as many independent heaps as you like.
 *   heap_*  one default heap, for code that wants a plain malloc replacement.
 *
 * Alignment: every pointer returned is aligned to bh_alignment() bytes
 * (BAREHEAP_ALIGN_BYTES: alignof(max_align_t) of the target by default, 16 on
 * x86, RISC-V and 64-bit targets, 8 on 32-bit ARM). bh_alloc_aligned() gives
 * more.
 *
 * Locking and ISR rules
 *   Without a lock (the default) calls on the same heap must not run
 *   concurrently, and must not be made from an interrupt handler that can
 *   preempt another call on the same heap; calls on different heaps are
 *   independent. bh_set_lock() gives a heap a lock: every call on it except
 *   bh_init*, bh_set_lock and the size queries then runs its whole body
 *   between one lock() and one unlock(), never nested, so a non-recursive
 *   mutex, a spinlock or an interrupt mask all serve. With an interrupt mask
 *   as the lock (port/locks/), every call is safe from the interrupt
 *   handlers it masks (on Cortex-M not NMI or HardFault, which PRIMASK does
 *   not mask, and only from privileged code: unprivileged code cannot set
 *   PRIMASK, and the CPU ignores its attempt), and interrupts stay masked
 *   for the call's bounded time: calloc zeroes outside the lock, but a
 *   realloc that moves the block copies it under the lock (O(size)),
 *   bh_check() and bh_walk() hold it for O(number of blocks), and at
 *   BAREHEAP_DEBUG 2 and 3 every call poisons or checks whole blocks, or
 *   the whole heap, under it. The error handler and the bh_walk() and
 *   bh_trim() callbacks run with the lock held and must not call into the
 *   same heap.
 *   Built with BAREHEAP_LOCK_HOOKS 0, a heap has no hooks (bh_set_lock()
 *   returns false) and the lock is the configuration's, the same for every
 *   heap: BAREHEAP_LOCK_ENTER(heap) and BAREHEAP_LOCK_EXIT(heap, state)
 *   around the same bodies as above, each exit given its own enter's state,
 *   so a call nested from an error handler or callback into another heap
 *   restores in turn (port/locks/bareheap_lock_mask_in_line.h compiles the
 *   interrupt mask in that way); or no lock if they are not defined.
 *
 * Undefined behaviour, common to every call: passing a bh_heap pointer not
 * returned by bh_init()/bh_init_ex(), using a heap after its memory has been
 * reused, writing outside an allocated block (detected on a best-effort basis,
 * see bh_check()), and freeing a pointer whose block has since been handed out
 * again (indistinguishable from a valid free), and, below BAREHEAP_DEBUG 2,
 * giving free/realloc/usable_size an interior pointer (or one into memory
 * bh_trim() offered) whose preceding word the program set to a value that
 * reaches a real block boundary: pointer validation reads only that word and
 * its neighbours, and takes it for a header. (From BAREHEAP_DEBUG 2 up the
 * seal, keyed by the block's address, refuses it, but for a coincidence of
 * about the block's capacity in 2^(bits in a word).) At BAREHEAP_DEBUG 0 no pointer
 * is validated: every bad-pointer case below is undefined there.
 */
#ifndef BAREHEAP_H
#define BAREHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BAREHEAP_VERSION_MAJOR 0
#define BAREHEAP_VERSION_MINOR 1
#define BAREHEAP_VERSION_PATCH 0

/* An independent heap. Opaque: it lives at the start of the memory given to
 * bh_init(), and its size depends on that memory's size (bh_control_size()). */
typedef struct bh_heap bh_heap;

/* What the error handler is told about. Every kind is reported with the
 * address it concerns; the call that found it leaves the heap unmodified. */
typedef enum bh_error {
    BH_ERROR_NONE = 0,
    BH_ERROR_INVALID_POINTER, /* not a block of this heap: foreign, interior, or garbage */
    BH_ERROR_MISALIGNED,      /* not aligned to bh_alignment(): cannot be a block */
    BH_ERROR_DOUBLE_FREE,     /* the block is already free */
    BH_ERROR_OVERFLOW,        /* a write past the end of a block was detected */
    BH_ERROR_USE_AFTER_FREE,  /* a free block was written to */
    BH_ERROR_CORRUPTION       /* a heap structure is inconsistent (bh_check()) */
} bh_error;

/* Called once per detected problem, in the context of the call that found it
 * (so possibly with interrupts masked or a lock held). It must not call back
 * into the same heap. It may return (the call then returns its documented
 * failure value) or not return (reset, trap). Leaving by longjmp skips the
 * rest of the call, the unlock of a heap with a lock (bh_set_lock) included:
 * such a handler must call that unlock itself before it jumps, or every later
 * call on the heap waits for the lock (or runs with interrupts masked); with
 * a lock compiled in (BAREHEAP_LOCK_HOOKS 0) it releases it as the port does
 * (an interrupt mask: restored to what it was where the jump lands). Up to
 * BAREHEAP_DEBUG 2, every kind but BH_ERROR_CORRUPTION is found before the
 * call changes anything, so the heap is then as the call found it; at 3 the
 * full check after each call may report any kind once the call is done (a
 * jump then loses what the call returns, an allocated block included). */
typedef void (*bh_error_fn)(void *context, bh_error kind, const void *address);

/* O(1) counters, updated by every call. All sizes are in bytes of blocks,
 * headers included, so that used_bytes + free_bytes == total_bytes holds at
 * every point between calls. */
typedef struct bh_stats {
    size_t heap_bytes;         /* memory handed to init and add_region, in total */
    size_t control_bytes;      /* of which the control structure takes this much */
    size_t total_bytes;        /* bytes in blocks: heap_bytes minus control, alignment and sentinels */
    size_t used_bytes;         /* bytes in allocated blocks, headers included */
    size_t free_bytes;         /* bytes in free blocks */
    size_t peak_used_bytes;    /* highest used_bytes since init */
    size_t min_free_bytes;     /* lowest free_bytes since init */
    size_t largest_free_bytes; /* largest request that bh_alloc() is sure to serve now */
    size_t live_blocks;        /* allocated blocks not yet freed */
    size_t free_blocks;        /* free blocks (a measure of fragmentation) */
    size_t region_count;       /* regions: the one given to init plus added ones */
    uint32_t alloc_count;      /* successful allocations: alloc, calloc, aligned, and a realloc
                                * that takes a new block (not one resized in place or moved
                                * into the free block before it) */
    uint32_t free_count;       /* successful frees, with realloc's of the old block it left
                                * and realloc to 0 */
    uint32_t failed_count;     /* allocation requests that returned NULL */
    uint32_t error_count;      /* problems reported to the error handler */
} bh_stats;

/* One block, as bh_walk() reports it. */
typedef struct bh_block_info {
    void *ptr;          /* the payload: what bh_alloc() returned for a used block */
    size_t size_bytes;  /* the whole block, header included */
    size_t usable_bytes;/* used: what bh_usable_size() reports for it; free: the largest
                         * request it could serve on its own (both at most PTRDIFF_MAX) */
    bool used;
    unsigned region;    /* index of the region, 0 for the one given to init */
} bh_block_info;

/* A lock or unlock hook (bh_set_lock()). */
typedef void (*bh_lock_fn)(void *context);

/* Return true to go on, false to stop the walk. */
typedef bool (*bh_walk_fn)(void *context, const bh_block_info *block);

/* Told of free bytes [lo, lo + size_bytes) it may discard (bh_trim()). */
typedef void (*bh_trim_fn)(void *context, void *lo, size_t size_bytes);

/* --- Instance API --------------------------------------------------------- */

/* Makes a heap in [mem, mem + size_bytes). The control structure is placed at
 * the start (aligned up: a misaligned mem is fine) and sized for this region:
 * bh_control_size(size_bytes) bytes. The rest is one free block.
 * Returns the handle (inside mem), or NULL when mem is NULL, the region wraps
 * past the top of the address space (memory that ends exactly there is
 * fine: its last grain is left unused, since its end has no address), or it
 * is too small (size_bytes 0 included) for the control structure plus one
 * block of the minimum size. The new heap has no
 * lock and no error handler. Not serialised: no other call may use this
 * memory meanwhile; memory still in use by a live heap or anything else is
 * undefined behaviour. O(log size): clears the free-list table. */
bh_heap *bh_init(void *mem, size_t size_bytes);

/* As bh_init(), with the size-class table sized for blocks up to
 * max_region_bytes (if larger than size_bytes), so that regions added later
 * that are larger than the first one are served at full speed. Without it,
 * blocks larger than the first region all fall into its top size class.
 * The control structure is then bh_control_size(max_region_bytes) bytes,
 * taken from mem. A max_region_bytes at or below size_bytes (0 included)
 * changes nothing. Otherwise as bh_init(). O(log max(size_bytes,
 * max_region_bytes)). */
bh_heap *bh_init_ex(void *mem, size_t size_bytes, size_t max_region_bytes);

/* Allocates size_bytes. Returns a pointer aligned to bh_alignment(), or NULL
 * when no free block is large enough, size_bytes is beyond any block this
 * heap could have, or it is above PTRDIFF_MAX (C's pointer arithmetic
 * cannot span a larger object; only a 32-bit heap above 2 GiB could hold
 * one). size_bytes == 0 returns a unique minimal block that must be freed
 * like any other.
 * NULL heap: returns NULL. O(1) plus at most BAREHEAP_PROBE_LIMIT blocks of
 * the request's own class probed before a failure. The block is sized to the
 * request, never to its size class. */
void *bh_alloc(bh_heap *heap, size_t size_bytes);

/* Allocates count * size_bytes zeroed bytes. NULL when the product overflows
 * size_t (counted in failed_count), otherwise as bh_alloc(): NULL heap gives
 * NULL, a product of 0 a unique minimal block, aligned to bh_alignment().
 * O(1) plus O(n) zeroing, which runs outside the heap's lock. */
void *bh_calloc(bh_heap *heap, size_t count, size_t size_bytes);

/* Allocates size_bytes aligned to align_bytes, which must be a power of two.
 * Alignments up to bh_alignment() cost nothing extra; larger ones search for a
 * block with align_bytes of slack, give the unused front back to the heap, and
 * keep one more word at the end of the block to remember the alignment.
 * Returns NULL when align_bytes is 0 or not a power of two, or as bh_alloc(),
 * whose largest request is lower here by up to 3 words and a minimum block
 * (bh_min_block_size()), so that the search size cannot wrap.
 * The block can be realloc'ed and keeps its alignment; free it with bh_free().
 * O(1): two searches that share the probes of bh_alloc(), first for a block
 * that fits at any address ((BAREHEAP_PROBE_LIMIT + 1) / 2 blocks of its
 * class), then for one that fits at its own (BAREHEAP_PROBE_LIMIT / 2, at
 * least 1); a fitting block beyond them is not found. */
void *bh_alloc_aligned(bh_heap *heap, size_t align_bytes, size_t size_bytes);

/* Frees a block. NULL ptr or NULL heap: does nothing. A pointer that is not a
 * live block of this heap (foreign, interior, misaligned, already free) is
 * reported to the error handler with its kind (BH_ERROR_INVALID_POINTER,
 * _MISALIGNED, _DOUBLE_FREE) and the heap is left as it was; detection reads
 * only the block's header and its neighbours', O(1). A pointer freed before
 * whose memory a later block now covers is reported as a double free or as
 * invalid, as the word that was its header reads now, unless the later
 * block begins where it did: that block is then freed, unreported (its
 * address is a live block's). At BAREHEAP_DEBUG >= 2 an overflow past the
 * block's request (BH_ERROR_OVERFLOW) and a damaged free-list link of a free
 * neighbour (BH_ERROR_USE_AFTER_FREE) are refused the same way. The block
 * merges at once with free neighbours. O(1). */
void bh_free(bh_heap *heap, void *ptr);

/* Resizes a block, keeping min(old usable size, size_bytes) bytes of content.
 * NULL heap: returns NULL. ptr NULL: bh_alloc(), so realloc(NULL, 0) is
 * bh_alloc(0), a minimal block to free. size_bytes 0 with a block: frees
 * ptr and returns NULL. Tried in order: shrink in place (giving the tail
 * back), grow in place into a free next block, grow into a free previous
 * block (moving the data down), then allocate, copy and free. A block from
 * bh_alloc_aligned() keeps its alignment (it moves into a free previous
 * block only where that block's payload already meets it). On failure
 * returns NULL and ptr stays valid with its contents. An invalid ptr is reported as in bh_free()
 * and NULL is returned. While a block is moved both copies exist, so
 * peak_used_bytes counts both. O(1) plus the copy. */
void *bh_realloc(bh_heap *heap, void *ptr, size_t size_bytes);

/* Bytes usable at ptr: at least what was requested, often a little more
 * (at BAREHEAP_DEBUG >= 2 exactly what was requested: the canary follows),
 * never above PTRDIFF_MAX (the largest request: a block served for one
 * near it holds a few bytes more, which are not reported).
 * NULL heap or ptr: 0. An invalid ptr is reported as in bh_free() and 0
 * returned. O(1). */
size_t bh_usable_size(bh_heap *heap, void *ptr);

/* Adds [mem, mem + size_bytes) to the heap; it need not be adjacent to other
 * regions. Returns false, changing nothing, when heap or mem is NULL, the
 * region wraps past the top of the address space (as bh_init_ex()), is
 * too small for one block, overlaps memory this heap uses
 * (its control structure, blocks and sentinels; the few bytes of alignment
 * slack at the ends of a region are never written and may be given again), or
 * BAREHEAP_MAX_REGIONS regions are already in use. mem need not be aligned:
 * the region is aligned inward, its first block a word or more past mem and
 * its sentinel ending at the last grain boundary, which is mem + size_bytes
 * itself when that is aligned: the region's last word is then written.
 * Memory in use by anything else is undefined behaviour.
 * O(BAREHEAP_MAX_REGIONS). */
bool bh_add_region(bh_heap *heap, void *mem, size_t size_bytes);

/* Checks every invariant: block sizes and flags, footers, no two adjacent
 * free blocks, every free block in the list of its class, bitmaps agreeing
 * with the lists, counters agreeing with the blocks. Each problem is reported
 * to the error handler (BH_ERROR_CORRUPTION, or the specific kind) and counted.
 * A control structure whose region table or class table is inconsistent is
 * one problem, reported at the heap's address, and no block is read: its
 * bounds would lead outside the heap. Returns the number of problems, 0 for
 * a sound heap. Writes to no block (only error_count grows).
 * NULL heap: returns 1. O(number of blocks). */
size_t bh_check(bh_heap *heap);

/* Copies the counters to *stats. Returns false (and leaves *stats alone) when
 * heap or stats is NULL. O(1) (the largest-free figure probes at most
 * BAREHEAP_PROBE_LIMIT blocks). */
bool bh_get_stats(bh_heap *heap, bh_stats *stats);

/* Calls fn once per block of every region, until fn returns false: region
 * by region in the order they were given (the one to bh_init(), then each
 * bh_add_region()), whatever their addresses, and within a region in address
 * order. Stops early, without calling fn for it, at a block whose
 * header is inconsistent, and visits nothing when the control structure is
 * (as bh_check() finds it). Returns the number of blocks visited. fn must not
 * call into the heap. NULL heap or fn: 0, nothing called.
 * O(number of blocks). */
size_t bh_walk(bh_heap *heap, bh_walk_fn fn, void *context);

/* Offers free memory back to whoever supplied the heap's memory. For every
 * region whose last block is free, calls fn(context, lo, size_bytes) once
 * with the bytes of that block that the heap does not read (all but its
 * header, list links and footer), less the first keep_bytes of the block, if
 * any remain. fn may let those bytes change in any way before it returns:
 * give the pages back to the OS (madvise(MADV_DONTNEED)), power a RAM bank
 * down and up. It runs with the heap's lock held, so no allocation hands
 * them out meanwhile, and must not call into the heap; lo is not aligned to
 * anything (round it to pages). Returns the bytes offered in total.
 * NULL heap or fn: 0, nothing called. A region whose sentinel, last
 * block's footer and header disagree is reported (BH_ERROR_CORRUPTION) and
 * nothing of it offered; so is an inconsistent control structure (as
 * bh_check() finds it), and then nothing at all is offered. A later free of
 * a pointer into discarded memory is still refused, reported as an invalid
 * pointer (its old header may be gone) rather than a double free. At
 * BAREHEAP_DEBUG >= 2 free memory holds a poison pattern that allocations
 * check, so nothing is offered. Only the region's last block is looked at:
 * free memory below a used block stays. O(BAREHEAP_MAX_REGIONS) plus fn. */
size_t bh_trim(bh_heap *heap, size_t keep_bytes, bh_trim_fn fn, void *context);

/* Sets the function told about misuse and corruption (NULL: none, problems
 * are only counted in bh_stats.error_count). NULL heap: does nothing.
 * Runs under the heap's lock, if it has one. O(1). */
void bh_set_error_handler(bh_heap *heap, bh_error_fn fn, void *context);

/* Makes every later call on this heap run between lock(context) and
 * unlock(context) (see "Locking and ISR rules" above) and returns true. NULL
 * for both: no lock. Exactly one of them NULL, or a NULL heap: returns
 * false and changes nothing (a lock never released, or released unheld,
 * would hang or corrupt). Built with BAREHEAP_LOCK_HOOKS 0: returns false
 * and changes nothing (the lock, if any, is compiled in). Set it before the
 * heap is shared (before any other thread, core or interrupt handler can
 * call on it), and change it only when none can: it is not itself
 * serialised, and a call in flight could then take one hook and not the
 * other, leaving a lock held for good or a mask's nesting count wrapped,
 * interrupts masked from then on. O(1). */
bool bh_set_lock(bh_heap *heap, bh_lock_fn lock, bh_lock_fn unlock, void *context);

/* Size queries, independent of any heap: the ABI does not change with them.
 * O(1), no state read or written, so safe from any thread or interrupt
 * handler at any time. */
size_t bh_alignment(void);             /* alignment of every returned pointer */
size_t bh_block_overhead(void);        /* bytes of header (and, at BAREHEAP_DEBUG >= 2, seal) per allocation */
size_t bh_min_block_size(void);        /* smallest block, header included */
size_t bh_control_size(size_t region_bytes); /* control structure for this heap size */
const char *bh_error_name(bh_error kind);    /* "double free", ...; "unknown" for a value
                                                not in bh_error; never NULL */

/* --- Default heap --------------------------------------------------------- */
/* The same operations on one heap kept by the library. Before heap_init()
 * succeeds: heap_alloc/calloc/aligned/realloc return NULL, heap_free does
 * nothing, heap_usable_size returns 0, heap_add_region and heap_get_stats
 * return false, heap_check returns 1. Calling heap_init() again starts a new
 * heap; blocks of the old one must not be used with it, and it has neither
 * the old heap's lock nor its error handler (set them again on
 * heap_default()). A heap_init() that fails (returns false) leaves the
 * current default heap as it was. Each call has the contract, complexity
 * and locking of its bh_* counterpart on heap_default(); heap_init() itself,
 * like bh_init(), is not serialised: no other heap_* call may run meanwhile.
 * heap_init_ex() is heap_init() with bh_init_ex()'s class table, sized for
 * regions up to max_region_bytes, for a default heap that grows later by
 * regions larger than its first (see bh_init_ex()).
 * With BAREHEAP_DEFAULT_HEAP 0 none of these functions is compiled. */
bool heap_init(void *base, size_t size_bytes);
bool heap_init_ex(void *base, size_t size_bytes, size_t max_region_bytes);
void *heap_alloc(size_t size_bytes);
void heap_free(void *ptr);
void *heap_realloc(void *ptr, size_t size_bytes);
void *heap_calloc(size_t count, size_t size_bytes);
void *heap_alloc_aligned(size_t align_bytes, size_t size_bytes);
size_t heap_usable_size(void *ptr);
bool heap_add_region(void *base, size_t size_bytes);
size_t heap_check(void);
bool heap_get_stats(bh_stats *stats);
/* The handle of the default heap (NULL before heap_init()), for bh_walk()
 * and bh_set_error_handler(). */
bh_heap *heap_default(void);

#ifdef __cplusplus
}
#endif

#endif /* BAREHEAP_H */
