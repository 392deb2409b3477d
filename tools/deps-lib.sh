# Shared by tools/install-deps.sh and tools/install-bench-deps.sh (sourced).
# The caller sets:
#   DEPS_NAME      its name, for messages
#   DEPS_NEEDED    one line saying what is needed, for systems without dpkg
#   COMMANDS       "command:debian-package" entries
#   PACKAGES       Debian packages checked with dpkg-query (":i386" for 32-bit ones)
# deps_ensure then exits 0 when everything is present; as root it installs what
# is missing with apt-get (adding the i386 architecture if a package needs it);
# otherwise it prints the exact command and exits 1.

deps_check_all() {
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
  # One package can provide several commands.
  if [ ${#missing[@]} -ne 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
  fi
}

deps_ensure() {
  local need_i386=0 pkg
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "$DEPS_NAME: this script supports Debian-based systems (dpkg/apt) only." >&2
    echo "$DEPS_NAME: needed: $DEPS_NEEDED" >&2
    exit 1
  fi
  deps_check_all
  if [ ${#missing[@]} -eq 0 ]; then
    echo "$DEPS_NAME: all dependencies present"
    exit 0
  fi
  for pkg in "${missing[@]}"; do
    case "$pkg" in
      *:i386) dpkg --print-foreign-architectures | grep -qx i386 || need_i386=1 ;;
    esac
  done
  echo "$DEPS_NAME: missing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "$DEPS_NAME: not root; run:" >&2
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
  # A partial index failure (a mirror mid-sync) makes apt-get update exit
  # non-zero although the package lists needed are usually there: go on, and
  # let the install below decide.
  if ! apt-get update; then
    echo "$DEPS_NAME: warning: apt-get update reported errors; trying the install anyway" >&2
  fi
  apt-get install -y --no-install-recommends "${missing[@]}"
  deps_check_all
  if [ ${#missing[@]} -ne 0 ]; then
    echo "$DEPS_NAME: still missing after install: ${missing[*]}" >&2
    exit 1
  fi
  echo "$DEPS_NAME: all dependencies present"
  exit 0
}
