/*
 * Portable memcpy, memmove, memset and memcmp, for firmware whose toolchain
 * has no C library. bareheap itself needs memcpy/memmove/memset; compilers also
 * emit calls to all four from plain C (struct copies, initialisers).
 *
 * Link it only when nothing else defines these functions. On GCC and clang they
 * are weak, so a stronger definition elsewhere (an optimised libc, a vendor
 * SDK) wins without a multiple-definition error.
 *
 * Build it with -fno-builtin, and on GCC with -fno-tree-loop-distribute-patterns
 * (the CMake target bareheap_libc does): otherwise the compiler may recognise a
 * copy loop and replace it with a call to memcpy, i.e. to itself. The GCC
 * attribute below covers builds that forget the flag.
 *
 * Copies go a word at a time when source and destination share their alignment,
 * a byte at a time otherwise and at the edges. Only C99 and <stddef.h>/<stdint.h>.
 *
 * For testing on a hosted system, define BH_LIBC_PREFIX (for example to bh_test_)
 * to give the functions prefixed names that do not replace the host C library's.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef BH_LIBC_PREFIX
#define BH_LIBC_CAT2(a, b) a##b
#define BH_LIBC_CAT(a, b) BH_LIBC_CAT2(a, b)
#define BH_LIBC_NAME(name) BH_LIBC_CAT(BH_LIBC_PREFIX, name)
#else
#define BH_LIBC_NAME(name) name
#endif

#if defined(__GNUC__) || defined(__clang__)
#define BH_LIBC_WEAK __attribute__((__weak__))
/* Word accesses may alias any object, as bytes do. */
typedef uintptr_t __attribute__((__may_alias__)) bh_word;
#else
#define BH_LIBC_WEAK
typedef uintptr_t bh_word;
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define BH_LIBC_NO_PATTERNS __attribute__((__optimize__("no-tree-loop-distribute-patterns")))
#else
#define BH_LIBC_NO_PATTERNS
#endif

#define BH_WORD_SIZE sizeof(bh_word)
#define BH_WORD_MASK ((uintptr_t)(BH_WORD_SIZE - 1u))

void *BH_LIBC_NAME(memcpy)(void *restrict dst, const void *restrict src, size_t n);
void *BH_LIBC_NAME(memmove)(void *dst, const void *src, size_t n);
void *BH_LIBC_NAME(memset)(void *dst, int c, size_t n);
int BH_LIBC_NAME(memcmp)(const void *a, const void *b, size_t n);

/* Forward copy; correct for overlapping buffers when dst is below src. */
BH_LIBC_NO_PATTERNS static void bh_copy_forward(unsigned char *d, const unsigned char *s,
                                                size_t n)
{
    if ((((uintptr_t)d ^ (uintptr_t)s) & BH_WORD_MASK) == 0u) {
        while (n > 0u && ((uintptr_t)d & BH_WORD_MASK) != 0u) {
            *d++ = *s++;
            n--;
        }
        {
            bh_word *dw = (bh_word *)(void *)d;
            const bh_word *sw = (const bh_word *)(const void *)s;
            while (n >= BH_WORD_SIZE) {
                *dw++ = *sw++;
                n -= BH_WORD_SIZE;
            }
            d = (unsigned char *)dw;
            s = (const unsigned char *)sw;
        }
    }
    while (n > 0u) {
        *d++ = *s++;
        n--;
    }
}

/* Backward copy of n bytes ending at d + n and s + n; correct for overlapping
 * buffers when dst is above src. */
BH_LIBC_NO_PATTERNS static void bh_copy_backward(unsigned char *d, const unsigned char *s,
                                                 size_t n)
{
    d += n;
    s += n;
    if ((((uintptr_t)d ^ (uintptr_t)s) & BH_WORD_MASK) == 0u) {
        while (n > 0u && ((uintptr_t)d & BH_WORD_MASK) != 0u) {
            *--d = *--s;
            n--;
        }
        {
            bh_word *dw = (bh_word *)(void *)d;
            const bh_word *sw = (const bh_word *)(const void *)s;
            while (n >= BH_WORD_SIZE) {
                *--dw = *--sw;
                n -= BH_WORD_SIZE;
            }
            d = (unsigned char *)dw;
            s = (const unsigned char *)sw;
        }
    }
    while (n > 0u) {
        *--d = *--s;
        n--;
    }
}

BH_LIBC_WEAK BH_LIBC_NO_PATTERNS void *BH_LIBC_NAME(memcpy)(void *restrict dst,
                                                            const void *restrict src, size_t n)
{
    bh_copy_forward((unsigned char *)dst, (const unsigned char *)src, n);
    return dst;
}

BH_LIBC_WEAK BH_LIBC_NO_PATTERNS void *BH_LIBC_NAME(memmove)(void *dst, const void *src,
                                                             size_t n)
{
    /* Compared as integers: relational operators on pointers into different
     * objects are undefined. If dst - src, taken modulo 2^N, is at least n, then
     * either dst is below src or the buffers do not overlap: copy forwards. */
    if ((uintptr_t)dst - (uintptr_t)src >= (uintptr_t)n) {
        bh_copy_forward((unsigned char *)dst, (const unsigned char *)src, n);
    } else {
        bh_copy_backward((unsigned char *)dst, (const unsigned char *)src, n);
    }
    return dst;
}

BH_LIBC_WEAK BH_LIBC_NO_PATTERNS void *BH_LIBC_NAME(memset)(void *dst, int c, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    const unsigned char byte = (unsigned char)c;

    while (n > 0u && ((uintptr_t)d & BH_WORD_MASK) != 0u) {
        *d++ = byte;
        n--;
    }
    if (n >= BH_WORD_SIZE) {
        /* byte repeated in every byte of a word: 0x0101...01 * byte. */
        const bh_word pattern = (bh_word)((~(uintptr_t)0 / 0xFFu) * (uintptr_t)byte);
        bh_word *dw = (bh_word *)(void *)d;
        while (n >= BH_WORD_SIZE) {
            *dw++ = pattern;
            n -= BH_WORD_SIZE;
        }
        d = (unsigned char *)dw;
    }
    while (n > 0u) {
        *d++ = byte;
        n--;
    }
    return dst;
}

BH_LIBC_WEAK BH_LIBC_NO_PATTERNS int BH_LIBC_NAME(memcmp)(const void *a, const void *b, size_t n)
{
    const unsigned char *pa = (const unsigned char *)a;
    const unsigned char *pb = (const unsigned char *)b;

    while (n > 0u) {
        if (*pa != *pb) {
            return (int)*pa - (int)*pb;
        }
        pa++;
        pb++;
        n--;
    }
    return 0;
}
