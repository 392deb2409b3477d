#!/usr/bin/env bash
# Runs a firmware under its board's emulator (the command in "$@", as
# CMAKE_CROSSCOMPILING_EMULATOR and the .elf), its console passed through,
# and ends the output with "firmware: exit status N" when the firmware did
# not exit with 0. The firmware tests are judged by their output (the
# runner's "N passed, 0 failed"), which makes ctest ignore the exit status:
# with this line in their FAIL_REGULAR_EXPRESSION, a firmware that printed
# the passing line and then failed still fails its test.
"$@"
status=$?
if [ "$status" -ne 0 ]; then
  echo "firmware: exit status $status"
fi
exit "$status"
