#include "mem_ranges.h"

#include "allocator.h"
#include "demo_workload.h"

void mem_ranges_add(mem_ranges *m, uintptr_t lo, uintptr_t hi)
{
    if (hi > lo && m->count < MEM_RANGES_MAX) {
        m->ranges[m->count].lo = lo;
        m->ranges[m->count].hi = hi;
        m->count++;
    }
}

void mem_ranges_take(mem_ranges *m, uintptr_t lo, uintptr_t hi)
{
    unsigned i, n = m->count;
    if (hi <= lo) {
        return;
    }
    for (i = 0; i < n; i++) {
        mem_range r = m->ranges[i];
        if (hi <= r.lo || lo >= r.hi) {
            continue;
        }
        m->ranges[i].hi = lo > r.lo ? lo : r.lo;      /* the part below (maybe empty) */
        mem_ranges_add(m, hi < r.hi ? hi : r.hi, r.hi); /* the part above */
    }
}

unsigned mem_ranges_to_heap(const mem_ranges *m, size_t min_bytes)
{
    unsigned i, largest = 0, regions = 1;
    for (i = 0; i < m->count; i++) {
        if (m->ranges[i].hi - m->ranges[i].lo > m->ranges[largest].hi - m->ranges[largest].lo) {
            largest = i;
        }
    }
    if (m->count == 0u || !heap_init((void *)m->ranges[largest].lo, m->ranges[largest].hi - m->ranges[largest].lo)) {
        return 0;
    }
    demo_put_line("heap_init at     ", m->ranges[largest].lo, 16u);
    demo_put_line("          bytes  ", m->ranges[largest].hi - m->ranges[largest].lo, 10u);
    for (i = 0; i < m->count; i++) {
        uintptr_t lo = m->ranges[i].lo, hi = m->ranges[i].hi;
        if (i == largest || hi == lo || hi - lo < min_bytes) {
            continue;
        }
        if (heap_add_region((void *)lo, hi - lo)) {
            demo_put_line("heap_add_region  ", lo, 16u);
            demo_put_line("          bytes  ", hi - lo, 10u);
            regions++;
        } else {
            demo_put_line("region refused   ", lo, 16u);
        }
    }
    return regions;
}
