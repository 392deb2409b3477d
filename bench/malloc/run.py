#!/usr/bin/env python3
"""Runs bench/malloc/mbench under glibc, bareheap's hosted shim, jemalloc,
mimalloc and tcmalloc (each but glibc through LD_PRELOAD), with 1 and 2
threads, and writes docs/bench/malloc.md: median wall time and peak RSS per
program and allocator, the ratio to glibc, and the geometric mean of the
ratios. Prints figures; never fails on them.

    run.py --shim build/bench-malloc/port/hosted/libbareheap-malloc.so
           [--runs N] [--threads 1,2] [--programs a,b] [--out docs/bench/malloc.md]
"""
import argparse
import datetime
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

PROGRAMS = ["cfrac", "espresso", "glibc-simple", "alloc-test", "larson", "xmalloc-test",
            "mstress", "rptest", "glibc-thread", "malloc-large"]
LIBDIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"]
OTHERS = [("jemalloc", "libjemalloc.so.2"), ("mimalloc", "libmimalloc.so.2"),
          ("tcmalloc", "libtcmalloc_minimal.so.4")]


def find_library(name):
    for d in LIBDIRS:
        path = os.path.join(d, name)
        if os.path.exists(path):
            return path
    return None


def build_mbench(out_dir):
    exe = os.path.join(out_dir, "mbench")
    src = os.path.join(HERE, "mbench.c")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        os.makedirs(out_dir, exist_ok=True)
        # The same binary for every allocator; the builtins off so that no
        # allocation is folded away.
        subprocess.check_call(["gcc", "-O2", "-fno-builtin-malloc", "-fno-builtin-free",
                               "-fno-builtin-calloc", "-fno-builtin-realloc", src,
                               "-lpthread", "-o", exe])
    return exe


def run_once_wait4(exe, program, threads, env):
    """One run: wall time, peak RSS in KiB (the program's own VmHWM, which it
    prints on stderr: a child's rusage would count its parent's pages from
    before the exec too), stdout, stderr, exit status."""
    start = time.perf_counter()
    proc = subprocess.run([exe, program, str(threads)], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    err = proc.stderr.decode()
    rss = 0
    for line in err.splitlines():
        if line.startswith("peak_rss_kib "):
            rss = int(line.split()[1])
    return elapsed, rss, proc.stdout.decode(), err, proc.returncode


def geomean(values):
    """NaN if any ratio is missing or not positive (a peak RSS the program did
    not print, say), so that the table shows it rather than a mean of the rest."""
    values = list(values)
    if not values or any(not (v > 0) for v in values):
        return float("nan")
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shim", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--programs", default=",".join(PROGRAMS))
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "bench-malloc"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "bench", "malloc.md"))
    args = ap.parse_args()

    exe = build_mbench(args.build)
    shim = os.path.abspath(args.shim)
    # The shim twice: as it ships, and without its thread cache (every call
    # through the core's arenas), which trades time for peak RSS.
    allocators = [("glibc", None), ("bareheap", shim), ("bareheap-nocache", shim)]
    for name, lib in OTHERS:
        path = find_library(lib)
        if path:
            allocators.append((name, path))
        else:
            print("run.py: %s not found (tools/install-bench-deps.sh installs it); left out" % lib)
    threads_list = [int(t) for t in args.threads.split(",")]
    programs = args.programs.split(",")

    results = {}  # (program, threads, allocator) -> (median time, median rss)
    failed = []   # runs that exited with a status: their times are no figures
    for threads in threads_list:
        for program in programs:
            samples = {name: [] for name, _ in allocators}
            for _ in range(args.runs):
                # Interleaved, so that a change in the machine's load hits
                # every allocator alike.
                for name, lib in allocators:
                    env = dict(os.environ)
                    env.pop("LD_PRELOAD", None)
                    env.pop("BAREHEAP_THREAD_CACHE", None)
                    if lib:
                        env["LD_PRELOAD"] = lib
                    if name == "bareheap-nocache":
                        env["BAREHEAP_THREAD_CACHE"] = "0"
                    elapsed, rss, out, _, status = run_once_wait4(exe, program, threads, env)
                    if status != 0:
                        print("run.py: %s %s %d exited with status %d" % (name, program, threads, status))
                        failed.append("%s %s %d thread(s): status %d" % (name, program, threads, status))
                    samples[name].append((elapsed, rss))
            line = []
            for name, _ in allocators:
                t = statistics.median(s[0] for s in samples[name])
                m = statistics.median(s[1] for s in samples[name])
                results[(program, threads, name)] = (t, m)
                line.append("%s %.3fs %dMiB" % (name, t, m // 1024))
            print("%-13s %d: %s" % (program, threads, ", ".join(line)), flush=True)

    if failed:
        # A program that crashed or failed under an allocator has no time to
        # compare; a report would publish it as one.
        print("run.py: no report written; runs that failed: " + "; ".join(failed), file=sys.stderr)
        return 1
    write_report(args, allocators, threads_list, programs, results)
    return 0


def write_report(args, allocators, threads_list, programs, results):
    names = [n for n, _ in allocators]
    try:
        commit = subprocess.check_output(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).decode().strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "?"
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines = []
    w = lines.append
    w("# Malloc benchmarks: bareheap's hosted shim against glibc, jemalloc, mimalloc, tcmalloc")
    w("")
    w("Written by `make bench-malloc` (bench/malloc/run.py) on %s at commit %s: %s, %d CPUs, %s." % (
        datetime.date.today().isoformat(), commit, cpu, os.cpu_count() or 0, platform.platform()))
    w("Programs of the shapes of mimalloc-bench's (bench/malloc/mbench.c says what each does); "
      "every thread does the whole work, so 2 threads is twice the work with contention. "
      "Median of %d runs, run interleaved; peak RSS is the program's own VmHWM. "
      "Ratios are to glibc (below 1 is better). The machine was shared, so single figures "
      "carry noise of the order of 10-20%%." % args.runs)
    w("")
    w("Targets for bareheap: geometric mean of time no worse than glibc, no program worse than "
      "1.5x, peak RSS no higher than glibc's.")
    for threads in threads_list:
        w("")
        w("## %d thread%s" % (threads, "" if threads == 1 else "s"))
        w("")
        w("Time, seconds (ratio to glibc):")
        w("")
        w("| program | " + " | ".join(names) + " |")
        w("|---|" + "---|" * len(names))
        ratios_t = {n: [] for n in names}
        ratios_m = {n: [] for n in names}
        for program in programs:
            base_t, base_m = results[(program, threads, "glibc")]
            cells = []
            for n in names:
                t, m = results[(program, threads, n)]
                ratios_t[n].append(t / base_t if base_t else float("nan"))
                ratios_m[n].append(m / base_m if base_m else float("nan"))
                cells.append("%.3f" % t if n == "glibc" else "%.3f (%.2f)" % (t, t / base_t))
            w("| %s | %s |" % (program, " | ".join(cells)))
        w("| **geometric mean** | " + " | ".join(
            "1.00" if n == "glibc" else "**%.2f**" % geomean(ratios_t[n]) for n in names) + " |")
        w("| worst | " + " | ".join(
            "1.00" if n == "glibc" else "%.2f" % max(ratios_t[n]) for n in names) + " |")
        w("")
        w("Peak RSS, MiB (ratio to glibc):")
        w("")
        w("| program | " + " | ".join(names) + " |")
        w("|---|" + "---|" * len(names))
        for program in programs:
            base_m = results[(program, threads, "glibc")][1]
            cells = []
            for n in names:
                m = results[(program, threads, n)][1]
                cells.append("%.1f" % (m / 1024) if n == "glibc" else "%.1f (%.2f)" % (m / 1024, m / base_m))
            w("| %s | %s |" % (program, " | ".join(cells)))
        w("| **geometric mean** | " + " | ".join(
            "1.00" if n == "glibc" else "**%.2f**" % geomean(ratios_m[n]) for n in names) + " |")
    w("")
    w("## bareheap against the targets")
    w("")
    for threads in threads_list:
        t_ratios = {p: results[(p, threads, "bareheap")][0] / results[(p, threads, "glibc")][0] for p in programs}
        m_ratios = {p: results[(p, threads, "bareheap")][1] / results[(p, threads, "glibc")][1] for p in programs}
        g_t, g_m = geomean(t_ratios.values()), geomean(m_ratios.values())
        over_t = ["%s %.2f" % (p, r) for p, r in t_ratios.items() if r > 1.5]
        over_m = ["%s %.2f" % (p, r) for p, r in m_ratios.items() if r > 1.0]
        w("- %d thread%s: time geometric mean %.2f (%s); worst %.2f, %s; peak RSS geometric mean %.2f (%s)%s." % (
            threads, "" if threads == 1 else "s", g_t, "met" if g_t <= 1.0 else "NOT met",
            max(t_ratios.values()), "none above 1.5x (met)" if not over_t else "above 1.5x: " + ", ".join(over_t) + " (NOT met)",
            g_m, "met" if g_m <= 1.0 else "NOT met",
            "" if not over_m else "; above glibc: " + ", ".join(over_m)))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("run.py: wrote %s" % args.out)


if __name__ == "__main__":
    sys.exit(main())
