#!/usr/bin/env bash
# Fails when a Catch2 test name has unbalanced square brackets.
#
# catch_discover_tests hands the discovered names to CMake as a list, and
# CMake does not split a list at ';' inside unbalanced brackets: such a name
# swallows every later test case of its executable into one ctest entry,
# which then passes without running them (it once hid 300 tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -rn --include='*.cc' -E 'TEST_CASE\("' tests | awk '{
  line = $0
  sub(/^[^:]*:[0-9]*:/, "", line)
  if (match(line, /TEST_CASE\("([^"\\]|\\.)*"/)) {
    name = substr(line, RSTART + 11, RLENGTH - 12)
    opening = gsub(/\[/, "[", name); closing = gsub(/\]/, "]", name)
    if (opening != closing) { split($0, where, ":"); print where[1] ":" where[2] ": " name }
  }
}')
if [[ -n $bad ]]; then
  echo "test names with unbalanced square brackets (they would hide later tests from ctest):" >&2
  echo "$bad" >&2
  exit 1
fi
