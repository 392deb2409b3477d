#!/usr/bin/env bash
# make wcet: exact instructions per call of bh_alloc, bh_free, bh_realloc and
# bh_alloc_aligned on Cortex-M3 and RV32IMAC, at -O2 and -Os, under QEMU.
#
# tools/wcet/wcet.c is built as firmware for QEMU's mps2-an385 (Cortex-M3) and
# virt (RV32IMAC) with the board support of port/baremetal/ and the CPU flags
# of cmake/toolchain-cortex-m3.cmake and cmake/toolchain-rv32imac.cmake, the
# core in its default configuration. It runs random and pathological call
# sequences on a 64 KiB heap, and calls on larger blocks on a heap in the RAM
# after the image (see the comment at its top), each measured call between a
# marker function wcet_op_<case>() and wcet_done().
#
# QEMU runs it with -singlestep -d exec,nochain, which logs one line per
# executed instruction with the symbol of its function. The log goes through
# a pipe to awk, which counts, between a marker and wcet_done, the lines whose
# function is not the firmware's own (wcet_* or main): the instructions of
# bareheap and its libgcc helpers, exactly, from the entry's first instruction
# through its return (the call instruction is the caller's, not counted).
# memcpy/memmove/memset are counted apart: "realloc, no copy" leaves them out.
#
# Each target is built at -O2 and -Os in the default configuration
# (BAREHEAP_DEBUG=1: O(1) pointer validation on free and realloc; no lock
# hooks installed), at -O2 with BAREHEAP_DEBUG=0, and at -O2 with the
# interrupt mask of port/locks/ compiled into every call (BAREHEAP_LOCK_HOOKS
# 0, port/locks/bareheap_lock_mask_in_line.h): what a heap shared with interrupt
# handlers costs; and, for comparison, at -O2 with the same mask installed as
# lock hooks (bh_set_lock), the hooks' calls and bodies counted. The path
# bound counts a hook's call only, so that build has no bound beside it.
#
# For comparison it also counts, under the same trace, the benchmarks'
# half-fit (bench/halffit.c, the algorithm of o1heap, whose published counts
# on these CPUs are the targets' reference) in tools/wcet/wcet_halffit.c.
#
# Beside each measured worst case it prints the path bound of
# tools/wcet_bound.py: the longest path through the same binary, which no
# call can exceed (the run fails if one does).
#
# Usage: tools/wcet.sh [build-dir]        (default build/wcet)
#        WCET_CASES=1 tools/wcet.sh        also print every case
#        WCET_CONFIGS='-O2,P8|-O2 -DBAREHEAP_PROBE_LIMIT=8' tools/wcet.sh
#                                          other configurations (label|flags,
#                                          separated by ';'), as make bench does
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/wcet}
mkdir -p "$out"

# name | compiler | cpu flags | board sources | linker script | link flags | qemu command
# RV32 gets 1 GiB of RAM (the linker script's RAM_BYTES tells the firmware):
# the class mapping's costliest path in realloc's second search needs blocks
# of 16 MiB and more beside probed ones of 80 MiB (wcet.c, "Larger blocks").
targets=(
  "Cortex-M3|arm-none-eabi-gcc|-mcpu=cortex-m3 -mthumb -mno-unaligned-access|cortex-m/startup.c arm_semihost.c|cortex-m/mps2.ld||qemu-system-arm -machine mps2-an385 -cpu cortex-m3 -nographic -monitor none -semihosting-config enable=on,target=native"
  "RV32IMAC|riscv64-unknown-elf-gcc|-march=rv32imac -mabi=ilp32 -mcmodel=medany|riscv/start.S riscv/board.c|riscv/virt.ld|-Wl,--defsym=RAM_BYTES=0x40000000|qemu-system-riscv32 -machine virt -m 1G -bios none -nographic -monitor none"
)
# label | compiler flags (the label is one word)
configs=(
  "-O2|-O2"
  "-Os|-Os"
  "-O2,DEBUG=0|-O2 -DBAREHEAP_DEBUG=0"
  "-O2,mask_in_line|-O2 -DBAREHEAP_CONFIG_HEADER=\"bareheap_lock_mask_in_line.h\""
  "-O2,mask_hooks|-O2 -DWCET_MASK_HOOKS=1"
)
# WCET_CONFIGS="label|flags;label|flags" measures those instead (make bench's
# configuration trade-off). A -DBAREHEAP_PROBE_LIMIT there sets the probe
# loop's bound for the path bound below.
if [ -n "${WCET_CONFIGS:-}" ]; then
  IFS=';' read -r -a configs <<< "$WCET_CONFIGS"
fi

count_awk='
  # "Trace 0: 0x... [.../pc/...] symbol": one line per instruction.
  BEGIN { n = split(copy_syms, cs, " "); for (i = 1; i <= n; i++) copyfn[cs[i]] = 1 }
  $1 == "Trace" {
    sym = $NF
    if (sym ~ /^wcet_op_/) { cat = substr(sym, 9); on = 1; n = 0; copy = 0; seen[sym] = 1; next }
    if (!on) next
    if (sym == "wcet_done") {
      # wcet_done is entered once per marker; its lines after the first are its own
      if (n > 0 || copy > 0) {
        calls[cat]++; sum[cat] += n; if (n > max[cat]) max[cat] = n
        csum[cat] += copy; if (n + copy > cmax[cat]) cmax[cat] = n + copy
      }
      on = 0; next
    }
    if (sym ~ /^wcet_/ || sym == "main") next
    if (sym in copyfn) copy++; else n++
  }
  END {
    for (c in calls) printf "%s %d %d %d %d %d\n", c, calls[c], sum[c], max[c], csum[c], cmax[c]
  }'

# The bound tool first, on constructs it must refuse or follow.
bash "$root/tools/wcet/selftest.sh" "$out"

# trace_firmware DIR LABEL FLAGS SOURCE...: builds the sources, the board
# code of the current target ($cc $cpu $board_src $ld $ldflags) and bh_string.c into
# DIR/firmware.elf, runs it under QEMU's instruction trace and leaves the
# counts per case in DIR/counts.txt; sets copy_syms (bh_string.c's functions,
# counted apart as the copy) and elf. Stops the run if the firmware fails or
# reports an error.
trace_firmware() {
  local dir=$1 label=$2 flags=$3 s o extra fifo awk_pid
  shift 3
  local srcs=("$@" "$root/port/baremetal/board_common.c") objs=()
  mkdir -p "$dir"
  for s in $board_src; do srcs+=("$root/port/baremetal/$s"); done
  for s in "${srcs[@]}" "$root/port/libc/bh_string.c"; do
    o=$dir/$(basename "$s").o
    extra=""
    case "$s" in
      */port/*) extra="-fno-builtin -fno-tree-loop-distribute-patterns" ;;
    esac
    # shellcheck disable=SC2086
    "$cc" $cpu -std=c99 $flags -g -ffreestanding -ffunction-sections -fdata-sections $extra \
      -I"$root/include" -I"$root/src" -I"$root/bench" -I"$root/port/baremetal" -I"$root/port/locks" \
      -c "$s" -o "$o"
    objs+=("$o")
  done
  elf=$dir/firmware.elf
  # shellcheck disable=SC2086
  "$cc" $cpu -nostdlib -nostartfiles -Wl,--gc-sections -Wl,--no-warn-rwx-segments $ldflags \
    -T"$root/port/baremetal/$ld" "${objs[@]}" -lgcc -o "$elf"
  fifo=$dir/exec.fifo
  rm -f "$fifo"
  mkfifo "$fifo"
  copy_syms=$("${cc%gcc}nm" "$dir/bh_string.c.o" | awk '$2 ~ /^[TtWw]$/ { print $3 }' | tr '\n' ' ')
  awk -v copy_syms="$copy_syms" "$count_awk" < "$fifo" > "$dir/counts.txt" &
  awk_pid=$!
  # shellcheck disable=SC2086
  if ! $qemu -singlestep -d exec,nochain -D "$fifo" -kernel "$elf" > "$dir/console.txt" 2>&1; then
    wait "$awk_pid" || true
    echo "wcet: $label firmware failed:" >&2
    cat "$dir/console.txt" >&2
    exit 1
  fi
  wait "$awk_pid"
  rm -f "$fifo"
  grep -q ' 0 errors' "$dir/console.txt" || { cat "$dir/console.txt" >&2; exit 1; }
}

results=$out/results.txt
bounds=$out/bounds.txt
# The benchmarks' half-fit (bench/halffit.c, o1heap's algorithm) under the
# same trace, for comparison with o1heap's published counts: its random and
# pathological cases of wcet.c (tools/wcet/wcet_halffit.c), -O2 and -Os.
hf_results=$out/halffit.txt
: > "$results"
: > "$bounds"
: > "$hf_results"
probe_limit=$(sed -n 's/^#define BAREHEAP_PROBE_LIMIT \([0-9]*\)$/\1/p' "$root/src/bareheap_config.h")
for t in "${targets[@]}"; do
  IFS='|' read -r name cc cpu board_src ld ldflags qemu <<< "$t"
  if ! command -v "$cc" > /dev/null; then
    echo "wcet: $cc not found (make deps installs it)" >&2
    exit 1
  fi
  for c in "${configs[@]}"; do
    opt=${c%%|*}
    flags=${c#*|}
    trace_firmware "$out/$name$opt" "$name $opt" "$flags" \
      "$root/tools/wcet/wcet.c" "$root/src/bareheap.c" "$root/src/bareheap_check.c"
    sed "s/^/$name $opt /" "$out/$name$opt/counts.txt" >> "$results"
    # The path bound of each entry (tools/wcet_bound.py): the longest path
    # through the binary, one region; at -Os the probe stays a loop. Not
    # where hooks are installed: it leaves their bodies out.
    case " $flags " in *" -DWCET_MASK_HOOKS="*) continue ;; esac
    case $name in Cortex*) arch=arm ;; *) arch=riscv ;; esac
    limit=$probe_limit
    case " $flags " in *" -DBAREHEAP_PROBE_LIMIT="*) limit=${flags##*-DBAREHEAP_PROBE_LIMIT=}; limit=${limit%% *} ;; esac
    loops=(--loop region_find_other=0 --loop block_validate=0 --loop "block_find=$limit")
    python3 "$root/tools/wcet_bound.py" --arch "$arch" --objdump "${cc%gcc}objdump" --elf "$elf" \
      --exclude "$(echo "$copy_syms" | xargs | tr ' ' ',')" "${loops[@]}" \
      bh_alloc bh_free bh_realloc bh_alloc_aligned | sed "s/^/$name $opt /" >> "$bounds"
  done
  for opt in -O2 -Os; do
    trace_firmware "$out/halffit-$name$opt" "half-fit $name $opt" "$opt" \
      "$root/tools/wcet/wcet_halffit.c" "$root/bench/halffit.c"
    sed "s/^/$name $opt /" "$out/halffit-$name$opt/counts.txt" >> "$hf_results"
  done
done

# results: target opt case calls sum max copy_sum max_with_copy
# The means of alloc and free are over the random workloads: their cases
# must hold exactly the calls of those sequences (wcet_step's step counts in
# wcet.c), no call of another sequence.
for w in small mixed; do
  steps=$(sed -n "s/.*wcet_step(\"$w\", wcet_random_$w, \([0-9]*\)).*/\1/p" "$root/tools/wcet/wcet.c")
  awk -v w="$w" -v steps="$steps" '
    $3 == "alloc_" w || $3 == "free_" w { n[$1 " " $2] += $4 }
    END {
      for (k in n) if (n[k] != steps) {
        printf "wcet: %s: %d calls in alloc_%s/free_%s, the sequence has %d steps\n", k, n[k], w, w, steps > "/dev/stderr"
        bad = 1
      }
      exit bad
    }' "$results"
done

# The call a case (alloc_small, ...) or an entry (bh_alloc, ...) belongs to.
grp_awk='
  function grp(c) {
    if (c ~ /^(alloc_|bh_alloc$)/) return "alloc"
    if (c ~ /^(free_|bh_free$)/) return "free"
    if (c ~ /^(realloc_|bh_realloc$)/) return "realloc"
    return "aligned"
  }'

awk -v show_cases="${WCET_CASES:-0}" "$grp_awk"'
  {
    k = $1 " " $2; g = grp($3)
    if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
    if ($6 > mx[k, g]) { mx[k, g] = $6; worst[k, g] = $3 }
    if ($8 > cmx[k, g]) cmx[k, g] = $8
    # alloc and free: mean over the random workloads; realloc and aligned: over all calls
    if (g == "realloc" || g == "aligned" || $3 ~ /^(alloc|free)_(small|mixed)$/) { s[k, g] += $5; n[k, g] += $4 }
    line[++nl] = sprintf("%-10s %-4s %-24s %6d calls, mean %6.1f, worst %5d", $1, $2, $3, $4, $5 / $4, $6)
    if ($7 > 0) line[nl] = line[nl] sprintf(" (copy: mean %.0f, worst with copy %d)", $7 / $4, $8)
  }
  END {
    if (show_cases) { for (i = 1; i <= nl; i++) print line[i]; print "" }
    print "| target, opt | alloc mean / worst | free mean / worst | realloc mean / worst (no copy) | aligned mean / worst |"
    print "|---|---|---|---|---|"
    for (i = 1; i <= nk; i++) {
      k = keys[i]; out = "| " k
      split("alloc free realloc aligned", gl, " ")
      for (j = 1; j <= 4; j++) out = out sprintf(" | %.0f / %d", s[k, gl[j]] / n[k, gl[j]], mx[k, gl[j]])
      print out " |"
    }
    print ""
    for (i = 1; i <= nk; i++) {
      k = keys[i]
      printf "%s worst case: alloc %s, free %s, realloc %s (%d with the copy), aligned %s\n", \
        k, worst[k, "alloc"], worst[k, "free"], worst[k, "realloc"], cmx[k, "realloc"], worst[k, "aligned"]
    }
  }' <(sort -k1,1 -k2,2 -k3,3 "$results")

# The path bounds beside the measured worst cases; a measured call above its
# bound would mean the bound tool misses a path: that fails the run.
awk "$grp_awk"'
  FNR == NR {
    k = $1 " " $2; g = grp($3)
    if ($6 > mx[k, g]) mx[k, g] = $6
    next
  }
  {
    k = $1 " " $2; g = grp($3)
    if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
    bound[k, g] = $4
    if (mx[k, g] > $4) { printf "wcet: %s %s measured %d above its path bound %d\n", k, g, mx[k, g], $4 > "/dev/stderr"; bad = 1 }
  }
  END {
    print ""
    print "Path bound (tools/wcet_bound.py: the longest path through the binary, feasible or not, lock hooks installed, one region), measured worst / bound:"
    print ""
    print "| target, opt | alloc | free | realloc (no copy) | aligned |"
    print "|---|---|---|---|---|"
    split("alloc free realloc aligned", gl, " ")
    for (i = 1; i <= nk; i++) {
      k = keys[i]; out = "| " k
      for (j = 1; j <= 4; j++) out = out sprintf(" | %d / %d", mx[k, gl[j]], bound[k, gl[j]])
      print out " |"
    }
    exit bad
  }' "$results" "$bounds"

# half-fit beside bareheap: alloc and free, mean over the random workloads,
# worst over every call (wcet_halffit.c's cases are a subset of wcet.c's).
awk '
  { k = $1 " " $2; g = ($3 ~ /^alloc_/) ? "alloc" : "free"
    if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
    if ($6 > mx[k, g]) mx[k, g] = $6
    if ($3 ~ /_(small|mixed)$/) { s[k, g] += $5; n[k, g] += $4 } }
  END {
    print ""
    print "half-fit (bench/halffit.c, the algorithm of o1heap) on the same harness, its cases of the above:"
    print ""
    print "| target, opt | alloc mean / worst | free mean / worst |"
    print "|---|---|---|"
    for (i = 1; i <= nk; i++) {
      k = keys[i]
      printf "| %s | %.0f / %d | %.0f / %d |\n", k, s[k, "alloc"] / n[k, "alloc"], mx[k, "alloc"], s[k, "free"] / n[k, "free"], mx[k, "free"]
    }
  }' <(sort -k1,1 -k2,2 -k3,3 "$hf_results")
