/* Enough of a firmware to make the core's realloc copy (memcpy/memmove) and
 * calloc's zeroing (memset) part of the link. */
#include "bareheap.h"

static unsigned char heap_area[8192];
void reset_handler(void);

void reset_handler(void)
{
    bh_heap *heap = bh_init(heap_area, sizeof heap_area);
    void *p = bh_calloc(heap, 4, 10);
    p = bh_realloc(heap, p, 100);
    bh_free(heap, p);
    for (;;) {
    }
}
