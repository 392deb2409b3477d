#!/usr/bin/env bash
# The build configurations a product may choose, compiled as it would
# compile them: every valid combination below must build without a warning
# (-Werror), and every invalid one must stop at bareheap_config.h's #error
# naming the option, not at a confusing error further on.
#
#   config_check.sh CC SOURCE_DIR WORK_DIR
#
# Needs arm-none-eabi-gcc (newlib's <string.h>), riscv64-unknown-elf-gcc and clang (a PowerPC
# target); a missing one fails the test.
set -uo pipefail

CC=$1
SRC=$2
WORK=$3
mkdir -p "$WORK"
cd "$WORK" || exit 1

# The project's warnings and the core's own (CMakeLists.txt's BAREHEAP_CORE_WARNING_FLAGS).
WARN=(-std=c99 -Wall -Wextra -Wundef -Wshadow -Wconversion -Wsign-conversion -Wswitch-default -Wswitch-enum
  -Wbad-function-cast -Wmissing-prototypes -Wcast-qual -Wredundant-decls -Wpointer-arith -Wwrite-strings
  -Wdouble-promotion -Wformat=2 -Werror)
INC=(-I"$SRC/include" -I"$SRC/src")
CHECK_NAME=config_check
# shellcheck source=tests/check_counts.sh
. "$SRC/tests/check_counts.sh"

# compiles CC [flags...]: both core sources build, or the check fails.
compiles() {
  local cc=$1 f
  shift
  checks=$((checks + 1))
  for f in bareheap.c bareheap_check.c; do
    if ! "$cc" "${WARN[@]}" "${INC[@]}" "$@" -c "$SRC/src/$f" -o /dev/null 2>out.txt; then
      fail "does not build: $cc $* $f"
      cat out.txt >&2
      return
    fi
  done
}

# refused MESSAGE [flags...]: the build stops, and its first error is the
# #error that contains MESSAGE.
refused() {
  local message=$1 first
  shift
  checks=$((checks + 1))
  if "$CC" "${INC[@]}" "$@" -c "$SRC/src/bareheap.c" -o /dev/null 2>out.txt; then
    fail "builds, but should stop with \"$message\": $*"
    return
  fi
  first=$(grep -m1 'error' out.txt)
  case $first in
    *"#error"*"$message"* | *"error: \"$message"* | *"error: $message"*) ;;
    *)
      fail "first error is not \"$message\" for: $*"
      cat out.txt >&2
      ;;
  esac
}

command -v arm-none-eabi-gcc >/dev/null || { fail "arm-none-eabi-gcc is not installed (tools/install-deps.sh)"; }
command -v clang >/dev/null || { fail "clang is not installed (tools/install-deps.sh)"; }

# Every checking level with AddressSanitizer's hooks (BAREHEAP_ASAN=1 at
# level 0 once left a helper unused: a -Werror build failed).
for debug in 0 1 2 3; do
  compiles "$CC" -DBAREHEAP_ASAN=1 -DBAREHEAP_DEBUG=$debug
done

# Each option at the edges of its range.
for flags in "-DBAREHEAP_ALIGN_BYTES=8" "-DBAREHEAP_ALIGN_BYTES=4096 -DBAREHEAP_SL_LOG2=2" \
  "-DBAREHEAP_SL_LOG2=5 -DBAREHEAP_PROBE_LIMIT=64" "-DBAREHEAP_PROBE_LIMIT=1 -DBAREHEAP_CLOSE_FIT=1" \
  "-DBAREHEAP_MAX_REGIONS=1 -DBAREHEAP_USE_BUILTINS=0" "-DBAREHEAP_MAX_REGIONS=64 -DBAREHEAP_DEFAULT_HEAP=0" \
  "-DBAREHEAP_BRANCHLESS_LISTS=0 -DBAREHEAP_DEBUG=2" "-DBAREHEAP_BRANCHLESS_LISTS=0 -DBAREHEAP_DEBUG=0"; do
  # shellcheck disable=SC2086
  compiles "$CC" $flags
done

# A configuration header that includes newlib's <string.h> under
# _FORTIFY_SOURCE, which defines memcpy & co. as function-like macros: the
# core's own declarations of them must not expand them.
if command -v arm-none-eabi-gcc >/dev/null; then
  printf '#include <string.h>\n' >string_config.h
  compiles arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -O2 -D_FORTIFY_SOURCE=2 \
    "-DBAREHEAP_CONFIG_HEADER=\"$WORK/string_config.h\""
fi

# The lock compiled in (BAREHEAP_LOCK_HOOKS 0): none, and the interrupt
# masks of port/locks/ through a configuration header, as their comments
# give it, at every checking level.
compiles "$CC" -DBAREHEAP_LOCK_HOOKS=0
# An exit written as a statement, an enter that ignores its heap.
compiles "$CC" -DBAREHEAP_LOCK_HOOKS=0 -DBAREHEAP_LOCK_STATE=int "-DBAREHEAP_LOCK_ENTER(h)=0" \
  "-DBAREHEAP_LOCK_EXIT(h,s)=do { (void)(s); } while (0)"
# A state that is a structure, as an RTOS's lock key may be (ISO C allows
# no cast to it).
cat >struct_lock_config.h <<'EOF'
typedef struct { unsigned key; } test_lock_key;
static inline test_lock_key test_lock_take(void) { test_lock_key k = {1u}; return k; }
static inline void test_lock_give(test_lock_key k) { (void)k; }
#define BAREHEAP_LOCK_HOOKS 0
#define BAREHEAP_LOCK_STATE test_lock_key
#define BAREHEAP_LOCK_ENTER(heap) test_lock_take()
#define BAREHEAP_LOCK_EXIT(heap, state) test_lock_give(state)
EOF
compiles "$CC" -Wpedantic "-DBAREHEAP_CONFIG_HEADER=\"$WORK/struct_lock_config.h\""
if command -v arm-none-eabi-gcc >/dev/null; then
  for debug in 0 1 2 3; do
    compiles arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb -O2 -ffreestanding -DBAREHEAP_DEBUG=$debug \
      "-DBAREHEAP_CONFIG_HEADER=\"$SRC/port/locks/bareheap_lock_mask_in_line.h\""
  done
fi
if command -v riscv64-unknown-elf-gcc >/dev/null; then
  compiles riscv64-unknown-elf-gcc -march=rv32imac -mabi=ilp32 -O2 -ffreestanding \
    "-DBAREHEAP_CONFIG_HEADER=\"$SRC/port/locks/bareheap_lock_mask_in_line.h\""
  # The branchless free lists, the default on x86-64 only, on a target
  # (list_remove out of line at level 2).
  for debug in 1 2; do
    compiles riscv64-unknown-elf-gcc -march=rv32imac -mabi=ilp32 -O2 -ffreestanding -DBAREHEAP_DEBUG=$debug \
      -DBAREHEAP_BRANCHLESS_LISTS=1
  done
else
  fail "riscv64-unknown-elf-gcc is not installed (tools/install-deps.sh)"
fi
# A 32-bit target the default alignment list does not know, whose long
# double needs 16 bytes: the default (8) must not be taken silently.
if command -v clang >/dev/null; then
  checks=$((checks + 1))
  if clang --target=powerpc-unknown-linux-gnu -ffreestanding "${INC[@]}" -fsyntax-only "$SRC/src/bareheap.c" 2>out.txt; then
    fail "PowerPC32 builds with the default 8-byte alignment below its max_align_t"
  elif ! grep -q "below this target's max_align_t" out.txt; then
    fail "PowerPC32 stops, but not at the alignment check"
    cat out.txt >&2
  fi
  # The same target with the alignment set by the user: taken as chosen.
  checks=$((checks + 1))
  clang --target=powerpc-unknown-linux-gnu -ffreestanding "${INC[@]}" -fsyntax-only \
    -DBAREHEAP_ALIGN_BYTES=16 "$SRC/src/bareheap.c" 2>out.txt ||
    { fail "PowerPC32 with BAREHEAP_ALIGN_BYTES=16 does not build"; cat out.txt >&2; }
fi

# Options defined with no value, and values out of range.
for option in ALIGN_BYTES SL_LOG2 PROBE_LIMIT CLOSE_FIT MAX_REGIONS DEBUG USE_BUILTINS DEFAULT_HEAP ASAN VALGRIND \
  LOCK_HOOKS BRANCHLESS_LISTS; do
  refused "BAREHEAP_$option is defined with no value" "-DBAREHEAP_$option="
done
refused "BAREHEAP_ALIGN_BYTES must be a power of two" -DBAREHEAP_ALIGN_BYTES=24
refused "BAREHEAP_ALIGN_BYTES above 4096" -DBAREHEAP_ALIGN_BYTES=8192
refused "BAREHEAP_SL_LOG2 must be 2..5" -DBAREHEAP_SL_LOG2=6
refused "BAREHEAP_PROBE_LIMIT must be 1..64" -DBAREHEAP_PROBE_LIMIT=0
refused "BAREHEAP_CLOSE_FIT must be 0 or 1" -DBAREHEAP_CLOSE_FIT=2
refused "BAREHEAP_MAX_REGIONS must be 1..64" -DBAREHEAP_MAX_REGIONS=65
refused "BAREHEAP_DEBUG must be 0..3" -DBAREHEAP_DEBUG=4
refused "BAREHEAP_USE_BUILTINS must be 0 or 1" -DBAREHEAP_USE_BUILTINS=2
refused "BAREHEAP_VALGRIND and BAREHEAP_ASAN exclude each other" -DBAREHEAP_VALGRIND=1 -DBAREHEAP_ASAN=1
refused "BAREHEAP_LOCK_HOOKS must be 0 or 1" -DBAREHEAP_LOCK_HOOKS=2
refused "BAREHEAP_BRANCHLESS_LISTS must be 0 or 1" -DBAREHEAP_BRANCHLESS_LISTS=2
refused "define BAREHEAP_LOCK_STATE, BAREHEAP_LOCK_ENTER and BAREHEAP_LOCK_EXIT together" \
  -DBAREHEAP_LOCK_HOOKS=0 "-DBAREHEAP_LOCK_ENTER(h)=0" "-DBAREHEAP_LOCK_EXIT(h,s)=(void)0"
refused "BAREHEAP_LOCK_ENTER and BAREHEAP_LOCK_EXIT replace the hooks" \
  -DBAREHEAP_LOCK_STATE=int "-DBAREHEAP_LOCK_ENTER(h)=0" "-DBAREHEAP_LOCK_EXIT(h,s)=(void)0"

checks_end
