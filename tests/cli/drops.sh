#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Every way a root daemon drops privileges, met by exec's shim: where the
# hard RLIMIT_MEMLOCK cannot cover what the daemon locks, CAP_IPC_LOCK (and
# no other capability) is kept through setuid, setresuid, setreuid,
# seteuid, dnsmasq's capset under PR_SET_KEEPCAPS and libcap's
# cap_set_proc, so that its later mappings and its forked children stay
# locked; where it cannot be kept (libcap's CAP_MODE_NOPRIV, other threads
# running) or keeping it is refused (--no-keep-ipc-lock), required mode
# stops the daemon at the drop with 120 and the reason, and best-effort
# mode says so and lets it drop. A drop by a raw system call is not seen:
# the forked child that can no longer lock stops with 120 instead. Where
# the limit covers the lock (exec raised it: real root), nothing is kept.
# A helper's drops are left alone.
# Usage: DM_TEST_DROPPER=tests/cli/dropper drops.sh DUENDE-MLOCK PRELOAD-LIBRARY
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
DROPPER=${DM_TEST_DROPPER:?the path of tests/cli/dropper (meson test sets it)}
FORKER=${4:?the path of tests/cli/forker}
need_root "the dropper starts as root and drops to uid 65534"
IPC_LOCK=00004000 # the permitted and effective sets that keep CAP_IPC_LOCK alone

# Exec can raise the hard limit only with CAP_SYS_RESOURCE; then the limit
# covers every lock and nothing is kept.
if capsh --has-p=cap_sys_resource 2>/dev/null; then covered=yes; else covered=no; fi

# kept METHOD: the drop keeps CAP_IPC_LOCK alone (or, covered, nothing),
# the daemon maps 32 MiB and its forked child locks.
kept() {
	local want=$IPC_LOCK
	[ $covered = yes ] && want=00000000
	run_cmd out rc "$DM" exec -- "$DROPPER" "$1" 65534
	check "$1: runs to its end" equals "$rc" 0
	check "$1: dropped to uid 65534 holding only what its lock needs" \
		matches "$out" "^dropped uid=[0-9]+ euid=65534 prm=[0-9a-f]+ eff=$want$"
	check "$1: maps and touches 32 MiB after the drop" contains "$out" "mapped 32 MiB"
	check "$1: its forked child is locked" matches "$out" "^child VmLck=[1-9][0-9]* kB"
	check "$1: and it stays locked" matches "$out" "^VmLck=[1-9][0-9]* kB"
}
for m in setuid setresuid setreuid keepcaps libcap; do kept $m; done
# seteuid keeps the saved uid 0: the permitted set stays, the effective
# one gets CAP_IPC_LOCK back.
run_cmd out rc "$DM" exec -- "$DROPPER" seteuid 65534
check "seteuid (saved uid 0): runs" equals "$rc" 0
check "... maps 32 MiB after the drop" contains "$out" "mapped 32 MiB"
[ $covered = no ] && check "... with CAP_IPC_LOCK effective" matches "$out" "eff=$IPC_LOCK$"

if [ $covered = no ]; then
	# stopped METHOD TEXT [OPTIONS...]: required mode stops it at the drop.
	stopped() {
		local method=$1 text=$2
		shift 2
		run_cmd out rc "$DM" exec "$@" -- "$DROPPER" "$method" 65534
		check "$method $*: stopped at the drop with 120" equals "$rc" 120
		check "... before it ran on" lacks "$out" "dropped uid="
		check "... saying why" contains "$out" "$text"
		check "... and what to do" contains "$out" "LimitMEMLOCK=infinity"
	}
	stopped setuid "setuid(65534): stopping it at this privilege drop (exit status 120): it drops CAP_IPC_LOCK, which duende-mlock exec was told not to keep (--no-keep-ipc-lock)" --no-keep-ipc-lock
	stopped keepcaps "capset: stopping it at this privilege drop" --no-keep-ipc-lock
	stopped nopriv "cap_set_mode(CAP_MODE_NOPRIV): stopping it at this privilege drop"
	stopped threads "threads running: capabilities belong to each thread"
	run_cmd out rc "$DM" exec --best-effort --no-keep-ipc-lock -- "$DROPPER" setuid 65534
	check "--best-effort --no-keep-ipc-lock: it runs on" equals "$rc" 0
	check "... warned" contains "$out" "warning: it runs on without a sound lock"
	check "... and dropped everything, as it asked" matches "$out" "prm=00000000 eff=00000000"
	check "... so its mapping beyond the limit fails, as warned" contains "$out" "mmap failed"
	run_cmd out rc "$DM" exec -- "$DROPPER" raw 65534
	check "a raw setuid system call is not seen: the daemon runs on" equals "$rc" 0
	check "... without the capability" matches "$out" "prm=00000000 eff=00000000"
	check "... and its forked child, which cannot lock, stops with 120" contains "$out" "child exit 120"
	check "... saying why" contains "$out" "forked child cannot lock memory, stopping it"
else
	echo "SKIP [stops at the drop]: exec raised the hard limit (CAP_SYS_RESOURCE): every drop is covered" >&2
fi

# A helper (a program a forked child execs) is not locked, and its drop is
# its own.
run_cmd out rc "$DM" exec -- "$FORKER" exec "$DROPPER" setuid 65534
check "a helper's drop: left as it is" matches "$out" "prm=00000000 eff=00000000"
check "... and the helper is not locked" matches "$out" "^VmLck=0 kB"
finish
