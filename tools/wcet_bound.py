#!/usr/bin/env python3
"""Path bound: the most instructions any path through a function can execute.

make wcet measures calls that were built to be the costliest; this script
checks the measurement from the other side. It reads the disassembly of the
firmware (objdump -d), builds each function's control-flow graph and takes
the longest path from the entry to a return, following direct calls and tail
jumps into their callees. Every path counts, feasible or not (two tests of the
same condition may be taken opposite ways), so the bound is at or above the
true worst case; the gap to the measured worst is what the sequences leave
untried or what no input can reach.

Counted as make wcet counts: one per instruction executed, the return
included. Indirect calls (the lock hooks, the error handler) count their call
instruction only: their bodies are the application's. Functions named with
--exclude (memcpy and its helpers, counted apart as the copy) count their call
only. A function with a loop (a backward branch) needs its bound, --loop
FUNC=N: the backward branches one call takes in all; the only loops on these
paths are the scan over the heap's other regions and, where it is not
unrolled, the probe of a class list.

Usage: wcet_bound.py --arch arm|riscv --objdump CMD --elf FILE
                     [--exclude f,g] [--loop FUNC=N ...] [--explain] entry...
Prints "entry bound" per entry.
"""
import argparse
import re
import subprocess
import sys

ARM_COND = r"(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)"
ARM_BRANCH = re.compile(r"^b" + ARM_COND + r"(\.n|\.w)?$")
RV_BRANCH = {"beq", "bne", "blt", "bge", "bltu", "bgeu", "beqz", "bnez", "blez", "bgez", "bltz", "bgtz",
             "bgt", "ble", "bgtu", "bleu"}


def parse(objdump, elf):
    """Functions: name -> list of (addr, mnemonic, operands), in address order."""
    text = subprocess.run([objdump, "-d", "--no-show-raw-insn", elf], check=True, capture_output=True,
                          text=True).stdout
    funcs, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^([0-9a-f]+) <([^>]+)>:$", line)
        if m:
            # static functions of two files may share a name
            cur = m.group(2) if m.group(2) not in funcs else m.group(2) + "@" + m.group(1)
            funcs[cur] = []
            continue
        m = re.match(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if m and cur is not None:
            funcs[cur].append((int(m.group(1), 16), m.group(2), m.group(3)))
    return funcs


def target_of(ops):
    m = re.search(r"([0-9a-f]+) <", ops)
    return int(m.group(1), 16) if m else None


class Bounder:
    def __init__(self, funcs, arch, exclude, loop_bounds):
        self.funcs = {n: i for n, i in funcs.items() if i}
        self.arch = arch
        self.exclude = exclude
        self.loop_bounds = loop_bounds
        self.owner = {}
        self.index = {n: {a: i for i, (a, _, _) in enumerate(insns)} for n, insns in self.funcs.items()}
        for name, insns in self.funcs.items():
            for k, (addr, _, _) in enumerate(insns):
                self.owner[addr] = (name, k)
        self.memo = {}
        self.backs = {}
        self.active = set()

    def kind(self, mnem, ops, prev=None):
        """(kind, target): kind in seq, jump, cond, call, icall, ret, cret.
        prev is the instruction before, (mnemonic, operands), if any."""
        if self.arch == "arm":
            if mnem in ("b", "b.n", "b.w"):
                return "jump", target_of(ops)
            if ARM_BRANCH.match(mnem) or mnem in ("cbz", "cbnz"):
                return "cond", target_of(ops)
            if mnem == "bl" or re.match(r"^bl" + ARM_COND + r"$", mnem):
                # a conditional call (in an IT block) counts as taken
                return "call", target_of(ops)
            if mnem.startswith("blx"):
                return "icall", None
            base = mnem.split(".")[0]
            if base.startswith("bx"):
                # bx lr returns; bx to another register is a tail call of a
                # hook (the unlock), whose body is the application's, unless
                # the register was just loaded from an indexed table
                reg = ops.strip()
                if reg != "lr" and prev and prev[0].startswith("ldr") and \
                        re.match(reg + r",\s*\[\w+,\s*\w+", prev[1]):
                    raise SystemExit(f"wcet_bound: an indexed jump ({mnem} {ops}) is not supported")
                return ("ret" if base == "bx" else "cret"), None
            if base.startswith(("pop", "ldm")) and "pc" in ops:
                conditional = re.match(r"^(pop|ldmia|ldmfd|ldm)" + ARM_COND + r"$", base)
                return ("cret" if conditional else "ret"), None
            if mnem in ("tbb", "tbh") or (mnem.startswith(("mov", "ldr", "add")) and ops.startswith("pc")):
                raise SystemExit(f"wcet_bound: unsupported control transfer: {mnem} {ops}")
            return "seq", None
        if mnem in ("j", "c.j"):
            return "jump", target_of(ops)
        if mnem in RV_BRANCH:
            return "cond", target_of(ops)
        if mnem in ("jal", "call"):
            return "call", target_of(ops)
        if mnem in ("ret", "jr"):
            # jr to a register other than ra: a tail call of a hook, unless the
            # register was just loaded (a jump table's dispatch)
            reg = ops.strip()
            if mnem == "jr" and reg != "ra" and prev and prev[0] in ("lw", "c.lw") and \
                    prev[1].startswith(reg + ","):
                raise SystemExit(f"wcet_bound: a table jump ({mnem} {ops}) is not supported")
            return "ret", None
        if mnem == "jalr":
            if target_of(ops) is not None:
                return "call", target_of(ops)
            if prev and prev[0] == "auipc":
                raise SystemExit(f"wcet_bound: a far call ({mnem} {ops}) without its target")
            return "icall", None
        return "seq", None

    def prev(self, name, k):
        return self.funcs[name][k - 1][1:] if k > 0 else None

    def successors(self, name, k):
        """Indices inside the function that instruction k may pass to."""
        addr, mnem, ops = self.funcs[name][k]
        kind, tgt = self.kind(mnem, ops, self.prev(name, k))
        out = []
        if kind in ("seq", "icall", "call", "cret", "cond"):
            out.append(k + 1)
        if kind in ("jump", "cond") and tgt in self.index[name]:
            out.append(self.index[name][tgt])
        return out

    def back_edges(self, name, start):
        """Edges (from, to) that close a cycle, by depth-first search from start."""
        key = (name, start)
        if key in self.backs:
            return self.backs[key]
        backs, state, stack = set(), {start: 1}, [(start, iter(self.successors(name, start)))]
        while stack:
            k, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[k] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                backs.add((k, nxt))
            elif nxt not in state:
                if nxt >= len(self.funcs[name]):
                    raise SystemExit(f"wcet_bound: {name} runs off its end")
                state[nxt] = 1
                stack.append((nxt, iter(self.successors(name, nxt))))
        self.backs[key] = backs
        return backs

    def function_bound(self, name):
        return self.from_addr(self.funcs[name][0][0])

    def from_addr(self, addr):
        """Longest path from addr (inside some function) to a return."""
        if addr not in self.owner:
            raise SystemExit(f"wcet_bound: a call or jump to {addr:x}, which is no instruction")
        name, k = self.owner[addr]
        if name in self.exclude:
            return 0
        key = (name, k)
        if key in self.memo:
            return self.memo[key]
        if key in self.active:
            raise SystemExit(f"wcet_bound: recursion through {name}")
        self.active.add(key)
        # the longest path from instruction k, taking the branches that close
        # a cycle (found by depth-first search) at most --loop times in all
        best = self.walk(name, k, {}, 0, self.back_edges(name, k))
        self.active.discard(key)
        self.memo[key] = best
        return best

    def step(self, name, k, loops, backs):
        """Where instruction k leads, with loops cycle-closing branches taken
        so far: (the address it calls or None, the address it tail-jumps to or
        None, [(next instruction, cycle-closing branches taken)])."""
        addr, mnem, ops = self.funcs[name][k]
        kind, tgt = self.kind(mnem, ops, self.prev(name, k))
        index = self.index[name]
        call = tgt if kind == "call" else None
        tail = None
        succ = []
        if kind in ("seq", "icall", "call", "cret", "cond"):
            succ.append((k + 1, loops))
        if kind in ("jump", "cond"):
            if tgt not in index:
                tail = tgt
            elif (k, index[tgt]) in backs:
                if name not in self.loop_bounds:
                    raise SystemExit(f"wcet_bound: {name} loops at {addr:x}: give --loop {name}=N")
                if loops < self.loop_bounds[name]:
                    succ.append((index[tgt], loops + 1))
            else:
                succ.append((index[tgt], loops))
        if any(s >= len(self.funcs[name]) for s, _ in succ):
            raise SystemExit(f"wcet_bound: {name} runs off its end at {addr:x}")
        return call, tail, succ

    def walk(self, name, k, cache, loops, backs):
        ck = (k, loops)
        if ck not in cache:
            call, tail, succ = self.step(name, k, loops, backs)
            rest = [self.walk(name, s, cache, n, backs) for s, n in succ]
            if tail is not None:
                rest.append(self.from_addr(tail))
            cache[ck] = 1 + (self.from_addr(call) if call is not None else 0) + max(rest, default=0)
        return cache[ck]


def explain(b, addr, out, depth=0, limit=4000):
    """Appends to out the longest path from addr (for --explain)."""
    name, k = b.owner[addr]
    if name in b.exclude:
        return
    loops, cache, backs = 0, {}, b.back_edges(name, k)
    while len(out) <= limit:
        a, mnem, ops = b.funcs[name][k]
        out.append(f"{'  ' * depth}{a:x} {mnem} {ops}")
        call, tail, succ = b.step(name, k, loops, backs)
        if call is not None:
            explain(b, call, out, depth + 1, limit)
        best = max(succ, key=lambda sn: b.walk(name, sn[0], cache, sn[1], backs), default=None)
        if tail is not None and (best is None or b.from_addr(tail) >= b.walk(name, best[0], cache, best[1], backs)):
            explain(b, tail, out, depth, limit)
            return
        if best is None:
            return
        k, loops = best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=["arm", "riscv"], required=True)
    ap.add_argument("--objdump", required=True)
    ap.add_argument("--elf", required=True)
    ap.add_argument("--exclude", default="")
    ap.add_argument("--loop", action="append", default=[],
                    help="FUNC=N: a call of FUNC takes its backward branches N times in all")
    ap.add_argument("--explain", action="store_true", help="print the longest path of each entry")
    ap.add_argument("entries", nargs="+")
    a = ap.parse_args()
    sys.setrecursionlimit(100000)
    funcs = parse(a.objdump, a.elf)
    loops = {}
    for spec in a.loop:
        fn, n = spec.split("=")
        loops[fn] = int(n)
    b = Bounder(funcs, a.arch, set(filter(None, a.exclude.split(","))), loops)
    for e in a.entries:
        if e not in b.funcs:
            raise SystemExit(f"wcet_bound: no function {e}")
        print(e, b.function_bound(e))
        if a.explain:
            out = []
            explain(b, b.funcs[e][0][0], out)
            print("\n".join(out))


if __name__ == "__main__":
    main()
