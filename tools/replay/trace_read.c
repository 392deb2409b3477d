/*
 * Reading a BAREHEAP_TRACE file: the header is checked (magic, version), the
 * records are decoded from little-endian bytes on demand, and a file cut
 * short (the recording program was killed) ends at its last whole record.
 * The file is mapped, not read: traces of real programs run to hundreds of
 * megabytes and a replay reads them once per heap size tried.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bh_trace_format.h"
#include "replay.h"

#define TRACE_HEADER_BYTES 32u
#define TRACE_RECORD_BYTES 32u

static uint16_t le16_read(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static uint32_t le32_read(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t le64_read(const unsigned char *p) { return (uint64_t)le32_read(p) | ((uint64_t)le32_read(p + 4) << 32); }

/* The mapping of the open trace, for the SIGBUS handler below. */
static const unsigned char *volatile mapped_lo;
static const unsigned char *volatile mapped_hi;
static int shrink_exit_status;

/* A file truncated while mapped (the traced program run again under the
 * same BAREHEAP_TRACE name) takes the mapping's pages past its new end
 * with it: the next read there raises SIGBUS. One inside the trace's
 * mapping is reported as that, with the exit status given; any other
 * SIGBUS is left to its default action. */
static void trace_sigbus(int sig, siginfo_t *info, void *context)
{
    static const char message[] =
        "bareheap-replay: the trace file shrank while it was read (rewritten by another run?)\n";
    const unsigned char *a = (const unsigned char *)info->si_addr;
    (void)context;
    if (a >= mapped_lo && a < mapped_hi) {
        ssize_t written = write(STDERR_FILENO, message, sizeof message - 1u);
        (void)written;
        _exit(shrink_exit_status);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void trace_exit_on_shrink(int exit_status)
{
    struct sigaction action;
    shrink_exit_status = exit_status;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = trace_sigbus;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, NULL);
}

trace_status trace_open(const char *path, trace_file *trace, char *why, size_t why_bytes)
{
    struct stat st;
    int fd;
    void *data;
    size_t i;
    unsigned thread;

    memset(trace, 0, sizeof *trace);
    /* O_NONBLOCK: a FIFO is refused below rather than waited on. */
    fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(why, why_bytes, "%s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return TRACE_CANNOT_OPEN;
    }
    if (!S_ISREG(st.st_mode)) {
        /* A pipe's st_size is 0: without this it was reported as a file
         * shorter than the header, though it may hold a whole trace. */
        snprintf(why, why_bytes, "%s: not a regular file (the trace is mapped: write it to a file first, "
                 "e.g. when it is decompressed)", path);
        close(fd);
        return TRACE_CANNOT_OPEN;
    }
    if ((uintmax_t)st.st_size > (uintmax_t)SIZE_MAX) {
        snprintf(why, why_bytes, "%s: too large for this build's address space", path);
        close(fd);
        return TRACE_CANNOT_OPEN;
    }
    if ((size_t)st.st_size < TRACE_HEADER_BYTES) {
        snprintf(why, why_bytes, "%s: %zu bytes, shorter than the %u-byte trace header", path,
                 (size_t)st.st_size, TRACE_HEADER_BYTES);
        close(fd);
        return TRACE_TOO_SHORT;
    }
    trace->file_bytes = (size_t)st.st_size;
    data = mmap(NULL, trace->file_bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (data == MAP_FAILED) {
        snprintf(why, why_bytes, "%s: mmap: %s", path, strerror(errno));
        return TRACE_CANNOT_OPEN;
    }
    trace->data = data;
    mapped_lo = trace->data;
    mapped_hi = trace->data + trace->file_bytes;
    if (memcmp(trace->data, BH_TRACE_MAGIC, 8) != 0) {
        snprintf(why, why_bytes, "%s: not a bareheap trace (the file does not start with \"%s\")", path,
                 BH_TRACE_MAGIC);
        trace_close(trace);
        return TRACE_BAD_MAGIC;
    }
    if (le32_read(trace->data + 8) != BH_TRACE_VERSION) {
        snprintf(why, why_bytes, "%s: trace format version %lu; this tool reads version %u", path,
                 (unsigned long)le32_read(trace->data + 8), BH_TRACE_VERSION);
        trace_close(trace);
        return TRACE_BAD_VERSION;
    }
    trace->pointer_bytes = le16_read(trace->data + 12);
    trace->align_bytes = le16_read(trace->data + 14);
    trace->pid = le64_read(trace->data + 16);
    trace->op_count = (trace->file_bytes - TRACE_HEADER_BYTES) / TRACE_RECORD_BYTES;
    trace->trailing_bytes = (trace->file_bytes - TRACE_HEADER_BYTES) % TRACE_RECORD_BYTES;
    trace->call_count = 0;
    for (i = 0; i < trace->op_count; i++) {
        const unsigned char *r = trace->data + TRACE_HEADER_BYTES + i * TRACE_RECORD_BYTES;
        if (r[0] == BH_TRACE_END) {
            /* Closed if the one end record counts every record before it (a
             * second one, or a wrong count, is a damaged file: not closed). */
            trace->closed = trace->call_count == i && le64_read(r + 8) == (uint64_t)i;
            continue;
        }
        trace->call_count++;
        if (r[0] == BH_TRACE_ALIGNED && r[1] > trace->align_log2_max) {
            trace->align_log2_max = r[1];
        }
        thread = le16_read(r + 2);
        if (thread + 1u > trace->thread_count) {
            trace->thread_count = thread + 1u;
        }
    }
    return TRACE_OK;
}

void trace_close(trace_file *trace)
{
    if (trace->data != NULL) {
        mapped_lo = mapped_hi = NULL;
        munmap((void *)(uintptr_t)trace->data, trace->file_bytes);
    }
    memset(trace, 0, sizeof *trace);
}

void trace_get(const trace_file *trace, size_t index, trace_op *op)
{
    const unsigned char *r = trace->data + TRACE_HEADER_BYTES + index * TRACE_RECORD_BYTES;
    op->op = r[0];
    op->align_log2 = r[1];
    op->thread = le16_read(r + 2);
    op->size_bytes = le64_read(r + 8);
    op->arg = le64_read(r + 16);
    op->result = le64_read(r + 24);
}

const char *trace_op_name(unsigned op)
{
    switch (op) {
    case BH_TRACE_MALLOC: return "malloc";
    case BH_TRACE_FREE: return "free";
    case BH_TRACE_CALLOC: return "calloc";
    case BH_TRACE_REALLOC: return "realloc";
    case BH_TRACE_ALIGNED: return "aligned_alloc";
    case BH_TRACE_END: return "end";
    default: return "unknown";
    }
}
