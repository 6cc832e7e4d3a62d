#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# status --prometheus over a whole host, as the textfile timer runs it every
# 15 s: a host of N processes, L of them locked with M mappings each. The
# time of a full scan against the time of reading the very /proc files the
# scan reads with cat (one cat for all of them), the two alternating in the
# same run; the median of each, and their ratio. Run for several M to see
# the scan grow linearly with mappings. Reports; never fails on a slow
# machine.
# Usage: bench/status-scan.sh [--runs N] [--procs N] [--locked L] [--mappings "M..."] [--out DIR]
set -eu
cd "$(dirname "$0")/.."
runs=11 procs=2000 locked=10 mappings="1000 3000 10000" out=docs/bench
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--procs) procs=$2; shift ;;
	--locked) locked=$2; shift ;;
	--mappings) mappings=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "usage: bench/status-scan.sh [--runs N] [--procs N] [--locked L] [--mappings \"M...\"] [--out DIR]" >&2; exit 64 ;;
	esac
	shift
done
scripts/install-deps.sh build >/dev/null
scripts/build.sh
DM=build/cli/duende-mlock
MAPPER=build/bench/mapper
mkdir -p "$out"
tmp=$(mktemp -d)
started=()
stop_all() {
	[ ${#started[@]} = 0 ] || kill "${started[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	started=()
}
trap 'stop_all; rm -rf "$tmp"' EXIT

ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f\n", (b - a) * 1000}'; }
median() { sort -n | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# The files the scan reads: every status (for VmLck), and for each locked
# process its status, comm, limits, stat, oom_score_adj, every thread's
# stat, smaps and status again (did it exit meanwhile?); and /proc/swaps.
raw_files() {
	local p t
	for p in /proc/[0-9]*; do echo "$p/status"; done
	awk '$1 == "VmLck:" && $2 > 0 {split(FILENAME, f, "/"); print f[3]}' /proc/[0-9]*/status 2>/dev/null |
		while read -r p; do
			echo "/proc/$p/status /proc/$p/comm /proc/$p/limits /proc/$p/stat /proc/$p/oom_score_adj"
			for t in /proc/"$p"/task/*; do echo "$t/stat"; done
			echo "/proc/$p/smaps /proc/$p/status"
		done
	echo /proc/swaps
}

have=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
fill=$((procs - have - locked))
[ $fill -gt 0 ] || fill=0
echo "status-scan: $have processes here; starting $fill more and $locked locked ones" >&2
for ((i = 0; i < fill; i++)); do
	sleep 3600 &
	started+=($!)
done
fillers=("${started[@]}")

echo "mappings,processes,locked,ours_ms,raw_ms,ratio,runs" >"$out/status-scan.csv"
{
echo "| mappings per locked process | processes | locked | status --prometheus | cat of the same files | ratio | runs |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for m in $mappings; do
	mappers=()
	for ((i = 0; i < locked; i++)); do
		"$MAPPER" "$m" >"$tmp/ready.$i" &
		mappers+=($!)
	done
	for ((i = 0; i < locked; i++)); do
		for _ in $(seq 200); do [ -s "$tmp/ready.$i" ] && break; sleep 0.05; done
	done
	raw_files | tr ' ' '\n' >"$tmp/files"
	: >"$tmp/ours"
	: >"$tmp/raw"
	"$DM" status --prometheus >/dev/null 2>&1 || true # warm
	for ((r = 0; r < runs; r++)); do
		t=$EPOCHREALTIME
		"$DM" status --prometheus >/dev/null 2>&1 || true
		ms_since "$t" >>"$tmp/ours"
		t=$EPOCHREALTIME
		xargs -a "$tmp/files" cat >/dev/null 2>&1 || true
		ms_since "$t" >>"$tmp/raw"
	done
	o=$(median <"$tmp/ours") w=$(median <"$tmp/raw")
	n=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
	awk -v m="$m" -v n="$n" -v l="$locked" -v o="$o" -v w="$w" -v runs="$runs" 'BEGIN {
		printf "| %d | %d | %d | %.1f ms | %.1f ms | %.2fx | %d |\n", m, n, l, o, w, o / w, runs }'
	echo "$m,$n,$locked,$o,$w,$(awk -v o="$o" -v w="$w" 'BEGIN {printf "%.3f", o / w}'),$runs" >>"$out/status-scan.csv"
	kill "${mappers[@]}"
	wait "${mappers[@]}" 2>/dev/null || true
done
} | tee "$tmp/table"
started=("${fillers[@]}")
stop_all

# Linear in mappings: a least-squares line through (mappings of all locked
# processes, time) for each, its slope per 1000 mappings, its intercept
# (the scan of every process's status) and R^2.
fit() { # COLUMN
	awk -F, -v c="$1" 'NR > 1 {x = $1 * $3 / 1000; y = $c; n++; sx += x; sy += y; sxx += x * x; sxy += x * y; syy += y * y}
	END {
		d = n * sxx - sx * sx
		if (n < 2 || d == 0) { print "(needs two mapping counts)"; exit }
		b = (n * sxy - sx * sy) / d; a = (sy - b * sx) / n
		r = (n * sxy - sx * sy) / sqrt(d * (n * syy - sy * sy))
		printf "%.2f ms per 1000 mappings + %.1f ms, R^2 %.3f\n", b, a, r * r
	}' "$out/status-scan.csv"
}
{
	echo
	echo "Linear fit of time against mappings: status $(fit 4); cat $(fit 5)."
} | tee -a "$tmp/table"
{
	echo "Measured on: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr), $(date -u +%Y-%m-%d)"
	echo
	cat "$tmp/table"
} >"$out/status-scan.md"
echo "written: $out/status-scan.md, $out/status-scan.csv"
