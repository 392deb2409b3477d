/*
 * The BAREHEAP_TRACE file format, shared by the recorder in the hosted malloc
 * shim (port/hosted/) and the tools that read traces (tools/replay/).
 *
 * A trace is one bh_trace_file_header followed by bh_trace_record entries,
 * little-endian, in the order the calls took effect: the recorder holds one
 * trace lock across each traced call, so a free is always after the call that
 * returned its pointer, and an address handed out again is after its free.
 * A program that exits normally closes its trace with a BH_TRACE_END record;
 * calls made later, by destructors that run after the recorder's, follow it.
 * A trace without one was not closed: the program exec'd, called _exit, was
 * killed, or tracing stopped (a write failed), and the calls it made since
 * its last buffer was written are missing. A reader must accept such a
 * file, and one cut short inside a record, and stop at the last whole record.
 *
 * Addresses are the recording process's own; a replay uses them only as keys
 * to match a free or realloc with the call that returned the block.
 */
#ifndef BH_TRACE_FORMAT_H
#define BH_TRACE_FORMAT_H

#include <stdint.h>

#define BH_TRACE_MAGIC "BHTRACE1" /* 8 bytes, no terminator in the file */
#define BH_TRACE_VERSION 1u

/* What a record describes. size_bytes, align_log2, arg and result per op: */
enum bh_trace_op {
    BH_TRACE_MALLOC = 1,  /* size_bytes; result (0: failed) */
    BH_TRACE_FREE = 2,    /* arg (never 0: free(NULL) is not recorded) */
    BH_TRACE_CALLOC = 3,  /* size_bytes = count * size (overflowing calls are not recorded); result */
    BH_TRACE_REALLOC = 4, /* arg (0: like malloc), size_bytes (0 with arg: a free), result */
    BH_TRACE_ALIGNED = 5, /* align_log2, size_bytes; result. posix_memalign, aligned_alloc,
                             memalign, valloc, pvalloc */
    BH_TRACE_END = 6      /* size_bytes = the number of records before it; no call */
};

/* 32 bytes. pointer_bytes and align_bytes describe the recording process. */
typedef struct bh_trace_file_header {
    char magic[8];
    uint32_t version;
    uint16_t pointer_bytes; /* 8 on x86-64 */
    uint16_t align_bytes;   /* malloc's alignment in the recording process */
    uint64_t pid;
    uint64_t reserved;      /* 0 */
} bh_trace_file_header;

/* 32 bytes per call. */
typedef struct bh_trace_record {
    uint8_t op;          /* enum bh_trace_op */
    uint8_t align_log2;  /* BH_TRACE_ALIGNED only, else 0 */
    uint16_t thread;     /* small index, 0 for the first thread that called */
    uint32_t reserved;   /* 0 */
    uint64_t size_bytes;
    uint64_t arg;        /* the pointer passed in, or 0 */
    uint64_t result;     /* the pointer returned, or 0 */
} bh_trace_record;

#endif /* BH_TRACE_FORMAT_H */
