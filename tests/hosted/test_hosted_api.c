/*
 * The hosted malloc shim's contract, linked against libbareheap-malloc.a so
 * that this program's malloc (and libc's own calls to it) is the shim:
 * every entry point, alignment, errno on failure, overflow checks, usable
 * sizes, mapped blocks across the threshold, cross-thread frees returning to
 * the owning arena, bad frees reported and survived, fork from a threaded
 * program, and memory given back (malloc_trim, after many frees, at the
 * exit of an arena's last thread).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bareheap_malloc.h"
#include "hosted_check.h"

static int is_aligned(const void *p, size_t align) { return ((uintptr_t)p & (align - 1u)) == 0; }

static void fill(unsigned char *p, size_t n, unsigned seed) {
    size_t i;
    for (i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 131u);
}

static int holds(const unsigned char *p, size_t n, unsigned seed) {
    size_t i;
    for (i = 0; i < n; i++) {
        if (p[i] != (unsigned char)(seed + i * 131u))
            return 0;
    }
    return 1;
}

/* glibc's names for the malloc family, which the shim answers too. */
void *__libc_malloc(size_t size_bytes);
void __libc_free(void *p);
void *__libc_calloc(size_t count, size_t size_bytes);
void *__libc_realloc(void *p, size_t size_bytes);
void *__libc_memalign(size_t align_bytes, size_t size_bytes);
void *__libc_valloc(size_t size_bytes);
void *__libc_pvalloc(size_t size_bytes);
void cfree(void *p);

static void test_linked_in(void) {
    void *p = malloc(opaque(24));
    CHECK(p != NULL);
    CHECK(bh_hosted_arena_of(p) >= 0);
    CHECK(bh_hosted_arena_count() >= 1);
    free(p);
    /* libc's own allocations come here too. */
    {
        char *s = strdup("interposed");
        CHECK(s != NULL && bh_hosted_arena_of(s) >= 0);
        free(s);
    }
    /* So do glibc's own names of the calls; a block from either name frees
     * through the other. */
    {
        unsigned char *blocks[5];
        unsigned i;
        blocks[0] = __libc_malloc(opaque(40));
        blocks[1] = __libc_calloc(opaque(3), 16);
        blocks[2] = __libc_memalign(opaque(256), 100);
        blocks[3] = __libc_valloc(opaque(100));
        blocks[4] = __libc_pvalloc(opaque(100));
        for (i = 0; i < 5u; i++)
            CHECK(blocks[i] != NULL && bh_hosted_arena_of(blocks[i]) >= 0);
        CHECK(is_aligned(blocks[2], 256));
        CHECK(blocks[1][47] == 0);
        blocks[0] = __libc_realloc(blocks[0], opaque(4000));
        CHECK(blocks[0] != NULL && bh_hosted_arena_of(blocks[0]) >= 0);
        __libc_free(blocks[0]);
        cfree(blocks[1]);
        for (i = 2; i < 5u; i++)
            free(blocks[i]);
        p = malloc(opaque(24));
        __libc_free(p);
    }
}

static void test_malloc_alignment_and_usable_size(void) {
    size_t n;
    for (n = 0; n <= 70000; n = n < 64 ? n + 1 : n * 5 / 4) {
        unsigned char *p = malloc(opaque(n));
        CHECK(p != NULL);
        if (!p)
            continue;
        CHECK(is_aligned(p, 16));
        CHECK(malloc_usable_size(p) >= n);
        fill(p, malloc_usable_size(p), (unsigned)n);
        CHECK(holds(p, malloc_usable_size(p), (unsigned)n));
        free(p);
    }
    CHECK(malloc_usable_size(NULL) == 0);
    free(NULL); /* a no-op */
}

static void test_malloc_zero_is_unique(void) {
    void *a = malloc(opaque(0)), *b = malloc(opaque(0));
    CHECK(a != NULL && b != NULL && a != b);
    free(a);
    free(b);
}

static void test_calloc(void) {
    size_t n;
    for (n = 1; n < 100000; n = n * 3 + 1) {
        unsigned char *p = malloc(opaque(n));
        size_t i;
        int zero = 1;
        /* Dirty a block, free it, and calloc the same size: zero again. */
        memset(p, 0xAB, n);
        free(p);
        p = calloc(opaque(n), 1);
        CHECK(p != NULL);
        for (i = 0; p && i < n; i++)
            zero &= p[i] == 0;
        CHECK(zero);
        free(p);
    }
    errno = 0;
    CHECK(calloc(opaque(SIZE_MAX / 2 + 1), 2) == NULL);
    CHECK(errno == ENOMEM);
    errno = 0;
    CHECK(calloc(opaque((size_t)1 << 33), (size_t)1 << 33) == NULL);
    CHECK(errno == ENOMEM);
    {
        void *p = calloc(opaque(0), 1000);
        CHECK(p != NULL);
        free(p);
    }
}

static void test_enomem(void) {
    errno = 0;
    CHECK(malloc(opaque(SIZE_MAX)) == NULL);
    CHECK(errno == ENOMEM);
    errno = 0;
    CHECK(malloc(opaque(SIZE_MAX / 2)) == NULL);
    CHECK(errno == ENOMEM);
    errno = 0;
    CHECK(memalign(64, opaque(SIZE_MAX - 10)) == NULL);
    CHECK(errno == ENOMEM);
    errno = 0;
    CHECK(valloc(opaque(SIZE_MAX - 100)) == NULL);
    CHECK(errno == ENOMEM);
    errno = 0;
    CHECK(pvalloc(opaque(SIZE_MAX - 100)) == NULL);
    CHECK(errno == ENOMEM);
}

static void test_realloc(void) {
    unsigned char *p = realloc(NULL, opaque(100)), *q;
    size_t n;
    bh_stats before, after;
    int arena;
    CHECK(p != NULL);
    fill(p, 100, 7);
    /* Grow through every path: in place, moved, up to a mapping and back. */
    for (n = 101; n < 3000000; n = n * 2 + 5) {
        q = realloc(p, opaque(n));
        CHECK(q != NULL);
        if (!q)
            return;
        p = q;
        CHECK(is_aligned(p, 16));
        CHECK(holds(p, 100, 7));
        CHECK(malloc_usable_size(p) >= n);
    }
    /* Past the thread cache's sizes, so the core's counters see the free. */
    q = realloc(p, opaque(5000));
    CHECK(q != NULL && holds(q, 100, 7));
    p = q;
    /* A failed realloc leaves the block and its contents alone. */
    errno = 0;
    CHECK(realloc(p, opaque(SIZE_MAX - 64)) == NULL);
    CHECK(errno == ENOMEM);
    CHECK(holds(p, 100, 7));
    /* realloc(p, 0) frees p and returns NULL, as glibc does. */
    arena = bh_hosted_arena_of(p);
    CHECK(arena >= 0);
    CHECK(bh_hosted_arena_stats(arena, &before));
    CHECK(realloc(p, opaque(0)) == NULL);
    CHECK(bh_hosted_arena_stats(arena, &after));
    CHECK(after.live_blocks + 1 == before.live_blocks);
}

static void test_reallocarray(void) {
    unsigned char *p = reallocarray(NULL, opaque(10), 10), *q;
    CHECK(p != NULL);
    fill(p, 100, 3);
    errno = 0;
    CHECK(reallocarray(p, opaque(SIZE_MAX / 2), 3) == NULL);
    CHECK(errno == ENOMEM);
    CHECK(holds(p, 100, 3));
    q = reallocarray(p, opaque(100), 100);
    CHECK(q != NULL && holds(q, 100, 3));
    free(q);
}

static void test_aligned_calls(void) {
    size_t align;
    long page = sysconf(_SC_PAGESIZE);
    for (align = sizeof(void *); align <= ((size_t)1 << 20); align *= 2) {
        size_t sizes[] = {0, 1, 24, 100, 4096, 100000};
        size_t i;
        for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            void *p = (void *)1, *q, *r;
            size_t n = sizes[i];
            CHECK(posix_memalign(&p, align, opaque(n)) == 0);
            CHECK(p != NULL && is_aligned(p, align) && is_aligned(p, 16));
            CHECK(malloc_usable_size(p) >= n);
            q = aligned_alloc(align, opaque(n));
            CHECK(q != NULL && is_aligned(q, align));
            r = memalign(align, opaque(n));
            CHECK(r != NULL && is_aligned(r, align));
            if (p && n)
                memset(p, 1, n);
            if (q && n)
                memset(q, 2, n);
            if (r && n)
                memset(r, 3, n);
            free(p);
            free(q);
            free(r);
        }
    }
    {
        void *p = (void *)1;
        /* Not a power of two, or not a multiple of sizeof(void *): EINVAL,
         * *memptr untouched. */
        CHECK(posix_memalign(&p, 0, 16) == EINVAL);
        CHECK(posix_memalign(&p, 24, 16) == EINVAL);
        CHECK(posix_memalign(&p, 4, 16) == EINVAL);
        CHECK(posix_memalign(&p, 2, 16) == EINVAL);
        CHECK(p == (void *)1);
        /* The error is the result; errno stays as it was, as glibc keeps it. */
        errno = EDOM;
        CHECK(posix_memalign(&p, 64, opaque(SIZE_MAX - 100)) == ENOMEM);
        CHECK(p == (void *)1 && errno == EDOM);
    }
    errno = 0;
    CHECK(aligned_alloc(opaque(48), 100) == NULL);
    CHECK(errno == EINVAL);
    errno = 0;
    CHECK(aligned_alloc(opaque(0), 100) == NULL);
    CHECK(errno == EINVAL);
    {
        /* memalign rounds an odd alignment up, as glibc's does, and serves
         * it from the arenas as it does 64 (not as a mapping of its own,
         * which would be 64-aligned too). */
        void *p = memalign(opaque(48), 100);
        CHECK(p != NULL && is_aligned(p, 64) && bh_hosted_arena_of(p) >= 0);
        free(p);
    }
    {
        void *p = valloc(opaque(10));
        void *q = pvalloc(opaque(10));
        void *r = pvalloc(opaque(0));
        CHECK(p != NULL && is_aligned(p, (size_t)page));
        CHECK(q != NULL && is_aligned(q, (size_t)page) && malloc_usable_size(q) >= (size_t)page);
        CHECK(r != NULL && is_aligned(r, (size_t)page));
        free(p);
        free(q);
        free(r);
    }
}

/* Blocks from the aligned calls keep working with realloc and usable_size. */
static void test_aligned_realloc(void) {
    unsigned char *p = memalign(4096, opaque(300)), *q;
    CHECK(p != NULL);
    fill(p, 300, 9);
    q = realloc(p, opaque(70000));
    CHECK(q != NULL && holds(q, 300, 9) && is_aligned(q, 16));
    free(q);
}

static void test_huge_blocks(void) {
    size_t threshold = bh_hosted_mmap_threshold();
    unsigned char *p, *q;
    size_t i;
    int zero = 1;
    CHECK(threshold >= 4096);
    p = malloc(opaque(threshold));
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK(bh_hosted_arena_of(p) == BH_HOSTED_DIRECT);
    CHECK(is_aligned(p, 16));
    CHECK(malloc_usable_size(p) >= threshold);
    fill(p, threshold, 11);
    /* mapped -> larger mapping (mremap) */
    q = realloc(p, opaque(threshold * 2 + 12345));
    CHECK(q != NULL && bh_hosted_arena_of(q) == BH_HOSTED_DIRECT);
    CHECK(q && holds(q, threshold, 11));
    p = q;
    /* mapped -> heap block */
    q = realloc(p, opaque(1000));
    CHECK(q != NULL && bh_hosted_arena_of(q) >= 0);
    CHECK(q && holds(q, 1000, 11));
    p = q;
    /* heap block -> mapping */
    q = realloc(p, opaque(threshold + 1));
    CHECK(q != NULL && bh_hosted_arena_of(q) == BH_HOSTED_DIRECT);
    CHECK(q && holds(q, 1000, 11));
    free(q);
    /* calloc of a mapping: zero */
    p = calloc(opaque(threshold), 1);
    CHECK(p != NULL && bh_hosted_arena_of(p) == BH_HOSTED_DIRECT);
    for (i = 0; p && i < threshold; i += 4096)
        zero &= p[i] == 0;
    CHECK(zero);
    free(p);
    /* aligned mapping */
    p = memalign((size_t)1 << 21, opaque(threshold));
    CHECK(p != NULL && is_aligned(p, (size_t)1 << 21));
    CHECK(bh_hosted_arena_of(p) == BH_HOSTED_DIRECT);
    if (p)
        memset(p, 5, threshold);
    q = realloc(p, opaque(threshold * 3));
    CHECK(q != NULL);
    free(q);
}

/* ---- Threads ---- */

#define HANDOFF_BLOCKS 2000

/* The producer allocates, then stays alive (so its arena stays its own)
 * until the consumer, a third thread, has freed everything and exited. */
struct handoff {
    void *blocks[HANDOFF_BLOCKS];
    int arena;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int produced, released;
};

static void *handoff_producer(void *arg) {
    struct handoff *h = arg;
    int i;
    for (i = 0; i < HANDOFF_BLOCKS; i++) {
        h->blocks[i] = malloc(opaque((size_t)(16 + i % 500)));
        if (h->blocks[i])
            fill(h->blocks[i], (size_t)(16 + i % 500), (unsigned)i);
    }
    h->arena = bh_hosted_arena_of(h->blocks[0]);
    pthread_mutex_lock(&h->lock);
    h->produced = 1;
    pthread_cond_broadcast(&h->cond);
    while (!h->released)
        pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

static void *handoff_consumer(void *arg) {
    struct handoff *h = arg;
    int i;
    for (i = 0; i < HANDOFF_BLOCKS; i++)
        free(h->blocks[i]);
    return NULL; /* its exit gives back any frees it still batches */
}

static void test_cross_thread_free(void) {
    struct handoff *h = calloc(1, sizeof *h);
    pthread_t producer, consumer;
    bh_stats before, after, mine_before, mine_after;
    int mine, i, all_in_arena = 1, intact = 1;
    void *probe = malloc(opaque(32));
    CHECK(h != NULL && probe != NULL);
    if (!h)
        return;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    mine = bh_hosted_arena_of(probe);
    CHECK(pthread_create(&producer, NULL, handoff_producer, h) == 0);
    pthread_mutex_lock(&h->lock);
    while (!h->produced)
        pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);
    /* A new thread got an arena of its own. */
    CHECK(h->arena >= 0 && h->arena != mine);
    for (i = 0; i < HANDOFF_BLOCKS; i++) {
        all_in_arena &= bh_hosted_arena_of(h->blocks[i]) == h->arena;
        intact &= h->blocks[i] != NULL && holds(h->blocks[i], (size_t)(16 + i % 500), (unsigned)i);
    }
    CHECK(all_in_arena);
    CHECK(intact);
    CHECK(bh_hosted_arena_stats(h->arena, &before));
    CHECK(bh_hosted_arena_stats(mine, &mine_before));
    CHECK(pthread_create(&consumer, NULL, handoff_consumer, h) == 0);
    CHECK(pthread_join(consumer, NULL) == 0);
    CHECK(bh_hosted_arena_stats(h->arena, &after));
    CHECK(bh_hosted_arena_stats(mine, &mine_after));
    /* Every free went back to the producer's arena, none elsewhere. */
    CHECK(before.live_blocks - after.live_blocks == HANDOFF_BLOCKS);
    CHECK(after.free_count - before.free_count == HANDOFF_BLOCKS);
    CHECK(mine_after.free_count == mine_before.free_count);
    CHECK(after.error_count == before.error_count);
    pthread_mutex_lock(&h->lock);
    h->released = 1;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    CHECK(pthread_join(producer, NULL) == 0);
    free(probe);
    free(h);
}

/* A free of another arena's block that waits in the freeing thread's batch
 * is memory the owner cannot reuse: the batch holds at most 64 KiB of
 * blocks, and a larger block goes back at once. The consumer frees one
 * 1 MiB block and twenty of 8000 bytes, then stays alive (its exit would
 * give back whatever it still batches) while the owner's arena is read. */
#define HELD_BIG_BYTES ((size_t)1 << 20)
#define HELD_MEDIUM_BLOCKS 20
#define HELD_MEDIUM_BYTES ((size_t)8000)
#define REMOTE_BATCH_MAX_BYTES ((size_t)64 << 10)

struct held {
    void *big, *medium[HELD_MEDIUM_BLOCKS];
    int arena;
    pthread_barrier_t made, freed, done;
};

static void *held_producer(void *arg) {
    struct held *h = arg;
    int i;
    h->big = malloc(opaque(HELD_BIG_BYTES));
    if (h->big)
        memset(h->big, 0x33, HELD_BIG_BYTES);
    for (i = 0; i < HELD_MEDIUM_BLOCKS; i++) {
        h->medium[i] = malloc(opaque(HELD_MEDIUM_BYTES));
        if (h->medium[i])
            memset(h->medium[i], i, HELD_MEDIUM_BYTES);
    }
    h->arena = bh_hosted_arena_of(h->big);
    pthread_barrier_wait(&h->made);
    pthread_barrier_wait(&h->done);
    return NULL;
}

static void *held_consumer(void *arg) {
    struct held *h = arg;
    int i;
    free(h->big);
    for (i = 0; i < HELD_MEDIUM_BLOCKS; i++)
        free(h->medium[i]);
    pthread_barrier_wait(&h->freed);
    pthread_barrier_wait(&h->done);
    return NULL;
}

static void test_remote_frees_not_held(void) {
    struct held *h = calloc(1, sizeof *h);
    pthread_t producer, consumer;
    bh_stats before, after;
    int i, made = 1;
    CHECK(h != NULL);
    if (!h)
        return;
    CHECK(pthread_barrier_init(&h->made, NULL, 2) == 0);
    CHECK(pthread_barrier_init(&h->freed, NULL, 2) == 0);
    CHECK(pthread_barrier_init(&h->done, NULL, 3) == 0);
    CHECK(pthread_create(&producer, NULL, held_producer, h) == 0);
    pthread_barrier_wait(&h->made);
    made &= h->big != NULL && h->arena >= 0;
    for (i = 0; i < HELD_MEDIUM_BLOCKS; i++)
        made &= h->medium[i] != NULL && bh_hosted_arena_of(h->medium[i]) == h->arena;
    CHECK(made);
    CHECK(made && bh_hosted_arena_stats(h->arena, &before));
    CHECK(pthread_create(&consumer, NULL, held_consumer, h) == 0);
    pthread_barrier_wait(&h->freed);
    /* Both threads alive, the consumer's batch not flushed by its exit. */
    CHECK(made && bh_hosted_arena_stats(h->arena, &after));
    if (made) {
        CHECK(after.used_bytes < before.used_bytes);
        CHECK(before.used_bytes - after.used_bytes >=
              HELD_BIG_BYTES + HELD_MEDIUM_BLOCKS * HELD_MEDIUM_BYTES - REMOTE_BATCH_MAX_BYTES);
        CHECK(after.error_count == before.error_count);
    }
    pthread_barrier_wait(&h->done);
    CHECK(pthread_join(consumer, NULL) == 0);
    CHECK(pthread_join(producer, NULL) == 0);
    /* The consumer's exit gave back the rest of its batch. */
    CHECK(made && bh_hosted_arena_stats(h->arena, &after));
    if (made)
        CHECK(before.live_blocks - after.live_blocks == 1 + HELD_MEDIUM_BLOCKS);
    pthread_barrier_destroy(&h->made);
    pthread_barrier_destroy(&h->freed);
    pthread_barrier_destroy(&h->done);
    free(h);
}

static void *report_arena(void *arg) {
    void *p = malloc(opaque(100));
    *(int *)arg = bh_hosted_arena_of(p);
    free(p);
    return NULL;
}

/* A thread's exit gives its place in its arena back: the next thread takes
 * the same arena (and its memory) rather than a fresh one. */
static void test_exited_thread_arena_reused(void) {
    int first = -5, second = -5, mine;
    pthread_t t;
    void *probe = malloc(opaque(16));
    mine = bh_hosted_arena_of(probe);
    CHECK(pthread_create(&t, NULL, report_arena, &first) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(pthread_create(&t, NULL, report_arena, &second) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(first >= 0 && first != mine);
    CHECK(second == first);
    free(probe);
}

static volatile int churn_stop;

static void *churn(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    void *slots[64] = {0};
    while (!churn_stop) {
        unsigned k;
        seed = seed * 1103515245u + 12345u;
        k = (seed >> 16) % 64u;
        free(slots[k]);
        slots[k] = malloc((size_t)((seed >> 8) % 2000u));
    }
    for (unsigned k = 0; k < 64; k++)
        free(slots[k]);
    return NULL;
}

/* fork() while other threads allocate: the child's heaps must be consistent
 * and usable (no lock left held by a thread that does not exist there). */
static void test_fork_from_threads(void) {
    pthread_t t[2];
    int round, ok_children = 0;
    CHECK(pthread_create(&t[0], NULL, churn, (void *)1) == 0);
    CHECK(pthread_create(&t[1], NULL, churn, (void *)2) == 0);
    for (round = 0; round < 30; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            /* Child: allocate in every arena's way, from a new thread too. */
            int i, good = 1;
            pthread_t c;
            void *blocks[500];
            for (i = 0; i < 500; i++) {
                blocks[i] = malloc((size_t)(i * 37 % 5000));
                good &= blocks[i] != NULL;
                if (blocks[i])
                    memset(blocks[i], i & 0xFF, (size_t)(i * 37 % 5000));
            }
            for (i = 0; i < 500; i++)
                free(blocks[i]);
            churn_stop = 0;
            if (pthread_create(&c, NULL, churn, (void *)3) != 0)
                good = 0;
            usleep(1000);
            churn_stop = 1;
            pthread_join(c, NULL);
            _exit(good ? 0 : 3);
        }
        CHECK(pid > 0);
        if (pid > 0) {
            int status = 0;
            CHECK(waitpid(pid, &status, 0) == pid);
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                ok_children++;
        }
    }
    churn_stop = 1;
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    CHECK(ok_children == 30);
}

/* A bad free is reported on stderr and ignored; the program goes on. Large
 * blocks go to the core's full validation; small ones to the thread cache,
 * which catches a second free of a block it holds. */
/* stderr into a temporary file, for the shim's reports. */
typedef struct capture {
    char path[32];
    int fd, saved;
    char text[1024];
} capture;

static void capture_begin(capture *c) {
    strcpy(c->path, "/tmp/bh_hosted_stderrXXXXXX");
    memset(c->text, 0, sizeof c->text);
    c->fd = mkstemp(c->path);
    c->saved = dup(2);
    CHECK(c->fd >= 0 && c->saved >= 0);
    fflush(stderr);
    dup2(c->fd, 2);
}

/* Ends the capture; what was written is in c->text. */
static void capture_end(capture *c) {
    dup2(c->saved, 2);
    close(c->saved);
    CHECK(pread(c->fd, c->text, sizeof c->text - 1, 0) >= 0);
    close(c->fd);
    unlink(c->path);
    /* A check that failed meanwhile wrote there. */
    if (strstr(c->text, "check failed"))
        fputs(c->text, stderr);
}

static int count_of(const char *text, const char *what) {
    int n = 0;
    while ((text = strstr(text, what)) != NULL) {
        n++;
        text++;
    }
    return n;
}

#define RUN_BLOCKS 64

static void test_bad_free_reported(void) {
    capture c;
    char *p = malloc(opaque(2000));
    /* A block between two used ones: a free sends it to the thread cache
     * (when on), not to the core, which merges a block with free neighbours.
     * Blocks the cache hands out lie anywhere: of a run, one whose
     * neighbours are in the run too. */
    char *run[RUN_BLOCKS], *small = NULL;
    char stack_object[32];
    unsigned i, at = 0;
    int arena = bh_hosted_arena_of(p);
    /* BAREHEAP_THREAD_CACHE=0 (the second run of this test): everything
     * goes to the core. */
    const char *cache_setting = getenv("BAREHEAP_THREAD_CACHE");
    int cache_on = !(cache_setting && strcmp(cache_setting, "0") == 0);
    bh_stats before, after;
    for (i = 0; i < RUN_BLOCKS; i++) {
        run[i] = malloc(opaque(40));
        CHECK(run[i] != NULL);
    }
    for (i = 1; i + 1 < RUN_BLOCKS && !small; i++) {
        size_t step = (size_t)(run[i] - run[i - 1]);
        if (step == (size_t)(run[i + 1] - run[i]) && step <= 64u) {
            small = run[i];
            at = i;
        }
    }
    CHECK(p != NULL && small != NULL);
    if (!p || !small)
        return;
    CHECK(bh_hosted_arena_of(small) == arena);
    CHECK(bh_hosted_arena_stats(arena, &before));
    capture_begin(&c);
    free(p + 16);  /* interior */
    free(p);
    free(p);       /* double free */
    (void)realloc(p, 100);
    free(small);
    free(small);   /* double free: of a cached block, caught by the cache */
    CHECK(realloc(small, 100) == NULL);
    CHECK(malloc_usable_size(small) == 0);
    free(stack_object); /* foreign: not the shim's */
    capture_end(&c);
    CHECK(bh_hosted_arena_stats(arena, &after));
    /* The core counts what it found (interior, double free, realloc of a
     * freed block); the cache's finds are only reported. */
    if (cache_on) {
        CHECK(after.error_count - before.error_count == 3u);
        CHECK(after.free_count - before.free_count == 1u);
    } else {
        CHECK(after.error_count - before.error_count == 6u);
        CHECK(after.free_count - before.free_count == 2u);
    }
    CHECK(strstr(c.text, "bareheap: invalid pointer") != NULL);
    CHECK(strstr(c.text, "not from this malloc") != NULL);
    /* Large: the second free and the realloc; small: the second free, the
     * realloc and the usable size. */
    CHECK(count_of(c.text, "bareheap: double free") == 5);
    /* The heap still works, and the small block's size is served again. */
    small = malloc(opaque(40));
    CHECK(small != NULL);
    free(small);
    for (i = 0; i < RUN_BLOCKS; i++) {
        if (i != at)
            free(run[i]);
    }
}

/* The first byte of an arena's slice whose word below lies in another
 * arena's slice, beyond what that arena has mapped: the slice after p's,
 * or p's own when p's arena is the last. */
static char *slice_start_after_unmapped(char *p) {
    int arena = bh_hosted_arena_of(p);
    uintptr_t start = (uintptr_t)p & ~(uintptr_t)4095u;
    unsigned k;
    while (bh_hosted_arena_of((void *)(start - 4096u)) == arena)
        start -= 4096u;
    /* Slices are a power of two long. */
    for (k = 12; k < 8 * sizeof(size_t) - 1; k++) {
        char *next = (char *)(start + ((uintptr_t)1 << k));
        if (bh_hosted_arena_of(next) != arena)
            return bh_hosted_arena_of(next) >= 0 ? next : (char *)start;
    }
    return (char *)start;
}

/* Pointers the shim must not read through: one in an arena's part of the
 * reservation but past the memory it has mapped, one at the start of an
 * arena's slice (the word below it unmapped), one at the start of a mapping
 * whose page before is unmapped (where a mapped block's header would be),
 * one just past a page mapped without read access, one whose header would
 * run from a readable page into one without read access, and an interior
 * pointer given to realloc with a size that would move the block to a
 * mapping. Each is reported and survived. */
static void test_bad_pointers_not_read(void) {
    capture c;
    char *p = malloc(opaque(16));
    char *beyond = p + ((size_t)1 << 30);
    char *slice_start = slice_start_after_unmapped(p);
    char *interior = p + 8;
    unsigned char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *foreign = m + 4096;
    unsigned char *g = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *guarded = g + 4096;
    unsigned char *s = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *straddling = s + 4096 + 16;
    void *q;
    CHECK(p != NULL && m != MAP_FAILED && g != MAP_FAILED && s != MAP_FAILED);
    CHECK(munmap(m, 4096) == 0);
    CHECK(mprotect(g, 4096, PROT_NONE) == 0);
    CHECK(mprotect(s + 4096, 4096, PROT_NONE) == 0);
    capture_begin(&c);
    free(beyond);
    errno = 0;
    CHECK(realloc(beyond, 10) == NULL && errno == EINVAL);
    CHECK(malloc_usable_size(beyond) == 0);
    free(slice_start);
    CHECK(malloc_usable_size(slice_start) == 0);
    errno = 0;
    CHECK(realloc(slice_start, 10) == NULL && errno == EINVAL);
    free(foreign);
    CHECK(malloc_usable_size(foreign) == 0);
    CHECK(bh_hosted_arena_of(foreign) == BH_HOSTED_FOREIGN);
    free(guarded);
    CHECK(malloc_usable_size(guarded) == 0);
    errno = 0;
    CHECK(realloc(guarded, 10) == NULL && errno == EINVAL);
    free(straddling);
    CHECK(malloc_usable_size(straddling) == 0);
    CHECK(bh_hosted_arena_of(straddling) == BH_HOSTED_FOREIGN);
    errno = 0;
    q = realloc(interior, opaque(bh_hosted_mmap_threshold()));
    CHECK(q == NULL && errno == EINVAL);
    capture_end(&c);
    CHECK(count_of(c.text, "bareheap: ") == 14); /* interior: invalid or misaligned */
    CHECK(strstr(c.text, "double free") == NULL);
    free(q);
    free(p);
    munmap(m + 4096, 2 * 4096);
    munmap(g, 2 * 4096);
    munmap(s, 2 * 4096);
}

static pthread_barrier_t g_double_free_barrier;

static void *free_twice(void *arg) {
    free(arg);
    free(arg); /* the second free of a block of another thread's arena */
    /* The owner allocates meanwhile; the batch still holds the first free. */
    pthread_barrier_wait(&g_double_free_barrier);
    pthread_barrier_wait(&g_double_free_barrier);
    return NULL; /* exit: the batched frees reach the core */
}

/* A block of this thread's arena freed twice by another thread: reported,
 * neither the batch nor the remote list loops on it, and the second free
 * frees nothing: a block the owner allocates while the first free still
 * waits in the batch stays its own when the batch reaches the core. */
static void test_cross_thread_double_free(void) {
    capture c;
    pthread_t t;
    unsigned char *p = malloc(opaque(3000)), *q, *r;
    CHECK(p != NULL);
    CHECK(pthread_barrier_init(&g_double_free_barrier, NULL, 2) == 0);
    capture_begin(&c);
    CHECK(pthread_create(&t, NULL, free_twice, p) == 0);
    pthread_barrier_wait(&g_double_free_barrier);
    /* (With the thread cache off, frees are not batched: p was free here.) */
    q = malloc(opaque(3000));
    CHECK(q != NULL);
    if (q)
        fill(q, 3000, 5);
    pthread_barrier_wait(&g_double_free_barrier);
    CHECK(pthread_join(t, NULL) == 0);
    capture_end(&c);
    CHECK(count_of(c.text, "bareheap: double free") == 1);
    r = malloc(opaque(3000));
    CHECK(r != NULL && r != q);
    if (r)
        fill(r, 3000, 6);
    CHECK(q && holds(q, 3000, 5));
    pthread_barrier_destroy(&g_double_free_barrier);
    free(r);
    free(q);
}

/* ---- Memory given back: malloc_trim, the freed-bytes trim, thread exit ---- */

static size_t page_bytes(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* Resident pages among [p, p + n), by mincore(). */
static size_t resident_pages(const void *p, size_t n) {
    size_t page = page_bytes(), count = 0, i;
    uintptr_t lo = ((uintptr_t)p + page - 1u) & ~(uintptr_t)(page - 1u);
    uintptr_t hi = ((uintptr_t)p + n) & ~(uintptr_t)(page - 1u);
    static unsigned char vec[1u << 16];
    if (hi <= lo || (hi - lo) / page > sizeof vec)
        return 0;
    if (mincore((void *)lo, hi - lo, vec) != 0)
        return (size_t)-1;
    for (i = 0; i < (hi - lo) / page; i++)
        count += vec[i] & 1u;
    return count;
}

#define TRIM_BIG_BYTES ((size_t)8 << 20)

/* A freed block at the top of the heap goes back with malloc_trim(); a live
 * block below it keeps its bytes; the memory serves again afterwards. */
static void test_malloc_trim(void) {
    unsigned char *keep = malloc(opaque(3000)), *big, *again;
    size_t resident_before, resident_after;
    CHECK(keep != NULL);
    fill(keep, 3000, 7);
    big = malloc(opaque(TRIM_BIG_BYTES));
    CHECK(big != NULL);
    memset(big, 0x5A, TRIM_BIG_BYTES);
    resident_before = resident_pages(big + (1u << 20), TRIM_BIG_BYTES - (2u << 20));
    free(big);
    CHECK(malloc_trim(0) == 1);
    resident_after = resident_pages(big + (1u << 20), TRIM_BIG_BYTES - (2u << 20));
    /* 6 MiB were touched: nearly all its pages, whatever their size. */
    CHECK(resident_before >= (TRIM_BIG_BYTES - (2u << 20)) / page_bytes() - 2u);
    CHECK(resident_after == 0);
    CHECK(holds(keep, 3000, 7));
    again = malloc(opaque(TRIM_BIG_BYTES));
    CHECK(again != NULL);
    fill(again, TRIM_BIG_BYTES, 9);
    CHECK(holds(again, TRIM_BIG_BYTES, 9));
    CHECK(holds(keep, 3000, 7));
    free(again);
    free(keep);
}

/* The tests run with BAREHEAP_TRIM_THRESHOLD=4M (tests/hosted/CMakeLists.txt):
 * after every 4 MiB freed to an arena, its free top beyond 4 MiB goes. */
#define TRIM_THRESHOLD_MIB 4
#define TRIM_BLOCKS 24
#define TRIM_BLOCK_BYTES ((size_t)1 << 20)
/* At an arena's last thread exit its free top keeps 64 KiB, in whole pages
 * (and one more page where it ends inside one). */
#define TRIM_KEPT_PAGES_MAX ((64u << 10) / page_bytes() + 1u)

typedef struct trim_run {
    unsigned char *block[TRIM_BLOCKS];
    size_t resident_before_exit;
    int ok;
} trim_run;

/* 24 MiB freed top-down: a trim ran after at most every 4 frees, the last
 * one with at least 20 blocks in the free top, so blocks 12-23 lie beyond
 * its first 4 MiB and are given back without any call. Measured before the
 * thread exits (its exit gives the rest back). */
static void *trim_by_bytes(void *arg) {
    trim_run *run = arg;
    int i;
    for (i = 0; i < TRIM_BLOCKS; i++) {
        run->block[i] = malloc(opaque(TRIM_BLOCK_BYTES));
        if (!run->block[i])
            return NULL;
        memset(run->block[i], 0x33, TRIM_BLOCK_BYTES);
    }
    for (i = TRIM_BLOCKS - 1; i >= 0; i--)
        free(run->block[i]);
    for (i = 12; i < TRIM_BLOCKS; i++)
        run->resident_before_exit += resident_pages(run->block[i], TRIM_BLOCK_BYTES);
    run->ok = 1;
    return run;
}

/* 3 MiB freed, under the threshold: nothing goes back before the exit. */
static void *trim_on_exit(void *arg) {
    trim_run *run = arg;
    int i;
    for (i = 0; i < 3; i++) {
        run->block[i] = malloc(opaque(TRIM_BLOCK_BYTES));
        if (!run->block[i])
            return NULL;
        memset(run->block[i], 0x44, TRIM_BLOCK_BYTES);
    }
    for (i = 0; i < 3; i++)
        free(run->block[i]);
    for (i = 0; i < 3; i++)
        run->resident_before_exit += resident_pages(run->block[i], TRIM_BLOCK_BYTES);
    run->ok = 1;
    return run;
}

static void test_trim_automatic(void) {
    static trim_run run;
    pthread_t t;
    size_t resident = 0;
    int i;
    const char *threshold = getenv("BAREHEAP_TRIM_THRESHOLD");
    CHECK(threshold != NULL && strcmp(threshold, "4M") == 0);
    CHECK(pthread_create(&t, NULL, trim_by_bytes, &run) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(run.ok);
    CHECK(run.resident_before_exit == 0);
    /* The last thread of an arena leaves: its free top goes back (all but
     * the first 64 KiB). Of 23 MiB that were touched. */
    for (i = 1; i < TRIM_BLOCKS; i++)
        resident += resident_pages(run.block[i], TRIM_BLOCK_BYTES);
    CHECK(resident <= TRIM_KEPT_PAGES_MAX);

    memset(&run, 0, sizeof run);
    resident = 0;
    CHECK(pthread_create(&t, NULL, trim_on_exit, &run) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(run.ok);
    /* Nearly all of the 3 MiB before the exit, at most 64 KiB after. */
    CHECK(run.resident_before_exit >= 3u * (TRIM_BLOCK_BYTES / page_bytes() - 1u));
    for (i = 0; i < 3; i++)
        resident += resident_pages(run.block[i], TRIM_BLOCK_BYTES);
    CHECK(resident <= TRIM_KEPT_PAGES_MAX);
}

int main(void) {
    /* First, while the arenas hold nothing of other tests: the blocks below
     * are then at the top of their heaps, where memory can be given back. */
    test_trim_automatic();
    test_malloc_trim();
    test_linked_in();
    test_malloc_alignment_and_usable_size();
    test_malloc_zero_is_unique();
    test_calloc();
    test_enomem();
    test_realloc();
    test_reallocarray();
    test_aligned_calls();
    test_aligned_realloc();
    test_huge_blocks();
    test_cross_thread_free();
    test_remote_frees_not_held();
    test_exited_thread_arena_reused();
    test_fork_from_threads();
    test_bad_free_reported();
    test_bad_pointers_not_read();
    test_cross_thread_double_free();
    if (failures) {
        fprintf(stderr, "test_hosted_api: %d checks failed\n", failures);
        return 1;
    }
    printf("test_hosted_api: all checks passed\n");
    return 0;
}
