/*
 * Forced into every source of the shim's ThreadSanitizer build (-include):
 * its entry points under other names, so that the shim is an ordinary
 * library beside the sanitizer's own malloc and test_shim_tsan calls it by
 * these names. Defined before any header, so libc's declarations are renamed
 * with the definitions.
 */
#ifndef SHIM_TSAN_NAMES_H
#define SHIM_TSAN_NAMES_H
#define malloc tsan_malloc
#define free tsan_free
#define calloc tsan_calloc
#define realloc tsan_realloc
#define reallocarray tsan_reallocarray
#define posix_memalign tsan_posix_memalign
#define aligned_alloc tsan_aligned_alloc
#define memalign tsan_memalign
#define valloc tsan_valloc
#define pvalloc tsan_pvalloc
#define malloc_usable_size tsan_malloc_usable_size
#define malloc_trim tsan_malloc_trim
#define __libc_malloc tsan_libc_malloc
#define __libc_free tsan_libc_free
#define __libc_calloc tsan_libc_calloc
#define __libc_realloc tsan_libc_realloc
#define __libc_memalign tsan_libc_memalign
#define __libc_valloc tsan_libc_valloc
#define __libc_pvalloc tsan_libc_pvalloc
#define cfree tsan_cfree
#endif
