#!/usr/bin/env bash
# Runs a real program twice, under glibc's malloc and under the shim
# (LD_PRELOAD), and compares what it wrote, stdout and stderr, byte for
# byte. A missing program fails the test: it is not skipped.
#
#   run_programs.sh SHIM.so WORKDIR TEST [STRESS_BINARY [RLIMIT_BINARY]]
#   TEST: json | sqlite | gcc | stress | trace | exports | rlimit
set -euo pipefail

SO=$1
WORK=$2
TEST=$3
STRESS=${4:-}
RLIMIT_FILL=${5:-}
HERE=$(cd "$(dirname "$0")" && pwd)

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "run_programs: $1 is not installed (tools/install-deps.sh installs it)" >&2; exit 1; }
}

[ -f "$SO" ] || { echo "run_programs: no $SO" >&2; exit 1; }
mkdir -p "$WORK/$TEST"
cd "$WORK/$TEST"

# The interpreter itself, not a wrapper script (pyenv's shims start several
# processes, which would all inherit LD_PRELOAD and BAREHEAP_TRACE).
python_binary() {
  need python3
  python3 -c 'import sys; print(sys.executable)'
}

# run_both NAME COMMAND...: the command once per allocator; the outputs must
# match and the shim's run must not have printed anything on stderr that the
# glibc run did not (a failed preload or a reported bad free would).
run_both() {
  local name=$1
  shift
  "$@" >"$name.glibc.out" 2>"$name.glibc.err"
  LD_PRELOAD=$SO "$@" >"$name.shim.out" 2>"$name.shim.err"
  cmp "$name.glibc.out" "$name.shim.out"
  cmp "$name.glibc.err" "$name.shim.err"
  echo "run_programs: $name: $(wc -c <"$name.shim.out") bytes of output identical under glibc and the shim"
}

# The shim really is the malloc of a preloaded process.
check_preloaded() {
  local py
  py=$(python_binary)
  local arenas
  arenas=$(LD_PRELOAD=$SO "$py" -c 'import ctypes; print(ctypes.CDLL(None).bh_hosted_arena_count())')
  [ "$arenas" -ge 1 ] || { echo "run_programs: the shim is not loaded" >&2; exit 1; }
}

case "$TEST" in
  json)
    check_preloaded
    PY=$(python_binary)
    run_both json "$PY" "$HERE/workload_json.py" 200
    ;;
  sqlite)
    need sqlite3
    cat >script.sql <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, name TEXT, v REAL);
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
INSERT INTO t SELECT x, (x * 7919) % 100003, printf('name-%08d-%s', x, hex(x * x)), x * 0.5 FROM c;
COMMIT;
CREATE INDEX t_k ON t(k, name);
SELECT count(*), sum(k), max(name), total(v) FROM t;
SELECT k, count(*), min(name) FROM t WHERE k BETWEEN 500 AND 620 GROUP BY k ORDER BY k;
SELECT name FROM t WHERE k = 4242 ORDER BY name;
SELECT k % 97 AS g, count(*), sum(length(name)) FROM t GROUP BY g ORDER BY g;
PRAGMA integrity_check;
SQL
    rm -f glibc.db shim.db
    sqlite3 glibc.db <script.sql >sqlite.glibc.out 2>sqlite.glibc.err
    LD_PRELOAD=$SO sqlite3 shim.db <script.sql >sqlite.shim.out 2>sqlite.shim.err
    cmp sqlite.glibc.out sqlite.shim.out
    cmp sqlite.glibc.err sqlite.shim.err
    grep -qx 200000'|'* sqlite.shim.out || grep -q '^200000|' sqlite.shim.out
    echo "run_programs: sqlite: 200000 rows, index and queries identical under glibc and the shim"
    ;;
  gcc)
    need gcc
    PY=$(python_binary)
    "$PY" "$HERE/gen_c_file.py" 250 >gen.c
    [ "$(wc -l <gen.c)" -ge 3000 ] || { echo "run_programs: generated file too short" >&2; exit 1; }
    gcc -O1 -c gen.c -o glibc.o 2>gcc.glibc.err
    LD_PRELOAD=$SO gcc -O1 -c gen.c -o shim.o 2>gcc.shim.err
    cmp glibc.o shim.o
    cmp gcc.glibc.err gcc.shim.err
    gcc -O1 -S gen.c -o glibc.s
    LD_PRELOAD=$SO gcc -O1 -S gen.c -o shim.s
    cmp glibc.s shim.s
    echo "run_programs: gcc: $(wc -l <gen.c) lines compiled to identical object and assembly"
    ;;
  stress)
    [ -x "$STRESS" ] || { echo "run_programs: no stress binary" >&2; exit 1; }
    run_both stress "$STRESS"
    grep -q "damaged 0" stress.shim.out
    ;;
  trace)
    PY=$(python_binary)
    rm -f py.trace
    BAREHEAP_TRACE=$PWD/py.trace LD_PRELOAD=$SO "$PY" "$HERE/traced_program.py" >traced.out
    "$PY" "$HERE/check_trace.py" py.trace 1000
    # The traced program's own output is not disturbed.
    "$PY" "$HERE/traced_program.py" >untraced.out
    cmp traced.out untraced.out
    # %p: a program that starts another (fork, then exec) leaves one whole
    # trace per process; the fork child itself records nothing.
    rm -f multi.*
    BAREHEAP_TRACE=$PWD/multi.%p LD_PRELOAD=$SO "$PY" -c \
      'import subprocess, sys; subprocess.run([sys.executable, "-c", "print(sum(range(10)))"], check=True)' >/dev/null
    traces=(multi.*)
    [ "${#traces[@]}" -eq 2 ] || { echo "run_programs: expected 2 traces, got: ${traces[*]}" >&2; exit 1; }
    for t in "${traces[@]}"; do
      "$PY" "$HERE/check_trace.py" "$t" 100
    done
    # A trace that reaches the file-size limit (ulimit -f, 64 KiB here) stops
    # with a message, and the program runs on to its end: SIGXFSZ killed it.
    # A C program (python ignores SIGXFSZ), whose output does not depend on
    # the allocator.
    [ -x "$STRESS" ] || { echo "run_programs: no stress binary" >&2; exit 1; }
    rm -f big.trace
    "$STRESS" >unlimited.out
    status=0
    (ulimit -f 64; BAREHEAP_TRACE=$PWD/big.trace LD_PRELOAD=$SO "$STRESS" >limited.out 2>limited.err) || status=$?
    [ "$status" -eq 0 ] || { echo "run_programs: traced program under ulimit -f ended with status $status" >&2; exit 1; }
    cmp limited.out unlimited.out
    grep -q "trace: write failed, tracing stopped" limited.err ||
      { echo "run_programs: no message when the trace reached the file-size limit" >&2; cat limited.err >&2; exit 1; }
    ;;
  rlimit)
    # Under an address-space limit the shim reserves at most half of it
    # (smaller slices, fewer arenas) and still serves the program from its
    # arenas. The reservation is the anonymous PROT_NONE memory of the
    # process (less what its arenas have made read-write since).
    PY=$(python_binary)
    count='import ctypes; print(ctypes.CDLL(None).bh_hosted_arena_count())'
    reserved='import ctypes
ctypes.CDLL(None).bh_hosted_arena_count()
total = 0
for line in open("/proc/self/maps"):
    f = line.split()
    if f[1] == "---p" and len(f) == 5:
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        total += hi - lo
print(total)'
    default=$(LD_PRELOAD=$SO "$PY" -c "$count")
    arenas=$( (ulimit -v 700000; LD_PRELOAD=$SO "$PY" -c "$count") )
    bytes=$( (ulimit -v 700000; LD_PRELOAD=$SO "$PY" -c "$reserved") )
    [ "$arenas" -ge 1 ] && [ "$arenas" -le "$default" ] && [ "$bytes" -gt 0 ] && [ "$bytes" -le $((700000 * 1024 / 2)) ] ||
      { echo "run_programs: $arenas arenas (of $default) and $bytes bytes reserved under a 700 MB limit" >&2; exit 1; }
    (ulimit -v 700000; "$PY" "$HERE/workload_json.py" 60 >rlimit.glibc.out)
    (ulimit -v 700000; LD_PRELOAD=$SO "$PY" "$HERE/workload_json.py" 60 >rlimit.shim.out 2>rlimit.shim.err)
    cmp rlimit.glibc.out rlimit.shim.out
    [ ! -s rlimit.shim.err ] || { cat rlimit.shim.err >&2; exit 1; }
    echo "run_programs: rlimit: $arenas arenas (of $default), $((bytes >> 20)) MiB reserved under a 700 MB address-space limit, output identical"
    # Most of a 1.2 GB limit used, as glibc can: a quarter in one mapped
    # block (the reservation must leave room for it), 1 MiB blocks beyond
    # one arena's share (arenas lend each other their slices), then small
    # blocks (a page each once no heap has room). Each run fails on its own
    # if a request fails.
    [ -x "$RLIMIT_FILL" ] || { echo "run_programs: no rlimit_fill binary" >&2; exit 1; }
    (ulimit -v 1200000; "$RLIMIT_FILL" >fill.glibc.out)
    (ulimit -v 1200000; LD_PRELOAD=$SO "$RLIMIT_FILL" >fill.shim.out 2>fill.shim.err)
    cmp fill.glibc.out fill.shim.out
    [ ! -s fill.shim.err ] || { cat fill.shim.err >&2; exit 1; }
    echo "run_programs: rlimit: $(cat fill.shim.out), as under glibc"
    ;;
  exports)
    # Exactly the malloc family and the bh_hosted_* calls leave the .so: a
    # missing entry point would send its blocks to glibc, an extra symbol
    # could clash with the program's.
    need nm
    nm -D --defined-only "$SO" | awk '{print $3}' | sort >exported.txt
    sort "$HERE/../../port/hosted/bh_malloc_exports.txt" >expected.txt
    diff expected.txt exported.txt
    echo "run_programs: exports: $(wc -l <exported.txt) symbols, as listed"
    ;;
  *)
    echo "run_programs: unknown test $TEST" >&2
    exit 2
    ;;
esac
