/*
 * Two threads allocate, fill, resize, check and free blocks, and hand a
 * share of them to each other through a queue, so that half of the frees
 * cross threads. Everything it prints is determined by the seeds (content
 * checksums and counts, never addresses or timing), so its output under the
 * shim must equal its output under glibc byte for byte.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 150000
#define SLOTS 512
/* Larger than the handovers of a whole run: a put never fails, so what
 * each thread does is independent of timing. */
#define QUEUE 131072

typedef struct handed {
    unsigned char *p;
    size_t n;
    unsigned seed;
} handed;

/* A bounded queue from one thread to the other. */
typedef struct queue {
    pthread_mutex_t lock;
    handed items[QUEUE];
    unsigned head, count;
} queue;

static queue queues[2] = {{PTHREAD_MUTEX_INITIALIZER, {{0}}, 0, 0}, {PTHREAD_MUTEX_INITIALIZER, {{0}}, 0, 0}};

static int queue_put(queue *q, handed h) {
    int ok = 0;
    pthread_mutex_lock(&q->lock);
    if (q->count < QUEUE) {
        q->items[(q->head + q->count) % QUEUE] = h;
        q->count++;
        ok = 1;
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
}

static int queue_take(queue *q, handed *h) {
    int ok = 0;
    pthread_mutex_lock(&q->lock);
    if (q->count) {
        *h = q->items[q->head];
        q->head = (q->head + 1) % QUEUE;
        q->count--;
        ok = 1;
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
}

static void fill(unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed ^ (i * 2654435761u >> 7));
}

static int holds(const unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed ^ (i * 2654435761u >> 7)))
            return 0;
    return 1;
}

typedef struct result {
    unsigned long long checksum, allocs, bad;
} result;

static unsigned next(unsigned *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static size_t pick_size(unsigned r) {
    switch (r % 16) {
    case 0: return (size_t)(r >> 8) % 65536;      /* medium */
    case 1: return (size_t)(r >> 8) % 100000 + 1; /* large */
    default: return (size_t)(r >> 8) % 256;       /* small */
    }
}

static void *worker(void *arg) {
    int me = (int)(intptr_t)arg;
    unsigned s = 0x9E3779B9u * (unsigned)(me + 1);
    handed slots[SLOTS] = {{0}};
    result *res = calloc(1, sizeof *res);
    for (int round = 0; round < ROUNDS; round++) {
        unsigned r = next(&s);
        handed *h = &slots[r % SLOTS];
        handed in;
        if (h->p) {
            if (!holds(h->p, h->n, h->seed))
                res->bad++;
            res->checksum += h->n ? h->p[h->n / 2] : 0;
            switch ((r >> 9) % 4) {
            case 0: { /* resize, then refill */
                size_t n = pick_size(next(&s));
                unsigned char *q = realloc(h->p, n);
                if (!q && n) { res->bad++; break; }
                if (!holds(q, h->n < n ? h->n : n, h->seed))
                    res->bad++;
                h->p = q;
                h->n = n;
                if (!n) { h->p = NULL; break; }
                fill(q, n, h->seed);
                break;
            }
            case 1: /* hand over to the other thread */
                if (queue_put(&queues[1 - me], *h)) {
                    h->p = NULL;
                    break;
                }
                /* fall through */
            default:
                free(h->p);
                h->p = NULL;
            }
        } else {
            h->n = pick_size(r);
            h->seed = next(&s) & 0xFF;
            h->p = (r & 1) ? malloc(h->n) : calloc(1, h->n);
            res->allocs++;
            if (!h->p) { res->bad++; continue; }
            fill(h->p, h->n, h->seed);
        }
        /* Blocks handed over are checked and freed here. */
        while (queue_take(&queues[me], &in)) {
            if (!holds(in.p, in.n, in.seed))
                res->bad++;
            free(in.p);
        }
    }
    for (int i = 0; i < SLOTS; i++)
        free(slots[i].p);
    return res;
}

int main(void) {
    pthread_t t[2];
    result *r[2];
    handed in;
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], (void **)&r[i]);
    for (int i = 0; i < 2; i++)
        while (queue_take(&queues[i], &in))
            free(in.p);
    for (int i = 0; i < 2; i++)
        printf("thread %d: %llu allocations, checksum %llu, damaged %llu\n", i, r[i]->allocs,
               r[i]->checksum, r[i]->bad);
    int status = (r[0]->bad | r[1]->bad) ? 1 : 0;
    free(r[0]);
    free(r[1]);
    return status;
}
