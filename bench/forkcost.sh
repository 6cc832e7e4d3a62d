#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# What following forks costs a daemon with MIB MiB resident and locked:
# each way of starting a helper (/bin/true), and a forked child that serves,
# under a plain mlockall preload (the baseline, which leaves forked children
# unlocked), under `duende-mlock exec` (which locks them), and under
# `duende-mlock exec --no-follow-forks`, and started unlocked and then
# locked and followed from outside by `duende-mlock lock --follow` (ptrace:
# each child locked in its first stop). The four alternate round by round
# in fresh processes; each figure is the median of the rounds' medians.
# Reports; never fails on a slow machine.
# Usage: bench/forkcost.sh BUILD-DIR [--mib N] [--rounds N] [--iters N] [--csv FILE]
set -eu
build=${1:-build}
shift || true
mib=1024 rounds=5 iters=15 csv=
while [ $# -gt 0 ]; do
	case $1 in
	--mib) mib=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--iters) iters=$2; shift ;;
	--csv) csv=$2; shift ;;
	*) echo "usage: bench/forkcost.sh BUILD-DIR [--mib N] [--rounds N] [--iters N] [--csv FILE]" >&2; exit 64 ;;
	esac
	shift
done
fb=$build/bench/forkbench
plain=$build/bench/libplainlock.so
dm=$build/cli/duende-mlock
export DUENDE_MLOCK_PRELOAD=$PWD/$build/preload/libduende-mlock-preload.so
for f in "$fb" "$plain" "$dm" "$DUENDE_MLOCK_PRELOAD"; do
	[ -e "$f" ] || { echo "forkcost: $f missing: build first (scripts/build.sh)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -n | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

run() { # SETUP MODE: prints the round's median in ms
	case $1 in
	plain) LD_PRELOAD=$PWD/$plain "$fb" "$2" "$mib" "$iters" ;;
	follow) "$dm" exec -- "$fb" "$2" "$mib" "$iters" 2>/dev/null ;;
	nofollow) "$dm" exec --no-follow-forks -- "$fb" "$2" "$mib" "$iters" 2>/dev/null ;;
	lockfollow) under_follower "$2" ;;
	esac | awk '{print $2}'
}

under_follower() { # MODE: forkbench locked and followed by lock --follow
	FORKBENCH_WAIT_USR1=1 "$fb" "$1" "$mib" "$iters" >"$tmp/out" &
	local pid=$! follower
	# Locked once it is forkbench waiting, not the shell before its exec.
	until [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = forkbench ] &&
		grep -q '^State:.*S (sleeping)' "/proc/$pid/status" 2>/dev/null; do sleep 0.01; done
	rm -f "$tmp/follow.log" # the last run's "following" must not be read
	"$dm" lock --follow -v "$pid" >"$tmp/follow.log" 2>&1 &
	follower=$!
	until grep -q "^following" "$tmp/follow.log" 2>/dev/null; do
		kill -0 "$follower" 2>/dev/null || { echo "forkcost: lock --follow failed: $(cat "$tmp/follow.log")" >&2; break; }
		sleep 0.05
	done
	kill -USR1 "$pid"
	wait "$pid" || true
	# The follower ends by itself once forkbench has: either may come first.
	kill -TERM "$follower" 2>/dev/null || true
	wait "$follower" || true
	cat "$tmp/out"
}

modes="fork posix_spawn system popen fork-serve"
for ((r = 0; r < rounds; r++)); do
	for m in $modes; do
		for s in plain follow nofollow lockfollow; do run "$s" "$m" >>"$tmp/$s-$m"; done
	done
done
echo "| path ($mib MiB resident, locked) | plain mlockall preload | exec (follows forks) | ratio | exec --no-follow-forks | ratio | lock --follow (ptrace) | ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
[ -n "$csv" ] && echo "path,mib,plain_ms,follow_ms,nofollow_ms,lockfollow_ms,rounds,iters" >"$csv"
for m in $modes; do
	p=$(median <"$tmp/plain-$m") f=$(median <"$tmp/follow-$m") n=$(median <"$tmp/nofollow-$m")
	l=$(median <"$tmp/lockfollow-$m")
	awk -v m="$m" -v p="$p" -v f="$f" -v n="$n" -v l="$l" 'BEGIN {
		label = m == "fork" ? "fork + execve" : m == "fork-serve" ? "fork, child serves and exits" : m
		printf "| %s | %.1f ms | %.1f ms | %.2fx | %.1f ms | %.2fx | %.1f ms | %.2fx |\n", label, p, f, f / p, n, n / p, l, l / p }'
	[ -n "$csv" ] && echo "$m,$mib,$p,$f,$n,$l,$rounds,$iters" >>"$csv"
done
