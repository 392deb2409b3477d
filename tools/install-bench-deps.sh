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
  echo "install-bench-deps: this script supports Debian-based systems (dpkg/apt) only." >&2
  echo "install-bench-deps: needed: gcc with -m32 multilib, python3, valgrind, gnuplot, qemu-i386," >&2
  echo "                    jemalloc, mimalloc and tcmalloc (minimal) shared libraries." >&2
  exit 1
fi

check_all
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-bench-deps: all dependencies present"
  exit 0
fi

echo "install-bench-deps: missing: ${missing[*]}"

if [ "$(id -u)" -ne 0 ]; then
  echo "install-bench-deps: not root; run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# A partial index failure (a mirror mid-sync) makes apt-get update exit non-zero
# although the package lists needed are usually there: go on, and let the
# install below decide.
if ! apt-get update; then
  echo "install-bench-deps: warning: apt-get update reported errors; trying the install anyway" >&2
fi
apt-get install -y --no-install-recommends "${missing[@]}"

check_all
if [ ${#missing[@]} -ne 0 ]; then
  echo "install-bench-deps: still missing after install: ${missing[*]}" >&2
  exit 1
fi
echo "install-bench-deps: all dependencies present"
