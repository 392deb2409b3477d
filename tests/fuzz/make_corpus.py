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


if __name__ == "__main__":
    main()
