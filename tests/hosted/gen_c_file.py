"""Writes a C file of a few thousand lines for the compiler test: structs,
switch tables, loops and string tables, from a fixed seed."""
import random
import sys

rng = random.Random(5)
out = []
w = out.append
w("#include <stddef.h>\n#include <string.h>\n")
for s in range(60):
    w("struct s%d {" % s)
    for f in range(rng.randrange(2, 9)):
        w("    %s f%d;" % (rng.choice(["int", "long", "double", "char *", "unsigned char"]), f))
    w("};")
for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 300):
    w("static const char *names_%d[] = {%s};" % (i, ", ".join('"n%d_%d"' % (i, k) for k in range(rng.randrange(2, 8)))))
    w("long f%d(long x, long y) {" % i)
    w("    long acc = %d;" % rng.randrange(1000))
    w("    for (long k = 0; k < x; k++) {")
    w("        switch ((k ^ y) & 7) {")
    for c in range(8):
        w("        case %d: acc = acc * %d + (k >> %d) - y; break;" % (c, rng.randrange(1, 99), rng.randrange(1, 9)))
    w("        }")
    w("        if (acc > %d) acc -= (long)strlen(names_%d[k %% (sizeof names_%d / sizeof *names_%d)]);" % (rng.randrange(10**6), i, i, i))
    w("    }")
    if i:
        w("    return acc + (x > 1 ? f%d(x - 1, y ^ acc) : 0);" % rng.randrange(i))
    else:
        w("    return acc;")
    w("}")
w("long run(void) { long t = 0;")
for i in range(0, int(sys.argv[1]) if len(sys.argv) > 1 else 300, 7):
    w("    t += f%d(%d, t);" % (i, rng.randrange(1, 5)))
w("    return t; }")
sys.stdout.write("\n".join(out) + "\n")
