/* setjmp/longjmp for targets without a C library: GCC's own
 * __builtin_setjmp/__builtin_longjmp (a five-word buffer). As with them,
 * longjmp must not be called from the function that called setjmp, and
 * setjmp returns 1 after any longjmp. */
#ifndef BAREHEAP_TARGET_SETJMP_H
#define BAREHEAP_TARGET_SETJMP_H

typedef void *jmp_buf[5];

#define setjmp(env) __builtin_setjmp(env)
#define longjmp(env, value) ((void)(value), __builtin_longjmp((env), 1))

#endif
