#!/usr/bin/env bash
# Line and branch coverage of src/ by the host test suite (gcc --coverage,
# lcov), with the thresholds enforced: fails below MIN_LINES % of lines or
# MIN_BRANCHES % of branches. Run by `make coverage` (part of `make test`).
#
#   tools/coverage.sh [build dir]     (default build/coverage, and beside it
#                                     build/coverage-branches)
# Report: <build dir>/html/index.html; summary on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${1:-build/coverage}
MIN_LINES=${MIN_LINES:-95}
MIN_BRANCHES=${MIN_BRANCHES:-92}

# -O0 keeps every branch of the source a branch of the object code; the model
# stress runs fewer operations (coverage saturates long before).
# A second tree keeps the free lists' branches (BAREHEAP_BRANCHLESS_LISTS=0),
# the default of every target but x86-64, which the host's default leaves
# out; the two trees' counts are added.
BRANCHES_DIR=${BUILD_DIR%/}-branches
LCOV_OPTS=(--rc lcov_branch_coverage=1 --quiet)
for tree in "$BUILD_DIR" "$BRANCHES_DIR"; do
  # Ninja where there is one, for a tree not yet configured with another generator.
  GEN=()
  if command -v ninja >/dev/null 2>&1 && [ ! -f "$tree/CMakeCache.txt" ]; then
    GEN=(-G Ninja)
  fi
  defines=()
  if [ "$tree" = "$BRANCHES_DIR" ]; then
    defines=(-DBAREHEAP_CONFIG_DEFINES=BAREHEAP_BRANCHLESS_LISTS=0)
  fi
  cmake -S . -B "$tree" "${GEN[@]}" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS="--coverage -O0" -DCMAKE_EXE_LINKER_FLAGS="--coverage" \
    -DBAREHEAP_WERROR=ON -DBAREHEAP_BUILD_TESTS=ON -DBAREHEAP_MODEL_OPS=200000 "${defines[@]}" >/dev/null
  cmake --build "$tree"
  find "$tree" -name '*.gcda' -delete
  (cd "$tree" && ctest --output-on-failure --no-tests=error -j "$(nproc 2>/dev/null || echo 2)")
  # (lcov 1.16 with newer perl warns about redefined subroutines: noise.)
  lcov "${LCOV_OPTS[@]}" --capture --directory "$tree" --output-file "$tree/all.info" 2>&1 \
    | grep -v "redefined at" || true
done
lcov "${LCOV_OPTS[@]}" --add-tracefile "$BUILD_DIR/all.info" --add-tracefile "$BRANCHES_DIR/all.info" \
  --output-file "$BUILD_DIR/both.info" 2>&1 | grep -v "redefined at" || true
lcov "${LCOV_OPTS[@]}" --extract "$BUILD_DIR/both.info" "$PWD/src/*" --output-file "$BUILD_DIR/src.info"
genhtml "${LCOV_OPTS[@]}" --branch-coverage "$BUILD_DIR/src.info" --output-directory "$BUILD_DIR/html" >/dev/null

summary=$(lcov --rc lcov_branch_coverage=1 --summary "$BUILD_DIR/src.info" 2>&1)
echo "$summary" | grep -E "lines|branches"
lines=$(echo "$summary" | sed -n 's/.*lines\.*: *\([0-9.]*\)%.*/\1/p')
branches=$(echo "$summary" | sed -n 's/.*branches\.*: *\([0-9.]*\)%.*/\1/p')
fail=0
if awk -v v="$lines" -v min="$MIN_LINES" 'BEGIN { exit !(v < min) }'; then
  echo "coverage: lines ${lines}% below ${MIN_LINES}%" >&2
  fail=1
fi
if awk -v v="$branches" -v min="$MIN_BRANCHES" 'BEGIN { exit !(v < min) }'; then
  echo "coverage: branches ${branches}% below ${MIN_BRANCHES}%" >&2
  fail=1
fi
if [ "$fail" -ne 0 ]; then
  echo "coverage: uncovered lines and branches: $BUILD_DIR/html/index.html" >&2
  exit 1
fi
echo "coverage: src/ ${lines}% of lines, ${branches}% of branches (minimum ${MIN_LINES}% and ${MIN_BRANCHES}%)"
