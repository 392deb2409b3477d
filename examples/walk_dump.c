/*
 * The bh_walk() dump of the examples (format in walk_dump.h). Runs on the
 * host and on the bare-metal boards alike: numbers are formatted here, text
 * leaves through the caller's write function.
 */
#include <stdbool.h>
#include <stdint.h>

#include "walk_dump.h"

typedef struct dump_context {
    walk_dump_write_fn write_fn;
    size_t blocks;
} dump_context;

static void text_put(walk_dump_write_fn write_fn, const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    write_fn(s, n);
}

static void number_put(walk_dump_write_fn write_fn, uintptr_t v, unsigned base)
{
    /* Up to three decimal digits a byte (20 for a 64-bit v), or "0x" and
     * two hex digits a byte. */
    char buf[3 * sizeof v + 2];
    size_t n = sizeof buf;
    do {
        unsigned d = (unsigned)(v % base);
        buf[--n] = (char)(d < 10u ? '0' + d : 'a' + d - 10u);
        v /= base;
    } while (v != 0u);
    if (base == 16u) {
        buf[--n] = 'x';
        buf[--n] = '0';
    }
    write_fn(&buf[n], sizeof buf - n);
}

static bool dump_block(void *context, const bh_block_info *b)
{
    dump_context *d = (dump_context *)context;
    /* The block starts one header word before its payload (the layout in
     * src/bareheap_internal.h): the map is drawn from block addresses. */
    uintptr_t start = (uintptr_t)b->ptr - sizeof(size_t);
    text_put(d->write_fn, "bh-walk block ");
    number_put(d->write_fn, start, 16u);
    text_put(d->write_fn, " ");
    number_put(d->write_fn, b->size_bytes, 10u);
    text_put(d->write_fn, b->used ? " used " : " free ");
    number_put(d->write_fn, b->region, 10u);
    text_put(d->write_fn, "\n");
    d->blocks++;
    return true;
}

size_t walk_dump_print(bh_heap *heap, walk_dump_write_fn write_fn)
{
    dump_context d;
    bh_stats s;
    if (!bh_get_stats(heap, &s)) {
        return 0;
    }
    d.write_fn = write_fn;
    d.blocks = 0;
    text_put(write_fn, "bh-walk begin word=");
    number_put(write_fn, sizeof(size_t), 10u);
    text_put(write_fn, " align=");
    number_put(write_fn, bh_alignment(), 10u);
    text_put(write_fn, " heap=");
    number_put(write_fn, s.heap_bytes, 10u);
    text_put(write_fn, " control=");
    number_put(write_fn, s.control_bytes, 10u);
    text_put(write_fn, "\n");
    (void)bh_walk(heap, dump_block, &d);
    text_put(write_fn, "bh-walk end blocks=");
    number_put(write_fn, d.blocks, 10u);
    text_put(write_fn, "\n");
    return d.blocks;
}
