#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# What each lock costs real daemons, side by side in one run: nbdkit (its
# file plugin, an NBD server people serve swap from) and
# prometheus-node-exporter (Go), unlocked, under duende-mlock exec (the full
# lock), exec --onfault and exec --precise: the time until each answers, its
# RSS and VmLck then, and (nbdkit) after one client has read from it; and
# the time mmap(2) of an 8 GiB file takes under each, its pages dropped from
# the page cache first. The modes alternate within each round; medians of
# the rounds. Prints a markdown table; it reports and never fails.
# Usage: bench/precise.sh [BUILD-DIR] [--runs N] [--map-runs N] [--dir DIR] [--out FILE]
#   DIR holds the 8 GiB file (default BUILD-DIR/bench; created once, zeros
#   written to disk so that mmap reads them back from it).
set -u
build=build runs=5 map_runs=3 dir='' out=''
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--map-runs) map_runs=$2; shift ;;
	--dir) dir=$2; shift ;;
	--out) out=$2; shift ;;
	-*) echo "precise: unknown option $1" >&2; exit 64 ;;
	*) build=$1 ;;
	esac
	shift
done
DM=$build/cli/duende-mlock
export DUENDE_MLOCK_PRELOAD=$PWD/$build/preload/libduende-mlock-preload.so
HANDSHAKE=$build/tests/cli/nbd-handshake
MAP_FILE=$build/bench/mapfile
dir=${dir:-$build/bench}
for f in "$DM" "$DUENDE_MLOCK_PRELOAD" "$HANDSHAKE" "$MAP_FILE"; do
	[ -e "$f" ] || { echo "precise: $f missing: build first (scripts/build.sh)" >&2; exit 1; }
done
for c in nbdkit prometheus-node-exporter curl; do
	command -v $c >/dev/null || { echo "precise: $c is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

MODES="unlocked full onfault precise"
launcher() { # MODE: the command words that start a program in it
	case $1 in
	unlocked) ;;
	full) echo "$DM exec --" ;;
	onfault) echo "$DM exec --onfault --" ;;
	precise) echo "$DM exec --precise --" ;;
	esac
}
kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; }
now_ms() { date +%s%3N; }
median() { sort -n | awk '{v[NR] = $1} END {if (!NR) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
mib() { awk -v k="$1" 'BEGIN {if (k == "-" || k == "") print "-"; else printf "%.1f MiB", k / 1024}'; }
mib_bytes() { awk -v b="$1" 'BEGIN {if (b == "-" || b == "") print "-"; else printf "%.1f MiB", b / 1048576}'; }
WORK=$(mktemp -d /tmp/precise-bench.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
truncate -s 1G "$WORK/disk.img"
PORT=10919 WEB=19109

listening() { grep -q ":$(printf %04X "$1") 00000000:0000 0A" /proc/net/tcp; }
# Tries COMMAND every 5 ms for 60 s at most: the tests' poller waits 0.1 s
# between tries, too coarse for a start that takes tens of milliseconds.
ready_within() {
	local end=$(($(now_ms) + 60000))
	until "$@"; do
		[ "$(now_ms)" -lt $end ] || return 1
		sleep 0.005
	done
}
# A daemon started in MODE: its PID, the milliseconds until ready answers.
start() { # MODE READY-COMMAND... -- PROGRAM...
	local mode=$1 t0 ready=()
	shift
	while [ "$1" != -- ]; do ready+=("$1"); shift; done
	shift
	t0=$(now_ms)
	# shellcheck disable=SC2046 # the launcher's words
	$(launcher "$mode") "$@" >"$WORK/daemon.out" 2>&1 &
	PID=$!
	if ready_within "${ready[@]}"; then START_MS=$(($(now_ms) - t0)); else START_MS=-; fi
}
stop() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=; }

: >"$WORK/rows"
for ((r = 1; r <= runs; r++)); do
	for mode in $MODES; do
		start "$mode" listening $PORT -- nbdkit -f -p $PORT file "$WORK/disk.img"
		rss0=$(kb "$PID" VmRSS) lck0=$(kb "$PID" VmLck)
		# One client: the handshake and a read, held open while measured.
		coproc CLIENT { "$HANDSHAKE" $PORT "" ; }
		read -r _ <&"${CLIENT[0]}"
		rss1=$(kb "$PID" VmRSS) lck1=$(kb "$PID" VmLck)
		kill "$CLIENT_PID" 2>/dev/null
		wait "$CLIENT_PID" 2>/dev/null
		stop
		echo "nbdkit $mode $START_MS $rss0 $lck0 $rss1 $lck1" >>"$WORK/rows"
		start "$mode" curl -sf -o /dev/null "http://127.0.0.1:$WEB/metrics" -- \
			prometheus-node-exporter --web.listen-address=127.0.0.1:$WEB
		echo "node_exporter $mode $START_MS $(kb "$PID" VmRSS) $(kb "$PID" VmLck) - -" >>"$WORK/rows"
		stop
	done
done

big=$dir/precise-8g.img
if [ ! -s "$big" ] || [ "$(stat -c %s "$big")" != $((8 << 30)) ]; then
	echo "precise: writing the 8 GiB file $big once (zeros, on disk)" >&2
	dd if=/dev/zero of="$big" bs=1M count=8192 conv=fsync status=none
fi
for ((r = 1; r <= map_runs; r++)); do
	[ -n "${wrote:-}" ] || { echo "precise: mapping the 8 GiB file $map_runs times in each mode" >&2; wrote=1; }
	for mode in $MODES; do
		# shellcheck disable=SC2046
		line=$($(launcher "$mode") "$MAP_FILE" "$big" 2>/dev/null)
		echo "map8g $mode $(awk '{print $2, $4, $6}' <<<"$line")" >>"$WORK/rows"
	done
done

row() { awk -v p="$1" -v m="$2" -v c="$3" '$1 == p && $2 == m {print $c}' "$WORK/rows" | median; }
table() {
	echo "| daemon | mode | ms to answer | RSS at start | VmLck at start | RSS after one client | VmLck after one client |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
	for p in nbdkit node_exporter; do
		for m in $MODES; do
			echo "| $p | $m | $(row "$p" "$m" 3) | $(mib "$(row "$p" "$m" 4)") | $(mib "$(row "$p" "$m" 5)") | $(mib "$(row "$p" "$m" 6)") | $(mib "$(row "$p" "$m" 7)") |"
		done
	done
	echo
	echo "| mmap of an 8 GiB file (page cache dropped) | mode | seconds | VmLck after | RSS after |"
	echo "| --- | --- | ---: | ---: | ---: |"
	for m in $MODES; do
		echo "| map8g | $m | $(row map8g "$m" 3) | $(mib_bytes "$(row map8g "$m" 4)") | $(mib_bytes "$(row map8g "$m" 5)") |"
	done
	echo
	echo "Medians of $runs rounds (daemons) and $map_runs rounds (the mapping); kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM; nbdkit $(nbdkit --version | awk '{print $2}'), node_exporter $(prometheus-node-exporter --version 2>&1 | awk 'NR == 1 {print $3}')."
}
if [ -n "$out" ]; then
	table | tee "$out"
	{ echo "what,mode,ms_or_s,rss_kib_or_vmlck_bytes,vmlck_kib_or_rss_bytes,rss_after_kib,vmlck_after_kib"; tr ' ' , <"$WORK/rows"; } >"${out%.md}.csv"
else
	table
fi
