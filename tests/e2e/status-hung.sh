#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# duende-mlock status against processes that are really hung on their own
# swap (DT-007), called by dt007.sh where it detects the hang, before it
# recovers the host. A scan must not hang with them: it returns in bounded
# time, reports each PID whose memory map lock is held as not responding,
# still reports the others, and its JSON and Prometheus stay valid.
#
# A task stuck in a page fault holds its memory map (the VMA) while it
# waits; as soon as anything wants to change that process's mappings (one
# of its own threads calling mmap, munmap or mprotect), the change waits
# for the stuck fault while holding the memory map lock, and every reader
# of smaps waits behind it. To have that state whatever the hung daemon's
# threads do, this script queues such a change from outside: writing 4
# (soft-dirty) to /proc/PID/clear_refs takes the lock the same way. These
# writers finish once the host is recovered.
#
# Usage: status-hung.sh DUENDE-MLOCK PID...
# Exit: 0 every expectation held, 1 not, 77 nothing to examine.
set -u
DM=$1
shift
[ $# -gt 0 ] || { echo "SKIP: no hung PID given" >&2; exit 77; }
fails=0
expect() { if eval "$2"; then echo "ok   status-hung: $1"; else echo "FAIL: status-hung: $1" >&2; fails=$((fails + 1)); fi; }
log() { echo "[status-hung $(date +%T)] $*" >&2; }

# Queue a change of each hung process's mappings, then see whose smaps
# really blocks (a reader killed after 3 s).
for p in "$@"; do
	(echo 4 >"/proc/$p/clear_refs") 2>/dev/null &
done
sleep 1
stuck=()
for p in "$@"; do
	timeout -s KILL 3 head -c1 "/proc/$p/smaps" >/dev/null 2>&1
	[ $? = 137 ] && stuck+=("$p")
done
log "hung PIDs: $*; smaps blocks for: ${stuck[*]:-none}"
if [ ${#stuck[@]} = 0 ]; then
	# Then what this script is for, a scan beside a blocked smaps, cannot
	# be shown with this hang: not a pass, and not a failure of status.
	echo "SKIP: status-hung: no hung PID holds its memory map lock (smaps does not block), so the bounded scan is not exercised by this hang" >&2
	exit 77
fi

# The scan: the hung PIDs and this shell, a process that answers. Each
# stuck PID may cost the library's stall limit (2 s), no more.
bound=$(($# * 2 + 10))
json=$(mktemp) prom=$(mktemp) table=$(mktemp)
trap 'rm -f "$json" "$prom" "$table"' EXIT
t0=$(date +%s)
timeout -s KILL $((bound + 20)) "$DM" status --json "$@" $$ >"$json" 2>/dev/null
rc=$?
took=$(($(date +%s) - t0))
log "status --json: exit $rc after ${took}s"
expect "status --json returns (exit $rc, not killed)" "[ $rc -ne 137 ]"
expect "... within ${bound}s (took ${took}s)" "[ $took -le $bound ]"
expect "... with valid JSON" "[ -s '$json' ] && jq -e . '$json' >/dev/null && iconv -f UTF-8 -t UTF-8 '$json' >/dev/null"
for p in "${stuck[@]}"; do
	expect "PID $p is reported as not responding" \
		"[ \"\$(jq --argjson p $p '.processes[] | select(.pid == \$p) | .responding' '$json')\" = false ]"
	expect "... with its name and status figures still" \
		"[ -n \"\$(jq -r --argjson p $p '.processes[] | select(.pid == \$p) | .name' '$json')\" ]"
done
expect "the process that answers is still reported in full" \
	"[ \"\$(jq --argjson p $$ '.processes[] | select(.pid == \$p) | .responding' '$json')\" = true ]"

timeout -s KILL $((bound + 20)) "$DM" status --prometheus "$@" $$ >"$prom" 2>/dev/null
expect "status --prometheus returns" "[ $? -ne 137 ]"
for p in "${stuck[@]}"; do
	expect "prometheus: PID $p not responding" "grep -q '^duende_mlock_responding{pid=\"$p\",' '$prom' && grep '^duende_mlock_responding{pid=\"$p\",' '$prom' | grep -q ' 0$'"
done
if command -v promtool >/dev/null; then
	expect "prometheus: promtool accepts it" "[ -s '$prom' ] && promtool check metrics <'$prom'"
fi
timeout -s KILL $((bound + 20)) "$DM" status "$@" $$ >"$table" 2>&1
expect "table: says not responding" "[ ${#stuck[@]} = 0 ] || grep -q 'not responding' '$table'"
echo "status-hung: $fails expectation(s) failed"
[ $fails = 0 ]
