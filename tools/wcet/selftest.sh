#!/usr/bin/env bash
# Checks tools/wcet_bound.py on constructs that once made it print a bound
# below a real call's count (tools/wcet/selftest/): it must refuse jump
# tables (RISC-V pc-relative and absolute tables, Cortex-M0's
# __gnu_thumb1_case_*, an ldm of pc from a table, a RISC-V jr t0 that is no
# return, a jump through a register written after its field load by a
# writeback, a store-exclusive or a long multiply), calls through a register
# that is no hook (a long call, a table of functions) and recursion, count
# the callee of a far tail call (RISC-V auipc + jr), of a blx to ARM code and
# of a jal inside its own function, and bound a loop whose cycle closes
# through a fall-through and one with two entries by its backward branches.
# Run by tools/wcet.sh before it measures.
# Usage: tools/wcet/selftest.sh BUILD_DIR
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
src=$root/tools/wcet/selftest
out=${1:?build dir}/selftest
mkdir -p "$out"
bound=("python3" "$root/tools/wcet_bound.py")
fail=0

build() { # name compiler flags... source
  local name=$1 cc=$2
  shift 2
  "$cc" -ffreestanding -nostdlib -nostartfiles -Wl,-e,_start -Wl,--no-warn-rwx-segments "$@" -lgcc -o "$out/$name.elf"
}

refuses() { # label arch objdump elf entry pattern [bound tool args...]
  local msg
  if msg=$("${bound[@]}" --arch "$2" --objdump "$3" --elf "$4" "${@:7}" "$5" 2>&1); then
    echo "wcet selftest: $1: the bound tool gave '$msg' instead of refusing" >&2
    fail=1
  elif ! grep -q "$6" <<< "$msg"; then
    echo "wcet selftest: $1: refused for another reason: $msg" >&2
    fail=1
  fi
}

bound_of() { # arch objdump elf entry [loop args...]
  local arch=$1 objdump=$2 elf=$3 entry=$4
  shift 4
  "${bound[@]}" --arch "$arch" --objdump "$objdump" --elf "$elf" "$@" "$entry" | awk '{ print $2 }'
}

at_least() { # label arch objdump elf entry count [loop args...]: the bound must be count or more
  local b
  if ! b=$(bound_of "$2" "$3" "$4" "$5" "${@:7}" 2>&1) || ! [[ "$b" =~ ^[0-9]+$ ]]; then
    echo "wcet selftest: $1: the bound tool failed: $b" >&2
    fail=1
  elif [ "$b" -lt "$6" ]; then
    echo "wcet selftest: $1: bound $b below the $6 instructions executed" >&2
    fail=1
  fi
}

includes_callee() { # label arch objdump elf caller
  local f g
  f=$(bound_of "$2" "$3" "$4" "$5")
  g=$(bound_of "$2" "$3" "$4" g)
  if [ "$f" -le "$g" ]; then
    echo "wcet selftest: $1: bound of $5 ($f) does not include its callee g ($g)" >&2
    fail=1
  fi
}

rv="riscv64-unknown-elf-gcc"
rvdump="riscv64-unknown-elf-objdump"
arm="arm-none-eabi-gcc"
armdump="arm-none-eabi-objdump"
rv32=(-march=rv32imac -mabi=ilp32 -mcmodel=medany)

build rv_switch $rv "${rv32[@]}" -O2 "$src/switch.c"
refuses "RISC-V jump table" riscv $rvdump "$out/rv_switch.elf" f "no hook"

# -mcmodel=medlow: an absolute table, whose entry is loaded by lw a5,0(a0)
# like a field, but through an address computed from the index
build rv_switch_medlow $rv -march=rv32imac -mabi=ilp32 -mcmodel=medlow -O2 "$src/switch.c"
refuses "RISC-V absolute jump table" riscv $rvdump "$out/rv_switch_medlow.elf" f "no hook"

build m0_switch $arm -mcpu=cortex-m0 -mthumb -Os "$src/switch.c"
refuses "Cortex-M0 jump table" arm $armdump "$out/m0_switch.elf" f "jump table"

build arm_ldm_pc $arm -mcpu=cortex-m3 -mthumb "$src/ldm_pc.S"
refuses "ldm of pc from a table" arm $armdump "$out/arm_ldm_pc.elf" _start "unsupported control transfer"

build arm_writeback $arm -mcpu=cortex-m3 -mthumb "$src/arm_writeback.S"
for f in _start status mul_high; do
  refuses "a register written after its field load ($f)" arm $armdump "$out/arm_writeback.elf" $f "no hook"
done

build rv_local_call $rv "${rv32[@]}" "$src/rv_local_call.S"
at_least "RISC-V jal inside its function" riscv $rvdump "$out/rv_local_call.elf" _start 18

build rv_jr_t0 $rv "${rv32[@]}" "$src/rv_jr_t0.S"
refuses "RISC-V jr t0 to an address" riscv $rvdump "$out/rv_jr_t0.elf" _start "no hook"
at_least "RISC-V jr t0 returning from jal t0" riscv $rvdump "$out/rv_jr_t0.elf" f 5

build arm_recursion $arm -mcpu=cortex-m3 -mthumb "$src/arm_recursion.S"
refuses "recursion by bl" arm $armdump "$out/arm_recursion.elf" _start "recursion" --loop _start=2

build rv_tail $rv "${rv32[@]}" -O2 -mno-relax -Wl,--no-relax "$src/call.c"
if ! grep -q "jr.*<g>" <("$rvdump" -d --no-show-raw-insn "$out/rv_tail.elf" | awk '/<tail>:/,/^$/'); then
  echo "wcet selftest: rv_tail.elf: tail() has no far tail call (auipc + jr) to test" >&2
  fail=1
fi
includes_callee "RISC-V far tail call" riscv $rvdump "$out/rv_tail.elf" tail

build a15_blx $arm -mcpu=cortex-a15 -mthumb -O2 "$src/call.c"
if ! grep -q "blx.*<g>" <("$armdump" -d --no-show-raw-insn "$out/a15_blx.elf" | awk '/<call>:/,/^$/'); then
  echo "wcet selftest: a15_blx.elf: call() has no blx to g to test" >&2
  fail=1
fi
includes_callee "blx to ARM code" arm $armdump "$out/a15_blx.elf" call

# Calls through a register whose callee the tool cannot see: a long call
# (the address from a literal pool) and a call through a table of functions.
build m3_long_calls $arm -mcpu=cortex-m3 -mthumb -O2 -mlong-calls -ffunction-sections "$src/call.c"
refuses "Cortex-M3 long call" arm $armdump "$out/m3_long_calls.elf" call "no hook"
refuses "Cortex-M3 call through a table" arm $armdump "$out/m3_long_calls.elf" dispatch "no hook"
build rv_table_call $rv "${rv32[@]}" -O2 "$src/call.c"
refuses "RISC-V call through a table" riscv $rvdump "$out/rv_table_call.elf" dispatch "no hook"

for t in "riscv $rv $rvdump ${rv32[*]}" "arm $arm $armdump -mcpu=cortex-m3 -mthumb"; do
  read -r arch cc dump flags <<< "$t"
  # shellcheck disable=SC2086
  build "loop_$arch" "$cc" $flags -O1 "$src/loop.c"
  if ! b1=$(bound_of "$arch" "$dump" "$out/loop_$arch.elf" find --loop find=1 2>&1 | tail -1) ||
     ! b7=$(bound_of "$arch" "$dump" "$out/loop_$arch.elf" find --loop find=7 2>&1 | tail -1); then
    echo "wcet selftest: $arch loop: the bound tool failed" >&2
    fail=1
  elif ! [[ "$b1" =~ ^[0-9]+$ && "$b7" =~ ^[0-9]+$ ]]; then
    echo "wcet selftest: $arch loop: the bound tool failed: $b1 / $b7" >&2
    fail=1
  elif [ "$b7" -le "$b1" ]; then
    echo "wcet selftest: $arch loop: 7 iterations ($b7) bound no higher than 1 ($b1)" >&2
    fail=1
  fi
done

build rv_two_entries $rv "${rv32[@]}" "$src/rv_two_entries.S"
at_least "RISC-V loop with two entries" riscv $rvdump "$out/rv_two_entries.elf" _start 15 --loop _start=3

if [ "$fail" -ne 0 ]; then
  exit 1
fi
echo "wcet selftest: the bound tool refuses jump tables, calls through registers that are no hook and recursion, follows far tail calls, blx and local calls, bounds loops"
