/*
 * Memory-checker integration: built with BAREHEAP_ASAN=1 under
 * -fsanitize=address, or with BAREHEAP_VALGRIND=1 (each case then runs under
 * valgrind), a use after free and an overflow inside a bareheap heap must be
 * reported by the tool itself. Each case runs in a child process that the
 * tool must stop with its own exit code; a live block stays fully usable.
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
    if (strcmp(name, "live") == 0) {
        bh_free(heap, p);
        p = bh_realloc(heap, q, 3000);
        if (!p)
            return 2;
        memset(p, 3, 3000);
        bh_free(heap, p);
        return bh_check(heap) == 0 ? 0 : 2;
    }
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
    const char *dying[] = {"use-after-free", "write-after-free",
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
