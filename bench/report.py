"""Turns the figures gathered by run_bench.py into docs/bench/results.md and PNG plots."""
import datetime
import os
import statistics
import subprocess

from run_bench import (ALLOCATORS, BRANCHES, BUILD, DEFAULT_PROBE, DEFAULT_SL, FIELD_FRAG, FIELD_INSTR, FRAG_RUNS,
                       PROBE_SWEEP, PROBE_VALUES, SL_VALUES, SWEEP_RUNS, TARGETS)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
    except OSError:
        return ""


def find(R, **kw):
    return [r for r in R if all(r.get(k) == v for k, v in kw.items())]


def wcet_worst(R, label, target, call):
    """The worst case of one call from tools/wcet.sh (mode=wcet records), or None."""
    v = find(R, mode="wcet", build=label, target=target, call=call)
    return v[0]["worst"] if v else None


def fmt(v, nd=0):
    if v is None:
        return "-"
    if isinstance(v, float) and nd:
        return "%.*f" % (nd, v)
    return "{:,}".format(int(round(v)))


def kib(n):
    return "%d KiB" % (n >> 10) if n < (1 << 20) else "%d MiB" % (n >> 20)


def machine():
    model = sh("lscpu | sed -n 's/^Model name: *//p' | head -1") or "unknown"
    pkgs = []
    for p in ("libc6:amd64", "libjemalloc2", "libmimalloc2.0", "libtcmalloc-minimal4"):
        v = sh("dpkg-query -W -f='${Version}' %s 2>/dev/null" % p)
        p = p.split(":")[0]
        if v:
            pkgs.append("%s %s" % (p, v))
    return [
        ("CPU", "%s, %s cores (lscpu model name)" % (model, sh("nproc"))),
        ("kernel", sh("uname -sr")),
        ("compiler", sh("gcc --version | head -1") + ", `-O2 -g`"),
        ("valgrind", sh("valgrind --version")),
        ("qemu", sh("qemu-i386 --version | head -1") + "; qemu-system-arm: " +
         sh("qemu-system-arm --version | head -1")),
        ("firmware compiler", sh("arm-none-eabi-gcc --version | head -1") + ", `-O2 -g` "
         "(`cmake/toolchain-cortex-m4f.cmake`)"),
        ("allocators", ", ".join(pkgs)),
    ]


def fragsum(R, build, region):
    s = find(R, mode="fragsum", build=build.name, region=region)
    return s[0] if s else None


def frag_rows(ctx):
    """(label, build) of the fragmentation tables: the Cortex-M4 firmware, the
    32-bit host builds under qemu-i386 and the 64-bit host build."""
    return [(ctx["m4"].label, ctx["m4"]),
            ("32-bit x86, 8-byte alignment (qemu-i386, the Cortex-M model)", ctx["m32a8"][(DEFAULT_SL, DEFAULT_PROBE)]),
            ("32-bit x86, 16-byte alignment (qemu-i386)", ctx["m32"]),
            ("64-bit x86, 16-byte alignment", ctx["main_builds"]["bareheap"])]


def short_of(s, ctx):
    """" (n of N seeds)" when a fragsum record covers fewer seeds than were
    asked for (a run stopped by an error before its last seed), else ""."""
    return " (%d of %d seeds)" % (s["seeds"], ctx["seeds"]) if s["seeds"] != ctx["seeds"] else ""


def frag_headline(ctx):
    """The summary table of memory used at the first failure, as markdown lines."""
    R, md = ctx["R"], []
    w = md.append
    w("Memory used at the first failure (live requested bytes / region bytes, the control structure "
      "counted as lost), mean over %d seeds, and false failures (the request failed while a free block "
      "with enough usable bytes existed):" % ctx["seeds"])
    w("")
    w("| build | 1 MiB heap, 16 B..8 KiB | 64 KiB heap, 8..512 B | false failures |")
    w("|---|---|---|---|")
    for label, b in frag_rows(ctx):
        a1, a2 = fragsum(R, b, FRAG_RUNS[0][0]), fragsum(R, b, FRAG_RUNS[1][0])
        if a1 and a2:
            # fragsum's mean and false failures cover the seeds that reached a
            # failure (its seeds=), which a run cut short leaves below the count
            # asked for: the table shows that count, not the one requested.
            w("| %s | %.3f%s | %.3f%s | %d of %d |" % (
                label, a1["mean_ratio"], short_of(a1, ctx), a2["mean_ratio"], short_of(a2, ctx),
                a1["false_failures"] + a2["false_failures"], a1["seeds"] + a2["seeds"]))
    for name, f1, f2 in FIELD_FRAG:
        w("| %s * (Cortex-M4) | %.2f | %.2f | |" % (name, f1, f2))
    w("| target (32-bit) | >= %.2f | >= %.2f | 0 |" % (TARGETS["frag_1m"], TARGETS["frag_64k"]))
    w("")
    w("Rows marked * are the field's published figures, measured with 16 B..8 KiB requests on both heaps: "
      "the 64 KiB column's 8..512 B workload is not theirs.")
    return md


def frag_detail(ctx):
    """The per-build fragmentation table, as markdown lines."""
    R, md = ctx["R"], []
    w = md.append

    def overhead(build, region):
        v = [r["overhead_per_block"] for r in find(R, mode="frag", build=build.name, region=region)]
        return statistics.mean(v) if v else None

    w("Per seed: from an empty heap, each step allocates (probability 55%%) a log-uniform size (uniform octave, "
      "then uniform within it) or frees a random live block, until the first allocation fails. At that "
      "failure: live requested bytes / region bytes (the whole region given to `bh_init`, so the control "
      "structure, headers and rounding all count as lost), and a `bh_walk` over the heap looks for a free "
      "block whose usable size covers the request (a false failure). %d seeds per row." % ctx["seeds"])
    w("")
    w("One source runs it everywhere (`bench/frag.c`): linked into the host driver for the x86 rows, and "
      "built by CMake with `cmake/toolchain-cortex-m4f.cmake` into firmware (`bench/frag_firmware.c`, "
      "`bench/firmware.cmake`) that runs on QEMU's `mps2-an386` (Cortex-M4F) with the board support of "
      "`port/baremetal/`, its heap region in the board's 16 MiB PSRAM at 0x21000000, its figures printed "
      "through semihosting in the same lines as the host's.")
    w("")
    # The firmware against its model: the same block layout (32-bit words,
    # 8-byte alignment) should give the same heap, seed for seed.
    rows = frag_rows(ctx)
    keys = ("region", "seed", "ops", "live_blocks", "live_req", "request", "free_bytes", "free_blocks",
            "largest_usable", "fitting_free", "control")

    def per_seed(b):
        return sorted(tuple(r.get(k) for k in keys) for r in find(R, mode="frag", build=b.name))

    fw, model = per_seed(rows[0][1]), per_seed(rows[1][1])
    if fw and model:
        same = sum(1 for a, b in zip(fw, model) if a == b)
        w("The firmware's heap at each first failure (operations, live blocks and bytes, free blocks, the "
          "failed request) is the same as the 8-byte qemu-i386 build's in %d of %d runs%s." % (
              same, max(len(fw), len(model)),
              ": that build was a faithful model, and the plot's lines for the two coincide"
              if same == len(fw) == len(model) else ""))
        w("")
    w("| build | heap | sizes | mean | min | max | blocks used / region | false failures | control | "
      "mean header+rounding per block |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for label, b in rows:
        for region, lo, hi in FRAG_RUNS:
            s = fragsum(R, b, region)
            if s:
                w("| %s | %s | %d..%d B | %.3f%s | %.3f | %.3f | %.3f | %d | %d B | %.1f B |" % (
                    label, kib(region), lo, hi, s["mean_ratio"], short_of(s, ctx), s["min_ratio"], s["max_ratio"],
                    s["mean_used_ratio"], s["false_failures"], s["control"], overhead(b, region)))
    return md


def frag_markdown(ctx):
    """The fragmentation tables alone (run_bench.py --only frag)."""
    md = ["# bareheap fragmentation (`bench/run_bench.py --only frag`, %s%s)" % (
        datetime.date.today().isoformat(), ", --quick" if ctx["quick"] else ""), "",
        "bareheap source: %s." % ctx["source"], ""]
    md += frag_headline(ctx) + [""] + frag_detail(ctx)
    return "\n".join(md) + "\n"


def gnuplot(script, name, plotdir):
    path = os.path.join(plotdir, name + ".gp")
    with open(path, "w") as f:
        f.write(script)
    subprocess.run(["gnuplot", path], check=False)


def probe_sweep_table(w, R):
    """Used at first failure and false failures per probe limit and shape,
    from the mode=probesweep summaries."""
    recs = find(R, mode="probesweep")
    if not recs:
        return
    seeds = recs[0]["seeds"]
    w("### Probe limit: false failures over %s seeds per heap" % fmt(seeds))
    w("")
    w("A false failure is rare, so the probe limit is chosen from more runs than the table above: %s seeds for "
      "each heap and size range below, `BAREHEAP_SL_LOG2=%d`, 32-bit with 8-byte alignment (qemu-i386). Each cell: "
      "mean used at the first failure / runs whose first failure was false." % (fmt(seeds), DEFAULT_SL))
    w("")
    w("| heap, request sizes | " + " | ".join("probe %d%s" % (p, " (default)" if p == DEFAULT_PROBE else "")
                                            for p in PROBE_SWEEP) + " |")
    w("|---|" + "---|" * len(PROBE_SWEEP))
    total = {p: 0 for p in PROBE_SWEEP}
    for region, lo, hi in SWEEP_RUNS:
        cells = []
        for p in PROBE_SWEEP:
            r = [x for x in recs if x["probe"] == p and x["region"] == region and x["lo"] == lo and x["hi"] == hi]
            if r:
                total[p] += r[0]["false_failures"]
                cells.append("%.4f / %d" % (r[0]["mean_ratio"], r[0]["false_failures"]))
            else:
                cells.append("-")
        w("| %s, %s..%s B | %s |" % (kib(region), fmt(lo), fmt(hi), " | ".join(cells)))
    w("| false failures in all | %s |" % " | ".join(str(total[p]) for p in PROBE_SWEEP))
    w("")
    none = [p for p in PROBE_SWEEP if total[p] == 0]
    if none:
        w("The smallest limit without a false failure here is %d; the default is %d (the README says why)."
          % (min(none), DEFAULT_PROBE))
        w("")


def write(ctx, out):
    R, instr = ctx["R"], ctx["instr"]
    main_builds, x64, m32a8, m32 = ctx["main_builds"], ctx["x64"], ctx["m32a8"], ctx["m32"]
    bh = main_builds["bareheap"]
    plotdir = os.path.join(BUILD, "plot")
    os.makedirs(plotdir, exist_ok=True)
    md = []
    w = md.append

    def I(build_name, wl, call):
        return instr.get((build_name, wl), {}).get(call)

    def ins(alloc, wl, call):
        return I(main_builds[alloc].name, wl, call)

    # ---- time
    ns = {}
    for a in ALLOCATORS + [BRANCHES]:
        for wl in ("small", "mixed", "realloc"):
            v = [r["ns_per_op"] for r in find(R, mode="time", alloc=a, workload=wl)]
            ns[(a, wl)] = statistics.median(v) if v else None

    def ratios(a, wl, base="glibc"):
        # a's time over base's, paired by round (the same run of every allocator), sorted.
        g = {r["round"]: r["ns_per_op"] for r in find(R, mode="time", alloc=base, workload=wl)}
        return sorted(r["ns_per_op"] / g[r["round"]] for r in find(R, mode="time", alloc=a, workload=wl)
                      if g.get(r["round"]))

    def ratio(a, wl):
        v = ratios(a, wl)
        return statistics.median(v) if v else None

    m32_def = m32a8[(DEFAULT_SL, DEFAULT_PROBE)]
    w("# bareheap benchmarks")
    w("")
    w("Generated by `make bench` (`bench/run_bench.py`, driver `bench/bench.c`) on %s, in %.0f s%s. "
      "Every figure below, and more, is in [raw.txt](raw.txt)." %
      (datetime.date.today().isoformat(), ctx["elapsed"], " (--quick: fewer repetitions)" if ctx["quick"] else ""))
    w("")
    w("## Machine")
    w("")
    w("| | |")
    w("|---|---|")
    for k, v in machine():
        w("| %s | %s |" % (k, v))
    w("")
    w("bareheap source: %s." % ctx["source"])
    w("")
    w("bareheap runs in its default configuration (`BAREHEAP_SL_LOG2=%d`, `BAREHEAP_PROBE_LIMIT=%d`, "
      "`BAREHEAP_DEBUG=1`: every pointer given to free is validated; on x86-64 `BAREHEAP_BRANCHLESS_LISTS=1`) "
      "on one 256 MiB `mmap`ed region; the hosted "
      "allocators are the Debian packages, each linked into its own binary built from the same driver." %
      (DEFAULT_SL, DEFAULT_PROBE))
    w("")

    # ---- headline
    w("## Headline")
    w("")
    w("Instructions per call (callgrind, x86-64, gcc -O2; everything executed below the driver's call, "
      "not the call itself: for the shared-library allocators the one-instruction PLT jump is left out). "
      "Rows marked * are the field's published figures, same workload shapes, not measured here.")
    w("")
    w("| allocator | small alloc | small free | mixed alloc | mixed free | ns/op small, ratio to glibc | "
      "ns/op mixed, ratio |")
    w("|---|---|---|---|---|---|---|")
    for a in ALLOCATORS:
        w("| %s%s | %s | %s | %s | %s | %s (%s) | %s (%s) |" % (
            "**bareheap**" if a == "bareheap" else a, " †" if a == "half-fit" else "", fmt(ins(a, "small", "alloc")),
            fmt(ins(a, "small", "free")), fmt(ins(a, "mixed", "alloc")), fmt(ins(a, "mixed", "free")),
            fmt(ns[(a, "small")], 1), fmt(ratio(a, "small"), 2), fmt(ns[(a, "mixed")], 1),
            fmt(ratio(a, "mixed"), 2)))
        br64 = ctx.get("br64")
        if a == "bareheap" and br64 and ns[(BRANCHES, "small")]:
            w("| bareheap, `BAREHEAP_BRANCHLESS_LISTS=0` § | %s | %s | %s | %s | %s (%s) | %s (%s) |" % (
                fmt(I(br64.name, "small", "alloc")), fmt(I(br64.name, "small", "free")),
                fmt(I(br64.name, "mixed", "alloc")), fmt(I(br64.name, "mixed", "free")),
                fmt(ns[(BRANCHES, "small")], 1), fmt(ratio(BRANCHES, "small"), 2),
                fmt(ns[(BRANCHES, "mixed")], 1), fmt(ratio(BRANCHES, "mixed"), 2)))
    for name, sa, sf, ma, mf in FIELD_INSTR:
        w("| %s * | %s | %s | %s | %s | | |" % (name, fmt(sa), fmt(sf), fmt(ma), fmt(mf)))
    w("| target | <= %d | <= %d | <= %d | <= %d | <= 1.00 | |" %
      (TARGETS["small"] + TARGETS["mixed"]))
    w("")
    w("† half-fit is `bench/halffit.c`: the algorithm o1heap uses (T. Ogasawara, RTCSA 1995; power-of-two "
      "fragments with four-word headers, one list per power of two, one bitmap word, both neighbours merged on "
      "free), written for these benchmarks because o1heap is not built here. It stands in for o1heap where a "
      "figure needs running code (time, latency percentiles, the pathological calls). It checks nothing, "
      "keeps o1heap's diagnostic counters (fewer than bareheap's), and takes fewer instructions than o1heap's "
      "published figures (the o1heap * row): "
      "a comparison with it errs against bareheap.")
    w("")
    if ctx.get("br64") and ns[(BRANCHES, "small")]:
        def paired(wl):
            # The default's time over the branches' build's: median (lowest - highest).
            v = ratios("bareheap", wl, BRANCHES)
            return "%.2f (%.2f - %.2f)" % (statistics.median(v), v[0], v[-1]) if v else "-"

        def wcet_pair(target, call):
            dflt, other = wcet_worst(R, "SL%dP%d" % (DEFAULT_SL, DEFAULT_PROBE), target, call), \
                wcet_worst(R, "BRANCHLESS", target, call)
            return "%s -> %s" % (fmt(dflt), fmt(other))
        w("§ The same build with the free lists kept by branches on whether a list was or becomes empty "
          "(`BAREHEAP_BRANCHLESS_LISTS=0`), the default on every target but x86-64, timed in the same rounds "
          "(before the default in even rounds, after it in odd ones): fewer instructions, but on these random "
          "workloads those branches go either way, and a wrong guess costs this core more than the instructions "
          "saved. The default's time over this build's, paired round by round, median (lowest - highest): "
          "small %s, mixed %s. On the cores where a call's instructions are its time (Cortex-M, RISC-V "
          "microcontrollers) the branches stay: with the branchless lists the worst alloc and free at -O2 "
          "would go from %s and %s on Cortex-M3, from %s and %s on RV32 (`tools/wcet.sh`, as the trade-off "
          "table below)." % (paired("small"), paired("mixed"), wcet_pair("Cortex-M3", "alloc"),
                             wcet_pair("Cortex-M3", "free"), wcet_pair("RV32IMAC", "alloc"),
                             wcet_pair("RV32IMAC", "free")))
        w("")
    md.extend(frag_headline(ctx))
    w("")
    w("![instructions per call](instructions.png)")
    w("")

    # ---- time
    w("## Time per op")
    w("")
    w("Wall-clock ns per op (an op is one alloc, free or realloc, with the driver's loop). In each of %d "
      "rounds every allocator runs once, interleaved so that they share the machine's state, each workload "
      "in a process of its own after one call of each function (lazy binding, allocator set-up), and reports "
      "the median of %d repetitions; ns is the median over the rounds, the ratio the median over the "
      "rounds of the allocator's figure over glibc's in the same round. glibc runs with its heap trimming "
      "off (M_TRIM_THRESHOLD), so that like the others it starts every repetition with its pages resident "
      "rather than fault them in again inside the timed loop. Timings vary from run to run on a "
      "shared machine; the instruction counts above do not." % (ctx["rounds"], ctx["reps"]))
    w("")
    w("| allocator | small | ratio | mixed | ratio | realloc | ratio |")
    w("|---|---|---|---|---|---|---|")
    for a in ALLOCATORS:
        w("| %s | %s | %s | %s | %s | %s | %s |" % (a, fmt(ns[(a, "small")], 1), fmt(ratio(a, "small"), 2),
                                                    fmt(ns[(a, "mixed")], 1), fmt(ratio(a, "mixed"), 2),
                                                    fmt(ns[(a, "realloc")], 1), fmt(ratio(a, "realloc"), 2)))
    w("")
    w("The realloc workload (64 buffers, each grown from 8..256 B in random steps of 16..4096 B up to 64 KiB, "
      "then freed; %s ops) is dominated by copying. Instructions per realloc call: %s." % (
          "20,000", ", ".join("%s %s" % (a, fmt(ins(a, "realloc", "realloc")))
                              for a in ALLOCATORS if ins(a, "realloc", "realloc"))))
    w("")
    w("![time per op, ratio to glibc](time.png)")
    w("")

    # ---- latency
    info = find(R, mode="latinfo", alloc="bareheap")
    w("## Latency per call")
    w("")
    w("Cycle counter (`rdtsc` between `lfence`s), converted to ns (%s ticks per ns measured against the "
      "monotonic clock), the timing overhead (%s ticks) subtracted. Each workload runs %d times with the same "
      "op sequence; per call the minimum over the runs is kept, which removes preemption and page faults "
      "that are not the allocator's. The counter of this virtual machine ticks in steps of about 10 ns, so "
      "figures below that are noise." % (fmt(info[0]["tsc_per_ns"], 2) if info else "?",
                                         info[0]["overhead_ticks"] if info else "?", ctx["lat_reps"]))
    w("")
    w("| allocator | workload | call | mean | p50 | p99 | p99.99 | max |")
    w("|---|---|---|---|---|---|---|---|")
    for wl in ("small", "mixed", "realloc"):
        for call in ("alloc", "free", "realloc"):
            for a in ALLOCATORS:
                r = find(R, mode="lat", alloc=a, workload=wl, call=call)
                if r:
                    r = r[0]
                    w("| %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f |" % (
                        a, wl, call, r["mean_ns"], r["p50_ns"], r["p99_ns"], r["p9999_ns"], r["max_ns"]))
    w("")
    w("![latency percentiles](latency.png)")
    w("")

    # ---- pathological
    w("## Pathological single calls (bareheap)")
    w("")
    w("Each call is set up on a fresh 1 MiB heap (setup not counted) and made 2,000 times per run, "
      "minimum per call over %d runs. Instructions from callgrind (100 calls; every call identical)." %
      ctx["lat_reps"])
    w("")
    w("| call | what it exercises | instructions | instructions, probe limit 1 | p50 ns | p99 ns | p99.99 ns | "
      "max ns |")
    w("|---|---|---|---|---|---|---|---|")
    what = {
        "split_huge_block": "alloc(100) split from the one free block of a fresh heap",
        "free_two_free_neighbours": "free of a block between two free blocks: merge both sides",
        "alloc_last_class": "a request in the class of a fresh heap's one block: nothing above, bitmap search fails, head probed",
        "alloc_probe_full": "own class holds PROBE_LIMIT-1 blocks too small ahead of the one that fits",
        "aligned_4096": "alloc_aligned(4096, 1000): front gap and tail both split off",
        "realloc_move_256_to_512": "realloc that cannot grow in place: alloc, copy 256 B, free",
    }
    p1 = x64[(DEFAULT_SL, 1)]
    for r in find(R, mode="path", build=bh.name):
        sc, call = r["workload"], r["call"]
        w("| %s | %s | %s | %s | %.0f | %.0f | %.0f | %.0f |" % (
            sc, what.get(sc, ""), fmt(I(bh.name, sc, call)), fmt(I(p1.name, sc, call)), r["p50_ns"], r["p99_ns"],
            r["p9999_ns"], r["max_ns"]))
    w("")
    hf = ctx.get("halffit")
    hf_rows = find(R, mode="path", build=hf.name) if hf else []
    if hf_rows:
        w("The same calls on half-fit († above, standing in for o1heap), where it has them: it has no aligned "
          "allocation and no probe, and its realloc is an allocation, a copy and a free. Set up and measured the "
          "same way, in the same run. The p99.99 target asks that bareheap's be no worse.")
        w("")
        w("| call | instructions, bareheap / half-fit | p50 ns, bareheap / half-fit | p99.99 ns, bareheap / half-fit | "
          "max ns, bareheap / half-fit |")
        w("|---|---|---|---|---|")
        for h in hf_rows:
            sc, call = h["workload"], h["call"]
            b = find(R, mode="path", build=bh.name, workload=sc)
            if not b:
                continue
            b = b[0]
            w("| %s | %s / %s | %.0f / %.0f | %.0f / %.0f | %.0f / %.0f |" % (
                sc, fmt(I(bh.name, sc, call)), fmt(I(hf.name, sc, call)), b["p50_ns"], h["p50_ns"],
                b["p9999_ns"], h["p9999_ns"], b["max_ns"], h["max_ns"]))
        w("")

    # ---- where the instructions go
    w("## Where bareheap's instructions go")
    w("")
    w("Self instructions by source function of `src/`, from callgrind's per-line counts of the default "
      "build, so helpers the compiler inlined are counted under their own name (the file they are written in "
      "is given). Per alloc+free pair: total / ((allocs + frees) / 2).")
    w("")
    bd = ctx["breakdowns"]
    cnt = {}
    for wl in ("small", "mixed"):
        c = find(R, mode="count", build=bh.name, workload=wl)
        cnt[wl] = (c[0]["allocs"] + c[0]["frees"]) / 2.0 if c else 1.0
    names = sorted(set(bd["small"]) | set(bd["mixed"]), key=lambda k: -(bd["small"].get(k, 0)))
    tot = {wl: sum(bd[wl].values()) for wl in bd}
    w("| function | small: per pair | share | mixed: per pair | share |")
    w("|---|---|---|---|---|")
    for n in names:
        s, m = bd["small"].get(n, 0), bd["mixed"].get(n, 0)
        if s / cnt["small"] < 0.05 and m / cnt["mixed"] < 0.05:
            continue
        w("| `%s` | %.1f | %.0f%% | %.1f | %.0f%% |" % (n, s / cnt["small"], 100.0 * s / max(tot["small"], 1),
                                                       m / cnt["mixed"], 100.0 * m / max(tot["mixed"], 1)))
    w("| total | %.1f | | %.1f | |" % (tot["small"] / cnt["small"], tot["mixed"] / cnt["mixed"]))
    w("")
    hot = ctx["hot_lines"]
    w("The hottest source lines of the small workload (self instructions per alloc+free pair):")
    w("")
    w("| line | per pair | source |")
    w("|---|---|---|")
    for (path, lineno), cost in hot:
        try:
            with open(path) as f:
                text = f.read().splitlines()[lineno - 1].strip()
        except (OSError, IndexError):
            text = ""
        w("| %s:%d | %.1f | `%s` |" % (os.path.basename(path), lineno, cost / cnt["small"],
                                      text.replace("|", "\\|")[:90]))
    w("")

    # ---- fragmentation detail
    w("## Fragmentation")
    w("")
    md.extend(frag_detail(ctx))
    w("")
    w("![memory used at first failure per seed](fragmentation.png)")
    w("")

    # ---- sizes
    w("## Sizes")
    w("")
    inf64 = find(R, mode="info", build=bh.name)
    inf32 = find(R, mode="info", build=m32_def.name)
    if inf64 and inf32:
        w("Per block: a header of %d bytes on 32-bit and %d on 64-bit; blocks are multiples of the alignment, "
          "at least %d bytes (32-bit, 8-byte alignment) and %d (64-bit)." % (
              inf32[0]["header"], inf64[0]["header"], inf32[0]["min_block"], inf64[0]["min_block"]))
        w("")
    w("Control structure (`bh_control_size()`), bytes:")
    w("")
    regions = sorted({r["region"] for r in find(R, mode="control")})
    w("| build | " + " | ".join(kib(x) for x in regions) + " |")
    w("|---|" + "---|" * len(regions))
    for label, table in (("32-bit, 8-byte alignment", m32a8), ("64-bit", x64)):
        for s in SL_VALUES:
            b = table[(s, DEFAULT_PROBE)]
            vals = {r["region"]: r["control"] for r in find(R, mode="control", build=b.name)}
            w("| %s, SL_LOG2=%d%s | %s |" % (label, s, " (default)" if s == DEFAULT_SL else "",
                                             " | ".join(fmt(vals.get(x)) for x in regions)))
    w("")
    w("Code size is measured by `make size` (Cortex-M0, Cortex-M4 and RV32 at -Os) and given in the README.")
    w("")

    # ---- trade-off
    w("## Trade-off: second-level classes and probe limit")
    w("")
    w("Control size and memory used at first failure on 32-bit with 8-byte alignment (the Cortex-M model, "
      "qemu-i386); instructions per call on x86-64 (callgrind); false failures over both heaps and all seeds. "
      "`alloc_probe_full` is the worst probe: PROBE_LIMIT blocks examined. The last two columns are the worst "
      "case per call at -O2, alloc / free / realloc (without the copy) / aligned alloc, from `tools/wcet.sh` "
      "with each configuration: QEMU's instruction trace over the same random and pathological sequences as "
      "`make wcet`, whose built worst calls are checked to take their paths in every configuration.")
    w("")
    w("| SL_LOG2 | probe | control 64 KiB | control 1 MiB | used at failure, 1 MiB | used at failure, 64 KiB | "
      "false failures | small alloc / free | mixed alloc / free | alloc_probe_full | worst, Cortex-M3 | worst, RV32 |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")

    def w1(label, target, call):
        return wcet_worst(R, label, target, call)

    def worst(label, target):
        return " / ".join(fmt(w1(label, target, c)) for c in ("alloc", "free", "realloc", "aligned"))

    def worsts(label):
        return "%s | %s" % (worst(label, "Cortex-M3"), worst(label, "RV32IMAC"))
    trade = []
    for s in SL_VALUES:
        for p in PROBE_VALUES:
            b32, b64 = m32a8[(s, p)], x64[(s, p)]
            f1, f2 = fragsum(R, b32, FRAG_RUNS[0][0]), fragsum(R, b32, FRAG_RUNS[1][0])
            if not (f1 and f2):
                continue
            ff = f1["false_failures"] + f2["false_failures"]
            row = (s, p, f2["control"], f1["control"], f1["mean_ratio"], f2["mean_ratio"], ff,
                   I(b64.name, "small", "alloc"), I(b64.name, "small", "free"), I(b64.name, "mixed", "alloc"),
                   I(b64.name, "mixed", "free"), I(b64.name, "alloc_probe_full", "alloc"))
            trade.append(row)
            w("| %d%s | %d | %d B | %d B | %.3f | %.3f | %d | %s / %s | %s / %s | %s | %s |" % (
                s, " (default)" if (s, p) == (DEFAULT_SL, DEFAULT_PROBE) else "", p, row[2], row[3], row[4], row[5],
                ff, fmt(row[7]), fmt(row[8]), fmt(row[9]), fmt(row[10]), fmt(row[11]), worsts("SL%dP%d" % (s, p))))
    # The default classes and probe with one option changed: BAREHEAP_CLOSE_FIT=1 (the own class's first block
    # first), BAREHEAP_DEBUG=0 (no pointer validation) and BAREHEAP_LOCK_HOOKS=0 (no hooks; the worst cases
    # with the interrupt mask compiled in).
    for label, wlabel, b32, b64 in (("`BAREHEAP_CLOSE_FIT=1`", "CLOSE_FIT", ctx.get("cf32"), ctx.get("cf64")),
                                    ("`BAREHEAP_DEBUG=0`", "DEBUG0", ctx.get("nd32"), ctx.get("nd64")),
                                    ("`BAREHEAP_LOCK_HOOKS=0` ‡", "NOHOOKS", ctx.get("nh32"), ctx.get("nh64"))):
        if not (b32 and b64):
            continue
        f1, f2 = fragsum(R, b32, FRAG_RUNS[0][0]), fragsum(R, b32, FRAG_RUNS[1][0])
        if f1 and f2:
            w("| %d, %s | %d | %d B | %d B | %.3f | %.3f | %d | %s / %s | %s / %s | %s | %s |" % (
                DEFAULT_SL, label, DEFAULT_PROBE, f2["control"], f1["control"], f1["mean_ratio"], f2["mean_ratio"],
                f1["false_failures"] + f2["false_failures"], fmt(I(b64.name, "small", "alloc")),
                fmt(I(b64.name, "small", "free")), fmt(I(b64.name, "mixed", "alloc")),
                fmt(I(b64.name, "mixed", "free")), fmt(I(b64.name, "alloc_probe_full", "alloc")), worsts(wlabel)))
    w("")
    dflt = "SL%dP%d" % (DEFAULT_SL, DEFAULT_PROBE)
    cm3 = [[w1("SL%dP%d" % (sl, DEFAULT_PROBE), "Cortex-M3", c) for sl in SL_VALUES] for c in ("alloc", "free")]
    if all(v is not None for vs in cm3 for v in vs):
        def span(vs):
            return fmt(min(vs)) if min(vs) == max(vs) else "%s to %s" % (fmt(min(vs)), fmt(max(vs)))

        def at_probes(call):
            return ", ".join(fmt(w1("SL%dP%d" % (DEFAULT_SL, p), "Cortex-M3", call)) for p in PROBE_VALUES)
        w("On Cortex-M3, with the default probe limit, the worst alloc is %s instructions and the worst free %s "
          "at every SL_LOG2 from %d to %d: the number of second-level classes is chosen by memory used at failure "
          "against control size, not by the worst case. The probe limit sets how many blocks a search may examine: "
          "Cortex-M3 worst alloc %s and worst aligned alloc %s at probe limits %s; fewer probes cost false "
          "failures (the sweep below)." % (span(cm3[0]), span(cm3[1]), SL_VALUES[0], SL_VALUES[-1],
                                            at_probes("alloc"), at_probes("aligned"),
                                            ", ".join(str(p) for p in PROBE_VALUES)))
        w("")
    cf = [(w1(dflt, "Cortex-M3", c), w1("CLOSE_FIT", "Cortex-M3", c)) for c in ("alloc", "aligned")]
    if all(a is not None and b is not None for a, b in cf):
        w("`BAREHEAP_CLOSE_FIT=1` (off by default) tries the first block of the request's own class before a class "
          "above: closer fits for a few instructions more in the worst allocation (Cortex-M3 -O2: worst alloc %s -> "
          "%s, worst aligned %s -> %s); firmware keeps the lower worst case, the hosted malloc turns it on for "
          "memory." % (fmt(cf[0][0]), fmt(cf[0][1]), fmt(cf[1][0]), fmt(cf[1][1])))
        w("")
    nd64, main64 = ctx.get("nd64"), x64[(DEFAULT_SL, DEFAULT_PROBE)]
    if nd64 and I(nd64.name, "small", "free") and I(main64.name, "small", "free"):
        w("`BAREHEAP_DEBUG=0` leaves out the validation of the pointer given to free and realloc (its region, its "
          "header, its neighbours' headers and the footer before it): free takes %s instructions instead of %s on "
          "small sizes and %s instead of %s on mixed ones, and blocks are placed the same. Without it a foreign, "
          "interior or twice-freed pointer corrupts the heap instead of being reported and ignored, so the default "
          "keeps it: correctness comes before speed (its worst cases on Cortex-M3 and RV32 are in the table)." % (
              fmt(I(nd64.name, "small", "free")), fmt(I(main64.name, "small", "free")),
              fmt(I(nd64.name, "mixed", "free")), fmt(I(main64.name, "mixed", "free"))))
        w("")
    nh64 = ctx.get("nh64")
    nh_w = [(w1("NOHOOKS", "Cortex-M3", c), w1(dflt, "Cortex-M3", c)) for c in ("alloc", "free")]
    if nh64 and I(nh64.name, "small", "alloc") and I(main64.name, "small", "alloc") and \
            all(a is not None and b is not None for a, b in nh_w):
        w("‡ `BAREHEAP_LOCK_HOOKS=0` takes out the per-heap lock hooks and their test in each call (on the host, "
          "with no lock in their place: small alloc / free %s / %s instructions instead of %s / %s). Its worst "
          "cases are measured with the interrupt mask compiled into every call instead "
          "(`port/locks/bareheap_lock_mask_in_line.h`), which makes every call safe from interrupt handlers: "
          "Cortex-M3 -O2 worst alloc %s and free %s, against %s and %s for the default build with no lock at "
          "all. The default keeps the hooks, which let each heap choose its lock at run time." % (
              fmt(I(nh64.name, "small", "alloc")), fmt(I(nh64.name, "small", "free")),
              fmt(I(main64.name, "small", "alloc")), fmt(I(main64.name, "small", "free")),
              fmt(nh_w[0][0]), fmt(nh_w[1][0]), fmt(nh_w[0][1]), fmt(nh_w[1][1])))
        w("")
    w("![trade-off](tradeoff.png)")
    w("")
    probe_sweep_table(w, R)

    w("## Method")
    w("")
    w("- One driver (`bench/bench.c`), one pre-generated op sequence per workload (fixed seeds), reached "
      "through four never-inlined functions (`bench_alloc`, `bench_free`, `bench_realloc`, `bench_aligned`); "
      "one binary per allocator.")
    w("- small: 4,096 slots, 2,000,000 ops, sizes uniform 8..256 B; each op frees the slot's block if it "
      "holds one, else allocates. mixed: 1,024 slots, 1,000,000 ops, sizes log-uniform 8 B..64 KiB. "
      "Every allocated block has its first byte written.")
    w("- Each workload runs in a process of its own, after one call of each function (lazy binding and "
      "set-up stay out): a hosted malloc cannot be reset, and would otherwise start a workload from the "
      "state the one before left, where bareheap starts from a fresh heap.")
    w("- Instructions: `valgrind --tool=callgrind`, stats zeroed before and dumped after each workload's "
      "loop (client requests); per call = the cost callgrind attributes below the wrapper / calls. The "
      "wrappers' own instructions are left out, and with them the PLT jump of the shared-library "
      "allocators (callgrind's `--skip-plt` counts it in the caller).")
    w("- Nothing here fails on a figure: targets are printed next to what was measured.")
    w("")

    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")

    # ---- plots
    def dat(name, lines):
        with open(os.path.join(plotdir, name), "w") as f:
            f.write("\n".join(lines) + "\n")
        return os.path.join(plotdir, name)

    png = lambda n: os.path.join(out, n)
    common = "set terminal pngcairo size 900,480 font 'sans,10'\nset grid ytics\nset key top left\n"
    # The three bar charts share their style.
    histogram = "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
    rows_i = []
    for a in ALLOCATORS:
        rows_i.append('"%s" %s' % (a, " ".join(fmt(ins(a, wl, c)).replace(",", "") for wl in ("small", "mixed")
                                               for c in ("alloc", "free"))))
    for name, sa, sf, ma, mf in FIELD_INSTR[:3]:
        rows_i.append('"%s*" %d %d %d %d' % (name.split(" ")[0], sa, sf, ma, mf))
    d = dat("instructions.dat", rows_i)
    gnuplot(common + histogram + """set output '%s'
set title 'Instructions per call (callgrind, x86-64; * = published figure)'
set ylabel 'instructions'
set xtics rotate by -20
set yrange [0:*]
plot '%s' using 2:xtic(1) title 'small alloc', '' using 3 title 'small free', '' using 4 title 'mixed alloc', '' using 5 title 'mixed free'
""" % (png("instructions.png"), d), "instructions", plotdir)

    d = dat("time.dat", ['"%s" %s' % (a, " ".join("%.3f" % (ratio(a, wl) or 0) for wl in ("small", "mixed", "realloc")))
                         for a in ALLOCATORS])
    gnuplot(common + histogram + """set output '%s'
set title 'Time per op, ratio to glibc in the same run (lower is faster)'
set yrange [0:*]
plot '%s' using 2:xtic(1) title 'small', '' using 3 title 'mixed', '' using 4 title 'realloc', 1 notitle lc rgb 'black' dt 2
""" % (png("time.png"), d), "time", plotdir)

    lrows = []
    for a in ALLOCATORS:
        vals = []
        for call in ("alloc", "free"):
            r = find(R, mode="lat", alloc=a, workload="small", call=call)
            r = r[0] if r else {"p50_ns": 0, "p99_ns": 0, "p9999_ns": 0}
            vals += [max(r["p50_ns"], 1), max(r["p99_ns"], 1), max(r["p9999_ns"], 1)]
        lrows.append('"%s" %s' % (a, " ".join("%.1f" % v for v in vals)))
    d = dat("latency.dat", lrows)
    gnuplot(common + histogram + """set output '%s'
set title 'Latency per call, small workload (ns, minimum per call over repeated runs)'
set logscale y
set yrange [1:*]
plot '%s' using 2:xtic(1) title 'alloc p50', '' using 3 title 'alloc p99', '' using 4 title 'alloc p99.99', '' using 5 title 'free p50', '' using 6 title 'free p99', '' using 7 title 'free p99.99'
""" % (png("latency.png"), d), "latency", plotdir)

    series = []
    for label, b in frag_rows(ctx):
        for region, _lo, _hi in FRAG_RUNS:
            pts = sorted((r["seed"], r["ratio"]) for r in find(R, mode="frag", build=b.name, region=region))
            f = dat("frag_%s_%d.dat" % (b.name, region), ["%d %.4f" % p for p in pts])
            series.append("'%s' using 1:2 with linespoints title '%s, %s'" % (f, label.split(" (")[0], kib(region)))
    gnuplot(common + """set output '%s'
set title 'Memory used at first failure, per seed (live requested / region)'
set key bottom right
set xlabel 'seed'
set yrange [0.6:1]
plot %s, %.2f title 'target 1 MiB' dt 2 lc rgb 'black', %.2f title 'target 64 KiB' dt 3 lc rgb 'black'
""" % (png("fragmentation.png"), ", ".join(series), TARGETS["frag_1m"], TARGETS["frag_64k"]), "fragmentation", plotdir)

    trows = ["%d %.4f %d %.4f \"SL_LOG2=%d\"" % (t[2], t[5], t[3], t[4], t[0]) for t in trade if t[1] == DEFAULT_PROBE]
    d = dat("tradeoff.dat", trows)
    gnuplot(common + """set output '%s'
set title 'Control size against memory used at first failure (32-bit, 8-byte alignment, probe limit DEFAULT_PROBE_PLACEHOLDER)'
set xlabel 'control structure (bytes)'
set ylabel 'live requested / region at first failure'
set key bottom right
plot '%s' using 1:2 with points pt 7 ps 1.3 title '64 KiB heap', '' using 1:2:5 with labels offset 0,1 font ',8' notitle, '' using 3:4 with points pt 5 ps 1.3 title '1 MiB heap', '' using 3:4:5 with labels offset 0,1 font ',8' notitle
""".replace("DEFAULT_PROBE_PLACEHOLDER", str(DEFAULT_PROBE)) % (png("tradeoff.png"), d), "tradeoff", plotdir)
