#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# duende-mlock doctor on the real host: verdicts and exit statuses under
# real privilege drops, every fix it prints run for real under the same
# privileges, the program the user means to lock judged instead of the
# doctor, kernel threads and zombies, one headroom with status, the
# systemd drop-in checked by systemd, the DT-007 cgroup hazard, and a swap
# device served from user space (a loop device over a file in a FUSE mount).
# Usage: DM_TEST_NAMED=tests/cli/named DM_TEST_BIGMAP=tests/cli/bigmap \
#        doctor.sh DUENDE-MLOCK PRELOAD-LIBRARY
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
NAMED=${DM_TEST_NAMED:?the path of tests/cli/named (meson test sets it)}
BIGMAP=${DM_TEST_BIGMAP:?the path of tests/cli/bigmap (meson test sets it)}
need_root "privilege drops, cgroups, swap"
need_cmd jq jq
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all --)
# The line of doctor's fix that starts with $2.
fix_line() { sed -n "s/^  $2 *//p" <<<"$1" | head -1; }

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
check "... prints a fix" contains "$out" "Fix for this environment:"
check "... that offers no ulimit above the hard limit" lacks "$out" "ulimit -l unlimited"
check "... and says who can raise it" contains "$out" "no ulimit here can do it: the hard limit is 0 bytes"
run_cmd out rc prlimit --memlock=65536:8388608 -- "${NOBODY[@]}" "$DM" doctor
check "soft below need, hard above: exit 1" equals "$rc" 1
check "... says to raise the soft limit" contains "$out" "but the hard limit 8 MiB allows it"
# One vocabulary, the library's names of severities, in the text and the
# JSON, for a finding and for the verdict alike.
check "... each finding tagged by its severity's name" contains "$out" "  [warning] "
for limits in 0:0 65536:8388608; do
	out=$(timeout 30 prlimit --memlock=$limits -- "${NOBODY[@]}" "$DM" doctor --json 2>/dev/null); rc=$?
	verdict=$(jq -r .verdict <<<"$out")
	check "json, memlock $limits: the verdict of exit $rc by its name" equals "$verdict" "$([ $rc = 2 ] && echo "cannot lock" || echo warning)"
	check "... the exit field says the same" equals "$(jq .exit <<<"$out")" "$rc"
	check "... the worst finding has that very level" equals "$(jq -r --arg v "$verdict" '[.findings[] | select(.level == $v)] | length > 0' <<<"$out")" true
	check "... every level a severity's name" equals "$(jq -c '[.findings[].level] - ["ok", "warning", "cannot lock", "not applicable"]' <<<"$out")" '[]'
	check "... and every finding named by its code" equals "$(jq '[.findings[] | select((.code | type) != "string")] | length' <<<"$out")" 0
done
sleep 30 &
spid=$!
on_exit "kill $spid"
run_cmd out rc "$DM" doctor --pid $spid
check "--pid examines that process" contains "$out" "PID $spid (sleep)"
check "... and says it is not locked" contains "$out" "PID $spid is not locked"
run_cmd out rc "$DM" doctor --pid 2147483646
check "--pid of no process: exit 2" equals "$rc" 2
check "... with the reason" contains "$out" "no such process"
for args in "--pid" "--pid 0" "--pid x" "--bogus" "extra" "--pid 1 -- true" "--" "--systemd-unit" \
	"--systemd-unit noextension" "--systemd-unit a/b.service" "--systemd-unit x.service --pid 1"; do
	# shellcheck disable=SC2086
	run_cmd out rc "$DM" doctor $args
	check "usage error for '$args' exits 64" equals "$rc" 64
done

# --- kernel threads and zombies have nothing to lock: never "ready"
run_cmd out rc "$DM" doctor --pid 2
check "kernel thread: exit 3" equals "$rc" 3
check "... not applicable" contains "$out" "Verdict: not applicable"
out=$(timeout 30 "$DM" doctor --json --pid 2 2>/dev/null)
check "... in json too" equals "$(jq -r '.verdict + "/" + .findings[0].code' <<<"$out")" "not applicable/no user memory"
check "... says why" contains "$out" "is a kernel thread"
sh -c 'sleep 0 & exec sleep 30' &
zparent=$!
on_exit "kill $zparent"
zombie=
find_zombie() {
	zombie=$(awk '$4 == "'"$zparent"'" && $3 == "Z" {print $1}' /proc/[0-9]*/stat 2>/dev/null | head -1)
	[ -n "$zombie" ]
}
wait_until find_zombie
if [ -n "$zombie" ]; then
	run_cmd out rc "$DM" doctor --pid "$zombie"
	check "zombie: exit 3" equals "$rc" 3
	check "... says why" contains "$out" "is a zombie"
else
	echo "SKIP [zombie]: no zombie appeared" >&2
fi

# --- every fix printed works here, run as printed under the same privileges
run_cmd out rc "$DM" doctor
shell=$(fix_line "$out" shell:)
run=$(fix_line "$out" run:)
check "root without CAP_SYS_RESOURCE: no ulimit above the hard limit" lacks "$out" "ulimit -l unlimited"
if [[ $shell == ulimit* ]]; then
	check "the shell fix runs: $shell" bash -c "${shell%%   *}"
fi
read -ra cmd <<<"${run%% -- *}"
cmd[0]=$DM
run_cmd out rc "${cmd[@]}" -- true
check "the run fix runs: ${run%% -- *} -- true (not 120)" equals "$rc" 0
run_cmd out rc prlimit --memlock=65536:8388608 -- "${NOBODY[@]}" "$DM" doctor
shell=$(fix_line "$out" shell:)
run=$(fix_line "$out" run:)
check "unprivileged: the shell fix is the hard limit" equals "${shell%%   *}" "ulimit -l 8192"
sout=''
run_cmd sout rc prlimit --memlock=65536:8388608 -- "${NOBODY[@]}" bash -c "${shell%%   *} && ulimit -l"
check "... and it runs there" equals "$sout" 8192
read -ra cmd <<<"${run%% -- *}"
cmd[0]=$DM
run_cmd sout rc prlimit --memlock=65536:8388608 -- "${NOBODY[@]}" "${cmd[@]}" -- true
check "unprivileged: the run fix runs there (not 120)" equals "$rc" 0

# --- the program the user means to lock, not the doctor
run_cmd out rc prlimit --memlock=8388608:8388608 -- "${NOBODY[@]}" "$DM" doctor
check "8 MiB, unprivileged: the doctor itself could lock" test "$rc" -lt 2
run_cmd out rc prlimit --memlock=8388608:8388608 -- "${NOBODY[@]}" "$DM" doctor -- "$BIGMAP"
check "doctor -- PROGRAM mapping 16 MiB: cannot lock (exit 2)" equals "$rc" 2
check "... judged as exec would lock it" contains "$out" "as duende-mlock exec would lock it"
check "... with its own mapped size" matches "$out" "below the 1[6-9](\.[0-9])? MiB mapped"
check "... and its main() never ran" lacks "$out" "main() ran"
check "... no setcap for a program exec will run" lacks "$out" "setcap"
xout='' xrc=''
run_cmd xout xrc prlimit --memlock=8388608:8388608 -- "${NOBODY[@]}" "$DM" exec -- "$BIGMAP"
check "exec agrees: the lock fails (120)" equals "$xrc" 120
check "exec's diagnosis offers no setcap, which exec refuses" lacks "$xout" "setcap"
run_cmd out rc "$DM" doctor -- "$BIGMAP"
check "as root with CAP_IPC_LOCK the same program can lock" test "$rc" -lt 2
run_cmd out rc "$DM" doctor -- /nonexistent/program
check "doctor -- a missing program: exec's 127" equals "$rc" 127
out=$(timeout 30 "$DM" doctor --json -- "$BIGMAP" 2>/dev/null)
check "json: names the program" equals "$(jq -r .program <<<"$out")" "$BIGMAP"
check "json: the program's own process, not the doctor" equals "$(jq -r .name <<<"$out")" bigmap

# --- one headroom: status and doctor say the same
locked_named=$TMP/named.out
prlimit --memlock=6291456:8388608 -- "${NOBODY[@]}" "$NAMED" --lock headroomd >"$locked_named" &
hpid=$!
on_exit "kill $hpid"
wait_for "$locked_named" && sleep 0.3
s_room=$(timeout 30 "$DM" status --json $hpid 2>/dev/null | jq '.processes[0].headroom_bytes')
d_room=$(timeout 30 "$DM" doctor --json --pid $hpid 2>/dev/null | jq '.headroom_bytes')
check "headroom: status and doctor agree" equals "$d_room" "$s_room"
run_cmd out rc "$DM" doctor --pid $hpid
check "--pid of a locked process says it is locked" contains "$out" "PID $hpid is locked (VmLck"
check "headroom: the soft limit less VmLck" equals "$s_room" $((6291456 - $(status_kb $hpid VmLck) * 1024))

# --- hostile names in doctor's output
"$NAMED" --lock $'\x1b[2Jdoc\xff' >/dev/null &
epid=$!
on_exit "kill $epid"
sleep 0.3
run_cmd out rc "$DM" doctor --pid $epid
check "doctor: a hostile name is escaped" contains "$out" '(\e[2Jdoc\xff)'
check "doctor: nothing a terminal acts on" test -z "$(LC_ALL=C tr -d '\n[:print:]' <<<"$out")"
out=$(timeout 30 "$DM" doctor --json --pid $epid 2>/dev/null)
check "doctor json: valid UTF-8 and parses" jq -e . <<<"$(iconv -f UTF-8 -t UTF-8 <<<"$out")" >/dev/null

# --- the systemd drop-in, checked by systemd's own parser
if command -v systemd-analyze >/dev/null; then
	cg=
	for root in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
		if [ -f $root/cgroup.procs ] && mkdir "$root/duende-doctor-$$.service" 2>/dev/null; then
			cg=$root/duende-doctor-$$.service
			break
		fi
	done
	if [ -n "$cg" ]; then
		on_exit "rmdir '$cg'"
		echo $hpid >"$cg/cgroup.procs"
		on_exit "echo $hpid > '${cg%/*}/cgroup.procs'"
		run_cmd out rc "$DM" doctor --systemd-unit "duende-doctor-$$.service"
		check "drop-in: accepted by systemd-analyze verify" contains "$out" "accepted"
		check "... exit 0" equals "$rc" 0
		for key in LimitMEMLOCK=infinity "AmbientCapabilities=CAP_IPC_LOCK CAP_SYS_RESOURCE" OOMScoreAdjust=-900 MemorySwapMax=0 "MemoryMin="; do
			check "drop-in has $key" contains "$out" "  $key"
		done
		check "drop-in: sized for the unit's running process" contains "$out" "(PID $hpid"
	else
		echo "SKIP [drop-in for a running unit]: no writable cgroup hierarchy" >&2
	fi
	run_cmd out rc "$DM" doctor --systemd-unit duende-absent.service
	check "drop-in for a unit that does not run: MemoryMin left out" lacks "$out" "  MemoryMin="
	check "... checked on a stub unit" contains "$out" "on a stub unit): accepted"
	real=$(find /lib/systemd/system /usr/lib/systemd/system -maxdepth 1 -name '*.service' ! -name '*@*' 2>/dev/null | head -1)
	if [ -n "$real" ]; then
		out=$(timeout 30 "$DM" doctor --json --systemd-unit "${real##*/}" 2>/dev/null)
		check "drop-in for an installed unit (${real##*/}): checked on the unit itself" equals "$(jq -c '[.checked, .stub, .accepted]' <<<"$out")" '[true,false,true]'
	fi
else
	echo "SKIP [systemd drop-in]: systemd-analyze is missing (package systemd)" >&2
fi

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
	check "... and the limit" contains "$out" "limited to 40 MiB and shared by 2 processes"
	echo $b >/sys/fs/cgroup/memory/cgroup.procs
	run_cmd out rc "$DM" doctor --pid $a
	check "alone in its cgroup: no hazard" lacks "$out" "deadlocks even when locked"
	# a limit set on an ancestor binds too
	mkdir "$cg/duende-doctor-$$/child"
	on_exit "rmdir '$cg/duende-doctor-$$/child'"
	echo $a >"$cg/duende-doctor-$$/child/cgroup.procs"
	echo $b >"$cg/duende-doctor-$$/child/cgroup.procs"
	run_cmd out rc "$DM" doctor --pid $a
	check "a parent's limit is the one in force" contains "$out" "limited to 40 MiB and shared by 2 processes"
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
	wait_until mountpoint -q "$TMP/mnt"
	loop=$(losetup -f --show "$TMP/mnt/swapimg" 2>/dev/null)
	if [ -n "$loop" ] && swapon -p 1 "$loop" 2>/dev/null; then
		on_exit "swapoff '$loop'; losetup -d '$loop'"
		run_cmd out rc "$DM" doctor
		check "user-space swap found" contains "$out" "swap $loop (loop"
		check "... served from user space via the FUSE file" contains "$out" "is served from user space via $TMP/mnt/swapimg on fuse"
		check "... by the FUSE daemon" contains "$out" "fuse (PID $bpid)"
		out=$(timeout 30 "$DM" doctor --json 2>/dev/null)
		check "json: user_space true" equals "$(jq --arg l "$loop" '.swaps[] | select(.path == $l) | .user_space' <<<"$out")" true
		check "json: served by the daemon" equals "$(jq -c --arg l "$loop" '.swaps[] | select(.path == $l) | .servers' <<<"$out")" "[$bpid]"
		run_cmd out rc "$DM" doctor --pid $bpid
		check "doctor --pid of the daemon: it serves that swap, unlocked" contains "$out" "PID $bpid serves swap $loop (loop"
		check "... and is told to lock" contains "$out" "and is not locked"
		out=$(timeout 30 "$DM" status --prometheus $bpid 2>/dev/null)
		check "status: which swap device the daemon serves" contains "$out" "duende_mlock_serves_swap{pid=\"$bpid\",name=\"bindfs\",device=\"$loop\"} 1"
		check "status and doctor --json: the process serves it" equals \
			"$(timeout 30 "$DM" status --json $bpid 2>/dev/null | jq -c '.processes[0].serves')/$(timeout 30 "$DM" doctor --json --pid $bpid 2>/dev/null | jq -c .serves)" "[\"$loop\"]/[\"$loop\"]"
		swapoff "$loop"; losetup -d "$loop"
	else
		[ -n "$loop" ] && losetup -d "$loop"
		echo "SKIP [user-space swap]: cannot set up a loop device or swapon here" >&2
	fi
else
	echo "SKIP [user-space swap]: bindfs, /dev/fuse or losetup missing" >&2
fi
if unshare -U -r true 2>/dev/null; then
	run_cmd out rc unshare -U -r "$DM" doctor
	check "user namespace: CAP_IPC_LOCK held in name only is not called effective" lacks "$out" "CAP_IPC_LOCK is effective"
	check "... the host's limit is judged instead" contains "$out" "RLIMIT_MEMLOCK soft"
else
	echo "SKIP [user namespace]: unshare -U -r is not allowed here" >&2
fi
finish
