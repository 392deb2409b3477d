/*
 * The fragmentation run (see frag.h): one source for the host driver and the
 * bare-metal firmware, so that the 64-bit, the qemu-i386 and the Cortex-M4
 * figures come from the same loop and the same seeds.
 *
 * Output goes through frag_print() one line at a time, formatted here without
 * a C library (the firmware has none): unsigned integers in decimal, ratios
 * with a fixed number of decimals, rounded half up.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bareheap.h"
#include "bareheap_config.h" /* the option values, for the summary line */
#include "frag.h"
#include "rng.h"

/* Aligned as a linker script would place a heap, so that bh_init() loses
 * nothing to aligning its start on any build (the slack is for a larger
 * BAREHEAP_ALIGN_BYTES). */
static unsigned char frag_region[FRAG_MAX_REGION + 64u] __attribute__((aligned(16)));
static void *frag_ptr[FRAG_MAX_LIVE];
static uint32_t frag_req[FRAG_MAX_LIVE];

/* ---- Output lines ----------------------------------------------------------- */

typedef struct out_line {
    char text[512];
    size_t len;
} out_line;

static void out_str(out_line *l, const char *s) {
    while (*s != '\0' && l->len + 2u < sizeof l->text)
        l->text[l->len++] = *s++;
}

static void out_uint(out_line *l, uint64_t v) {
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    while (n > 0u && l->len + 2u < sizeof l->text)
        l->text[l->len++] = digits[--n];
}

/* v >= 0 with the given decimals (at most 6), rounded half up. */
static void out_fixed(out_line *l, double v, unsigned decimals) {
    uint64_t scale = 1, scaled, frac;
    unsigned i;
    char digits[6];
    for (i = 0; i < decimals; i++)
        scale *= 10u;
    scaled = v > 0.0 ? (uint64_t)(v * (double)scale + 0.5) : 0u;
    out_uint(l, scaled / scale);
    if (decimals == 0u)
        return;
    out_str(l, ".");
    frac = scaled % scale;
    for (i = decimals; i > 0u; i--) {
        digits[i - 1u] = (char)('0' + (int)(frac % 10u));
        frac /= 10u;
    }
    for (i = 0; i < decimals && l->len + 2u < sizeof l->text; i++)
        l->text[l->len++] = digits[i];
}

/* " key=" then the value. */
static void out_key_uint(out_line *l, const char *key, uint64_t v) {
    out_str(l, " ");
    out_str(l, key);
    out_str(l, "=");
    out_uint(l, v);
}

static void out_key_fixed(out_line *l, const char *key, double v, unsigned decimals) {
    out_str(l, " ");
    out_str(l, key);
    out_str(l, "=");
    out_fixed(l, v, decimals);
}

static void out_end(out_line *l) {
    l->text[l->len++] = '\n';
    l->text[l->len] = '\0';
    frag_print(l->text);
    l->len = 0;
}

static void print_error(const char *what) {
    out_line l = {{0}, 0};
    out_str(&l, "frag: error: ");
    out_str(&l, what);
    out_end(&l);
}

/* ---- The run ------------------------------------------------------------------ */

struct fit_search {
    size_t request;
    size_t fitting; /* free blocks with usable >= request */
    size_t largest_usable;
};

static bool frag_walk(void *ctx, const bh_block_info *b) {
    struct fit_search *f = ctx;
    if (!b->used) {
        if (b->usable_bytes >= f->request)
            f->fitting++;
        if (b->usable_bytes > f->largest_usable)
            f->largest_usable = b->usable_bytes;
    }
    return true;
}

int frag_run(size_t region, uint32_t lo, uint32_t hi, unsigned seeds, uint32_t p_alloc_pct, frag_totals *totals) {
    unsigned s;
    double sum_ratio = 0, min_ratio = 1, max_ratio = 0, sum_used = 0;
    frag_totals t = {0, 0, 0};
    out_line l = {{0}, 0};
    int status = 0;

    if (region > FRAG_MAX_REGION) {
        print_error("region larger than FRAG_MAX_REGION");
        status = 2;
        seeds = 0;
    }
    for (s = 0; s < seeds && status == 0; s++) {
        size_t live = 0, live_bytes = 0;
        uint64_t ops = 0;
        uint64_t rng = 0xF4A6000000ull + (uint64_t)s;
        bh_heap *h = bh_init(frag_region, region);
        t.seeds++;
        if (!h) {
            print_error("bh_init failed");
            status = 2;
            break;
        }
        for (;;) {
            ops++;
            if (live == 0 || bench_rng_below(&rng, 100) < p_alloc_pct) {
                uint32_t n = bench_size_log_uniform(&rng, lo, hi);
                void *p = bh_alloc(h, n);
                if (!p) {
                    struct fit_search f = {n, 0, 0};
                    bh_stats st;
                    double ratio = (double)live_bytes / (double)region;
                    double used_ratio;
                    bh_walk(h, frag_walk, &f);
                    bh_get_stats(h, &st);
                    used_ratio = (double)st.used_bytes / (double)region;
                    out_str(&l, "R mode=frag alloc=bareheap");
                    out_key_uint(&l, "region", region);
                    out_key_uint(&l, "lo", lo);
                    out_key_uint(&l, "hi", hi);
                    out_key_uint(&l, "seed", s);
                    out_key_uint(&l, "ops", ops);
                    out_key_uint(&l, "live_blocks", live);
                    out_key_uint(&l, "live_req", live_bytes);
                    out_key_fixed(&l, "ratio", ratio, 4);
                    out_key_fixed(&l, "used_ratio", used_ratio, 4);
                    out_key_uint(&l, "request", n);
                    out_key_uint(&l, "free_bytes", st.free_bytes);
                    out_key_uint(&l, "free_blocks", st.free_blocks);
                    out_key_uint(&l, "largest_usable", f.largest_usable);
                    out_key_uint(&l, "fitting_free", f.fitting);
                    out_key_uint(&l, "control", st.control_bytes);
                    out_key_fixed(&l, "overhead_per_block",
                                  live ? (double)(st.used_bytes - live_bytes) / (double)live : 0.0, 2);
                    out_end(&l);
                    sum_ratio += ratio;
                    sum_used += used_ratio;
                    if (ratio < min_ratio)
                        min_ratio = ratio;
                    if (ratio > max_ratio)
                        max_ratio = ratio;
                    t.reached++;
                    if (f.fitting)
                        t.false_failures++;
                    break;
                }
                if (live >= FRAG_MAX_LIVE) {
                    print_error("more live blocks than FRAG_MAX_LIVE");
                    status = 2;
                    break;
                }
                frag_ptr[live] = p;
                frag_req[live] = n;
                live++;
                live_bytes += n;
            } else {
                size_t k = bench_rng_below(&rng, (uint32_t)live);
                bh_free(h, frag_ptr[k]);
                live_bytes -= frag_req[k];
                live--;
                frag_ptr[k] = frag_ptr[live];
                frag_req[k] = frag_req[live];
            }
        }
    }
    if (t.reached > 0u) {
        out_str(&l, "R mode=fragsum alloc=bareheap");
        out_key_uint(&l, "bits", (unsigned)(sizeof(void *) * 8u));
        out_key_uint(&l, "align", bh_alignment());
        out_key_uint(&l, "sl_log2", BAREHEAP_SL_LOG2);
        out_key_uint(&l, "probe", BAREHEAP_PROBE_LIMIT);
        out_key_uint(&l, "region", region);
        out_key_uint(&l, "lo", lo);
        out_key_uint(&l, "hi", hi);
        out_key_uint(&l, "seeds", t.reached);
        out_key_uint(&l, "p_alloc", p_alloc_pct);
        out_key_fixed(&l, "mean_ratio", sum_ratio / t.reached, 4);
        out_key_fixed(&l, "min_ratio", min_ratio, 4);
        out_key_fixed(&l, "max_ratio", max_ratio, 4);
        out_key_fixed(&l, "mean_used_ratio", sum_used / t.reached, 4);
        out_key_uint(&l, "false_failures", t.false_failures);
        out_key_uint(&l, "control", bh_control_size(region));
        out_end(&l);
    }
    if (totals)
        *totals = t;
    return status;
}
