/*
 * bareheap as the malloc of a Linux process: the malloc family on top of
 * several bareheap instances ("arenas"), for LD_PRELOAD or static linking.
 *
 * Memory. At start-up the shim reserves one large range of address space
 * (PROT_NONE, so nothing is committed) and cuts it into one power-of-two
 * slice per arena. An arena's heap starts with a region at the bottom of its
 * slice (bh_init_ex() with the slice size as the largest region, so the size
 * classes cover every later region) and grows upward with bh_add_region():
 * each new region is made read-write with mprotect() and is as large as the
 * arena already is (32 MiB at first, doubling, at most 1 GiB per step), so an
 * arena needs O(log size) regions and a growth costs one system call. Pages
 * are only backed once touched, so a large first region costs address space,
 * not memory, and spares the region boundaries that blocks cannot merge
 * across. Free memory at the top of a region goes back to the kernel now and
 * then (see "Giving memory back").
 *
 * Requests of at least the mmap threshold (32 MiB unless
 * BAREHEAP_MMAP_THRESHOLD says otherwise) get their own mapping, preceded by
 * a 32-byte header that records the mapping and a tag; free() unmaps it, and
 * realloc() moves it with mremap() (no copy). Which kind a pointer is takes
 * one subtraction and one compare: heap blocks lie inside the reservation,
 * mapped blocks outside it; and the arena that owns a heap block is
 * (address - base) >> slice_log2.
 *
 * Threads. Every arena has its own lock, given to the core through
 * bh_set_lock(), so a call on one arena never waits for another. A thread is
 * given the arena with the fewest live threads on its first call (a thread
 * exit destructor keeps the counts). A block freed or resized by another
 * thread goes back to the arena that owns it, found from its address as
 * above; such frees of blocks up to 64 KiB are batched, 32 at a time or 64
 * KiB of them, and a batch never waits for a lock that is taken
 * (remote_flush()); a larger block waits for its owner's lock, as does a
 * batch for an arena whose threads have all exited. The lock is a spinlock
 * (bh_malloc_internal.h): uncontended it costs one atomic exchange. Blocks
 * up to 1 KiB freed by the thread that owns their arena go to a per-thread
 * cache and serve its next requests of that size without any lock (see
 * "Thread cache" below).
 *
 * Start-up: nothing called from inside malloc allocates. The environment is
 * read from /proc/self/environ (or from environ when /proc is missing), the
 * page size from /proc/self/auxv, the CPU count from sched_getaffinity(), all
 * as direct system calls (bh_malloc_sys.h); no stdio, no dlsym; the
 * one pthread key's destructor (thread exit) only frees. fork() handlers
 * registered in a constructor take every lock before the fork and release
 * (parent) or reset (child) them after it, so the child inherits consistent
 * heaps.
 *
 * Misuse: the core runs at BAREHEAP_DEBUG=1 (bh_malloc_config.h), so a
 * foreign, interior or already freed pointer given to free, realloc or
 * malloc_usable_size is reported on stderr and ignored, not obeyed. The
 * thread cache checks what it can without the lock (cache_push()); with
 * BAREHEAP_THREAD_CACHE=0 every call gets the core's full validation.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bareheap.h"
#include "bareheap_config.h"
#include "bareheap_malloc.h"
#include "bh_malloc_internal.h"
#include "bh_trace_format.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

/* The address-space reservation (a slice of up to 64 GiB per arena) and the
 * trace format's 64-bit fields assume a 64-bit process. */
#if UINTPTR_MAX <= 0xFFFFFFFFu
#error "the hosted shim needs a 64-bit process"
#endif

/* Each arena's heap takes its lock through bh_set_lock(); a core built
 * without hooks would refuse it and leave the arenas unlocked. */
#if !BAREHEAP_LOCK_HOOKS
#error "the hosted shim locks its arenas through bh_set_lock(): build the core with BAREHEAP_LOCK_HOOKS 1"
#endif

/* glibc's guarantee on x86-64: alignof(max_align_t). The core's grain must be
 * the same, or malloc's blocks would be less aligned than glibc's. */
#define MALLOC_ALIGN_BYTES ((size_t)_Alignof(max_align_t))
_Static_assert(BAREHEAP_ALIGN_BYTES == _Alignof(max_align_t),
               "the core's alignment must be malloc's (alignof(max_align_t))");

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)
#define GIB ((size_t)1 << 30)

#define ARENAS_MAX 64
#define ARENAS_MIN 4
#define ARENAS_PER_CPU 4
/* Address space per arena: 64 GiB, halved down to 64 MiB (room for the
 * largest request below the mmap threshold) while the reservation fails or
 * exceeds its budget (RLIMIT_AS, small address spaces). */
#define SLICE_LOG2_MAX 36u
#define SLICE_LOG2_MIN 26u
#define REGION_MIN_BYTES (32 * MIB)
#define REGION_MAX_BYTES (1 * GIB)
/* Regions are whole 2 MiB steps, so a huge page can back them. */
#define REGION_ROUND_BYTES (2 * MIB)
/* A region must also hold the control structure, alignment slack and the
 * sentinel: far less than this. */
#define REGION_SLACK_BYTES (64 * KIB)
/* glibc's largest dynamic mmap threshold on 64-bit: below it glibc serves
 * from its heap too, so peak memory compares like for like. */
#define MMAP_THRESHOLD_DEFAULT (32 * MIB)
/* Giving memory back (see there): after this many bytes freed to an arena,
 * the part of its free top beyond as many bytes goes back to the kernel. At
 * an arena's last thread exit, all but TRIM_KEEP_BYTES of it. */
#define TRIM_THRESHOLD_DEFAULT (64 * MIB) /* glibc's largest trim threshold on 64-bit */
#define TRIM_KEEP_BYTES (64 * KIB)

/* One arena: a bareheap instance, its lock and its share of the address
 * space. Aligned to a cache line so that two arenas' locks never share one.
 * Invariant: [slice_lo, committed_hi) is read-write and every byte of it is
 * in heap's regions; heap is NULL until the first region exists, and set
 * once. */
typedef struct arena {
    shim_lock lock;
    bh_heap *_Atomic heap;
    uintptr_t slice_lo;
    _Atomic uintptr_t committed_hi; /* grows under init_lock; read without it */
    atomic_uint threads;     /* live threads assigned to this arena */
    void *_Atomic remote_head; /* blocks freed by other threads that found the lock
                                  taken: a list through payload word 0, freed by
                                  the next thread that holds the lock */
    atomic_size_t freed_since_trim; /* bytes freed to the core since the last trim
                                       (a hint: updates may be lost) */
} __attribute__((aligned(64))) arena;

/* Process-wide state, written once at start-up (under init_lock) before
 * ready is published, then only read. slow_calls is non-zero while every
 * call must take the slow entry (not ready yet, or tracing); it is cleared
 * with release order after ready is set, and the fast entries read it with
 * acquire order: a thread that skips the slow entry, and with it the
 * acquire of ready, still sees everything start-up wrote (on a weakly
 * ordered CPU a plain flag could be seen before the arenas it guards). */
static struct {
    atomic_int ready;
    atomic_int slow_calls;
    shim_lock init_lock; /* start-up, arena growth; taken before any arena lock */
    uintptr_t base;      /* the reservation: [base, base + reserved_bytes) */
    size_t reserved_bytes;
    unsigned slice_log2;
    unsigned arena_count;
    size_t page_bytes;
    size_t mmap_threshold;
    size_t trim_threshold;  /* BAREHEAP_TRIM_THRESHOLD; SIZE_MAX: never trim */
    pthread_key_t exit_key; /* its destructor runs at every thread's exit */
    atomic_int exit_key_ready;
    int cache_wanted;       /* BAREHEAP_THREAD_CACHE (default 1) */
    atomic_int cache_enabled; /* wanted, and the core's block layout is the expected one */
    atomic_int layout_checked;
    uintptr_t cache_key;    /* marks blocks in a thread cache (double-free check) */
    uintptr_t remote_key;   /* marks blocks in a batch or on a remote list */
} shim = {.slow_calls = 1, .mmap_threshold = MMAP_THRESHOLD_DEFAULT, .trim_threshold = SIZE_MAX};

static arena arenas[ARENAS_MAX];

/* 1 + this thread's arena index; 0 until its first call. initial-exec: a
 * general-dynamic TLS access may call malloc on its first use. */
static __thread unsigned tls_arena_plus1 __attribute__((tls_model("initial-exec")));

/* ---- Thread cache ----
 * A malloc-heavy thread frees and allocates the same few small sizes over
 * and over; going through the arena's lock and the TLSF lists for each costs
 * several times what the block is worth. So each thread keeps a few
 * freed blocks per block size (CACHE_DEPTH_*), for block sizes up to
 * CACHE_BLOCK_MAX_BYTES, of its own arena, in singly linked lists through
 * the payloads, and serves malloc from them without a lock. A block with a
 * free neighbour is not cached: the core merges it at once, where a cached
 * block would keep the hole split in two (peak RSS 25-45% higher on
 * fragmenting programs without this rule). A cached block stays allocated as
 * far as the core is concerned (its header is untouched), so the cache needs
 * nothing from the core but the documented header word: the block size with
 * FREE (1), PREV_FREE (2) and ALIGNED (4) flags, one word below the payload;
 * that layout is checked once at start-up against bh_usable_size() and the
 * cache is switched off if it differs.
 *
 * Frees of another arena's blocks are batched (remote[]) and given back
 * REMOTE_BATCH at a time, or sooner once they hold REMOTE_MAX_BYTES, under
 * one acquisition of the owner's lock if it is free, else onto the owner's
 * lock-free remote list (remote_flush()), so a producer/consumer pair does
 * not fight over a lock once per block. A batched block is freed memory the
 * core still counts as used: the byte cap bounds what a thread's batch keeps
 * from reuse (a count alone let 31 blocks of up to 32 MiB wait for as long
 * as the thread made no other free).
 *
 * At thread exit (a pthread key destructor) the cache and the batch go back
 * to their arenas. Invariant: every block in head[b] is a used block of
 * size CACHE_BIN_BYTES(b) of this thread's arena (at the time it was
 * cached), with word 0 the next link and word 1 shim.cache_key. */
#define CACHE_BINS 63u
/* Blocks kept per size: 16 up to 256 bytes, 8 above (glibc's tcache: 7 per
 * size up to 1 KiB); CACHE_MAX_BYTES caps the total. */
#define CACHE_DEPTH_SMALL 16u
#define CACHE_DEPTH_LARGE 8u
#define CACHE_SMALL_BINS 15u
/* Cached blocks stay allocated in the core, so they keep their neighbours
 * from merging: a byte cap bounds how much of the heap a cache can pin. */
#ifndef CACHE_MAX_BYTES
#define CACHE_MAX_BYTES ((size_t)64 * 1024)
#endif
#define CACHE_MIN_BLOCK_BYTES ((size_t)32)
#define CACHE_BLOCK_MAX_BYTES (CACHE_MIN_BLOCK_BYTES + 16u * (CACHE_BINS - 1u))
/* A block of b bytes holds b - one header word. */
#define CACHE_REQUEST_MAX_BYTES (CACHE_BLOCK_MAX_BYTES - sizeof(size_t))
#define REMOTE_BATCH 32u
/* Bytes of blocks a batch holds at most; a larger block is freed at once
 * under its owner's lock. */
#define REMOTE_MAX_BYTES CACHE_MAX_BYTES
#define HEADER_FREE ((size_t)1)
#define HEADER_PREV_FREE ((size_t)2)
#define HEADER_ALIGNED ((size_t)4)
#define HEADER_FLAGS ((size_t)15)

enum cache_state { CACHE_OFF = 0, CACHE_ON = 1, CACHE_EXITED = 2 };

typedef struct thread_cache {
    void *head[CACHE_BINS];
    unsigned char count[CACHE_BINS];
    unsigned char state;      /* enum cache_state: ON once the exit destructor is registered */
    unsigned char exit_registered; /* 0 not yet, 1 the exit destructor will run, 2 it cannot */
    size_t cached_bytes;      /* sum of the cached blocks' sizes, at most CACHE_MAX_BYTES */
    unsigned remote_count;
    size_t remote_bytes;      /* sum of the batched blocks' sizes, at most REMOTE_MAX_BYTES */
    void *remote[REMOTE_BATCH];
} thread_cache;

static __thread thread_cache tls_cache __attribute__((tls_model("initial-exec")));

/* The arena lock this thread already holds while it frees a batch: the
 * core's lock hooks then do nothing, so one acquisition serves the batch.
 * HELD_ALL_LOCKS in the thread that forks (see fork_prepare()). */
static __thread shim_lock *tls_held_lock __attribute__((tls_model("initial-exec")));

/* ---- Environment, without allocating ---- */

/* The start-up environment's BAREHEAP_* entries, NUL-separated: the only
 * ones the shim reads, kept as the environment is read (env_keep()). */
static char env_block[16 * 1024];
static size_t env_block_bytes;

#define ENV_PREFIX "BAREHEAP_"
#define ENV_PREFIX_BYTES (sizeof ENV_PREFIX - 1u)

/* Reads file path into buffer (at most bytes): the bytes read, or -1 when
 * the file cannot be opened. */
static long file_read_raw(const char *path, void *buffer, size_t bytes) {
    long fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0), total = 0;
    if (fd < 0)
        return -1;
    while ((size_t)total < bytes) {
        long n = sys_read((int)fd, (char *)buffer + total, bytes - (size_t)total);
        if (n == -EINTR)
            continue;
        if (n <= 0)
            break;
        total += n;
    }
    (void)sys_close((int)fd);
    return total;
}

/* Bytes in s before its NUL, at most max_bytes: libc's would be one more
 * code page to fault in (bh_malloc_sys.h). */
static size_t text_length(const char *s, size_t max_bytes) {
    size_t n = 0;
    while (n < max_bytes && s[n])
        n++;
    return n;
}

static bool text_starts_with(const char *s, const char *prefix, size_t prefix_bytes) {
    size_t i;
    for (i = 0; i < prefix_bytes; i++)
        if (s[i] != prefix[i])
            return false;
    return true;
}

/* Where env_keep() is in the environment: the bytes of the current entry
 * taken so far, and whether it is being dropped. */
typedef struct env_reader {
    size_t entry_bytes;
    bool dropping;
} env_reader;

/* Takes the next n bytes of the environment (NUL-terminated entries, in
 * pieces of any size) and keeps the entries that start with ENV_PREFIX in
 * env_block. Filtered as it is read, so a large environment (a CI job's
 * passes 64 KiB) cannot push them out of the block, as it did when the
 * block held the first 64 KiB of everything; and an entry that does not fit
 * whole is dropped rather than cut (a cut BAREHEAP_TRACE names another file,
 * a cut BAREHEAP_ARENAS=32 is 3). */
static void env_keep(env_reader *r, const char *bytes, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        char c = bytes[i];
        if (!r->dropping) {
            /* One byte stays free for the block's closing NUL. */
            size_t at = env_block_bytes + r->entry_bytes;
            if ((r->entry_bytes < ENV_PREFIX_BYTES && c != ENV_PREFIX[r->entry_bytes]) || at >= sizeof env_block - 1u)
                r->dropping = true;
            else
                env_block[at] = c;
        }
        if (c == '\0') {
            if (!r->dropping)
                env_block_bytes += r->entry_bytes + 1u;
            r->entry_bytes = 0;
            r->dropping = false;
        } else {
            r->entry_bytes++;
        }
    }
}

static void env_load(void) {
    env_reader reader = {0, false};
    char chunk[2048];
    long fd = sys_open("/proc/self/environ", O_RDONLY | O_CLOEXEC, 0);
    if (fd >= 0) {
        for (;;) {
            long n = sys_read((int)fd, chunk, sizeof chunk);
            if (n == -EINTR)
                continue;
            if (n <= 0)
                break;
            env_keep(&reader, chunk, (size_t)n);
        }
        (void)sys_close((int)fd);
    } else if (environ) {
        /* No /proc: what environ holds now. */
        char **e;
        for (e = environ; *e; e++)
            env_keep(&reader, *e, text_length(*e, SIZE_MAX) + 1u);
    }
    /* A last entry without its NUL was not kept. */
    env_block[env_block_bytes] = '\0';
}

/* The value of variable name at start-up, or NULL. */
static const char *env_find(const char *name) {
    size_t name_len = text_length(name, SIZE_MAX), i = 0;
    while (i < env_block_bytes) {
        const char *entry = env_block + i;
        size_t len = text_length(entry, env_block_bytes - i);
        if (len > name_len && entry[name_len] == '=' && text_starts_with(entry, name, name_len))
            return entry + name_len + 1;
        i += len + 1;
    }
    return NULL;
}

/* "123", "64K", "32M", "1G": bytes, or fallback when absent or malformed. */
static size_t env_size(const char *name, size_t fallback) {
    const char *s = env_find(name);
    size_t value = 0;
    if (!s || *s < '0' || *s > '9')
        return fallback;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (value > (SIZE_MAX - 9u) / 10u)
            return fallback;
        value = value * 10u + (size_t)(*s - '0');
    }
    if (*s == 'K' || *s == 'k')
        return value <= SIZE_MAX / KIB ? value * KIB : fallback;
    if (*s == 'M' || *s == 'm')
        return value <= SIZE_MAX / MIB ? value * MIB : fallback;
    if (*s == 'G' || *s == 'g')
        return value <= SIZE_MAX / GIB ? value * GIB : fallback;
    return *s == '\0' ? value : fallback;
}

/* pattern with every "%p" replaced by the process id, into out (out_bytes
 * with the NUL). False when that does not fit: a path cut short, as it was
 * 24 bytes before the end, names another file, which tracing would create
 * or truncate. */
static bool trace_path_expand(const char *pattern, char *out, size_t out_bytes) {
    size_t n = 0;
    while (*pattern) {
        if (pattern[0] == '%' && pattern[1] == 'p') {
            char digits[24];
            size_t d = 0;
            unsigned long pid = (unsigned long)sys_getpid();
            do {
                digits[d++] = (char)('0' + (int)(pid % 10u));
                pid /= 10u;
            } while (pid);
            if (d >= out_bytes - n)
                return false;
            while (d)
                out[n++] = digits[--d];
            pattern += 2;
        } else {
            if (n + 1u >= out_bytes)
                return false;
            out[n++] = *pattern++;
        }
    }
    out[n] = '\0';
    return true;
}

/* ---- Start-up ---- */

static unsigned cpu_count(void) {
    unsigned long mask[1024 / (8 * sizeof(unsigned long))];
    long bytes = sys_sched_getaffinity(mask, sizeof mask), i;
    unsigned n = 0;
    for (i = 0; i < bytes / (long)sizeof mask[0]; i++)
        n += (unsigned)__builtin_popcountl(mask[i]);
    return n > 0 ? n : 1u;
}

/* The page size and the address of the kernel's 16 random bytes from the
 * auxiliary vector the kernel gave the process (AT_PAGESZ, AT_RANDOM): read
 * from /proc without touching libc, or through libc's getauxval() when /proc
 * is missing. The page size must be right: a trim rounds to it, and too
 * small a page would let the kernel round a discarded range up over a footer
 * or the next region (AArch64 runs 16 and 64 KiB pages). */
static size_t auxv_read(const unsigned char **random_bytes) {
    unsigned long auxv[2 * 64];
    unsigned long page = 0, random = 0;
    long n = file_read_raw("/proc/self/auxv", auxv, sizeof auxv), i;
    for (i = 0; i + 1 < n / (long)sizeof auxv[0]; i += 2) {
        if (auxv[i] == AT_PAGESZ)
            page = auxv[i + 1];
        else if (auxv[i] == AT_RANDOM)
            random = auxv[i + 1];
        else if (auxv[i] == AT_NULL)
            break;
    }
    if (page == 0)
        page = getauxval(AT_PAGESZ);
    if (random == 0)
        random = getauxval(AT_RANDOM);
    *random_bytes = (const unsigned char *)random;
    /* Never 0 on Linux; if it were, the largest page size in use is safe. */
    return page != 0 ? (size_t)page : 64u * KIB;
}

/* The double-free marks' key: random where the kernel gave random bytes,
 * so no program data is the key by design, only by a 2^-62 chance. */
static uintptr_t mark_key_make(const unsigned char *random_bytes) {
    uintptr_t key = (uintptr_t)&shim ^ (uintptr_t)0x9E3779B97F4A7C15u;
    uintptr_t r = 0;
    if (random_bytes)
        memcpy(&r, random_bytes, sizeof r);
    /* Bit 0 set (never a pointer); bit 1 tells the two keys apart. */
    return ((key ^ r) | 1u) & ~(uintptr_t)2u;
}

/* Reserves the arenas' address space, at most budget_bytes of it: smaller
 * slices, then fewer arenas, while the reservation exceeds the budget or the
 * kernel refuses (a small address space). Without any reservation every
 * request is mapped on its own: slow, but the program runs. */
static bool shim_reserve(unsigned arenas_wanted, size_t budget_bytes) {
    unsigned count, slice_log2, i;
    for (count = arenas_wanted; count >= 1; count /= 2) {
        for (slice_log2 = SLICE_LOG2_MAX; slice_log2 >= SLICE_LOG2_MIN; slice_log2--) {
            size_t bytes = (size_t)count << slice_log2;
            void *base;
            if (bytes > budget_bytes)
                continue;
            base = sys_mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
            if (sys_failed((long)base))
                continue;
            shim.base = (uintptr_t)base;
            shim.reserved_bytes = bytes;
            shim.slice_log2 = slice_log2;
            shim.arena_count = count;
            for (i = 0; i < count; i++) {
                arenas[i].slice_lo = shim.base + ((uintptr_t)i << slice_log2);
                atomic_store_explicit(&arenas[i].committed_hi, arenas[i].slice_lo, memory_order_relaxed);
            }
            return true;
        }
    }
    return false;
}

static void shim_init_locked(void) {
    static char trace_path[4096];
    const char *trace_pattern;
    unsigned arenas_wanted;
    size_t arenas_env, budget_bytes = SIZE_MAX;
    uint64_t as_limits[2];
    const unsigned char *random_bytes;
    shim.page_bytes = auxv_read(&random_bytes);
    env_load();
    arenas_env = env_size("BAREHEAP_ARENAS", ARENAS_PER_CPU * (size_t)cpu_count());
    /* Clamped before it is narrowed: 4294967298 is many arenas, not 2. */
    arenas_wanted = arenas_env > ARENAS_MAX ? ARENAS_MAX : (unsigned)arenas_env;
    if (arenas_wanted < 1)
        arenas_wanted = 1;
    /* An explicit BAREHEAP_ARENAS may go below the minimum (1: one heap). */
    if (!env_find("BAREHEAP_ARENAS") && arenas_wanted < ARENAS_MIN)
        arenas_wanted = ARENAS_MIN;
    shim.mmap_threshold = env_size("BAREHEAP_MMAP_THRESHOLD", MMAP_THRESHOLD_DEFAULT);
    shim.cache_wanted = env_size("BAREHEAP_THREAD_CACHE", 1) != 0;
    shim.trim_threshold = env_size("BAREHEAP_TRIM_THRESHOLD", TRIM_THRESHOLD_DEFAULT);
    if (shim.trim_threshold == 0)
        shim.trim_threshold = SIZE_MAX;
    shim.cache_key = mark_key_make(random_bytes);
    shim.remote_key = shim.cache_key | 2u;
    if (shim.mmap_threshold < shim.page_bytes)
        shim.mmap_threshold = shim.page_bytes;
    /* The reservation counts against RLIMIT_AS like memory in use: under a
     * limit it takes at most half of it, and the rest is left to blocks
     * mapped on their own, thread stacks and libraries (taking nearly all,
     * it left a program that needed 300 MiB in one block unable to get it
     * at a 1.1 GiB limit, where glibc served it). Arenas lend each other
     * their slices (arena_alloc_slow()), so smaller slices lose no capacity.
     * A limit too small for the smallest reservation within its budget gets
     * whatever the kernel grants: a heap, even a small one, serves small
     * requests in far less memory than a page each. */
    shim.arena_count = arenas_wanted;
    if (sys_prlimit_get(RLIMIT_AS, as_limits) == 0 && as_limits[0] != UINT64_MAX) {
        uint64_t half = as_limits[0] / 2u;
        budget_bytes = half < SIZE_MAX ? (size_t)half : SIZE_MAX;
    }
    if (!shim_reserve(arenas_wanted, budget_bytes) && budget_bytes != SIZE_MAX)
        (void)shim_reserve(arenas_wanted, SIZE_MAX);
    trace_pattern = env_find("BAREHEAP_TRACE");
    if (trace_pattern && *trace_pattern) {
        if (trace_path_expand(trace_pattern, trace_path, sizeof trace_path))
            (void)trace_start(trace_path);
        else
            shim_write_message("trace: the BAREHEAP_TRACE path is too long, not tracing", NULL);
    }
}

static void shim_init(void) {
    shim_lock_enter(&shim.init_lock);
    if (!atomic_load_explicit(&shim.ready, memory_order_relaxed)) {
        shim_init_locked();
        atomic_store_explicit(&shim.ready, 1, memory_order_release);
        atomic_store_explicit(&shim.slow_calls, trace_enabled, memory_order_release);
    }
    shim_lock_exit(&shim.init_lock);
}

/* Whether a call must take its slow entry (see shim.slow_calls). */
static inline bool shim_slow_calls(void) {
    return atomic_load_explicit(&shim.slow_calls, memory_order_acquire) != 0;
}

static inline void shim_ensure_init(void) {
    if (SHIM_UNLIKELY(!atomic_load_explicit(&shim.ready, memory_order_acquire)))
        shim_init();
}

/* ---- Arenas ---- */

/* tls_held_lock in the thread that forks, from fork_prepare() to
 * fork_parent() or fork_child(): it holds init_lock and every arena lock
 * then. fork() runs the prepare handlers registered before the shim's
 * after it, and their parent and child handlers before it; such a handler
 * (another library's, registered by a constructor that ran before the
 * shim's, as a program's own do in a static link) may allocate. The locks
 * are not reentrant, so that thread takes none meanwhile: it holds them
 * all, and every other thread waits. Kept in tls_held_lock, which the
 * hooks load anyway: it costs each a compare and a branch never taken (2%
 * more instructions in a loop of malloc and free of uncached sizes, no
 * difference in its time beyond the noise of 8 runs). */
#define HELD_ALL_LOCKS ((shim_lock *)(uintptr_t)1)

static inline bool fork_holds_locks(void) { return SHIM_UNLIKELY(tls_held_lock == HELD_ALL_LOCKS); }

static void arena_lock_hook(void *context) {
    shim_lock *held = tls_held_lock;
    if (held != context && SHIM_LIKELY(held != HELD_ALL_LOCKS))
        shim_lock_enter((shim_lock *)context);
}
static void arena_unlock_hook(void *context) {
    shim_lock *held = tls_held_lock;
    if (held != context && SHIM_LIKELY(held != HELD_ALL_LOCKS))
        shim_lock_exit((shim_lock *)context);
}

/* Problems the core has reported to this thread: the error handler runs in
 * the thread whose call found the problem, so a call can tell its own
 * failure from another thread's. */
static __thread unsigned tls_reported __attribute__((tls_model("initial-exec")));

/* The core found a bad pointer or a damaged block: say so, and the call
 * leaves the heap alone (runs with the arena lock held). */
static void arena_report(void *context, bh_error kind, const void *address) {
    (void)context;
    tls_reported++;
    shim_write_message(bh_error_name(kind), address);
}

static inline bh_heap *arena_heap(arena *a) {
    return atomic_load_explicit(&a->heap, memory_order_acquire);
}

/* The heap of arena a for a call on p, or NULL after reporting p: an arena
 * no thread has used has none, and p, in its part of the reservation, was
 * never handed out. */
static inline bh_heap *arena_heap_for(arena *a, const void *p) {
    bh_heap *heap = arena_heap(a);
    if (SHIM_UNLIKELY(!heap)) {
        tls_reported++;
        shim_write_message(bh_error_name(BH_ERROR_INVALID_POINTER), p);
    }
    return heap;
}

/* The end of what a has mapped read-write: reading below it cannot fault.
 * Relaxed: a stale value is lower, and only sends a block the slow way. */
static inline uintptr_t arena_mapped_end(const arena *a) {
    return atomic_load_explicit(&a->committed_hi, memory_order_relaxed);
}

/* Whether p, a pointer into a's slice, may be a payload whose header and
 * first words can be read without a fault: 16-aligned, above the slice's
 * first byte (the word below that is another arena's or outside the
 * reservation) and below mapped_end, a's arena_mapped_end(). The shim reads
 * an arena block's words through a pointer the program passed in only after
 * this test. */
static inline bool arena_payload_readable(const arena *a, const void *p, uintptr_t mapped_end) {
    return (uintptr_t)p > a->slice_lo && (uintptr_t)p < mapped_end && ((uintptr_t)p & 15u) == 0;
}

/* A word of an arena's heap read without the arena's lock (the thread cache
 * and the batching of remote frees test a block before taking any lock):
 * another thread may hold that lock meanwhile and rewrite it, the header of
 * a block whose neighbour is freed or handed out. The bits that make a
 * block safe to cache or batch (its own size, FREE and ALIGNED, the next
 * block's PREV_FREE) change only with the block's own free, which is the
 * caller's. Whether a neighbour is free (its FREE bit, this block's
 * PREV_FREE), which the cache also reads, may be stale: a block beside a
 * free one is then cached (the hole stays split until it leaves the cache),
 * or one that could be is freed to the core, both harmless. One relaxed
 * atomic load: the compiler may neither split it nor load the
 * word again between its tests. (The core's stores are plain, so
 * ThreadSanitizer still reports the pair: tests/hosted/tsan_suppressions.txt
 * names this function.) */
static inline size_t word_load_unlocked(const void *address) {
    return __atomic_load_n((const size_t *)address, __ATOMIC_RELAXED);
}

/* Whether the core's used-block header is what the thread cache reads:
 * size | flags one word below the payload, capacity = size - one word, the
 * FREE flag set by a free. Checked on a fresh heap (no lock set yet). */
static bool layout_is_expected(bh_heap *heap) {
    void *p = bh_alloc(heap, 40);
    size_t header, size;
    bool ok;
    if (!p)
        return false;
    header = ((const size_t *)p)[-1];
    size = header & ~HEADER_FLAGS;
    ok = (header & (HEADER_FREE | HEADER_ALIGNED)) == 0 && size == 48 &&
         bh_usable_size(heap, p) == size - sizeof(size_t) &&
         (((const size_t *)(const void *)((const char *)p - sizeof(size_t) + size))[0] & HEADER_PREV_FREE) == 0;
    bh_free(heap, p);
    return ok && (((const size_t *)p)[-1] & HEADER_FREE) != 0;
}

/* Adds a region that can hold a request of need_bytes (alignment included)
 * to arena a, making its heap if it has none. Caller holds init_lock. */
static bool arena_grow_locked(arena *a, size_t need_bytes) {
    uintptr_t slice_hi = a->slice_lo + ((uintptr_t)1 << shim.slice_log2);
    uintptr_t hi = atomic_load_explicit(&a->committed_hi, memory_order_relaxed);
    size_t committed = (size_t)(hi - a->slice_lo);
    size_t region = committed < REGION_MIN_BYTES ? REGION_MIN_BYTES : committed;
    bh_heap *heap = arena_heap(a);
    if (shim.reserved_bytes == 0 || need_bytes > ((size_t)1 << shim.slice_log2))
        return false;
    if (region > REGION_MAX_BYTES)
        region = REGION_MAX_BYTES;
    /* No overflow: need_bytes is at most the slice size, far below SIZE_MAX. */
    need_bytes = (need_bytes + REGION_SLACK_BYTES + REGION_ROUND_BYTES - 1u) & ~(REGION_ROUND_BYTES - 1u);
    if (region < need_bytes)
        region = need_bytes;
    /* The slice's last part, if smaller than the growth step, still serves
     * requests it holds (a whole number of 2 MiB steps, like every region). */
    if (region > (size_t)(slice_hi - hi))
        region = (size_t)(slice_hi - hi);
    if (region < need_bytes)
        return false;
    if (sys_mprotect((void *)hi, region, PROT_READ | PROT_WRITE) != 0)
        return false;
    if (!heap) {
        heap = bh_init_ex((void *)hi, region, (size_t)1 << shim.slice_log2);
        if (!heap)
            return false;
        bh_set_error_handler(heap, arena_report, a);
        if (!atomic_load_explicit(&shim.layout_checked, memory_order_relaxed)) {
            atomic_store_explicit(&shim.cache_enabled, shim.cache_wanted && layout_is_expected(heap),
                                  memory_order_relaxed);
            atomic_store_explicit(&shim.layout_checked, 1, memory_order_relaxed);
        }
        bh_set_lock(heap, arena_lock_hook, arena_unlock_hook, &a->lock);
        atomic_store_explicit(&a->heap, heap, memory_order_release);
    } else if (!bh_add_region(heap, (void *)hi, region)) {
        /* BAREHEAP_MAX_REGIONS reached: the memory stays mapped but unused;
         * larger requests will be mapped on their own. */
        (void)sys_mprotect((void *)hi, region, PROT_NONE);
        return false;
    }
    atomic_store_explicit(&a->committed_hi, hi + region, memory_order_release);
    return true;
}

/* ---- Directly mapped blocks ----
 *   [ mapping start ... | direct_header | payload ............ | page end ]
 * The header sits just below the payload; its tag is the payload address
 * mixed with a constant, so a stray pointer is unlikely to pass for one. */
typedef struct direct_header {
    uintptr_t map_base;
    size_t map_bytes;
    size_t align_bytes;
    uintptr_t tag;
} direct_header;

#define DIRECT_TAG ((uintptr_t)0x6268646972656374u) /* "bhdirect" */
_Static_assert(sizeof(direct_header) % _Alignof(max_align_t) == 0, "payloads stay aligned");

static inline direct_header *direct_header_of(const void *payload) {
    return (direct_header *)(uintptr_t)((uintptr_t)payload - sizeof(direct_header));
}

/* Whether a mapped block's header lies below payload. A pointer outside the
 * arenas is a mapped block or not the shim's at all, and may point anywhere:
 * the start of a mapping with nothing before it, memory already unmapped, a
 * page without read access (PROT_NONE, a guard page). So the kernel is asked
 * first whether the header's words can be read (FUTEX_WAIT loads a word and
 * answers EFAULT where it cannot, with no fault: sys_futex_probe()), one word
 * in each page the header spans (a valid header, at the start of its
 * mapping, spans one), and only then is the header read here. One system
 * call, on paths that also map, unmap or move a mapping.
 *
 * futex is a call no seccomp filter refuses to a threaded program, where
 * process_vm_readv() on the process itself is refused by container profiles
 * and kills the process under filters that kill (systemd's default action);
 * mincore() tells that a page is mapped, not that it can be read. The
 * values probed for are ones a valid header does not hold (its tag's
 * complement; 1 for a page-aligned map_base), so a valid block gets the
 * quick answer (EAGAIN; an equal word costs a timeout path, about 15 us).
 * Any answer but EFAULT (futex itself refused) reads the header. Another
 * thread unmapping the memory between the probe and the read would still
 * fault: only for a pointer that is not a live block, into memory being
 * unmapped at that moment. */
static bool direct_is_valid(const void *payload) {
    uintptr_t expected = DIRECT_TAG ^ (uintptr_t)payload;
    const direct_header *h;
    uintptr_t page_mask;
    if (((uintptr_t)payload & (MALLOC_ALIGN_BYTES - 1u)) != 0 || (uintptr_t)payload < sizeof(direct_header))
        return false;
    h = direct_header_of(payload);
    /* The tag's low half (little-endian) is the word at &h->tag. */
    if (sys_futex_probe(&h->tag, (uint32_t)~expected) == -EFAULT)
        return false;
    page_mask = (uintptr_t)(shim.page_bytes ? shim.page_bytes : 4096u) - 1u;
    if (((uintptr_t)h & ~page_mask) != ((uintptr_t)&h->tag & ~page_mask) &&
        sys_futex_probe(&h->map_base, 1u) == -EFAULT)
        return false;
    return h->tag == expected;
}

/* A fresh mapping for size_bytes at align_bytes (0: malloc's): zeroed. */
static void *direct_alloc(size_t size_bytes, size_t align_bytes) {
    size_t page = shim.page_bytes ? shim.page_bytes : 4096u;
    size_t extra = align_bytes > sizeof(direct_header) ? align_bytes : sizeof(direct_header);
    size_t map_bytes;
    uintptr_t base, payload;
    void *m;
    direct_header *h;
    /* At an alignment of a page or more the payload may be the whole
     * alignment past the start of the mapping, so a request of 0 bytes
     * mapped only that much would have its payload at the mapping's end:
     * on the next mapping's memory (the reservation's first page, which
     * then makes free() report it and leak the mapping), with no usable
     * byte. One byte keeps it inside. */
    if (size_bytes == 0)
        size_bytes = 1;
    if (size_bytes > SIZE_MAX - extra - page)
        return NULL;
    map_bytes = (size_bytes + extra + page - 1u) & ~(page - 1u);
    m = sys_mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (sys_failed((long)m))
        return NULL;
    base = (uintptr_t)m;
    if (align_bytes < MALLOC_ALIGN_BYTES)
        align_bytes = MALLOC_ALIGN_BYTES;
    payload = (base + sizeof(direct_header) + align_bytes - 1u) & ~(uintptr_t)(align_bytes - 1u);
    h = direct_header_of((void *)payload);
    h->map_base = base;
    h->map_bytes = map_bytes;
    h->align_bytes = align_bytes;
    h->tag = DIRECT_TAG ^ payload;
    return (void *)payload;
}

static inline size_t direct_usable_bytes(const void *payload) {
    const direct_header *h = direct_header_of(payload);
    return (size_t)(h->map_base + h->map_bytes - (uintptr_t)payload);
}

static void direct_free(void *payload) {
    direct_header *h = direct_header_of(payload);
    if (SHIM_UNLIKELY(!direct_is_valid(payload))) {
        shim_write_message("invalid pointer (not from this malloc), ignored:", payload);
        return;
    }
    h->tag = 0;
    (void)sys_munmap((void *)h->map_base, h->map_bytes);
}

/* ---- Arena choice ---- */

/* The arena of p, known to lie in the reservation (a cached or batched
 * block). */
static inline arena *arena_of_reserved(const void *p) {
    return &arenas[((uintptr_t)p - shim.base) >> shim.slice_log2];
}

/* The arena that owns heap block p, or NULL when p is not in the
 * reservation (a mapped block, NULL, or foreign). */
static inline arena *arena_owning(const void *p) {
    if (SHIM_LIKELY((uintptr_t)p - shim.base < shim.reserved_bytes))
        return arena_of_reserved(p);
    return NULL;
}

static void thread_register_exit(void);

/* A new thread takes the arena with the fewest live threads (the lowest
 * index on a tie), so threads spread over the arenas and a thread started
 * after another exited reuses its arena's memory. */
static __attribute__((noinline)) arena *thread_arena_assign(void) {
    unsigned i, best = 0, best_threads = UINT32_MAX;
    shim_ensure_init();
    for (i = 0; i < shim.arena_count; i++) {
        unsigned n = atomic_load_explicit(&arenas[i].threads, memory_order_relaxed);
        if (n < best_threads) {
            best = i;
            best_threads = n;
        }
    }
    atomic_fetch_add_explicit(&arenas[best].threads, 1u, memory_order_relaxed);
    /* Set before anything below can allocate (pthread_setspecific may). */
    tls_arena_plus1 = best + 1u;
    thread_register_exit();
    return &arenas[best];
}

static inline arena *thread_arena(void) {
    unsigned i = tls_arena_plus1;
    if (SHIM_UNLIKELY(i == 0))
        return thread_arena_assign();
    return &arenas[i - 1u];
}

/* Makes thread_exit() run when this thread exits: it gives back the
 * thread's cached blocks and its place in its arena's thread count. Tried
 * once per thread, from its first call, or for a thread that allocated
 * before the constructor made the key, from the constructor. */
static void thread_register_exit(void) {
    if (tls_cache.exit_registered != 0 || !atomic_load_explicit(&shim.exit_key_ready, memory_order_acquire))
        return;
    /* Marked first: pthread_setspecific may allocate, and come back here. */
    tls_cache.exit_registered = 2;
    if (pthread_setspecific(shim.exit_key, &tls_cache) == 0)
        tls_cache.exit_registered = 1;
}

/* The exit destructor makes caching safe: without it a thread's cached
 * blocks would be lost when it exits. */
static __attribute__((noinline)) bool cache_activate(void) {
    if (tls_cache.state != CACHE_OFF)
        return false;
    thread_register_exit();
    if (tls_cache.exit_registered == 0)
        return false; /* before the constructor: try again later */
    if (tls_cache.exit_registered != 1 || !atomic_load_explicit(&shim.cache_enabled, memory_order_relaxed)) {
        tls_cache.state = CACHE_EXITED; /* never for this thread */
        return false;
    }
    tls_cache.state = CACHE_ON;
    return true;
}

static inline unsigned cache_bin_for_request(size_t size_bytes) {
    return size_bytes <= CACHE_MIN_BLOCK_BYTES - sizeof(size_t)
               ? 0u
               : (unsigned)((size_bytes + sizeof(size_t) - CACHE_MIN_BLOCK_BYTES + 15u) >> 4);
}

static inline void *cache_pop(size_t size_bytes) {
    unsigned bin = cache_bin_for_request(size_bytes);
    void **p = tls_cache.head[bin];
    if (!p)
        return NULL;
    tls_cache.head[bin] = p[0];
    tls_cache.count[bin]--;
    tls_cache.cached_bytes -= CACHE_MIN_BLOCK_BYTES + ((size_t)bin << 4);
    p[1] = NULL; /* no longer marked as cached */
    return p;
}

/* Keeps block p of this thread's arena a in the cache if it fits. The header
 * is checked as far as can be done without the lock (aligned payload, plausible
 * size, not free, not aligned-allocated, the next block agreeing that this
 * one is used); whatever fails goes to bh_free(), which validates fully. */
static inline bool cache_push(arena *a, void *p) {
    size_t header, size, next_header;
    unsigned bin;
    uintptr_t mapped_end = arena_mapped_end(a);
    if (!arena_payload_readable(a, p, mapped_end))
        return false;
    header = word_load_unlocked((const size_t *)p - 1);
    size = header & ~HEADER_FLAGS;
    if ((header & (HEADER_FREE | HEADER_ALIGNED | 8u)) != 0 ||
        size - CACHE_MIN_BLOCK_BYTES > CACHE_BLOCK_MAX_BYTES - CACHE_MIN_BLOCK_BYTES)
        return false;
    bin = (unsigned)((size - CACHE_MIN_BLOCK_BYTES) >> 4);
    if (tls_cache.count[bin] >= (bin < CACHE_SMALL_BINS ? CACHE_DEPTH_SMALL : CACHE_DEPTH_LARGE) ||
        tls_cache.cached_bytes + size > CACHE_MAX_BYTES)
        return false;
    if (SHIM_UNLIKELY(tls_cache.state != CACHE_ON) && !cache_activate())
        return false;
    if ((uintptr_t)p - sizeof(size_t) + size >= mapped_end)
        return false;
    next_header = word_load_unlocked((const char *)p - sizeof(size_t) + size);
    /* The next block must agree that this one is used. And a block with a
     * free neighbour goes to the core, which merges them: caching it would
     * keep a hole split in two. */
    if ((next_header & (HEADER_PREV_FREE | HEADER_FREE)) != 0 || (header & HEADER_PREV_FREE) != 0)
        return false;
    ((void **)p)[0] = tls_cache.head[bin];
    ((uintptr_t *)p)[1] = shim.cache_key;
    tls_cache.head[bin] = p;
    tls_cache.count[bin]++;
    tls_cache.cached_bytes += size;
    return true;
}

/* Whether p, given to free, realloc or malloc_usable_size, was freed
 * already and waits in a thread cache, a batch or a remote list, where the
 * core still counts it as used: reported as the core reports a second free,
 * and the caller does nothing else with p (the core would free it under the
 * waiting free's feet, and that free would later hit whatever then lives at
 * p). Waiting blocks carry shim.cache_key or shim.remote_key in their second
 * word from the free until they leave the cache or reach the core, and only
 * then (cache_pop(), cache_flush() and the remote flushes clear it first), so
 * the mark needs no search: a block cached by another thread that shares the
 * arena is found too. Nothing is read at p unless it lies in memory owner has
 * mapped. */
static inline bool freed_pending(const arena *owner, const void *p) {
    uintptr_t mark;
    if (!arena_payload_readable(owner, p, arena_mapped_end(owner)))
        return false;
    mark = ((const uintptr_t *)p)[1];
    /* The two keys differ in bit 1 only. */
    if (SHIM_LIKELY(((mark ^ shim.cache_key) & ~(uintptr_t)2u) != 0))
        return false;
    shim_write_message(bh_error_name(BH_ERROR_DOUBLE_FREE), p);
    return true;
}

/* The size of block p if it may join this thread's batch of frees for
 * owner, else 0. It must look like a used block there (mapped, aligned, a
 * plausible size, not free, the next block agreeing) because the batch links
 * blocks through their payloads, and be at most REMOTE_MAX_BYTES. (A block
 * that waits already was refused by freed_pending(): a list through the same
 * block twice would loop.) Whatever fails goes to bh_free(). */
static inline size_t remote_batch_bytes(const arena *owner, void *p) {
    size_t header, size;
    uintptr_t block = (uintptr_t)p - sizeof(size_t), mapped_end = arena_mapped_end(owner);
    if (!arena_payload_readable(owner, p, mapped_end))
        return 0;
    header = word_load_unlocked((const size_t *)p - 1);
    size = header & ~HEADER_FLAGS;
    if ((header & (HEADER_FREE | 8u)) != 0 ||
        size - CACHE_MIN_BLOCK_BYTES > REMOTE_MAX_BYTES - CACHE_MIN_BLOCK_BYTES || size >= mapped_end - block ||
        (word_load_unlocked((const void *)(block + size)) & HEADER_PREV_FREE) != 0)
        return 0;
    return size;
}

/* ---- Giving memory back ----
 * An arena's pages stay resident once touched unless given back with
 * madvise(MADV_DONTNEED) (read as zeros, backed again when touched). What
 * can go is the free last block of each region (bh_trim(): the top of the
 * heap, where a program that frees what it allocated ends up); free memory
 * below a used block stays. After every trim_threshold bytes freed to an
 * arena's core, the part of a free top beyond its first trim_threshold
 * bytes goes: both limits, because a program whose top rises and falls by
 * less than that would otherwise fault its pages back in after every trim
 * (all but 64 KiB trimmed after every 32 MiB freed made malloc-large's 5-25
 * MiB blocks 4-5x slower). When the last thread of an arena exits, all but
 * TRIM_KEEP_BYTES go: the arena is idle until another thread is given it. */

/* bh_trim()'s callback, under the arena lock: no allocation can hand the
 * range out before the kernel has dropped its pages. Other threads' calls
 * on the arena wait meanwhile, as long as the kernel takes to unmap the
 * range (roughly proportional to the resident pages in it). */
static void trim_discard(void *context, void *lo, size_t size_bytes) {
    size_t *released_bytes = (size_t *)context;
    uintptr_t page_mask = (uintptr_t)shim.page_bytes - 1u;
    uintptr_t first = ((uintptr_t)lo + page_mask) & ~page_mask;
    uintptr_t end = ((uintptr_t)lo + size_bytes) & ~page_mask;
    if (end > first && sys_madvise((void *)first, end - first, MADV_DONTNEED) == 0)
        *released_bytes += end - first;
}

/* Gives a's free top back (bh_trim() takes the lock, or finds it held by
 * this thread). Returns the bytes given back. */
static size_t arena_trim(arena *a, size_t keep_bytes) {
    size_t released_bytes = 0;
    bh_heap *heap = arena_heap(a);
    atomic_store_explicit(&a->freed_since_trim, 0, memory_order_relaxed);
    if (heap)
        (void)bh_trim(heap, keep_bytes, trim_discard, &released_bytes);
    return released_bytes;
}

/* Frees heap block p of arena a and counts its bytes towards the next trim.
 * The header is read only where it is mapped; its value is a hint, the core
 * validates p. */
static void arena_free(arena *a, void *p) {
    size_t bytes = 0, freed;
    bh_heap *heap = arena_heap_for(a, p);
    if (!heap)
        return;
    if (arena_payload_readable(a, p, arena_mapped_end(a)))
        bytes = word_load_unlocked((const size_t *)p - 1) & ~HEADER_FLAGS;
    bh_free(heap, p);
    freed = atomic_load_explicit(&a->freed_since_trim, memory_order_relaxed) + bytes;
    atomic_store_explicit(&a->freed_since_trim, freed, memory_order_relaxed);
    if (SHIM_UNLIKELY(freed >= shim.trim_threshold))
        (void)arena_trim(a, shim.trim_threshold);
}

/* Frees the blocks on a's remote list; the caller holds a's lock (and has
 * set tls_held_lock to it). */
static void arena_drain_remote_locked(arena *a) {
    void **p = atomic_exchange_explicit(&a->remote_head, NULL, memory_order_acquire);
    while (p) {
        void **next = p[0];
        p[1] = NULL; /* no longer waiting: see freed_pending() */
        arena_free(a, p);
        p = next;
    }
}

/* Takes a's lock for the whole of several core calls. */
static inline void arena_hold(arena *a) {
    if (fork_holds_locks())
        return;
    shim_lock_enter(&a->lock);
    tls_held_lock = &a->lock;
}
static inline void arena_release(arena *a) {
    if (fork_holds_locks())
        return;
    tls_held_lock = NULL;
    shim_lock_exit(&a->lock);
}

/* The owner's thread finds blocks other threads could not free: it frees
 * them (and its own lock is nearly always free). */
static __attribute__((noinline)) void arena_drain_remote(arena *a) {
    arena_hold(a);
    arena_drain_remote_locked(a);
    arena_release(a);
}

/* Frees what other threads left on a's remote list, if anything, taking
 * a's lock. Called before a serves a request (the calling thread's
 * allocations, aligned ones included, and a realloc of one of a's blocks),
 * so that those blocks serve it before a grows; by malloc_trim() for every
 * arena, and at a thread's exit for its own. Without the checks beyond
 * malloc, a thread that only made those calls left the list to grow for as
 * long as other threads found a's lock taken. */
static inline void arena_drain_pending(arena *a) {
    if (SHIM_UNLIKELY(atomic_load_explicit(&a->remote_head, memory_order_relaxed) != NULL))
        arena_drain_remote(a);
}

/* Frees the batched blocks of other arenas, a run of one owner's blocks at a
 * time. If the owner's lock is free, under one acquisition (with whatever
 * its remote list holds); if not, the run is pushed onto the owner's remote
 * list with one compare-and-swap, and this thread goes on without waiting: a
 * producer/consumer pair then does not spin on each other's lock. (Only a
 * run for an arena left with no thread, which nobody else would drain,
 * waits for the lock: see below.) */
static __attribute__((noinline)) void remote_flush(void) {
    unsigned i = 0, n = tls_cache.remote_count;
    tls_cache.remote_count = 0;
    tls_cache.remote_bytes = 0;
    while (i < n) {
        arena *owner = arena_of_reserved(tls_cache.remote[i]);
        unsigned j = i + 1;
        while (j < n && arena_of_reserved(tls_cache.remote[j]) == owner)
            j++;
        if (shim_lock_try(&owner->lock)) {
            tls_held_lock = &owner->lock;
            for (; i < j; i++) {
                ((void **)tls_cache.remote[i])[1] = NULL; /* see freed_pending() */
                arena_free(owner, tls_cache.remote[i]);
            }
            arena_drain_remote_locked(owner);
            arena_release(owner);
        } else {
            void **first = tls_cache.remote[i], **last = first;
            void *head;
            for (i++; i < j; i++) {
                last[0] = tls_cache.remote[i];
                last = tls_cache.remote[i];
            }
            head = atomic_load_explicit(&owner->remote_head, memory_order_relaxed);
            do {
                last[0] = head;
            } while (!atomic_compare_exchange_weak_explicit(&owner->remote_head, &head, (void *)first,
                                                            memory_order_release, memory_order_relaxed));
            /* An arena whose last thread has left (thread_exit() counts it
             * out, then drains) has no owner to drain the list: either its
             * drain saw this push, or this load sees the count at 0 and the
             * run is freed here, waiting for the lock. The fences order each
             * side's store before its load. */
            atomic_thread_fence(memory_order_seq_cst);
            if (atomic_load_explicit(&owner->threads, memory_order_relaxed) == 0)
                arena_drain_remote(owner);
        }
    }
}

static void cache_flush(void) {
    unsigned bin;
    tls_cache.cached_bytes = 0;
    for (bin = 0; bin < CACHE_BINS; bin++) {
        void **p = tls_cache.head[bin];
        tls_cache.head[bin] = NULL;
        tls_cache.count[bin] = 0;
        while (p) {
            void **next = p[0];
            p[1] = NULL;
            arena_free(arena_of_reserved(p), p);
            p = next;
        }
    }
    remote_flush();
}

/* At a thread's exit (registered threads only): its cached and batched
 * blocks go back, and its arena counts one thread less. Later calls from other destructors of the same
 * thread still work, uncached. */
static void thread_exit(void *unused) {
    unsigned i = tls_arena_plus1;
    (void)unused;
    tls_cache.state = CACHE_EXITED;
    cache_flush();
    if (i != 0) {
        arena *a = &arenas[i - 1u];
        /* Counted out before the drain: a run another thread pushes later
         * is freed by that thread (remote_flush()). */
        bool last = atomic_fetch_sub_explicit(&a->threads, 1u, memory_order_relaxed) == 1u;
        atomic_thread_fence(memory_order_seq_cst);
        arena_drain_pending(a);
        /* The last thread of the arena leaves: its memory is idle until
         * another thread is given the arena. */
        if (last && shim.trim_threshold != SIZE_MAX)
            (void)arena_trim(a, TRIM_KEEP_BYTES);
    }
}

/* ---- The operations, untraced ---- */

static void *heap_alloc_once(arena *a, size_t size_bytes, size_t align_bytes) {
    bh_heap *heap = arena_heap(a);
    if (!heap)
        return NULL;
    return align_bytes > MALLOC_ALIGN_BYTES ? bh_alloc_aligned(heap, align_bytes, size_bytes)
                                            : bh_alloc(heap, size_bytes);
}

/* The arena has no block that fits: grow it (or make its heap) and retry;
 * if its slice is full, take the block from another arena's heap, growing
 * one if need be (a free finds the owner from the address, whichever thread
 * frees it); only then map the block on its own, a page at least, which for
 * small requests costs many times their size. O(arenas) on this path. */
static __attribute__((noinline)) void *arena_alloc_slow(arena *a, size_t size_bytes, size_t align_bytes) {
    void *p;
    unsigned i;
    bool holds_init_lock = fork_holds_locks();
    if (!holds_init_lock)
        shim_lock_enter(&shim.init_lock);
    /* Another thread may have grown the arena since the attempt failed. */
    p = heap_alloc_once(a, size_bytes, align_bytes);
    if (!p && size_bytes <= SIZE_MAX / 2 && arena_grow_locked(a, size_bytes + align_bytes))
        p = heap_alloc_once(a, size_bytes, align_bytes);
    for (i = 0; !p && i < shim.arena_count; i++) {
        if (&arenas[i] != a)
            p = heap_alloc_once(&arenas[i], size_bytes, align_bytes);
    }
    for (i = 0; !p && i < shim.arena_count && size_bytes <= SIZE_MAX / 2; i++) {
        if (&arenas[i] != a && arena_grow_locked(&arenas[i], size_bytes + align_bytes))
            p = heap_alloc_once(&arenas[i], size_bytes, align_bytes);
    }
    if (!holds_init_lock)
        shim_lock_exit(&shim.init_lock);
    if (!p)
        p = direct_alloc(size_bytes, align_bytes);
    return p;
}

static inline void *shim_malloc(size_t size_bytes) {
    arena *a;
    void *p;
    if (SHIM_LIKELY(size_bytes <= CACHE_REQUEST_MAX_BYTES) && (p = cache_pop(size_bytes)) != NULL)
        return p;
    a = thread_arena();
    arena_drain_pending(a);
    if (SHIM_UNLIKELY(size_bytes >= shim.mmap_threshold))
        p = direct_alloc(size_bytes, 0);
    else if (SHIM_UNLIKELY((p = bh_alloc(arena_heap(a), size_bytes)) == NULL))
        p = arena_alloc_slow(a, size_bytes, 0);
    if (SHIM_UNLIKELY(!p))
        errno = ENOMEM;
    return p;
}

/* align_bytes: a power of two. */
static void *shim_aligned(size_t align_bytes, size_t size_bytes) {
    arena *a;
    void *p;
    if (align_bytes <= MALLOC_ALIGN_BYTES)
        return shim_malloc(size_bytes);
    a = thread_arena();
    arena_drain_pending(a);
    if (size_bytes >= shim.mmap_threshold || align_bytes >= shim.mmap_threshold)
        p = direct_alloc(size_bytes, align_bytes);
    else if ((p = heap_alloc_once(a, size_bytes, align_bytes)) == NULL)
        p = arena_alloc_slow(a, size_bytes, align_bytes);
    if (!p)
        errno = ENOMEM;
    return p;
}

static inline void shim_free(void *p) {
    arena *owner = arena_owning(p);
    if (SHIM_LIKELY(owner != NULL)) {
        unsigned mine = tls_arena_plus1;
        size_t bytes;
        if (SHIM_UNLIKELY(freed_pending(owner, p)))
            return;
        if (SHIM_LIKELY((unsigned)(owner - arenas) + 1u == mine)) {
            if (cache_push(owner, p))
                return;
        } else if ((bytes = remote_batch_bytes(owner, p)) != 0 &&
                   (tls_cache.state == CACHE_ON || cache_activate())) {
            /* A thread that only frees (a consumer that never allocates)
             * batches too: activation registers the exit destructor that
             * flushes its last batch. (Registered from another key's
             * destructor in the last round at exit, it would not run: up to
             * REMOTE_BATCH - 1 blocks would stay allocated.) */
            if (tls_cache.remote_bytes + bytes > REMOTE_MAX_BYTES)
                remote_flush();
            ((uintptr_t *)p)[1] = shim.remote_key;
            tls_cache.remote[tls_cache.remote_count++] = p;
            tls_cache.remote_bytes += bytes;
            if (tls_cache.remote_count == REMOTE_BATCH)
                remote_flush();
            return;
        }
        arena_free(owner, p);
    } else if (p) {
        direct_free(p);
    }
}

static void *shim_calloc(size_t count, size_t size_bytes) {
    size_t total;
    void *p;
    if (__builtin_mul_overflow(count, size_bytes, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    p = shim_malloc(total);
    /* Mapped blocks are fresh mappings: already zero. */
    if (p && arena_owning(p))
        memset(p, 0, total);
    return p;
}

static size_t shim_usable_size(void *p) {
    arena *owner = arena_owning(p);
    if (owner) {
        bh_heap *heap;
        if (freed_pending(owner, p) || (heap = arena_heap_for(owner, p)) == NULL)
            return 0;
        return bh_usable_size(heap, p);
    }
    if (!p)
        return 0;
    if (!direct_is_valid(p)) {
        shim_write_message("invalid pointer (not from this malloc), ignored:", p);
        return 0;
    }
    return direct_usable_bytes(p);
}

static void *direct_realloc(void *p, size_t size_bytes) {
    direct_header *h = direct_header_of(p);
    size_t usable, offset;
    void *q;
    if (!direct_is_valid(p)) {
        shim_write_message("invalid pointer (not from this malloc), ignored:", p);
        errno = EINVAL;
        return NULL;
    }
    usable = direct_usable_bytes(p);
    offset = (size_t)((uintptr_t)p - h->map_base);
    if (size_bytes >= shim.mmap_threshold && h->align_bytes <= shim.page_bytes &&
        size_bytes <= SIZE_MAX - offset - shim.page_bytes) {
        /* The kernel moves the pages: no copy, and the payload keeps its
         * offset in the page, so its alignment. */
        size_t map_bytes = (offset + size_bytes + shim.page_bytes - 1u) & ~(shim.page_bytes - 1u);
        void *m = sys_mremap((void *)h->map_base, h->map_bytes, map_bytes, MREMAP_MAYMOVE);
        uintptr_t payload;
        if (sys_failed((long)m)) {
            errno = ENOMEM;
            return NULL;
        }
        payload = (uintptr_t)m + offset;
        h = direct_header_of((void *)payload);
        h->map_base = (uintptr_t)m;
        h->map_bytes = map_bytes;
        h->tag = DIRECT_TAG ^ payload;
        return (void *)payload;
    }
    q = size_bytes >= shim.mmap_threshold ? direct_alloc(size_bytes, h->align_bytes) : shim_malloc(size_bytes);
    if (!q) {
        errno = ENOMEM;
        return NULL;
    }
    memcpy(q, p, usable < size_bytes ? usable : size_bytes);
    direct_free(p);
    return q;
}

/* realloc's contract, size_bytes > 0. */
static void *shim_realloc(void *p, size_t size_bytes) {
    arena *owner = arena_owning(p);
    bh_heap *heap;
    unsigned reported_before;
    size_t usable;
    void *q;
    if (!owner)
        return direct_realloc(p, size_bytes);
    if (SHIM_UNLIKELY(freed_pending(owner, p) || (heap = arena_heap_for(owner, p)) == NULL)) {
        errno = EINVAL;
        return NULL;
    }
    /* Growth in place happens in p's arena: the blocks waiting on its list
     * may be what p grows into (a move drains this thread's arena in
     * shim_malloc()). */
    arena_drain_pending(owner);
    reported_before = tls_reported;
    if (size_bytes < shim.mmap_threshold) {
        q = bh_realloc(heap, p, size_bytes);
        if (SHIM_LIKELY(q != NULL))
            return q;
        /* A bad pointer: reported by the core, nothing to move. */
        if (tls_reported != reported_before) {
            errno = EINVAL;
            return NULL;
        }
    }
    /* The owning arena has no room, or the block becomes a mapping: move it
     * (the old block stays valid if that fails). The core validates p on the
     * way: a bad pointer is reported, not moved. */
    usable = bh_usable_size(heap, p);
    if (SHIM_UNLIKELY(tls_reported != reported_before)) {
        errno = EINVAL;
        return NULL;
    }
    q = size_bytes >= shim.mmap_threshold ? direct_alloc(size_bytes, 0) : shim_malloc(size_bytes);
    if (!q) {
        errno = ENOMEM;
        return NULL;
    }
    memcpy(q, p, usable < size_bytes ? usable : size_bytes);
    arena_free(owner, p);
    return q;
}

/* glibc's contract: realloc(NULL, n) is malloc(n); realloc(p, 0) frees p and
 * returns NULL; on failure NULL with errno ENOMEM and p untouched. */
static inline void *shim_realloc_any(void *p, size_t size_bytes) {
    if (!p)
        return shim_malloc(size_bytes);
    if (size_bytes == 0) {
        shim_free(p);
        return NULL;
    }
    return shim_realloc(p, size_bytes);
}

static inline bool is_power_of_two(size_t x) { return x != 0 && (x & (x - 1u)) == 0; }

static unsigned log2_of(size_t power_of_two) { return (unsigned)__builtin_ctzll((unsigned long long)power_of_two); }

/* ---- Slow entries: start-up and tracing ---- */

static __attribute__((noinline)) void *malloc_slow(size_t size_bytes) {
    void *p;
    shim_ensure_init();
    if (!trace_enabled)
        return shim_malloc(size_bytes);
    trace_lock();
    p = shim_malloc(size_bytes);
    trace_record_locked(BH_TRACE_MALLOC, 0, size_bytes, NULL, p);
    trace_unlock();
    return p;
}

static __attribute__((noinline)) void free_slow(void *p) {
    shim_ensure_init();
    if (!trace_enabled) {
        shim_free(p);
        return;
    }
    trace_lock();
    shim_free(p);
    trace_record_locked(BH_TRACE_FREE, 0, 0, p, NULL);
    trace_unlock();
}

static __attribute__((noinline)) void *calloc_slow(size_t count, size_t size_bytes) {
    size_t total;
    void *p;
    shim_ensure_init();
    if (!trace_enabled || __builtin_mul_overflow(count, size_bytes, &total))
        return shim_calloc(count, size_bytes);
    trace_lock();
    p = shim_calloc(count, size_bytes);
    trace_record_locked(BH_TRACE_CALLOC, 0, total, NULL, p);
    trace_unlock();
    return p;
}

static __attribute__((noinline)) void *realloc_slow(void *p, size_t size_bytes) {
    void *q;
    shim_ensure_init();
    if (!trace_enabled)
        return shim_realloc_any(p, size_bytes);
    trace_lock();
    q = shim_realloc_any(p, size_bytes);
    trace_record_locked(BH_TRACE_REALLOC, 0, size_bytes, p, q);
    trace_unlock();
    return q;
}

/* Every aligned entry ends here with a checked power-of-two alignment. */
static void *aligned_entry(size_t align_bytes, size_t size_bytes) {
    void *p;
    if (SHIM_LIKELY(!shim_slow_calls()))
        return shim_aligned(align_bytes, size_bytes);
    shim_ensure_init();
    if (!trace_enabled)
        return shim_aligned(align_bytes, size_bytes);
    trace_lock();
    p = shim_aligned(align_bytes, size_bytes);
    trace_record_locked(BH_TRACE_ALIGNED, log2_of(align_bytes), size_bytes, NULL, p);
    trace_unlock();
    return p;
}

/* ---- The exported entry points ---- */

SHIM_EXPORT void *malloc(size_t size_bytes) {
    if (SHIM_UNLIKELY(shim_slow_calls()))
        return malloc_slow(size_bytes);
    return shim_malloc(size_bytes);
}

SHIM_EXPORT void free(void *p) {
    if (SHIM_UNLIKELY(shim_slow_calls())) {
        if (p)
            free_slow(p);
        return;
    }
    shim_free(p);
}

SHIM_EXPORT void *calloc(size_t count, size_t size_bytes) {
    if (SHIM_UNLIKELY(shim_slow_calls()))
        return calloc_slow(count, size_bytes);
    return shim_calloc(count, size_bytes);
}

SHIM_EXPORT void *realloc(void *p, size_t size_bytes) {
    if (SHIM_UNLIKELY(shim_slow_calls()))
        return realloc_slow(p, size_bytes);
    return shim_realloc_any(p, size_bytes);
}

SHIM_EXPORT void *reallocarray(void *p, size_t count, size_t size_bytes) {
    size_t total;
    if (__builtin_mul_overflow(count, size_bytes, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total);
}

/* EINVAL unless alignment is a power of two multiple of sizeof(void *);
 * *memptr is only written on success. */
SHIM_EXPORT int posix_memalign(void **memptr, size_t align_bytes, size_t size_bytes) {
    int saved_errno = errno;
    void *p;
    if (!is_power_of_two(align_bytes) || align_bytes % sizeof(void *) != 0)
        return EINVAL;
    p = aligned_entry(align_bytes, size_bytes);
    if (!p) {
        errno = saved_errno;
        return ENOMEM;
    }
    *memptr = p;
    return 0;
}

/* C17 (and glibc since 2.38): the alignment must be a power of two. */
SHIM_EXPORT void *aligned_alloc(size_t align_bytes, size_t size_bytes) {
    if (!is_power_of_two(align_bytes)) {
        errno = EINVAL;
        return NULL;
    }
    return aligned_entry(align_bytes, size_bytes);
}

/* glibc's memalign rounds an alignment that is not a power of two up to one,
 * and refuses only what cannot be rounded. */
SHIM_EXPORT void *memalign(size_t align_bytes, size_t size_bytes) {
    if (align_bytes > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    if (align_bytes < MALLOC_ALIGN_BYTES)
        align_bytes = MALLOC_ALIGN_BYTES;
    if (!is_power_of_two(align_bytes))
        align_bytes = (size_t)1 << (64 - __builtin_clzll((unsigned long long)align_bytes));
    return aligned_entry(align_bytes, size_bytes);
}

static size_t page_size(void) {
    shim_ensure_init();
    return shim.page_bytes;
}

SHIM_EXPORT void *valloc(size_t size_bytes) { return aligned_entry(page_size(), size_bytes); }

/* The size rounded up to whole pages, page-aligned. */
SHIM_EXPORT void *pvalloc(size_t size_bytes) {
    size_t page = page_size();
    size_t rounded;
    if (__builtin_add_overflow(size_bytes, page - 1u, &rounded)) {
        errno = ENOMEM;
        return NULL;
    }
    return aligned_entry(page, rounded & ~(page - 1u));
}

SHIM_EXPORT size_t malloc_usable_size(void *p) {
    shim_ensure_init();
    return shim_usable_size(p);
}

/* glibc's own names for the same calls, which some programs and libraries
 * call directly (malloc hooks of debugging tools, wrappers that reach "the
 * real malloc" without dlsym): left to glibc, their blocks would come from
 * glibc's heap and a free() here would refuse them, or the reverse. cfree is
 * free's old name, kept by glibc for binaries linked against it. */
void *__libc_malloc(size_t size_bytes);
void __libc_free(void *p);
void *__libc_calloc(size_t count, size_t size_bytes);
void *__libc_realloc(void *p, size_t size_bytes);
void *__libc_memalign(size_t align_bytes, size_t size_bytes);
void *__libc_valloc(size_t size_bytes);
void *__libc_pvalloc(size_t size_bytes);
void cfree(void *p);
SHIM_EXPORT void *__libc_malloc(size_t size_bytes) { return malloc(size_bytes); }
SHIM_EXPORT void __libc_free(void *p) { free(p); }
SHIM_EXPORT void *__libc_calloc(size_t count, size_t size_bytes) { return calloc(count, size_bytes); }
SHIM_EXPORT void *__libc_realloc(void *p, size_t size_bytes) { return realloc(p, size_bytes); }
SHIM_EXPORT void *__libc_memalign(size_t align_bytes, size_t size_bytes) { return memalign(align_bytes, size_bytes); }
SHIM_EXPORT void *__libc_valloc(size_t size_bytes) { return valloc(size_bytes); }
SHIM_EXPORT void *__libc_pvalloc(size_t size_bytes) { return pvalloc(size_bytes); }
SHIM_EXPORT void cfree(void *p) { free(p); }

/* glibc's: gives free memory back to the kernel now, keeping pad_bytes at
 * the start of each arena's free top. The calling thread's cached and
 * batched blocks go back to their arenas first, and every arena's remote
 * list is freed: blocks other threads freed can be given back too. Returns
 * 1 if any memory was given back. */
SHIM_EXPORT int malloc_trim(size_t pad_bytes) {
    size_t released = 0;
    unsigned i;
    shim_ensure_init();
    cache_flush();
    for (i = 0; i < shim.arena_count; i++) {
        arena_drain_pending(&arenas[i]);
        released += arena_trim(&arenas[i], pad_bytes);
    }
    return released != 0;
}

/* ---- Introspection (bareheap_malloc.h) ---- */

SHIM_EXPORT int bh_hosted_arena_of(const void *p) {
    arena *owner;
    shim_ensure_init();
    owner = arena_owning(p);
    if (owner)
        return (int)(owner - arenas);
    if (p && direct_is_valid(p))
        return BH_HOSTED_DIRECT;
    return BH_HOSTED_FOREIGN;
}

SHIM_EXPORT int bh_hosted_arena_count(void) {
    shim_ensure_init();
    return (int)shim.arena_count;
}

SHIM_EXPORT size_t bh_hosted_mmap_threshold(void) {
    shim_ensure_init();
    return shim.mmap_threshold;
}

SHIM_EXPORT bool bh_hosted_arena_stats(int index, bh_stats *stats) {
    shim_ensure_init();
    if (index < 0 || (unsigned)index >= shim.arena_count)
        return false;
    return bh_get_stats(arena_heap(&arenas[index]), stats);
}

/* ---- fork() and process lifetime ---- */

/* Lock order: trace lock, init_lock, arena locks by index. A traced call
 * takes them in that order too, so the prepare handler cannot deadlock.
 * The handlers fork() runs between this one and fork_parent() or
 * fork_child() may allocate: see HELD_ALL_LOCKS. */
static void fork_prepare(void) {
    unsigned i;
    trace_fork_prepare(); /* takes the trace lock if tracing */
    shim_lock_enter(&shim.init_lock);
    for (i = 0; i < shim.arena_count; i++)
        shim_lock_enter(&arenas[i].lock);
    tls_held_lock = HELD_ALL_LOCKS;
}

static void fork_parent(void) {
    unsigned i = shim.arena_count;
    tls_held_lock = NULL;
    while (i-- > 0)
        shim_lock_exit(&arenas[i].lock);
    shim_lock_exit(&shim.init_lock);
    trace_fork_parent(); /* releases it if prepare took it */
}

static void fork_child(void) {
    unsigned i;
    for (i = 0; i < shim.arena_count; i++)
        shim_lock_reset(&arenas[i].lock);
    shim_lock_reset(&shim.init_lock);
    tls_held_lock = NULL;
    trace_fork_child();
    atomic_store_explicit(&shim.slow_calls, 0, memory_order_release);
}

__attribute__((constructor)) static void shim_constructor(void) {
    shim_ensure_init();
    /* After start-up: registering may allocate, which is now safe. */
    (void)pthread_atfork(fork_prepare, fork_parent, fork_child);
    if (pthread_key_create(&shim.exit_key, thread_exit) == 0) {
        atomic_store_explicit(&shim.exit_key_ready, 1, memory_order_release);
        /* This thread may have allocated before the key existed. */
        if (tls_arena_plus1 != 0)
            thread_register_exit();
    }
}

__attribute__((destructor)) static void shim_destructor(void) {
    if (trace_enabled)
        trace_flush();
}
