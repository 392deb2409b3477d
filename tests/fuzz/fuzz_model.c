/*
 * libFuzzer entry point: the fuzz input is a heap configuration and a program
 * for the model interpreter (tests/model/bh_model.h), which checks every
 * answer of the heap against its reference model. Built with
 * -fsanitize=fuzzer,address,undefined; any model failure aborts with the
 * step, the operation and the property that failed.
 *
 * Input: byte 0 picks the heap size (a few hundred bytes past the control
 * structure up to 1 MiB, or up to FUZZ_HEAP_CAP_BYTES where it is defined),
 * byte 1 its misalignment and slot count, the rest is the operation sequence.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bh_model.h"

#define HEAP_MAX_BYTES ((size_t)1 << 20)
#define ARENA_BYTES (HEAP_MAX_BYTES + ((size_t)256 << 10))

static union {
    long double ld;
    void *p;
    unsigned char b[ARENA_BYTES];
} arena;

static bhm_model model;

static void on_failure(void *context, const bhm_failure *f) {
    (void)context;
    fprintf(stderr, "bareheap model: step %lu (%s): %s [0x%jx 0x%jx]\n", f->step, f->op, f->what,
            (uintmax_t)f->a, (uintmax_t)f->b);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bhm_options opt;
    size_t heap_bytes, offset;
    unsigned pick;
    if (size < 2)
        return 0;
    pick = data[0];
    switch (pick >> 6) {
    case 0: heap_bytes = bhm_min_heap_bytes() + (pick & 63u) * 16u; break;     /* a few hundred bytes */
    case 1: heap_bytes = 4096u + (pick & 63u) * 256u; break;                    /* 4..20 KiB */
    case 2: heap_bytes = 65536u + (pick & 63u) * 4096u; break;                   /* 64..316 KiB */
    default: heap_bytes = HEAP_MAX_BYTES - (pick & 63u) * 64u; break;            /* ~1 MiB */
    }
#ifdef FUZZ_HEAP_CAP_BYTES
    /* For campaigns at BAREHEAP_DEBUG >= 2, whose bh_check() after every
     * step scans every free byte: a smaller largest heap runs far more
     * inputs (-DFUZZ_HEAP_CAP_BYTES=32768, say). */
    if (heap_bytes > (size_t)(FUZZ_HEAP_CAP_BYTES))
        heap_bytes = (size_t)(FUZZ_HEAP_CAP_BYTES) > bhm_min_heap_bytes() ? (size_t)(FUZZ_HEAP_CAP_BYTES)
                                                                           : bhm_min_heap_bytes();
#endif
    offset = data[1] & 15u;
    opt.slots = 4u + (data[1] >> 4) * 16u; /* 4..244 */
    opt.check_every = 1;
    opt.misuse = true;
    opt.fail = on_failure;
    opt.fail_context = NULL;
    if (!bhm_init(&model, &opt, arena.b, sizeof arena.b, offset, heap_bytes))
        abort();
    if (!bhm_run(&model, data + 2, size - 2) || !bhm_finish(&model))
        abort();
    return 0;
}
