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
instruction only: their bodies are the application's. A jump through a
register is taken for a hook's tail call only where the register holds, on
every path to the jump, a word loaded from a structure field (through a
pointer the function was given or loaded, not an address it computed) and
not written since; anything else there (a jump table's entry, a linker
veneer's address) stops the tool, as do
libgcc's table-dispatch helpers, rather than end the path early. Functions named with
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

# registers a call preserves (AAPCS, RISC-V psABI)
CALLEE_SAVED = {"arm": {"r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "sl", "fp", "sp"},
                "riscv": {"sp", "s0", "fp", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10",
                          "s11"}}


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
        self.pred_cache = {}

    def kind(self, mnem, ops, prev=None, at=None):
        """(kind, target): kind in seq, jump, cond, call, icall, ret, cret.
        prev is the instruction before, (mnemonic, operands), if any; at is
        where the instruction is, (function, index), for the test of a jump
        through a register (None: taken on trust, as preds() needs)."""
        if self.arch == "arm":
            if mnem in ("b", "b.n", "b.w"):
                return "jump", target_of(ops)
            if ARM_BRANCH.match(mnem) or mnem in ("cbz", "cbnz"):
                return "cond", target_of(ops)
            if "__gnu_thumb1_case_" in ops:
                raise SystemExit(f"wcet_bound: a jump table ({mnem} {ops}) is not supported")
            if mnem == "bl" or re.match(r"^bl" + ARM_COND + r"$", mnem):
                # a conditional call (in an IT block) counts as taken
                return "call", target_of(ops)
            if mnem.startswith("blx"):
                # blx <label>: a direct call that switches ARM/Thumb state;
                # blx <reg>: a hook's call (its body is the application's),
                # or a call whose callee this tool cannot see
                t = target_of(ops)
                if t is not None:
                    return "call", t
                self.icall_checked(ops.strip(), at, mnem, ops)
                return "icall", None
            base = mnem.split(".")[0]
            if base.startswith("bx"):
                # bx lr returns; bx to another register is a tail call of a
                # hook (the unlock), whose body is the application's, unless
                # the register was just loaded from an indexed table
                reg = ops.strip()
                if reg != "lr" and not self.hook_target(reg, at):
                    raise SystemExit(f"wcet_bound: a jump through {reg} that is no hook ({mnem} {ops})")
                return ("ret" if base == "bx" else "cret"), None
            if base.startswith(("pop", "ldm")) and "pc" in ops:
                if base.startswith("ldm") and not ops.startswith("sp!"):
                    # ldm from another base than the stack: a jump through a table
                    raise SystemExit(f"wcet_bound: unsupported control transfer: {mnem} {ops}")
                conditional = re.match(r"^(pop|ldmia|ldmfd|ldm)" + ARM_COND + r"$", base)
                return ("cret" if conditional else "ret"), None
            if base.startswith("ldr") and re.match(r"^pc, \[sp\], #4", ops):
                # pop {pc} in its 32-bit form
                return ("ret" if base == "ldr" else "cret"), None
            if mnem in ("tbb", "tbh") or (mnem.startswith(("mov", "ldr", "add")) and ops.startswith("pc")):
                raise SystemExit(f"wcet_bound: unsupported control transfer: {mnem} {ops}")
            return "seq", None
        if mnem in ("j", "c.j"):
            return "jump", target_of(ops)
        if mnem in RV_BRANCH:
            return "cond", target_of(ops)
        if mnem in ("jal", "call"):
            return "call", target_of(ops)
        if mnem == "jr" and target_of(ops) is not None:
            # auipc + jr: a far tail call (not relaxed to j)
            return "jump", target_of(ops)
        if mnem in ("ret", "jr"):
            # jr to a register other than ra: a tail call of a hook, unless the
            # register was just loaded (a jump table's dispatch); jr t0 the
            # return of a routine called by jal t0 (-msave-restore's
            # __riscv_save_N) where t0 still holds the link
            reg = ops.strip()
            if (mnem == "jr" and reg != "ra" and not (reg == "t0" and self.link_kept(reg, at)) and
                    not self.hook_target(reg, at)):
                raise SystemExit(f"wcet_bound: a jump through {reg} that is no hook ({mnem} {ops})")
            return "ret", None
        if mnem == "jalr":
            if target_of(ops) is not None:
                return "call", target_of(ops)
            if prev and prev[0] == "auipc":
                raise SystemExit(f"wcet_bound: a far call ({mnem} {ops}) without its target")
            # jalr rs / jalr rd, imm(rs): the register called through is rs
            m = re.search(r"\((\w+)\)\s*$", ops)
            self.icall_checked(m.group(1) if m else ops.split(",")[-1].strip(), at, mnem, ops)
            return "icall", None
        return "seq", None

    def icall_checked(self, reg, at, mnem, ops):
        """A call through reg is counted as its one instruction, the callee
        being a hook whose body is the application's: only when reg holds a
        pointer loaded from a structure field, as the lock and error hooks
        are. A call through a literal-pool address (-mlong-calls), a table
        or a sum reaches code this tool would not count: refused."""
        if not self.hook_target(reg, at):
            raise SystemExit(f"wcet_bound: a call through {reg} that is no hook ({mnem} {ops}): its callee is "
                             "not known here (a long call, -mlong-calls, or a table); build without them")

    def hook_target(self, reg, at):
        """True if reg, at instruction at = (function, index), holds on every
        path a word loaded from a structure field ([rX, #imm] / imm(rX): no
        index, not pc- or sp-relative), following register copies: a hook
        pointer. A table entry, a veneer's literal or a sum is no hook."""
        if at is None:
            return True
        name, k = at
        return self.field_at(name, k, reg, set())

    def link_kept(self, reg, at):
        """True if reg, at instruction at = (function, index), is on every
        path the value it had at the function's entry."""
        return at is None or self.unwritten(at[0], at[1], reg, set())

    def field_at(self, name, k, reg, seen):
        if (k, reg) in seen:
            return True
        seen.add((k, reg))
        preds = self.preds(name).get(k, [])
        if not preds:
            return False
        for p in preds:
            _, m, o = self.funcs[name][p]
            base = m.split(".")[0]
            writes = self.writes(name, p, reg)
            if writes == "call":
                return False  # a call clobbers the argument registers
            if not writes:
                if not self.field_at(name, p, reg, seen):
                    return False
                continue
            if self.writes_aside(name, p, reg):
                return False
            src = o.split(",", 1)[1].strip() if "," in o else ""
            if base in ("mov", "mv") and re.match(r"^\w+$", src):
                if not self.field_at(name, p, src, seen):
                    return False
                continue
            ptr = self.field_base(m, src)
            if ptr is None or not self.pointer_at(name, p, ptr, set()):
                return False
        return True

    def field_base(self, mnem, src):
        """The base register if src, the source operand of a load mnem, is a
        word of a structure: [rX, #imm] / imm(rX), not pc- or sp-relative;
        else None."""
        if self.arch == "arm":
            m = re.match(r"^\[(?!pc|sp)(\w+)(, #-?\d+)?\]", src)
            return m.group(1) if m and mnem.split(".")[0] == "ldr" else None
        m = re.match(r"^-?\d+\((?!sp)(\w+)\)$", src)
        return m.group(1) if m and mnem == "lw" else None

    def pointer_at(self, name, k, reg, seen):
        """True if reg, at instruction k of name, holds on every path a
        pointer: a value the function was entered with or a word loaded from
        a structure, through register copies. An address computed there (a
        table's base plus an index) is none, so a load through it reads a
        table's entry, not a structure's field."""
        if (k, reg) in seen:
            return True
        seen.add((k, reg))
        for p in self.preds(name).get(k, []):
            writes = self.writes(name, p, reg)
            if writes == "call":
                if reg not in CALLEE_SAVED[self.arch]:
                    return False
                writes = False
            if writes:
                if self.writes_aside(name, p, reg):
                    return False
                _, m, o = self.funcs[name][p]
                src = o.split(",", 1)[1].strip() if "," in o else ""
                if m.split(".")[0] in ("mov", "mv") and re.match(r"^\w+$", src):
                    reg2 = src
                elif self.field_base(m, src) is not None:
                    continue
                else:
                    return False
            else:
                reg2 = reg
            if not self.pointer_at(name, p, reg2, seen):
                return False
        return True

    def writes(self, name, k, reg):
        """True if instruction k of name may write reg; "call" for a call,
        which clobbers the argument registers."""
        _, m, o = self.funcs[name][k]
        base = m.split(".")[0]
        if base in ("bl", "blx", "jal", "jalr", "call") or re.match(r"^bl" + ARM_COND + "$", base):
            return "call"
        if self.arch == "arm":
            if self.writes_aside(name, k, reg):
                return True
            if base.startswith(("pop", "ldm")):
                return re.search(r"\b" + reg + r"\b", o.split("{", 1)[-1]) is not None
            if (re.match(r"^(str|stm|push|cmp|cmn|tst|teq|it)", base) or
                    base in ("b", "bx", "cbz", "cbnz") or ARM_BRANCH.match(base)):
                return False
            # (bic, bfi, bfc... write their first operand like the rest)
            return o.split(",")[0].strip() == reg
        if m in ("sw", "sh", "sb", "j") or m in RV_BRANCH:
            return False
        return o.split(",")[0].strip() == reg

    def writes_aside(self, name, k, reg):
        """True if instruction k of name writes reg other than as its one
        destination, the first operand: the base register of a writeback
        ([rX, #imm]!, [rX], #imm, rX!), a store-exclusive's status, the
        second destination of ldrd and of the long multiplies. What reg then
        holds is no word loaded from a field."""
        if self.arch != "arm":
            return False
        _, m, o = self.funcs[name][k]
        base = m.split(".")[0]
        if (re.search(r"\[" + reg + r"\b[^\]]*\]!", o) or re.search(r"\[" + reg + r"\],", o) or
                re.match(r"^" + reg + r"!", o.strip())):
            return True
        if base.startswith("strex"):
            return o.split(",")[0].strip() == reg
        return (base.startswith(("ldrd", "ldrexd", "umull", "smull", "umlal", "smlal")) and
                reg in [x.strip() for x in o.split(",")[:2]])

    def unwritten(self, name, k, reg, seen):
        """True if no path from the entry of name to instruction k writes
        reg, calls included: it still holds what the caller passed."""
        if k in seen:
            return True
        seen.add(k)
        for p in self.preds(name).get(k, []):
            if self.writes(name, p, reg) or not self.unwritten(name, p, reg, seen):
                return False
        return True

    def preds(self, name):
        """Instruction index -> the indices that may pass to it, in name."""
        if name not in self.pred_cache:
            pr = {}
            for k in range(len(self.funcs[name])):
                # jumps through registers taken on trust: their test needs preds
                for s in self.edges(name, k, *self.classify(name, k, hooks=False)):
                    pr.setdefault(s, []).append(k)
            self.pred_cache[name] = pr
        return self.pred_cache[name]

    def prev(self, name, k):
        return self.funcs[name][k - 1][1:] if k > 0 else None

    def classify(self, name, k, hooks=True):
        """kind() of instruction k of name, a bl inside its own function (a
        Thumb-1 far jump) taken as the jump it is. A bl to its own entry is
        recursion, and a RISC-V jal to its own function a call, as they are."""
        _, mnem, ops = self.funcs[name][k]
        kind, tgt = self.kind(mnem, ops, self.prev(name, k), (name, k) if hooks else None)
        if (kind == "call" and self.arch == "arm" and tgt in self.index[name] and
                tgt != self.funcs[name][0][0]):
            kind = "jump"
        return kind, tgt

    def edges(self, name, k, kind, tgt):
        """Indices inside name that instruction k, of that kind, may pass to."""
        out = []
        if kind in ("seq", "icall", "call", "cret", "cond"):
            out.append(k + 1)
        if kind in ("jump", "cond") and tgt in self.index[name]:
            out.append(self.index[name][tgt])
        return out

    def successors(self, name, k):
        """Indices inside the function that instruction k may pass to."""
        return self.edges(name, k, *self.classify(name, k))

    def back_edges(self, name, start):
        """The backward edges (to at or before from) inside a cycle, among
        the instructions reachable from start: the backward branches of its
        loops. Every cycle has one, so with them cut the graph has none. (The
        edges a depth-first search finds closing a cycle would not do: a loop
        with two entries can take two of those per turn, one of them forward,
        so that N of them are fewer turns than N backward branches.)"""
        key = (name, start)
        if key in self.backs:
            return self.backs[key]
        # Tarjan's strongly connected components
        index, low, comp, stack, on = {}, {}, {}, [], set()

        def visit(k):
            if k >= len(self.funcs[name]):
                raise SystemExit(f"wcet_bound: {name} runs off its end")
            index[k] = low[k] = len(index)
            stack.append(k)
            on.add(k)
            for s in self.successors(name, k):
                if s not in index:
                    visit(s)
                    low[k] = min(low[k], low[s])
                elif s in on:
                    low[k] = min(low[k], index[s])
            if low[k] == index[k]:
                while True:
                    m = stack.pop()
                    on.discard(m)
                    comp[m] = k
                    if m == k:
                        break

        visit(start)
        backs = {(k, s) for k in index for s in self.successors(name, k)
                 if s <= k and comp.get(s) == comp[k]}
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
        # a cycle (the backward branches of its loops) at most --loop times in all
        best = self.walk(name, k, {}, 0, self.back_edges(name, k))
        self.active.discard(key)
        self.memo[key] = best
        return best

    def step(self, name, k, loops, backs):
        """Where instruction k leads, with loops cycle-closing branches taken
        so far: (the address it calls or None, the address it tail-jumps to or
        None, [(next instruction, cycle-closing branches taken)])."""
        addr = self.funcs[name][k][0]
        kind, tgt = self.classify(name, k)
        call = tgt if kind == "call" else None
        tail = tgt if kind in ("jump", "cond") and tgt not in self.index[name] else None
        succ = []
        for s in self.edges(name, k, kind, tgt):
            # a fall-through can close a cycle too (a loop entered at its test)
            if (k, s) in backs:
                if name not in self.loop_bounds:
                    raise SystemExit(f"wcet_bound: {name} loops at {addr:x}: give --loop {name}=N")
                if loops < self.loop_bounds[name]:
                    succ.append((s, loops + 1))
            else:
                succ.append((s, loops))
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
