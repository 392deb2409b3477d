/*
 * Malloc benchmarks in the shapes of mimalloc-bench's programs, written for
 * bareheap's hosted shim (port/hosted/) and run against glibc, jemalloc,
 * mimalloc and tcmalloc by bench/malloc/run.py:
 *
 *   cfrac         single-thread churn of small, short-lived blocks (bignums)
 *   espresso      single-thread mixed sizes, growing arrays (realloc)
 *   glibc-simple  allocate a batch of one size, free it, next size
 *   alloc-test    random sizes into random slots, mostly small
 *   larson        server: threads replace blocks at random, then hand their
 *                 blocks to new threads (frees of blocks of dead threads)
 *   xmalloc-test  producers allocate batches, consumers free them (all frees
 *                 cross threads)
 *   mstress       a large shared live set, allocated and freed by all threads
 *   rptest        per-thread working sets, a tenth of the frees cross threads
 *   glibc-thread  per-thread slots, random sizes on a log scale
 *   malloc-large  blocks of 5-25 MiB
 *
 *   mbench PROGRAM THREADS
 *
 * Every thread does the full work of the program (THREADS copies, or
 * THREADS producer/consumer pairs), so 2 threads measure throughput with
 * contention, not a split of the same work. It prints a checksum of what it
 * read back, so the work cannot be optimised away and a wrong answer shows.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rng {
    uint64_t s;
} rng;

static inline uint64_t rng_next(rng *r) {
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static inline size_t rng_below(rng *r, size_t n) { return (size_t)(rng_next(r) % n); }

/* Sizes on a log scale between lo and hi (bench-malloc-thread's shape). */
static size_t size_log_scale(rng *r, size_t lo, size_t hi) {
    unsigned bits_lo = 0, bits_hi = 0, bits;
    size_t s;
    while (((size_t)1 << bits_lo) < lo)
        bits_lo++;
    while (((size_t)1 << bits_hi) < hi)
        bits_hi++;
    bits = bits_lo + (unsigned)rng_below(r, bits_hi - bits_lo + 1);
    s = ((size_t)1 << bits) + rng_below(r, (size_t)1 << bits);
    return s < lo ? lo : s > hi ? hi : s;
}

/* Programs use what they allocate: one write per page, so that peak RSS
 * measures the memory the allocator made the program touch, as a real
 * program's would, not only the first and last page of each block. */
static inline void touch(unsigned char *p, size_t n, unsigned v) {
    size_t i;
    if (!p || !n)
        return;
    for (i = 0; i < n; i += 4096)
        p[i] = (unsigned char)v;
    p[n - 1] = (unsigned char)(v >> 8);
}

static inline unsigned peek(const unsigned char *p, size_t n) { return p && n ? (unsigned)p[0] + p[n - 1] : 0; }

/* Slots of blocks and their lengths, the shape most programs share. */
typedef struct slots {
    unsigned char **p;
    size_t *len;
    size_t count;
} slots;

static slots slots_make(size_t count) {
    slots set = {calloc(count, sizeof(unsigned char *)), calloc(count, sizeof(size_t)), count};
    return set;
}

/* The block in slot i is read back (peek) and freed; a new one of n bytes
 * takes its place and is touched with v. */
static void slot_replace(slots *set, size_t i, size_t n, unsigned v, uint64_t *checksum) {
    if (set->p[i])
        *checksum += peek(set->p[i], set->len[i]);
    free(set->p[i]);
    set->len[i] = n;
    set->p[i] = malloc(n);
    touch(set->p[i], n, v);
}

static void slots_free(slots *set) {
    for (size_t i = 0; i < set->count; i++)
        free(set->p[i]);
    free(set->p);
    free(set->len);
}

typedef struct task {
    int index;
    uint64_t checksum;
    void *shared;
} task;

/* ---- cfrac: small bignum temporaries, LIFO-ish, a rolling window ---- */
static void *run_cfrac(void *arg) {
    task *t = arg;
    rng r = {0x1234567ull + (uint64_t)t->index};
    enum { WINDOW = 2000 };
    unsigned char **window = calloc(WINDOW, sizeof *window);
    size_t *sizes = calloc(WINDOW, sizeof *sizes);
    for (long i = 0; i < 6000000; i++) {
        unsigned char *tmp[4];
        size_t n[4];
        int k, count = 1 + (int)rng_below(&r, 4);
        for (k = 0; k < count; k++) {
            n[k] = 8 + 8 * rng_below(&r, rng_below(&r, 4) ? 4 : 10);
            tmp[k] = malloc(n[k]);
            touch(tmp[k], n[k], (unsigned)i);
        }
        for (k = count - 1; k > 0; k--) {
            t->checksum += peek(tmp[k], n[k]);
            free(tmp[k]);
        }
        /* The result lives on in the window. */
        {
            size_t w = rng_below(&r, WINDOW);
            if (window[w])
                t->checksum += peek(window[w], sizes[w]);
            free(window[w]);
            window[w] = tmp[0];
            sizes[w] = n[0];
        }
    }
    for (int w = 0; w < WINDOW; w++)
        free(window[w]);
    free(window);
    free(sizes);
    return NULL;
}

/* ---- espresso: mixed sizes, arrays that grow by realloc ---- */
static void *run_espresso(void *arg) {
    task *t = arg;
    rng r = {0xE5B2E550ull + (uint64_t)t->index};
    slots set = slots_make(20000);
    for (long i = 0; i < 3000000; i++) {
        size_t s = rng_below(&r, set.count);
        uint64_t op = rng_next(&r) % 16;
        if (op < 3 && set.p[s]) {
            /* grow a set by half again */
            size_t n = set.len[s] + set.len[s] / 2 + 8;
            unsigned char *q = realloc(set.p[s], n);
            if (q) {
                set.p[s] = q;
                set.len[s] = n;
                touch(q, n, (unsigned)i);
            }
            if (n > 16384) {
                free(set.p[s]);
                set.p[s] = NULL;
            }
            continue;
        }
        slot_replace(&set, s, op < 14 ? 8 + rng_below(&r, 256) : 256 + rng_below(&r, op == 15 ? 16384 : 2048),
                     (unsigned)i, &t->checksum);
    }
    slots_free(&set);
    return NULL;
}

/* ---- glibc-simple: a batch of one size, freed in order ---- */
static void *run_glibc_simple(void *arg) {
    task *t = arg;
    enum { BATCH = 1000 };
    unsigned char *batch[BATCH];
    for (int round = 0; round < 10000; round++) {
        size_t n = (size_t)16 << (round % 6); /* 16..512 */
        for (int i = 0; i < BATCH; i++) {
            batch[i] = malloc(n);
            batch[i][0] = (unsigned char)i;
        }
        for (int i = 0; i < BATCH; i++) {
            t->checksum += batch[i][0];
            free(batch[i]);
        }
    }
    return NULL;
}

/* ---- alloc-test: random sizes into random slots ---- */
static void *run_alloc_test(void *arg) {
    task *t = arg;
    rng r = {0xA110Cull + (uint64_t)t->index};
    slots set = slots_make(10000);
    for (long i = 0; i < 5000000; i++) {
        size_t s = rng_below(&r, set.count);
        uint64_t pct = rng_next(&r) % 100;
        size_t n = pct < 90 ? 16 + rng_below(&r, 496) : pct < 99 ? 512 + rng_below(&r, 7680) : 8192 + rng_below(&r, 122880);
        slot_replace(&set, s, n, (unsigned)i, &t->checksum);
    }
    slots_free(&set);
    return NULL;
}

/* ---- larson: blocks outlive the threads that made them ---- */
enum { LARSON_BLOCKS = 2000, LARSON_ROUNDS = 30, LARSON_OPS = 100000 };
typedef struct larson_set {
    unsigned char *p[LARSON_BLOCKS];
    size_t n[LARSON_BLOCKS];
    rng r;
    uint64_t checksum;
} larson_set;

static void *larson_round(void *arg) {
    larson_set *set = arg;
    for (int i = 0; i < LARSON_OPS; i++) {
        size_t b = rng_below(&set->r, LARSON_BLOCKS);
        if (set->p[b])
            set->checksum += peek(set->p[b], set->n[b]);
        free(set->p[b]);
        set->n[b] = 8 + rng_below(&set->r, 1000);
        set->p[b] = malloc(set->n[b]);
        touch(set->p[b], set->n[b], (unsigned)i);
    }
    return NULL;
}

static uint64_t run_larson(int threads) {
    larson_set *sets = calloc((size_t)threads, sizeof *sets);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    uint64_t sum = 0;
    for (int k = 0; k < threads; k++)
        sets[k].r.s = 0x1A450Full + (uint64_t)k;
    for (int round = 0; round < LARSON_ROUNDS; round++) {
        /* Each round's threads are new: they free the blocks of the last. */
        for (int k = 0; k < threads; k++)
            pthread_create(&tid[k], NULL, larson_round, &sets[k]);
        for (int k = 0; k < threads; k++)
            pthread_join(tid[k], NULL);
    }
    for (int k = 0; k < threads; k++) {
        for (int b = 0; b < LARSON_BLOCKS; b++)
            free(sets[k].p[b]);
        sum += sets[k].checksum;
    }
    free(sets);
    free(tid);
    return sum;
}

/* ---- xmalloc-test: producers allocate, consumers free ----
 * As in Lever and Boreham's test: producers fill batches of 4096 blocks and
 * hand whole batches to the consumers through one shared list under a
 * mutex, waiting on a condition when it is empty (consumers) or holds 8
 * batches per pair (producers). Handing over block by block through a spun
 * ring measured the scheduler, not the allocators: with two pairs on two
 * CPUs every allocator but glibc ran 2.3-2.9x glibc's time, and glibc ran
 * faster than with one pair. */
enum { XM_BATCH = 4096, XM_BATCHES = 2000000 / XM_BATCH, XM_QUEUE_PER_PAIR = 8 };
typedef struct xm_batch {
    struct xm_batch *next;
    unsigned char *block[XM_BATCH];
} xm_batch;
typedef struct xm_queue {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    xm_batch *head, *tail;
    int length, length_max;
    uint64_t checksum;
} xm_queue;
typedef struct xm_producer_arg {
    xm_queue *queue;
    unsigned index;
} xm_producer_arg;

static void *xm_producer(void *arg) {
    xm_producer_arg *a = arg;
    xm_queue *q = a->queue;
    rng r = {0x3A110Cull + a->index};
    for (int b = 0; b < XM_BATCHES; b++) {
        xm_batch *batch = malloc(sizeof *batch);
        batch->next = NULL;
        for (int i = 0; i < XM_BATCH; i++) {
            size_t n = 16 + rng_below(&r, 240);
            unsigned char *p = malloc(n);
            touch(p, n, (unsigned)i);
            p[0] = 1;
            batch->block[i] = p;
        }
        pthread_mutex_lock(&q->lock);
        while (q->length >= q->length_max)
            pthread_cond_wait(&q->changed, &q->lock);
        if (q->tail)
            q->tail->next = batch;
        else
            q->head = batch;
        q->tail = batch;
        q->length++;
        pthread_cond_broadcast(&q->changed);
        pthread_mutex_unlock(&q->lock);
    }
    return NULL;
}

static void *xm_consumer(void *arg) {
    xm_queue *q = arg;
    uint64_t sum = 0;
    for (int b = 0; b < XM_BATCHES; b++) {
        xm_batch *batch;
        pthread_mutex_lock(&q->lock);
        while (!q->head)
            pthread_cond_wait(&q->changed, &q->lock);
        batch = q->head;
        q->head = batch->next;
        if (!q->head)
            q->tail = NULL;
        q->length--;
        pthread_cond_broadcast(&q->changed);
        pthread_mutex_unlock(&q->lock);
        for (int i = 0; i < XM_BATCH; i++) {
            sum += batch->block[i][0];
            free(batch->block[i]);
        }
        free(batch);
    }
    pthread_mutex_lock(&q->lock);
    q->checksum += sum;
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

static uint64_t run_xmalloc(int pairs) {
    xm_queue q = {.length_max = XM_QUEUE_PER_PAIR * pairs};
    xm_producer_arg *args = calloc((size_t)pairs, sizeof *args);
    pthread_t *tid = calloc((size_t)pairs * 2, sizeof *tid);
    pthread_mutex_init(&q.lock, NULL);
    pthread_cond_init(&q.changed, NULL);
    for (int k = 0; k < pairs; k++) {
        args[k].queue = &q;
        args[k].index = (unsigned)k;
        pthread_create(&tid[2 * k], NULL, xm_producer, &args[k]);
        pthread_create(&tid[2 * k + 1], NULL, xm_consumer, &q);
    }
    for (int k = 0; k < 2 * pairs; k++)
        pthread_join(tid[k], NULL);
    free(args);
    free(tid);
    return q.checksum;
}

/* ---- mstress: one large live set shared by all threads ---- */
enum { MS_SLOTS = 50000, MS_LOCKS = 64 };
typedef struct ms_shared {
    pthread_mutex_t lock[MS_LOCKS];
    unsigned char *p[MS_SLOTS];
    size_t n[MS_SLOTS];
} ms_shared;

static void *run_mstress(void *arg) {
    task *t = arg;
    ms_shared *m = t->shared;
    rng r = {0x5EED5ull + (uint64_t)t->index};
    for (long i = 0; i < 2000000; i++) {
        size_t s = rng_below(&r, MS_SLOTS);
        uint64_t pct = rng_next(&r) % 100;
        size_t n = pct < 80 ? 8 + rng_below(&r, 120) : pct < 98 ? 128 + rng_below(&r, 3968) : 4096 + rng_below(&r, 60000);
        unsigned char *fresh = malloc(n), *old;
        size_t old_n;
        touch(fresh, n, (unsigned)i);
        pthread_mutex_lock(&m->lock[s % MS_LOCKS]);
        old = m->p[s];
        old_n = m->n[s];
        m->p[s] = fresh;
        m->n[s] = n;
        pthread_mutex_unlock(&m->lock[s % MS_LOCKS]);
        if (old)
            t->checksum += peek(old, old_n);
        free(old);
    }
    return NULL;
}

/* ---- rptest: working sets with a tenth of the blocks crossing threads ---- */
enum { RP_SET = 4000, RP_EXCHANGE = 1024 };
typedef struct rp_shared {
    void *_Atomic exchange[RP_EXCHANGE];
} rp_shared;

static void *run_rptest(void *arg) {
    task *t = arg;
    rp_shared *x = t->shared;
    rng r = {0x4B7E57ull + (uint64_t)t->index};
    slots set = slots_make(RP_SET);
    for (long i = 0; i < 4000000; i++) {
        size_t s = rng_below(&r, RP_SET);
        if (set.p[s] && rng_below(&r, 10) == 0) {
            /* Swap it into the exchange: whatever was there (maybe another
             * thread's) takes the slot, with length 0 so that slot_replace()
             * frees it without reading it. */
            t->checksum += peek(set.p[s], set.len[s]);
            set.p[s] = __atomic_exchange_n(&x->exchange[rng_below(&r, RP_EXCHANGE)], set.p[s], __ATOMIC_ACQ_REL);
            set.len[s] = 0;
        }
        slot_replace(&set, s, size_log_scale(&r, 16, 16384), (unsigned)i, &t->checksum);
    }
    slots_free(&set);
    return NULL;
}

/* ---- glibc-thread: bench-malloc-thread ---- */
static void *run_glibc_thread(void *arg) {
    task *t = arg;
    rng r = {0x611BCull + (uint64_t)t->index};
    enum { SLOTS = 1024 };
    unsigned char *slot[SLOTS] = {0};
    for (long i = 0; i < 8000000; i++) {
        size_t s = rng_below(&r, SLOTS);
        free(slot[s]);
        size_t n = size_log_scale(&r, 4, 2048);
        slot[s] = malloc(n);
        slot[s][0] = (unsigned char)i;
        t->checksum += slot[s][0];
    }
    for (int s = 0; s < SLOTS; s++)
        free(slot[s]);
    return NULL;
}

/* ---- malloc-large: 5-25 MiB blocks ---- */
static void *run_malloc_large(void *arg) {
    task *t = arg;
    rng r = {0x1A29Eull + (uint64_t)t->index};
    slots set = slots_make(20);
    for (int i = 0; i < 600; i++) {
        size_t s = rng_below(&r, set.count);
        slot_replace(&set, s, ((size_t)5 << 20) + rng_below(&r, (size_t)20 << 20), (unsigned)i, &t->checksum);
    }
    slots_free(&set);
    return NULL;
}

/* Peak resident memory of this process image (VmHWM), on stderr for
 * run.py: the rusage of a child also counts the pages of the process it was
 * forked from, before its exec. */
static void report_peak_rss(void) {
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmHWM:", 6))
            fprintf(stderr, "peak_rss_kib %ld\n", strtol(line + 6, NULL, 10));
    }
    fclose(f);
}

typedef void *(*thread_fn)(void *);

static uint64_t run_copies(thread_fn fn, int threads, void *shared) {
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    task *tasks = calloc((size_t)threads, sizeof *tasks);
    uint64_t sum = 0;
    for (int k = 0; k < threads; k++) {
        tasks[k].index = k;
        tasks[k].shared = shared;
        pthread_create(&tid[k], NULL, fn, &tasks[k]);
    }
    for (int k = 0; k < threads; k++) {
        pthread_join(tid[k], NULL);
        sum += tasks[k].checksum;
    }
    free(tid);
    free(tasks);
    return sum;
}

int main(int argc, char **argv) {
    const char *program = argc > 1 ? argv[1] : "";
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    uint64_t sum;
    if (threads < 1)
        threads = 1;
    if (!strcmp(program, "cfrac"))
        sum = run_copies(run_cfrac, threads, NULL);
    else if (!strcmp(program, "espresso"))
        sum = run_copies(run_espresso, threads, NULL);
    else if (!strcmp(program, "glibc-simple"))
        sum = run_copies(run_glibc_simple, threads, NULL);
    else if (!strcmp(program, "alloc-test"))
        sum = run_copies(run_alloc_test, threads, NULL);
    else if (!strcmp(program, "larson"))
        sum = run_larson(threads);
    else if (!strcmp(program, "xmalloc-test"))
        sum = run_xmalloc(threads);
    else if (!strcmp(program, "mstress")) {
        ms_shared *m = calloc(1, sizeof *m);
        for (int k = 0; k < MS_LOCKS; k++)
            pthread_mutex_init(&m->lock[k], NULL);
        sum = run_copies(run_mstress, threads, m);
        for (int s = 0; s < MS_SLOTS; s++)
            free(m->p[s]);
        free(m);
    } else if (!strcmp(program, "rptest")) {
        rp_shared *x = calloc(1, sizeof *x);
        sum = run_copies(run_rptest, threads, x);
        for (int s = 0; s < RP_EXCHANGE; s++)
            free(x->exchange[s]);
        free(x);
    } else if (!strcmp(program, "glibc-thread"))
        sum = run_copies(run_glibc_thread, threads, NULL);
    else if (!strcmp(program, "malloc-large"))
        sum = run_copies(run_malloc_large, threads, NULL);
    else {
        fprintf(stderr, "usage: mbench cfrac|espresso|glibc-simple|alloc-test|larson|xmalloc-test|"
                        "mstress|rptest|glibc-thread|malloc-large THREADS\n");
        return 2;
    }
    printf("%s %d: checksum %llu\n", program, threads, (unsigned long long)sum);
    report_peak_rss();
    return 0;
}
