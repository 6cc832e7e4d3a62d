#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# duende-mlock status against real processes: figures match their /proc,
# every output format parses, and bad or vanishing PIDs are reported per
# PID while the others still are.
# Usage: status.sh DUENDE-MLOCK PRELOAD-LIBRARY
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
need_cmd jq jq

lacks_row() { ! grep -qE "^$2 +sleep " <<<"$1"; }

"$DM" exec -- sleep 60 &
locked=$!
sleep 60 &
plain=$!
on_exit "kill $locked $plain"
for _ in $(seq 50); do [ "$(status_kb $locked VmLck)" ] && [ "$(status_kb $locked VmLck)" -gt 0 ] && break; sleep 0.1; done
lck_kb=$(status_kb $locked VmLck)

run_cmd out rc "$DM" status $locked
check "table: exit 0" equals "$rc" 0
check "table: header" contains "$out" "PID      NAME"
check "table: the process's row" matches "$out" "^$locked +sleep "

run_cmd out rc "$DM" status --json $locked $plain
check "json parses" jq -e . <<<"$out" >/dev/null
check "json: locked_bytes is VmLck" equals "$(jq '.processes[0].locked_bytes' <<<"$out")" $((lck_kb * 1024))
check "json: pinned bytes counted from smaps" test "$(jq '.processes[0].pinned_bytes' <<<"$out")" -gt 0
check "json: locked mappings counted" test "$(jq '.processes[0].mappings.locked' <<<"$out")" -gt 10
check "json: no accessible mapping unlocked" equals "$(jq '.processes[0].mappings.unlocked_other' <<<"$out")" 0
check "json: unlocked process has 0 locked" equals "$(jq '.processes[1].locked_bytes' <<<"$out")" 0
check "json: memlock limit read" test "$(jq '.processes[0].memlock_soft' <<<"$out")" != null

run_cmd out rc "$DM" status --prometheus $locked
check "prometheus: every line is a comment or a sample" \
	test -z "$(grep -vE '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+\{pid="[0-9]+"(,name="[^"]*")?\} ([0-9]+|\+Inf))$' <<<"$out")"
check "prometheus: locked bytes sample" contains "$out" "duende_mlock_locked_bytes{pid=\"$locked\",name=\"sleep\"} $((lck_kb * 1024))"
check "prometheus: report_ok" contains "$out" "duende_mlock_report_ok{pid=\"$locked\"} 1"

run_cmd out rc "$DM" status
check "no PID: lists the locked process" matches "$out" "^$locked +sleep "
check "no PID: leaves out unlocked ones" lacks_row "$out" "$plain"

run_cmd out rc "$DM" status 2147483646 $locked
check "missing PID: exit 1" equals "$rc" 1
check "missing PID: per-PID error" contains "$out" "PID 2147483646: no such process"
check "missing PID: the others still reported" matches "$out" "^$locked +sleep "
out=$(timeout 30 "$DM" status --json 2147483646 2>/dev/null)
check "missing PID in json: an error object" equals "$(jq -r '.processes[0].error' <<<"$out" 2>/dev/null | head -1)" "no such process"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	run_cmd out rc setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all -- "$DM" status $locked
	check "another user's process: exit 1" equals "$rc" 1
	check "another user's process: says what is missing" contains "$out" "smaps unreadable"
	check "another user's process: what can be read is shown" matches "$out" "^$locked +sleep "
fi

# processes that exit while being read: never a crash, a hang or a wrong row
bad=0
for _ in $(seq 40); do
	sleep 0.0$((RANDOM % 5)) &
	p=$!
	out=$(timeout 10 "$DM" status --json $p 2>&1)
	rc=$?
	if [ $rc -gt 1 ]; then bad=$((bad + 1)); echo "    rc=$rc: $out" >&2; fi
	if [ $rc = 1 ] && ! grep -q "no such process" <<<"$out"; then bad=$((bad + 1)); echo "    $out" >&2; fi
	wait $p 2>/dev/null
done
check "vanishing processes: only reports or per-PID errors" equals "$bad" 0

for args in "abc" "0" "-5" "--json --prometheus 1" "--bogus" "12x"; do
	# shellcheck disable=SC2086
	run_cmd out rc "$DM" status $args
	check "usage error for '$args' exits 64" equals "$rc" 64
	check "... with a usage line" contains "$out" "usage: duende-mlock status"
done
finish
