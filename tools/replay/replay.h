/*
 * bareheap-replay: replays a BAREHEAP_TRACE file (port/hosted/bh_trace_format.h)
 * against a bareheap heap of a chosen size, built with the core's compile-time
 * configuration (word size, alignment, size classes), and measures what a
 * firmware engineer must know to size a heap: peak live bytes, the heap's
 * high-water mark, fragmentation over time and the first failure.
 *
 * Shared by the parts of the tool:
 *   trace_read.c      the trace file: header check, records, a file cut short
 *   replay_run.c      one replay on one heap size, with an address map
 *   walk_dump_read.c  the bh_walk dump the examples print (examples/walk_dump.c)
 *   replay_svg.c      the pictures: heap map and fragmentation over time
 *   main.c            options, --min-heap search, reports, --layout 32
 */
#ifndef BAREHEAP_REPLAY_H
#define BAREHEAP_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Trace ---------------------------------------------------------------- */

/* One call, decoded from the little-endian file record. */
typedef struct trace_op {
    uint8_t op;         /* enum bh_trace_op */
    uint8_t align_log2;
    uint16_t thread;
    uint64_t size_bytes;
    uint64_t arg;
    uint64_t result;
} trace_op;

typedef struct trace_file {
    const unsigned char *data; /* the whole file, mapped read-only */
    size_t file_bytes;
    size_t op_count;           /* whole records */
    size_t call_count;         /* of them, calls (not end records) */
    size_t trailing_bytes;     /* of a record cut short: ignored */
    bool closed;               /* an end record counts the records before it: nothing lost */
    unsigned pointer_bytes;    /* of the recording process */
    unsigned align_bytes;
    uint64_t pid;
    unsigned thread_count;     /* highest thread index + 1 */
    unsigned align_log2_max;   /* of the aligned calls (0: none): where replay_run() puts the heap */
} trace_file;

/* Outcome of trace_open(); the exit status of the tool for each is in main.c. */
typedef enum trace_status {
    TRACE_OK = 0,
    TRACE_CANNOT_OPEN,
    TRACE_TOO_SHORT,   /* shorter than the file header */
    TRACE_BAD_MAGIC,
    TRACE_BAD_VERSION
} trace_status;

trace_status trace_open(const char *path, trace_file *trace, char *why, size_t why_bytes);
/* From now on a trace file that shrinks under its mapping ends the program
 * with exit_status and a message on stderr, not with SIGBUS. */
void trace_exit_on_shrink(int exit_status);
void trace_close(trace_file *trace);
void trace_get(const trace_file *trace, size_t index, trace_op *op);
const char *trace_op_name(unsigned op);

/* ---- One replay ------------------------------------------------------------ */

/* The heap at one moment, for the fragmentation chart. span_bytes is the part
 * of the heap from its first block to the high-water mark: used blocks plus
 * the free ones between them. */
typedef struct replay_sample {
    size_t op_index;
    uint64_t live_bytes;    /* requested bytes of live blocks, in the trace */
    size_t held_bytes;      /* of which the replay holds (less its failed allocations) */
    size_t used_bytes;      /* bytes of used blocks, headers included */
    size_t free_bytes;
    size_t largest_free_bytes;
    size_t free_blocks;
    size_t span_bytes;
} replay_sample;

/* A block of a heap map, from bh_walk() or a walk dump. */
typedef struct map_block {
    uint64_t offset_bytes;  /* from the start of the map's address range */
    uint64_t size_bytes;
    bool used;
    unsigned region;
} map_block;

typedef struct heap_map {
    map_block *blocks;
    size_t count;
    size_t capacity;
    uint64_t span_bytes;     /* the address range the map covers */
    uint64_t region_start[64];  /* offset of each region's first block (BAREHEAP_MAX_REGIONS <= 64) */
    unsigned region_count;
} heap_map;

typedef struct replay_config {
    size_t heap_bytes;          /* given to bh_init(), control structure included */
    bool stop_at_failure;       /* --min-heap probes need only success or not */
    size_t sample_every_ops;    /* 0: no samples */
    size_t snapshot_op;         /* walk the heap after this op (SIZE_MAX: never) */
    bool progress;              /* report progress on stderr during long runs */
    const char *progress_label;
} replay_config;

typedef struct replay_failure {
    size_t op_index;
    unsigned op;
    uint64_t size_bytes;
    unsigned align_log2;
    size_t free_bytes;
    size_t largest_free_bytes;
    uint64_t live_bytes;
} replay_failure;

typedef struct replay_result {
    bool init_failed;          /* the heap is too small to hold even its control structure */
    size_t heap_bytes;
    size_t control_bytes;
    size_t total_bytes;        /* bytes in blocks after init */
    size_t first_block_offset; /* of the heap memory: control structure and alignment before it */
    size_t ops_done;           /* records replayed (all of them unless stopped at a failure) */
    size_t allocs, frees, reallocs;
    size_t skipped_failed_in_trace; /* calls that returned NULL when recorded: not replayed */
    size_t unknown_frees;      /* free/realloc of an address no live block was recorded at */
    size_t reused_addresses;   /* a result address still live in the map: the old block is kept */
    size_t bad_records;        /* unknown operation codes, and sizes that would take the
                                  live bytes past 2^64 - 1 (no process holds that): skipped */
    size_t failures;
    bool failed;
    replay_failure first_failure;
    uint64_t peak_live_bytes;  /* requested bytes: a 64-bit program's, also in a 32-bit build */
    size_t peak_live_op;
    size_t peak_live_blocks;
    size_t peak_used_bytes;    /* headers included */
    size_t peak_used_op;
    size_t peak_end_offset;    /* highest end of a used block, from the start of the heap memory */
    uint64_t end_live_bytes;
    size_t end_live_blocks;
    replay_sample *samples;    /* malloc'ed; free with replay_result_free() */
    size_t sample_count;
    heap_map snapshot;         /* blocks after config.snapshot_op, offsets from the first block */
    bool have_snapshot;
} replay_result;

/* Replays the whole trace (or up to its first failure) on a fresh heap.
 * Returns false only when memory for the heap or the map cannot be had. */
bool replay_run(const trace_file *trace, const replay_config *config, replay_result *result);
/* The size of the last heap replay_run() could not map (its errno in
 * *error), 0 if every mapping succeeded: a --heap or --max-heap past what
 * the machine can map, told apart from the tool running out of memory. */
size_t replay_map_failure(int *error);
void replay_result_free(replay_result *result);

/* Progress on stderr (main.c): one line overwritten in place on a terminal,
 * otherwise a line every few seconds at most. force: print now on a terminal
 * (a log keeps its pace). */
void progress_note(bool force, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Ends an overwritten progress line, if one is shown. */
void progress_end(void);

/* ---- Heap maps ------------------------------------------------------------- */

bool heap_map_add(heap_map *map, uint64_t offset_bytes, uint64_t size_bytes, bool used, unsigned region);
void heap_map_free(heap_map *map);

/* A walk dump: the lines "bh-walk ..." of a console log (examples/walk_dump.c).
 * Other lines are ignored. Anything but WALK_DUMP_OK comes with a message in why. */
typedef struct walk_dump_info {
    unsigned word_bytes, align_bytes;
    uint64_t heap_bytes, control_bytes;
    size_t blocks_declared;   /* from the end line */
} walk_dump_info;

typedef enum walk_dump_status {
    WALK_DUMP_OK = 0,
    WALK_DUMP_CANNOT_READ,   /* missing, a directory, a read error */
    WALK_DUMP_BROKEN,        /* no dump in it, or a line that is not one */
    WALK_DUMP_OUT_OF_MEMORY
} walk_dump_status;

walk_dump_status walk_dump_read(const char *path, heap_map *map, walk_dump_info *info, char *why, size_t why_bytes);

/* ---- SVG ------------------------------------------------------------------- */

typedef struct svg_input {
    const char *title;
    const char *subtitle;
    const heap_map *map;            /* NULL: no heap map */
    const replay_sample *samples;   /* NULL or sample_count == 0: no chart */
    size_t sample_count;
    size_t op_count;
    size_t failure_op;              /* SIZE_MAX: none */
    size_t merge_threshold_blocks;  /* more blocks than this: tiny neighbours merged */
} svg_input;

/* Returns the number of block rectangles written (merged runs count once), or
 * -1 when the file cannot be written. */
long svg_write(const char *path, const svg_input *input);

/* Bytes of the valid UTF-8 sequence at s (1..4), 0 if s does not start one:
 * file names are bytes, and the SVG and JSON outputs are UTF-8. */
size_t utf8_sequence_bytes(const char *s);

#endif /* BAREHEAP_REPLAY_H */
