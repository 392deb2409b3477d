#include "mem_ranges.h"

#include "allocator.h"
#include "demo_workload.h"

static uintptr_t range_bytes(const mem_range *r)
{
    return r->hi - r->lo;
}

/* Removes range i (order does not matter). */
static void range_remove(mem_ranges *m, unsigned i)
{
    m->count--;
    m->ranges[i] = m->ranges[m->count];
}

/* Keeps [lo, hi), which overlaps and touches no range: in a free slot, or
 * when all are used in place of the smallest range if that is smaller. The
 * range not kept is counted as dropped. */
static void range_store(mem_ranges *m, uintptr_t lo, uintptr_t hi)
{
    unsigned i, smallest = 0;
    if (m->count < MEM_RANGES_MAX) {
        m->ranges[m->count].lo = lo;
        m->ranges[m->count].hi = hi;
        m->count++;
        return;
    }
    for (i = 1; i < m->count; i++) {
        if (range_bytes(&m->ranges[i]) < range_bytes(&m->ranges[smallest])) {
            smallest = i;
        }
    }
    if (range_bytes(&m->ranges[smallest]) < hi - lo) {
        m->dropped_bytes += range_bytes(&m->ranges[smallest]);
        m->ranges[smallest].lo = lo;
        m->ranges[smallest].hi = hi;
    } else {
        m->dropped_bytes += hi - lo;
    }
}

void mem_ranges_add(mem_ranges *m, uintptr_t lo, uintptr_t hi)
{
    unsigned i = 0;
    if (hi <= lo) {
        return;
    }
    /* One pass: the kept ranges neither overlap nor touch, so a range that
     * touches the union grown so far touched it before it grew. */
    while (i < m->count) {
        const mem_range r = m->ranges[i];
        if (r.lo <= hi && lo <= r.hi) {
            lo = r.lo < lo ? r.lo : lo;
            hi = r.hi > hi ? r.hi : hi;
            range_remove(m, i);
        } else {
            i++;
        }
    }
    range_store(m, lo, hi);
}

void mem_ranges_take(mem_ranges *m, uintptr_t lo, uintptr_t hi)
{
    unsigned i = 0;
    if (hi <= lo) {
        return;
    }
    while (i < m->count) {
        const mem_range r = m->ranges[i];
        if (hi <= r.lo || lo >= r.hi) {
            i++;
        } else if (lo <= r.lo && hi >= r.hi) {
            range_remove(m, i); /* all of it; the last range moved to i */
        } else {
            /* A part below, a part above, or both (the range splits; the
             * part above lies beyond [lo, hi), so visiting it is harmless). */
            m->ranges[i].lo = lo > r.lo ? r.lo : hi;
            m->ranges[i].hi = lo > r.lo ? lo : r.hi;
            if (lo > r.lo && hi < r.hi) {
                range_store(m, hi, r.hi);
            }
            i++;
        }
    }
}

unsigned mem_ranges_to_heap(const mem_ranges *m, size_t min_bytes)
{
    uint32_t given = 0; /* bit i: range i handled */
    unsigned i, k, regions = 0;
    for (k = 0; k < m->count; k++) {
        unsigned largest = MEM_RANGES_MAX;
        uintptr_t lo, hi;
        for (i = 0; i < m->count; i++) {
            if ((given & ((uint32_t)1 << i)) == 0u &&
                (largest == MEM_RANGES_MAX || range_bytes(&m->ranges[i]) > range_bytes(&m->ranges[largest]))) {
                largest = i;
            }
        }
        given |= (uint32_t)1 << largest;
        lo = m->ranges[largest].lo;
        hi = m->ranges[largest].hi;
        if (k == 0u) {
            if (!heap_init((void *)lo, hi - lo)) {
                return 0;
            }
            demo_put_line("heap_init at     ", lo, 16u);
            demo_put_line("          bytes  ", hi - lo, 10u);
            regions = 1;
        } else if (hi - lo < min_bytes) {
            break; /* and so are the rest */
        } else if (heap_add_region((void *)lo, hi - lo)) {
            demo_put_line("heap_add_region  ", lo, 16u);
            demo_put_line("          bytes  ", hi - lo, 10u);
            regions++;
        } else {
            demo_put_line("region refused   ", lo, 16u);
        }
    }
    if (m->dropped_bytes != 0u) {
        demo_put_line("bytes dropped    ", m->dropped_bytes, 10u);
    }
    return regions;
}
