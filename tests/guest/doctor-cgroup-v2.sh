#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# doctor on a limited cgroup v2 shared by two processes warns about the
# DT-007 hazard, and stops warning once the process is alone. Needs root
# and cgroup v2 (the guest has both; the host may have neither).
# Usage: doctor-cgroup-v2.sh [DUENDE-MLOCK]   exit: 0 pass, 1 fail, 77 skip
set -u
DM=${1:-$(dirname "$0")/../../build/cli/duende-mlock}
cg=/sys/fs/cgroup
skip() { echo "SKIP: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
grep -qw memory $cg/cgroup.controllers 2>/dev/null || skip "no cgroup v2 memory controller"
grep -qw memory $cg/cgroup.subtree_control || echo +memory >$cg/cgroup.subtree_control || skip "cannot enable memory"
t=$cg/duende-doctor-$$
mkdir "$t" || skip "cannot create a cgroup"
sleep 30 & a=$!
sleep 30 & b=$!
trap 'kill $a $b 2>/dev/null; echo $a >$cg/cgroup.procs; echo $b >$cg/cgroup.procs; rmdir "$t"' EXIT
echo 40M >"$t/memory.max" && echo $a >"$t/cgroup.procs" && echo $b >"$t/cgroup.procs" || exit 1
fails=0
out=$("$DM" doctor --pid $a)
if grep -q 'memory cgroup v2 .* shared by 2 processes: a swap-serving daemon here deadlocks even when locked' <<<"$out"; then
	echo "ok   shared, limited v2 cgroup: warned"
else
	echo "FAIL: shared, limited v2 cgroup: no warning"; echo "$out"; fails=1
fi
echo $b >$cg/cgroup.procs
out=$("$DM" doctor --pid $a)
if grep -q 'deadlocks even when locked' <<<"$out"; then
	echo "FAIL: alone in its cgroup: still warned"; fails=1
else
	echo "ok   alone in its cgroup: no warning"
fi
exit $fails
