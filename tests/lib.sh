#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Helpers for the shell tests: each test is one script, exit 0 pass,
# 1 fail, 77 skip with the reason on stderr. Sourced, not run.

fails=0
checks=0
# run_cmd fills these (through namerefs) for the caller.
out=
rc=
export out rc
TMP=$(mktemp -d "${TMPDIR:-/tmp}/duende-mlock-test.XXXXXX")
chmod 755 "$TMP"
cleanups=()
cleanup() {
	local i
	for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do eval "${cleanups[i]}" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
on_exit() { cleanups+=("$*"); }

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
pass() { echo "ok   $*"; }

# check NAME COMMAND...: the command must succeed.
check() {
	local name=$1; shift
	checks=$((checks + 1))
	if "$@"; then pass "$name"; else fail "$name"; fi
}

contains() { grep -qF -- "$2" <<<"$1" || { echo "    '$2' not in: $1" | head -c 2000 >&2; echo >&2; return 1; }; }
lacks() { ! grep -qF -- "$2" <<<"$1" || { echo "    '$2' unexpectedly in: $1" | head -c 2000 >&2; echo >&2; return 1; }; }
# A line of $1 matches the extended regex $2.
matches() { grep -qE -- "$2" <<<"$1" || { echo "    no line matches '$2' in: $1" | head -c 2000 >&2; echo >&2; return 1; }; }
equals() { [ "$1" = "$2" ] || { echo "    got '$1', expected '$2'" >&2; return 1; }; }

# run_cmd OUTVAR RCVAR COMMAND...: stdout+stderr and status, 30 s at most.
run_cmd() {
	local -n _out=$1 _rc=$2; shift 2
	_out=$(timeout 30 "$@" 2>&1)
	_rc=$?
}

# A field of /proc/PID/status in kB.
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# How long a test waits for something a daemon does once (start,
# listen, answer), in seconds. Only a failing check waits this long, so it
# is generous: under emulation in a guest on a busy machine a daemon's
# first answer has taken 15 s (its code comes in over 9p on first use).
PATIENCE=${DM_TEST_PATIENCE:-60}

# shellcheck source=poll.sh
. "$(dirname "${BASH_SOURCE[0]}")/poll.sh"
# wait_until COMMAND...: true once the command succeeds, false after
# PATIENCE seconds.
wait_until() { poll "$PATIENCE" "$@"; }

# Waits for a file to exist.
wait_for() { wait_until test -e "$1"; }

# Waits for a TCP socket listening on 127.0.0.1 port $1.
wait_listening() { wait_until tcp_listening "$1"; }
tcp_listening() { [ -n "$(tcp_inodes "$1" 0A)" ]; }

# show_states WHAT PID...: where each process and thread is, for a check
# that waited in vain (state and kernel wait channel, then the kernel
# stack where root may read it).
show_states() {
	local what=$1 pid task
	shift
	echo "    $what:" >&2
	for pid in "$@"; do
		for task in /proc/"$pid"/task/*; do
			[ -r "$task/stat" ] || continue
			printf '    %s/%s %s state %s wchan %s\n' "$pid" "${task##*/}" "$(cat "$task/comm" 2>/dev/null)" \
				"$(awk '{print $3}' "$task/stat" 2>/dev/null)" "$(cat "$task/wchan" 2>/dev/null)" >&2
			sed 's/^/        /' "$task/stack" 2>/dev/null | head -8 >&2
		done
	done
}

finish() {
	echo "$checks checks, $fails failed"
	[ "$fails" = 0 ]
}

need_root() { [ "$(id -u)" = 0 ] || skip "needs root ($1)"; }
need_cmd() { command -v "$1" >/dev/null || skip "$1 is missing (package $2)"; }

# PIDs of the processes that hold an open file whose link target equals
# $1 (/dev/fuse, socket:[INODE], ...): the process that serves, found by
# what it holds, not by the PID that was started.
holders_of() {
	local fd
	for fd in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$1" ] && { fd=${fd#/proc/}; echo "${fd%%/*}"; }
	done | sort -un
}

# Inodes of the TCP sockets on 127.0.0.1 with local port $1 in state $2
# (0A listening, 01 established), from /proc/net/tcp.
tcp_inodes() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v p="0100007F:$hex" -v s="$2" '$2 == p && $4 == s {print $10}' /proc/net/tcp
}

# A free TCP port on 127.0.0.1.
free_port() {
	local p
	for ((p = 20000 + RANDOM % 20000; ; p++)); do
		[ -z "$(tcp_inodes "$p" 0A)" ] && { echo "$p"; return; }
	done
}

# check_locked NAME PID: locked, and every accessible mapping is (smaps).
check_locked() {
	local name=$1 pid=$2 lck unlocked
	lck=$(status_kb "$pid" VmLck)
	unlocked=$(awk '/^[0-9a-f]+-[0-9a-f]+ /{perm=$2; name=$6} /^VmFlags/{ if ($0 !~ / lo( |$)/ && perm !~ /^---/ && $0 !~ / (io|pf|de|mm)( |$)/ && name != "[vsyscall]") n++ } END{print n+0}' "/proc/$pid/smaps")
	check "$name (pid $pid) is locked (VmLck ${lck:-?} kB)" test "${lck:-0}" -gt 0
	check "$name (pid $pid) has no accessible mapping left unlocked (smaps)" equals "$unlocked" 0
}

# check_unlocked NAME PID
check_unlocked() {
	check "$1 (pid $2) is not locked" equals "$(status_kb "$2" VmLck)" 0
}

# A field of /proc/PID/status as it stands (the real uid for Uid, the hex
# set for CapPrm and CapEff).
status_field() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# The hard RLIMIT_MEMLOCK of PID: bytes, or "unlimited".
memlock_hard_of() { awk '/^Max locked memory/ {print $5}' "/proc/$1/limits"; }

# check_dropped_locked NAME PID USER: a process that dropped root to USER
# is locked and holds no capability but CAP_IPC_LOCK, which it keeps only
# where its hard RLIMIT_MEMLOCK cannot cover its lock (exec raised the limit
# to unlimited where it could: then nothing is kept).
check_dropped_locked() {
	local name=$1 pid=$2 user=$3 want=0000000000004000
	check "$name (pid $pid) runs as $user" equals "$(status_field "$pid" Uid)" "$(id -u "$user")"
	check_locked "$name" "$pid"
	[ "$(memlock_hard_of "$pid")" = unlimited ] && want=0000000000000000
	check "$name (pid $pid) permitted capabilities: only what its lock needs" \
		equals "$(status_field "$pid" CapPrm)" "$want"
	check "$name (pid $pid) effective capabilities: the same" equals "$(status_field "$pid" CapEff)" "$want"
}

# The HTTP status code of a GET of URL ("000" when nothing answered).
http_code() { curl -s -m "$PATIENCE" -o /dev/null -w '%{http_code}' "$1"; }

# kill_and_wait PID...: SIGTERM, then wait (bounded) until each is gone,
# so that the ports and files it held are free for what comes next.
# A daemon reparented to an init that does not reap stays a zombie: gone too.
kill_and_wait() {
	local pid
	for pid in "$@"; do kill "$pid" 2>/dev/null; done
	for pid in "$@"; do poll 10 proc_gone "$pid" || kill -KILL "$pid" 2>/dev/null; done
}
proc_gone() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}
