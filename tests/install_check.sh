#!/usr/bin/env bash
# How a project takes bareheap from an install or as a subdirectory, on the
# host: bareheap built on its own and installed to a prefix, then a program
# built against it through find_package(bareheap) and through pkg-config,
# each with both header names; the prefix's include directory holding
# nothing but bareheap/; and a parent project that adds bareheap with
# add_subdirectory() and exports a library that links it: its build makes
# no malloc shim, its plain install holds none of bareheap's files, and
# installing the component "bareheap" adds them.
#
#   install_check.sh CC SOURCE_DIR WORK_DIR
#
# Needs cmake and pkg-config; a missing one fails the test.
set -uo pipefail

CC=$1
SRC=$2
WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 1
CHECK_NAME=install_check
# shellcheck source=tests/check_counts.sh
. "$SRC/tests/check_counts.sh"

# run WHAT COMMAND...: the command succeeds, or the check fails with its output.
run() {
  local what=$1
  shift
  checks=$((checks + 1))
  if ! "$@" >out.txt 2>&1; then
    fail "$what: $*"
    cat out.txt >&2
    return 1
  fi
}

# The program every consumer builds: both header names, the default heap
# and an instance, and what it allocated given back.
cat >main.c <<'EOF'
#include "allocator.h"
#include "bareheap.h"

static unsigned char memory[16384];

int main(void)
{
    bh_heap *heap = bh_init(memory + 8192, 8192);
    void *p, *q;
    if (!heap_init(memory, 8192) || heap == NULL)
        return 1;
    p = heap_alloc(100);
    q = bh_alloc(heap, 200);
    if (p == NULL || q == NULL)
        return 2;
    heap_free(p);
    bh_free(heap, q);
    return heap_check() == 0 && bh_check(heap) == 0 ? 0 : 3;
}
EOF

run "configure bareheap" cmake -S "$SRC" -B build -DCMAKE_C_COMPILER="$CC" -DBAREHEAP_BUILD_TESTS=OFF \
  -DBAREHEAP_BUILD_EXAMPLES=OFF -DBAREHEAP_BUILD_TOOLS=OFF -DBAREHEAP_BUILD_HOSTED=OFF -DBAREHEAP_PORT_LIBC=ON &&
  run "build bareheap" cmake --build build &&
  run "install bareheap" cmake --install build --prefix "$WORK/prefix"

checks=$((checks + 1))
if [ ! -f prefix/include/bareheap/bareheap.h ] || [ ! -f prefix/include/bareheap/allocator.h ]; then
  fail "the headers are not in include/bareheap/"
fi
checks=$((checks + 1))
others=$(find prefix/include -mindepth 1 -maxdepth 1 ! -name bareheap)
if [ -n "$others" ]; then
  fail "include/ holds more than bareheap/: $others"
fi

# find_package(bareheap)
mkdir -p fp
cp main.c fp/
cat >fp/CMakeLists.txt <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(find_package_consumer C)
find_package(bareheap 0.1 REQUIRED)
add_executable(app main.c)
target_link_libraries(app PRIVATE bareheap::bareheap)
EOF
run "configure the find_package() consumer" cmake -S fp -B fp/build -DCMAKE_C_COMPILER="$CC" \
  -DCMAKE_PREFIX_PATH="$WORK/prefix" &&
  run "build the find_package() consumer" cmake --build fp/build &&
  run "run the find_package() consumer" fp/build/app

# pkg-config, wherever GNUInstallDirs put the library
pcdir=$(dirname "$(find prefix -name bareheap.pc | head -n 1)")
checks=$((checks + 1))
if flags=$(PKG_CONFIG_PATH="$WORK/$pcdir" pkg-config --cflags --libs bareheap 2>out.txt); then
  # shellcheck disable=SC2086 # the flags are words
  run "build the pkg-config consumer" "$CC" -std=c99 -Wall -Werror main.c $flags -o pc_app &&
    run "run the pkg-config consumer" ./pc_app
else
  fail "pkg-config --cflags --libs bareheap"
  cat out.txt >&2
fi
# bareheap-libc: its string functions linked in, all four, whatever the
# program calls (the host's C library would otherwise serve them).
checks=$((checks + 1))
if flags=$(PKG_CONFIG_PATH="$WORK/$pcdir" pkg-config --cflags --libs bareheap bareheap-libc 2>out.txt); then
  # shellcheck disable=SC2086 # the flags are words
  if run "build the pkg-config consumer with bareheap-libc" "$CC" -std=c99 -Wall -Werror main.c $flags \
    -o pc_libc_app && run "run the pkg-config consumer with bareheap-libc" ./pc_libc_app; then
    checks=$((checks + 1))
    defined=$(nm pc_libc_app | grep -cE ' [TW] (memcpy|memmove|memset|memcmp)$')
    if [ "$defined" -ne 4 ]; then
      fail "bareheap-libc linked $defined of its 4 functions"
    fi
  fi
else
  fail "pkg-config --cflags --libs bareheap bareheap-libc"
  cat out.txt >&2
fi
# <bareheap/bareheap.h> with only the prefix's include directory
printf '#include <bareheap/bareheap.h>\nsize_t grain(void);\nsize_t grain(void) { return bh_alignment(); }\n' >sub.c
run "compile with <bareheap/bareheap.h>" "$CC" -std=c99 -Wall -Wextra -Werror -I"$WORK/prefix/include" \
  -c sub.c -o sub.o

# add_subdirectory(): the parent's build and install are its own, and it
# may export a library that links bareheap (bareheap's targets are then
# needed in an export set).
mkdir -p parent
cp main.c parent/
printf '#include "bareheap.h"\nsize_t comp_grain(void);\nsize_t comp_grain(void) { return bh_alignment(); }\n' \
  >parent/comp.c
cat >parent/CMakeLists.txt <<EOF
cmake_minimum_required(VERSION 3.16)
project(parent C)
add_subdirectory("$SRC" bareheap)
add_executable(app main.c)
target_link_libraries(app PRIVATE bareheap::bareheap)
add_library(comp STATIC comp.c)
target_link_libraries(comp PRIVATE bareheap::bareheap)
install(TARGETS app RUNTIME DESTINATION bin)
install(TARGETS comp EXPORT parentTargets ARCHIVE DESTINATION lib)
install(EXPORT parentTargets DESTINATION lib/cmake/parent)
EOF
run "configure the parent" cmake -S parent -B parent/build -DCMAKE_C_COMPILER="$CC" &&
  run "build the parent" cmake --build parent/build &&
  run "run the parent's program" parent/build/app &&
  run "install the parent" cmake --install parent/build --prefix "$WORK/parent_prefix"
checks=$((checks + 1))
if [ -d parent/build ] && find parent/build -name 'libbareheap-malloc*' | grep -q .; then
  fail "a parent's build makes the malloc shim"
fi
checks=$((checks + 1))
installed=$(cd parent_prefix 2>/dev/null && find . -type f | sort | tr '\n' ' ')
case "$installed" in
  *bareheap* | *allocator.h*) fail "the parent's install holds bareheap's files: $installed" ;;
  *./bin/app*./lib/libcomp.a*) ;;
  *) fail "the parent's install lacks its own files: $installed" ;;
esac
run "install the parent's component bareheap" cmake --install parent/build --prefix "$WORK/parent_prefix" \
  --component bareheap
checks=$((checks + 1))
if [ ! -f parent_prefix/include/bareheap/bareheap.h ] || ! find parent_prefix -name libbareheap.a | grep -q .; then
  fail "the component bareheap did not install bareheap"
fi

checks_end
