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

# Waits up to 10 s for a file to exist.
wait_for() { local i; for ((i = 0; i < 100; i++)); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }

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
