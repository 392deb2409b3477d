/*
 * The system calls the hosted shim makes, issued directly on x86-64 and
 * AArch64 instead of through libc's wrappers.
 *
 * Why: a libc function that the program itself never calls lives on a code
 * page nobody has touched, and the first call faults it in together with
 * its neighbours (the kernel maps up to 64 KiB around a file-backed fault).
 * Start-up through sysconf(), sched_getaffinity(), open() and mmap() added
 * about 150 KB of libc code to every process's resident set, more than the
 * whole heap of a small program. Raw calls also leave errno alone, as
 * malloc must on success. Elsewhere, libc's syscall() does the same work.
 *
 * Every function returns what the kernel returns: a result >= 0, or
 * -errno (for sys_mmap/sys_mremap, an address in the last page of the
 * address space, tested with sys_failed()).
 */
#ifndef BH_MALLOC_SYS_H
#define BH_MALLOC_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/futex.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#if defined(__x86_64__)
static inline long sys_call6(long number, long a, long b, long c, long d, long e, long f) {
    long result;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ __volatile__("syscall"
                         : "=a"(result)
                         : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
    return result;
}
#elif defined(__aarch64__)
static inline long sys_call6(long number, long a, long b, long c, long d, long e, long f) {
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ __volatile__("svc #0"
                         : "+r"(x0)
                         : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                         : "memory");
    return x0;
}
#else
#include <errno.h>
#include <unistd.h>
/* libc's generic entry: -errno like the kernel, errno put back. */
static inline long sys_call6(long number, long a, long b, long c, long d, long e, long f) {
    int saved_errno = errno;
    long result = syscall(number, a, b, c, d, e, f);
    if (result == -1) {
        result = -(long)errno;
        errno = saved_errno;
    }
    return result;
}
#endif

static inline bool sys_failed(long result) { return (unsigned long)result > (unsigned long)-4096; }

static inline void *sys_mmap(void *address, size_t bytes, int prot, int flags) {
    return (void *)sys_call6(SYS_mmap, (long)address, (long)bytes, prot, flags, -1, 0);
}

static inline long sys_munmap(void *address, size_t bytes) {
    return sys_call6(SYS_munmap, (long)address, (long)bytes, 0, 0, 0, 0);
}

static inline long sys_mprotect(void *address, size_t bytes, int prot) {
    return sys_call6(SYS_mprotect, (long)address, (long)bytes, prot, 0, 0, 0);
}

static inline long sys_madvise(void *address, size_t bytes, int advice) {
    return sys_call6(SYS_madvise, (long)address, (long)bytes, advice, 0, 0, 0);
}

static inline void *sys_mremap(void *address, size_t old_bytes, size_t new_bytes, int flags) {
    return (void *)sys_call6(SYS_mremap, (long)address, (long)old_bytes, (long)new_bytes, flags, 0, 0);
}

static inline long sys_open(const char *path, int flags, int mode) {
    /* openat(AT_FDCWD): AArch64 has no open. */
    return sys_call6(SYS_openat, -100, (long)path, flags, mode, 0, 0);
}

static inline long sys_read(int fd, void *buffer, size_t bytes) {
    return sys_call6(SYS_read, fd, (long)buffer, (long)bytes, 0, 0, 0);
}

static inline long sys_write(int fd, const void *buffer, size_t bytes) {
    return sys_call6(SYS_write, fd, (long)buffer, (long)bytes, 0, 0, 0);
}

/* The kernel's signal sets: 64 signals, 8 bytes, on every Linux port here. */
#define SYS_SIGSET_BYTES 8

static inline long sys_rt_sigprocmask(int how, const uint64_t *set, uint64_t *old) {
    return sys_call6(SYS_rt_sigprocmask, how, (long)set, (long)old, SYS_SIGSET_BYTES, 0, 0);
}

static inline long sys_rt_sigpending(uint64_t *set) {
    return sys_call6(SYS_rt_sigpending, (long)set, SYS_SIGSET_BYTES, 0, 0, 0, 0);
}

/* Takes one of the signals in set if pending, without waiting. */
static inline long sys_rt_sigtake(const uint64_t *set) {
    static const struct timespec now = {0, 0};
    return sys_call6(SYS_rt_sigtimedwait, (long)set, 0, (long)&now, SYS_SIGSET_BYTES, 0, 0);
}

static inline long sys_close(int fd) { return sys_call6(SYS_close, fd, 0, 0, 0, 0, 0); }

static inline long sys_fstat(int fd, struct stat *st) { return sys_call6(SYS_fstat, fd, (long)st, 0, 0, 0, 0); }

static inline long sys_sched_yield(void) { return sys_call6(SYS_sched_yield, 0, 0, 0, 0, 0, 0); }

static inline long sys_getpid(void) { return sys_call6(SYS_getpid, 0, 0, 0, 0, 0, 0); }

/* The soft and hard limits of resource (RLIMIT_*) of this process, as the
 * kernel's struct rlimit64 ({cur, max}; all ones: no limit). */
static inline long sys_prlimit_get(int resource, uint64_t limits[2]) {
    return sys_call6(SYS_prlimit64, 0, resource, 0, (long)limits, 0, 0);
}

/* Whether the 4-byte word at address can be read, asked of the kernel
 * without reading it here: FUTEX_WAIT loads the word and returns -EFAULT
 * where it cannot (unmapped, or mapped without read access), -EAGAIN at
 * once when the word differs from value, -ETIMEDOUT when it equals it (the
 * absolute timeout, time 0, passed long ago: measured 15 us against 1 us,
 * so callers pass a value the word they hope for does not hold). Nothing
 * waits on the word and nothing is written. address must be 4-aligned. */
static inline long sys_futex_probe(const void *address, uint32_t value) {
    static const struct timespec long_ago = {0, 0};
    return sys_call6(SYS_futex, (long)(uintptr_t)address, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, (long)value,
                     (long)&long_ago, 0, (long)FUTEX_BITSET_MATCH_ANY);
}

/* The kernel's call: the result is the number of mask bytes it wrote. */
static inline long sys_sched_getaffinity(void *mask, size_t mask_bytes) {
    return sys_call6(SYS_sched_getaffinity, 0, (long)mask_bytes, (long)mask, 0, 0, 0);
}

#endif /* BH_MALLOC_SYS_H */
