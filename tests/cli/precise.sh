#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# exec --precise on the program the issue names (tests/cli/precise-mapper.c):
# a 2 GiB shared file read 512 MiB deep, a 64 GiB sparse shared mapping (more
# than RAM), a memfd, a written private file mapping and heap. Under
# --precise the first two are not pinned and the last three are locked, in
# the process and in its forked child, and it runs about as fast as unlocked;
# lock --precise applies the same plan to the mapper running unlocked;
# under the full lock the 2 GiB file is pinned whole, and with the 64 GiB
# mapping in a 3 GiB memory cgroup the OOM killer ends it. status agrees.
# Usage: precise.sh DUENDE-MLOCK PRELOAD-LIBRARY (DM_TEST_PRECISE_MAPPER, DM_TEST_DISK_DIR)
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
MAPPER=${DM_TEST_PRECISE_MAPPER:?}
need_root "CAP_IPC_LOCK to lock gigabytes, memory cgroups"
need_cmd jq jq
DIR=$(mktemp -d "${DM_TEST_DISK_DIR:?}/precise.XXXXXX")
on_exit "rm -rf '$DIR'"
[ "$(stat -f -c %T "$DIR")" != tmpfs ] || skip "$DIR is on tmpfs: its files are swap-backed, not file data"
MiB=$((1 << 20))

# field WHO NAME COLUMN of the mapper's "WHO NAME SIZE RSS LOCKED LO" lines
field() {
	local col
	case $3 in size) col=3 ;; rss) col=4 ;; locked) col=5 ;; lo) col=6 ;; esac
	awk -v w="$1" -v n="$2" -v c="$col" '$1 == w && $2 == n {print $c}' <<<"$out"
}
seconds() { awk '$1 == "seconds" {print $5}' <<<"$out"; }
at_least() { [ "${1:-0}" -ge "$2" ] || { echo "    $1 < $2" >&2; return 1; }; }
below() { [ "${1:-0}" -lt "$2" ] || { echo "    $1 >= $2" >&2; return 1; }; }
# faster A B SLACK: A <= 1.5 B + SLACK seconds
not_slower() { awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN { exit !(a <= 1.5 * b + s) }' ||
	{ echo "    $1 s against $2 s" >&2; return 1; }; }

run_mapper() { out=$(timeout 120 "$@" 2>"$TMP/err"); rc=$?; }

# Unlocked first, twice: the second run, with the file's pages cached as in
# the locked runs, is the time to match.
run_mapper "$MAPPER" "$DIR" --big --fork
run_mapper "$MAPPER" "$DIR" --big --fork
check "unlocked: the mapper runs" equals "$rc" 0
unlocked=$(seconds)
check "unlocked: nothing locked" equals "$(field region heap lo)$(field region memfd lo)" 00

# --- the precise lock
run_mapper "$DM" exec --precise -- "$MAPPER" "$DIR" --big --fork
check "--precise: the mapper runs" equals "$rc" 0
for who in region child; do
	check "--precise $who: the 2 GiB shared file is not locked" equals "$(field $who shared-2g lo)" 0
	check "--precise $who: the 64 GiB sparse mapping is not locked" equals "$(field $who sparse-64g lo)" 0
	check "--precise $who: the memfd is locked" equals "$(field $who memfd lo)" 1
	check "--precise $who: the written private file mapping is locked" equals "$(field $who private-written lo)" 1
	check "--precise $who: the heap is locked" equals "$(field $who heap lo)" 1
done
check "--precise: the 2 GiB file is resident as far as it was read, not pinned" \
	at_least "$(field region shared-2g rss)" $((512 * MiB))
check "... and not read in beyond it" below "$(field region shared-2g rss)" $((600 * MiB))
check "--precise: the memfd is pinned whole" at_least "$(field region memfd locked)" $((64 * MiB))
check "--precise: the 32 MiB written into the private mapping are pinned" \
	at_least "$(field region private-written locked)" $((32 * MiB))
check "... and nothing more of it read in" below "$(field region private-written rss)" $((40 * MiB))
check "--precise: the heap is pinned" at_least "$(field region heap locked)" $((128 * MiB))
check "--precise runs about as fast as unlocked" not_slower "$(seconds)" "$unlocked" 0.5
echo "    seconds: unlocked $unlocked, --precise $(seconds)"

# --- status sees a process locked against DT-007 with its file data unpinned
"$DM" exec --precise -- "$MAPPER" "$DIR" --hold >"$TMP/hold" 2>"$TMP/hold.err" &
holder=$!
on_exit "kill $holder"
wait_until grep -q '^ready' "$TMP/hold"
pid=$(awk '$1 == "ready" {print $2}' "$TMP/hold")
json=$("$DM" status --json "$pid")
check "status: locked" equals "$(jq -r '.processes[0].locked' <<<"$json")" true
check "status: file data unlocked" contains "$(jq -c '.processes[0].verdicts' <<<"$json")" '"file data unlocked"'
check "status: every swap-backed byte locked" equals \
	"$(jq '.processes[0].swap_backed | .resident_bytes == .locked_bytes' <<<"$json")" true
check "status: the 2 GiB shared file counted as file data, unpinned" at_least \
	"$(jq '.processes[0].file_data.unlocked_mapped_bytes' <<<"$json")" $((2048 * MiB))
check "status: the pinned file data is the program's, not the file's" below \
	"$(jq '.processes[0].file_data.pinned_bytes' <<<"$json")" $((64 * MiB))
table=$("$DM" status "$pid")
check "status: the table says file data unlocked" contains "$table" "file data unlocked"
# A right-aligned cell of the table, by its column's header.
cell() { awk -v pid="$pid" -v col="$1" -v w="$2" 'NR == 1 {end = index($0, col) + length(col) - 1}
	$1 == pid {c = substr($0, end - w + 1, w); gsub(/^ +| +$/, "", c); print c}' <<<"$table"; }
sb=$(cell "SWAP-BACKED lo/all" 21) fd=$(cell "FILE-DATA pin/all" 21)
check "status: the table's swap-backed memory is all locked ($sb)" equals "${sb%/*}" "${sb#*/}"
check "status: the table's file data is resident, little of it pinned ($fd)" matches "${fd#*/}" "^5[0-9]{2}\.[0-9] MiB$"
prom=$("$DM" status --prometheus "$pid")
check "status --prometheus: swap-backed locked bytes" matches "$prom" \
	"^duende_mlock_swap_backed_locked_bytes\{pid=\"$pid\",name=\"precise-mapper\"\} [0-9]"
check "status --prometheus: memory by kind" matches "$prom" \
	"^duende_mlock_memory_resident_bytes\{pid=\"$pid\",name=\"precise-mapper\",kind=\"shared file\"\} [0-9]"
kill "$holder"
wait "$holder" 2>/dev/null

# --- lock --precise: the same plan applied from outside to the mapper
# running unlocked
"$MAPPER" "$DIR" --hold >"$TMP/hold" 2>"$TMP/hold.err" &
holder=$!
on_exit "kill $holder"
wait_until grep -q '^ready' "$TMP/hold"
run_cmd out rc "$DM" lock --precise --onfault "$holder"
check "lock --precise --onfault is a usage error" equals "$rc" 64
check "... that says why" contains "$out" "exclude each other"
check "lock --precise: before it, nothing locked" equals "$(status_kb "$holder" VmLck)" 0
run_cmd out rc "$DM" lock --precise --verbose "$holder"
check "lock --precise of the running mapper: exit 0" equals "$rc" 0
check "... says the plan was applied" contains "$out" "precise (file data left to the kernel)"
json=$("$DM" status --json "$holder")
check "lock --precise: status says locked" equals "$(jq -r '.processes[0].locked' <<<"$json")" true
check "lock --precise: every swap-backed byte locked" equals \
	"$(jq '.processes[0].swap_backed | .resident_bytes == .locked_bytes' <<<"$json")" true
check "lock --precise: the 2 GiB shared file and its 512 MiB read in left unpinned" below \
	"$(jq '.processes[0].file_data.pinned_bytes' <<<"$json")" $((64 * MiB))
check "lock --precise: the heap, memfd and written pages pinned (at least 224 MiB)" at_least \
	"$(( $(status_kb "$holder" VmLck) * 1024 ))" $((224 * MiB))
check "lock --precise: the mapper still runs" kill -0 "$holder"
kill "$holder"
wait "$holder" 2>/dev/null

# --- the full lock, as documented: the 2 GiB file pinned whole
run_mapper "$DM" exec -- "$MAPPER" "$DIR" --fork
check "full lock: the mapper runs without the 64 GiB mapping" equals "$rc" 0
check "full lock: the 2 GiB shared file is pinned whole" at_least "$(field region shared-2g locked)" $((2048 * MiB))
check "full lock: the private mapping is read in whole" at_least "$(field region private-written locked)" $((256 * MiB))
echo "    seconds: full lock without the 64 GiB mapping $(seconds)"

# --- and the 64 GiB mapping, which it cannot pin: in a memory cgroup, so
# that the OOM killer it calls ends the mapper alone
cg=
for root in /sys/fs/cgroup/memory /sys/fs/cgroup; do
	if [ -f "$root/memory.limit_in_bytes" ] || [ -f "$root/memory.max" ]; then
		mkdir "$root/duende-precise-$$" 2>/dev/null && cg=$root/duende-precise-$$ && break
	fi
done
if [ -z "$cg" ]; then
	echo "SKIP [full lock of 64 GiB]: no writable memory cgroup to hold the OOM killer to the mapper" >&2
else
	on_exit "rmdir '$cg'"
	if [ -f "$cg/memory.limit_in_bytes" ]; then echo $((3 << 30)) >"$cg/memory.limit_in_bytes"
	else echo $((3 << 30)) >"$cg/memory.max"; echo 0 >"$cg/memory.swap.max" 2>/dev/null; fi
	# shellcheck disable=SC2016 # expanded by that shell
	in_cg=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg")
	start=$(date +%s)
	run_mapper "${in_cg[@]}" "$DM" exec --precise -- "$MAPPER" "$DIR" --big
	check "--precise in 3 GiB: the 64 GiB mapping and the 2 GiB file are no burden" equals "$rc" 0
	run_mapper "${in_cg[@]}" "$DM" exec -- "$MAPPER" "$DIR" --big
	check "full lock in 3 GiB: the OOM killer ends the mapper (SIGKILL), or mmap fails" \
		test "$rc" = 137 -o "$rc" = 3
	echo "    full lock of the 64 GiB mapping: exit $rc after $(($(date +%s) - start)) s"
fi
[ $fails = 0 ] || exit 1
echo "$checks checks passed"
