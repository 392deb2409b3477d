#!/usr/bin/env bash
# Checks that everything `make bench` needs is installed (Debian/Ubuntu).
# If something is missing: as root, installs it with apt-get; otherwise prints
# the command to run and exits 1. Exits 0 only when everything is present.
set -euo pipefail

# command -> Debian package providing it
declare -a COMMANDS=(
  "gcc:gcc"
  "python3:python3"
  "valgrind:valgrind"
  "gnuplot:gnuplot-nox"
  "qemu-i386:qemu-user"
  "cmake:cmake"
  "arm-none-eabi-gcc:gcc-arm-none-eabi"
  "qemu-system-arm:qemu-system-arm"
  "riscv64-unknown-elf-gcc:gcc-riscv64-unknown-elf"
  "qemu-system-riscv32:qemu-system-misc"
  "git:git"
)
# Debian packages checked with dpkg-query: the hosted allocators compared
# against, and the 32-bit C library for gcc -m32.
declare -a PACKAGES=(
  "gcc-multilib"
  "libjemalloc-dev"
  "libmimalloc-dev"
  "libtcmalloc-minimal4"
)

DEPS_NAME=install-bench-deps
DEPS_NEEDED="gcc with -m32 multilib, python3, valgrind, gnuplot, qemu-i386, cmake, arm-none-eabi-gcc and qemu-system-arm (the Cortex-M4 firmware and the Cortex-M3 worst cases), riscv64-unknown-elf-gcc and qemu-system-riscv32 (the RV32 worst cases), jemalloc, mimalloc and tcmalloc (minimal) shared libraries."
# shellcheck source=tools/deps-lib.sh
. "$(dirname "$0")/deps-lib.sh"
deps_ensure
