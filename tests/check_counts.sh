# shellcheck shell=bash
# Sourced by the shell checks (config_check.sh, install_check.sh), which set
# CHECK_NAME first: the counts of checks and failures, fail() for a failed
# check, and checks_end, which prints the line ctest matches ("N passed, M
# failed") and returns the checks' status.
failures=0
checks=0

fail() {
  echo "$CHECK_NAME: $*" >&2
  failures=$((failures + 1))
}

checks_end() {
  echo "$CHECK_NAME: $((checks - failures)) passed, $failures failed"
  [ "$failures" -eq 0 ]
}
