/*
 * Every build option of bareheap, with its default and its limits.
 *
 * To override, define BAREHEAP_CONFIG_HEADER to a header name (for example
 * -DBAREHEAP_CONFIG_HEADER='"my_heap_config.h"'), or define the options on the
 * compiler command line. 0/1 switches are tested with #if, so code that tests
 * a misspelt option name is an error under -Wundef. A misspelt name given
 * with -D is not detected: the option keeps its default.
 */
#ifndef BAREHEAP_CONFIG_H
#define BAREHEAP_CONFIG_H

#ifdef BAREHEAP_CONFIG_HEADER
#include BAREHEAP_CONFIG_HEADER
#endif

#include <stdint.h>

/* Alignment of every returned pointer and granule of every block size, bytes:
 * alignof(max_align_t) of the target (16 on x86 with glibc and on RISC-V,
 * whose long double is 16 bytes; 8 on 32-bit ARM), raise it for wider vector
 * types. Power of two, 8..4096 (larger alignments: bh_alloc_aligned()). */
#ifndef BAREHEAP_ALIGN_BYTES
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86) || \
    defined(__riscv) || (UINTPTR_MAX > 0xFFFFFFFFu)
#define BAREHEAP_ALIGN_BYTES 16
#else
#define BAREHEAP_ALIGN_BYTES 8
#endif
/* Set when the default above was taken: the core then checks it against the
 * target's widest scalar types, and stops the build on a 32-bit target this
 * list does not know whose long double needs 16 (PowerPC, for one). */
#define BAREHEAP_ALIGN_DEFAULTED 1
#endif

/* log2 of the number of second-level classes per power of two. More classes
 * waste less to rounding but enlarge the control structure (one pointer per
 * class). 2..5. The default is chosen from the fragmentation benchmark. */
#ifndef BAREHEAP_SL_LOG2
#define BAREHEAP_SL_LOG2 4
#endif

/* How many blocks of its own size class a request examines before it fails
 * (TLSF proper examines none, and fails while a fitting block exists).
 * Bounds the worst case of a failing or nearly failing allocation. 1..64.
 * The default is chosen from the benchmark's sweep (1,000 seeds on each of
 * seven heaps and size ranges, 32-bit): 1 probe let 15 first failures be
 * false, 2 one, 3 and more none. 4 keeps a probe of margin, and the worst
 * Cortex-M3 allocation stays the split of a fresh heap, not a probe (make
 * wcet). */
#ifndef BAREHEAP_PROBE_LIMIT
#define BAREHEAP_PROBE_LIMIT 4
#endif

/* 1: a request between two class minima first tries the first block of its
 * own size class, the closest fit found in O(1), before the head of a class
 * above. Less memory needed (measured: used at the first failure 0.912 ->
 * 0.923 of a 1 MiB Cortex-M4 heap; the hosted malloc's peak RSS 5-14% lower
 * on fragmenting programs) for a few more instructions in the worst calls
 * (Cortex-M3 -O2: alloc 123 -> 132, aligned 235 -> 242; the trade-off table
 * of docs/bench/results.md). 0 keeps the worst case lowest. */
#ifndef BAREHEAP_CLOSE_FIT
#define BAREHEAP_CLOSE_FIT 0
#endif

/* Regions one heap can hold: the one given to init plus added ones. Each costs
 * two words of control structure, and pointer validation scans them. 1..64. */
#ifndef BAREHEAP_MAX_REGIONS
#define BAREHEAP_MAX_REGIONS 8
#endif

/* Checking tier. 0: none. 1: O(1) validation of every pointer given to free,
 * realloc and usable_size (the default, release builds included). 2: also
 * free memory poisoned and checked when handed out again (use after free), and
 * its free-list links checked before they are followed, a canary and seal
 * after every payload checked on free, realloc and bh_check() (overflow), one
 * more word per block, and internal asserts; costs time in proportion to the
 * bytes allocated or freed, and a scan of the regions per link checked. 3:
 * also a full bh_check() after every call that changes the heap (init, add
 * region, alloc, calloc, aligned alloc, free, realloc; O(n): for tests and
 * debugging only). */
#ifndef BAREHEAP_DEBUG
#define BAREHEAP_DEBUG 1
#endif

/* 1: use the compiler's count-leading/trailing-zeros builtins; 0: a portable
 * table-based fallback, for cores without a CLZ instruction, where the
 * builtins become calls of libgcc's __clzsi2/__ctzsi2 (ARMv6-M, RISC-V
 * without Zbb): on RV32IMAC the fallback took the worst alloc from 236 to 198
 * instructions when it became the default (make wcet at fb5f2f0; the README
 * has today's figures). The default follows the target's CLZ. */
#ifndef BAREHEAP_USE_BUILTINS
#if !(defined(__GNUC__) || defined(__clang__))
#define BAREHEAP_USE_BUILTINS 0
#elif defined(__riscv) && !defined(__riscv_zbb)
#define BAREHEAP_USE_BUILTINS 0
#elif defined(__arm__) && !defined(__ARM_FEATURE_CLZ)
#define BAREHEAP_USE_BUILTINS 0
#else
#define BAREHEAP_USE_BUILTINS 1
#endif
#endif

/* 1: keep the default heap (heap_* functions); 0: leave it out, saving one
 * pointer of RAM and its code, for users of the bh_* handles only. */
#ifndef BAREHEAP_DEFAULT_HEAP
#define BAREHEAP_DEFAULT_HEAP 1
#endif

/* 1: tell AddressSanitizer which heap bytes a program may touch (live
 * payloads) and which not (free blocks but for their header word; at
 * BAREHEAP_DEBUG >= 2 also the canary after each request), so that a use
 * after free or an overflow inside a bareheap heap is reported by ASan.
 * Needs -fsanitize=address. Memory given to a heap stays poisoned where it
 * was free until it is given to bh_init() or bh_add_region() again. */
#ifndef BAREHEAP_ASAN
#define BAREHEAP_ASAN 0
#endif

/* 1: the same for Valgrind's memcheck, through its client requests (needs
 * <valgrind/memcheck.h>, so hosted builds only; costs a few instructions per
 * call when not running under Valgrind). Not together with BAREHEAP_ASAN. */
#ifndef BAREHEAP_VALGRIND
#define BAREHEAP_VALGRIND 0
#endif

/* 1: a heap takes the lock functions given to bh_set_lock() (a pointer
 * test per call while it has none, two at -Os). 0: no such hooks, and three
 * words less in the control structure (rounded to a grain); every call then
 * runs between BAREHEAP_LOCK_ENTER and BAREHEAP_LOCK_EXIT, a lock compiled
 * in line for every heap, if the configuration defines them (an interrupt
 * mask costs a few instructions per call that way, against a hook's call,
 * body and return), else under no lock at all. Define the three together,
 * only with this option at 0:
 *   BAREHEAP_LOCK_STATE             the type ENTER yields and EXIT is given
 *                                   (a scalar or a structure)
 *   BAREHEAP_LOCK_ENTER(heap)       takes the lock; an expression of that type
 *   BAREHEAP_LOCK_EXIT(heap, state) releases it, given ENTER's value (an
 *                                   expression or a statement)
 * Expanded in line, unlike a hook called through a pointer, ENTER and EXIT
 * must each be a compiler barrier (asm volatile with a "memory" clobber),
 * and an acquire and a release on several cores: otherwise the compiler may
 * move heap accesses out of the lock.
 * port/locks/ has them for the Cortex-M and RISC-V interrupt masks. */
#ifndef BAREHEAP_LOCK_HOOKS
#define BAREHEAP_LOCK_HOOKS 1
#endif

/* 1: the free lists are kept without branches on whether a list was or
 * becomes empty (it sets a class's bits on every insert, and clears them
 * with a mask on every unlink), and sizes are mapped to their lists without
 * a branch on whether they are below the first power of two split into
 * classes, for cores that predict branches and pay for a wrong guess: on
 * random workloads those branches go either way. 0: with them, fewer
 * instructions, for cores where a call's instructions are its time. The
 * default is 1 on x86-64 only, where it was measured (the headline of
 * docs/bench/results.md, its BAREHEAP_BRANCHLESS_LISTS=0 row and note: less
 * time per op, paired round by round, for 18 to 26 more instructions per
 * call); elsewhere 1 would add 12 to 23 instructions to the worst alloc and
 * free, 10 to 33 to the worst realloc and aligned alloc (Cortex-M3 and RV32:
 * make wcet's harness; the alloc and free figures are in the same note).
 * Other cores that predict branches (32-bit x86, Cortex-A, application
 * RISC-V) may gain as x86-64 does; unmeasured, they keep 0. Placement is the
 * same either way. */
#ifndef BAREHEAP_BRANCHLESS_LISTS
#if defined(__x86_64__) || defined(_M_X64)
#define BAREHEAP_BRANCHLESS_LISTS 1
#else
#define BAREHEAP_BRANCHLESS_LISTS 0
#endif
#endif

/* ---- Validation ---- */
/* An option defined with no value (#define BAREHEAP_DEBUG, or -D with an
 * empty make variable) would turn every test below into a syntax error:
 * ~(~x + 0) == 0 && ~(~x + 1) == 1 holds for an empty x and for no number. */
#if (~(~BAREHEAP_ALIGN_BYTES + 0) == 0) && (~(~BAREHEAP_ALIGN_BYTES + 1) == 1)
#error "BAREHEAP_ALIGN_BYTES is defined with no value; define it to a number"
#endif
#if (~(~BAREHEAP_SL_LOG2 + 0) == 0) && (~(~BAREHEAP_SL_LOG2 + 1) == 1)
#error "BAREHEAP_SL_LOG2 is defined with no value; define it to a number"
#endif
#if (~(~BAREHEAP_PROBE_LIMIT + 0) == 0) && (~(~BAREHEAP_PROBE_LIMIT + 1) == 1)
#error "BAREHEAP_PROBE_LIMIT is defined with no value; define it to a number"
#endif
#if (~(~BAREHEAP_CLOSE_FIT + 0) == 0) && (~(~BAREHEAP_CLOSE_FIT + 1) == 1)
#error "BAREHEAP_CLOSE_FIT is defined with no value; define it to a number"
#endif
#if (~(~BAREHEAP_MAX_REGIONS + 0) == 0) && (~(~BAREHEAP_MAX_REGIONS + 1) == 1)
#error "BAREHEAP_MAX_REGIONS is defined with no value; define it to a number"
#endif
#if (~(~BAREHEAP_DEBUG + 0) == 0) && (~(~BAREHEAP_DEBUG + 1) == 1)
#error "BAREHEAP_DEBUG is defined with no value; define it to a number"
#endif
#if (~(~BAREHEAP_USE_BUILTINS + 0) == 0) && (~(~BAREHEAP_USE_BUILTINS + 1) == 1)
#error "BAREHEAP_USE_BUILTINS is defined with no value; define it to a number"
#endif
#if (~(~BAREHEAP_DEFAULT_HEAP + 0) == 0) && (~(~BAREHEAP_DEFAULT_HEAP + 1) == 1)
#error "BAREHEAP_DEFAULT_HEAP is defined with no value; define it to a number"
#endif
#if (~(~BAREHEAP_ASAN + 0) == 0) && (~(~BAREHEAP_ASAN + 1) == 1)
#error "BAREHEAP_ASAN is defined with no value; define it to a number"
#endif
#if (~(~BAREHEAP_VALGRIND + 0) == 0) && (~(~BAREHEAP_VALGRIND + 1) == 1)
#error "BAREHEAP_VALGRIND is defined with no value; define it to a number"
#endif
#if (~(~BAREHEAP_LOCK_HOOKS + 0) == 0) && (~(~BAREHEAP_LOCK_HOOKS + 1) == 1)
#error "BAREHEAP_LOCK_HOOKS is defined with no value; define it to a number"
#endif
#if (~(~BAREHEAP_BRANCHLESS_LISTS + 0) == 0) && (~(~BAREHEAP_BRANCHLESS_LISTS + 1) == 1)
#error "BAREHEAP_BRANCHLESS_LISTS is defined with no value; define it to a number"
#endif
#if (BAREHEAP_ALIGN_BYTES < 8) || (BAREHEAP_ALIGN_BYTES & (BAREHEAP_ALIGN_BYTES - 1))
#error "BAREHEAP_ALIGN_BYTES must be a power of two, at least 8"
#endif
#if (BAREHEAP_ALIGN_BYTES > 4096)
#error "BAREHEAP_ALIGN_BYTES above 4096 is not supported; use bh_alloc_aligned()"
#endif
#if (BAREHEAP_SL_LOG2 < 2) || (BAREHEAP_SL_LOG2 > 5)
#error "BAREHEAP_SL_LOG2 must be 2..5"
#endif
#if (BAREHEAP_PROBE_LIMIT < 1) || (BAREHEAP_PROBE_LIMIT > 64)
#error "BAREHEAP_PROBE_LIMIT must be 1..64"
#endif
#if (BAREHEAP_CLOSE_FIT != 0) && (BAREHEAP_CLOSE_FIT != 1)
#error "BAREHEAP_CLOSE_FIT must be 0 or 1"
#endif
#if (BAREHEAP_MAX_REGIONS < 1) || (BAREHEAP_MAX_REGIONS > 64)
#error "BAREHEAP_MAX_REGIONS must be 1..64"
#endif
#if (BAREHEAP_DEBUG < 0) || (BAREHEAP_DEBUG > 3)
#error "BAREHEAP_DEBUG must be 0..3"
#endif
#if (BAREHEAP_USE_BUILTINS != 0) && (BAREHEAP_USE_BUILTINS != 1)
#error "BAREHEAP_USE_BUILTINS must be 0 or 1"
#endif
#if (BAREHEAP_VALGRIND != 0) && (BAREHEAP_VALGRIND != 1)
#error "BAREHEAP_VALGRIND must be 0 or 1"
#endif
#if BAREHEAP_VALGRIND && BAREHEAP_ASAN
#error "BAREHEAP_VALGRIND and BAREHEAP_ASAN exclude each other"
#endif
#if (BAREHEAP_ASAN != 0) && (BAREHEAP_ASAN != 1)
#error "BAREHEAP_ASAN must be 0 or 1"
#endif
#if (BAREHEAP_DEFAULT_HEAP != 0) && (BAREHEAP_DEFAULT_HEAP != 1)
#error "BAREHEAP_DEFAULT_HEAP must be 0 or 1"
#endif
#if (BAREHEAP_LOCK_HOOKS != 0) && (BAREHEAP_LOCK_HOOKS != 1)
#error "BAREHEAP_LOCK_HOOKS must be 0 or 1"
#endif
#if (BAREHEAP_BRANCHLESS_LISTS != 0) && (BAREHEAP_BRANCHLESS_LISTS != 1)
#error "BAREHEAP_BRANCHLESS_LISTS must be 0 or 1"
#endif
#if defined(BAREHEAP_LOCK_ENTER) != defined(BAREHEAP_LOCK_EXIT) || \
    defined(BAREHEAP_LOCK_ENTER) != defined(BAREHEAP_LOCK_STATE)
#error "define BAREHEAP_LOCK_STATE, BAREHEAP_LOCK_ENTER and BAREHEAP_LOCK_EXIT together, or none"
#endif
#if BAREHEAP_LOCK_HOOKS && defined(BAREHEAP_LOCK_ENTER)
#error "BAREHEAP_LOCK_ENTER and BAREHEAP_LOCK_EXIT replace the hooks: set BAREHEAP_LOCK_HOOKS to 0"
#endif

#endif /* BAREHEAP_CONFIG_H */
