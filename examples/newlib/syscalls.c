/*
 * The system calls newlib's stdio reaches, for the newlib examples: a console
 * on the board's output, no files, one process. Shared by the C and the C++
 * example (abort(), reached by std::terminate, needs _exit, _kill and _getpid;
 * libstdc++'s thread-exit hooks need __dso_handle).
 */
#include <stddef.h>

#include "board.h"

/* The console, for newlib's stdout: its stdio ends in _write(). */
int _write(int fd, const char *buf, int n);
int _write(int fd, const char *buf, int n)
{
    (void)fd;
    board_write(buf, (size_t)n);
    return n;
}

/* The rest of the system calls newlib's stdio reaches: a console, no files. */
struct stat;
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _lseek(int fd, int offset, int whence);
int _read(int fd, char *buf, int n);
int _close(int fd)
{
    (void)fd;
    return -1;
}
int _fstat(int fd, struct stat *st)
{
    (void)fd;
    (void)st;
    return -1;
}
int _isatty(int fd)
{
    return fd <= 2;
}
int _lseek(int fd, int offset, int whence)
{
    (void)fd;
    (void)offset;
    (void)whence;
    return -1;
}
int _read(int fd, char *buf, int n)
{
    (void)fd;
    (void)buf;
    (void)n;
    return 0;
}

void _exit(int code) __attribute__((noreturn));
void _exit(int code)
{
    board_exit(code);
}
int _kill(int pid, int sig);
int _kill(int pid, int sig)
{
    (void)pid;
    board_exit(128 + sig);
}
int _getpid(void);
int _getpid(void)
{
    return 1;
}
/* The start files define it on a hosted system; this firmware has none. */
void *__dso_handle = NULL;
