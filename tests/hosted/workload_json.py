"""Builds a large nested structure from a fixed seed, serialises it with
sorted keys, reads it back, and prints the text, its length and its SHA-256.
Run under the malloc shim and under glibc, the output must be identical."""
import hashlib
import json
import random
import sys


def build(rng, depth):
    kind = rng.randrange(6) if depth > 0 else rng.randrange(3)
    if kind == 0:
        return rng.randrange(-10**12, 10**12)
    if kind == 1:
        return "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.randrange(40)))
    if kind == 2:
        return rng.random()
    if kind in (3, 4):
        return {"k%05d" % rng.randrange(100000): build(rng, depth - 1) for _ in range(rng.randrange(12))}
    return [build(rng, depth - 1) for _ in range(rng.randrange(12))]


def main():
    rng = random.Random(20261126)
    tree = {"root%d" % i: build(rng, 6) for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 60)}
    text = json.dumps(tree, sort_keys=True, ensure_ascii=False)
    again = json.loads(text)
    assert again == tree
    # Many small objects freed and made again: the churn malloc sees.
    words = sorted(set(text.split(",")))
    sys.stdout.write(text[:100000])
    sys.stdout.write("\nlength %d, distinct fields %d\n" % (len(text), len(words)))
    sys.stdout.write("sha256 %s\n" % hashlib.sha256(text.encode("utf-8")).hexdigest())


main()
