/*
 * The call recorder behind BAREHEAP_TRACE=file: one record per malloc-family
 * call, in the format of bh_trace_format.h, for tools/replay/ to size a
 * firmware heap from a real program's behaviour.
 *
 * Order: every traced call runs under one lock (trace_lock()), so the file
 * order is the order in which calls took effect: a free always comes after
 * the call that returned its pointer, even across threads. This serialises a
 * traced program's allocations; tracing is for measuring, not for speed.
 *
 * Cost: records go to a static 1 MiB buffer and reach the file in whole
 * buffers through write(2), so tracing costs about a 32-byte copy per call.
 * Nothing here allocates (the recorder is inside malloc) and nothing uses
 * stdio.
 *
 * Lifetime: the buffer is written out when full, before fork() (so a child
 * starts with an empty buffer and the parent's records are not written
 * twice), and at exit from a destructor. Calls made after that destructor
 * (other libraries' exit code) are written one by one. A fork child stops
 * recording: the file belongs to the process that opened it.
 *
 * The descriptor: a program may close descriptors it did not open (daemons
 * close them all at start-up) and get the trace's number back for a file of
 * its own, where records would then land. So each write first checks that
 * the descriptor still names the file opened (device and inode, one fstat
 * per 1 MiB written); if not, tracing stops and the descriptor, the
 * program's now, is left alone. A trace that is a FIFO or socket is written
 * without raising SIGPIPE: its reader going away stops the trace, not the
 * program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

#include "bh_malloc_internal.h"
#include "bh_trace_format.h"

#if !defined(__BYTE_ORDER__) || (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
#error "the trace format is little-endian; a big-endian recorder would have to swap"
#endif

_Static_assert(sizeof(bh_trace_file_header) == 32, "the header is 32 bytes in the file");
_Static_assert(sizeof(bh_trace_record) == 32, "a record is 32 bytes in the file");

#define TRACE_BUFFER_BYTES ((size_t)1 << 20)

SHIM_HIDDEN atomic_int trace_enabled;

static shim_lock trace_mutex;
static int trace_fd = -1;
static dev_t trace_dev; /* the file trace_fd was opened on */
static ino_t trace_ino;
static size_t trace_used_bytes;
static uint64_t trace_record_count; /* records written or buffered, the end record's figure */
static int trace_unbuffered; /* after the exit-time flush */
static unsigned trace_thread_count;
static unsigned char trace_buffer[TRACE_BUFFER_BYTES] __attribute__((aligned(64)));

/* 1 + the thread's index in the trace; 0 until its first traced call. */
static __thread unsigned tls_trace_thread_plus1 __attribute__((tls_model("initial-exec")));

/* write(2) that never raises SIGPIPE or SIGXFSZ, whose default action is
 * to end the program: to a pipe or socket whose reader has gone it returns
 * -EPIPE or a short count, and to a file at the RLIMIT_FSIZE limit (ulimit
 * -f) a short count or -EFBIG; the program goes on. Both are blocked around
 * the write, and one the write raised is taken off the thread's pending set,
 * unless it was pending already (the program's own, which must still reach
 * it). Three system calls more per write: the trace writes 1 MiB at a time. */
static long write_quietly(int fd, const void *data, size_t n) {
    const uint64_t bits = ((uint64_t)1 << (SIGPIPE - 1)) | ((uint64_t)1 << (SIGXFSZ - 1));
    uint64_t old_mask = 0, pending = 0;
    long written;
    bool blocked = sys_rt_sigprocmask(SIG_BLOCK, &bits, &old_mask) == 0;
    if (blocked && sys_rt_sigpending(&pending) != 0)
        pending = bits; /* unknown: take nothing */
    written = sys_write(fd, data, n);
    if (blocked) {
        /* The kernel raises SIGPIPE also for a write cut short, which
         * returns the bytes written before the reader went. */
        uint64_t ours = bits & ~pending;
        if (written != (long)n && ours != 0)
            (void)sys_rt_sigtake(&ours);
        (void)sys_rt_sigprocmask(SIG_SETMASK, &old_mask, NULL);
    }
    return written;
}

void shim_write_message(const char *text, const void *address) {
    char line[160];
    size_t n = 0, i;
    static const char prefix[] = "bareheap: ";
    static const char hex_digits[] = "0123456789abcdef";
    for (i = 0; prefix[i] && n < sizeof line - 40; i++)
        line[n++] = prefix[i];
    for (i = 0; text[i] && n < sizeof line - 40; i++)
        line[n++] = text[i];
    if (address) {
        uintptr_t a = (uintptr_t)address;
        int shift;
        line[n++] = ' ';
        line[n++] = '0';
        line[n++] = 'x';
        for (shift = (int)(sizeof a * 8) - 4; shift >= 0; shift -= 4)
            line[n++] = hex_digits[(a >> shift) & 15u];
    }
    line[n++] = '\n';
    /* Best effort: stderr may be closed, or a pipe nobody reads. */
    (void)write_quietly(2, line, n);
}

/* Whether trace_fd still names the trace file. */
static bool trace_fd_is_ours(void) {
    struct stat st;
    return trace_fd >= 0 && sys_fstat(trace_fd, &st) == 0 && st.st_dev == trace_dev && st.st_ino == trace_ino;
}

/* Writes all n bytes or gives up on the trace (a full disk must not stop
 * the program). */
static void trace_write_all(const unsigned char *data, size_t n) {
    if (trace_fd >= 0 && !trace_fd_is_ours()) {
        shim_write_message("trace: the program closed the trace file's descriptor, tracing stopped", NULL);
        trace_fd = -1; /* not closed: the number may be the program's file now */
        trace_enabled = 0;
        return;
    }
    while (n > 0 && trace_fd >= 0) {
        long written = write_quietly(trace_fd, data, n);
        if (written < 0) {
            if (written == -EINTR)
                continue;
            shim_write_message("trace: write failed, tracing stopped", NULL);
            (void)sys_close(trace_fd);
            trace_fd = -1;
            trace_enabled = 0;
            return;
        }
        data += written;
        n -= (size_t)written;
    }
}

static void trace_flush_locked(void) {
    if (trace_used_bytes > 0)
        trace_write_all(trace_buffer, trace_used_bytes);
    trace_used_bytes = 0;
}

bool trace_start(const char *path) {
    bh_trace_file_header header;
    memset(&header, 0, sizeof header);
    struct stat st;
    long fd = sys_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || sys_fstat((int)fd, &st) != 0) {
        if (fd >= 0)
            (void)sys_close((int)fd);
        shim_write_message("trace: cannot create the BAREHEAP_TRACE file, not tracing", NULL);
        return false;
    }
    trace_fd = (int)fd;
    trace_dev = st.st_dev;
    trace_ino = st.st_ino;
    memcpy(header.magic, BH_TRACE_MAGIC, sizeof header.magic);
    header.version = BH_TRACE_VERSION;
    header.pointer_bytes = (uint16_t)sizeof(void *);
    header.align_bytes = (uint16_t)_Alignof(max_align_t);
    header.pid = (uint64_t)sys_getpid();
    trace_write_all((const unsigned char *)&header, sizeof header);
    trace_enabled = trace_fd >= 0;
    return trace_enabled != 0;
}

/* How deep this thread is in traced calls. A traced call can reach another
 * (pthread_setspecific, called on a thread's first allocation, may itself
 * allocate): the inner one then runs under the lock the thread already
 * holds, and its record, written first, still precedes every use of its
 * result. */
static __thread unsigned tls_trace_depth __attribute__((tls_model("initial-exec")));

void trace_lock(void) {
    if (tls_trace_depth++ == 0)
        shim_lock_enter(&trace_mutex);
}

void trace_unlock(void) {
    if (--tls_trace_depth == 0)
        shim_lock_exit(&trace_mutex);
}

/* Appends a record to the buffer, writing the buffer out first if full. */
static void trace_buffer_put(const bh_trace_record *record) {
    if (trace_used_bytes + sizeof *record > TRACE_BUFFER_BYTES)
        trace_flush_locked();
    memcpy(trace_buffer + trace_used_bytes, record, sizeof *record);
    trace_used_bytes += sizeof *record;
}

void trace_record_locked(unsigned op, unsigned align_log2, size_t size_bytes, const void *arg,
                         const void *result) {
    bh_trace_record record;
    unsigned thread = tls_trace_thread_plus1;
    if (!trace_enabled)
        return;
    if (SHIM_UNLIKELY(thread == 0)) {
        /* Indices are 16 bits in the file; later threads share the last. */
        if (trace_thread_count < 0xFFFFu)
            trace_thread_count++;
        thread = trace_thread_count;
        tls_trace_thread_plus1 = thread;
    }
    record.op = (uint8_t)op;
    record.align_log2 = (uint8_t)align_log2;
    record.thread = (uint16_t)(thread - 1u);
    record.reserved = 0;
    record.size_bytes = (uint64_t)size_bytes;
    record.arg = (uint64_t)(uintptr_t)arg;
    record.result = (uint64_t)(uintptr_t)result;
    trace_buffer_put(&record);
    trace_record_count++;
    if (SHIM_UNLIKELY(trace_unbuffered))
        trace_flush_locked();
}

/* Whether this thread took the trace lock in trace_fork_prepare(). The
 * parent and child handlers must not ask trace_enabled again: the prepare
 * handler's flush (or another thread's, just before) may have stopped
 * tracing, and a lock taken but never released hangs every thread that read
 * trace_enabled == 1 and waits for it. Thread-local: two threads may fork at
 * once. */
static __thread unsigned char tls_fork_trace_locked __attribute__((tls_model("initial-exec")));

void trace_fork_prepare(void) {
    if (!trace_enabled)
        return;
    trace_lock();
    tls_fork_trace_locked = 1;
    trace_flush_locked();
}

void trace_fork_parent(void) {
    if (tls_fork_trace_locked) {
        tls_fork_trace_locked = 0;
        trace_unlock();
    }
}

void trace_fork_child(void) {
    tls_fork_trace_locked = 0;
    shim_lock_reset(&trace_mutex);
    tls_trace_depth = 0;
    trace_used_bytes = 0;
    trace_enabled = 0;
    if (trace_fd_is_ours())
        (void)sys_close(trace_fd);
    trace_fd = -1;
}

void trace_flush(void) {
    trace_lock();
    if (trace_enabled && !trace_unbuffered) {
        /* The end record: the trace was closed, with every record before it
         * (a reader tells a trace cut short at a buffer's end from this). */
        bh_trace_record end;
        memset(&end, 0, sizeof end);
        end.op = BH_TRACE_END;
        end.size_bytes = trace_record_count;
        trace_buffer_put(&end);
    }
    trace_flush_locked();
    trace_unbuffered = 1;
    trace_unlock();
}
