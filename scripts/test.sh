#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Every test: installs what is missing, builds, runs the whole suite (unit,
# privilege matrix, CLI on real daemons, end-to-end DT-007 rig), then the
# quality gates. Run as root on a Debian 12 machine.
set -u
cd "$(dirname "$0")/.." || exit 1
scripts/install-deps.sh all || exit 1
scripts/build.sh || exit 1
meson test -C build --print-errorlogs --num-processes 2
status=$?
python_free_summary() {
	# meson's own summary, as one plain line: "N passed, N failed, N skipped"
	local log=build/meson-logs/testlog.txt ok fail skip
	ok=$(sed -n 's/^Ok: *\([0-9]*\)/\1/p' "$log" | tail -1)
	fail=$(sed -n 's/^Fail: *\([0-9]*\)/\1/p' "$log" | tail -1)
	skip=$(sed -n 's/^Skipped: *\([0-9]*\)/\1/p' "$log" | tail -1)
	echo "tests: ${ok:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
}
python_free_summary
exit $status
