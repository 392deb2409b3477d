/*
 * The hosted shim's threads under ThreadSanitizer (make test-tsan): the
 * shim's sources are built with their entry points renamed
 * (shim_tsan_names.h), so the sanitizer keeps its own malloc and sees every
 * access the shim makes. Four threads allocate, resize and free on their
 * own arenas and through their thread caches, and hand blocks to each other
 * so that frees go back to another thread's arena, locked or through its
 * list of remote frees. Every block carries its owner's tag, checked before
 * it is freed. A missing ordering in the arena locks, the remote-free list,
 * the thread cache or the arena counts is a race that TSan reports, and its
 * report fails the test (exit status 66).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void *tsan_malloc(size_t size_bytes);
void tsan_free(void *p);
void *tsan_calloc(size_t count, size_t size_bytes);
void *tsan_realloc(void *p, size_t size_bytes);
void *tsan_aligned_alloc(size_t align_bytes, size_t size_bytes);
size_t tsan_malloc_usable_size(void *p);
int tsan_malloc_trim(size_t pad_bytes);

#define THREADS 4
#define OPS 40000
#define SLOTS 128
#define MAILBOX 64

/* One mailbox per thread: blocks another thread allocated, for this one to
 * check and free. Guarded by its mutex (the shim's own ordering is what TSan
 * checks, not this hand-over). */
typedef struct mailbox {
    pthread_mutex_t lock;
    unsigned char *block[MAILBOX];
    size_t size[MAILBOX];
    unsigned char tag[MAILBOX];
    unsigned count;
} mailbox;

static mailbox boxes[THREADS];
static atomic_int failures;

static void fail(const char *what, unsigned thread)
{
    fprintf(stderr, "test_shim_tsan: thread %u: %s\n", thread, what);
    atomic_fetch_add(&failures, 1);
}

static int tag_intact(const unsigned char *p, size_t size_bytes, unsigned char tag)
{
    size_t i;
    for (i = 0; i < size_bytes; i++) {
        if (p[i] != tag) {
            return 0;
        }
    }
    return 1;
}

static void mailbox_drain(unsigned self)
{
    mailbox *m = &boxes[self];
    unsigned i;
    pthread_mutex_lock(&m->lock);
    for (i = 0; i < m->count; i++) {
        if (!tag_intact(m->block[i], m->size[i], m->tag[i])) {
            fail("a handed-over block changed", self);
        }
        tsan_free(m->block[i]);
    }
    m->count = 0;
    pthread_mutex_unlock(&m->lock);
}

/* Hands p to thread to, which frees it; false when its mailbox is full. */
static int mailbox_post(unsigned to, unsigned char *p, size_t size_bytes, unsigned char tag)
{
    mailbox *m = &boxes[to];
    int posted = 0;
    pthread_mutex_lock(&m->lock);
    if (m->count < MAILBOX) {
        m->block[m->count] = p;
        m->size[m->count] = size_bytes;
        m->tag[m->count] = tag;
        m->count++;
        posted = 1;
    }
    pthread_mutex_unlock(&m->lock);
    return posted;
}

static void *worker(void *arg)
{
    unsigned self = (unsigned)(uintptr_t)arg;
    unsigned char tag = (unsigned char)(0x40u + self);
    unsigned char *slot[SLOTS] = {0};
    size_t size[SLOTS] = {0};
    uint32_t x = 0x9E3779B9u * (self + 1u);
    unsigned i, k;
    for (i = 0; i < OPS; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        k = x % SLOTS;
        if ((i & 255u) == 0u) {
            mailbox_drain(self);
        }
        if (slot[k] != NULL) {
            if (!tag_intact(slot[k], size[k], tag)) {
                fail("a block changed", self);
            }
            switch ((x >> 8) % 4u) {
            case 0: { /* grow or shrink, keeping the contents */
                size_t n = 1u + (x >> 12) % 3000u;
                unsigned char *q = tsan_realloc(slot[k], n);
                if (q == NULL) {
                    fail("realloc failed", self);
                    break;
                }
                if (!tag_intact(q, n < size[k] ? n : size[k], tag)) {
                    fail("realloc lost the contents", self);
                }
                memset(q, tag, n);
                slot[k] = q;
                size[k] = n;
                continue;
            }
            case 1: /* to another thread, which frees it */
                if (mailbox_post((self + 1u + (x >> 12) % (THREADS - 1u)) % THREADS, slot[k], size[k], tag)) {
                    break;
                }
                /* fall through: its mailbox is full */
            default:
                if (tsan_malloc_usable_size(slot[k]) < size[k]) {
                    fail("usable size below the request", self);
                }
                tsan_free(slot[k]);
                break;
            }
            slot[k] = NULL;
        } else {
            size_t n = 1u + (x >> 12) % ((x & 0x100u) ? 2048u : 200u);
            unsigned char *p;
            if ((x >> 20) % 16u == 0u) {
                p = tsan_aligned_alloc(64, n);
                if (p != NULL && ((uintptr_t)p & 63u) != 0u) {
                    fail("aligned_alloc misaligned", self);
                }
            } else if ((x >> 20) % 16u == 1u) {
                p = tsan_calloc(1, n);
                if (p != NULL && !tag_intact(p, n, 0)) {
                    fail("calloc not zeroed", self);
                }
            } else {
                p = tsan_malloc(n);
            }
            if (p == NULL) {
                fail("allocation failed", self);
                continue;
            }
            memset(p, tag, n);
            slot[k] = p;
            size[k] = n;
        }
    }
    for (k = 0; k < SLOTS; k++) {
        tsan_free(slot[k]);
    }
    mailbox_drain(self);
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    unsigned i;
    for (i = 0; i < THREADS; i++) {
        pthread_mutex_init(&boxes[i].lock, NULL);
    }
    for (i = 0; i < THREADS; i++) {
        if (pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i) != 0) {
            fprintf(stderr, "test_shim_tsan: cannot start a thread\n");
            return 1;
        }
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
    }
    /* Blocks posted after a thread's last drain. */
    for (i = 0; i < THREADS; i++) {
        mailbox_drain(i);
    }
    tsan_malloc_trim(0);
    printf("test_shim_tsan: %d failures\n", atomic_load(&failures));
    return atomic_load(&failures) == 0 ? 0 : 1;
}
