#!/usr/bin/env bash
# Checks that everything `make test` needs is installed (Debian/Ubuntu).
# If something is missing: as root, installs it with apt-get; otherwise prints
# the command to run and exits 1. Exits 0 only when everything is present.
set -euo pipefail

# command -> Debian package providing it
declare -a COMMANDS=(
  "cmake:cmake"
  "ninja:ninja-build"
  "make:make"
  "gcc:gcc"
  "clang:clang"
  "pkg-config:pkg-config"
  "qemu-i386:qemu-user"
  "arm-none-eabi-gcc:gcc-arm-none-eabi"
  "riscv64-unknown-elf-gcc:gcc-riscv64-unknown-elf"
  "qemu-system-arm:qemu-system-arm"
  "qemu-system-riscv32:qemu-system-misc"
  "qemu-system-riscv64:qemu-system-misc"
  "qemu-system-i386:qemu-system-x86"
  "valgrind:valgrind"
  "clang-tidy:clang-tidy"
  "cppcheck:cppcheck"
  "lcov:lcov"
  "python3:python3"
  "sqlite3:sqlite3"
)
# Debian packages checked with dpkg-query (libraries, multilib, i386 cmocka).
declare -a PACKAGES=(
  "libcmocka-dev"
  "gcc-multilib"
  "libnewlib-arm-none-eabi"
  "libstdc++-arm-none-eabi-newlib"
  "picolibc-arm-none-eabi"
  "picolibc-riscv64-unknown-elf"
  "libcmocka-dev:i386"
  "libclang-rt-14-dev"
)

DEPS_NAME=install-deps
DEPS_NEEDED="cmake ninja gcc clang pkg-config cmocka (64- and 32-bit), gcc -m32 multilib, qemu-user, arm-none-eabi-gcc with newlib, picolibc and libstdc++, riscv64-unknown-elf-gcc with picolibc, qemu-system-arm/-misc/-x86, valgrind, clang-tidy, cppcheck, lcov, libFuzzer (libclang-rt-14-dev), python3 (programs run under the malloc shim, the worst-case path bound) and sqlite3."
# shellcheck source=tools/deps-lib.sh
. "$(dirname "$0")/deps-lib.sh"
deps_ensure
