#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The window of `duende-mlock guard`: from `swapon` of a loop device over a
# file on a bindfs mount, served by a bindfs started unlocked, to that
# bindfs locked (VmLck above 0 in its /proc/PID/status, read without a fork
# every pass of a busy loop) under a guard that runs already. Each run has
# a fresh server, loop device and swap area (64 MiB). Prints the median,
# minimum and maximum, from swapon's start and from its return (the area
# is in use from then on); goal: median under 100 ms. Reports; never
# fails on a slow machine. Needs root, bindfs, losetup. Creates swap
# areas: run it under `flock /tmp/dm-heavy.lock`.
# Usage: bench/guardwindow.sh [--runs N] [--interval S] [--out FILE]
set -eu
cd "$(dirname "$0")/.."
runs=20 interval=1 out=
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--interval) interval=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "usage: bench/guardwindow.sh [--runs N] [--interval S] [--out FILE]" >&2; exit 64 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (swapon, losetup)" >&2; exit 77; }
command -v bindfs >/dev/null || { echo "SKIP: bindfs is missing (package bindfs)" >&2; exit 77; }
scripts/build.sh
DM=build/cli/duende-mlock
tmp=$(mktemp -d)
guard='' srv='' loop=''
teardown() {
	[ -n "$loop" ] && { swapoff "$loop" 2>/dev/null; losetup -d "$loop" 2>/dev/null || true; }
	[ -n "$srv" ] && { kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null || true; }
	umount -l "$tmp/mnt" 2>/dev/null || true
	loop='' srv=''
	return 0
}
# The guard first: it holds whatever the caller's flock left open.
trap 'set +e; [ -n "$guard" ] && kill "$guard" 2>/dev/null; teardown; rm -rf "$tmp"' EXIT

mkdir -p "$tmp/back" "$tmp/mnt"
truncate -s 64M "$tmp/back/swapimg"
chmod 600 "$tmp/back/swapimg"
"$DM" guard --interval "$interval" 2>"$tmp/guard.log" &
guard=$!

# VmLck of $1 above 0, read with bash's own read (no fork).
locked() {
	local k v
	while read -r k v _; do
		[ "$k" = VmLck: ] && { [ "$v" -gt 0 ]; return; }
	done <"/proc/$1/status"
	return 1
}
ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f\n", (b - a) * 1000}'; }
stats() { sort -n | awk '{v[NR] = $1} END {printf "%s %s %s\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR]}'; }

: >"$tmp/from-start"
: >"$tmp/from-return"
missed=0
for ((i = 1; i <= runs; i++)); do
	mkswap -q "$tmp/back/swapimg" >/dev/null 2>&1
	bindfs -f "$tmp/back" "$tmp/mnt" &
	srv=$!
	for _ in $(seq 100); do mountpoint -q "$tmp/mnt" && break; sleep 0.05; done
	loop=$(losetup -f --show "$tmp/mnt/swapimg")
	if locked "$srv"; then echo "run $i: bindfs locked before swapon?" >&2; exit 1; fi
	t0=$EPOCHREALTIME
	swapon "$loop"
	t1=$EPOCHREALTIME
	t2=
	deadline=$((EPOCHSECONDS + 10))
	while :; do
		if locked "$srv"; then t2=$EPOCHREALTIME; break; fi
		[ "$EPOCHSECONDS" -ge "$deadline" ] && break
	done
	if [ -n "$t2" ]; then
		ms "$t0" "$t2" >>"$tmp/from-start"
		ms "$t1" "$t2" >>"$tmp/from-return"
		printf 'run %2d: swapon took %s ms, locked %s ms after it returned\n' "$i" "$(ms "$t0" "$t1")" "$(ms "$t1" "$t2")"
	else
		missed=$((missed + 1))
		echo "run $i: not locked within 10 s" >&2
	fi
	teardown
done
kill "$guard"
wait "$guard" || true
guard=''

read -r s_med s_min s_max < <(stats <"$tmp/from-start")
read -r r_med r_min r_max < <(stats <"$tmp/from-return")
verdict="within the goal (median under 100 ms)"
awk -v m="$r_med" 'BEGIN {exit !(m >= 100)}' && verdict="OVER the goal of a median under 100 ms"
table=$(cat <<EOF
| from | median | min | max | runs |
| --- | ---: | ---: | ---: | ---: |
| swapon's start to the server locked | $s_med ms | $s_min ms | $s_max ms | $(wc -l <"$tmp/from-start") |
| swapon's return to the server locked | $r_med ms | $r_min ms | $r_max ms | $(wc -l <"$tmp/from-return") |
EOF
)
echo
echo "$table"
echo
echo "guard --interval $interval, $runs runs, $missed not locked within 10 s: $verdict"
if [ -n "$out" ]; then
	cat >"$out" <<EOF
# The guard's window: swapon to the server locked

Measured by \`flock /tmp/dm-heavy.lock bench/guardwindow.sh --runs $runs --out $out\`
on $(uname -sr), $(nproc) cores, $(date -u +%Y-%m-%d). A bindfs started unlocked serves a
64 MiB swap file on its mount through a loop device; a \`duende-mlock guard --interval $interval\`
runs already; the time runs from \`swapon\` of the loop device to the bindfs locked, as
its \`/proc/PID/status\` shows (VmLck above 0, polled in a busy loop without a fork). A fresh
server, device and area for each run.

$table

$runs runs, $missed not locked within 10 s: $verdict. The guard wakes on the change of
\`/proc/swaps\` (poll, POLLPRI), not on its interval; the time is its pass (the swap areas and
their servers from the library, the server's tree) and the lock from outside
(\`duende_mlock_lock_pid()\`: the server's threads stopped one at a time, its resident pages
locked, the rest faulted in).

The machine had no memory pressure during these runs (other work shared its $(nproc) cores):
under pressure both the pass and the lock (which faults in what is not resident) take
longer, so read the figure as the guard's own cost, not a bound. The DT-007 cases
\`fuse-guard\` and \`nbd-guard\` measure the same window under the rig (\`docs/dt007-results.md\`).

What can go to swap in that window: any page of the server that the kernel reclaims while
it is unlocked, and with this area the most preferred, to the area it serves itself. The
lock then leaves such pages where they are (it does not fault in what would be read from
its own device), so they come back through the server when touched. \`duende-mlock exec\`
has no window: the server is locked before its \`main()\`, before any \`swapon\`.
EOF
	echo "wrote $out"
fi
