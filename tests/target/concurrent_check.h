/*
 * For the firmware that runs heap calls from two contexts at once
 * (isr_heap.c: a program and an interrupt handler; smp_heap.c: two harts):
 * a small random generator, the tags each context writes into its blocks and
 * checks before freeing them, a random step on a context's blocks, their
 * release, and console lines with a number.
 */
#ifndef BAREHEAP_TEST_CONCURRENT_CHECK_H
#define BAREHEAP_TEST_CONCURRENT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bareheap.h"
#include "board.h"

/* xorshift32: x must start non-zero. */
static inline uint32_t rng_next(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static inline bool tag_intact(const unsigned char *p, size_t n, unsigned char tag)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (p[i] != tag) {
            return false;
        }
    }
    return true;
}

static inline void tag_fill(unsigned char *p, size_t n, unsigned char tag)
{
    size_t i;
    for (i = 0; i < n; i++) {
        p[i] = tag;
    }
}

/* One random step on slots[0..count) of blocks of heap, chosen by r:
 * slot r % count, tagged tag_base + that index, is checked and then resized
 * (one step in four, to 1..max_bytes, the kept bytes checked) or freed, or,
 * if empty, filled by a new block of 1..max_bytes. Returns the number of
 * blocks found changed (0 to 2). */
static inline unsigned slot_step(bh_heap *heap, unsigned char **slot, size_t *size, unsigned count, uint32_t r,
                                 unsigned tag_base, size_t max_bytes)
{
    unsigned k = r % count, damaged = 0;
    unsigned char tag = (unsigned char)(tag_base + k);
    size_t n = 1u + (r >> 12) % max_bytes;
    if (slot[k] == NULL) {
        slot[k] = bh_alloc(heap, n);
        size[k] = n;
        if (slot[k] != NULL) {
            tag_fill(slot[k], n, tag);
        }
        return 0;
    }
    if (!tag_intact(slot[k], size[k], tag)) {
        damaged++;
    }
    if ((r >> 8) % 4u == 0u) {
        unsigned char *q = bh_realloc(heap, slot[k], n);
        if (q != NULL) {
            if (!tag_intact(q, n < size[k] ? n : size[k], tag)) {
                damaged++;
            }
            tag_fill(q, n, tag);
            slot[k] = q;
            size[k] = n;
        }
        return damaged;
    }
    bh_free(heap, slot[k]);
    slot[k] = NULL;
    return damaged;
}

/* Frees every block of slots[0..count), each checked for its tag as
 * slot_step() wrote it; returns the number found changed. */
static inline unsigned slots_free(bh_heap *heap, unsigned char **slot, const size_t *size, unsigned count,
                                  unsigned tag_base)
{
    unsigned k, damaged = 0;
    for (k = 0; k < count; k++) {
        if (slot[k] != NULL && !tag_intact(slot[k], size[k], (unsigned char)(tag_base + k))) {
            damaged++;
        }
        bh_free(heap, slot[k]);
        slot[k] = NULL;
    }
    return damaged;
}

static inline void say(const char *text)
{
    size_t n = 0;
    while (text[n] != '\0') {
        n++;
    }
    board_write(text, n);
}

/* label, then v in decimal. */
static inline void say_num(const char *label, uint32_t v)
{
    char digits[11];
    unsigned n = 0;
    say(label);
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n > 0u) {
        board_write(&digits[--n], 1);
    }
}

#endif
