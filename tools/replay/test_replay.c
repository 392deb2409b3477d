/*
 * Tests of bareheap-replay, run by ctest:
 *
 *   test_replay CASE TOOL WORKDIR [SEED_DEMO]
 *
 * Each case writes synthetic traces whose answers are known by construction,
 * runs the tool on them (directly, or through qemu-i386 when the kernel
 * cannot run a 32-bit program) and checks its key=value summary and exit
 * status. Cases:
 *   known      peak live bytes, op counts, first failure at a heap too small
 *              for one request, frees of unknown addresses, threads
 *   errors     a file cut short, bad magic, bad version, too short, missing,
 *              cut to its header while the tool reads it;
 *              walk dump lines with a number missing or out of range; a
 *              report to a full disk
 *   min_heap   --min-heap N: the trace runs at N and fails at N - grain
 *   non_monotone  a trace that runs under 64 KiB and fails on 64 KiB: found
 *              and reported
 *   scan       random traces with page-aligned calls: the sizes --min-heap
 *              spreads below the bisection's answer find a smaller heap that
 *              runs; --scan 0 leaves them out; the report claims nothing of
 *              the sizes between them; --scan's bad values
 *   layout     --layout 32 needs less heap than 64 for many small blocks
 *   svg        well-formed XML, one block rectangle per block at the peak,
 *              merging keeps a map of many blocks (a walk dump) small
 *   walk_dump  the seed demo's bh_walk dump turned into the same picture
 *   shim       python3 with two threads traced under the hosted shim
 *              (BAREHEAP_TRACE): every free matched, then --min-heap on the
 *              trace, confirmed at N and N - grain
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "bh_trace_format.h"

static const char *tool_path;
static const char *work_dir;
static const char *stdout_path; /* NULL: the tool's stdout is kept in run_output.text */
static unsigned run_time_limit_s; /* 0: none; else a run taking longer is killed (status -1) */
static int failures;
static int checks;

#define CHECK(cond, ...) check_that((cond), #cond, __FILE__, __LINE__, __VA_ARGS__)

static void check_that(int ok, const char *expr, const char *file, int line, const char *format, ...)
{
    va_list ap;
    checks++;
    if (ok) {
        return;
    }
    failures++;
    fprintf(stderr, "%s:%d: FAILED %s: ", file, line, expr);
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- Writing traces ------------------------------------------------------------ */

typedef struct trace_writer {
    FILE *f;
    size_t ops;
} trace_writer;

static void le_put(FILE *f, uint64_t v, unsigned bytes)
{
    unsigned i;
    for (i = 0; i < bytes; i++) {
        fputc((int)((v >> (8u * i)) & 0xFFu), f);
    }
}

static void path_make(char *buf, size_t buf_bytes, const char *name)
{
    snprintf(buf, buf_bytes, "%s/%s", work_dir, name);
}

static void trace_begin(trace_writer *w, const char *path, const char *magic, uint32_t version)
{
    w->f = fopen(path, "wb");
    w->ops = 0;
    if (w->f == NULL) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        exit(2);
    }
    fwrite(magic, 1, 8, w->f);
    le_put(w->f, version, 4);
    le_put(w->f, 8, 2);
    le_put(w->f, 16, 2);
    le_put(w->f, 4242, 8);
    le_put(w->f, 0, 8);
}

static void trace_put(trace_writer *w, unsigned op, unsigned align_log2, unsigned thread, uint64_t size,
                      uint64_t arg, uint64_t result)
{
    le_put(w->f, op, 1);
    le_put(w->f, align_log2, 1);
    le_put(w->f, thread, 2);
    le_put(w->f, 0, 4);
    le_put(w->f, size, 8);
    le_put(w->f, arg, 8);
    le_put(w->f, result, 8);
    w->ops++;
}

static void trace_end(trace_writer *w)
{
    if (fclose(w->f) != 0) {
        fprintf(stderr, "cannot write a trace\n");
        exit(2);
    }
}

/* ---- Running the tool --------------------------------------------------------------- */

typedef struct run_output {
    int status;      /* exit status, or -1 */
    char text[65536];
    char err[8192];
} run_output;

static void file_slurp(const char *path, char *buf, size_t buf_bytes)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    buf[0] = '\0';
    if (f != NULL) {
        n = fread(buf, 1, buf_bytes - 1u, f);
        buf[n] = '\0';
        fclose(f);
    }
}

/* Runs program with args (NULL-terminated, args[0] the program); stdout and
 * stderr are kept in out. A 32-bit program this kernel cannot run
 * (ENOEXEC) is run through qemu-i386. */
/* A small text file (a walk dump written by hand). */
static void text_file_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "write %s", path);
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

static void program_run_env(run_output *out, char **args, char **env_assignments);

static void program_run(run_output *out, char **args) { program_run_env(out, args, NULL); }

/* Where program_start() sends the program's output. */
static void output_paths(char *out_path, char *err_path, size_t path_bytes)
{
    if (stdout_path != NULL) {
        snprintf(out_path, path_bytes, "%s", stdout_path);
    } else {
        path_make(out_path, path_bytes, "stdout.txt");
    }
    path_make(err_path, path_bytes, "stderr.txt");
}

/* Starts what program_run_env() runs and returns its process id (or -1);
 * program_finish() waits for it. */
static pid_t program_start(char **args, char **env_assignments)
{
    char out_path[1024], err_path[1024];
    pid_t pid;

    output_paths(out_path, err_path, sizeof out_path);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        char *emulated[64];
        int i, fd_out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fd_err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd_out < 0 || fd_err < 0) {
            _exit(126);
        }
        dup2(fd_out, 1);
        dup2(fd_err, 2);
        if (run_time_limit_s != 0u) {
            alarm(run_time_limit_s); /* kept across execv(): a hang ends as a kill */
        }
        for (i = 0; env_assignments != NULL && env_assignments[i] != NULL; i++) {
            char *eq = strchr(env_assignments[i], '=');
            if (eq != NULL) {
                *eq = '\0';
                setenv(env_assignments[i], eq + 1, 1);
            }
        }
        execv(args[0], args);
        if (errno == ENOEXEC) {
            emulated[0] = "qemu-i386";
            emulated[1] = "-L";
            emulated[2] = "/";
            for (i = 0; args[i] != NULL && i < 60; i++) {
                emulated[3 + i] = args[i];
            }
            emulated[3 + i] = NULL;
            execvp("qemu-i386", emulated);
        }
        _exit(127);
    }
    return pid;
}

static void program_finish(run_output *out, pid_t pid)
{
    char out_path[1024], err_path[1024];
    int status;

    output_paths(out_path, err_path, sizeof out_path);
    out->status = -1;
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
        out->status = WEXITSTATUS(status);
    }
    if (stdout_path != NULL) {
        out->text[0] = '\0';
    } else {
        file_slurp(out_path, out->text, sizeof out->text);
    }
    file_slurp(err_path, out->err, sizeof out->err);
}

/* As program_run(), with NAME=value assignments added to the environment. */
static void program_run_env(run_output *out, char **args, char **env_assignments)
{
    program_finish(out, program_start(args, env_assignments));
}

/* The tool on trace with up to 4 more arguments, --kv --quiet added. */
static void tool_run(run_output *out, const char *trace, const char *a1, const char *a2, const char *a3,
                     const char *a4)
{
    char *args[16];
    int n = 0;
    args[n++] = (char *)(uintptr_t)tool_path;
    if (trace != NULL) {
        args[n++] = (char *)(uintptr_t)trace;
    }
    args[n++] = "--kv";
    args[n++] = "--quiet";
    if (a1 != NULL) args[n++] = (char *)(uintptr_t)a1;
    if (a2 != NULL) args[n++] = (char *)(uintptr_t)a2;
    if (a3 != NULL) args[n++] = (char *)(uintptr_t)a3;
    if (a4 != NULL) args[n++] = (char *)(uintptr_t)a4;
    args[n] = NULL;
    program_run(out, args);
}

/* The value of key in a key=value summary; fails the test if it is missing. */
static unsigned long long kv_get(const run_output *out, const char *key)
{
    size_t key_len = strlen(key);
    const char *p = out->text;
    while (p != NULL && *p != '\0') {
        if (strncmp(p, key, key_len) == 0 && p[key_len] == '=') {
            return strtoull(p + key_len + 1u, NULL, 10);
        }
        p = strchr(p, '\n');
        if (p != NULL) {
            p++;
        }
    }
    CHECK(0, "key %s missing from the output:\n%s\n%s", key, out->text, out->err);
    return 0;
}

/* The tool's BAREHEAP_DEBUG: at 3 the core checks the whole heap after every
 * call, so the cases replay shorter traces there. */
static unsigned long long tool_debug_level(void)
{
    run_output *out = malloc(sizeof *out);
    unsigned long long level;
    tool_run(out, NULL, "--config", NULL, NULL, NULL);
    level = kv_get(out, "debug");
    free(out);
    return level;
}

static unsigned small_block_count(void) { return tool_debug_level() >= 3u ? 400u : 3000u; }

/* A --min-heap answer n confirmed by separate replays of trace: it runs at n
 * and fails one grain below. */
static void min_heap_confirm(run_output *out, const char *trace, unsigned long long n, unsigned long long grain)
{
    char size_text[32];
    snprintf(size_text, sizeof size_text, "%llu", n);
    tool_run(out, trace, "--heap", size_text, NULL, NULL);
    CHECK(out->status == 0 && kv_get(out, "failed") == 0u, "runs at N = %llu", n);
    snprintf(size_text, sizeof size_text, "%llu", n - grain);
    tool_run(out, trace, "--heap", size_text, NULL, NULL);
    CHECK(out->status == 1 && kv_get(out, "failed") == 1u, "fails at N - grain = %llu", n - grain);
}

/* ---- Cases ------------------------------------------------------------------------- */

/* Ten blocks of 1000..1009 bytes from two threads, every even one freed, the
 * second grown to 5000 by realloc, then 100000 bytes: the peak of live
 * bytes is 1001 + 1003 + 1005 + 1007 + 1009 - 1001 + 5000 + 100000 = 109024
 * at that call (op 16), which a 64 KiB heap cannot serve; then a free of an
 * address never returned, a call that failed when recorded, a calloc, an
 * aligned allocation and frees: 1003 + 1005 + 1007 + 1009 + 100 bytes in five
 * blocks stay live. */
static void known_trace_write(const char *path, int cut_bytes)
{
    trace_writer w;
    uint64_t i;
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    for (i = 0; i < 10u; i++) {                                                 /* ops 0..9 */
        trace_put(&w, BH_TRACE_MALLOC, 0, (unsigned)(i % 2u), 1000u + i, 0, 0x10000u * (i + 1u));
    }
    for (i = 0; i < 10u; i += 2u) {                                             /* ops 10..14 */
        trace_put(&w, BH_TRACE_FREE, 0, 0, 0, 0x10000u * (i + 1u), 0);
    }
    trace_put(&w, BH_TRACE_REALLOC, 0, 1, 5000u, 0x20000u, 0x200000u);          /* op 15 */
    trace_put(&w, BH_TRACE_MALLOC, 0, 0, 100000u, 0, 0x300000u);                /* op 16 */
    trace_put(&w, BH_TRACE_FREE, 0, 0, 0, 0xdead0000u, 0);                       /* op 17: unknown */
    trace_put(&w, BH_TRACE_MALLOC, 0, 0, 77u, 0, 0);                            /* op 18: failed when recorded */
    trace_put(&w, BH_TRACE_FREE, 0, 0, 0, 0x300000u, 0);                        /* op 19 */
    trace_put(&w, BH_TRACE_CALLOC, 0, 0, 300u, 0, 0x400000u);                   /* op 20 */
    trace_put(&w, BH_TRACE_ALIGNED, 8, 1, 100u, 0, 0x500000u);                  /* op 21: 256-aligned */
    trace_put(&w, BH_TRACE_FREE, 0, 0, 0, 0x200000u, 0);                        /* op 22 */
    trace_put(&w, BH_TRACE_REALLOC, 0, 0, 0, 0x400000u, 0);                     /* op 23: realloc(p, 0) */
    trace_end(&w);
    if (cut_bytes > 0) {
        struct stat st;
        if (stat(path, &st) == 0) {
            CHECK(truncate(path, st.st_size - cut_bytes) == 0, "truncate %s", path);
        }
    }
}

static void case_known(void)
{
    char path[1024];
    run_output *out = malloc(sizeof *out);
    path_make(path, sizeof path, "known.bht");
    known_trace_write(path, 0);

    tool_run(out, path, "--heap", "1M", NULL, NULL);
    CHECK(out->status == 0, "1 MiB heap: exit %d, %s", out->status, out->err);
    CHECK(kv_get(out, "ops") == 24u, "ops");
    CHECK(kv_get(out, "threads") == 2u, "threads");
    CHECK(kv_get(out, "peak_live_bytes") == 109024u, "peak live %llu", kv_get(out, "peak_live_bytes"));
    CHECK(kv_get(out, "peak_live_op") == 16u, "peak live op");
    CHECK(kv_get(out, "peak_live_blocks") == 10u, "peak live blocks %llu", kv_get(out, "peak_live_blocks"));
    CHECK(kv_get(out, "unknown_frees") == 1u, "unknown frees");
    CHECK(kv_get(out, "skipped_failed_in_trace") == 1u, "skipped");
    CHECK(kv_get(out, "failures") == 0u && kv_get(out, "failed") == 0u, "no failure");
    CHECK(kv_get(out, "heap_bytes") == 1048576u, "heap bytes");
    /* every request, one header word each, the realloc'ed block moved or not */
    CHECK(kv_get(out, "peak_used_bytes") >= 109024u + 6u * kv_get(out, "word_bytes"), "peak used %llu",
          kv_get(out, "peak_used_bytes"));
    CHECK(kv_get(out, "peak_footprint_bytes") >= kv_get(out, "control_bytes") + kv_get(out, "peak_used_bytes"),
          "footprint %llu", kv_get(out, "peak_footprint_bytes"));
    CHECK(kv_get(out, "end_live_blocks") == 5u, "end live blocks %llu", kv_get(out, "end_live_blocks"));
    CHECK(kv_get(out, "end_live_bytes") == 1003u + 1005u + 1007u + 1009u + 100u,
          "end live bytes %llu", kv_get(out, "end_live_bytes"));

    tool_run(out, path, "--heap", "64K", NULL, NULL);
    CHECK(out->status == 1, "64 KiB heap: exit %d (1: a failure)", out->status);
    CHECK(kv_get(out, "failed") == 1u && kv_get(out, "failures") == 1u, "one failure");
    CHECK(kv_get(out, "first_failure_op") == 16u, "first failure op %llu", kv_get(out, "first_failure_op"));
    CHECK(kv_get(out, "first_failure_size") == 100000u, "first failure size");
    CHECK(kv_get(out, "first_failure_free_bytes") > 50000u, "free bytes at the failure %llu",
          kv_get(out, "first_failure_free_bytes"));
    CHECK(kv_get(out, "first_failure_largest_free_bytes") <= kv_get(out, "first_failure_free_bytes"),
          "largest <= free");
    CHECK(kv_get(out, "peak_live_bytes") == 109024u, "peak live bytes do not depend on the heap");

    tool_run(out, path, "--heap", "64", NULL, NULL);
    CHECK(out->status == 1 && kv_get(out, "init_failed") == 1u, "a 64-byte heap cannot be made");
    tool_run(out, path, "--heap", "0", NULL, NULL);
    CHECK(out->status == 1 && kv_get(out, "init_failed") == 1u, "nor a 0-byte heap: exit %d %s", out->status,
          out->err);
    /* No size up to a --max-heap under one grain: none found, exit 1. */
    tool_run(out, path, "--min-heap", "--max-heap", "8", NULL);
    CHECK(out->status == 1 && kv_get(out, "min_heap_found") == 0u, "--max-heap 8: exit %d %s", out->status,
          out->err);
    /* None up to 64 KiB (the trace asks for 100,000 B at once): the report
     * is of the largest size tried, where the trace fails, not of --heap's
     * default 256 MiB, where it runs. */
    tool_run(out, path, "--min-heap", "--max-heap", "64K", NULL);
    CHECK(out->status == 1 && kv_get(out, "min_heap_found") == 0u && kv_get(out, "heap_bytes") == 65536u &&
              kv_get(out, "failed") == 1u && kv_get(out, "first_failure_op") == 16u,
          "--max-heap 64K: exit %d, heap %llu, failed %llu", out->status, kv_get(out, "heap_bytes"),
          kv_get(out, "failed"));

    /* An alignment past 2^63 (the field is a byte): the text report named
     * 2^64 "aligned to 1" and 2^200 "aligned to 256". */
    {
        trace_writer w;
        char *args[6];
        path_make(path, sizeof path, "align_log2.bht");
        trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
        trace_put(&w, BH_TRACE_ALIGNED, 200, 0, 16u, 0, 0x1000u);
        trace_end(&w);
        args[0] = (char *)(uintptr_t)tool_path;
        args[1] = path;
        args[2] = "--heap";
        args[3] = "64K";
        args[4] = "--quiet";
        args[5] = NULL;
        program_run(out, args);
        CHECK(out->status == 1 && strstr(out->text, "aligned_alloc of 16 B aligned to 2^200)") != NULL,
              "the alignment of the failed call: exit %d\n%s", out->status, out->text);

        /* A realloc that fails: the block it would grow is still live (it
         * was left out, and 3000 B were reported live instead of 4000). */
        path_make(path, sizeof path, "realloc_fails.bht");
        trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
        trace_put(&w, BH_TRACE_MALLOC, 0, 0, 1000u, 0, 0x1000u);
        trace_put(&w, BH_TRACE_MALLOC, 0, 0, 3000u, 0, 0x2000u);
        trace_put(&w, BH_TRACE_REALLOC, 0, 0, 100000u, 0x1000u, 0x3000u);
        trace_end(&w);
        program_run(out, args);
        CHECK(out->status == 1 && strstr(out->text, "op 2 (realloc of 100000 B)") != NULL &&
                  strstr(out->text, ", 4000 B live;") != NULL,
              "live bytes at a failed realloc: exit %d\n%s", out->status, out->text);
    }
    free(out);
}

/* Whether process pid maps the file st describes, named name: a line of
 * /proc/PID/maps with its inode number (the fifth field) and a path ending
 * in /name. Neither the device (btrfs subvolumes and overlay file systems
 * show another there than stat() does) nor the whole path (symbolic links)
 * need agree. Under qemu-i386 the emulator maps the file for its guest. */
static bool file_mapped_by(pid_t pid, const struct stat *st, const char *name)
{
    char maps[64], line[4096];
    size_t name_len = strlen(name);
    bool mapped = false;
    FILE *f;
    snprintf(maps, sizeof maps, "/proc/%ld/maps", (long)pid);
    f = fopen(maps, "r");
    while (f != NULL && !mapped && fgets(line, sizeof line, f) != NULL) {
        unsigned long long inode;
        size_t n = strcspn(line, "\n");
        mapped = sscanf(line, "%*s %*s %*s %*s %llu", &inode) == 1 && inode == (unsigned long long)st->st_ino &&
                 n > name_len && line[n - name_len - 1u] == '/' && memcmp(line + n - name_len, name, name_len) == 0;
    }
    if (f != NULL) {
        fclose(f);
    }
    return mapped;
}

/* The trace rewritten while the tool reads it (the traced program run again
 * under the same name): once the tool has the file mapped, it is cut to its
 * header. --min-heap replays the whole trace dozens of times, so the tool is
 * still reading: its next read past the new end must end it with exit
 * status 3 and a message, not SIGBUS. */
static void shrink_while_mapped(run_output *out)
{
    char path[1024];
    char *args[5];
    struct stat st;
    trace_writer w;
    pid_t pid;
    unsigned i, polls;
    bool mapped = false;

    path_make(path, sizeof path, "shrink.bht");
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    for (i = 0; i < 200000u; i++) {
        trace_put(&w, BH_TRACE_MALLOC, 0, 0, 48u + (i % 64u) * 16u, 0, 0x100000u + (uint64_t)i * 4096u);
        if (i % 3u != 0u) {
            trace_put(&w, BH_TRACE_FREE, 0, 0, 0, 0x100000u + (uint64_t)i * 4096u, 0);
        }
    }
    trace_end(&w);
    CHECK(stat(path, &st) == 0, "stat %s", path);
    args[0] = (char *)(uintptr_t)tool_path;
    args[1] = path;
    args[2] = "--min-heap";
    args[3] = "--quiet";
    args[4] = NULL;
    pid = program_start(args, NULL);
    /* Up to a minute for the tool (or the emulator running it) to map it. */
    for (polls = 0; pid > 0 && polls < 60000u && !mapped; polls++) {
        struct timespec ms = {0, 1000000L};
        mapped = file_mapped_by(pid, &st, "shrink.bht");
        if (!mapped) {
            nanosleep(&ms, NULL);
        }
    }
    CHECK(mapped, "the tool never mapped %s", path);
    CHECK(truncate(path, 32) == 0, "truncate %s: %s", path, strerror(errno));
    program_finish(out, pid);
    CHECK(out->status == 3 && strstr(out->err, "shrank") != NULL,
          "a trace cut under the tool: exit %d, stderr %s", out->status, out->err);
}

static void case_errors(void)
{
    char path[1024];
    run_output *out = malloc(sizeof *out);
    trace_writer w;

    /* Cut short: 7 bytes off the last record, which is then ignored. */
    path_make(path, sizeof path, "cut.bht");
    known_trace_write(path, 7);
    tool_run(out, path, "--heap", "1M", NULL, NULL);
    CHECK(out->status == 0, "cut short: exit %d %s", out->status, out->err);
    CHECK(kv_get(out, "ops") == 23u, "23 whole records");
    CHECK(kv_get(out, "closed") == 0u, "no end record: not closed");
    CHECK(kv_get(out, "trailing_bytes") == 25u, "25 bytes of the last record");
    CHECK(kv_get(out, "peak_live_bytes") == 109024u, "same peak");

    shrink_while_mapped(out);

    /* End records: one counting the records before it closes the trace;
     * one with a wrong count, or a second one, does not. Neither is a call. */
    {
        static const uint64_t counts[3][2] = {{2, UINT64_MAX}, {3, UINT64_MAX}, {2, 3}};
        unsigned k;
        for (k = 0; k < 3u; k++) {
            path_make(path, sizeof path, "end.bht");
            trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
            trace_put(&w, BH_TRACE_MALLOC, 0, 0, 100, 0, 0x1000);
            trace_put(&w, BH_TRACE_FREE, 0, 0, 0, 0x1000, 0);
            trace_put(&w, BH_TRACE_END, 0, 0, counts[k][0], 0, 0);
            if (counts[k][1] != UINT64_MAX) {
                trace_put(&w, BH_TRACE_END, 0, 0, counts[k][1], 0, 0);
            }
            trace_end(&w);
            tool_run(out, path, "--heap", "64K", NULL, NULL);
            CHECK(out->status == 0 && kv_get(out, "ops") == 2u && kv_get(out, "bad_records") == 0u,
                  "end records are not calls: exit %d, %llu calls", out->status, kv_get(out, "ops"));
            CHECK(kv_get(out, "closed") == (k == 0u ? 1u : 0u), "end record case %u: closed=%llu", k,
                  kv_get(out, "closed"));
        }
    }

    /* A trace no heap runs (a request recorded as served that no heap
     * holds), searched up to a --max-heap beyond any address space: the
     * search ends where the heap cannot be mapped, and says so rather than
     * "out of memory". */
    path_make(path, sizeof path, "never_runs.bht");
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    trace_put(&w, BH_TRACE_MALLOC, 0, 0, (uint64_t)1 << 62, 0, 0x1000);
    trace_end(&w);
    /* (a 32-bit tool, built with this test, takes sizes below 4 GiB) */
    tool_run(out, path, "--heap", sizeof(size_t) > 4u ? "1000000G" : "4095M", NULL, NULL);
    CHECK(out->status == 5, "--heap past the address space: exit %d", out->status);
    CHECK(strstr(out->err, "cannot map a heap of") != NULL, "message: %s", out->err);
    /* The search gallops up to such a size (its step once wrapped round in
     * a 32-bit build and it never ended). Not at BAREHEAP_DEBUG 2 and up,
     * which poisons every byte of every heap it tries: terabytes. */
    if (tool_debug_level() < 2u) {
        tool_run(out, path, "--min-heap", "--max-heap", sizeof(size_t) > 4u ? "1000000G" : "4095M", NULL);
        CHECK(out->status == 5, "--max-heap past the address space: exit %d", out->status);
        CHECK(strstr(out->err, "cannot map a heap of") != NULL, "message: %s", out->err);
    }

    path_make(path, sizeof path, "magic.bht");
    trace_begin(&w, path, "BHTRACE9", BH_TRACE_VERSION);
    trace_put(&w, BH_TRACE_MALLOC, 0, 0, 10, 0, 0x1000);
    trace_end(&w);
    tool_run(out, path, NULL, NULL, NULL, NULL);
    CHECK(out->status == 4, "bad magic: exit %d", out->status);
    CHECK(strstr(out->err, "not a bareheap trace") != NULL, "message: %s", out->err);

    path_make(path, sizeof path, "version.bht");
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION + 1u);
    trace_end(&w);
    tool_run(out, path, NULL, NULL, NULL, NULL);
    CHECK(out->status == 4, "bad version: exit %d", out->status);
    CHECK(strstr(out->err, "version 2") != NULL, "message: %s", out->err);

    path_make(path, sizeof path, "short.bht");
    {
        FILE *f = fopen(path, "wb");
        if (f != NULL) {
            fwrite(BH_TRACE_MAGIC, 1, 8, f);
            fclose(f);
        }
    }
    tool_run(out, path, NULL, NULL, NULL, NULL);
    CHECK(out->status == 3, "shorter than a header: exit %d", out->status);

    path_make(path, sizeof path, "missing.bht");
    tool_run(out, path, NULL, NULL, NULL, NULL);
    CHECK(out->status == 3, "missing file: exit %d", out->status);

    /* A pipe's size is 0 whatever it holds, and a directory is no trace:
     * both said so, and a FIFO nobody writes is not waited on. */
    tool_run(out, work_dir, NULL, NULL, NULL, NULL);
    CHECK(out->status == 3 && strstr(out->err, "not a regular file") != NULL, "directory: exit %d %s",
          out->status, out->err);
    path_make(path, sizeof path, "fifo.bht");
    remove(path);
    if (mkfifo(path, 0644) == 0) {
        run_time_limit_s = 60u;
        tool_run(out, path, NULL, NULL, NULL, NULL);
        run_time_limit_s = 0u;
        CHECK(out->status == 3 && strstr(out->err, "not a regular file") != NULL, "FIFO: exit %d %s", out->status,
              out->err);
        remove(path);
    }

    /* A header and no record: an empty replay, not an error. */
    path_make(path, sizeof path, "empty.bht");
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    trace_end(&w);
    tool_run(out, path, "--heap", "4K", NULL, NULL);
    CHECK(out->status == 0 && kv_get(out, "ops") == 0u, "empty trace: exit %d", out->status);

    /* Only frees of addresses never returned: counted, nothing crashes. */
    path_make(path, sizeof path, "unknown.bht");
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    trace_put(&w, BH_TRACE_FREE, 0, 0, 0, 0x1234560, 0);
    trace_put(&w, BH_TRACE_REALLOC, 0, 0, 64, 0x7777770, 0x8888880);
    trace_put(&w, BH_TRACE_FREE, 0, 0, 0, 0x8888880, 0);
    trace_put(&w, 99, 0, 0, 0, 0, 0);
    trace_end(&w);
    tool_run(out, path, "--heap", "4K", NULL, NULL);
    CHECK(out->status == 0, "unknown frees: exit %d %s", out->status, out->err);
    CHECK(kv_get(out, "unknown_frees") == 2u, "two unknown addresses");
    CHECK(kv_get(out, "bad_records") == 1u, "one unknown operation code");
    CHECK(kv_get(out, "end_live_blocks") == 0u, "the realloc result was freed");
    {
        /* and the text report says it (it did in --kv only) */
        char *args[] = {(char *)(uintptr_t)tool_path, path, "--heap", "4K", "--quiet", NULL};
        program_run(out, args);
        CHECK(out->status == 0 && strstr(out->text, "1 damaged record skipped") != NULL,
              "a damaged record in the text report: exit %d\n%s", out->status, out->text);
    }

    /* 300,000 addresses that the old hash, a fixed multiplier, put on one
     * slot: every lookup walked all the others, 43 s where the same trace
     * with ordinary addresses takes a tenth of a second. Not at
     * BAREHEAP_DEBUG 3, which checks the whole heap at every call. */
    if (tool_debug_level() < 3u) {
        uint64_t g = UINT64_C(0x9E3779B97F4A7C15), g_inverse = g;
        uint64_t r;
        unsigned k;
        for (k = 0; k < 6u; k++) {
            g_inverse *= 2u - g * g_inverse; /* Newton: g * g_inverse == 1 mod 2^64 */
        }
        path_make(path, sizeof path, "collide.bht");
        trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
        for (r = 1; r <= 300000u; r++) {
            /* (address >> 4) * g has the same bits 32 and up to 2^50 */
            trace_put(&w, BH_TRACE_MALLOC, 0, 0, 16u, 0, ((g_inverse * r) & ((UINT64_C(1) << 50) - 1u)) << 4);
        }
        trace_end(&w);
        run_time_limit_s = 30u;
        tool_run(out, path, "--heap", "64M", NULL, NULL);
        run_time_limit_s = 0u;
        CHECK(out->status == 0 && kv_get(out, "peak_live_blocks") == 300000u,
              "300,000 addresses in 30 s: exit %d %s", out->status, out->err);
        remove(path);
    }

    /* Live bytes are a 64-bit program's, counted in 64 bits also by a 32-bit
     * build; a size that would take them past 2^64 - 1 (two 2^63-byte blocks
     * at once: no trace of a real process) is a bad record, skipped, where
     * the count wrapped and every figure after it was wrong. */
    path_make(path, sizeof path, "wrap.bht");
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    trace_put(&w, BH_TRACE_MALLOC, 0, 0, 1ull << 63, 0, 0x100000);
    trace_put(&w, BH_TRACE_MALLOC, 0, 0, 1ull << 63, 0, 0x200000);
    trace_put(&w, BH_TRACE_MALLOC, 0, 0, 100, 0, 0x300000);
    trace_put(&w, BH_TRACE_REALLOC, 0, 0, 1ull << 63, 0x300000, 0x400000);
    trace_put(&w, BH_TRACE_FREE, 0, 0, 0, 0x100000, 0);
    trace_end(&w);
    tool_run(out, path, "--heap", "4K", NULL, NULL);
    CHECK(out->status == 1, "wrapping sizes (the first fails in 4 KiB): exit %d %s", out->status, out->err);
    CHECK(kv_get(out, "bad_records") == 2u, "two records refused: %llu", kv_get(out, "bad_records"));
    CHECK(kv_get(out, "peak_live_bytes") == (1ull << 63) + 100u, "peak live %llu", kv_get(out, "peak_live_bytes"));
    CHECK(kv_get(out, "end_live_bytes") == 100u && kv_get(out, "end_live_blocks") == 1u, "end live %llu",
          kv_get(out, "end_live_bytes"));

    /* Walk dumps whose block lines lack a number or hold one that is not a
     * size: refused (exit 4), not drawn as blocks the log never held. */
    {
        static const char *const broken[] = {
            "bh-walk block 0x1000 -32 used 0\n",                    /* negative */
            "bh-walk block 0x1000 used 0\n",                        /* no size */
            "bh-walk block 0x1000 32 used\n",                       /* no region */
            "bh-walk block 0x1000 120000000000000000000 used 0\n",  /* beyond 64 bits */
            "bh-walk block 0xffffffffffffff00 512 used 0\n",        /* past the address space */
            "bh-walk block 0x1000 32 used 99\n",                    /* region beyond 64 */
        };
        size_t k;
        path_make(path, sizeof path, "broken.log");
        for (k = 0; k < sizeof broken / sizeof broken[0]; k++) {
            FILE *f = fopen(path, "w");
            if (f != NULL) {
                fprintf(f, "bh-walk begin word=8 align=16 heap=4096 control=1000\n%sbh-walk end blocks=1\n",
                        broken[k]);
                fclose(f);
            }
            run_time_limit_s = 60u;
            tool_run(out, NULL, "--walk-dump", path, NULL, NULL);
            run_time_limit_s = 0u;
            CHECK(out->status == 4, "broken dump line %s: exit %d %s", broken[k], out->status, out->text);
        }
    }
    /* A walk dump that cannot be read is not a broken one: exit 3, as for a
     * trace (it was 4, and a directory was "not a bh_walk dump"). */
    path_make(path, sizeof path, "missing.log");
    tool_run(out, NULL, "--walk-dump", path, NULL, NULL);
    CHECK(out->status == 3, "missing walk dump: exit %d %s", out->status, out->err);
    tool_run(out, NULL, "--walk-dump", work_dir, NULL, NULL);
    CHECK(out->status == 3 && strstr(out->err, "not a bh_walk dump") == NULL, "a directory as a walk dump: exit %d %s",
          out->status, out->err);

    /* A report that cannot be written is not a success: the disk is full. */
    path_make(path, sizeof path, "cut.bht");
    stdout_path = "/dev/full";
    tool_run(out, path, "--heap", "1M", NULL, NULL);
    CHECK(out->status == 5 && strstr(out->err, "standard output") != NULL, "report to a full disk: exit %d %s",
          out->status, out->err);
    tool_run(out, NULL, "--config", NULL, NULL, NULL);
    CHECK(out->status == 5, "--config to a full disk: exit %d", out->status);
    stdout_path = NULL;

    tool_run(out, NULL, "--heap", "12Q", NULL, NULL);
    CHECK(out->status == 2, "bad size: exit %d", out->status);

    /* --layout 32 with no 32-bit build where it is looked for: exit 5, said why. */
    {
        char *args[8], *env[2];
        char missing[] = "BAREHEAP_REPLAY_32=/nonexistent/bareheap-replay-32";
        args[0] = (char *)(uintptr_t)tool_path;
        args[1] = path;
        args[2] = "--layout";
        args[3] = "32";
        args[4] = "--kv";
        args[5] = NULL;
        env[0] = missing;
        env[1] = NULL;
        tool_run(out, NULL, "--config", NULL, NULL, NULL);
        if (kv_get(out, "layout_bits") == 64u || kv_get(out, "align_bytes") != 8u) {
            program_run_env(out, args, env);
            CHECK(out->status == 5 && strstr(out->err, "bareheap-replay-32") != NULL,
                  "missing 32-bit build: exit %d, %s", out->status, out->err);
        }
    }
    free(out);
}

/* Many small blocks with holes: count blocks of 8..120 bytes, every third
 * freed, then count / 10 larger ones that must go above the holes. */
static void small_blocks_trace_write(const char *path, unsigned count)
{
    trace_writer w;
    unsigned i;
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    for (i = 0; i < count; i++) {
        trace_put(&w, BH_TRACE_MALLOC, 0, 0, 8u + (i * 7u) % 113u, 0, 0x100000u + 0x100u * (uint64_t)i);
    }
    for (i = 0; i < count; i += 3u) {
        trace_put(&w, BH_TRACE_FREE, 0, 0, 0, 0x100000u + 0x100u * (uint64_t)i, 0);
    }
    for (i = 0; i < count / 10u; i++) {
        trace_put(&w, BH_TRACE_MALLOC, 0, 0, 200u + i, 0, 0x10000000u + 0x1000u * (uint64_t)i);
    }
    trace_end(&w);
}

static void case_min_heap(void)
{
    char path[1024];
    run_output *out = malloc(sizeof *out);
    unsigned long long n, grain;
    path_make(path, sizeof path, "small.bht");
    small_blocks_trace_write(path, small_block_count());

    tool_run(out, path, "--min-heap", NULL, NULL, NULL);
    CHECK(out->status == 0, "--min-heap: exit %d %s", out->status, out->err);
    n = kv_get(out, "min_heap_bytes");
    grain = kv_get(out, "align_bytes");
    CHECK(kv_get(out, "min_heap_found") == 1u, "found");
    CHECK(n % grain == 0u, "%llu is whole grains of %llu", n, grain);
    CHECK(kv_get(out, "min_heap_below_bytes") == n - grain, "below");
    CHECK(kv_get(out, "min_heap_below_fails") == 1u, "the size below fails");
    CHECK(kv_get(out, "heap_bytes") == n && kv_get(out, "failed") == 0u, "the report is of the run at N");
    CHECK(n >= kv_get(out, "peak_used_bytes") + kv_get(out, "control_bytes"), "N holds the peak and control");

    min_heap_confirm(out, path, n, grain);
    fprintf(stderr, "min heap %llu bytes (grain %llu)\n", n, grain);

    /* A 64 KiB-aligned block, then 100 KB that fit beside it only if it
     * landed low: on a heap at mmap()'s page alignment the outcome, the
     * footprint and the --min-heap answer changed from run to run (an
     * answer its own --heap replay then failed 7 times in 8). The heap
     * starts at a multiple of 64 KiB: the block at 64 KiB, every time. */
    {
        trace_writer w;
        unsigned k;
        unsigned long long footprint = 0;
        path_make(path, sizeof path, "aligned_64k.bht");
        trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
        trace_put(&w, BH_TRACE_ALIGNED, 16, 0, 16, 0, 0x10000);
        trace_put(&w, BH_TRACE_MALLOC, 0, 0, 100u * 1024u, 0, 0x200000);
        trace_end(&w);
        for (k = 0; k < 4u; k++) {
            tool_run(out, path, "--heap", "200K", NULL, NULL);
            CHECK(out->status == 0, "200 KiB: exit %d %s", out->status, out->err);
            if (k == 0u) {
                footprint = kv_get(out, "peak_footprint_bytes");
            }
            CHECK(kv_get(out, "peak_footprint_bytes") == footprint, "run %u: footprint %llu, first run %llu", k,
                  kv_get(out, "peak_footprint_bytes"), footprint);
        }
        CHECK(footprint >= 65536u + 100u * 1024u, "the 100 KB block after the aligned one at 64 KiB: %llu",
              footprint);
        for (k = 0; k < 2u; k++) {
            tool_run(out, path, "--min-heap", NULL, NULL, NULL);
            CHECK(out->status == 0 && kv_get(out, "min_heap_below_fails") == 1u, "--min-heap: exit %d %s",
                  out->status, out->err);
            n = kv_get(out, "min_heap_bytes");
            min_heap_confirm(out, path, n, grain);
        }
    }
    free(out);
}

/* 400 random calls: a request of 8..2047 bytes (log-uniform), one in ten
 * aligned to 4096 bytes, or a free of a random live block (45%). Where an
 * aligned block lands depends on absolute offsets, so on such traces sizes
 * below the bisection's answer often run. */
static void random_aligned_trace_write(const char *path, uint32_t seed)
{
    trace_writer w;
    uint64_t live[400];
    unsigned live_count = 0, i;
    uint64_t next_address = 0x100000u;
    uint32_t x = seed * 2654435761u + 1u;
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    for (i = 0; i < 400u; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        if (live_count != 0u && x % 100u < 45u) {
            unsigned k = (x >> 8) % live_count;
            trace_put(&w, BH_TRACE_FREE, 0, 0, 0, live[k], 0);
            live[k] = live[--live_count];
        } else {
            unsigned log2 = 3u + (x >> 8) % 8u;
            uint64_t size = ((uint64_t)1 << log2) + (x >> 12) % ((uint64_t)1 << log2);
            next_address += 0x10000u;
            if ((x >> 24) % 10u == 0u) {
                trace_put(&w, BH_TRACE_ALIGNED, 12, 0, size, 0, next_address);
            } else {
                trace_put(&w, BH_TRACE_MALLOC, 0, 0, size, 0, next_address);
            }
            live[live_count++] = next_address;
        }
    }
    trace_put(&w, BH_TRACE_END, 0, 0, w.ops, 0, 0);
    trace_end(&w);
}

/* Up to 40 of those traces, until the scan has lowered two answers (one at
 * BAREHEAP_DEBUG 3): each
 * answer runs and fails a grain lower, is no larger than without the scan,
 * and where smaller, the report says the scan found it below the answer
 * without. Then --scan's bad values. */
static void case_scan(void)
{
    char path[1024];
    run_output *out = malloc(sizeof *out);
    /* One lowered answer is enough where each replay checks the whole heap
     * at every call (BAREHEAP_DEBUG 3). */
    unsigned wanted = tool_debug_level() >= 3u ? 1u : 2u;
    unsigned lowered = 0, seed;
    for (seed = 1; seed <= 40u && lowered < wanted; seed++) {
        unsigned long long n0, n, grain;
        snprintf(path, sizeof path, "%s/aligned_%u.bht", work_dir, seed);
        random_aligned_trace_write(path, seed);
        tool_run(out, path, "--min-heap", "--scan", "0", NULL);
        CHECK(out->status == 0 && kv_get(out, "min_heap_found") == 1u, "seed %u, --scan 0: exit %d %s", seed,
              out->status, out->err);
        CHECK(kv_get(out, "min_heap_scan_tested") == 0u, "seed %u: --scan 0 tries no size", seed);
        n0 = kv_get(out, "min_heap_bytes");
        tool_run(out, path, "--min-heap", NULL, NULL, NULL);
        CHECK(out->status == 0 && kv_get(out, "min_heap_found") == 1u, "seed %u: exit %d %s", seed, out->status,
              out->err);
        n = kv_get(out, "min_heap_bytes");
        grain = kv_get(out, "align_bytes");
        CHECK(kv_get(out, "min_heap_scan_tested") >= 1u, "seed %u: the scan tried sizes", seed);
        CHECK(kv_get(out, "min_heap_scan_floor_bytes") >= kv_get(out, "peak_live_bytes") &&
                  kv_get(out, "min_heap_scan_floor_bytes") < n,
              "seed %u: the scan starts at the peak live bytes or above, below N", seed);
        CHECK(n <= n0, "seed %u: %llu with the scan, %llu without", seed, n, n0);
        if (n < n0) {
            lowered++;
            CHECK(kv_get(out, "min_heap_first_found_by_scan") == 1u &&
                      kv_get(out, "min_heap_first_found_bytes") == n0,
                  "seed %u: reported as found by the scan below %llu", seed, n0);
        }
        min_heap_confirm(out, path, n, grain);
    }
    CHECK(lowered >= 1u, "the scan lowered %u answers of %u traces", lowered, seed - 1u);
    fprintf(stderr, "the scan lowered %u answers of %u traces\n", lowered, seed - 1u);

    /* The scan replays a few sizes, not all: on this trace (at the default
     * configuration) a size some grains under the answer runs, between two
     * sizes the scan tried, and the text report must not say that no size
     * below the answer runs. */
    if (tool_debug_level() < 3u) {
        char size_text[32];
        char *args[5];
        unsigned long long n, grain, size, below = 0;
        snprintf(path, sizeof path, "%s/aligned_16.bht", work_dir);
        random_aligned_trace_write(path, 16);
        tool_run(out, path, "--min-heap", NULL, NULL, NULL);
        n = kv_get(out, "min_heap_bytes");
        grain = kv_get(out, "align_bytes");
        for (size = n - 2u * grain; size + 40u * grain > n && size > grain; size -= grain) {
            snprintf(size_text, sizeof size_text, "%llu", size);
            tool_run(out, path, "--heap", size_text, NULL, NULL);
            if (out->status == 0) {
                below = size;
                break;
            }
        }
        fprintf(stderr, "seed 16: answer %llu, a smaller size that runs: %llu\n", n, below);
        if (below != 0u) {
            args[0] = (char *)(uintptr_t)tool_path;
            args[1] = path;
            args[2] = "--min-heap";
            args[3] = "--quiet";
            args[4] = NULL;
            program_run(out, args);
            CHECK(out->status == 0 && strstr(out->text, "none below the answer runs") == NULL &&
                      strstr(out->text, "sizes between them were not tried") != NULL,
                  "%llu runs, under the answer %llu: the report may not say that none below it runs:\n%s", below, n,
                  out->text);
        }
    }

    tool_run(out, path, "--min-heap", "--scan", "4097", NULL);
    CHECK(out->status == 2, "--scan 4097: exit %d", out->status);
    tool_run(out, path, "--min-heap", "--scan", "-1", NULL);
    CHECK(out->status == 2, "--scan -1: exit %d", out->status);
    tool_run(out, path, "--min-heap", "--scan", "8x", NULL);
    CHECK(out->status == 2, "--scan 8x: exit %d", out->status);
    free(out);
}

/* Not monotone by construction: the control structure grows at every power
 * of two of the heap size, so one request as large as all the blocks of a
 * heap one grain under 64 KiB runs there, and fails on 64 KiB and a few
 * grains more. --min-heap must find the size under 64 KiB and report the
 * larger sizes that fail. */
static void case_non_monotone(void)
{
    char path[1024], empty[1024], text[32];
    run_output *out = malloc(sizeof *out);
    trace_writer w;
    unsigned long long grain, overhead, total, control_below, control_at;
    const unsigned long long boundary = 65536u;

    tool_run(out, NULL, "--config", NULL, NULL, NULL);
    grain = kv_get(out, "align_bytes");
    overhead = kv_get(out, "block_overhead_bytes");
    path_make(empty, sizeof empty, "empty.bht");
    trace_begin(&w, empty, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    trace_end(&w);
    snprintf(text, sizeof text, "%llu", boundary - grain);
    tool_run(out, empty, "--heap", text, NULL, NULL);
    total = kv_get(out, "total_bytes");
    control_below = kv_get(out, "control_bytes");
    snprintf(text, sizeof text, "%llu", boundary);
    tool_run(out, empty, "--heap", text, NULL, NULL);
    control_at = kv_get(out, "control_bytes");
    CHECK(control_at >= control_below + 2u * grain, "the control structure grows at 64 KiB by more than a grain: "
          "%llu -> %llu", control_below, control_at);

    path_make(path, sizeof path, "one_block.bht");
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    trace_put(&w, BH_TRACE_MALLOC, 0, 0, total - overhead, 0, 0x100000u);
    trace_end(&w);

    tool_run(out, path, "--min-heap", NULL, NULL, NULL);
    CHECK(out->status == 0, "--min-heap: exit %d %s", out->status, out->err);
    CHECK(kv_get(out, "min_heap_bytes") == boundary - grain, "the size under 64 KiB: %llu",
          kv_get(out, "min_heap_bytes"));
    CHECK(kv_get(out, "min_heap_below_fails") == 1u, "one grain less fails");
    CHECK(kv_get(out, "min_heap_larger_failed") >= 1u, "larger sizes that fail are reported: %llu",
          kv_get(out, "min_heap_larger_failed"));
    CHECK(kv_get(out, "min_heap_all_larger_run_bytes") > boundary, "every size tried runs from %llu",
          kv_get(out, "min_heap_all_larger_run_bytes"));

    /* --max-heap 64K (a part with 64 KiB of RAM): every size the search
     * gallops through fails, and the size under 64 KiB must still be found. */
    snprintf(text, sizeof text, "%llu", boundary);
    tool_run(out, path, "--min-heap", "--max-heap", text, NULL);
    CHECK(out->status == 0 && kv_get(out, "min_heap_bytes") == boundary - grain,
          "--max-heap 64K: exit %d, min heap %llu", out->status, kv_get(out, "min_heap_bytes"));
    CHECK(kv_get(out, "min_heap_below_fails") == 1u, "--max-heap 64K: one grain less fails");
    /* 64 KiB itself fails, and no size above it may be tried or reported as
     * running. */
    CHECK(kv_get(out, "min_heap_larger_failed") == 1u && kv_get(out, "min_heap_all_larger_run_bytes") == 0u,
          "--max-heap 64K: larger failed %llu, all larger run from %llu", kv_get(out, "min_heap_larger_failed"),
          kv_get(out, "min_heap_all_larger_run_bytes"));

    /* A hole of 96 KiB, then 96 KiB and 96 KiB + 16: the first goes to the
     * hole while the free tail is below the list the search rounds it up to
     * (100 KiB), else to the tail, and the second then fits nowhere. So the
     * trace runs at N, fails on a stretch of some 90 KiB above N + N/64,
     * and runs again above it. Walking up from the last larger failure by
     * grains took 3,119 replays; galloping and bisection, a few dozen. */
    {
        char stretch[1024];
        unsigned long long top;
        path_make(stretch, sizeof stretch, "stretch.bht");
        trace_begin(&w, stretch, BH_TRACE_MAGIC, BH_TRACE_VERSION);
        trace_put(&w, BH_TRACE_MALLOC, 0, 0, 96u * 1024u + 8u, 0, 0x100000u);
        trace_put(&w, BH_TRACE_MALLOC, 0, 0, 32u, 0, 0x200000u);
        trace_put(&w, BH_TRACE_FREE, 0, 0, 0, 0x100000u, 0);
        trace_put(&w, BH_TRACE_MALLOC, 0, 0, 96u * 1024u + 8u, 0, 0x300000u);
        trace_put(&w, BH_TRACE_MALLOC, 0, 0, 96u * 1024u + 24u, 0, 0x400000u);
        trace_end(&w);
        tool_run(out, stretch, "--min-heap", NULL, NULL, NULL);
        CHECK(out->status == 0, "stretch: exit %d %s", out->status, out->err);
        top = kv_get(out, "min_heap_all_larger_run_bytes");
        if (kv_get(out, "min_heap_larger_failed") != 0u) {
            CHECK(kv_get(out, "min_heap_runs") <= 150u, "stretch: %llu replays", kv_get(out, "min_heap_runs"));
            CHECK(top > kv_get(out, "min_heap_bytes"), "stretch: every size tried runs from %llu", top);
            /* it runs, and one grain less fails */
            snprintf(text, sizeof text, "%llu", top);
            tool_run(out, stretch, "--heap", text, NULL, NULL);
            CHECK(out->status == 0, "stretch: runs at %llu: exit %d", top, out->status);
            snprintf(text, sizeof text, "%llu", top - grain);
            tool_run(out, stretch, "--heap", text, NULL, NULL);
            CHECK(out->status == 1, "stretch: fails at %llu: exit %d", top - grain, out->status);
        }
    }

    snprintf(text, sizeof text, "%llu", boundary - grain);
    tool_run(out, path, "--heap", text, NULL, NULL);
    CHECK(out->status == 0, "runs one grain under 64 KiB: exit %d", out->status);
    snprintf(text, sizeof text, "%llu", boundary - 2u * grain);
    tool_run(out, path, "--heap", text, NULL, NULL);
    CHECK(out->status == 1, "fails two grains under 64 KiB: exit %d", out->status);
    snprintf(text, sizeof text, "%llu", boundary);
    tool_run(out, path, "--heap", text, NULL, NULL);
    CHECK(out->status == 1, "fails on 64 KiB, the larger heap: exit %d", out->status);
    free(out);
}

static void case_layout(void)
{
    char path[1024];
    run_output *out = malloc(sizeof *out);
    unsigned long long n64, n32, used64, used32;
    path_make(path, sizeof path, "small.bht");
    small_blocks_trace_write(path, small_block_count());

    tool_run(out, path, "--min-heap", "--layout", "64", NULL);
    CHECK(out->status == 0, "layout 64: exit %d %s", out->status, out->err);
    CHECK(kv_get(out, "word_bytes") == 8u, "64-bit words");
    n64 = kv_get(out, "min_heap_bytes");
    used64 = kv_get(out, "peak_used_bytes");

    tool_run(out, path, "--min-heap", "--layout", "32", NULL);
    CHECK(out->status == 0, "layout 32: exit %d %s", out->status, out->err);
    CHECK(kv_get(out, "word_bytes") == 4u && kv_get(out, "align_bytes") == 8u, "32-bit words, 8-byte alignment");
    n32 = kv_get(out, "min_heap_bytes");
    used32 = kv_get(out, "peak_used_bytes");
    CHECK(n32 < n64, "32-bit layout needs less: %llu vs %llu", n32, n64);
    CHECK(used32 < used64, "smaller blocks: %llu vs %llu", used32, used64);
    CHECK(kv_get(out, "peak_live_bytes") > 0u, "live");
    fprintf(stderr, "min heap: 64-bit %llu, 32-bit %llu bytes\n", n64, n32);
    free(out);
}

/* Counts occurrences of needle in the file. */
static size_t file_count(const char *path, const char *needle, size_t *file_bytes)
{
    FILE *f = fopen(path, "r");
    size_t count = 0, n, len = strlen(needle);
    char *buf;
    if (f == NULL) {
        return 0;
    }
    buf = malloc(64u << 20);
    n = buf == NULL ? 0 : fread(buf, 1, (64u << 20) - 1u, f);
    fclose(f);
    if (buf == NULL) {
        return 0;
    }
    buf[n] = '\0';
    *file_bytes = n;
    {
        const char *p = buf;
        while ((p = strstr(p, needle)) != NULL) {
            count++;
            p += len;
        }
    }
    free(buf);
    return count;
}

/* Every block rectangle lies inside the picture's height. */
static void svg_blocks_inside(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    double height = 0.0, lowest = 0.0;
    CHECK(f != NULL, "%s exists", path);
    if (f == NULL) {
        return;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        const char *p;
        if (height == 0.0 && (p = strstr(line, "<svg ")) != NULL && (p = strstr(p, " height=\"")) != NULL) {
            height = strtod(p + 9, NULL);
        }
        if (strncmp(line, "<rect class=\"", 13) == 0 && (p = strstr(line, " y=\"")) != NULL &&
            strtod(p + 4, NULL) + 16.0 > lowest) {
            lowest = strtod(p + 4, NULL) + 16.0;
        }
    }
    fclose(f);
    CHECK(height > 0.0 && lowest <= height, "%s: a block drawn down to y = %.0f, the picture %.0f high", path,
          lowest, height);
}

/* Well-formed XML: python3's parser when there is a python3, and in any case
 * a check that every element opened is closed in order. */
static void xml_check(const char *path)
{
    FILE *f = fopen(path, "r");
    char stack[32][32];
    int depth = 0, c, ok = 1, elements = 0;
    run_output *out;
    char *args[6];
    char script[1200];

    CHECK(f != NULL, "%s exists", path);
    if (f == NULL) {
        return;
    }
    while ((c = fgetc(f)) != EOF && ok) {
        char name[32];
        size_t n = 0;
        int closing = 0, last = 0;
        if (c != '<') {
            continue;
        }
        c = fgetc(f);
        if (c == '?' || c == '!') {
            while ((c = fgetc(f)) != EOF && c != '>') {
            }
            continue;
        }
        if (c == '/') {
            closing = 1;
            c = fgetc(f);
        }
        while (c != EOF && c != ' ' && c != '>' && c != '/' && c != '\n' && n < sizeof name - 1u) {
            name[n++] = (char)c;
            c = fgetc(f);
        }
        name[n] = '\0';
        while (c != EOF && c != '>') {
            if (c == '"') { /* attribute values may hold anything but a quote */
                while ((c = fgetc(f)) != EOF && c != '"') {
                    ok = ok && c != '<';
                }
            }
            last = c;
            c = fgetc(f);
        }
        elements++;
        if (closing) {
            ok = depth > 0 && strcmp(stack[depth - 1], name) == 0;
            depth--;
        } else if (last != '/') {
            if (depth == 32) {
                ok = 0;
            } else {
                strcpy(stack[depth++], name);
            }
        }
    }
    fclose(f);
    CHECK(ok && depth == 0 && elements > 3, "%s: elements nest and close (depth %d)", path, depth);

    out = malloc(sizeof *out);
    snprintf(script, sizeof script,
             "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); "
             "assert d.documentElement.tagName == 'svg'; print('xml ok')");
    args[0] = "/usr/bin/env";
    args[1] = "python3";
    args[2] = "-c";
    args[3] = script;
    args[4] = (char *)(uintptr_t)path;
    args[5] = NULL;
    program_run(out, args);
    /* python3 is among the test dependencies: missing, it fails the check. */
    CHECK(out->status == 0 && strstr(out->text, "xml ok") != NULL, "python3 parses %s: %s", path, out->err);
    free(out);
}

/* The JSON report of the tool on trace with args a1..a2 loads in python3. */
static void json_check(const char *trace, const char *a1, const char *a2)
{
    run_output *out = malloc(sizeof *out);
    char json[1024];
    char *args[8];
    FILE *f;
    args[0] = (char *)(uintptr_t)tool_path;
    args[1] = (char *)(uintptr_t)trace;
    args[2] = "--json";
    args[3] = "--quiet";
    args[4] = (char *)(uintptr_t)a1;
    args[5] = (char *)(uintptr_t)a2;
    args[6] = NULL;
    program_run(out, args);
    CHECK(out->status == 0, "--json: exit %d %s", out->status, out->err);
    path_make(json, sizeof json, "report.json");
    f = fopen(json, "wb");
    CHECK(f != NULL, "write %s", json);
    if (f != NULL) {
        fputs(out->text, f);
        fclose(f);
    }
    args[0] = "/usr/bin/env";
    args[1] = "python3";
    args[2] = "-c";
    args[3] = "import json, sys; json.load(open(sys.argv[1], encoding='utf-8')); print('json ok')";
    args[4] = json;
    args[5] = NULL;
    program_run(out, args);
    CHECK(out->status == 0 && strstr(out->text, "json ok") != NULL, "python3 loads the JSON report: %s", out->err);
    free(out);
}

static void case_svg(void)
{
    char path[1024], svg[1024];
    run_output *out = malloc(sizeof *out);
    trace_writer w;
    unsigned i;
    size_t rects, bytes = 0;

    /* 50 blocks, never freed: the peak is the last call, the map 50 used
     * blocks and the free rest. */
    path_make(path, sizeof path, "fifty.bht");
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    for (i = 0; i < 50u; i++) {
        trace_put(&w, BH_TRACE_MALLOC, 0, 0, 40u + 100u * i, 0, 0x1000000u + 0x10000u * (uint64_t)i);
    }
    trace_end(&w);
    path_make(svg, sizeof svg, "fifty.svg");
    tool_run(out, path, "--heap", "1M", "--svg", svg);
    CHECK(out->status == 0, "svg: exit %d %s", out->status, out->err);
    CHECK(kv_get(out, "svg_block_rects") == 51u, "51 rects reported: %llu", kv_get(out, "svg_block_rects"));
    rects = file_count(svg, "<rect class=\"b\"", &bytes);
    CHECK(rects == 51u, "51 block rects in the file: %zu", rects);
    CHECK(file_count(svg, "<polyline", &bytes) == 5u, "five lines in the charts");
    svg_blocks_inside(svg);
    xml_check(svg);

    /* 20000 small blocks (a walk dump: no replay, quick at any checking
     * level): merged into far fewer rectangles, a small file. */
    path_make(path, sizeof path, "many.log");
    {
        FILE *f = fopen(path, "w");
        uint64_t address = 0x20000000u;
        CHECK(f != NULL, "write %s", path);
        if (f != NULL) {
            fprintf(f, "boot messages\nbh-walk begin word=4 align=8 heap=2000000 control=900\n");
            for (i = 0; i < 20000u; i++) {
                unsigned size = 16u + 8u * (i % 7u);
                fprintf(f, "bh-walk block 0x%llx %u %s 0\n", (unsigned long long)address, size,
                        i % 3u == 0u ? "free" : "used");
                address += size;
            }
            fprintf(f, "bh-walk end blocks=20000\nmore console output\n");
            fclose(f);
        }
    }
    path_make(svg, sizeof svg, "many.svg");
    tool_run(out, NULL, "--walk-dump", path, "--svg", svg);
    CHECK(out->status == 0, "many: exit %d %s", out->status, out->err);
    CHECK(kv_get(out, "blocks") == 20000u, "20000 blocks read");
    rects = file_count(svg, "<rect class=\"", &bytes);
    CHECK(rects < 8000u, "merged: %zu rects", rects);
    CHECK(file_count(svg, "<rect class=\"m\"", &bytes) > 0u, "merged runs drawn");
    CHECK(bytes < 2000000u, "small file: %zu bytes", bytes);
    xml_check(svg);

    /* A block as large as most of a 64-bit address space (a dump is text,
     * anything can be in it): the map still has rows of a size that fits. */
    path_make(path, sizeof path, "huge_block.log");
    text_file_write(path, "bh-walk begin word=8 align=16 heap=4096 control=1000\n"
                          "bh-walk block 0x1000 12000000000000000000 used 0\n"
                          "bh-walk end blocks=1\n");
    path_make(svg, sizeof svg, "huge_block.svg");
    remove(svg);
    run_time_limit_s = 60u;
    tool_run(out, NULL, "--walk-dump", path, "--svg", svg);
    run_time_limit_s = 0u;
    CHECK(out->status == 0, "a huge block is drawn: exit %d %s", out->status, out->err);
    svg_blocks_inside(svg);
    xml_check(svg);

    /* One used block of nearly 2^64 bytes: drawn whole (its end plus the
     * margin of an eighth wrapped, and it was cut to 2^61). */
    path_make(path, sizeof path, "huge_used.log");
    text_file_write(path, "bh-walk begin word=8 align=16 heap=4096 control=1000\n"
                          "bh-walk block 0x0 18446744073709551500 used 0\n"
                          "bh-walk end blocks=1\n");
    path_make(svg, sizeof svg, "huge_used.svg");
    tool_run(out, NULL, "--walk-dump", path, "--svg", svg);
    CHECK(out->status == 0, "a huge used block is drawn: exit %d %s", out->status, out->err);
    CHECK(file_count(svg, "offset 0 (0x0), 18446744073709551500 B, used", &bytes) == 1u,
          "the block drawn at its size");
    /* and its rows counted: the region's size plus a row wrapped to none */
    svg_blocks_inside(svg);
    xml_check(svg);

    /* Sizes no program can have been given, recorded as served: the chart's
     * scale is near 2^64 bytes, and its labels must still be numbers. */
    path_make(path, sizeof path, "huge_size.bht");
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    trace_put(&w, BH_TRACE_MALLOC, 0, 0, UINT64_MAX, 0, 0x1000u);
    trace_put(&w, BH_TRACE_MALLOC, 0, 0, 100u, 0, 0x2000u);
    trace_end(&w);
    path_make(svg, sizeof svg, "huge_size.svg");
    remove(svg);
    tool_run(out, path, "--heap", "64K", "--svg", svg);
    CHECK(out->status == 1 && kv_get(out, "first_failure_op") == 0u, "huge size: exit %d %s", out->status,
          out->err);
    CHECK(kv_get(out, "svg_block_rects") >= 1u, "huge size: the picture is written");
    xml_check(svg);

    /* A file name that is not UTF-8 (Latin-1 "lat\xe9"), shown in the SVG,
     * which declares UTF-8, and in the JSON report: both stay valid (the
     * byte was copied as it was). */
    path_make(path, sizeof path, "lat\xe9.bht");
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    trace_put(&w, BH_TRACE_MALLOC, 0, 0, 100u, 0, 0x1000u);
    trace_end(&w);
    path_make(svg, sizeof svg, "latin1.svg");
    tool_run(out, path, "--heap", "64K", "--svg", svg);
    CHECK(out->status == 0, "latin-1 name: exit %d %s", out->status, out->err);
    xml_check(svg);
    json_check(path, "--heap", "64K");

    /* U+FFFF and U+FFFE are well-formed UTF-8 but no XML character: a name
     * holding one made an SVG no XML parser reads. */
    path_make(path, sizeof path, "non\xef\xbf\xbf" "char\xef\xbf\xbe.bht");
    trace_begin(&w, path, BH_TRACE_MAGIC, BH_TRACE_VERSION);
    trace_put(&w, BH_TRACE_MALLOC, 0, 0, 100u, 0, 0x1000u);
    trace_end(&w);
    path_make(svg, sizeof svg, "nonchar.svg");
    tool_run(out, path, "--heap", "64K", "--svg", svg);
    CHECK(out->status == 0, "U+FFFF in the name: exit %d %s", out->status, out->err);
    xml_check(svg);
    json_check(path, "--heap", "64K");
    free(out);
}

static void case_walk_dump(const char *seed_demo)
{
    char log[1024], svg[1024];
    run_output *out = malloc(sizeof *out);
    char *args[2];
    size_t blocks, bytes = 0, rects;

    args[0] = (char *)(uintptr_t)seed_demo;
    args[1] = NULL;
    program_run(out, args);
    CHECK(out->status == 0, "seed_demo: exit %d", out->status);
    path_make(log, sizeof log, "seed_demo.log");
    text_file_write(log, out->text);
    blocks = file_count(log, "bh-walk block ", &bytes);
    CHECK(blocks >= 3u, "the demo prints a dump: %zu blocks", blocks);

    path_make(svg, sizeof svg, "seed_demo.svg");
    tool_run(out, NULL, "--walk-dump", log, "--svg", svg);
    CHECK(out->status == 0, "walk dump: exit %d %s", out->status, out->err);
    CHECK(kv_get(out, "blocks") == blocks, "every block read");
    rects = file_count(svg, "<rect class=\"b\"", &bytes);
    CHECK(rects == blocks, "one rect per block: %zu of %zu", rects, blocks);
    xml_check(svg);

    /* Two regions, the second mostly free: five blocks, five rectangles,
     * each region on rows of its own. */
    text_file_write(log, "[boot] bh-walk begin word=4 align=8 heap=300000 control=760\n"
                         "[boot] bh-walk block 0x20000300 64 used 0\n"
                         "[boot] bh-walk block 0x20000340 128 free 0\n"
                         "[boot] bh-walk block 0x200003c0 4096 used 0\n"
                         "[boot] bh-walk block 0x30000000 32 used 1\n"
                         "[boot] bh-walk block 0x30000020 262112 free 1\n"
                         "[boot] bh-walk end blocks=5\n");
    tool_run(out, NULL, "--walk-dump", log, "--svg", svg);
    CHECK(out->status == 0, "two regions: exit %d %s", out->status, out->err);
    CHECK(kv_get(out, "regions") == 2u && kv_get(out, "blocks") == 5u, "two regions, five blocks");
    CHECK(kv_get(out, "used_bytes") == 64u + 4096u + 32u, "used bytes");
    CHECK(file_count(svg, "<rect class=\"b\"", &bytes) == 5u, "five block rects");
    CHECK(file_count(svg, "region 1:", &bytes) == 1u, "the second region is labelled");
    xml_check(svg);

    /* Region numbers with a gap (a dump may leave regions out): each region
     * keeps its own number in the picture. */
    text_file_write(log, "bh-walk begin word=4 align=8 heap=300000 control=760\n"
                         "bh-walk block 0x20000300 64 used 0\n"
                         "bh-walk block 0x30000000 32 used 2\n"
                         "bh-walk block 0x30000020 4064 free 2\n"
                         "bh-walk end blocks=3\n");
    tool_run(out, NULL, "--walk-dump", log, "--svg", svg);
    CHECK(out->status == 0, "regions 0 and 2: exit %d %s", out->status, out->err);
    CHECK(file_count(svg, "region 2:", &bytes) == 1u && file_count(svg, "region 1:", &bytes) == 0u,
          "the region after a gap keeps its number");
    xml_check(svg);

    /* A 64-bit heap's dump with more than 4 GiB in use and free: the
     * totals are whole in a 32-bit build of the tool too. */
    text_file_write(log, "bh-walk begin word=8 align=16 heap=12884901888 control=2000\n"
                         "bh-walk block 0x100000000 3221225472 used 0\n"
                         "bh-walk block 0x1c0000000 3221225472 used 0\n"
                         "bh-walk block 0x280000000 6442450944 free 0\n"
                         "bh-walk end blocks=3\n");
    tool_run(out, NULL, "--walk-dump", log, NULL, NULL);
    CHECK(out->status == 0, "over 4 GiB: exit %d %s", out->status, out->err);
    CHECK(kv_get(out, "used_bytes") == 6442450944ull && kv_get(out, "free_bytes") == 6442450944ull,
          "totals over 4 GiB: used %llu, free %llu", (unsigned long long)kv_get(out, "used_bytes"),
          (unsigned long long)kv_get(out, "free_bytes"));

    /* A dump cut short is refused. */
    text_file_write(log, "bh-walk begin word=8 align=16 heap=4096 control=1000\nbh-walk block 0x1000 64 used 0\n");
    tool_run(out, NULL, "--walk-dump", log, "--svg", svg);
    CHECK(out->status == 4, "cut dump: exit %d", out->status);
    free(out);
}

/* End to end: python3 under the hosted shim with BAREHEAP_TRACE, then
 * --min-heap on its trace, confirmed as in case_min_heap(). */
static void case_shim(const char *shim)
{
    char trace[1024], preload[1200], trace_env[1100];
    char *args[4], *env[3];
    run_output *out = malloc(sizeof *out);
    unsigned long long n, grain;

    path_make(trace, sizeof trace, "python3.bht");
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim);
    snprintf(trace_env, sizeof trace_env, "BAREHEAP_TRACE=%s", trace);
    env[0] = preload;
    env[1] = trace_env;
    env[2] = NULL;
    args[0] = "/usr/bin/env";
    args[1] = "python3";
    args[2] = "-c";
    args[3] = NULL;
    {
        char *py[5];
        py[0] = args[0];
        py[1] = args[1];
        py[2] = args[2];
        /* two threads: their calls interleave in the trace, and a block
         * may be freed by another thread than the one that allocated it */
        py[3] = "import json, threading\n"
                "def work(n):\n"
                "    d = {str(i): [i, str(i) * 20, {'k': i}] for i in range(n)}\n"
                "    json.loads(json.dumps(d))\n"
                "t = threading.Thread(target=work, args=(5000,))\n"
                "t.start()\n"
                "d = {str(i): [i, str(i) * 20, {'k': i}] for i in range(20000)}\n"
                "s = json.dumps(d)\n"
                "t.join()\n"
                "print(len(s), len(json.loads(s)))\n";
        py[4] = NULL;
        program_run_env(out, py, env);
    }
    CHECK(out->status == 0 && strstr(out->text, " 20000") != NULL, "python3 under the shim: exit %d %s %s",
          out->status, out->text, out->err);

    /* A program that leaves by _exit() runs no destructor: its trace has
     * no end record, and the replay says it was not closed. */
    {
        char exit_trace[1024], exit_env[1100];
        char *py[5], *exit_envs[3];
        path_make(exit_trace, sizeof exit_trace, "python3_exit.bht");
        snprintf(exit_env, sizeof exit_env, "BAREHEAP_TRACE=%s", exit_trace);
        exit_envs[0] = preload;
        exit_envs[1] = exit_env;
        exit_envs[2] = NULL;
        py[0] = args[0];
        py[1] = args[1];
        py[2] = args[2];
        py[3] = "import os\nd = [str(i) for i in range(1000)]\nos._exit(0)\n";
        py[4] = NULL;
        program_run_env(out, py, exit_envs);
        CHECK(out->status == 0, "python3 _exit under the shim: exit %d %s", out->status, out->err);
        tool_run(out, exit_trace, "--heap", "16M", NULL, NULL);
        CHECK(out->status == 0 && kv_get(out, "closed") == 0u, "a trace left by _exit is not closed: exit %d %s",
              out->status, out->err);
    }

    if (tool_debug_level() >= 3u) {
        /* A full check of the heap, poison included, after every call makes
         * replays on megabytes take minutes: one replay on a small heap,
         * where calls fail, to check that the trace is read and matched. */
        tool_run(out, trace, "--heap", "256K", NULL, NULL);
        CHECK(out->status == 0 || out->status == 1, "the python3 trace replays: exit %d %s", out->status, out->err);
        CHECK(kv_get(out, "ops") > 1000u, "a real trace: %llu calls", kv_get(out, "ops"));
        CHECK(kv_get(out, "unknown_frees") == 0u, "every free matched");
        fprintf(stderr, "BAREHEAP_DEBUG=3: --min-heap not run on the python3 trace\n");
        free(out);
        return;
    }
    tool_run(out, trace, "--min-heap", NULL, NULL, NULL);
    CHECK(out->status == 0, "--min-heap on the python3 trace: exit %d %s", out->status, out->err);
    CHECK(kv_get(out, "closed") == 1u, "python3 exited normally: its trace is closed");
    CHECK(kv_get(out, "ops") > 1000u, "a real trace: %llu calls", kv_get(out, "ops"));
    CHECK(kv_get(out, "unknown_frees") == 0u, "every free matched: %llu unknown", kv_get(out, "unknown_frees"));
    CHECK(kv_get(out, "threads") >= 2u, "calls of both threads: %llu", kv_get(out, "threads"));
    CHECK(kv_get(out, "reused_addresses") == 0u, "no address handed out twice while live");
    n = kv_get(out, "min_heap_bytes");
    grain = kv_get(out, "align_bytes");
    CHECK(n > kv_get(out, "peak_live_bytes"), "the heap holds the peak");
    min_heap_confirm(out, trace, n, grain);
    fprintf(stderr, "python3 trace: min heap %llu bytes\n", n);
    free(out);
}

int main(int argc, char **argv)
{
    const char *which;
    if (argc < 4) {
        fprintf(stderr, "usage: test_replay CASE TOOL WORKDIR [SEED_DEMO]\n");
        return 2;
    }
    which = argv[1];
    tool_path = argv[2];
    work_dir = argv[3];
    mkdir(work_dir, 0755);
    if (strcmp(which, "known") == 0) {
        case_known();
    } else if (strcmp(which, "errors") == 0) {
        case_errors();
    } else if (strcmp(which, "min_heap") == 0) {
        case_min_heap();
    } else if (strcmp(which, "non_monotone") == 0) {
        case_non_monotone();
    } else if (strcmp(which, "scan") == 0) {
        case_scan();
    } else if (strcmp(which, "layout") == 0) {
        case_layout();
    } else if (strcmp(which, "svg") == 0) {
        case_svg();
    } else if (strcmp(which, "shim") == 0 && argc > 4) {
        case_shim(argv[4]);
    } else if (strcmp(which, "walk_dump") == 0 && argc > 4) {
        case_walk_dump(argv[4]);
    } else {
        fprintf(stderr, "test_replay: unknown case %s\n", which);
        return 2;
    }
    printf("test_replay %s: %d checks, %d failed\n", which, checks, failures);
    return failures == 0 ? 0 : 1;
}
