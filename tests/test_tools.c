/*
 * Memory-checker integration: built with BAREHEAP_ASAN=1 under
 * -fsanitize=address, or with BAREHEAP_VALGRIND=1 (each case then runs under
 * valgrind), a use after free and an overflow inside a bareheap heap must be
 * reported by the tool itself, and a correct program (the "live" case) must
 * run without a report. Each case runs in a child process that the tool must
 * stop with its own exit code; a live block stays fully usable.
 *
 * Usage: test_tools (runs every case in a child) | test_tools CASE (one case).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bareheap.h"
#include "bareheap_config.h"

static union {
    long double ld;
    unsigned char b[64 * 1024];
} memory;

static volatile unsigned char sink;

/* bh_trim() callback: the offered bytes are the callback's to change. */
static void trim_scribble(void *context, void *start, size_t size_bytes) {
    (void)context;
    memset(start, 0x5A, size_bytes);
}

/* Calls a correct program makes, none of which the tool may report: realloc
 * in place forward and backward (its new trailer then lands where the old
 * block's canary or payload was, for each size one byte apart), and bh_trim()
 * handing free bytes to a callback that writes them (BAREHEAP_DEBUG < 2; at 2
 * it offers nothing). */
static int run_live(bh_heap *heap, unsigned char *p, unsigned char *q) {
    size_t k, i, moved_down = 0;
    bh_free(heap, p);
    p = bh_realloc(heap, q, 3000);
    if (!p)
        return 2;
    memset(p, 3, 3000);
    bh_free(heap, p);
    for (k = 0; k < 96; k++) {
        unsigned char *before = bh_alloc(heap, 40), *mid = bh_alloc(heap, 180);
        unsigned char *after = bh_alloc(heap, 8), *guard = bh_alloc(heap, 8), *r;
        /* From what mid and after hold together to more. */
        size_t grow = (size_t)(guard - mid) - 32u + k;
        if (!before || !mid || !after || !guard || !(before < mid && mid < after && after < guard))
            return 2;
        memset(mid, 0x42, 180);
        bh_free(heap, before);
        bh_free(heap, after);
        r = bh_realloc(heap, mid, grow);
        if (!r)
            return 2;
        moved_down += r == before;
        /* With 32-bit words the first sizes are below mid's 180 bytes:
         * then the bytes kept are the new size's. */
        for (i = 0; i < 180 && i < grow; i++) {
            if (r[i] != 0x42)
                return 2;
        }
        memset(r, 4, grow);
        if (bh_check(heap) != 0)
            return 2;
        bh_free(heap, r);
        bh_free(heap, guard);
    }
    if (moved_down == 0)
        return 2;
    {
        /* Free blocks of one class on one list, whose links the core opens
         * and closes again on each unlink: from its head, its middle (a
         * merge takes a neighbour off mid-list) and its end, and the
         * statistics and bh_check() walking it. */
        unsigned char *b[12];
        bh_stats stats;
        for (k = 0; k < 12; k++) {
            b[k] = bh_alloc(heap, 64);
            if (!b[k])
                return 2;
            memset(b[k], 6, 64);
        }
        for (k = 0; k < 12; k += 2)
            bh_free(heap, b[k]);
        if (bh_check(heap) != 0 || !bh_get_stats(heap, &stats))
            return 2;
        bh_free(heap, b[5]); /* merges b[4] and b[6], taken off mid-list */
        if (bh_check(heap) != 0)
            return 2;
        for (k = 0; k < 3; k++) {
            unsigned char *r = bh_alloc(heap, 64);
            if (!r)
                return 2;
            memset(r, 7, 64);
            bh_free(heap, r);
        }
        for (k = 1; k < 12; k += 2) {
            if (k != 5)
                bh_free(heap, b[k]);
        }
        if (bh_check(heap) != 0)
            return 2;
    }
    (void)bh_trim(heap, 0, trim_scribble, NULL);
    p = bh_alloc(heap, 20000);
    if (!p)
        return 2;
    memset(p, 5, 20000);
    bh_free(heap, p);
    return bh_check(heap) == 0 ? 0 : 2;
}

static int run_case(const char *name) {
    bh_heap *heap = bh_init(memory.b, sizeof memory.b);
    unsigned char *p, *q;
    if (!heap)
        return 2;
    p = bh_alloc(heap, 100);
    q = bh_alloc(heap, 200);
    if (!p || !q)
        return 2;
    memset(p, 1, 100); /* the whole request is open */
    memset(q, 2, 200);
    if (strcmp(name, "live") == 0)
        return run_live(heap, p, q);
    if (strcmp(name, "use-after-free") == 0) {
        bh_free(heap, p);
        sink = p[50];
        return 0;
    }
    if (strcmp(name, "write-after-free") == 0) {
        bh_free(heap, q);
        q[150] = 7;
        return 0;
    }
    /* The first words of a freed block hold its free-list links: reading
     * or writing them after the free is reported too. p stays a free block
     * of its own (q follows it), q merges with the free rest of the heap
     * and starts that block. */
    if (strcmp(name, "use-after-free-links") == 0) {
        bh_free(heap, p);
        sink = p[0];
        return 0;
    }
    if (strcmp(name, "write-after-free-links") == 0) {
        bh_free(heap, q);
        q[sizeof(void *)] = 7;
        return 0;
    }
#if BAREHEAP_VALGRIND || (UINTPTR_MAX > 0xFFFFFFFFu)
    /* Not under ASan with 32-bit words, where the footer shares a shadow
     * granule with the next block's header and stays open. */
    if (strcmp(name, "write-after-free-footer") == 0) {
        /* The last word of p's block, its footer once free (the block
         * size is in the header word before p, below the flag bits). */
        size_t block_bytes = ((const size_t *)(const void *)p)[-1] & ~(size_t)7;
        unsigned char *last_word = p - sizeof(size_t) + block_bytes - sizeof(size_t);
        bh_free(heap, p);
        last_word[0] = 7;
        return 0;
    }
#endif
    if (strcmp(name, "write-after-trim") == 0) {
        /* q's block merges into the free tail, which bh_trim offers from
         * 29 bytes in (not a multiple of the checker's granule): the bytes
         * before the offered range stay free memory after the call. */
        unsigned char *b = q - sizeof(size_t);
        bh_free(heap, q);
        (void)bh_trim(heap, 29, trim_scribble, NULL);
        b[24] = 7;
        return 0;
    }
#if BAREHEAP_DEBUG >= 2
    if (strcmp(name, "overflow") == 0) {
        p[100] = 7; /* one byte past the request */
        return 0;
    }
#endif
    return 2;
}

/* A child the tool stops exits with TOOL_EXIT_CODE, set for it below. */
#define TOOL_EXIT_CODE 42

static int expect(const char *self, const char *name, int should_die) {
    int status = 0;
    pid_t pid = fork();
    if (pid == 0) {
#if BAREHEAP_VALGRIND
        execlp("valgrind", "valgrind", "-q", "--error-exitcode=42", self, name, (char *)NULL);
#else
        execl(self, self, name, (char *)NULL);
#endif
        _exit(3);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != (should_die ? TOOL_EXIT_CODE : 0)) {
        printf("FAIL %s: exit status %d\n", name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return 1;
    }
    printf("ok %s\n", name);
    return 0;
}

int main(int argc, char **argv) {
    int failed = 0, passed = 0;
    const char *dying[] = {"use-after-free", "write-after-free", "use-after-free-links", "write-after-free-links",
#if BAREHEAP_VALGRIND || (UINTPTR_MAX > 0xFFFFFFFFu)
                           "write-after-free-footer",
#endif
                           "write-after-trim",
#if BAREHEAP_DEBUG >= 2
                           "overflow",
#endif
    };
    size_t i;
    if (argc > 1)
        return run_case(argv[1]);
    setenv("ASAN_OPTIONS", "exitcode=42", 1);
    failed += expect(argv[0], "live", 0);
    passed += 1 - failed;
    for (i = 0; i < sizeof dying / sizeof dying[0]; i++) {
        int f = expect(argv[0], dying[i], 1);
        failed += f;
        passed += 1 - f;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
