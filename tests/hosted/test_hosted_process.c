/*
 * The hosted malloc shim and the process around it, linked against
 * libbareheap-malloc.a: the system calls a free of a mapped block makes,
 * and what it reads, also where a seccomp filter refuses or kills
 * process_vm_readv(); frees of mapped blocks in a fork child; fork()
 * handlers of other code that allocate; the BAREHEAP_* variables read at
 * start-up and the trace file, also a FIFO whose reader goes away (this
 * program run again with the environment under test).
 *
 * Every scenario runs in a child process of its own: a seccomp filter
 * cannot be taken back, and a scenario that hangs is stopped by an alarm
 * and counted as failed instead of hanging the test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "bareheap_malloc.h"
#include "hosted_check.h"

#if defined(__x86_64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_AARCH64
#else
#error "the seccomp filters of this test know x86-64 and AArch64"
#endif

/* Installs a filter that answers system call nr with action (and lets
 * every other call through). */
static int seccomp_answer(long nr, unsigned action) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_NATIVE, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, action),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {(unsigned short)(sizeof filter / sizeof filter[0]), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program);
}

/* getpid() trapped (SECCOMP_RET_TRAP): the handler counts the call and
 * gives the process id as its result. */
static volatile sig_atomic_t getpid_calls;
static long real_pid;

static void on_sigsys(int sig, siginfo_t *info, void *context) {
    ucontext_t *uc = context;
    (void)sig;
    (void)info;
    getpid_calls++;
#if defined(__x86_64__)
    uc->uc_mcontext.gregs[REG_RAX] = real_pid;
#else
    uc->uc_mcontext.regs[0] = (unsigned long)real_pid;
#endif
}

#define MAPPED_FREES 50

/* A free of a mapped block checks the header below it through the kernel;
 * the check needs no process id (the call it used, process_vm_readv() on
 * the process itself, asked for it on every free). */
static void scenario_mapped_free_getpid(void) {
    struct sigaction action;
    size_t threshold = bh_hosted_mmap_threshold();
    int i;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigsys;
    action.sa_flags = SA_SIGINFO;
    real_pid = (long)getpid();
    CHECK(sigaction(SIGSYS, &action, NULL) == 0);
    CHECK(seccomp_answer(SYS_getpid, SECCOMP_RET_TRAP) == 0);
    for (i = 0; i < MAPPED_FREES; i++) {
        void *p = malloc(opaque(threshold));
        CHECK(p != NULL && bh_hosted_arena_of(p) == BH_HOSTED_DIRECT);
        free(p);
        /* Freed, not refused: the mapping is gone. */
        CHECK(bh_hosted_arena_of(p) == BH_HOSTED_FOREIGN);
    }
    CHECK(getpid_calls == 0);
}

/* Whether the page holding p is mapped. */
static int page_mapped(const void *p) {
    unsigned char vec;
    uintptr_t page = (uintptr_t)p & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
    return mincore((void *)page, 1, &vec) == 0;
}

/* A fork child frees a mapped block that its parent has already freed (and
 * unmapped) in its own memory: the child's check must read the child's
 * header, not the parent's (a process id kept for the check would be the
 * parent's until the child forgot it). */
static void scenario_fork_child_mapped_free(void) {
    size_t threshold = bh_hosted_mmap_threshold();
    void *warm = malloc(opaque(threshold)), *block = malloc(opaque(threshold));
    int to_child[2], status = 0;
    pid_t pid;
    char byte = 0;
    CHECK(warm != NULL && block != NULL);
    free(warm); /* a first mapped free in the parent */
    CHECK(pipe(to_child) == 0);
    memset(block, 0x5A, 4096);
    pid = fork();
    if (pid == 0) {
        int ok;
        close(to_child[1]);
        /* Wait until the parent's copy is gone. */
        ok = read(to_child[0], &byte, 1) == 1;
        free(block);
        ok = ok && !page_mapped(block);
        _exit(ok ? 0 : 1);
    }
    CHECK(pid > 0);
    close(to_child[0]);
    free(block);
    CHECK(!page_mapped(block));
    CHECK(write(to_child[1], &byte, 1) == 1);
    close(to_child[1]);
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The shim's messages on stderr during a scenario, counted. */
static int stderr_to_file(void) {
    char path[] = "/tmp/bh_hosted_processXXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    CHECK(fd >= 0 && saved >= 0);
    unlink(path);
    dup2(fd, 2);
    close(fd);
    return saved;
}

static int stderr_back_count(int saved, const char *what) {
    char text[4096];
    const char *at = text;
    ssize_t n = pread(2, text, sizeof text - 1, 0);
    int count = 0;
    dup2(saved, 2);
    close(saved);
    text[n > 0 ? n : 0] = '\0';
    if (strstr(text, "check failed"))
        fputs(text, stderr);
    while ((at = strstr(at, what)) != NULL) {
        count++;
        at++;
    }
    return count;
}

/* process_vm_readv() refused by a seccomp filter (EPERM), as container
 * profiles do, or killed (as under a filter whose action is to kill, which
 * killed the process at its first mapped free): mapped blocks are still
 * freed, moved and measured, and
 * pointers whose header would lie on an unreadable page (PROT_NONE, or
 * running into one) or an unmapped one are reported, not read: they
 * faulted when mincore() (which sees only whether a page is mapped) decided. */
static void vm_read_filtered(unsigned action) {
    size_t threshold = bh_hosted_mmap_threshold();
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *g = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *p, *q;
    int saved, i;
    CHECK(g != MAP_FAILED);
    if (g == MAP_FAILED)
        return;
    /* [ none | read-write | none | unmapped ] */
    CHECK(mprotect(g, page, PROT_NONE) == 0);
    CHECK(mprotect(g + 2 * page, page, PROT_NONE) == 0);
    CHECK(munmap(g + 3 * page, page) == 0);
    CHECK(seccomp_answer(SYS_process_vm_readv, action) == 0);
    for (i = 0; i < 3; i++) {
        p = malloc(opaque(threshold));
        CHECK(p != NULL && bh_hosted_arena_of(p) == BH_HOSTED_DIRECT);
        CHECK(p && malloc_usable_size(p) >= threshold);
        if (p)
            memset(p, 0x21, 64);
        q = realloc(p, opaque(threshold * 2));
        CHECK(q != NULL && q[63] == 0x21 && bh_hosted_arena_of(q) == BH_HOSTED_DIRECT);
        free(q);
        CHECK(bh_hosted_arena_of(q) == BH_HOSTED_FOREIGN);
    }
    saved = stderr_to_file();
    free(g + page);            /* the header on a PROT_NONE page */
    free(g + 2 * page + 16);   /* the header runs into a PROT_NONE page */
    free(g + 3 * page + 16);   /* the header on an unmapped page */
    CHECK(malloc_usable_size(g + page) == 0);
    CHECK(realloc(g + page, 10) == NULL);
    CHECK(bh_hosted_arena_of(g + page) == BH_HOSTED_FOREIGN);
    CHECK(stderr_back_count(saved, "not from this malloc") == 5);
    munmap(g, 3 * page);
}

static void scenario_vm_read_refused(void) { vm_read_filtered(SECCOMP_RET_ERRNO | EPERM); }
static void scenario_vm_read_killed(void) { vm_read_filtered(SECCOMP_RET_KILL_PROCESS); }

/* fork() handlers registered before the shim's own (by this constructor,
 * which runs before the archive's, as a program's constructors do in a
 * static link) run after the shim's prepare handler has taken every lock,
 * and before its parent and child handlers give them back. They allocate
 * sizes the thread cache does not serve, and a mapped block, when
 * atfork_allocate is set. */
static int atfork_allocate;
static void *atfork_child_block;

static void atfork_use_heap(size_t size_bytes) {
    void *small = malloc(opaque(size_bytes)), *mapped = malloc(opaque(bh_hosted_mmap_threshold()));
    if (small)
        memset(small, 0x3C, size_bytes);
    free(mapped);
    free(small);
}
static void atfork_prepare_allocates(void) {
    if (atfork_allocate)
        atfork_use_heap(5000);
}
static void atfork_parent_allocates(void) {
    if (atfork_allocate)
        atfork_use_heap(6000);
}
static void atfork_child_allocates(void) {
    if (atfork_allocate) {
        atfork_use_heap(7000);
        atfork_child_block = malloc(opaque(9000));
    }
}

__attribute__((constructor)) static void register_atfork_before_the_shim(void) {
    CHECK(bh_hosted_arena_count() >= 1);
    CHECK(pthread_atfork(atfork_prepare_allocates, atfork_parent_allocates, atfork_child_allocates) == 0);
}

/* Hung in fork() before: the shim's locks, held by the forking thread
 * itself, were taken again by the handlers' allocations. Nothing reported
 * either: a free of a mapped block by the child handler, before the shim's
 * own child handler has run, checks the child's memory, not the parent's. */
static void scenario_atfork_handlers_allocate(void) {
    int round, saved = stderr_to_file();
    atfork_allocate = 1;
    for (round = 0; round < 3; round++) {
        int status = 0;
        pid_t pid = fork();
        if (pid == 0) {
            int ok = atfork_child_block != NULL;
            void *p = malloc(opaque(20000));
            ok = ok && p != NULL;
            if (ok)
                memset(atfork_child_block, 1, 9000);
            free(p);
            free(atfork_child_block);
            _exit(ok ? 0 : 1);
        }
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    atfork_allocate = 0;
    CHECK(stderr_back_count(saved, "bareheap: ") == 0);
}

/* ---- The environment, read at start-up: a fresh process each ---- */

/* Runs this program again with argv and envp and waits for it: its wait
 * status, or -1 when it could not be started or waited for. */
static int self_run(char *const argv[], char *const envp[]) {
    int status = 0;
    pid_t pid;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        execve("/proc/self/exe", argv, envp);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

/* Runs this program again with envp and --report-arenas: the arena count
 * it reports, or -1. */
static int arenas_under(char *const envp[]) {
    char *argv[] = {(char *)"test_hosted_process", (char *)"--report-arenas", NULL};
    char text[32] = {0};
    int out[2], status = 0, arenas = -1;
    pid_t pid;
    if (pipe(out) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execve("/proc/self/exe", argv, envp);
        _exit(127);
    }
    close(out[1]);
    if (pid > 0 && read(out[0], text, sizeof text - 1) > 0 && waitpid(pid, &status, 0) == pid &&
        WIFEXITED(status) && WEXITSTATUS(status) == 0)
        arenas = atoi(text);
    close(out[0]);
    return arenas;
}

/* "name=" followed by n copies of c. */
static char *env_filler(const char *name, size_t n) {
    size_t name_bytes = strlen(name);
    char *entry = malloc(name_bytes + 1 + n + 1);
    CHECK(entry != NULL);
    if (!entry)
        exit(1);
    memcpy(entry, name, name_bytes);
    entry[name_bytes] = '=';
    memset(entry + name_bytes + 1, 'x', n);
    entry[name_bytes + 1 + n] = '\0';
    return entry;
}

/* BAREHEAP_* found past 64 KiB of other variables (they were not looked
 * for there), not cut where 64 KiB end (BAREHEAP_ARENAS=32 was read as 3),
 * and a count too large for an unsigned clamped, not narrowed (4294967298
 * gave 2 arenas). */
static void scenario_environment(void) {
    char *a = env_filler("A", 60000), *b = env_filler("B", 60000), *c = env_filler("C", 60000);
    /* "CUT=...\0BAREHEAP_ARENAS=3" is 65535 bytes, where the block ended. */
    char *cut = env_filler("CUT", 65535 - 4 - 1 - strlen("BAREHEAP_ARENAS=3"));
    char *past_64k[] = {a, b, c, (char *)"BAREHEAP_ARENAS=3", NULL};
    char *across_64k[] = {cut, (char *)"BAREHEAP_ARENAS=32", NULL};
    char *huge[] = {(char *)"BAREHEAP_ARENAS=4294967298", NULL};
    char *most[] = {(char *)"BAREHEAP_ARENAS=64", NULL};
    char *garbage[] = {(char *)"BAREHEAP_ARENAS=two", (char *)"BAREHEAP_ARENASX=2", (char *)"BAREHEAP_=2", NULL};
    char *none[] = {NULL};
    int most_arenas = arenas_under(most);
    CHECK(arenas_under(past_64k) == 3);
    CHECK(arenas_under(across_64k) == 32);
    CHECK(most_arenas >= 4 && arenas_under(huge) == most_arenas);
    CHECK(arenas_under(garbage) == arenas_under(none));
    free(a);
    free(b);
    free(c);
    free(cut);
}

/* Run with the mmap threshold at one page (--zero-size-mapped): requests
 * of 0 bytes at a page's alignment are mapped blocks of their own, and
 * each must have its payload inside its mapping (it was at the mapping's
 * end, with no usable byte, and on the reservation's first page when the
 * kernel put the mapping just below it: free() then reported it and
 * leaked the mapping, realloc() failed). Returns the checks that failed. */
static int zero_size_mapped(void) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *p[5] = {valloc(opaque(0)), pvalloc(opaque(0)), memalign(opaque(page), 0),
                  aligned_alloc(opaque(page), 0), NULL};
    size_t i;
    CHECK(bh_hosted_mmap_threshold() == page);
    CHECK(posix_memalign(&p[4], opaque(page), 0) == 0);
    for (i = 0; i < sizeof p / sizeof p[0]; i++) {
        CHECK(p[i] != NULL && ((uintptr_t)p[i] & (page - 1u)) == 0);
        CHECK(bh_hosted_arena_of(p[i]) == BH_HOSTED_DIRECT);
        CHECK(malloc_usable_size(p[i]) > 0);
    }
    p[0] = realloc(p[0], opaque(100));
    CHECK(p[0] != NULL);
    for (i = 0; i < sizeof p / sizeof p[0]; i++)
        free(p[i]);
    return failures;
}

static void scenario_zero_size_mapped(void) {
    char *argv[] = {(char *)"test_hosted_process", (char *)"--zero-size-mapped", NULL};
    char *envp[] = {(char *)"BAREHEAP_MMAP_THRESHOLD=1", NULL};
    int saved = stderr_to_file();
    int status = self_run(argv, envp);
    CHECK(stderr_back_count(saved, "bareheap: ") == 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A BAREHEAP_TRACE path of nearly PATH_MAX bytes names the file it says
 * (it was cut 24 bytes before 4096, and the trace went to another file);
 * one whose %p expansion does not fit is refused, not cut. */
static void scenario_trace_path_long(void) {
    char dir[] = "/tmp/bh_hosted_traceXXXXXX";
    static char path[4200], variable[4300];
    static const char name[] = "trace_file_name_past_the_old_limit";
    char *envp[] = {variable, NULL};
    size_t n;
    int saved;
    CHECK(mkdtemp(dir) != NULL);
    /* dir/././.../name, 4090 bytes in all. */
    n = (size_t)snprintf(path, sizeof path, "%s/", dir);
    while (n + 2 + (sizeof name - 1) <= 4090) {
        memcpy(path + n, "./", 2);
        n += 2;
    }
    memcpy(path + n, name, sizeof name);
    CHECK(strlen(path) < 4096);
    snprintf(variable, sizeof variable, "BAREHEAP_TRACE=%s", path);
    CHECK(arenas_under(envp) >= 1);
    CHECK(access(path, F_OK) == 0);
    unlink(path);
    /* Too long once %p is expanded: nothing created, and a message. */
    snprintf(variable, sizeof variable, "BAREHEAP_TRACE=%s%s", path, "_%p_%p");
    saved = stderr_to_file();
    CHECK(arenas_under(envp) >= 1);
    CHECK(stderr_back_count(saved, "BAREHEAP_TRACE path is too long") == 1);
    /* Only the directory was ever in it. */
    CHECK(rmdir(dir) == 0);
}

/* The descriptor the shim opened on trace_path, or -1. */
static int trace_fd_find(const char *trace_path) {
    char link[64], target[4096];
    int fd;
    for (fd = 3; fd < 1024; fd++) {
        ssize_t n;
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            if (strcmp(target, trace_path) == 0)
                return fd;
        }
    }
    return -1;
}

/* Run with BAREHEAP_TRACE=trace_path: closes the trace's descriptor, as a
 * daemon closing every descriptor does, opens file_path (which gets that
 * number back), writes one line to it and allocates enough records to fill
 * the trace buffer several times, keeping the file open to the exit-time
 * flush. 0 when the file got the trace's number. */
static int reuse_trace_fd(const char *trace_path, const char *file_path) {
    int fd, trace_fd = trace_fd_find(trace_path), i;
    if (trace_fd < 0)
        return 2;
    close(trace_fd);
    fd = open(file_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd != trace_fd || write(fd, "mine\n", 5) != 5)
        return 3;
    for (i = 0; i < 100000; i++)
        free(malloc(opaque(24)));
    return 0;
}

/* A program that closes the trace's descriptor and reuses its number keeps
 * its own file as it wrote it: the records (3 MiB here) went into that
 * file before, overwriting and appending to what the program wrote. */
static void scenario_trace_fd_reused(void) {
    char dir[] = "/tmp/bh_hosted_fdXXXXXX";
    static char trace_path[256], file_path[256], variable[300];
    char *argv[] = {(char *)"test_hosted_process", (char *)"--reuse-trace-fd", trace_path, file_path, NULL};
    char *envp[] = {variable, NULL};
    char content[64];
    int status, saved, fd;
    ssize_t n;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(trace_path, sizeof trace_path, "%s/trace", dir);
    snprintf(file_path, sizeof file_path, "%s/file", dir);
    snprintf(variable, sizeof variable, "BAREHEAP_TRACE=%s", trace_path);
    saved = stderr_to_file();
    status = self_run(argv, envp);
    CHECK(status != -1);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(stderr_back_count(saved, "tracing stopped") == 1);
    fd = open(file_path, O_RDONLY);
    n = fd >= 0 ? read(fd, content, sizeof content) : -1;
    CHECK(n == 5 && memcmp(content, "mine\n", 5) == 0);
    if (fd >= 0)
        close(fd);
    unlink(file_path);
    unlink(trace_path);
    CHECK(rmdir(dir) == 0);
}

static volatile sig_atomic_t sigpipe_count;
static void on_sigpipe(int sig) {
    (void)sig;
    sigpipe_count++;
}

/* Run with BAREHEAP_TRACE naming a FIFO whose reader goes away: allocates
 * enough records to fill the trace buffer several times, then checks that
 * SIGPIPE still works for the program as before. With pending, the program
 * has SIGPIPE blocked and one pending before: it must still be pending
 * and blocked after, and reach the handler once unblocked. Then in both
 * modes, the program's own write to a pipe without a reader raises it.
 * 0 when all held. */
static int trace_fifo_writer(bool pending) {
    sigset_t mask, pipe_only;
    int fds[2], i;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    if (signal(SIGPIPE, on_sigpipe) == SIG_ERR)
        return 2;
    if (pending && (sigprocmask(SIG_BLOCK, &pipe_only, NULL) != 0 || raise(SIGPIPE) != 0))
        return 3;
    for (i = 0; i < 200000; i++)
        free(malloc(opaque(24)));
    if (sigprocmask(SIG_BLOCK, NULL, &mask) != 0 || sigismember(&mask, SIGPIPE) != pending)
        return 4;
    if (sigpending(&mask) != 0 || sigismember(&mask, SIGPIPE) != pending || sigpipe_count != 0)
        return 5;
    if (pending && (sigprocmask(SIG_UNBLOCK, &pipe_only, NULL) != 0 || sigpipe_count != 1))
        return 6;
    if (pipe(fds) != 0)
        return 7;
    close(fds[0]);
    if (write(fds[1], "x", 1) != -1 || errno != EPIPE || sigpipe_count != 1 + pending)
        return 8;
    return 0;
}

/* A trace into a FIFO whose reader stops reading and closes it: tracing
 * stops with a message, and the program goes on with its SIGPIPE as it
 * was (the trace's write raised SIGPIPE, whose default action killed it). */
static void scenario_trace_fifo_reader_gone(void) {
    char dir[] = "/tmp/bh_hosted_fifoXXXXXX";
    static char fifo_path[256], variable[300];
    static const char *const modes[] = {"--trace-fifo-writer", "--trace-fifo-writer-pending"};
    char *envp[] = {variable, NULL};
    size_t m;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(fifo_path, sizeof fifo_path, "%s/fifo", dir);
    snprintf(variable, sizeof variable, "BAREHEAP_TRACE=%s", fifo_path);
    CHECK(mkfifo(fifo_path, 0600) == 0);
    for (m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        char *argv[] = {(char *)"test_hosted_process", (char *)modes[m], NULL};
        int status = 0, saved;
        pid_t reader;
        fflush(NULL);
        reader = fork();
        if (reader == 0) {
            /* Reads the header and part of the first buffer, then goes. */
            static char chunk[65536];
            int fd = open(fifo_path, O_RDONLY);
            _exit(fd >= 0 && read(fd, chunk, sizeof chunk) > 0 ? 0 : 1);
        }
        saved = stderr_to_file();
        status = self_run(argv, envp);
        CHECK(status != -1);
        if (WIFSIGNALED(status))
            fprintf(stderr, "trace_fifo_reader_gone: %s: killed by signal %d\n", modes[m], WTERMSIG(status));
        else if (WEXITSTATUS(status) != 0)
            fprintf(stderr, "trace_fifo_reader_gone: %s: exit %d\n", modes[m], WEXITSTATUS(status));
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(stderr_back_count(saved, "tracing stopped") == 1);
        CHECK(reader > 0 && waitpid(reader, &status, 0) == reader);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    unlink(fifo_path);
    CHECK(rmdir(dir) == 0);
}

/* Run with BAREHEAP_TRACE: a second thread allocates in a loop while this
 * one closes the trace's descriptor (as a daemon does) and forks. The
 * fork's prepare handler takes the trace lock, finds the descriptor gone
 * and stops tracing; fork_parent() asked trace_enabled again, found 0 and
 * never released the lock, so the other thread, which had read 1 and
 * waited for the lock, hung there. 0 when that thread goes on after the
 * fork, 1 when it hangs, 2 when the trace's descriptor is not found. */
static atomic_int fork_trace_stop;
static atomic_long fork_trace_rounds;
static void *fork_trace_allocator(void *unused) {
    (void)unused;
    while (!atomic_load(&fork_trace_stop)) {
        free(malloc(opaque(64)));
        atomic_fetch_add(&fork_trace_rounds, 1);
    }
    return NULL;
}

static int trace_fork_after_close(const char *trace_path) {
    int trace_fd = trace_fd_find(trace_path), status = 0, i;
    long before;
    pthread_t thread;
    pid_t pid;
    if (trace_fd < 0 || pthread_create(&thread, NULL, fork_trace_allocator, NULL) != 0)
        return 2;
    while (atomic_load(&fork_trace_rounds) < 1000)
        ;
    close(trace_fd);
    pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 2;
    /* The allocating thread must make progress within a second. */
    before = atomic_load(&fork_trace_rounds);
    for (i = 0; i < 1000 && atomic_load(&fork_trace_rounds) == before; i++)
        usleep(1000);
    if (atomic_load(&fork_trace_rounds) == before)
        _exit(1); /* the thread hangs: no join */
    atomic_store(&fork_trace_stop, 1);
    pthread_join(thread, NULL);
    return 0;
}

static void scenario_trace_fork_after_close(void) {
    char dir[] = "/tmp/bh_hosted_tfXXXXXX";
    static char trace_path[256], variable[300];
    char *argv[] = {(char *)"test_hosted_process", (char *)"--trace-fork-after-close", trace_path, NULL};
    char *envp[] = {variable, NULL};
    int run, saved;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(trace_path, sizeof trace_path, "%s/trace", dir);
    snprintf(variable, sizeof variable, "BAREHEAP_TRACE=%s", trace_path);
    saved = stderr_to_file();
    /* The hang needs the other thread to wait on the lock at that moment:
     * nearly always, but the machine may be busy. */
    for (run = 0; run < 8; run++) {
        int status = self_run(argv, envp);
        CHECK(status != -1);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        unlink(trace_path);
    }
    (void)stderr_back_count(saved, "tracing stopped");
    CHECK(rmdir(dir) == 0);
}

typedef struct scenario {
    const char *name;
    void (*run)(void);
} scenario;

static const scenario scenarios[] = {
    {"mapped_free_getpid", scenario_mapped_free_getpid},
    {"fork_child_mapped_free", scenario_fork_child_mapped_free},
    {"vm_read_refused", scenario_vm_read_refused},
    {"vm_read_killed", scenario_vm_read_killed},
    {"atfork_handlers_allocate", scenario_atfork_handlers_allocate},
    {"environment", scenario_environment},
    {"zero_size_mapped", scenario_zero_size_mapped},
    {"trace_path_long", scenario_trace_path_long},
    {"trace_fd_reused", scenario_trace_fd_reused},
    {"trace_fifo_reader_gone", scenario_trace_fifo_reader_gone},
    {"trace_fork_after_close", scenario_trace_fork_after_close},
};

/* Runs s in a child process; 0 when it passed. */
static int run_isolated(const scenario *s) {
    int status = 0;
    pid_t pid;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        alarm(20);
        s->run();
        fflush(NULL);
        _exit(failures == 0 ? 0 : 1);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        fprintf(stderr, "test_hosted_process: %s: cannot run\n", s->name);
        return 1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        fprintf(stderr, "test_hosted_process: %s: killed by signal %d\n", s->name, WTERMSIG(status));
    else
        fprintf(stderr, "test_hosted_process: %s: failed\n", s->name);
    return 1;
}

int main(int argc, char **argv) {
    int failed = 0;
    size_t i;
    /* A fresh process of the environment scenarios. */
    if (argc > 1 && strcmp(argv[1], "--report-arenas") == 0) {
        printf("%d\n", bh_hosted_arena_count());
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--zero-size-mapped") == 0)
        return zero_size_mapped() == 0 ? 0 : 1;
    if (argc > 3 && strcmp(argv[1], "--reuse-trace-fd") == 0)
        return reuse_trace_fd(argv[2], argv[3]);
    if (argc > 2 && strcmp(argv[1], "--trace-fork-after-close") == 0)
        return trace_fork_after_close(argv[2]);
    if (argc > 1 && strcmp(argv[1], "--trace-fifo-writer") == 0)
        return trace_fifo_writer(false);
    if (argc > 1 && strcmp(argv[1], "--trace-fifo-writer-pending") == 0)
        return trace_fifo_writer(true);
    for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
        failed += run_isolated(&scenarios[i]);
    if (failed) {
        fprintf(stderr, "test_hosted_process: %d of %zu scenarios failed\n", failed,
                sizeof scenarios / sizeof scenarios[0]);
        return 1;
    }
    printf("test_hosted_process: all %zu scenarios passed\n", sizeof scenarios / sizeof scenarios[0]);
    return 0;
}
