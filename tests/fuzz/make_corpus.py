#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_model (tests/fuzz/corpus/): one input per
heap size range and per kind of operation mix, in the encoding of
tests/model/bh_model.c. Deterministic: rerunning gives the same files."""
import os
import random

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

ALLOC, CALLOC, ALIGNED, REALLOC, FREE, ADD_REGION, STATS, CHECK, MISUSE, EDGE = 0, 4, 5, 6, 8, 11, 12, 13, 14, 15


def size(rng, sel=None):
    sel = rng.randrange(8) if sel is None else sel
    return [(sel << 5) | rng.randrange(32), rng.randrange(256)]


def op(rng, kind, slots):
    s = rng.randrange(slots)
    if kind == ALLOC:
        return [ALLOC, s] + size(rng, rng.choice([0, 2, 4, 5]))
    if kind == CALLOC:
        return [CALLOC, s, rng.randrange(9)] + size(rng)
    if kind == ALIGNED:
        return [ALIGNED, s, rng.randrange(16)] + size(rng, rng.choice([0, 2, 4]))
    if kind == REALLOC:
        return [REALLOC, s] + size(rng, rng.choice([0, 2, 4, 5, 6]))
    if kind == FREE:
        return [FREE, s]
    if kind == ADD_REGION:
        return [ADD_REGION, rng.randrange(256)] + size(rng, rng.choice([2, 4]))
    if kind in (STATS, CHECK):
        return [kind]
    if kind == MISUSE:
        return [MISUSE, rng.randrange(4), s]
    return [EDGE, rng.randrange(4), s]


MIXES = {
    "alloc_free": [ALLOC] * 4 + [FREE] * 3,
    "realloc": [ALLOC, REALLOC, REALLOC, REALLOC, FREE],
    "aligned": [ALIGNED, ALIGNED, REALLOC, FREE],
    "calloc": [CALLOC, CALLOC, FREE, STATS],
    "regions": [ADD_REGION, ALLOC, ALLOC, REALLOC, FREE, CHECK],
    "misuse": [ALLOC, MISUSE, FREE, STATS],
    "edges": [ALLOC, EDGE, REALLOC, EDGE, FREE],
    "everything": [ALLOC, CALLOC, ALIGNED, REALLOC, FREE, ADD_REGION, STATS, CHECK, MISUSE, EDGE],
}


# Scenarios: short scripts that put a call on one path on purpose, which a
# random mix reaches only now and then. Slots 0..3 are the scenario's own,
# the others its guards (blocks that keep neighbours apart).

def raw(n):
    """size(2) of exactly n bytes (n < 8192)."""
    return [(4 << 5) | (n >> 8), n & 255]


def edge_size(rng):
    """A request whose block is at or next to a class boundary, for any
    grain (8..16), header word (4, 8) and second-level count (4..32)."""
    k = rng.randrange(5, 13)
    sl = 1 << rng.randrange(2, 6)
    j = rng.randrange(sl)
    block = (1 << k) + j * ((1 << k) // sl)
    n = block - rng.choice([4, 8]) + rng.choice([-16, -8, -1, 0, 1, 8, 16])
    return max(0, min(n, 8191))


def scenario_realloc_neighbours(rng, into_prev=False):
    """[a][b][c][guard] with a and/or c freed, the rest of the heap taken
    (so the growth that follows sets a new low-water mark: the heap's
    figures are kept since init, so only a heap's first run can show it),
    then b, plain or aligned, grown by a little more or less than its free
    neighbours hold: in place, into the previous block (with or without the
    next), or moved. into_prev: b plain, only a freed, grown by half of a."""
    ops = []
    n = [rng.choice([edge_size(rng), rng.randrange(1, 600)]) for _ in range(3)]
    if into_prev:
        n[0] = rng.randrange(100, 600)
    ops += [ALLOC, 0] + raw(n[0])
    if into_prev or rng.randrange(2):
        ops += [ALLOC, 1] + raw(n[1])
    else:
        ops += [ALIGNED, 1, rng.choice([7, 8])] + raw(n[1])
    ops += [ALLOC, 2] + raw(n[2])
    ops += [ALLOC, 4 + rng.randrange(4)] + raw(rng.randrange(64))
    for s in [0] if into_prev else rng.choice([[0], [2], [0, 2]]):
        ops += [FREE, s]
    if into_prev or rng.randrange(2):
        ops += [EDGE, 0, 3]
    room = n[0] + n[2] + 16
    grow = n[0] // 2 if into_prev else rng.randrange(-8, room + 24)
    ops += [REALLOC, 1] + raw(max(1, n[1] + grow))
    return ops + [CHECK]


def scenario_probe(rng):
    """Four or five blocks of one class (2048 and 2064 bytes: with a grain
    of 16 bytes or less, a class spans 64 bytes or more there) freed between guards
    with the rest of the heap taken, the largest freed first so that it ends
    up last on its list: the largest request the heap promises (edge 0) is
    then found by the last probe only."""
    count = rng.choice([4, 4, 5])
    ops = []
    for i in range(count):
        ops += [ALLOC, 8 + i] + raw(2056 if i == 0 else 2040) + [ALLOC, 16 + i] + raw(rng.randrange(32))
    ops += [EDGE, 0, 0]
    for i in range(count):
        ops += [FREE, 8 + i]
    ops += [CHECK, EDGE, 0, 1, EDGE, 0, 2]
    return ops


def scenario_double_free_merged(rng):
    """A block freed into a free neighbour, then freed again."""
    ops = [ALLOC, 0] + raw(rng.randrange(1, 300)) + [ALLOC, 1] + raw(rng.randrange(1, 300))
    ops += [ALLOC, 2] + raw(rng.randrange(1, 300)) + [ALLOC, 4] + raw(8)
    ops += [FREE, rng.choice([0, 2])]
    return ops + [MISUSE, 0, 1] + [MISUSE, 4, 4]


def scenario_near_full(rng):
    """A heap filled with blocks sized from its free space, then aligned
    requests and growth around largest_free_bytes."""
    ops = []
    for s in range(4, 4 + rng.randrange(3, 8)):
        ops += [ALLOC, s] + size(rng, rng.choice([5, 6]))
    for _ in range(rng.randrange(2, 6)):
        ops += [ALIGNED, rng.randrange(4), rng.randrange(2, 12)] + size(rng, 6)
        ops += [REALLOC, rng.randrange(4, 12)] + size(rng, 6)
        ops += [FREE, rng.randrange(4, 12)]
    return ops + [EDGE, 0, 3]


SCENARIOS = {
    "s_realloc": scenario_realloc_neighbours,
    "s_probe": scenario_probe,
    "s_double_free": scenario_double_free_merged,
    "s_near_full": scenario_near_full,
}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(20240601)
    for name, mix in MIXES.items():
        for heap_range in range(4):
            slots_nibble = rng.randrange(16)
            data = [(heap_range << 6) | rng.randrange(64), (slots_nibble << 4) | rng.randrange(16)]
            slots = 4 + slots_nibble * 16
            for _ in range(rng.randrange(40, 200)):
                data += op(rng, rng.choice(mix), slots)
            with open(os.path.join(OUT, "%s_%d" % (name, heap_range)), "wb") as f:
                f.write(bytes(data))
    # At least 32 slots (slot nibble 2 and up), so the guards have their
    # own; every scenario run many times on one heap, with everything freed
    # between runs (edge 2) so each starts from one free block.
    for name, scenario in SCENARIOS.items():
        for heap_range in range(4):
            data = [(heap_range << 6) | rng.randrange(64), ((2 + rng.randrange(14)) << 4) | rng.randrange(16)]
            if scenario is scenario_realloc_neighbours:
                data += scenario(rng, into_prev=True)
            for _ in range(60):
                data += scenario(rng)
                if rng.randrange(2):
                    data += [EDGE, 2, 0]
            with open(os.path.join(OUT, "%s_%d" % (name, heap_range)), "wb") as f:
                f.write(bytes(data))


if __name__ == "__main__":
    main()
