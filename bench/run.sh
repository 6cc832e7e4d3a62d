#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The benchmarks, side by side with the raw system calls in one run. Every
# figure is a ratio against a baseline measured in the same run, the two
# alternating in fresh processes, so a noisy machine moves both alike.
# Reports; never fails on a slow machine.
# Usage: bench/run.sh [--runs N] [--out DIR]   (default 7 runs, docs/bench)
set -eu
cd "$(dirname "$0")/.."
runs=7
out=docs/bench
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "usage: bench/run.sh [--runs N] [--out DIR]" >&2; exit 64 ;;
	esac
	shift
done
scripts/install-deps.sh build >/dev/null
scripts/build.sh
LB=build/bench/lockbench
mkdir -p "$out"

# stats: reads numbers, prints "median min max"
stats() { sort -n | awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR]}'; }
row() { # MEASURE UNIT OURS-FILE RAW-FILE
	local om omin omax rm
	read -r om omin omax < <(stats <"$3")
	read -r rm _ _ < <(stats <"$4")
	awk -v n="$1" -v u="$2" -v om="$om" -v omin="$omin" -v omax="$omax" -v rm="$rm" -v runs="$runs" 'BEGIN {
		printf "| %s | %.1f %s | %.1f %s | %.3fx | %d | %.1f%% |\n", n, om / (u == "ms" ? 1e6 : 1e3), u, rm / (u == "ms" ? 1e6 : 1e3), u, om / rm, runs, (omax - omin) / om * 100 }'
	echo "$1,$om,$rm,$runs" >>"$out/results.csv"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "measure,ours_ns,baseline_ns,runs" >"$out/results.csv"
{
echo "| measure | ours | baseline | ratio | runs | spread (ours) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for mib in 256 1024 4096; do
	: >"$tmp/o"; : >"$tmp/r"
	for ((i = 0; i < runs; i++)); do
		$LB lock --impl ours --mib $mib >>"$tmp/o"
		$LB lock --impl raw --mib $mib >>"$tmp/r"
	done
	row "lock_all vs mlockall, $mib MiB touched" ms "$tmp/o" "$tmp/r"
done
# Queries: blocks of 100 calls, ours and raw alternating within one
# process (the median block of each), in fresh processes run by run.
for q in is-locked locked-bytes; do
	: >"$tmp/o"; : >"$tmp/r"
	for ((i = 0; i < runs; i++)); do
		read -r o r < <($LB pair --impl $q --iters 100)
		echo "$o" >>"$tmp/o"
		echo "$r" >>"$tmp/r"
	done
	row "$q vs one read of /proc/self/status" us "$tmp/o" "$tmp/r"
done
} | tee "$tmp/table"

# Instructions per query call: stable on a noisy machine.
if command -v valgrind >/dev/null; then
	ir() { # IMPL ITERS -> total instructions
		valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$LB" query --impl "$1" --iters "$2" >/dev/null 2>"$tmp/cg.err"
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/cg.err"
	}
	echo
	echo "| query | instructions per call (callgrind) |"
	echo "| --- | ---: |"
	for q in raw is-locked locked-bytes; do
		a=$(ir $q 0); b=$(ir $q 1000)
		echo "| $q | $(( (b - a) / 1000 )) |"
		echo "instructions:$q,$(( (b - a) / 1000 )),," >>"$out/results.csv"
	done
else
	echo "(valgrind missing: no instruction counts)"
fi | tee -a "$tmp/table"

# Scale: lock time against mapped size, populated and lock-on-fault.
echo "mib,populated_ns,onfault_ns" >"$out/scale.csv"
for mib in 64 128 256 512 1024 2048 4096; do
	: >"$tmp/p"; : >"$tmp/f"
	for ((i = 0; i < 3; i++)); do
		$LB map --impl ours --mib $mib >>"$tmp/p"
		$LB map --impl ours --onfault --mib $mib >>"$tmp/f"
	done
	echo "$mib,$(stats <"$tmp/p" | cut -d' ' -f1),$(stats <"$tmp/f" | cut -d' ' -f1)" >>"$out/scale.csv"
done
echo
echo "Lock time against mapped size (median of 3, ms): $out/scale.csv"
awk -F, 'NR > 1 {printf "  %5d MiB: populated %8.2f ms, lock-on-fault %6.3f ms\n", $1, $2 / 1e6, $3 / 1e6}' "$out/scale.csv"
if command -v gnuplot >/dev/null; then
	gnuplot <<GP
set terminal pngcairo size 800,480 noenhanced
set output "$out/lock-scale.png"
set datafile separator ","
set title "duende_mlock_lock_with_config: time against mapped (untouched) size"
set xlabel "mapped MiB"
set ylabel "ms"
set logscale xy
set key top left
set grid
plot "$out/scale.csv" every ::1 using 1:(\$2/1e6) with linespoints title "populated (MCL_CURRENT|MCL_FUTURE)", \
     "$out/scale.csv" every ::1 using 1:(\$3/1e6) with linespoints title "lock-on-fault (+MCL_ONFAULT)"
GP
	echo "plot: $out/lock-scale.png"
fi

echo
echo "Footprint (reference daemon):"
bench/footprint.sh build --csv "$out/footprint.csv" | tee "$tmp/footprint"
echo
echo "Following forks (a locked daemon with 1 GiB resident starts helpers):"
bench/forkcost.sh build --rounds "$(( runs < 3 ? 3 : runs ))" --csv "$out/forkcost.csv" | tee "$tmp/forkcost"
echo
echo "The guard's window (swapon to the server locked; root, bindfs):"
if [ "$(id -u)" = 0 ] && command -v bindfs >/dev/null; then
	bench/guardwindow.sh --out "$out/guard-window.md" | tail -6 | tee "$tmp/guardwindow"
else
	echo "not measured: needs root and bindfs" | tee "$tmp/guardwindow"
fi
{
	echo "Measured on: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr), $(date -u +%Y-%m-%d)"
	echo
	cat "$tmp/table"
	echo
	cat "$tmp/footprint"
	echo
	cat "$tmp/forkcost"
	echo
	cat "$tmp/guardwindow"
} >"$out/latest.md"
echo "written: $out/latest.md, $out/results.csv, $out/scale.csv, $out/footprint.csv, $out/forkcost.csv"
