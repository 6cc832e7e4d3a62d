#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# haproxy in the foreground (-db) with Debian's `user haproxy` and
# `group haproxy`: one process that drops root (setgid, setuid) and then
# starts its threads. Under exec it must serve and stay locked, every thread
# with it: where the hard RLIMIT_MEMLOCK cannot cover what it locks, by
# keeping CAP_IPC_LOCK, and only that, through setuid. With
# --no-keep-ipc-lock, where the limit cannot cover it, exec stops it at the
# drop with exit status 120 and the reason, on stderr and in syslog (a
# daemon's stderr is often /dev/null), never a SIGSEGV later.
# Usage: drop-haproxy.sh DUENDE-MLOCK PRELOAD-LIBRARY
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
need_root "haproxy starts as root and drops to haproxy"
need_cmd haproxy haproxy
need_cmd curl curl
need_cmd unshare util-linux
id haproxy >/dev/null 2>&1 || skip "no user haproxy (package haproxy creates it)"

# haproxy.cfg as Debian ships it, trimmed to one frontend on a free port
# that answers itself (no chroot: the test's files stay reachable).
write_config() { # FILE PORT
	cat >"$1" <<CONF
global
	log /dev/log local0
	user haproxy
	group haproxy
defaults
	log global
	mode http
	timeout connect 5000
	timeout client 50000
	timeout server 50000
frontend web
	bind 127.0.0.1:$2
	http-request return status 200 content-type text/plain string "served by haproxy"
CONF
}
# Exec can raise the hard limit only with CAP_SYS_RESOURCE; then nothing
# needs keeping.
limit_can_cover() { capsh --has-p=cap_sys_resource 2>/dev/null; }

# run_with_syslog LOG COMMAND...: COMMAND in a private mount namespace whose
# /dev/log is busybox's syslogd writing to LOG; COMMAND's status.
run_with_syslog() {
	unshare -m --propagation private bash -c '
		. "$1"; log=$2; shift 2
		host=$(mktemp -d "${log%/*}/dev.XXXXXX")
		mount --rbind /dev "$host" && mount -t tmpfs -o mode=755 tmpfs /dev || exit 125
		for n in null zero full random urandom tty; do
			: >"/dev/$n" && mount --bind "$host/$n" "/dev/$n" || exit 125
		done
		ln -s /proc/self/fd /dev/fd
		busybox syslogd -n -O "$log" &
		syslogd=$!
		poll 10 test -S /dev/log || exit 125
		"$@"
		rc=$?
		sleep 0.5 # syslogd writes what it has received
		kill $syslogd
		exit $rc' bash "$(dirname "$0")/../poll.sh" "$@"
}

port=$(free_port)
write_config "$TMP/haproxy.cfg" "$port"
"$DM" exec -- haproxy -db -f "$TMP/haproxy.cfg" 2>"$TMP/err" &
pid=$!
on_exit "kill_and_wait $pid"
wait_listening "$port"
check "haproxy -db with user and group serves under exec (HTTP 200)" \
	equals "$(http_code "http://127.0.0.1:$port/")" 200
check "... with no note at start: the drop is taken care of" lacks "$(cat "$TMP/err")" "note:"
check_dropped_locked "haproxy" "$pid" haproxy
shopt -s nullglob
tasks=(/proc/"$pid"/task/*)
shopt -u nullglob
check "... its threads started after the drop (${#tasks[@]})" test ${#tasks[@]} -gt 1
for t in "${tasks[@]}"; do
	check "... thread ${t##*/} holds what the process holds" \
		equals "$(awk '$1 == "CapEff:" {print $2}' "$t/status")" "$(status_field "$pid" CapEff)"
done
for _ in $(seq 200); do printf 'url = "http://127.0.0.1:%s/"\noutput = "/dev/null"\n' "$port"; done >"$TMP/many"
timeout "$PATIENCE" curl -s -m 5 -K "$TMP/many"
check "... still serves after 200 requests" equals "$(http_code "http://127.0.0.1:$port/")" 200
check "... and runs" kill -0 "$pid"
kill_and_wait "$pid"

# --- refusing to keep CAP_IPC_LOCK
port=$(free_port)
write_config "$TMP/haproxy2.cfg" "$port"
if limit_can_cover; then
	"$DM" exec --no-keep-ipc-lock -- haproxy -db -f "$TMP/haproxy2.cfg" 2>"$TMP/err2" &
	pid=$!
	on_exit "kill_and_wait $pid"
	wait_listening "$port"
	check "--no-keep-ipc-lock, the hard limit raised: haproxy serves (HTTP 200)" \
		equals "$(http_code "http://127.0.0.1:$port/")" 200
	check_dropped_locked "haproxy" "$pid" haproxy
else
	log=$TMP/syslog
	hard=$(ulimit -Hl) # KiB
	hard_shown="$((hard / 1024)) MiB"
	[ $((hard % 1024)) = 0 ] || hard_shown=
	out=$(run_with_syslog "$log" timeout 30 "$DM" exec --no-keep-ipc-lock -- haproxy -db -f "$TMP/haproxy2.cfg" 2>&1)
	rc=$?
	check "--no-keep-ipc-lock under a hard limit that cannot cover it: exit 120" equals "$rc" 120
	check "... stopped at the drop, not later (no SIGSEGV)" lacks "$out" "Segmentation"
	check "... saying which call dropped what" contains "$out" "setuid("
	check "... and why it cannot lock after it" contains "$out" "CAP_IPC_LOCK"
	check "... naming the hard limit" contains "$out" "hard RLIMIT_MEMLOCK $hard_shown"
	check "... the same reason is in syslog" contains "$(cat "$log" 2>/dev/null)" "duende-mlock"
	check "... in full" contains "$(cat "$log" 2>/dev/null)" "hard RLIMIT_MEMLOCK $hard_shown"
fi
finish
