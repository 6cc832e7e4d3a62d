#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Every test, then every quality gate: installs what is missing, builds,
# runs the whole suite (unit, privilege matrix, the CLI on real daemons,
# the examples, the DT-007 end-to-end rig on the host and in guests) and
# scripts/gates.sh. Run as root on Debian 12.
set -u
cd "$(dirname "$0")/.." || exit 1
scripts/install-deps.sh all || exit 1
scripts/build.sh || exit 1

# The full setup: the default one (the inner loop) leaves out the guests.
meson test -C build --setup full --print-errorlogs --num-processes 2
tests_rc=$?
log=build/meson-logs/testlog-full.txt
count() { sed -n "s/^$1: *\\([0-9]*\\).*/\\1/p" "$log" | tail -1; }
t_ok=$(count Ok) t_fail=$(( $(count Fail) + $(count Timeout) )) t_skip=$(count Skipped)

gates_out=$(mktemp)
scripts/gates.sh | tee "$gates_out"
gates_rc=${PIPESTATUS[0]}
read -r g_ok g_fail g_skip < <(sed -n 's/^gates: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$gates_out")
rm -f "$gates_out"

echo "tests: ${t_ok:-0} passed, ${t_fail:-0} failed, ${t_skip:-0} skipped"
echo "gates: ${g_ok:-0} passed, ${g_fail:-0} failed, ${g_skip:-0} skipped"
echo "total: $(( ${t_ok:-0} + ${g_ok:-0} )) passed, $(( ${t_fail:-0} + ${g_fail:-0} )) failed, $(( ${t_skip:-0} + ${g_skip:-0} )) skipped"
[ "$tests_rc" = 0 ] && [ "$gates_rc" = 0 ]
