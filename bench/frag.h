/*
 * The fragmentation run of the benchmarks (frag.c), shared by the host driver
 * (bench.c, `bench frag`) and the bare-metal firmware (frag_firmware.c): the
 * same workload from the same seeds, the same output lines.
 *
 * Freestanding: frag.c needs only the bareheap API and frag_print(), which
 * the program provides (stdout on the host, the board's console on target).
 */
#ifndef BAREHEAP_BENCH_FRAG_H
#define BAREHEAP_BENCH_FRAG_H

#include <stddef.h>
#include <stdint.h>

/* The largest region frag_run() takes, and the most live blocks it tracks
 * (its static buffers: the region, and 2 words per live block). A firmware
 * for a small board lowers them with -D. */
#ifndef FRAG_MAX_REGION
#define FRAG_MAX_REGION ((size_t)1 << 20)
#endif
#ifndef FRAG_MAX_LIVE
#define FRAG_MAX_LIVE (FRAG_MAX_REGION / 16u) /* the smallest block of any layout */
#endif

/* Probability of an allocation per step, in percent, unless told otherwise. */
#define FRAG_P_ALLOC_DEFAULT 55u

/* What a frag_run() call did, over its seeds. */
typedef struct frag_totals {
    unsigned seeds;          /* seeds started */
    unsigned reached;        /* seeds that ran until an allocation failed */
    unsigned false_failures; /* of those, failures while a free block had the room */
} frag_totals;

/* Provided by the program: writes one NUL-terminated line, which ends in a
 * newline. */
void frag_print(const char *line);

/* For each seed 0..seeds-1: from an empty heap of region bytes, each step
 * allocates (probability p_alloc_pct percent, or always when nothing is live)
 * a size log-uniform in [lo, hi], or frees a random live block, until the
 * first allocation fails. At that failure a bh_walk() looks for a free block
 * whose usable size covers the request: if there is one, the failure was
 * false.
 *
 * Prints one "R mode=frag ..." line per seed and one "R mode=fragsum ..."
 * (key=value pairs, for bench/run_bench.py), or "frag: error ..." lines.
 * Returns 0, or 2 when a run could not be made (region above FRAG_MAX_REGION
 * or too small for bh_init(), more than FRAG_MAX_LIVE live blocks). totals
 * (may be NULL) is filled in either case. */
int frag_run(size_t region, uint32_t lo, uint32_t hi, unsigned seeds, uint32_t p_alloc_pct, frag_totals *totals);

#endif /* BAREHEAP_BENCH_FRAG_H */
