#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Footprint: what locking pins, with the crate's defaults and in lean mode,
# on the reference daemon (N threads touching W MiB between them), in one
# run. Prints a markdown table; with --csv FILE also writes the rows.
# Usage: bench/footprint.sh BUILD-DIR [--csv FILE]
set -eu
build=${1:-build}
csv=
[ "${2:-}" = --csv ] && csv=$3
ref=$build/bench/refdaemon
[ -x "$ref" ] || { echo "footprint: $ref missing: build first (scripts/build.sh)" >&2; exit 1; }

mib() { awk -v b="$1" 'BEGIN{printf "%.1f", b / 1048576}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2fx", a / b}'; }

echo "| threads | touched | mode | VmRSS | pinned | pinned/touched | VmLck | VmLck/RSS |"
echo "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"
[ -n "$csv" ] && echo "threads,touched,mode,rss,pinned,vmlck" >"$csv"
for cfg in "16 80" "64 128"; do
	# shellcheck disable=SC2086 # two words on purpose
	set -- $cfg
	for mode in none default lean; do
		line=$("$ref" --threads "$1" --mib "$2" --mode "$mode")
		eval "$(tr ' ' '\n' <<<"$line" | grep -E '^(touched|rss|pinned|vmlck)=')"
		# shellcheck disable=SC2154
		echo "| $1 | $(mib "$touched") MiB | $mode | $(mib "$rss") MiB | $(mib "$pinned") MiB | $(ratio "$pinned" "$touched") | $(mib "$vmlck") MiB | $(ratio "$vmlck" "$rss") |"
		[ -n "$csv" ] && echo "$1,$touched,$mode,$rss,$pinned,$vmlck" >>"$csv"
	done
done
