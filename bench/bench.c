/*
 * bareheap benchmark driver.
 *
 * One source, one binary per allocator: the allocator is chosen at build time
 * (BENCH_BAREHEAP; BENCH_HALFFIT for bench/halffit.c, the algorithm of
 * o1heap, which is not built here; or nothing for whatever malloc the binary
 * is linked with: glibc, jemalloc, mimalloc, tcmalloc). Every allocator runs
 * the same op sequences, generated from fixed seeds before the measured loop
 * starts, and is reached through the four bench_* functions below, which are never inlined
 * so that callgrind can count what each call costs below them.
 *
 * Modes (argv[1]):
 *   time  [reps [names]]  ns per op of each workload, median of reps runs
 *   count [names]         each workload (or those named, comma-separated) once,
 *                         with a callgrind dump after each (run it under
 *                         valgrind --tool=callgrind)
 *   lat   [reps [names]]  per-call latency from the cycle counter, minimum per
 *                         call over reps runs of the same ops, then percentiles
 * A hosted malloc cannot be reset: a workload run after another starts from
 * the state that one left. run_bench.py therefore runs each workload in a
 * process of its own, as bareheap's fresh heap per workload does.
 *   path  [reps]          pathological single calls (bareheap, half-fit), latency
 *   pathcount             the same calls once each under callgrind
 *   frag  region min max seeds [p_alloc_percent]
 *                         bareheap only: grow a random live set until the first
 *                         failure, per seed; live requested bytes / region
 *                         (frag.c, which the Cortex-M firmware runs too)
 *   info                  sizes: alignment, header, minimum block, control
 *
 * Output: one line per figure, "R key=value key=value ...", for the report
 * script. Timing is printed, never judged: no mode fails on a slow result.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, clock_gettime */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rng.h"

#if defined(__x86_64__) /* the 32-bit build runs fragmentation only */
#include <x86intrin.h>
#define BENCH_HAVE_TSC 1
#else
#define BENCH_HAVE_TSC 0
#endif

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_DUMP_STATS_AT
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#define CALLGRIND_ZERO_STATS ((void)0)
#endif

#define NOINLINE __attribute__((noinline, noclone))

/* ---- Adapter -------------------------------------------------------------- */

#if defined(BENCH_BAREHEAP) || defined(BENCH_HALFFIT)
#include <sys/mman.h>
/* The one region a heap of the driver's own runs in, mapped once. */
#define REGION_BYTES ((size_t)256 << 20) /* every timed workload's peak fits (mixed: ~8 MiB live) */
static unsigned char *region_map(void) {
    static unsigned char *region;
    if (!region) {
        void *m = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        if (m == MAP_FAILED) {
            perror("mmap");
            exit(2);
        }
        region = m;
    }
    return region;
}
#endif

#ifdef BENCH_BAREHEAP
#include "bareheap.h"
#include "bareheap_config.h" /* the option values, for the report */
#include "bareheap_internal.h" /* the pathological calls check the path they take */
#include "frag.h"

#define ADAPTER_NAME "bareheap"
static bh_heap *bh;

static void adapter_reset(void) {
    bh = bh_init(region_map(), REGION_BYTES);
    if (!bh) {
        fprintf(stderr, "bh_init failed\n");
        exit(2);
    }
}
NOINLINE void *bench_alloc(size_t n) { return bh_alloc(bh, n); }
NOINLINE void bench_free(void *p) { bh_free(bh, p); }
NOINLINE void *bench_realloc(void *p, size_t n) { return bh_realloc(bh, p, n); }
NOINLINE void *bench_aligned(size_t align, size_t n) { return bh_alloc_aligned(bh, align, n); }
#elif defined(BENCH_HALFFIT)
#include "halffit.h"

#define ADAPTER_NAME "half-fit"
static hf_heap *hf;

static void adapter_reset(void) {
    hf = hf_init(region_map(), REGION_BYTES);
    if (!hf) {
        fprintf(stderr, "hf_init failed\n");
        exit(2);
    }
}
NOINLINE void *bench_alloc(size_t n) { return hf_alloc(hf, n); }
NOINLINE void bench_free(void *p) { hf_free(hf, p); }
/* o1heap has no realloc: what a program on it would write. A function of its
 * own, below the wrapper: callgrind counts what is below bench_realloc, and
 * in the wrapper's body these instructions (about 30 a call) went uncounted. */
static NOINLINE void *hf_realloc(void *p, size_t n) {
    void *q;
    size_t old;
    if (!p)
        return hf_alloc(hf, n);
    if (!n) {
        hf_free(hf, p);
        return NULL;
    }
    old = hf_usable_size(p);
    if (n <= old) /* the power-of-two rounding left room */
        return p;
    q = hf_alloc(hf, n);
    if (q) {
        memcpy(q, p, old);
        hf_free(hf, p);
    }
    return q;
}
NOINLINE void *bench_realloc(void *p, size_t n) { return hf_realloc(p, n); }
NOINLINE void *bench_aligned(size_t align, size_t n) { return align <= hf_alignment() ? hf_alloc(hf, n) : NULL; }
#else
#ifndef ADAPTER_NAME
#define ADAPTER_NAME "glibc"
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif
/* A repetition frees everything outside the timed region. glibc then gives
 * its heap's top back to the kernel and faults it in again in the next
 * timed repetition (16,517 page faults in 15 repetitions of the mixed
 * workload against 3,615 without), a cost bareheap's region, resident after
 * the first repetition, does not pay: with trimming off, glibc too starts
 * every repetition with its pages resident, as memory on a microcontroller
 * always is. */
static void adapter_reset(void) {
#if defined(__GLIBC__)
    static int trim_off;
    if (!trim_off && strcmp(ADAPTER_NAME, "glibc") == 0)
        trim_off = mallopt(M_TRIM_THRESHOLD, INT_MAX);
#endif
}
NOINLINE void *bench_alloc(size_t n) { return malloc(n); }
NOINLINE void bench_free(void *p) { free(p); }
NOINLINE void *bench_realloc(void *p, size_t n) { return realloc(p, n); }
NOINLINE void *bench_aligned(size_t align, size_t n) {
    void *p = NULL;
    return posix_memalign(&p, align, n) == 0 ? p : NULL;
}
#endif

/* ---- Random numbers: splitmix64, fixed seeds (rng.h) -------------------- */

static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s; }
static uint32_t rng_below(uint32_t n) { return bench_rng_below(&rng_state, n); }
static uint32_t size_log_uniform(uint32_t lo, uint32_t hi) { return bench_size_log_uniform(&rng_state, lo, hi); }

/* ---- Workloads: pre-generated op sequences ------------------------------ */

enum { OP_SLOT_ALLOC_FREE = 0, OP_REALLOC = 1 };

typedef struct workload {
    const char *name;
    int kind;
    uint32_t slots;
    uint32_t ops;
    uint32_t *slot;  /* per op: the slot it touches */
    uint32_t *size;  /* per op: size to allocate (or grow step for realloc) */
} workload;

#define SMALL_OPS 2000000u
#define MIXED_OPS 1000000u
#define REALLOC_OPS 20000u
#define REALLOC_SLOTS 64u
#define REALLOC_MAX (64u * 1024u)

static const char *workloads_only;

static void workload_make(workload *w, const char *name, int kind, uint32_t slots, uint32_t ops, uint64_t seed,
                          uint32_t lo, uint32_t hi, int log_sizes) {
    uint32_t i;
    if (workloads_only && !strstr(workloads_only, name))
        ops = 0;
    w->name = name;
    w->kind = kind;
    w->slots = slots;
    w->ops = ops;
    w->slot = malloc((ops + 1u) * sizeof *w->slot);
    w->size = malloc((ops + 1u) * sizeof *w->size);
    if (!w->slot || !w->size) {
        fprintf(stderr, "out of memory generating %s\n", name);
        exit(2);
    }
    rng_seed(seed);
    for (i = 0; i < ops; i++) {
        w->slot[i] = rng_below(slots);
        w->size[i] = log_sizes ? size_log_uniform(lo, hi) : lo + rng_below(hi - lo + 1u);
    }
}

#define N_WORKLOADS 3
static workload workloads[N_WORKLOADS];

/* only: comma-separated workload names, or NULL for all; the others stay
 * empty (ops = 0), which saves generating them under callgrind. */
static void workloads_make(const char *only) {
    workloads_only = only;
    /* small: uniform 8..256 B, 4096 slots, 2M ops */
    workload_make(&workloads[0], "small", OP_SLOT_ALLOC_FREE, 4096, SMALL_OPS, 0x5EED0001u, 8, 256, 0);
    /* mixed: log-uniform 8 B..64 KiB, 1024 slots, 1M ops */
    workload_make(&workloads[1], "mixed", OP_SLOT_ALLOC_FREE, 1024, MIXED_OPS, 0x5EED0002u, 8, 65536, 1);
    /* realloc: 64 buffers, each grown in random steps of 16..4096 B from a
     * 8..256 B start up to 64 KiB, then freed and started again */
    workload_make(&workloads[2], "realloc", OP_REALLOC, REALLOC_SLOTS, REALLOC_OPS, 0x5EED0003u, 16, 4096, 0);
}

typedef struct call_counts {
    uint32_t alloc, free, realloc;
} call_counts;

static void *live_ptr[4096];
static uint32_t live_size[4096];

/* Runs w once from an empty state and frees what is left.
 * lat_alloc/lat_free (may be NULL): per-op cycle counts, min-merged. */
static call_counts workload_run(const workload *w, uint32_t *lat, int count_mode) {
    call_counts c = {0, 0, 0};
    uint32_t i;
    (void)lat; /* unused without a cycle counter */
    memset(live_ptr, 0, sizeof live_ptr);
    memset(live_size, 0, sizeof live_size);
    if (count_mode)
        CALLGRIND_ZERO_STATS;
    for (i = 0; i < w->ops; i++) {
        uint32_t s = w->slot[i];
        void *p = live_ptr[s];
        int is_alloc = 1;
#if BENCH_HAVE_TSC
        uint64_t t0 = 0, t1;
        if (lat) {
            _mm_lfence();
            t0 = __rdtsc();
            _mm_lfence();
        }
#endif
        if (w->kind == OP_SLOT_ALLOC_FREE) {
            if (p) {
                bench_free(p);
                p = NULL;
                is_alloc = 0;
                c.free++;
            } else {
                p = bench_alloc(w->size[i]);
                c.alloc++;
            }
        } else if (!p) {
            uint32_t start = 8u + w->size[i] % 249u;
            p = bench_alloc(start);
            live_size[s] = start;
            c.alloc++;
        } else if (live_size[s] >= REALLOC_MAX) {
            bench_free(p);
            p = NULL;
            is_alloc = 0;
            c.free++;
        } else {
            uint32_t n = live_size[s] + w->size[i];
            if (n > REALLOC_MAX)
                n = REALLOC_MAX;
            p = bench_realloc(p, n);
            live_size[s] = n;
            c.realloc++;
        }
#if BENCH_HAVE_TSC
        if (lat) {
            uint64_t d;
            _mm_lfence();
            t1 = __rdtsc();
            _mm_lfence();
            d = t1 - t0;
            if (d > UINT32_MAX)
                d = UINT32_MAX;
            if ((uint32_t)d < lat[i])
                lat[i] = (uint32_t)d;
        }
#endif
        if (p) {
            *(volatile unsigned char *)p = (unsigned char)i; /* touch the block */
        } else if (is_alloc) {
            fprintf(stderr, "%s: allocation failed at op %u\n", w->name, i);
            exit(2);
        }
        live_ptr[s] = p;
    }
    if (count_mode)
        CALLGRIND_DUMP_STATS_AT(w->name);
    for (i = 0; i < w->slots; i++) {
        if (live_ptr[i])
            bench_free(live_ptr[i]);
        live_ptr[i] = NULL;
    }
    return c;
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void warm_up(void) {
    /* First-call setup (lazy binding, allocator init) stays out of the
     * figures: every bench_* function is called once, realloc too. */
    void *p;
    adapter_reset();
    p = bench_alloc(64);
    p = bench_realloc(p, 128);
    bench_free(p);
    p = bench_aligned(64, 64);
    bench_free(p);
}

static int mode_time(int reps) {
    int w, r;
    double t[64];
    if (reps > 64)
        reps = 64;
    warm_up();
    for (w = 0; w < N_WORKLOADS; w++) {
        if (!workloads[w].ops)
            continue;
        for (r = 0; r < reps; r++) {
            double t0;
            adapter_reset();
            t0 = now_ns();
            workload_run(&workloads[w], NULL, 0);
            t[r] = (now_ns() - t0) / workloads[w].ops;
        }
        qsort(t, (size_t)reps, sizeof t[0], cmp_double);
        printf("R mode=time alloc=%s workload=%s ns_per_op=%.3f min=%.3f max=%.3f reps=%d\n", ADAPTER_NAME,
               workloads[w].name, t[reps / 2], t[0], t[reps - 1], reps);
    }
    return 0;
}

static int mode_count(void) {
    int w;
    warm_up();
    for (w = 0; w < N_WORKLOADS; w++) {
        call_counts c;
        if (!workloads[w].ops)
            continue;
        adapter_reset();
        c = workload_run(&workloads[w], NULL, 1);
#ifdef BENCH_HALFFIT
        /* The stand-in's figures count only if it kept its heap whole. */
        if (!hf_check(hf)) {
            fprintf(stderr, "half-fit: heap inconsistent after %s\n", workloads[w].name);
            exit(3);
        }
#endif
        printf("R mode=count alloc=%s workload=%s allocs=%u frees=%u reallocs=%u\n", ADAPTER_NAME,
               workloads[w].name, c.alloc, c.free, c.realloc);
    }
    return 0;
}

/* ---- Latency ------------------------------------------------------------- */

static double tsc_per_ns;

static void tsc_calibrate(void) {
#if BENCH_HAVE_TSC
    double t0 = now_ns(), t1;
    uint64_t c0 = __rdtsc(), c1;
    do
        t1 = now_ns();
    while (t1 - t0 < 50e6);
    c1 = __rdtsc();
    tsc_per_ns = (double)(c1 - c0) / (t1 - t0);
#else
    tsc_per_ns = 1.0;
#endif
}

/* The cost of the timing itself, subtracted from every sample. */
static uint32_t tsc_overhead(void) {
    uint32_t best = UINT32_MAX;
#if BENCH_HAVE_TSC
    int i;
    for (i = 0; i < 100000; i++) {
        uint64_t t0, t1;
        _mm_lfence();
        t0 = __rdtsc();
        _mm_lfence();
        _mm_lfence();
        t1 = __rdtsc();
        _mm_lfence();
        if (t1 - t0 < best)
            best = (uint32_t)(t1 - t0);
    }
#endif
    return best;
}

static void print_percentiles(const char *mode, const char *workload_name, const char *call, uint32_t *v, size_t n,
                              uint32_t overhead) {
    size_t i;
    double mean = 0;
    if (n == 0)
        return;
    for (i = 0; i < n; i++) {
        v[i] = v[i] > overhead ? v[i] - overhead : 0;
        mean += v[i];
    }
    mean /= (double)n;
    qsort(v, n, sizeof v[0], cmp_u32);
#define PCT(q) ((double)v[(size_t)((double)(n - 1) * (q))] / tsc_per_ns)
    printf("R mode=%s alloc=%s workload=%s call=%s n=%zu mean_ns=%.1f p50_ns=%.1f p99_ns=%.1f p9999_ns=%.1f "
           "max_ns=%.1f\n",
           mode, ADAPTER_NAME, workload_name, call, n, mean / tsc_per_ns, PCT(0.5), PCT(0.99), PCT(0.9999),
           (double)v[n - 1] / tsc_per_ns);
#undef PCT
}

static int mode_lat(int reps) {
    int w, r;
    uint32_t overhead;
    tsc_calibrate();
    overhead = tsc_overhead();
    printf("R mode=latinfo alloc=%s tsc_per_ns=%.4f overhead_ticks=%u\n", ADAPTER_NAME, tsc_per_ns, overhead);
    warm_up();
    for (w = 0; w < N_WORKLOADS; w++) {
        const workload *wl = &workloads[w];
        uint32_t *lat = malloc(wl->ops * sizeof *lat);
        uint32_t *va = malloc(wl->ops * sizeof *va), *vf = malloc(wl->ops * sizeof *vf);
        uint32_t *vr = malloc(wl->ops * sizeof *vr);
        size_t na = 0, nf = 0, nr = 0;
        uint32_t i;
        if (!wl->ops)
            continue;
        if (!lat || !va || !vf || !vr)
            return 2;
        for (i = 0; i < wl->ops; i++)
            lat[i] = UINT32_MAX;
        for (r = 0; r < reps; r++) {
            adapter_reset();
            workload_run(wl, lat, 0);
        }
        /* Replay the op kinds to split the samples by call. */
        memset(live_ptr, 0, sizeof live_ptr);
        memset(live_size, 0, sizeof live_size);
        for (i = 0; i < wl->ops; i++) {
            uint32_t s = wl->slot[i];
            if (wl->kind == OP_SLOT_ALLOC_FREE) {
                if (live_ptr[s]) {
                    vf[nf++] = lat[i];
                    live_ptr[s] = NULL;
                } else {
                    va[na++] = lat[i];
                    live_ptr[s] = (void *)1;
                }
            } else if (!live_ptr[s]) {
                va[na++] = lat[i];
                live_ptr[s] = (void *)1;
                live_size[s] = 8u + wl->size[i] % 249u;
            } else if (live_size[s] >= REALLOC_MAX) {
                vf[nf++] = lat[i];
                live_ptr[s] = NULL;
            } else {
                uint32_t n = live_size[s] + wl->size[i];
                live_size[s] = n > REALLOC_MAX ? REALLOC_MAX : n;
                vr[nr++] = lat[i];
            }
        }
        print_percentiles("lat", wl->name, "alloc", va, na, overhead);
        print_percentiles("lat", wl->name, "free", vf, nf, overhead);
        print_percentiles("lat", wl->name, "realloc", vr, nr, overhead);
        free(lat);
        free(va);
        free(vf);
        free(vr);
    }
    return 0;
}

/* ---- Pathological single calls (bareheap, half-fit) --------------------- */

#if defined(BENCH_BAREHEAP) || defined(BENCH_HALFFIT)
#define PATH_HEAP_BYTES ((size_t)1 << 20)
#define PATH_CALLS 2000
static unsigned char path_region[PATH_HEAP_BYTES + 64];

/* Each scenario prepares a fresh heap with the allocator's own calls (not
 * measured), then makes one call through bench_* (measured). Returns its
 * kind. */
typedef const char *(*path_fn)(int measure, uint32_t *ticks);

#if BENCH_HAVE_TSC
#define TIMED(stmt, ticks)                   \
    do {                                     \
        uint64_t t0_, t1_;                   \
        _mm_lfence();                        \
        t0_ = __rdtsc();                     \
        _mm_lfence();                        \
        stmt;                                \
        _mm_lfence();                        \
        t1_ = __rdtsc();                     \
        _mm_lfence();                        \
        *(ticks) = (uint32_t)(t1_ - t0_);    \
    } while (0)
#else
#define TIMED(stmt, ticks) \
    do {                   \
        stmt;              \
        *(ticks) = 0;      \
    } while (0)
#endif

/* A scenario whose call did not take the path its name promises measures
 * something else: that is an error, not a figure. */
static void path_require(int ok, const char *scenario, const char *what) {
    if (!ok) {
        fprintf(stderr, "path %s: %s\n", scenario, what);
        exit(3);
    }
}
#endif

#ifdef BENCH_BAREHEAP
static void path_fresh(void) {
    bh = bh_init(path_region, PATH_HEAP_BYTES);
    if (!bh) {
        fprintf(stderr, "bh_init failed\n");
        exit(2);
    }
}

/* The block size a plain request of n bytes searches for (bh_alloc's rounding). */
static size_t path_block_bytes(size_t n) {
    size_t bytes = (n + SEAL_WORDS * WORD_BYTES + WORD_BYTES + GRAIN_BYTES - 1u) & ~(GRAIN_BYTES - 1u);
    return bytes < MIN_BLOCK_BYTES ? MIN_BLOCK_BYTES : bytes;
}

/* The class whose blocks a search for block_bytes probes (block_find's
 * "below"), and whether any class above it holds a free block. */
static unsigned path_own_class(size_t block_bytes) { return heap_class_of(bh, block_bytes - GRAIN_BYTES); }
static int path_free_above(unsigned c) {
    unsigned k;
    for (k = c + 1u; k <= bh->class_top; k++)
        if (bh->heads[k])
            return 1;
    return 0;
}
/* The first free block of the lowest non-empty class. */
static block *path_first_free(void) {
    unsigned k;
    for (k = 0; k <= bh->class_top; k++)
        if (bh->heads[k])
            return bh->heads[k];
    return NULL;
}
static size_t path_free_blocks(void) {
    bh_stats st;
    bh_get_stats(bh, &st);
    return st.free_blocks;
}

/* One huge free block (the whole fresh heap) split for a small request. */
static const char *path_split(int measure, uint32_t *ticks) {
    void *p;
    block *huge;
    path_fresh();
    path_require(path_free_blocks() == 1, "split_huge_block", "a fresh heap is not one free block");
    huge = path_first_free();
    path_require(huge && path_free_above(path_own_class(path_block_bytes(100))),
                 "split_huge_block", "the free block is not in a class above the request's");
    if (measure)
        TIMED(p = bench_alloc(100), ticks);
    else
        p = bench_alloc(100);
    if (!p)
        exit(3);
    path_require(p == block_payload(huge) && path_free_blocks() == 1, "split_huge_block",
                 "not served by splitting the huge block");
    return "alloc";
}

/* [ free ][ b ][ free ][ used ]: freeing b merges on both sides. */
static const char *path_double_merge(int measure, uint32_t *ticks) {
    void *a, *b, *c, *d;
    path_fresh();
    a = bh_alloc(bh, 200);
    b = bh_alloc(bh, 300);
    c = bh_alloc(bh, 400);
    d = bh_alloc(bh, 500);
    if (!a || !b || !c || !d)
        exit(3);
    bh_free(bh, a);
    bh_free(bh, c);
    path_require(path_free_blocks() == 3 && block_is_free(block_from_payload(c)) &&
                     block_is_prev_free(block_from_payload(b)) && !block_is_free(block_from_payload(d)),
                 "free_two_free_neighbours", "b's neighbours are not both free");
    if (measure)
        TIMED(bench_free(b), ticks);
    else
        bench_free(b);
    path_require(path_free_blocks() == 2 && block_is_free(block_from_payload(a)) &&
                     block_next(block_from_payload(a)) == block_from_payload(d),
                 "free_two_free_neighbours", "free did not merge a, b and c into one block");
    return "free";
}

/* A request whose own class holds the one free block, the huge one of a
 * fresh heap: no class above holds a free block (the heap's classes go on
 * to twice its size, empty), so the bitmap search fails first and the
 * class's head is probed. */
static const char *path_last_class(int measure, uint32_t *ticks) {
    bh_stats st;
    void *p;
    size_t n;
    path_fresh();
    bh_get_stats(bh, &st);
    n = st.largest_free_bytes - 64; /* just below the one huge block: its own class */
    path_require(st.free_blocks == 1 && bh->heads[path_own_class(path_block_bytes(n))] == path_first_free() &&
                     !path_free_above(path_own_class(path_block_bytes(n))),
                 "alloc_last_class", "the one free block is not in the request's own class");
    if (measure)
        TIMED(p = bench_alloc(n), ticks);
    else
        p = bench_alloc(n);
    if (!p)
        exit(3);
    return "alloc";
}

/* The request's own class holds BAREHEAP_PROBE_LIMIT - 1 blocks too small
 * ahead of the one that fits, and no class above has a free block: the probe
 * walks its full length and takes the last block it may look at.
 * The blocks are one to N grains above a class minimum, in a class wide
 * enough for all of them: a request of a class minimum would search from the
 * class itself and find the block through the bitmap, with no probe (which
 * at a probe limit of 1 made this the split of a block found in O(1)). */
static const char *path_probe(int measure, uint32_t *ticks) {
    enum { N = BAREHEAP_PROBE_LIMIT };
    void *blk[N], *guard[N], *p;
    size_t class_min = 4096, base, i;
    block *b;
    bh_stats st;
    while (class_min / SL_COUNT <= (size_t)N * GRAIN_BYTES)
        class_min *= 2;
    base = class_min - bh_block_overhead() + bh_alignment(); /* a class minimum's request, plus a grain */
    path_fresh();
    for (i = 0; i < N; i++) {
        blk[i] = bh_alloc(bh, base + i * bh_alignment());
        guard[i] = bh_alloc(bh, 8); /* keeps the blocks from merging */
        if (!blk[i] || !guard[i])
            exit(3);
    }
    bh_get_stats(bh, &st);
    if (!bh_alloc(bh, st.largest_free_bytes)) /* nothing free above the class */
        exit(3);
    bh_free(bh, blk[N - 1]); /* the only fitting block, at the list's tail */
    for (i = 0; i + 1 < N; i++)
        bh_free(bh, blk[i]);
    {
        size_t want = path_block_bytes(base + (N - 1) * bh_alignment());
        unsigned c = path_own_class(want);
        path_require(!path_free_above(c), "alloc_probe_full", "a class above the request's own holds a free block");
        for (i = 0, b = bh->heads[c]; b && i + 1 < N; i++, b = b->next_free)
            path_require(block_size(b) < want, "alloc_probe_full", "a block ahead of the last probe fits");
        path_require(b == block_from_payload(blk[N - 1]) && block_size(b) >= want, "alloc_probe_full",
                     "the fitting block is not the last the probe may look at");
    }
    if (measure)
        TIMED(p = bench_alloc(base + (N - 1) * bh_alignment()), ticks);
    else
        p = bench_alloc(base + (N - 1) * bh_alignment());
    if (!p)
        exit(3);
    path_require(p == blk[N - 1], "alloc_probe_full", "not served by the block at the probe's end");
    return "alloc";
}

/* A 4096-aligned request on a fresh heap: front gap and tail both split off. */
static const char *path_aligned(int measure, uint32_t *ticks) {
    void *p, *q;
    path_fresh();
    q = bh_alloc(bh, 40); /* move the free block off any large alignment */
    if (measure)
        TIMED(p = bench_aligned(4096, 1000), ticks);
    else
        p = bench_aligned(4096, 1000);
    if (!p || !q)
        exit(3);
    path_require((uintptr_t)p % 4096u == 0 && path_free_blocks() == 2 &&
                     block_is_prev_free(block_from_payload(p)) && block_is_free(block_next(block_from_payload(p))),
                 "aligned_4096", "the front gap and the tail were not both split off");
    return "aligned";
}

/* realloc that cannot grow in place (the next block is used, none is before
 * it): a new block, a copy and a free. */
static const char *path_realloc_move(int measure, uint32_t *ticks) {
    void *a, *b, *p;
    path_fresh();
    a = bh_alloc(bh, 256);
    b = bh_alloc(bh, 64);
    if (!a || !b)
        exit(3);
    path_require(block_next(block_from_payload(a)) == block_from_payload(b) && !block_is_prev_free(block_from_payload(a)),
                 "realloc_move_256_to_512", "a has room to grow in place");
    if (measure)
        TIMED(p = bench_realloc(a, 512), ticks);
    else
        p = bench_realloc(a, 512);
    if (!p)
        exit(3);
    path_require(p != a, "realloc_move_256_to_512", "the block did not move");
    return "realloc";
}

static const struct {
    const char *name;
    path_fn fn;
} paths[] = {
    {"split_huge_block", path_split},   {"free_two_free_neighbours", path_double_merge},
    {"alloc_last_class", path_last_class}, {"alloc_probe_full", path_probe},
    {"aligned_4096", path_aligned},     {"realloc_move_256_to_512", path_realloc_move},
};
#endif /* BENCH_BAREHEAP */

#ifdef BENCH_HALFFIT
/* The same calls where half-fit has them (it has no aligned allocation and
 * no probing; its realloc is bench_realloc's allocate, copy, free). */
static void hf_path_fresh(void) {
    hf = hf_init(path_region, PATH_HEAP_BYTES);
    if (!hf) {
        fprintf(stderr, "hf_init failed\n");
        exit(2);
    }
}

/* One huge free fragment (the whole fresh heap) split for a small request. */
static const char *hf_path_split(int measure, uint32_t *ticks) {
    void *p;
    hf_path_fresh();
    if (measure)
        TIMED(p = bench_alloc(100), ticks);
    else
        p = bench_alloc(100);
    path_require(p && hf_free_fragments(hf) == 1, "split_huge_block", "not served by splitting the huge fragment");
    return "alloc";
}

/* [ free ][ b ][ free ][ used ]: freeing b merges on both sides. */
static const char *hf_path_double_merge(int measure, uint32_t *ticks) {
    void *a, *b, *c, *d;
    hf_path_fresh();
    a = hf_alloc(hf, 200);
    b = hf_alloc(hf, 300);
    c = hf_alloc(hf, 400);
    d = hf_alloc(hf, 500);
    if (!a || !b || !c || !d)
        exit(3);
    hf_free(hf, a);
    hf_free(hf, c);
    path_require(hf_free_fragments(hf) == 3, "free_two_free_neighbours", "b's neighbours are not both free");
    if (measure)
        TIMED(bench_free(b), ticks);
    else
        bench_free(b);
    path_require(hf_free_fragments(hf) == 2 && hf_usable_size(a) == (char *)d - (char *)a - hf_alignment(),
                 "free_two_free_neighbours", "free did not merge a, b and c into one fragment");
    return "free";
}

/* The largest request a fresh heap serves: the one fragment is in the
 * request's own bin, the highest non-empty one. */
static const char *hf_path_last_class(int measure, uint32_t *ticks) {
    void *p;
    size_t n;
    hf_path_fresh();
    n = hf_capacity(hf);
    while (n & (n - 1u))
        n &= n - 1u; /* the largest power of two within it */
    n -= hf_alignment();
    if (measure)
        TIMED(p = bench_alloc(n), ticks);
    else
        p = bench_alloc(n);
    path_require(p != NULL, "alloc_last_class", "the largest request failed");
    return "alloc";
}

/* realloc that cannot grow in place: alloc, copy, free. */
static const char *hf_path_realloc_move(int measure, uint32_t *ticks) {
    void *a, *b, *p;
    hf_path_fresh();
    a = hf_alloc(hf, 256 - hf_alignment()); /* exactly one 256-byte fragment: no slack to grow into */
    b = hf_alloc(hf, 64);
    if (!a || !b)
        exit(3);
    if (measure)
        TIMED(p = bench_realloc(a, 512), ticks);
    else
        p = bench_realloc(a, 512);
    path_require(p && p != a, "realloc_move_256_to_512", "the block did not move");
    return "realloc";
}

static const struct {
    const char *name;
    path_fn fn;
} paths[] = {
    {"split_huge_block", hf_path_split},
    {"free_two_free_neighbours", hf_path_double_merge},
    {"alloc_last_class", hf_path_last_class},
    {"realloc_move_256_to_512", hf_path_realloc_move},
};
#endif /* BENCH_HALFFIT */

#if defined(BENCH_BAREHEAP) || defined(BENCH_HALFFIT)
#define N_PATHS (sizeof paths / sizeof paths[0])

static int mode_path(int reps) {
    size_t k;
    uint32_t overhead;
    static uint32_t best[PATH_CALLS];
    tsc_calibrate();
    overhead = tsc_overhead();
    for (k = 0; k < N_PATHS; k++) {
        int r, i;
        const char *call = "";
        for (i = 0; i < PATH_CALLS; i++)
            best[i] = UINT32_MAX;
        for (r = 0; r < reps; r++) {
            for (i = 0; i < PATH_CALLS; i++) {
                uint32_t t;
                call = paths[k].fn(1, &t);
                if (t < best[i])
                    best[i] = t;
            }
        }
        print_percentiles("path", paths[k].name, call, best, PATH_CALLS, overhead);
    }
    return 0;
}

static int mode_pathcount(void) {
    size_t k;
    for (k = 0; k < N_PATHS; k++) {
        int i;
        const char *call = "";
        CALLGRIND_ZERO_STATS;
        for (i = 0; i < 100; i++)
            call = paths[k].fn(0, NULL);
        CALLGRIND_DUMP_STATS_AT(paths[k].name);
        printf("R mode=pathcount alloc=%s workload=%s call=%s calls=100\n", ADAPTER_NAME, paths[k].name, call);
    }
    return 0;
}

#endif

/* ---- Fragmentation (bareheap): frag.c, shared with the firmware ---------- */

#ifdef BENCH_BAREHEAP

void frag_print(const char *line) { fputs(line, stdout); }

static int mode_info(void) {
    static const size_t sizes[] = {16u << 10, 64u << 10, 256u << 10, 1u << 20};
    size_t i;
    printf("R mode=info alloc=%s bits=%u align=%zu header=%zu min_block=%zu sl_log2=%d probe=%d\n", ADAPTER_NAME,
           (unsigned)(sizeof(void *) * 8), bh_alignment(), bh_block_overhead(), bh_min_block_size(),
           BAREHEAP_SL_LOG2, BAREHEAP_PROBE_LIMIT);
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        printf("R mode=control alloc=%s bits=%u align=%zu sl_log2=%d region=%zu control=%zu\n", ADAPTER_NAME,
               (unsigned)(sizeof(void *) * 8), bh_alignment(), BAREHEAP_SL_LOG2, sizes[i],
               bh_control_size(sizes[i]));
    return 0;
}
#endif /* BENCH_BAREHEAP */

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "time";
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (reps < 1)
        reps = 1;
#ifdef BENCH_BAREHEAP
    if (!strcmp(mode, "frag")) {
        if (argc < 6) {
            fprintf(stderr, "usage: %s frag region lo hi seeds [p_alloc_percent]\n", argv[0]);
            return 2;
        }
        return frag_run((size_t)strtoul(argv[2], NULL, 0), (uint32_t)strtoul(argv[3], NULL, 0),
                        (uint32_t)strtoul(argv[4], NULL, 0), (unsigned)strtoul(argv[5], NULL, 0),
                        argc > 6 ? (uint32_t)strtoul(argv[6], NULL, 0) : FRAG_P_ALLOC_DEFAULT, NULL);
    }
    if (!strcmp(mode, "info"))
        return mode_info();
#endif
#if defined(BENCH_BAREHEAP) || defined(BENCH_HALFFIT)
    if (!strcmp(mode, "path"))
        return mode_path(reps);
    if (!strcmp(mode, "pathcount"))
        return mode_pathcount();
#endif
    /* count [names]; time and lat [reps [names]] */
    workloads_make(!strcmp(mode, "count") ? (argc > 2 ? argv[2] : NULL) : (argc > 3 ? argv[3] : NULL));
    if (!strcmp(mode, "time"))
        return mode_time(reps);
    if (!strcmp(mode, "count"))
        return mode_count();
    if (!strcmp(mode, "lat"))
        return mode_lat(reps);
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
