#!/usr/bin/env bash
# make size: code size of the core (src/) at -Os on Cortex-M0, Cortex-M4 and
# RV32, and the control structure for 16 KiB, 64 KiB and 1 MiB heaps.
#
# Code: the core is compiled with -Os -ffunction-sections -fdata-sections and
# linked into a stub program that references only the functions of one API
# subset (-nostdlib -Wl,--gc-sections). The linker map gives the input
# sections the link kept; the figure is the sum of those that come from the
# core's objects (text + rodata + data + bss), nothing of the stub. The libgcc
# helpers the core pulls in (e.g. __clzsi2 where the CPU has no clz) are shown
# separately. memcpy/memmove/memset come from the platform and are not counted.
#
# Control structure: bh_control_size() evaluated by a 32-bit x86 program run
# under qemu-i386, built with the target's pointer size and alignment
# (BAREHEAP_ALIGN_BYTES=8 models 32-bit ARM, 16 models RV32).
#
# Usage: tools/size.sh [build-dir]      (default build/size)
#        SIZE_REV=HEAD tools/size.sh    measure src/ and include/ of a commit,
#                                       not the working tree
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/size}
mkdir -p "$out"

if [ -n "${SIZE_REV:-}" ]; then
  rm -rf "$out/tree"
  mkdir -p "$out/tree"
  # port/locks (the in-line mask's configuration) where the commit has it
  locks=port/locks
  git -C "$root" cat-file -e "$SIZE_REV:port/locks/bareheap_lock_mask_in_line.h" 2>/dev/null || locks=
  # shellcheck disable=SC2086
  git -C "$root" archive "$SIZE_REV" src include $locks | tar -x -C "$out/tree"
  echo "sources: $(git -C "$root" rev-parse --short "$SIZE_REV")"
  root_src=$out/tree
else
  root_src=$root
fi

# name | compiler | cpu flags
targets=(
  "Cortex-M0|arm-none-eabi-gcc|-mcpu=cortex-m0 -mthumb"
  "Cortex-M4|arm-none-eabi-gcc|-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
  "RV32IMAC|riscv64-unknown-elf-gcc|-march=rv32imac -mabi=ilp32 -mcmodel=medany"
)

# API subsets: name | functions the stub references
subsets=(
  "init/alloc/free|heap_init heap_alloc heap_free"
  "init/alloc/free/realloc|heap_init heap_alloc heap_free heap_realloc"
  "full API (bareheap.c)|@core"
  "full API + bh_check/bh_walk/bh_trim|@all"
  "init/alloc/free/realloc, BAREHEAP_DEBUG=0|nodebug:heap_init heap_alloc heap_free heap_realloc"
  "init/alloc/free/realloc, interrupt mask in line (no lock hooks)|mask:heap_init heap_alloc heap_free heap_realloc"
)
# Builds other than the default that a subset may name (variant:functions):
# variant | compiler flags. mask: port/locks/bareheap_lock_mask_in_line.h,
# the interrupt mask compiled into every call (BAREHEAP_LOCK_HOOKS 0).
variants=(
  "nodebug|-DBAREHEAP_DEBUG=0"
  "mask|-DBAREHEAP_CONFIG_HEADER=\"bareheap_lock_mask_in_line.h\" -I$root_src/port/locks"
)

core_funcs="bh_init bh_init_ex bh_alloc bh_calloc bh_alloc_aligned bh_free bh_realloc
 bh_usable_size bh_add_region bh_get_stats bh_set_error_handler bh_alignment
 bh_block_overhead bh_min_block_size bh_control_size bh_error_name bh_set_lock
 heap_init heap_init_ex heap_alloc heap_free heap_realloc heap_calloc heap_alloc_aligned
 heap_usable_size heap_add_region heap_get_stats heap_default"
check_funcs="bh_check bh_walk bh_trim heap_check"

cflags_common="-std=c99 -Os -ffreestanding -ffunction-sections -fdata-sections
 -I$root_src/include -I$root_src/src"

# 12345 -> 12,345
commas() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# Sum, per owner (core / libgcc), the sizes of the input sections a link kept.
# Map lines: " .text.name  0xADDR  0xSIZE file" (or name alone on one line and
# the rest on the next); only the part after "Linker script and memory map".
sum_map() {
  awk '
    function hex(h,   i, v) {
      v = 0; h = tolower(substr(h, 3))
      for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
      return v
    }
    /^Linker script and memory map/ { on = 1; next }
    !on { next }
    {
      if ($1 ~ /^\.(text|rodata|data|sdata|srodata|bss|sbss)/ && NF == 1) { pending = $1; next }
      name = ""; addr = ""; size = ""; file = ""
      if ($1 ~ /^\.(text|rodata|data|sdata|srodata|bss|sbss)/ && NF >= 4 && $2 ~ /^0x/) {
        name = $1; size = $3; file = $4
      } else if (pending != "" && $1 ~ /^0x/ && NF >= 3) {
        name = pending; size = $2; file = $3
      }
      pending = ""
      if (name == "" || size !~ /^0x/) next
      n = hex(size)
      if (file ~ /bareheap(_check)?\.o$/) core += n
      else if (file ~ /libgcc\.a/) gcc += n
    }
    END { printf "%d %d\n", core, gcc }' "$1"
}

printf '\nCode size of the core, gcc -Os, text+rodata+data+bss in bytes (+ libgcc helpers it pulls in)\n\n'
header="| API |"
sep="|---|"
for t in "${targets[@]}"; do
  header="$header ${t%%|*} |"
  sep="$sep---|"
done
echo "$header"
echo "$sep"

declare -A objs
listed_funcs=" $(tr '\n' ' ' <<< "$core_funcs $check_funcs") "
for t in "${targets[@]}"; do
  IFS='|' read -r name cc cpu <<<"$t"
  dir="$out/$name"
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  $cc $cpu $cflags_common -c "$root_src/src/bareheap.c" -o "$dir/bareheap.o"
  # shellcheck disable=SC2086
  $cc $cpu $cflags_common -c "$root_src/src/bareheap_check.c" -o "$dir/bareheap_check.o"
  for v in "${variants[@]}"; do
    vname=${v%%|*}
    vflags=${v#*|}
    mkdir -p "$dir/$vname"
    # A commit from before the in-line mask (SIZE_REV) has no such build.
    if [ "$vname" = mask ] && [ ! -f "$root_src/port/locks/bareheap_lock_mask_in_line.h" ]; then
      continue
    fi
    for f in bareheap bareheap_check; do
      # shellcheck disable=SC2086
      $cc $cpu $cflags_common $vflags -c "$root_src/src/$f.c" -o "$dir/$vname/$f.o"
    done
  done
  objs[$name]="$dir"
  # Every public function the core defines must be in one of the lists
  # above, or "full API" would silently leave it out.
  for f in $("${cc%gcc}nm" -g --defined-only "$dir/bareheap.o" "$dir/bareheap_check.o" |
             awk '$2 == "T" && $3 !~ /^bh_internal_/ { print $3 }'); do
    case "$listed_funcs" in
      *" $f "*) ;;
      *) echo "size: $f is defined by the core but in neither core_funcs nor check_funcs" >&2; exit 1 ;;
    esac
  done
done

for s in "${subsets[@]}"; do
  IFS='|' read -r sname funcs <<<"$s"
  case "$funcs" in
    @core) funcs=$core_funcs ;;
    @all) funcs="$core_funcs $check_funcs" ;;
  esac
  row="| $sname |"
  for t in "${targets[@]}"; do
    IFS='|' read -r name cc cpu <<<"$t"
    dir=${objs[$name]}
    objdir=$dir
    fs=$funcs
    case "$fs" in
      *:*) objdir=$dir/${fs%%:*}; fs=${fs#*:} ;;
    esac
    if [ ! -f "$objdir/bareheap.o" ]; then
      row="$row - |"
      continue
    fi
    undef=()
    for f in $fs; do undef+=("-Wl,--undefined=$f"); done
    tag=$(echo "$sname" | tr -c 'a-zA-Z0-9\n' '_')
    # The stub: an entry point and weak string functions, nothing else.
    cat >"$dir/stub.c" <<'EOF'
#include <stddef.h>
void _start(void) { for (;;) { } }
__attribute__((weak)) void *memcpy(void *d, const void *s, size_t n) { (void)s; (void)n; return d; }
__attribute__((weak)) void *memmove(void *d, const void *s, size_t n) { (void)s; (void)n; return d; }
__attribute__((weak)) void *memset(void *d, int c, size_t n) { (void)c; (void)n; return d; }
EOF
    # shellcheck disable=SC2086
    $cc $cpu $cflags_common -nostdlib -nostartfiles -Wl,--gc-sections -Wl,-e,_start \
      "${undef[@]}" -Wl,--no-warn-rwx-segments -Wl,-Map,"$dir/$tag.map" \
      "$dir/stub.c" "$objdir/bareheap.o" "$objdir/bareheap_check.o" -lgcc -o "$dir/$tag.elf"
    read -r core gcc < <(sum_map "$dir/$tag.map")
    if [ "$gcc" -gt 0 ]; then
      row="$row $(commas "$core") (+$gcc) |"
    else
      row="$row $(commas "$core") |"
    fi
  done
  echo "$row"
done

# ---- Control structure ---------------------------------------------------------
cat >"$out/control.c" <<'EOF'
#include <stdio.h>
#include "bareheap.h"
int main(void)
{
    printf("%zu %zu %zu\n", bh_control_size(16u * 1024u), bh_control_size(64u * 1024u),
           bh_control_size(1024u * 1024u));
    return 0;
}
EOF
printf '\nControl structure (bh_control_size) in bytes, default configuration\n\n'
echo "| heap | Cortex-M0 / M4 (32-bit, 8-byte alignment) | RV32 (32-bit, 16-byte alignment) |"
echo "|---|---|---|"
declare -A ctl
for a in 8 16; do
  gcc -m32 -std=c99 -O1 -DBAREHEAP_ALIGN_BYTES=$a -I"$root_src/include" -I"$root_src/src" \
    "$out/control.c" "$root_src/src/bareheap.c" "$root_src/src/bareheap_check.c" -o "$out/control$a"
  ctl[$a]=$(qemu-i386 -L / "$out/control$a")
done
read -r a16 a64 a1m <<<"${ctl[8]}"
read -r b16 b64 b1m <<<"${ctl[16]}"
echo "| 16 KiB | $(commas "$a16") | $(commas "$b16") |"
echo "| 64 KiB | $(commas "$a64") | $(commas "$b64") |"
echo "| 1 MiB | $(commas "$a1m") | $(commas "$b1m") |"
echo
