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
)
# Debian packages checked with dpkg-query (libraries, multilib, i386 cmocka).
declare -a PACKAGES=(
  "libcmocka-dev"
  "gcc-multilib"
  "libnewlib-arm-none-eabi"
  "libcmocka-dev:i386"
  "libclang-rt-14-dev"
)

missing=()

check_all() {
  missing=()
  local entry cmd pkg
  for entry in "${COMMANDS[@]}"; do
    cmd=${entry%%:*}
    pkg=${entry#*:}
    if ! command -v "$cmd" >/dev/null 2>&1; then
      missing+=("$pkg")
    fi
  done
  for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
      missing+=("$pkg")
    fi
  done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: this script supports Debian-based systems (dpkg/apt) only." >&2
  echo "install-deps: needed: cmake ninja gcc clang pkg-config cmocka (64- and 32-bit)," >&2
  echo "              gcc -m32 multilib, qemu-i386 (qemu-user), arm-none-eabi-gcc with newlib," >&2
  echo "              riscv64-unknown-elf-gcc, qemu-system-arm, -riscv32/64 and -i386." >&2
  exit 1
fi

check_all
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all dependencies present"
  exit 0
fi

need_i386=0
if ! dpkg --print-foreign-architectures | grep -qx i386; then
  need_i386=1
fi

# One package can provide several commands.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
echo "install-deps: missing: ${missing[*]}"

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: not root; run:" >&2
  if [ "$need_i386" -eq 1 ]; then
    echo "  sudo dpkg --add-architecture i386 &&" >&2
  fi
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ "$need_i386" -eq 1 ]; then
  dpkg --add-architecture i386
fi
# A partial index failure (a mirror mid-sync) makes apt-get update exit non-zero
# although the package lists needed are usually there: go on, and let the
# install below decide.
if ! apt-get update; then
  echo "install-deps: warning: apt-get update reported errors; trying the install anyway" >&2
fi
apt-get install -y --no-install-recommends "${missing[@]}"

check_all
if [ ${#missing[@]} -ne 0 ]; then
  echo "install-deps: still missing after install: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: all dependencies present"
