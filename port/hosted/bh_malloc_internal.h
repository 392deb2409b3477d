/*
 * Shared by the hosted shim's allocator (bh_malloc.c) and its call recorder
 * (bh_malloc_trace.c): the spinlock every arena and the recorder use, and the
 * recorder's interface. Nothing here is exported from the library.
 */
#ifndef BH_MALLOC_INTERNAL_H
#define BH_MALLOC_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bh_malloc_sys.h"

#define SHIM_LIKELY(x) __builtin_expect(!!(x), 1)
#define SHIM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SHIM_HIDDEN __attribute__((visibility("hidden")))

/* ---- Spinlock ----
 * A malloc-heavy program takes an arena lock twice per block, nearly always
 * uncontended: that case must cost one atomic exchange and one store, not a
 * pthread mutex's call and futex bookkeeping. Contended, it spins a bounded
 * number of times on a plain load (test-and-test-and-set: waiting does not
 * bounce the cache line), then yields the CPU, so that a holder preempted on
 * a machine with fewer cores than threads gets to run and release it. */
typedef struct shim_lock {
    atomic_int held;
} shim_lock;

#define SHIM_LOCK_SPINS 64

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline bool shim_lock_try(shim_lock *lock) {
    return atomic_load_explicit(&lock->held, memory_order_relaxed) == 0 &&
           atomic_exchange_explicit(&lock->held, 1, memory_order_acquire) == 0;
}

static inline void shim_lock_enter(shim_lock *lock) {
    unsigned spins;
    if (SHIM_LIKELY(atomic_exchange_explicit(&lock->held, 1, memory_order_acquire) == 0))
        return;
    for (;;) {
        for (spins = 0; spins < SHIM_LOCK_SPINS; spins++) {
            if (shim_lock_try(lock))
                return;
            cpu_relax();
        }
        (void)sys_sched_yield();
    }
}

static inline void shim_lock_exit(shim_lock *lock) {
    atomic_store_explicit(&lock->held, 0, memory_order_release);
}

/* Whether some thread holds the lock now (a hint: it may change at once). */
static inline bool shim_lock_busy(shim_lock *lock) {
    return atomic_load_explicit(&lock->held, memory_order_relaxed) != 0;
}

/* After fork(), in the child: the one thread left holds nothing. */
static inline void shim_lock_reset(shim_lock *lock) {
    atomic_store_explicit(&lock->held, 0, memory_order_relaxed);
}

/* ---- Call recorder (BAREHEAP_TRACE) ---- */

/* Non-zero while calls are being recorded. Read without the lock by every
 * slow entry: it is set at start-up and cleared in a fork child or, under
 * the trace lock, when a write to the file fails, while other threads may
 * be reading it (hence atomic; a stale 1 only takes the lock, where the
 * record is dropped with the file gone). */
SHIM_HIDDEN extern atomic_int trace_enabled;

/* Opens path (created or truncated) and writes the file header; calls are
 * recorded from then on. False (and no tracing) if the file cannot be made. */
SHIM_HIDDEN bool trace_start(const char *path);

/* Every traced call runs between these two, so that the order of records
 * in the file is the order in which the calls took effect. */
SHIM_HIDDEN void trace_lock(void);
SHIM_HIDDEN void trace_unlock(void);

/* Appends one record; the caller holds trace_lock(). */
SHIM_HIDDEN void trace_record_locked(unsigned op, unsigned align_log2, size_t size_bytes,
                                     const void *arg, const void *result);

/* fork(): prepare takes the trace lock (if tracing) and writes out the
 * buffer, so the child starts with none; the parent releases the lock if
 * prepare took it and goes on; the child stops recording (the file is the
 * parent's). */
SHIM_HIDDEN void trace_fork_prepare(void);
SHIM_HIDDEN void trace_fork_parent(void);
SHIM_HIDDEN void trace_fork_child(void);

/* Writes out what is buffered (at exit). */
SHIM_HIDDEN void trace_flush(void);

/* Writes a message to stderr with write(2): nothing allocates, errno kept. */
SHIM_HIDDEN void shim_write_message(const char *text, const void *address);

#endif /* BH_MALLOC_INTERNAL_H */
