#!/usr/bin/env python3
"""Builds and runs the bareheap benchmarks, writes docs/bench/results.md and plots.

    python3 bench/run_bench.py              (what `make bench` runs)
    python3 bench/run_bench.py --quick      fewer repetitions, for a smoke test
    python3 bench/run_bench.py --only frag  the fragmentation runs alone: prints
                                            their tables, leaves docs/ alone

Every figure comes from bench/bench.c, built once per allocator and, for
bareheap, once per configuration:
  - 64-bit host builds of bareheap (every BAREHEAP_SL_LOG2 / BAREHEAP_PROBE_LIMIT
    pair of the trade-off table), of bench/halffit.c (the half-fit algorithm
    o1heap uses, for the figures o1heap's published ones do not cover) and of
    the driver linked against glibc, jemalloc, mimalloc and tcmalloc;
  - 32-bit builds (gcc -m32, run under qemu-i386) for fragmentation: the x86
    default alignment (16) and 8-byte alignment, the Cortex-M model;
  - the same fragmentation runs as Cortex-M4 firmware (bench/frag.c, the
    driver's own source for them, with bench/frag_firmware.c), built by CMake
    with cmake/toolchain-cortex-m4f.cmake and run on QEMU's mps2-an386.
Instructions per call come from callgrind (deterministic); times from the
clock and the cycle counter are printed, never judged. The worst case per call
of each configuration of the trade-off table comes from tools/wcet.sh (QEMU's
instruction trace on Cortex-M3 and RV32, as `make wcet` counts the default).
"""
import argparse
import concurrent.futures
import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "bench")
OUT = os.path.join(ROOT, "docs", "bench")
JOBS = max(1, os.cpu_count() or 1)

CFLAGS = ["-O2", "-g", "-std=c99"]
# The driver's bench_* wrappers must keep their frames: callgrind then
# attributes everything below them to the call being measured.
DRIVER_FLAGS = ["-fno-optimize-sibling-calls", "-Wall", "-Wextra"]

HOSTED = ["glibc", "jemalloc", "mimalloc", "tcmalloc"]
WORKLOADS = ["small", "mixed", "realloc"]  # bench.c's, each run in a process of its own
# half-fit: bench/halffit.c, o1heap's algorithm, standing in for o1heap (not built here).
ALLOCATORS = ["bareheap", "half-fit"] + HOSTED
# The label of the time records of bareheap with BAREHEAP_BRANCHLESS_LISTS=0.
BRANCHES = "bareheap-branches"
SL_VALUES = [2, 3, 4, 5]
PROBE_VALUES = [1, 4, 8]
DEFAULT_SL, DEFAULT_PROBE = 4, 4

FRAG_RUNS = [  # (region bytes, smallest, largest request)
    (1 << 20, 16, 8192),
    (64 << 10, 8, 512),
]
FRAG_SEEDS = 20
# The probe limit sweep: false failures are rare, so many seeds, and shapes
# beyond FRAG_RUNS; the default SL_LOG2, 32-bit with 8-byte alignment.
PROBE_SWEEP = [1, 2, 3, 4, 8]
SWEEP_RUNS = FRAG_RUNS + [
    (16 << 10, 8, 256),
    (64 << 10, 16, 4096),
    (256 << 10, 16, 16384),
    (1 << 20, 8, 512),
    (1 << 20, 64, 65536),
]
SWEEP_SEEDS = 1000
FRAG_P_ALLOC = 55  # percent of steps that allocate (frag.h's default)
# Copied to the snapshot for the firmware tree (bench/firmware.cmake).
FIRMWARE_SOURCES = ("firmware.cmake", "frag.c", "frag.h", "frag_firmware.c", "rng.h")
# And for the worst-case harness, which counts half-fit beside bareheap.
WCET_BENCH_SOURCES = ("halffit.c", "halffit.h")
WCET_TARGETS = ("Cortex-M3", "RV32IMAC")
WCET_CALLS = ("alloc", "free", "realloc", "aligned")

# The field, from ../shared/ANCHORS.md (same workload shapes, gcc 12 -O2, x86-64).
FIELD_INSTR = [
    # name, small alloc, small free, mixed alloc, mixed free
    ("mattconte/tlsf", 117, 80, 154, 106),
    ("tlsf-bsd (fixed)", 66, 75, 120, 95),
    ("o1heap", 78, 43, 81, 47),
    ("umm_malloc", 2138, 51, None, None),
    ("FreeRTOS heap_4", 716, 373, 546, 284),
]
FIELD_FRAG = [  # name, 1 MiB, 64 KiB (Cortex-M4)
    ("mattconte/tlsf", 0.83, 0.78),
    ("tlsf-bsd", 0.83, 0.80),
    ("o1heap", 0.65, 0.57),
    ("umm_malloc", 0.83, 0.82),
    ("FreeRTOS heap_4", 0.83, 0.76),
]
TARGETS = {"small": (55, 40), "mixed": (70, 45), "frag_1m": 0.86, "frag_64k": 0.84}


def log(msg):
    print("bench: " + msg, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE, **kw).stdout


def multiarch():
    try:
        return run(["gcc", "-print-multiarch"]).strip() or "x86_64-linux-gnu"
    except (subprocess.CalledProcessError, OSError):
        return "x86_64-linux-gnu"


# ---- Building ---------------------------------------------------------------


class Build:
    def __init__(self, name, alloc, m32=False, defines=(), libs=(), sl=None, probe=None, align=None):
        self.name, self.alloc, self.m32 = name, alloc, m32
        self.defines, self.libs = list(defines), list(libs)
        self.sl, self.probe, self.align = sl, probe, align
        self.path = os.path.join(BUILD, "bench_" + name)

    def cmd(self, mode, *args):
        c = [self.path, mode] + [str(a) for a in args]
        return (["qemu-i386", "-L", "/"] + c) if self.m32 else c


def bareheap_build(sl, probe, m32=False, align=None, close_fit=False, debug=None, lock_hooks=True, branchless=None):
    defs = ["-DBAREHEAP_SL_LOG2=%d" % sl, "-DBAREHEAP_PROBE_LIMIT=%d" % probe]
    if align:
        defs.append("-DBAREHEAP_ALIGN_BYTES=%d" % align)
    if close_fit:
        defs.append("-DBAREHEAP_CLOSE_FIT=1")
    if debug is not None:
        defs.append("-DBAREHEAP_DEBUG=%d" % debug)
    if not lock_hooks:
        defs.append("-DBAREHEAP_LOCK_HOOKS=0")
    if branchless is not None:
        defs.append("-DBAREHEAP_BRANCHLESS_LISTS=%d" % branchless)
    arch = ("m32a%d" % align if align else "m32") if m32 else "x64"
    suffix = ("_closefit" if close_fit else "") + ("_debug%d" % debug if debug is not None else "")
    suffix += "" if lock_hooks else "_nohooks"
    suffix += "" if branchless is None else "_branchless%d" % branchless
    return Build("bareheap_%s_sl%d_p%d%s" % (arch, sl, probe, suffix), "bareheap", m32,
                 defs, sl=sl, probe=probe, align=align)


SNAP = os.path.join(BUILD, "src-snapshot")


def snapshot_sources(rev):
    """Copies src/ and include/ (of the working tree, or of git revision rev)
    to SNAP, so that the builds and the per-line breakdown see one version
    even while the tree is being edited. Returns a description of it."""
    if os.path.exists(SNAP):
        shutil.rmtree(SNAP)
    os.makedirs(SNAP)
    head = run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT).strip()
    if rev:
        commit = run(["git", "rev-parse", "--short", rev], cwd=ROOT).strip()
        archive = subprocess.run(["git", "archive", rev, "src", "include"], cwd=ROOT, check=True,
                                 stdout=subprocess.PIPE).stdout
        subprocess.run(["tar", "-x", "-C", SNAP], input=archive, check=True)
        snapshot_build_system()
        return "commit %s" % commit
    for d in ("src", "include"):
        shutil.copytree(os.path.join(ROOT, d), os.path.join(SNAP, d))
    snapshot_build_system()
    dirty = run(["git", "status", "--porcelain", "--", "src", "include"], cwd=ROOT).strip()
    return "commit %s%s" % (head, " with uncommitted changes to src/ or include/" if dirty else "")


def snapshot_build_system():
    """Adds to SNAP what a CMake firmware tree needs besides src/ and include/,
    from the working tree: the build files, the board support, the string
    functions, the interrupt-mask locks and the benchmark's firmware sources
    (no tests or examples)."""
    for d in ("cmake", os.path.join("port", "baremetal"), os.path.join("port", "libc"), os.path.join("port", "locks")):
        shutil.copytree(os.path.join(ROOT, d), os.path.join(SNAP, d))
    os.makedirs(os.path.join(SNAP, "bench"))
    shutil.copy(os.path.join(ROOT, "CMakeLists.txt"), SNAP)
    for f in FIRMWARE_SOURCES + WCET_BENCH_SOURCES:
        shutil.copy(os.path.join(ROOT, "bench", f), os.path.join(SNAP, "bench"))
    # The worst-case harness (tools/wcet.sh measures the tree it lies in).
    os.makedirs(os.path.join(SNAP, "tools"))
    shutil.copytree(os.path.join(ROOT, "tools", "wcet"), os.path.join(SNAP, "tools", "wcet"))
    for f in ("wcet.sh", "wcet_bound.py"):
        shutil.copy(os.path.join(ROOT, "tools", f), os.path.join(SNAP, "tools"))


def compile_build(b):
    os.makedirs(BUILD, exist_ok=True)
    arch = ["-m32"] if b.m32 else []
    objs = []
    if b.alloc == "bareheap":
        obj = os.path.join(BUILD, "%s_frag.o" % b.name)
        run(["gcc"] + arch + CFLAGS + DRIVER_FLAGS + b.defines +
            ["-I" + os.path.join(SNAP, "include"), "-I" + os.path.join(SNAP, "src"), "-c", "bench/frag.c",
             "-o", obj], cwd=ROOT)
        objs.append(obj)
        for src in ("src/bareheap.c", "src/bareheap_check.c"):
            obj = os.path.join(BUILD, "%s_%s.o" % (b.name, os.path.basename(src)[:-2]))
            run(["gcc"] + arch + CFLAGS + b.defines + ["-Iinclude", "-Isrc", "-c", src, "-o", obj], cwd=SNAP)
            objs.append(obj)
        drv = ["-DBENCH_BAREHEAP", "-I" + os.path.join(SNAP, "include"), "-I" + os.path.join(SNAP, "src")]
    elif b.alloc == "half-fit":
        obj = os.path.join(BUILD, "%s_halffit.o" % b.name)
        run(["gcc"] + arch + CFLAGS + DRIVER_FLAGS + ["-c", "bench/halffit.c", "-o", obj], cwd=ROOT)
        objs.append(obj)
        drv = ["-DBENCH_HALFFIT"]
    else:
        drv = ['-DADAPTER_NAME="%s"' % b.alloc]
    obj = os.path.join(BUILD, "%s_bench.o" % b.name)
    run(["gcc"] + arch + CFLAGS + DRIVER_FLAGS + b.defines + drv + ["-c", "bench/bench.c", "-o", obj], cwd=ROOT)
    run(["gcc"] + arch + [obj] + objs + b.libs + ["-o", b.path], cwd=ROOT)
    return b.name


class Firmware:
    """The fragmentation runs as firmware (bench/firmware.cmake, target
    bench_frag) for a QEMU board, built from the snapshot by CMake with the
    board's toolchain file. Its records carry build=<name>."""

    def __init__(self, name, toolchain, qemu, label):
        self.name, self.toolchain, self.qemu, self.label = name, toolchain, qemu, label
        self.tree = os.path.join(BUILD, "firmware-" + name)
        self.path = os.path.join(self.tree, "bench_frag.elf")

    def build(self, runs, seeds):
        groups = []
        for region, lo, hi in runs:
            groups += [region, lo, hi, seeds, FRAG_P_ALLOC]
        gen = ["-G", "Ninja"] if shutil.which("ninja") and not os.path.exists(
            os.path.join(self.tree, "CMakeCache.txt")) else []
        run(["cmake", "-S", SNAP, "-B", self.tree] + gen +
            ["-DCMAKE_TOOLCHAIN_FILE=" + os.path.join(SNAP, "cmake", self.toolchain),
             "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DCMAKE_C_FLAGS_RELWITHDEBINFO=" + " ".join(CFLAGS[:2]),
             "-DBAREHEAP_BUILD_TESTS=OFF", "-DBAREHEAP_BUILD_EXAMPLES=OFF", "-DBAREHEAP_INSTALL=OFF",
             "-DBAREHEAP_BENCH_FRAG_RUNS=" + ";".join(str(g) for g in groups)], cwd=ROOT)
        run(["cmake", "--build", self.tree, "--target", "bench_frag"], cwd=ROOT)

    def frag(self):
        """Runs the firmware: its records, each with build=<name>. Semihosting
        output may come on QEMU's stdout or stderr: both are read."""
        p = subprocess.run(self.qemu + [self.path], text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        recs = records(p.stdout.replace("\r", ""))
        if p.returncode != 0 or not any(r.get("mode") == "fragsum" for r in recs):
            log("firmware %s exited with %d:\n%s" % (self.name, p.returncode, p.stdout[-2000:]))
        for r in recs:
            r["build"] = self.name
        return recs


def cortex_m4_firmware():
    return Firmware("cortex_m4_mps2_an386", "toolchain-cortex-m4f.cmake",
                    ["qemu-system-arm", "-machine", "mps2-an386", "-cpu", "cortex-m4", "-nographic", "-monitor",
                     "none", "-semihosting-config", "enable=on,target=native", "-kernel"],
                    "Cortex-M4 firmware (QEMU mps2-an386)")


# ---- Output parsing -----------------------------------------------------------


def records(text):
    out = []
    for line in text.splitlines():
        if line.startswith("R "):
            rec = {}
            for kv in line[2:].split():
                k, _, v = kv.partition("=")
                try:
                    rec[k] = int(v)
                except ValueError:
                    try:
                        rec[k] = float(v)
                    except ValueError:
                        rec[k] = v
            out.append(rec)
    return out


def callgrind_parse(path):
    """Returns (description, functions, line costs) of one callgrind dump made
    with --compress-strings=no --compress-pos=no.
    functions: name -> {"self": Ir, "calls": {callee: [count, inclusive Ir]}, "called": count}
    line costs: (file, line) -> self Ir."""
    funcs, lines = {}, {}
    desc = ""
    fn = None
    fl = fi = ""
    cfn = None
    pending_call = None
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line:
                continue
            if line.startswith("desc: Trigger:"):
                desc = line.split("Client Request:", 1)[-1].strip() if "Client Request" in line else line
                continue
            head = line[:4]
            if line.startswith("fl="):
                fl = fi = line[3:]
            elif head in ("fi=(", "fe=(") or line.startswith("fi=") or line.startswith("fe="):
                fi = line[3:]
            elif line.startswith("fn="):
                fn = line[3:]
                fi = fl
                funcs.setdefault(fn, {"self": 0, "calls": {}, "called": 0})
            elif line.startswith("cfn="):
                cfn = line[4:]
            elif line.startswith(("cfi=", "cfl=", "cob=", "ob=")):
                pass
            elif line.startswith("calls="):
                pending_call = int(line[6:].split()[0])
            elif line[0].isdigit() or line[0] in "+-*":
                parts = line.split()
                if len(parts) < 2 or fn is None:
                    continue
                try:
                    cost = int(parts[1])
                    lineno = int(parts[0])
                except ValueError:
                    continue
                if pending_call is not None:
                    c = funcs[fn]["calls"].setdefault(cfn, [0, 0])
                    c[0] += pending_call
                    c[1] += cost
                    funcs.setdefault(cfn, {"self": 0, "calls": {}, "called": 0})["called"] += pending_call
                    pending_call = None
                else:
                    funcs[fn]["self"] += cost
                    key = (fi, lineno)
                    lines[key] = lines.get(key, 0) + cost
    return desc, funcs, lines


def per_call(funcs, wrapper):
    """Instructions per call below a bench_* wrapper, and its call count."""
    f = funcs.get(wrapper)
    if not f or not f["called"]:
        return None, 0
    below = sum(c[1] for c in f["calls"].values())
    return below / f["called"], f["called"]


def run_callgrind(b, args, tag):
    outdir = os.path.join(BUILD, "callgrind")
    os.makedirs(outdir, exist_ok=True)
    prefix = os.path.join(outdir, "%s.%s" % (b.name, tag))
    for old in os.listdir(outdir):
        if old.startswith(os.path.basename(prefix) + "."):
            os.remove(os.path.join(outdir, old))
    text = run(["valgrind", "--tool=callgrind", "--callgrind-out-file=%s.%%p" % prefix, "--compress-strings=no",
                "--compress-pos=no"] + b.cmd(*args), stderr=subprocess.DEVNULL)
    dumps = {}
    for name in sorted(os.listdir(outdir)):
        if name.startswith(os.path.basename(prefix) + ".") and re.search(r"\.\d+\.\d+$", name):
            desc, funcs, lines = callgrind_parse(os.path.join(outdir, name))
            dumps[desc] = (funcs, lines)
    return records(text), dumps


# ---- Source functions, for the per-function breakdown ----------------------------

FUNC_RE = re.compile(r"^[A-Za-z_][\w\s\*]*?\b([A-Za-z_]\w*)\s*\(")


def source_functions(path):
    """Sorted (first line, name) of each function defined at column 0."""
    starts = []
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if line[:1].isspace() or line.startswith(("#", "/", "*", "}")):
                continue
            m = FUNC_RE.match(line)
            # A definition: its line opens the body, or the signature goes on
            # (a declaration or a static assertion ends with ';' and no '{').
            if m and ("{" in line or not line.rstrip().endswith(";")) and m.group(1) not in ("if", "for", "while", "switch", "return", "sizeof"):
                starts.append((i, m.group(1)))
    return starts


def breakdown(lines):
    """Self Ir by source function of src/ (inlined helpers counted where their
    source lines are), from a dump's per-line costs."""
    cache, out = {}, {}
    for (path, lineno), cost in lines.items():
        if "/src/" not in path or not os.path.exists(path):
            continue
        if path not in cache:
            cache[path] = source_functions(path)
        name = "?"
        for start, fname in cache[path]:
            if start <= lineno:
                name = fname
            else:
                break
        key = "%s (%s)" % (name, os.path.basename(path))
        out[key] = out.get(key, 0) + cost
    return out


# ---- The run -----------------------------------------------------------------------


def frag_all(R, builds, firmware, seeds):
    """The fragmentation runs of every host build (in parallel) and of the
    firmware, appended to R."""
    log("fragmentation: %d seeds per heap, 64-bit and 32-bit (qemu-i386), Cortex-M4 firmware (QEMU %s)" %
        (seeds, firmware.qemu[2]))
    jobs = [(b, region, lo, hi) for b in builds for region, lo, hi in FRAG_RUNS]

    def frag(job):
        b, region, lo, hi = job
        recs = records(run(b.cmd("frag", region, lo, hi, seeds)))
        for r in recs:
            r["build"] = b.name
        return recs

    with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        for recs in ex.map(frag, jobs):
            R.extend(recs)
    R.extend(firmware.frag())


def wcet_configs():
    """(label, -D flags) of every configuration of the trade-off table."""
    configs = [("SL%dP%d" % (sl, p), "-DBAREHEAP_SL_LOG2=%d -DBAREHEAP_PROBE_LIMIT=%d" % (sl, p))
               for sl in SL_VALUES for p in PROBE_VALUES]
    # No lock hooks: on the firmware, the interrupt mask compiled in instead
    # (port/locks/bareheap_lock_mask_in_line.h), what an interrupt-safe heap costs.
    # The branchless free lists, x86-64's default, on the firmware: what
    # they would cost there (the headline's § note; no row of the table).
    return configs + [("CLOSE_FIT", "-DBAREHEAP_CLOSE_FIT=1"), ("DEBUG0", "-DBAREHEAP_DEBUG=0"),
                      ("NOHOOKS", '-DBAREHEAP_CONFIG_HEADER="bareheap_lock_mask_in_line.h"'),
                      ("BRANCHLESS", "-DBAREHEAP_BRANCHLESS_LISTS=1")]


def wcet_tradeoff(R):
    """Worst-case instructions per call on Cortex-M3 and RV32 at -O2, per configuration of the
    trade-off table: tools/wcet.sh of the snapshot (QEMU's instruction trace over the harness's
    random and pathological sequences; it fails if a built worst call misses its path)."""
    spec = ";".join("-O2,%s|-O2 %s" % c for c in wcet_configs())
    env = dict(os.environ, WCET_CONFIGS=spec)
    env.pop("WCET_CASES", None)
    text = run(["bash", os.path.join(SNAP, "tools", "wcet.sh"), os.path.join(BUILD, "wcet")], env=env)
    # The first table: "| Cortex-M3 -O2,LABEL | mean / worst | ... |" (alloc, free, realloc, aligned).
    rows = 0
    for line in text.split("\n\n")[0].splitlines():
        m = re.match(r"\| (\S+) -O2,(\S+) \|(.*)\|$", line)
        if not m:
            continue
        cells = [c.split("/") for c in m.group(3).split("|")]
        for call, (mean, worst) in zip(WCET_CALLS, cells):
            R.append(dict(mode="wcet", build=m.group(2), target=m.group(1), call=call,
                          mean=float(mean), worst=int(worst)))
        rows += 1
    if rows != len(wcet_configs()) * len(WCET_TARGETS):
        raise SystemExit("bench: tools/wcet.sh printed %d configuration rows, expected %d:\n%s"
                         % (rows, len(wcet_configs()) * len(WCET_TARGETS), text))


def probe_sweep(R, sweep, seeds):
    """Each probe limit of the sweep over SWEEP_RUNS; only the summaries are
    kept, as mode=probesweep records (the per-seed lines would be thousands)."""
    log("probe limit sweep: limits %s, %d shapes, %d seeds each (qemu-i386)" %
        (", ".join(str(p) for p in sorted(sweep)), len(SWEEP_RUNS), seeds))
    jobs = [(p, b, region, lo, hi) for p, b in sorted(sweep.items()) for region, lo, hi in SWEEP_RUNS]

    def one(job):
        p, b, region, lo, hi = job
        recs = [r for r in records(run(b.cmd("frag", region, lo, hi, seeds))) if r.get("mode") == "fragsum"]
        for r in recs:
            r.update(mode="probesweep", build=b.name)
        return recs

    with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        for recs in ex.map(one, jobs):
            R.extend(recs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (smoke test)")
    ap.add_argument("--rev", help="benchmark src/ and include/ of this git revision, not the working tree")
    ap.add_argument("--only", choices=["frag"],
                    help="frag: only the fragmentation runs (64-bit, qemu-i386, Cortex-M4 firmware); prints their "
                         "tables and writes %s, not docs/" % os.path.relpath(os.path.join(BUILD, "frag.md"), ROOT))
    opt = ap.parse_args()
    # Seven rounds: the median of per-round ratios then survives two noisy rounds either way.
    rounds, reps, lat_reps = (1, 1, 2) if opt.quick else (7, 3, 5)
    seeds = 5 if opt.quick else FRAG_SEEDS
    t_start = datetime.datetime.now()
    os.chdir(ROOT)
    os.makedirs(OUT, exist_ok=True)

    ma = multiarch()
    tcmalloc = "/usr/lib/%s/libtcmalloc_minimal.so.4" % ma
    libs = {"glibc": [], "jemalloc": ["-ljemalloc"], "mimalloc": ["-lmimalloc"], "tcmalloc": [tcmalloc]}
    hosted = {a: Build(a, a, libs=libs[a]) for a in HOSTED}
    halffit = Build("halffit", "half-fit")
    x64 = {(s, p): bareheap_build(s, p) for s in SL_VALUES for p in PROBE_VALUES}
    m32a8 = {(s, p): bareheap_build(s, p, m32=True, align=8) for s in SL_VALUES for p in PROBE_VALUES}
    m32 = bareheap_build(DEFAULT_SL, DEFAULT_PROBE, m32=True)
    # The default classes and probe with BAREHEAP_CLOSE_FIT=1, for the trade-off table.
    cf64 = bareheap_build(DEFAULT_SL, DEFAULT_PROBE, close_fit=True)
    cf32 = bareheap_build(DEFAULT_SL, DEFAULT_PROBE, m32=True, align=8, close_fit=True)
    # And with BAREHEAP_DEBUG=0 (no pointer validation): what validation costs.
    nd64 = bareheap_build(DEFAULT_SL, DEFAULT_PROBE, debug=0)
    nd32 = bareheap_build(DEFAULT_SL, DEFAULT_PROBE, m32=True, align=8, debug=0)
    # And with BAREHEAP_LOCK_HOOKS=0 (no hook tests; no lock on the host).
    nh64 = bareheap_build(DEFAULT_SL, DEFAULT_PROBE, lock_hooks=False)
    nh32 = bareheap_build(DEFAULT_SL, DEFAULT_PROBE, m32=True, align=8, lock_hooks=False)
    # And with the free lists' branches (BAREHEAP_BRANCHLESS_LISTS=0, the default
    # off x86-64): timed beside the default, for the headline.
    br64 = bareheap_build(DEFAULT_SL, DEFAULT_PROBE, branchless=0)
    sweep = {p: m32a8.get((DEFAULT_SL, p)) or bareheap_build(DEFAULT_SL, p, m32=True, align=8) for p in PROBE_SWEEP}
    main_bh = x64[(DEFAULT_SL, DEFAULT_PROBE)]
    main_builds = {"bareheap": main_bh, "half-fit": halffit}
    main_builds.update(hosted)
    all_builds = [halffit] + list(hosted.values()) + list(x64.values()) + list(m32a8.values())
    all_builds += [m32, cf64, cf32, nd64, nd32, nh64, nh32, br64]
    all_builds += [b for b in sweep.values() if b not in all_builds]
    frag_builds = list(x64.values()) + list(m32a8.values()) + [m32, cf32, nd32, nh32]
    if opt.only == "frag":
        frag_builds = [main_bh, m32a8[(DEFAULT_SL, DEFAULT_PROBE)], m32]
        all_builds = frag_builds
    m4 = cortex_m4_firmware()

    source = snapshot_sources(opt.rev)
    log("building %d binaries in %s from %s" % (len(all_builds), os.path.relpath(BUILD, ROOT), source))
    with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        list(ex.map(compile_build, all_builds))
    log("building the Cortex-M4 firmware in %s" % os.path.relpath(m4.tree, ROOT))
    m4.build(FRAG_RUNS, seeds)

    R = []  # every record
    ctx = dict(source=source, R=R, main_builds=main_builds, halffit=halffit, x64=x64, m32a8=m32a8, m32=m32, m4=m4,
               seeds=seeds,
               cf64=cf64, cf32=cf32, nd64=nd64, nd32=nd32, nh64=nh64, nh32=nh32, br64=br64,
               quick=opt.quick)
    import report  # bench/report.py

    if opt.only == "frag":
        frag_all(R, frag_builds, m4, seeds)
        md = report.frag_markdown(ctx)
        with open(os.path.join(BUILD, "frag.md"), "w") as f:
            f.write(md)
        print(md, end="")
        log("done in %.0f s: %s (docs/ unchanged)" % ((datetime.datetime.now() - t_start).total_seconds(),
                                                     os.path.relpath(os.path.join(BUILD, "frag.md"), ROOT)))
        return

    # Sizes
    for b in list(x64.values()) + list(m32a8.values()) + [m32]:
        for r in records(run(b.cmd("info"))):
            r["build"] = b.name
            R.append(r)

    # Time: allocators interleaved, rounds x reps runs each. Every workload
    # runs in a process of its own: a hosted malloc keeps the state an earlier
    # workload left (glibc's realloc took 17,762 instructions per call after
    # small and mixed, 15,607 alone), while bareheap starts each from a fresh heap.
    log("time: %d rounds x %d runs per allocator" % (rounds, reps))
    # bareheap's build with the lists' branches runs beside the default,
    # before it in even rounds and after it in odd ones.
    def time_runs(build, label, rnd):
        for wl in WORKLOADS:
            for r in records(run(build.cmd("time", reps, wl))):
                r.update(round=rnd, alloc=label)
                R.append(r)
    for rnd in range(rounds):
        for a in ALLOCATORS:
            pair = [(main_builds[a], a)] + ([(br64, BRANCHES)] if a == "bareheap" else [])
            for build, label in (pair if rnd % 2 else pair[::-1]):
                time_runs(build, label, rnd)

    # Latency from the cycle counter
    log("latency: minimum per call over %d runs of the same ops" % lat_reps)
    for a in ALLOCATORS:
        for wl in WORKLOADS:
            R.extend(records(run(main_builds[a].cmd("lat", lat_reps, wl))))
    for b in list(x64.values()) + [halffit]:
        for r in records(run(b.cmd("path", lat_reps))):
            r["build"] = b.name
            R.append(r)

    # Fragmentation
    frag_all(R, frag_builds, m4, seeds)
    probe_sweep(R, sweep, 50 if opt.quick else SWEEP_SEEDS)

    # Worst case per configuration (QEMU instruction trace)
    log("worst case: tools/wcet.sh, %d configurations on %s" % (len(wcet_configs()), " and ".join(WCET_TARGETS)))
    wcet_tradeoff(R)

    # Instructions (callgrind)
    log("instructions: callgrind on %d allocators and %d configurations" % (len(ALLOCATORS), len(x64) - 1))
    # One process per workload, as for the times.
    cg_jobs = [(main_builds[a], ("count", wl), "count") for a in ALLOCATORS for wl in WORKLOADS]
    cg_jobs += [(b, ("count", wl), "count") for b in list(x64.values()) + [cf64, nd64, nh64, br64] if b is not main_bh
                for wl in ("small", "mixed")]
    cg_jobs += [(b, ("pathcount",), "path") for b in list(x64.values()) + [cf64, nd64, nh64, br64, halffit]]
    cg = {}

    def cg_run(job):
        b, args, tag = job
        return b, tag, run_callgrind(b, args, "%s-%s" % (tag, args[-1]))

    with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        for b, tag, (recs, dumps) in ex.map(cg_run, cg_jobs):
            cg.setdefault((b.name, tag), {}).update(dumps)
            for r in recs:
                r["build"] = b.name
                R.append(r)

    instr = {}  # (build name, workload) -> {call: Ir per call}
    for (bname, tag), dumps in cg.items():
        for wl, (funcs, _lines) in dumps.items():
            d = {}
            for call in ("alloc", "free", "realloc", "aligned"):
                v, n = per_call(funcs, "bench_" + call)
                if n:
                    d[call] = v
            instr[(bname, wl)] = d
    breakdowns = {wl: breakdown(cg[(main_bh.name, "count")][wl][1]) for wl in ("small", "mixed")}
    hot_lines = sorted(((k, v) for k, v in cg[(main_bh.name, "count")]["small"][1].items() if "/src/" in k[0]),
                       key=lambda kv: -kv[1])[:15]

    ctx.update(hot_lines=hot_lines, instr=instr, breakdowns=breakdowns, rounds=rounds, reps=reps, lat_reps=lat_reps,
               elapsed=(datetime.datetime.now() - t_start).total_seconds())
    with open(os.path.join(OUT, "raw.txt"), "w") as f:
        f.write("# every figure bench/bench.c printed in the last `make bench`; "
                "build= names the binary (build/bench/bench_<build>)\n")
        for r in R:
            f.write(" ".join("%s=%s" % kv for kv in r.items()) + "\n")
        for (bname, wl), d in sorted(instr.items()):
            for call, v in sorted(d.items()):
                f.write("mode=instr build=%s workload=%s call=%s ir_per_call=%.1f\n" % (bname, wl, call, v))
    report.write(ctx, OUT)
    log("done in %.0f s: %s" % ((datetime.datetime.now() - t_start).total_seconds(),
                                os.path.relpath(os.path.join(OUT, "results.md"), ROOT)))


if __name__ == "__main__":
    sys.dont_write_bytecode = True  # no __pycache__ in bench/
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
