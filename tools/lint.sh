#!/usr/bin/env bash
# Static analysis of the core (src/): clang-tidy and cppcheck, under every
# checking tier and the edges of the other options. Exits non-zero on any
# finding. Run by `make lint` (part of `make test`).
#
# Every check left out below says why; a finding in src/ is fixed there, not
# silenced here, unless it is one of these.
set -euo pipefail
cd "$(dirname "$0")/.."

SOURCES=(src/bareheap.c src/bareheap_check.c)
INCLUDES=(-Iinclude -Isrc)

# Configurations analysed: every BAREHEAP_DEBUG tier, the portable bit scans
# with the fewest and the most size classes, a wide grain with a single
# region, the tool integration switches, and no lock hooks; the free lists
# with branches (lint runs on x86-64, whose default is without) beside the
# portable bit scans.
CONFIGS=(
  "-DBAREHEAP_DEBUG=0"
  "-DBAREHEAP_DEBUG=1"
  "-DBAREHEAP_DEBUG=2"
  "-DBAREHEAP_DEBUG=3"
  "-DBAREHEAP_DEBUG=3 -DBAREHEAP_USE_BUILTINS=0 -DBAREHEAP_SL_LOG2=2 -DBAREHEAP_PROBE_LIMIT=1 -DBAREHEAP_BRANCHLESS_LISTS=0"
  "-DBAREHEAP_DEBUG=0 -DBAREHEAP_SL_LOG2=5 -DBAREHEAP_ALIGN_BYTES=32 -DBAREHEAP_MAX_REGIONS=1"
  "-DBAREHEAP_DEBUG=2 -DBAREHEAP_DEFAULT_HEAP=0"
  "-DBAREHEAP_LOCK_HOOKS=0"
)
# The Valgrind client requests need valgrind's headers; analyse that
# configuration only where they are installed.
if [ -f /usr/include/valgrind/memcheck.h ]; then
  CONFIGS+=("-DBAREHEAP_DEBUG=2 -DBAREHEAP_VALGRIND=1")
fi

# clang-tidy checks. Left out:
#   performance-no-int-to-ptr: an allocator turns addresses into blocks; the
#     casts through uintptr_t are the point of the code.
#   bugprone-easily-swappable-parameters: (align, size) and (count, size)
#     follow aligned_alloc() and calloc(), the order users know.
#   cert-dcl37-c, cert-dcl51-cpp, bugprone-reserved-identifier: the core
#     declares memcpy/memmove/memset itself (freestanding toolchains need not
#     have <string.h>); those names are reserved because they are the C
#     library's, which is what they are meant to be.
TIDY_CHECKS='-*,bugprone-*,cert-*,clang-analyzer-*,misc-*,performance-*,portability-*'
TIDY_CHECKS+=',-performance-no-int-to-ptr,-bugprone-easily-swappable-parameters'
TIDY_CHECKS+=',-cert-dcl37-c,-cert-dcl51-cpp,-bugprone-reserved-identifier'

# cppcheck suppressions:
#   variableScope: the core declares its locals at the top of a function, as
#     the rest of the code does; narrowing one scope is style, not a defect.
#   missingIncludeSystem: the system headers are the compiler's, not analysed.
CPPCHECK_SUPPRESS=(--suppress=variableScope --suppress=missingIncludeSystem)

# clang-tidy takes about 20 s per configuration: it analyses the tiers'
# extremes (0; 3 with portable bit scans and the lists' branches; 2 with the
# tool switches), cppcheck
# every configuration.
tidy_wanted() {
  case "$1" in
    "${CONFIGS[0]}" | "${CONFIGS[4]}" | "${CONFIGS[${#CONFIGS[@]} - 1]}") return 0 ;;
  esac
  return 1
}

# One analysis per job, as many at once as there are processors (each is
# single-threaded; serial, the set took close to two minutes). A job's
# output is printed whole when it ends, and any finding fails the run.
JOBS=$(nproc 2>/dev/null || echo 2)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

run_clang_tidy() { # config
  local defs
  # shellcheck disable=SC2206 # word splitting of the -D list is intended
  defs=($1)
  clang-tidy --quiet --warnings-as-errors='*' --checks="$TIDY_CHECKS" \
    --header-filter='src/.*|include/.*' "${SOURCES[@]}" -- \
    -std=c99 "${INCLUDES[@]}" "${defs[@]}" 2>&1 | grep -v "warnings generated"
  return "${PIPESTATUS[0]}"
}

run_cppcheck() { # config
  local defs
  # shellcheck disable=SC2206
  defs=($1)
  cppcheck --quiet --error-exitcode=1 --std=c99 --inline-suppr \
    --enable=warning,style,performance,portability "${CPPCHECK_SUPPRESS[@]}" \
    -UBAREHEAP_CONFIG_HEADER -D__GNUC__ "${defs[@]}" "${INCLUDES[@]}" "${SOURCES[@]}" 2>&1
}

n=0
for config in "${CONFIGS[@]}"; do
  tools=(cppcheck)
  if tidy_wanted "$config"; then
    tools=(clang_tidy cppcheck)
  fi
  for tool in "${tools[@]}"; do
    n=$((n + 1))
    (
      if "run_$tool" "$config" >"$WORK/$n.out"; then
        echo 0 >"$WORK/$n.status"
      else
        echo 1 >"$WORK/$n.status"
      fi
    ) &
    echo "${tool/_/-} ${config}" >"$WORK/$n.name"
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
      wait -n || true
    done
  done
done
wait

status=0
for i in $(seq 1 "$n"); do
  echo "lint: $(cat "$WORK/$i.name")"
  if [ "$(cat "$WORK/$i.status" 2>/dev/null || echo 1)" != 0 ]; then
    cat "$WORK/$i.out" >&2
    status=1
  fi
done
if [ "$status" -ne 0 ]; then
  echo "lint: findings above" >&2
  exit 1
fi
echo "lint: clang-tidy (3 configurations) and cppcheck (${#CONFIGS[@]}) clean on src/"
