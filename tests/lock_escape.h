/*
 * An error handler that leaves by longjmp, as bareheap.h allows once it has
 * released the heap's lock, for test_lock.c (the lock as hooks) and
 * test_lock_port.c (the lock compiled in): each installs a handler that
 * releases its own lock and jumps to g_escape, and checks its lock's state
 * where this calls after_jump. Include after <cmocka.h> and <setjmp.h>.
 */
#ifndef LOCK_ESCAPE_H
#define LOCK_ESCAPE_H

static jmp_buf g_escape;

/* On heap, whose handler jumps to g_escape: a double free, abandoned in
 * the handler; then the heap must be as the call found it, the report
 * counted, and it must serve again. Returns a live block of 200 bytes of
 * 0x77 for the caller to check and free. */
static unsigned char *escape_double_free(bh_heap *heap, void (*after_jump)(void)) {
    static volatile int escaped;
    unsigned char *p, *q;
    bh_stats before, after;
    p = bh_alloc(heap, 100);
    q = bh_alloc(heap, 200);
    assert_non_null(p);
    assert_non_null(q);
    memset(q, 0x77, 200);
    bh_free(heap, p);
    assert_true(bh_get_stats(heap, &before));
    escaped = 0;
    if (setjmp(g_escape) == 0)
        bh_free(heap, p); /* double free: the handler jumps out */
    else
        escaped = 1;
    assert_int_equal(escaped, 1);
    after_jump();
    /* the heap is as the call found it, the report counted, and it takes
     * its lock again */
    assert_true(bh_get_stats(heap, &after));
    assert_int_equal(after.error_count, before.error_count + 1u);
    after.error_count = before.error_count;
    assert_memory_equal(&before, &after, sizeof before);
    assert_int_equal(bh_check(heap), 0);
    p = bh_alloc(heap, 100);
    assert_non_null(p);
    bh_free(heap, p);
    return q;
}

#endif /* LOCK_ESCAPE_H */
