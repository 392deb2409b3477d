/*
 * bareheap-replay: command line, reports, the --min-heap search, and
 * --layout 32 (which runs the 32-bit build of this tool).
 *
 * --min-heap: whether a trace runs is not monotone in the heap size for a
 * segregated-fit allocator (a larger heap has other class boundaries, a
 * larger control structure, and blocks land elsewhere), so the search is a
 * bisection between a size that fails and one that runs. Below its answer
 * other stretches of sizes may run (aligned requests make them likelier:
 * where their blocks land depends on absolute offsets), so sizes spread down
 * to a floor no heap can go below are tried, and the search goes on below
 * any that runs. Last, the size below the answer and a set of larger sizes
 * are checked; what those checks found is reported as found, never smoothed
 * over.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bareheap.h"
#include "bareheap_config.h"
#include "replay.h"

/* Exit status, documented in --help and README.md. */
enum {
    EXIT_RAN = 0,          /* the trace ran without a failure / --min-heap found a size */
    EXIT_FAILED_ALLOC = 1, /* an allocation failed at this heap size / no size found */
    EXIT_USAGE = 2,
    EXIT_UNREADABLE = 3,   /* missing file, shorter than the trace header, or cut while mapped */
    EXIT_NOT_TRACE = 4,    /* bad magic or an unsupported format version */
    EXIT_TOOL = 5          /* out of memory, cannot write output, cannot run the 32-bit build */
};

/* 1 in bareheap-replay-32, the build --layout 32 runs. */
#ifndef BAREHEAP_REPLAY_LAYOUT32
#define BAREHEAP_REPLAY_LAYOUT32 0
#endif

#define DEFAULT_HEAP_BYTES ((size_t)256 * 1024 * 1024)
#define MIN_HEAP_START_BYTES ((size_t)64 * 1024)
#define CHART_SAMPLES 400u
#define MERGE_THRESHOLD_BLOCKS 3000u

static const char *program_name = "bareheap-replay";

static void usage_print(FILE *out)
{
    fprintf(out,
        "usage: %s TRACE [options]\n"
        "       %s --walk-dump FILE --svg OUT\n"
        "       %s --config\n"
        "\n"
        "Replays a BAREHEAP_TRACE file (recorded by port/hosted/'s malloc shim) against a\n"
        "bareheap heap and reports: peak live bytes (what the program had asked for and not\n"
        "freed), peak used bytes (blocks, headers included), peak footprint (the highest end\n"
        "of a used block from the start of the heap memory, control structure included),\n"
        "fragmentation over time and the first allocation that failed.\n"
        "\n"
        "Calls are replayed in file order on one heap; a trace of several threads was\n"
        "serialised by the recorder, so its file order is an order that really happened.\n"
        "Frees and reallocs find their block by the address the program saw.\n"
        "\n"
        "options:\n"
        "  --heap SIZE      heap given to bh_init(), control structure included; suffixes\n"
        "                   K, M, G (powers of 1024). Default 256M.\n"
        "  --min-heap       find a heap size N (to the alignment grain) on which the\n"
        "                   trace runs without a failure and N - grain fails: bisection,\n"
        "                   then sizes spread below N (--scan), going on below any that\n"
        "                   runs, then larger sizes are tried, since success need not\n"
        "                   be monotone in the heap size (--heap is not used then:\n"
        "                   the report is of the run at N, or if none is found of\n"
        "                   the largest size tried).\n"
        "                   N is the smallest size found, not always the smallest that\n"
        "                   runs: not every size below it is replayed.\n"
        "  --max-heap SIZE  largest heap --min-heap tries (default 16G, 2G on 32-bit)\n"
        "  --scan COUNT     sizes --min-heap tries below an answer, spread from the\n"
        "                   peak live bytes and their control structure up (default 32,\n"
        "                   0 to 4096; each is one replay up to its first failure)\n"
        "  --layout 32|64   block layout: 32 runs bareheap-replay-32 (4-byte words,\n"
        "                   8-byte alignment as on Cortex-M), found next to this program\n"
        "                   or named by BAREHEAP_REPLAY_32; through qemu-i386 when the\n"
        "                   kernel cannot run 32-bit programs.\n"
        "  --svg FILE       draw the heap map at the peak of used bytes and the\n"
        "                   fragmentation over time\n"
        "  --walk-dump FILE draw (with --svg) the heap map of a bh_walk dump printed by\n"
        "                   the examples (lines \"bh-walk ...\", see examples/walk_dump.c)\n"
        "  --kv             print the summary as key=value lines\n"
        "  --json           print the summary as JSON, with the fragmentation samples\n"
        "  --quiet          no progress on stderr\n"
        "  --config         print the configuration this program was built with\n"
        "  --help\n"
        "\n"
        "Other configurations: build with cmake -DBAREHEAP_CONFIG_DEFINES=\"BAREHEAP_SL_LOG2=3;...\";\n"
        "the block layout is fixed when the core is compiled (see tools/replay/README.md).\n"
        "\n"
        "exit status: 0 ran without a failure (--min-heap: a size was found); 1 an\n"
        "allocation failed (--min-heap: none up to --max-heap); 2 usage; 3 cannot read the\n"
        "file, it is shorter than a trace header or it shrank while read; 4 not a trace\n"
        "(bad magic), an unsupported version or a broken walk dump; 5 out of memory,\n"
        "cannot write output or run the 32-bit build.\n",
        program_name, program_name, program_name);
}

/* ---- Progress on stderr ------------------------------------------------------ */

static bool progress_enabled = true;
static bool progress_tty;
static bool progress_line_open;
static double progress_last_s = -1.0;
static double progress_start_s;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_note(bool force, const char *format, ...)
{
    va_list ap;
    double now;
    if (!progress_enabled) {
        return;
    }
    now = now_seconds();
    /* Nothing for runs shorter than a second; then a terminal line four times
     * a second, a log line every five seconds. A forced note shows at once
     * on a terminal only: a log gets no more lines for it. */
    if (!(force && progress_tty) &&
        (now - progress_start_s < 1.0 ||
         (progress_last_s >= 0.0 && now - progress_last_s < (progress_tty ? 0.25 : 5.0)))) {
        return;
    }
    progress_last_s = now;
    va_start(ap, format);
    if (progress_tty) {
        fputs("\r\033[K", stderr);
        vfprintf(stderr, format, ap);
        progress_line_open = true;
    } else {
        vfprintf(stderr, format, ap);
        fputc('\n', stderr);
    }
    va_end(ap);
    fflush(stderr);
}

void progress_end(void)
{
    if (progress_line_open) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        progress_line_open = false;
    }
}

/* ---- Sizes ----------------------------------------------------------------------- */

static bool size_parse(const char *text, size_t *out)
{
    char *end;
    unsigned long long v, scale = 1;
    errno = 0;
    if (text[0] < '0' || text[0] > '9') {
        return false;
    }
    v = strtoull(text, &end, 10);
    if (errno != 0) {
        return false;
    }
    switch (*end) {
    case 'k': case 'K': scale = 1024u; end++; break;
    case 'm': case 'M': scale = 1024u * 1024u; end++; break;
    case 'g': case 'G': scale = 1024u * 1024u * 1024u; end++; break;
    default: break;
    }
    if (*end == 'i') {
        end++;
    }
    if (*end == 'B' || *end == 'b') {
        end++;
    }
    if (*end != '\0' || v > (unsigned long long)SIZE_MAX / scale) {
        return false;
    }
    *out = (size_t)(v * scale);
    return true;
}

static size_t round_up(size_t v, size_t grain) { return (v + grain - 1u) / grain * grain; }

/* "12.3 KiB" for people; exact bytes are printed beside it. */
static const char *size_human(uint64_t bytes, char *buf, size_t buf_bytes)
{
    if (bytes >= (uint64_t)1 << 30) {
        snprintf(buf, buf_bytes, "%.2f GiB", (double)bytes / (double)(1u << 30));
    } else if (bytes >= (uint64_t)1 << 20) {
        snprintf(buf, buf_bytes, "%.2f MiB", (double)bytes / (double)(1u << 20));
    } else if (bytes >= 1024u) {
        snprintf(buf, buf_bytes, "%.1f KiB", (double)bytes / 1024.0);
    } else {
        snprintf(buf, buf_bytes, "%llu B", (unsigned long long)bytes);
    }
    return buf;
}

/* ---- Summary output: the same keys in text, key=value and JSON -------------------- */

typedef enum out_format { OUT_TEXT, OUT_KV, OUT_JSON } out_format;
static out_format out_mode = OUT_TEXT;
static bool out_first = true;

/* A JSON member's name, after the object's opening brace or a comma. */
static void out_json_key(const char *key)
{
    printf("%s\n  \"%s\": ", out_first ? "{" : ",", key);
    out_first = false;
}

static void out_num(const char *key, uint64_t value)
{
    if (out_mode == OUT_KV) {
        printf("%s=%llu\n", key, (unsigned long long)value);
    } else if (out_mode == OUT_JSON) {
        out_json_key(key);
        printf("%llu", (unsigned long long)value);
    }
}

static void out_real(const char *key, double value)
{
    if (out_mode == OUT_KV) {
        printf("%s=%.4f\n", key, value);
    } else if (out_mode == OUT_JSON) {
        out_json_key(key);
        printf("%.4f", value);
    }
}

/* Why a replay could not run: a heap the machine cannot map (--heap or
 * --max-heap too large), or the tool itself out of memory. */
static void tool_failure_report(void)
{
    int error = 0;
    size_t bytes = replay_map_failure(&error);
    if (bytes != 0u) {
        fprintf(stderr, "%s: cannot map a heap of %zu bytes (%s): past what this machine can map; "
                "lower --heap or --max-heap\n", program_name, bytes, strerror(error));
    } else {
        fprintf(stderr, "%s: out of memory\n", program_name);
    }
}

static void out_str(const char *key, const char *value)
{
    const char *c;
    if (out_mode == OUT_KV) {
        printf("%s=%s\n", key, value);
    } else if (out_mode == OUT_JSON) {
        out_json_key(key);
        putchar('"');
        for (c = value; *c != '\0'; c++) {
            size_t n = utf8_sequence_bytes(c);
            if (n == 0u) {
                fputs("\\ufffd", stdout); /* a byte of a file name that is not UTF-8 */
            } else if (n > 1u) {
                fwrite(c, 1, n, stdout);
                c += n - 1u;
            } else if (*c == '"' || *c == '\\') {
                printf("\\%c", *c);
            } else if ((unsigned char)*c < 0x20u) {
                printf("\\u%04x", (unsigned)(unsigned char)*c);
            } else {
                putchar(*c);
            }
        }
        putchar('"');
    }
}

static void out_samples(const replay_result *r)
{
    size_t i;
    if (out_mode != OUT_JSON) {
        return;
    }
    out_json_key("samples_fields");
    printf("[\"op\", \"live_bytes\", \"used_bytes\", \"free_bytes\", \"largest_free_bytes\", \"free_blocks\", "
           "\"span_bytes\", \"held_bytes\"]");
    out_json_key("samples");
    putchar('[');
    for (i = 0; i < r->sample_count; i++) {
        const replay_sample *s = &r->samples[i];
        printf("%s\n    [%zu, %llu, %zu, %zu, %zu, %zu, %zu, %zu]", i == 0u ? "" : ",", s->op_index,
               (unsigned long long)s->live_bytes,
               s->used_bytes, s->free_bytes, s->largest_free_bytes, s->free_blocks, s->span_bytes, s->held_bytes);
    }
    printf("\n  ]");
}

static void out_end(void)
{
    if (out_mode == OUT_JSON) {
        printf("%s\n}\n", out_first ? "{" : "");
    }
}

/* ---- The build's configuration ------------------------------------------------------ */

static void config_describe(char *buf, size_t buf_bytes)
{
    snprintf(buf, buf_bytes,
             "%u-bit block layout: word %u B, alignment %u B, SL_LOG2 %d, probe limit %d, max regions %d, "
             "debug %d; %zu B overhead per block, minimum block %zu B",
             (unsigned)(sizeof(size_t) * CHAR_BIT), (unsigned)sizeof(size_t), (unsigned)BAREHEAP_ALIGN_BYTES,
             BAREHEAP_SL_LOG2, BAREHEAP_PROBE_LIMIT, BAREHEAP_MAX_REGIONS, BAREHEAP_DEBUG, bh_block_overhead(),
             bh_min_block_size());
}

static void config_out(void)
{
    char text[400];
    config_describe(text, sizeof text);
    out_num("layout_bits", (uint64_t)(sizeof(size_t) * CHAR_BIT));
    out_num("word_bytes", sizeof(size_t));
    out_num("align_bytes", bh_alignment());
    out_num("sl_log2", BAREHEAP_SL_LOG2);
    out_num("probe_limit", BAREHEAP_PROBE_LIMIT);
    out_num("max_regions", BAREHEAP_MAX_REGIONS);
    out_num("debug", BAREHEAP_DEBUG);
    out_num("block_overhead_bytes", bh_block_overhead());
    out_num("min_block_bytes", bh_min_block_size());
    out_str("config", text);
}

/* ---- --layout 32 ------------------------------------------------------------------ */

/* Runs the 32-bit build with the same arguments, less --layout. Returns only
 * on failure. */
static int layout32_exec(int argc, char **argv)
{
    char path[PATH_MAX];
    const char *env = getenv("BAREHEAP_REPLAY_32");
    char **args = calloc((size_t)argc + 4u, sizeof *args);
    int i, n = 0;

    if (args == NULL) {
        return EXIT_TOOL;
    }
    if (env != NULL && env[0] != '\0') {
        snprintf(path, sizeof path, "%s", env);
    } else {
        ssize_t len = readlink("/proc/self/exe", path, sizeof path - 1u);
        char *slash;
        if (len <= 0) {
            fprintf(stderr, "%s: cannot find this program's directory; set BAREHEAP_REPLAY_32\n", program_name);
            free(args);
            return EXIT_TOOL;
        }
        path[len] = '\0';
        slash = strrchr(path, '/');
        if (slash == NULL || (size_t)(slash - path) + sizeof "/bareheap-replay-32" > sizeof path) {
            free(args);
            return EXIT_TOOL;
        }
        strcpy(slash, "/bareheap-replay-32");
    }
    args[n++] = "qemu-i386";
    args[n++] = "-L";
    args[n++] = "/";
    args[n++] = path;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--layout") == 0) {
            i++;
        } else if (strncmp(argv[i], "--layout=", 9) != 0) {
            args[n++] = argv[i];
        }
    }
    args[n] = NULL;
    fflush(NULL);
    execv(path, args + 3);
    if (errno == ENOEXEC) {
        /* This kernel does not run i386 programs: emulate it. */
        execvp("qemu-i386", args);
        fprintf(stderr, "%s: %s is a 32-bit program this kernel cannot run, and qemu-i386: %s\n", program_name,
                path, strerror(errno));
    } else {
        fprintf(stderr, "%s: cannot run the 32-bit build %s: %s (build the tree's target "
                "bareheap_replay_32, or name the program with BAREHEAP_REPLAY_32)\n", program_name, path, strerror(errno));
    }
    free(args);
    return EXIT_TOOL;
}

/* ---- Replays and reports ---------------------------------------------------------------- */

typedef struct options {
    const char *trace_path;
    const char *svg_path;
    const char *walk_dump_path;
    size_t heap_bytes;
    size_t max_heap_bytes;
    unsigned scan_sizes; /* --scan: sizes tried below an answer of the bisection */
    bool min_heap;
    bool quiet;
} options;

typedef struct min_heap_report {
    bool found;
    size_t bytes;            /* smallest size found that runs */
    size_t below_bytes;      /* bytes - grain: confirmed to fail */
    bool below_failed;
    size_t below_failure_op;
    unsigned runs;
    unsigned larger_tested;
    unsigned larger_failed;
    size_t larger_failed_first_bytes; /* smallest larger size that failed */
    size_t larger_failed_last_bytes;  /* largest larger size that failed */
    size_t all_larger_run_bytes;      /* from here on every tested size ran */
    size_t first_found_bytes;         /* 0, or what bisection found before a smaller size ran */
    bool first_found_by_scan;         /* that smaller size was one of the spread sizes, not a power of two's */
    unsigned scan_tested;             /* spread sizes tried below an answer of the bisection */
    size_t scan_floor_bytes;          /* where they start: peak live bytes and their control structure */
    bool scan_stopped;                /* the rounds ran out: sizes below the answer were not all scanned */
} min_heap_report;

typedef struct probe_context {
    const trace_file *trace;
    unsigned *runs;
    size_t lo, hi;
    bool show_progress;
    bool peak_known;          /* a run went through the whole trace */
    uint64_t peak_live_bytes; /* its peak of requested bytes: the same on every heap */
} probe_context;

/* One replay at size, stopping at its first failure: does the trace run? */
static int probe_runs(probe_context *p, size_t heap_bytes, size_t *failure_op)
{
    replay_config c;
    replay_result r;
    bool ran;
    memset(&c, 0, sizeof c);
    c.heap_bytes = heap_bytes;
    c.stop_at_failure = true;
    c.snapshot_op = SIZE_MAX;
    c.progress = p->show_progress;
    c.progress_label = "min-heap";
    (*p->runs)++;
    progress_note(true, "min-heap: run %u, %zu bytes (between %zu and %zu)", *p->runs, heap_bytes, p->lo, p->hi);
    if (!replay_run(p->trace, &c, &r)) {
        return -1;
    }
    ran = !r.failed;
    if (ran) {
        p->peak_known = true;
        p->peak_live_bytes = r.peak_live_bytes;
    }
    if (failure_op != NULL) {
        *failure_op = r.first_failure.op_index;
    }
    replay_result_free(&r);
    return ran ? 1 : 0;
}

/* From hi, which runs, down by 1, 2, 4 ... grains until a size fails: *lo
 * (0 when every size down to one grain runs: bh_init() refuses 0). */
static int search_gallop_down(probe_context *p, size_t grain, size_t *lo, size_t *hi)
{
    size_t step;
    int ran;
    *lo = 0;
    for (step = grain; step < *hi; step *= 2u) {
        p->hi = *hi;
        ran = probe_runs(p, *hi - step, NULL);
        if (ran < 0) {
            return -1;
        }
        if (!ran) {
            *lo = *hi - step;
            break;
        }
        *hi -= step;
    }
    return 0;
}

/* From *lo, which fails, up by 1, 2, 4 ... grains until a size runs, the
 * last try at max_bytes (whole grains) itself: *hi, or 0 when none up to it
 * runs; *lo is then the last size that failed. Written so that nothing
 * wraps with a --max-heap near the top of size_t (4095M in a 32-bit build):
 * lo + step wrapped round to a small size that passed the test, and the
 * gallop never ended. */
static int search_gallop_up(probe_context *p, size_t grain, size_t max_bytes, size_t *lo, size_t *hi)
{
    size_t step = grain;
    *hi = 0;
    while (*lo < max_bytes) {
        size_t size = step <= max_bytes - *lo ? *lo + step : max_bytes;
        int ran;
        p->lo = *lo;
        ran = probe_runs(p, size, NULL);
        if (ran < 0) {
            return -1;
        }
        if (ran) {
            *hi = size;
            break;
        }
        *lo = size;
        if (step <= SIZE_MAX / 2u) {
            step *= 2u;
        }
    }
    return 0;
}

/* Narrows lo (fails) and hi (runs) to one grain apart. */
static int search_bisect(probe_context *p, size_t grain, size_t *lo, size_t *hi)
{
    while (*hi - *lo > grain) {
        size_t mid = *lo + (*hi - *lo) / 2u / grain * grain;
        int ran;
        p->lo = *lo;
        p->hi = *hi;
        ran = probe_runs(p, mid, NULL);
        if (ran < 0) {
            return -1;
        }
        if (ran) {
            *hi = mid;
        } else {
            *lo = mid;
        }
    }
    return 0;
}

/* A size below the answer ran: the search starts again from it (*hi), down
 * to a size that fails and then to one grain. */
static int search_from(probe_context *p, size_t grain, size_t runs_bytes, size_t *lo, size_t *hi)
{
    *hi = runs_bytes;
    return search_gallop_down(p, grain, lo, hi) < 0 || search_bisect(p, grain, lo, hi) < 0 ? -1 : 0;
}

/* The largest whole-grain size below the power of two at or below bytes
 * (0 when there is none): where the control structure is a row of free
 * lists smaller than at that power of two. */
static size_t size_below_power_of_two(size_t bytes, size_t grain)
{
    size_t boundary = 1;
    while (boundary <= bytes / 2u) {
        boundary *= 2u;
    }
    return (boundary - 1u) / grain * grain;
}

/* Sizes tried by one scan below an answer by default (--scan), the most
 * --scan takes, and how many times the search may go on below an answer:
 * bounded, so that the search's cost stays a fixed multiple of a replay. */
#define MIN_HEAP_SCAN_DEFAULT 32u
#define MIN_HEAP_SCAN_MAX 4096u
#define MIN_HEAP_SCAN_ROUNDS 4u

/* No heap below this runs the trace: the peak of live requested bytes and
 * the control structure of a heap that size (which only grows with the
 * heap). 0 when no run has gone through the trace. */
static size_t scan_floor(const probe_context *p, size_t grain)
{
    size_t live, control;
    if (!p->peak_known || p->peak_live_bytes > SIZE_MAX / 2u) {
        return 0;
    }
    live = (size_t)p->peak_live_bytes;
    control = bh_control_size(live);
    if (control > SIZE_MAX / 2u - live) {
        return 0;
    }
    return round_up(live + control, grain);
}

/* The smallest of count sizes spread evenly over [floor, hi - grain) that
 * runs, tried from the bottom up (so the first that runs ends the scan), or
 * 0. hi runs and hi - grain fails (the bisection's answer): stretches that
 * run below it, which bisection cannot see, are found where they are wider
 * than the spacing. */
static int search_scan_below(probe_context *p, size_t grain, size_t floor_bytes, size_t hi, unsigned count,
                             size_t *found, unsigned *tested)
{
    size_t top = hi - grain, step, size;
    unsigned k;
    *found = 0;
    if (count == 0u || floor_bytes == 0u || floor_bytes >= top) {
        return 0;
    }
    step = (top - floor_bytes) / count / grain * grain;
    if (step < grain) {
        step = grain;
    }
    for (k = 0; k < count; k++) {
        int ran;
        size = floor_bytes + step * k;
        if (size >= top) {
            break;
        }
        p->lo = floor_bytes;
        p->hi = hi;
        (*tested)++;
        ran = probe_runs(p, size, NULL);
        if (ran < 0) {
            return -1;
        }
        if (ran) {
            *found = size;
            return 0;
        }
    }
    return 0;
}

static int min_heap_search(const trace_file *trace, const options *o, size_t start_bytes, min_heap_report *m)
{
    size_t grain = bh_alignment(), lo, hi;
    size_t max_grains_bytes = o->max_heap_bytes / grain * grain; /* the largest size tried */
    probe_context p;
    int ran;
    unsigned i, round;

    memset(m, 0, sizeof *m);
    memset(&p, 0, sizeof p);
    p.trace = trace;
    p.runs = &m->runs;
    p.show_progress = !o->quiet;
    p.lo = 0;
    p.hi = o->max_heap_bytes;

    /* Invariant of the bisection: lo fails (0 fails: bh_init() refuses it),
     * hi runs. Gallop from the estimate to bracket the answer. */
    hi = round_up(start_bytes < grain ? grain : start_bytes, grain);
    if (hi > o->max_heap_bytes) {
        hi = max_grains_bytes;
    }
    ran = probe_runs(&p, hi, NULL);
    if (ran < 0) {
        return -1;
    }
    if (ran) {
        if (search_gallop_down(&p, grain, &lo, &hi) < 0) {
            return -1;
        }
    } else {
        lo = hi;
        if (search_gallop_up(&p, grain, max_grains_bytes, &lo, &hi) < 0) {
            return -1;
        }
        if (hi == 0u) {
            /* Every size tried up to --max-heap fails, but all of them lie at
             * or above the power of two under it, where the control structure
             * is larger: a --max-heap of 64K (the RAM of a small part) would
             * hide the size just under 64K that runs. */
            size_t below = size_below_power_of_two(max_grains_bytes, grain);
            ran = below == 0u ? 0 : probe_runs(&p, below, NULL);
            if (ran <= 0) {
                return ran;
            }
            hi = below;
            if (search_gallop_down(&p, grain, &lo, &hi) < 0) {
                return -1;
            }
        }
    }
    if (search_bisect(&p, grain, &lo, &hi) < 0) {
        return -1;
    }

    for (round = 0;; round++) {
        size_t found;
        /* The control structure grows by a row of free lists at every power
         * of two of the heap size, so just below the power of two under N
         * there is more room for blocks than at N - grain: the largest size
         * below it may run where N - grain fails. Tried, and searched below
         * when it runs. */
        for (;;) {
            size_t below = size_below_power_of_two(hi, grain);
            if (below == 0u || below >= lo) {
                break;
            }
            p.lo = 0;
            p.hi = hi;
            ran = probe_runs(&p, below, NULL);
            if (ran < 0) {
                return -1;
            }
            if (!ran) {
                break;
            }
            if (m->first_found_bytes == 0u) {
                m->first_found_bytes = hi;
            }
            if (search_from(&p, grain, below, &lo, &hi) < 0) {
                return -1;
            }
        }
        if (round == MIN_HEAP_SCAN_ROUNDS) {
            m->scan_stopped = o->scan_sizes != 0u;
            break;
        }
        if (m->scan_floor_bytes == 0u) {
            m->scan_floor_bytes = scan_floor(&p, grain);
        }
        if (search_scan_below(&p, grain, m->scan_floor_bytes, hi, o->scan_sizes, &found, &m->scan_tested) < 0) {
            return -1;
        }
        if (found == 0u) {
            break;
        }
        if (m->first_found_bytes == 0u) {
            m->first_found_bytes = hi;
            m->first_found_by_scan = true;
        }
        if (search_from(&p, grain, found, &lo, &hi) < 0) {
            return -1;
        }
    }
    m->found = true;
    m->bytes = hi;
    m->below_bytes = hi - grain;
    if (m->below_bytes == 0u) {
        m->below_failed = true; /* bh_init() refuses an empty heap */
        m->below_failure_op = 0;
    } else {
        ran = probe_runs(&p, m->below_bytes, &m->below_failure_op);
        if (ran < 0) {
            return -1;
        }
        m->below_failed = ran == 0;
    }

    /* Larger sizes: the next eight grains, then N/256, N/128 .. N/2 more. */
    m->all_larger_run_bytes = hi;
    for (i = 0; i < 16u; i++) {
        size_t size = i < 8u ? hi + (i + 1u) * grain : hi + round_up(hi >> (16u - i), grain);
        if (size > o->max_heap_bytes || size <= hi) {
            continue;
        }
        p.lo = hi;
        p.hi = size;
        ran = probe_runs(&p, size, NULL);
        if (ran < 0) {
            return -1;
        }
        m->larger_tested++;
        if (!ran) {
            m->larger_failed++;
            if (m->larger_failed_first_bytes == 0u || size < m->larger_failed_first_bytes) {
                m->larger_failed_first_bytes = size;
            }
            if (size > m->larger_failed_last_bytes) {
                m->larger_failed_last_bytes = size;
            }
        }
    }
    if (m->larger_failed != 0u) {
        /* A size above the last failure that runs, one grain above a size
         * that fails, never past --max-heap; 0 if there is none (no size may
         * be reported as running that was not seen to run). Galloping up,
         * then bisection: every size tried from the answer ran. Walking up
         * by grains cost a replay per grain of a stretch that fails, 3,119
         * replays for a trace of 6 calls. */
        size_t top;
        lo = m->larger_failed_last_bytes;
        m->all_larger_run_bytes = 0;
        if (search_gallop_up(&p, grain, max_grains_bytes, &lo, &top) < 0) {
            return -1;
        }
        if (top != 0u) {
            if (search_bisect(&p, grain, &lo, &top) < 0) {
                return -1;
            }
            m->all_larger_run_bytes = top;
        }
    }
    progress_end();
    return 1;
}

static double ratio(size_t a, size_t b) { return b == 0u ? 0.0 : (double)a / (double)b; }

/* Adds to out the blocks of in that start in [start, limit), cut at limit,
 * moved from start to base. */
static bool map_copy_range(const heap_map *in, uint64_t start, uint64_t limit, uint64_t base, heap_map *out)
{
    size_t i;
    for (i = 0; i < in->count; i++) {
        const map_block *b = &in->blocks[i];
        uint64_t size = b->size_bytes;
        if (b->offset_bytes < start || b->offset_bytes >= limit) {
            continue;
        }
        if (b->offset_bytes + size > limit) {
            size = limit - b->offset_bytes;
        }
        if (!heap_map_add(out, base + (b->offset_bytes - start), size, b->used, b->region)) {
            return false;
        }
    }
    return true;
}

/* The heap map clipped at the high-water mark (plus a margin): the free tail
 * of a generous heap would otherwise squeeze every used block into a sliver. */
static bool map_clip(const heap_map *in, uint64_t limit_bytes, heap_map *out)
{
    unsigned r;
    memset(out, 0, sizeof *out);
    for (r = 0; r < in->region_count && r < 64u && in->region_start[r] < limit_bytes; r++) {
        out->region_start[r] = in->region_start[r];
    }
    out->region_count = r == 0u ? 1u : r;
    return map_copy_range(in, 0, limit_bytes, 0, out);
}

/* Writes the picture (svg_write()), saying on stderr why when it cannot. */
static long picture_write(const char *path, svg_input *in)
{
    long rects;
    in->merge_threshold_blocks = MERGE_THRESHOLD_BLOCKS;
    rects = svg_write(path, in);
    if (rects < 0) {
        fprintf(stderr, "%s: cannot write %s: %s\n", program_name, path, strerror(errno));
    }
    return rects;
}

static int report_trace(const options *o, const trace_file *trace)
{
    replay_config c;
    replay_result r;
    min_heap_report m;
    size_t heap_bytes = o->heap_bytes;
    size_t grain = bh_alignment();
    char config_text[400], a[32], b[32], line[512];
    size_t i, worst_util_op = 0;
    double worst_util = 1.0, worst_frag = 0.0, end_util = 0.0, end_frag = 0.0;
    size_t worst_frag_op = 0, most_held = 0;
    int status;

    progress_start_s = now_seconds();
    memset(&m, 0, sizeof m);
    memset(&c, 0, sizeof c);
    c.snapshot_op = SIZE_MAX;
    c.progress = !o->quiet;
    c.progress_label = "replay";

    if (o->min_heap) {
        /* The search starts small and gallops up: probes stop at their first
         * failure, so small heaps are cheap to try, while one replay on a
         * generous heap costs time in proportion to its size at
         * BAREHEAP_DEBUG >= 2 (free memory is poisoned and checked). */
        status = min_heap_search(trace, o, MIN_HEAP_START_BYTES, &m);
        if (status < 0) {
            tool_failure_report();
            return EXIT_TOOL;
        }
        /* --heap is not used with --min-heap: with no answer, the report is
         * of the largest size tried, which fails, and says why there. */
        heap_bytes = m.found ? m.bytes : o->max_heap_bytes / grain * grain;
    }

    /* The reported replay: samples for the chart; a second pass walks the
     * heap at the peak of used bytes for the map (cheaper than walking at
     * every new peak, and the replay is deterministic). */
    c.heap_bytes = heap_bytes;
    c.stop_at_failure = false;
    c.sample_every_ops = trace->op_count / CHART_SAMPLES + 1u;
    if (!replay_run(trace, &c, &r)) {
        tool_failure_report();
        return EXIT_TOOL;
    }
    if (o->svg_path != NULL && !r.init_failed && trace->op_count > 0u) {
        replay_result with_map;
        c.sample_every_ops = 0;
        c.snapshot_op = r.peak_used_op;
        if (!replay_run(trace, &c, &with_map)) {
            tool_failure_report();
            return EXIT_TOOL;
        }
        r.snapshot = with_map.snapshot;
        r.have_snapshot = with_map.have_snapshot;
        memset(&with_map.snapshot, 0, sizeof with_map.snapshot);
        replay_result_free(&with_map);
    }
    progress_end();

    for (i = 0; i < r.sample_count; i++) {
        if (r.samples[i].held_bytes > most_held) {
            most_held = r.samples[i].held_bytes;
        }
    }
    for (i = 0; i < r.sample_count; i++) {
        const replay_sample *s = &r.samples[i];
        double util = ratio(s->held_bytes, s->span_bytes);
        double frag = s->free_bytes == 0u ? 0.0 : 1.0 - ratio(s->largest_free_bytes, s->free_bytes);
        /* Utilisation is judged once a tenth of the peak is live: a heap
         * holding three blocks says little. */
        if (s->held_bytes >= most_held / 10u && util < worst_util) {
            worst_util = util;
            worst_util_op = s->op_index;
        }
        if (frag > worst_frag) {
            worst_frag = frag;
            worst_frag_op = s->op_index;
        }
        if (i + 1u == r.sample_count) {
            end_util = util;
            end_frag = frag;
        }
    }
    if (r.sample_count == 0u) {
        worst_util = 0.0;
    }

    config_describe(config_text, sizeof config_text);
    if (out_mode == OUT_TEXT) {
        printf("bareheap-replay %s\n", o->trace_path);
        printf("  trace           %zu calls from %u thread%s (replayed in file order on one heap), "
               "recorded with %u-byte pointers and %u-byte malloc alignment\n",
               trace->call_count, trace->thread_count, trace->thread_count == 1u ? "" : "s", trace->pointer_bytes,
               trace->align_bytes);
        if (trace->trailing_bytes != 0u) {
            printf("                  the file is cut short: %zu bytes of a last record ignored\n",
                   trace->trailing_bytes);
        }
        if (!trace->closed) {
            printf("                  not closed by its program (it exec'd, called _exit, was killed, or tracing "
                   "stopped): its last calls may be missing\n");
        }
        printf("  build           %s\n", config_text);
        if (o->min_heap) {
            if (!m.found) {
                printf("  min heap        none found up to %zu bytes (%s): the trace fails on every size tried "
                       "(%u runs)\n", o->max_heap_bytes, size_human(o->max_heap_bytes, a, sizeof a), m.runs);
            } else {
                printf("  min heap        %zu bytes (%s), control structure included: the trace runs there and "
                       "%s at %zu bytes (%u runs)\n", m.bytes, size_human(m.bytes, a, sizeof a),
                       m.below_failed ? "fails" : "also runs (not monotone)", m.below_bytes, m.runs);
                if (m.first_found_bytes != 0u && m.first_found_by_scan) {
                    printf("                  found below %zu bytes, where bisection ended first, by trying sizes "
                           "spread down to %zu bytes: success is not monotone in the heap size\n",
                           m.first_found_bytes, m.scan_floor_bytes);
                } else if (m.first_found_bytes != 0u) {
                    printf("                  found below the power of two under %zu bytes, where bisection "
                           "ended first: the control structure is smaller there\n", m.first_found_bytes);
                }
                /* Only the spread sizes were replayed: a size between two of
                 * them may run below the answer, so the report speaks of
                 * those alone. */
                if (m.scan_tested != 0u) {
                    printf("                  %u sizes spread from %zu bytes (peak live bytes and their control "
                           "structure) tried: %s\n", m.scan_tested, m.scan_floor_bytes,
                           m.scan_stopped ? "the search stopped going lower after its last round, a smaller size may run"
                                          : "none of those below the answer runs (sizes between them were not tried)");
                }
                if (m.larger_failed == 0u) {
                    printf("                  %u larger sizes tried (up to +50%%): all run\n", m.larger_tested);
                } else {
                    printf("                  not monotone: %u of %u larger sizes tried fail (%zu..%zu bytes); ",
                           m.larger_failed, m.larger_tested, m.larger_failed_first_bytes,
                           m.larger_failed_last_bytes);
                    if (m.all_larger_run_bytes != 0u) {
                        printf("every size tried from %zu bytes runs\n", m.all_larger_run_bytes);
                    } else {
                        printf("no larger size up to --max-heap runs\n");
                    }
                }
            }
        }
        printf("  heap            %zu bytes (%s): control structure %zu B, first block at offset %zu, "
               "%zu B in blocks\n", r.heap_bytes, size_human(r.heap_bytes, a, sizeof a), r.control_bytes,
               r.first_block_offset, r.total_bytes);
        printf("  operations      %zu allocations, %zu frees, %zu reallocs; %zu failed when recorded (skipped); "
               "%zu frees of unknown addresses; %zu addresses handed out while live\n",
               r.allocs, r.frees, r.reallocs, r.skipped_failed_in_trace, r.unknown_frees, r.reused_addresses);
        if (r.bad_records != 0u) {
            /* A damaged trace must say so here too, not only in --kv. */
            printf("                  %zu damaged record%s skipped: an unknown operation, or a size that would take "
                   "the live bytes past 2^64 - 1\n", r.bad_records, r.bad_records == 1u ? "" : "s");
        }
        printf("  peak live       %llu B requested (%s) at op %zu; %zu live blocks at most\n",
               (unsigned long long)r.peak_live_bytes,
               size_human(r.peak_live_bytes, a, sizeof a), r.peak_live_op, r.peak_live_blocks);
        printf("  peak used       %zu B in used blocks, headers included (%s), at op %zu\n", r.peak_used_bytes,
               size_human(r.peak_used_bytes, a, sizeof a), r.peak_used_op);
        printf("  peak footprint  %zu B (%s) from the start of the heap memory to the highest end of a used "
               "block, control structure included\n", r.peak_end_offset, size_human(r.peak_end_offset, b, sizeof b));
        printf("  fragmentation   utilisation (live bytes held / used and free below the high-water mark): %.1f%% at the "
               "end, lowest %.1f%% at op %zu (while a tenth of the most ever held was live)\n", 100.0 * end_util, 100.0 * worst_util, worst_util_op);
        printf("                  free space not in the largest free block: %.1f%% at the end, highest %.1f%% "
               "at op %zu (%zu samples)\n", 100.0 * end_frag, 100.0 * worst_frag, worst_frag_op, r.sample_count);
        if (r.init_failed) {
            printf("  first failure   bh_init() refused %zu bytes: too small for the control structure and "
                   "one block\n", r.heap_bytes);
        } else if (!r.failed) {
            printf("  first failure   none: every call was served\n");
        } else {
            int n = snprintf(line, sizeof line, "%s of %llu B", trace_op_name(r.first_failure.op),
                             (unsigned long long)r.first_failure.size_bytes);
            if (r.first_failure.align_log2 != 0u && n > 0 && (size_t)n < sizeof line) {
                /* The field is a byte: a damaged record may ask for more than 2^63. */
                if (r.first_failure.align_log2 < 64u) {
                    snprintf(line + n, sizeof line - (size_t)n, " aligned to %llu", 1ull << r.first_failure.align_log2);
                } else {
                    snprintf(line + n, sizeof line - (size_t)n, " aligned to 2^%u", r.first_failure.align_log2);
                }
            }
            printf("  first failure   op %zu (%s): %zu B free, largest free block %zu B, %llu B live; "
                   "%zu failures in all\n", r.first_failure.op_index, line, r.first_failure.free_bytes,
                   r.first_failure.largest_free_bytes, (unsigned long long)r.first_failure.live_bytes, r.failures);
        }
    } else {
        out_str("trace", o->trace_path);
        out_num("ops", trace->call_count);
        out_num("threads", trace->thread_count);
        out_num("trailing_bytes", trace->trailing_bytes);
        out_num("closed", trace->closed ? 1u : 0u);
        out_num("trace_pointer_bytes", trace->pointer_bytes);
        config_out();
        if (o->min_heap) {
            out_num("min_heap_found", m.found);
            out_num("min_heap_bytes", m.found ? m.bytes : 0u);
            out_num("min_heap_below_bytes", m.found ? m.below_bytes : 0u);
            out_num("min_heap_below_fails", m.below_failed);
            out_num("min_heap_runs", m.runs);
            out_num("min_heap_larger_tested", m.larger_tested);
            out_num("min_heap_larger_failed", m.larger_failed);
            out_num("min_heap_all_larger_run_bytes", m.all_larger_run_bytes);
            out_num("min_heap_first_found_bytes", m.first_found_bytes);
            out_num("min_heap_first_found_by_scan", m.first_found_by_scan);
            out_num("min_heap_scan_tested", m.scan_tested);
            out_num("min_heap_scan_floor_bytes", m.scan_floor_bytes);
            out_num("min_heap_scan_stopped", m.scan_stopped);
        }
        out_num("heap_bytes", r.heap_bytes);
        out_num("init_failed", r.init_failed);
        out_num("control_bytes", r.control_bytes);
        out_num("first_block_offset", r.first_block_offset);
        out_num("total_bytes", r.total_bytes);
        out_num("allocs", r.allocs);
        out_num("frees", r.frees);
        out_num("reallocs", r.reallocs);
        out_num("skipped_failed_in_trace", r.skipped_failed_in_trace);
        out_num("unknown_frees", r.unknown_frees);
        out_num("reused_addresses", r.reused_addresses);
        out_num("bad_records", r.bad_records);
        out_num("peak_live_bytes", r.peak_live_bytes);
        out_num("peak_live_op", r.peak_live_op);
        out_num("peak_live_blocks", r.peak_live_blocks);
        out_num("peak_used_bytes", r.peak_used_bytes);
        out_num("peak_used_op", r.peak_used_op);
        out_num("peak_footprint_bytes", r.peak_end_offset);
        out_real("utilisation_end", end_util);
        out_real("utilisation_lowest", worst_util);
        out_real("free_fragmentation_end", end_frag);
        out_real("free_fragmentation_highest", worst_frag);
        out_num("end_live_bytes", r.end_live_bytes);
        out_num("end_live_blocks", r.end_live_blocks);
        out_num("failures", r.failures);
        out_num("failed", r.failed);
        if (r.failed) {
            out_num("first_failure_op", r.first_failure.op_index);
            out_str("first_failure_call", trace_op_name(r.first_failure.op));
            out_num("first_failure_size", r.first_failure.size_bytes);
            out_num("first_failure_free_bytes", r.first_failure.free_bytes);
            out_num("first_failure_largest_free_bytes", r.first_failure.largest_free_bytes);
        }
    }

    if (o->svg_path != NULL) {
        svg_input in;
        heap_map clipped;
        char title[256], subtitle[512];
        long rects;
        uint64_t limit = r.peak_end_offset > r.first_block_offset ? r.peak_end_offset - r.first_block_offset : 0u;
        /* a margin of an eighth beyond the high-water mark shows where the free tail starts */
        limit = limit + limit / 8u + grain;
        memset(&clipped, 0, sizeof clipped);
        if (r.have_snapshot && !map_clip(&r.snapshot, limit, &clipped)) {
            tool_failure_report();
            return EXIT_TOOL;
        }
        snprintf(title, sizeof title, "bareheap-replay: %s", o->trace_path);
        snprintf(subtitle, sizeof subtitle,
                 "heap %zu B (%u-bit layout, %u-byte alignment); map at the peak of used bytes (op %zu of %zu), "
                 "drawn up to the high-water mark + 1/8",
                 r.heap_bytes, (unsigned)(sizeof(size_t) * CHAR_BIT), (unsigned)bh_alignment(), r.peak_used_op,
                 trace->op_count);
        memset(&in, 0, sizeof in);
        in.title = title;
        in.subtitle = subtitle;
        in.map = r.have_snapshot ? &clipped : NULL;
        in.samples = r.samples;
        in.sample_count = r.sample_count;
        in.op_count = trace->op_count;
        in.failure_op = r.failed ? r.first_failure.op_index : SIZE_MAX;
        rects = picture_write(o->svg_path, &in);
        heap_map_free(&clipped);
        if (rects < 0) {
            replay_result_free(&r);
            return EXIT_TOOL;
        }
        if (out_mode == OUT_TEXT) {
            printf("  picture         %s: %ld block rectangles\n", o->svg_path, rects);
        } else {
            out_num("svg_block_rects", (uint64_t)rects);
        }
    }
    out_samples(&r);
    out_end();

    if (o->min_heap) {
        status = m.found ? EXIT_RAN : EXIT_FAILED_ALLOC;
    } else {
        status = r.failed ? EXIT_FAILED_ALLOC : EXIT_RAN;
    }
    replay_result_free(&r);
    return status;
}

/* Each region of a walk dump drawn up to its highest used block and an
 * eighth more (a region without a used block: its first 256 bytes), the
 * regions one after the other. */
static bool map_clip_regions(const heap_map *in, heap_map *out, bool *clipped)
{
    uint64_t base = 0;
    unsigned r, count = in->region_count == 0u ? 1u : (in->region_count > 64u ? 64u : in->region_count);
    size_t i;
    memset(out, 0, sizeof *out);
    *clipped = false;
    for (r = 0; r < count; r++) {
        uint64_t start = in->region_count == 0u ? 0u : in->region_start[r];
        uint64_t end = r + 1u < count ? in->region_start[r + 1u] : in->span_bytes;
        uint64_t used_end = start, limit, margin;
        for (i = 0; i < in->count; i++) {
            const map_block *b = &in->blocks[i];
            if (b->used && b->offset_bytes >= start && b->offset_bytes < end) {
                used_end = b->offset_bytes + b->size_bytes;
            }
        }
        /* Margins measured against what is left of the region: a dump is
         * text, and used_end + its eighth wrapped past 2^64 for a block near
         * that size, which was then drawn cut to an eighth of it. */
        margin = used_end == start ? 256u : (used_end - start) / 8u + 64u;
        if (margin >= end - used_end) {
            limit = end;
        } else {
            limit = used_end + margin;
            *clipped = true;
        }
        out->region_start[r] = base;
        if (!map_copy_range(in, start, limit, base, out)) {
            return false;
        }
        base += limit - start;
        out->span_bytes = base;
    }
    out->region_count = count;
    return true;
}

static int report_walk_dump(const options *o)
{
    heap_map map;
    walk_dump_info info;
    char why[512], subtitle[512];
    svg_input in;
    long rects = 0;
    /* Byte totals in 64 bits: a 64-bit target's dump, read by a 32-bit build. */
    uint64_t used = 0, free_bytes = 0;
    size_t i, used_blocks = 0;
    walk_dump_status read_status;

    read_status = walk_dump_read(o->walk_dump_path, &map, &info, why, sizeof why);
    if (read_status != WALK_DUMP_OK) {
        fprintf(stderr, "%s: %s\n", program_name, why);
        return read_status == WALK_DUMP_CANNOT_READ     ? EXIT_UNREADABLE
               : read_status == WALK_DUMP_OUT_OF_MEMORY ? EXIT_TOOL
                                                        : EXIT_NOT_TRACE;
    }
    for (i = 0; i < map.count; i++) {
        if (map.blocks[i].used) {
            used += map.blocks[i].size_bytes;
            used_blocks++;
        } else {
            free_bytes += map.blocks[i].size_bytes;
        }
    }
    if (o->svg_path != NULL) {
        heap_map clipped;
        bool clip;
        /* A firmware heap is often all of the RAM left: draw each region up
         * to its highest used block and a little of the free rest. */
        if (!map_clip_regions(&map, &clipped, &clip)) {
            fprintf(stderr, "%s: out of memory\n", program_name);
            heap_map_free(&clipped);
            heap_map_free(&map);
            return EXIT_TOOL;
        }
        snprintf(subtitle, sizeof subtitle,
                 "bh_walk dump: %zu blocks in %u region%s, %llu B used, %llu B free (%u-byte words, %u-byte "
                 "alignment)%s", map.count, map.region_count, map.region_count == 1u ? "" : "s",
                 (unsigned long long)used, (unsigned long long)free_bytes,
                 info.word_bytes, info.align_bytes,
                 clip ? "; each region drawn up to its highest used block + 1/8" : "");
        memset(&in, 0, sizeof in);
        in.title = o->walk_dump_path;
        in.subtitle = subtitle;
        in.map = &clipped;
        in.failure_op = SIZE_MAX;
        rects = picture_write(o->svg_path, &in);
        heap_map_free(&clipped);
        if (rects < 0) {
            heap_map_free(&map);
            return EXIT_TOOL;
        }
    }
    if (out_mode == OUT_TEXT) {
        printf("bh_walk dump %s: %zu blocks (%zu used, %llu B; %zu free, %llu B) in %u region%s\n",
               o->walk_dump_path, map.count, used_blocks, (unsigned long long)used, map.count - used_blocks,
               (unsigned long long)free_bytes,
               map.region_count, map.region_count == 1u ? "" : "s");
        if (o->svg_path != NULL) {
            printf("picture %s: %ld block rectangles\n", o->svg_path, rects);
        }
    } else {
        out_str("walk_dump", o->walk_dump_path);
        out_num("blocks", map.count);
        out_num("used_blocks", used_blocks);
        out_num("used_bytes", used);
        out_num("free_bytes", free_bytes);
        out_num("regions", map.region_count);
        out_num("word_bytes", info.word_bytes);
        out_num("align_bytes", info.align_bytes);
        if (o->svg_path != NULL) {
            out_num("svg_block_rects", (uint64_t)rects);
        }
        out_end();
    }
    heap_map_free(&map);
    return EXIT_RAN;
}

/* The report is the tool's product: a full disk or a closed pipe must not
 * end in exit status 0 with the figures lost. stdout is fully buffered when
 * it is a file, so a failed write shows only here, at the flush. */
static int stdout_checked(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: cannot write the report to standard output: %s\n", program_name, strerror(errno));
        return EXIT_TOOL;
    }
    return status;
}

int main(int argc, char **argv)
{
    options o;
    trace_file trace;
    trace_status ts;
    char why[512];
    bool want_config = false;
    int i, status;
    const char *layout = NULL;

    memset(&o, 0, sizeof o);
    o.heap_bytes = DEFAULT_HEAP_BYTES;
    o.scan_sizes = MIN_HEAP_SCAN_DEFAULT;
#if SIZE_MAX > 0xFFFFFFFFu
    o.max_heap_bytes = (size_t)1 << 34;
#else
    o.max_heap_bytes = (size_t)1 << 31;
#endif
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage_print(stdout);
            return stdout_checked(EXIT_RAN);
        } else if (strcmp(a, "--heap") == 0 && has_value) {
            if (!size_parse(argv[++i], &o.heap_bytes)) {
                fprintf(stderr, "%s: --heap %s: not a size (e.g. 65536, 64K, 2M)\n", program_name, argv[i]);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--max-heap") == 0 && has_value) {
            if (!size_parse(argv[++i], &o.max_heap_bytes)) {
                fprintf(stderr, "%s: --max-heap %s: not a size\n", program_name, argv[i]);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--min-heap") == 0) {
            o.min_heap = true;
        } else if (strcmp(a, "--scan") == 0 && has_value) {
            char *end;
            unsigned long n;
            errno = 0;
            n = strtoul(argv[++i], &end, 10);
            if (errno != 0 || end == argv[i] || *end != '\0' || argv[i][0] == '-' || n > MIN_HEAP_SCAN_MAX) {
                fprintf(stderr, "%s: --scan %s: a number of sizes from 0 to %u\n", program_name, argv[i],
                        MIN_HEAP_SCAN_MAX);
                return EXIT_USAGE;
            }
            o.scan_sizes = (unsigned)n;
        } else if (strcmp(a, "--svg") == 0 && has_value) {
            o.svg_path = argv[++i];
        } else if (strcmp(a, "--walk-dump") == 0 && has_value) {
            o.walk_dump_path = argv[++i];
        } else if (strcmp(a, "--layout") == 0 && has_value) {
            layout = argv[++i];
        } else if (strncmp(a, "--layout=", 9) == 0) {
            layout = a + 9;
        } else if (strcmp(a, "--kv") == 0) {
            out_mode = OUT_KV;
        } else if (strcmp(a, "--json") == 0) {
            out_mode = OUT_JSON;
        } else if (strcmp(a, "--quiet") == 0) {
            o.quiet = true;
        } else if (strcmp(a, "--config") == 0) {
            want_config = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "%s: unknown option or missing value: %s (see --help)\n", program_name, a);
            return EXIT_USAGE;
        } else if (o.trace_path == NULL) {
            o.trace_path = a;
        } else {
            fprintf(stderr, "%s: one trace at a time (%s, %s)\n", program_name, o.trace_path, a);
            return EXIT_USAGE;
        }
    }
    if (layout != NULL) {
        unsigned bits = (unsigned)(sizeof(size_t) * CHAR_BIT);
        if (strcmp(layout, "32") != 0 && strcmp(layout, "64") != 0) {
            fprintf(stderr, "%s: --layout %s: 32 or 64\n", program_name, layout);
            return EXIT_USAGE;
        }
        if (strcmp(layout, "32") == 0 && !BAREHEAP_REPLAY_LAYOUT32) {
            return layout32_exec(argc, argv);
        }
        if (strcmp(layout, "64") == 0 && bits != 64u) {
            fprintf(stderr, "%s: this is the %u-bit build; run the 64-bit bareheap-replay for --layout 64\n",
                    program_name, bits);
            return EXIT_USAGE;
        }
    }
    progress_enabled = !o.quiet;
    progress_tty = isatty(STDERR_FILENO) != 0;
    if (want_config) {
        char text[400];
        if (out_mode == OUT_TEXT) {
            config_describe(text, sizeof text);
            printf("%s\n", text);
        } else {
            config_out();
            out_end();
        }
        return stdout_checked(EXIT_RAN);
    }
    if (o.walk_dump_path != NULL) {
        if (o.trace_path != NULL || o.min_heap) {
            fprintf(stderr, "%s: --walk-dump takes no trace\n", program_name);
            return EXIT_USAGE;
        }
        return stdout_checked(report_walk_dump(&o));
    }
    if (o.trace_path == NULL) {
        usage_print(stderr);
        return EXIT_USAGE;
    }
    trace_exit_on_shrink(EXIT_UNREADABLE);
    ts = trace_open(o.trace_path, &trace, why, sizeof why);
    if (ts != TRACE_OK) {
        fprintf(stderr, "%s: %s\n", program_name, why);
        return ts == TRACE_BAD_MAGIC || ts == TRACE_BAD_VERSION ? EXIT_NOT_TRACE : EXIT_UNREADABLE;
    }
    if (trace.trailing_bytes != 0u && !o.quiet) {
        fprintf(stderr, "%s: %s is cut short: replaying its %zu whole records, ignoring %zu bytes\n", program_name,
                o.trace_path, trace.op_count, trace.trailing_bytes);
    }
    if (!trace.closed && !o.quiet) {
        /* The recorder writes 1 MiB at a time: up to 32,768 calls. */
        fprintf(stderr, "%s: %s was not closed by its program (it exec'd, called _exit, was killed, or tracing "
                "stopped): up to 32768 calls at its end may be missing\n", program_name, o.trace_path);
    }
    status = report_trace(&o, &trace);
    trace_close(&trace);
    return stdout_checked(status);
}
