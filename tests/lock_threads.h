/*
 * Two threads sharing one locked heap, for test_lock.c (the C11 spinlock as
 * hooks) and test_lock_port.c (a mutex compiled in): each allocates, tags
 * with its own byte, checks and frees blocks in 64 slots, 20,000 steps; a
 * block found with another thread's bytes in it fails the run, and the heap
 * must end whole and empty. Include after <cmocka.h> and <pthread.h>.
 */
#ifndef LOCK_THREADS_H
#define LOCK_THREADS_H

#define THREAD_OPS 20000
#define THREAD_SLOTS 64

static bh_heap *g_shared;

static void *thread_main(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    unsigned char *slot[THREAD_SLOTS] = {0};
    unsigned char tag = (unsigned char)(seed & 0xFFu);
    size_t size[THREAD_SLOTS] = {0};
    int i, k;
    for (i = 0; i < THREAD_OPS; i++) {
        seed = seed * 1103515245u + 12345u;
        k = (int)((seed >> 8) % THREAD_SLOTS);
        if (slot[k]) {
            size_t j;
            for (j = 0; j < size[k]; j++)
                if (slot[k][j] != tag)
                    return (void *)1; /* another thread wrote into our block */
            bh_free(g_shared, slot[k]);
            slot[k] = NULL;
        } else {
            size[k] = 1 + (seed >> 16) % 700u;
            slot[k] = bh_alloc(g_shared, size[k]);
            if (slot[k])
                memset(slot[k], tag, size[k]);
        }
    }
    for (k = 0; k < THREAD_SLOTS; k++)
        bh_free(g_shared, slot[k]);
    return NULL;
}

/* Runs the two threads on heap, whose lock is set, and checks the heap. */
static void threads_share(bh_heap *heap) {
    pthread_t threads[2];
    void *result[2];
    bh_stats s;
    int i;
    g_shared = heap;
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, thread_main, (void *)(uintptr_t)(0x51u + (unsigned)i)), 0);
    for (i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(threads[i], &result[i]), 0);
        assert_null(result[i]);
    }
    assert_int_equal(bh_check(heap), 0);
    assert_true(bh_get_stats(heap, &s));
    assert_int_equal(s.live_blocks, 0);
    assert_int_equal(s.free_blocks, 1);
    assert_int_equal(s.alloc_count, s.free_count);
}

#endif /* LOCK_THREADS_H */
