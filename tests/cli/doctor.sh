#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# duende-mlock doctor on the real host: verdicts and exit statuses under
# real privilege drops, the DT-007 cgroup hazard, and a swap device served
# from user space (a loop device over a file in a FUSE mount).
# Usage: doctor.sh DUENDE-MLOCK [PRELOAD-SHIM]
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
need_root "privilege drops, cgroups, swap"
need_cmd jq jq
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all --)

run_cmd out rc "$DM" doctor
check "root with CAP_IPC_LOCK: not 'cannot lock'" test "$rc" -le 1
check "names the capability" contains "$out" "CAP_IPC_LOCK is effective"
check "prints a verdict" contains "$out" "Verdict: "
out=$(timeout 30 "$DM" doctor --json 2>/dev/null); rc=$?
check "json parses" jq -e . <<<"$out" >/dev/null
check "json exit field matches the exit status" equals "$(jq .exit <<<"$out")" "$rc"
check "json reports MCL_ONFAULT support (kernel 4.4+)" equals "$(jq .kernel.mcl_onfault <<<"$out")" 1

run_cmd out rc prlimit --memlock=0:0 -- "${NOBODY[@]}" "$DM" doctor
check "no capability, memlock 0: exit 2" equals "$rc" 2
check "... says cannot lock" contains "$out" "Verdict: cannot lock"
check "... prints a fix" contains "$out" "ulimit -l unlimited"
run_cmd out rc prlimit --memlock=65536:8388608 -- "${NOBODY[@]}" "$DM" doctor
check "soft below need, hard above: exit 1" equals "$rc" 1
check "... says to raise the soft limit" contains "$out" "but the hard limit 8.0 MiB allows it"
sleep 30 &
spid=$!
on_exit "kill $spid"
run_cmd out rc "$DM" doctor --pid $spid
check "--pid examines that process" contains "$out" "PID $spid (sleep)"
run_cmd out rc "$DM" doctor --pid 2147483646
check "--pid of no process: exit 2" equals "$rc" 2
check "... with the reason" contains "$out" "no such process"
for args in "--pid" "--pid 0" "--pid x" "--bogus" "extra"; do
	# shellcheck disable=SC2086
	run_cmd out rc "$DM" doctor $args
	check "usage error for '$args' exits 64" equals "$rc" 64
done

# DT-007: a memory-limited cgroup v1 shared with other work.
cg=/sys/fs/cgroup/memory
if [ -f $cg/memory.limit_in_bytes ] && mkdir "$cg/duende-doctor-$$" 2>/dev/null; then
	on_exit "rmdir '$cg/duende-doctor-$$'"
	echo $((40 << 20)) >"$cg/duende-doctor-$$/memory.limit_in_bytes"
	sleep 30 & a=$!
	sleep 30 & b=$!
	on_exit "kill $a $b"
	echo $a >"$cg/duende-doctor-$$/cgroup.procs"
	echo $b >"$cg/duende-doctor-$$/cgroup.procs"
	run_cmd out rc "$DM" doctor --pid $a
	check "shared, limited cgroup v1: warning" equals "$rc" 1
	check "... names the DT-007 hazard" contains "$out" "deadlocks even when locked"
	check "... and the limit" contains "$out" "limited to 40.0 MiB and shared by 2 processes"
	echo $b >/sys/fs/cgroup/memory/cgroup.procs
	run_cmd out rc "$DM" doctor --pid $a
	check "alone in its cgroup: no hazard" lacks "$out" "deadlocks even when locked"
	# a limit set on an ancestor binds too
	mkdir "$cg/duende-doctor-$$/child"
	on_exit "rmdir '$cg/duende-doctor-$$/child'"
	echo $a >"$cg/duende-doctor-$$/child/cgroup.procs"
	echo $b >"$cg/duende-doctor-$$/child/cgroup.procs"
	run_cmd out rc "$DM" doctor --pid $a
	check "a parent's limit is the one in force" contains "$out" "limited to 40.0 MiB and shared by 2 processes"
	echo $a >/sys/fs/cgroup/memory/cgroup.procs
	echo $b >/sys/fs/cgroup/memory/cgroup.procs
else
	echo "SKIP [cgroup v1 hazard]: no writable memory cgroup v1 here (the v2 warning is checked by the DT-007 rig in guests)" >&2
fi

# A swap device served from user space.
if command -v bindfs >/dev/null && [ -e /dev/fuse ] && command -v losetup >/dev/null && [ -e /proc/swaps ]; then
	mkdir -p "$TMP/back" "$TMP/mnt"
	truncate -s 16M "$TMP/back/swapimg" && chmod 600 "$TMP/back/swapimg" && mkswap -q "$TMP/back/swapimg" >/dev/null 2>&1
	bindfs -f "$TMP/back" "$TMP/mnt" & bpid=$!
	on_exit "kill $bpid; umount -l '$TMP/mnt'"
	for _ in $(seq 50); do mountpoint -q "$TMP/mnt" && break; sleep 0.1; done
	loop=$(losetup -f --show "$TMP/mnt/swapimg" 2>/dev/null)
	if [ -n "$loop" ] && swapon -p 1 "$loop" 2>/dev/null; then
		on_exit "swapoff '$loop'; losetup -d '$loop'"
		run_cmd out rc "$DM" doctor
		check "user-space swap found" contains "$out" "swap $loop (loop"
		check "... served from user space via the FUSE file" contains "$out" "is served from user space via $TMP/mnt/swapimg on fuse"
		check "... and the unlocked doctor itself is warned" contains "$out" "holds no memory lock (VmLck 0)"
		if [ -n "${2:-}" ]; then
			DUENDE_MLOCK_PRELOAD=$2 "$DM" exec -- sleep 30 & lpid=$!
			on_exit "kill $lpid"
			for _ in $(seq 50); do [ "$(awk '$1 == "VmLck:" {print $2}' /proc/$lpid/status)" -gt 0 ] 2>/dev/null && break; sleep 0.1; done
			run_cmd out rc "$DM" doctor --pid $lpid
			check "a locked PID beside user-space swap is seen locked" contains "$out" "PID $lpid is locked"
			kill $lpid
		fi
		out=$(timeout 30 "$DM" doctor --json 2>/dev/null)
		check "json: user_space true" equals "$(jq --arg l "$loop" '.swaps[] | select(.path == $l) | .user_space' <<<"$out")" true
		swapoff "$loop"; losetup -d "$loop"
	else
		[ -n "$loop" ] && losetup -d "$loop"
		echo "SKIP [user-space swap]: cannot set up a loop device or swapon here" >&2
	fi
else
	echo "SKIP [user-space swap]: bindfs, /dev/fuse or losetup missing" >&2
fi
finish
