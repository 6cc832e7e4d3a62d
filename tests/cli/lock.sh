#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# duende-mlock lock on real daemons from Debian that already run, started
# unlocked: each is locked from outside (proved by its /proc), goes on
# serving, and --tree takes the processes of the same program forked from
# it; every refusal says why with exit status 120, and the daemon is left
# as it was.
# Usage: lock.sh DUENDE-MLOCK PRELOAD-LIBRARY NBD-HANDSHAKE FORKER
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
NBD_HANDSHAKE=$3
need_root "tracing daemons of other users, memcached -u nobody"
LOCK_FAILED=120

# --- usage errors
run_cmd out rc "$DM" lock
check "lock without a PID is a usage error" equals "$rc" 64
run_cmd out rc "$DM" lock 12abc
check "lock of a word that is no PID is a usage error" equals "$rc" 64
run_cmd out rc "$DM" lock --oom-score-adj 5000 1
check "--oom-score-adj out of range is a usage error" equals "$rc" 64
run_cmd out rc "$DM" lock --help
check "lock --help says the exit statuses" contains "$out" "$LOCK_FAILED a process was"

# --- refusals: nothing locked, exit 120, the reason said
sleep 30 &
gone=$!
kill "$gone"
wait "$gone" 2>/dev/null
run_cmd out rc "$DM" lock "$gone"
check "no such process: exit $LOCK_FAILED" equals "$rc" "$LOCK_FAILED"
check "... and said so" contains "$out" "no such process"
run_cmd out rc "$DM" lock 2
check "a kernel thread: exit $LOCK_FAILED" equals "$rc" "$LOCK_FAILED"
check "... and said so" contains "$out" "kernel thread"
sleep 300 &
s=$!
on_exit "kill $s"
if command -v strace >/dev/null; then
strace -p "$s" -o /dev/null 2>/dev/null &
tracer=$!
on_exit "kill $tracer"
traced_by() { [ "$(status_kb "$1" TracerPid)" = "$2" ]; }
wait_until traced_by "$s" "$tracer"
run_cmd out rc "$DM" lock "$s"
check "a process traced by strace: exit $LOCK_FAILED" equals "$rc" "$LOCK_FAILED"
check "... the tracer named" contains "$out" "traced by process $tracer (strace)"
check "... left unlocked" equals "$(status_kb "$s" VmLck)" 0
kill "$tracer"
wait "$tracer" 2>/dev/null
else
	echo "SKIP [traced by strace]: strace missing (package strace)" >&2
fi
run_cmd out rc "$DM" lock "$s"
check "once strace has left, the same process locks" equals "$rc" 0
check "... and says so on stdout" matches "$out" "^process $s \(sleep\): locked "
check_locked sleep "$s"

# --- bindfs started as it starts by default (it daemonizes), unlocked, then locked
if command -v bindfs >/dev/null && [ -e /dev/fuse ]; then
	mkdir -p "$TMP/back" "$TMP/mnt"
	echo hello >"$TMP/back/file"
	bindfs "$TMP/back" "$TMP/mnt"
	on_exit "fusermount3 -u '$TMP/mnt' || umount -l '$TMP/mnt'"
	bpid=
	for pid in $(holders_of /dev/fuse); do
		grep -qF "$TMP/mnt" "/proc/$pid/cmdline" 2>/dev/null && bpid=$pid
	done
	check "bindfs daemonized: found the process that holds /dev/fuse for the mount" test -n "$bpid"
	if [ -n "$bpid" ]; then
		check_unlocked "bindfs before lock" "$bpid"
		run_cmd out rc "$DM" lock --tree --verbose "$bpid"
		check "lock --tree of the running bindfs: exit 0" equals "$rc" 0
		check "... its threads stopped one at a time, briefly" matches "$out" "process $bpid: [0-9]+ thread\(s\), [0-9]+ stopped, each for at most [0-9.]+ ms"
		check_locked "bindfs locked from outside" "$bpid"
		check "... and the mount still serves" equals "$(timeout 10 cat "$TMP/mnt/file" 2>/dev/null)" hello
		echo more >"$TMP/mnt/new"
		check "... and writes" equals "$(cat "$TMP/back/new" 2>/dev/null)" more
	fi
else
	echo "SKIP [bindfs]: bindfs or /dev/fuse missing (package bindfs)" >&2
fi

# --- memcached -d (threads, epoll) running unlocked, then locked; and as nobody,
# whose 8 MiB hard memlock limit root without CAP_SYS_RESOURCE cannot raise
if command -v memcached >/dev/null; then
	ask_version() { timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; printf 'version\r\n' >&3; head -c 7 <&3" 2>/dev/null; }
	port=$(free_port)
	memcached -d -u root -l 127.0.0.1 -p "$port" -U 0 -t 4 -P "$TMP/mc.pid"
	on_exit "kill \$(cat '$TMP/mc.pid' 2>/dev/null) 2>/dev/null"
	wait_listening "$port"
	mpid=$(holders_of "socket:[$(tcp_inodes "$port" 0A | head -1)]" | head -1)
	check "memcached -d: found the daemon that holds the listening socket" test -n "$mpid"
	if [ -n "$mpid" ]; then
		check_unlocked "memcached before lock" "$mpid"
		run_cmd out rc "$DM" lock --tree "$mpid"
		check "lock --tree of the running memcached: exit 0" equals "$rc" 0
		check_locked "memcached locked from outside" "$mpid"
		check "... and it serves" equals "$(ask_version "$port")" VERSION
		for i in 1 2 3 4 5; do "$DM" lock "$mpid" >/dev/null 2>&1 || break; done
		check "... locked again five times while it serves" equals "$i" 5
		check "... and it still serves" equals "$(ask_version "$port")" VERSION
	fi
	port2=$(free_port)
	memcached -d -u nobody -l 127.0.0.1 -p "$port2" -U 0 -t 2 -P "$TMP/mc2.pid" 2>/dev/null
	wait_listening "$port2"
	npid=$(holders_of "socket:[$(tcp_inodes "$port2" 0A | head -1)]" | head -1)
	on_exit "kill $npid"
	if [ -n "$npid" ] && [ "$(awk '/locked memory/{print $5}' "/proc/$npid/limits")" != unlimited ] &&
		! grep -q '^CapEff:.*[1-9a-f]' "/proc/$npid/status"; then
		hard=$(awk '/locked memory/{print $5}' "/proc/$npid/limits")
		run_cmd out rc "$DM" lock "$npid"
		check "memcached as nobody over its memlock limit: exit $LOCK_FAILED" equals "$rc" "$LOCK_FAILED"
		check "... the words name its limit" contains "$out" "RLIMIT_MEMLOCK allows"
		check "... and its mapped size" contains "$out" "the process maps"
		check "... and the fix for a running process" contains "$out" "prlimit --pid $npid --memlock="
		if ! grep -q '^CapEff:.*' /proc/self/status || [ "$(($(printf '%d' "0x$(awk '/^CapEff/{print $2}' /proc/self/status)") >> 24 & 1))" = 0 ]; then
			check "... said not to be in this caller's power" contains "$out" "which this caller lacks"
		fi
		check "... left unlocked" equals "$(status_kb "$npid" VmLck)" 0
		check "... and it still serves" equals "$(ask_version "$port2")" VERSION
		: "${hard:=}"
	else
		echo "SKIP [memcached as nobody]: its memlock limit is unlimited or it kept capabilities" >&2
	fi
else
	echo "SKIP [memcached]: memcached missing (package memcached)" >&2
fi

# --- nbd-server, forking per connection: --tree takes the serving child too
if command -v nbd-server >/dev/null; then
	port=$(free_port)
	truncate -s 16M "$TMP/export.img"
	cat >"$TMP/nbd.conf" <<CONF
[generic]
	listenaddr = 127.0.0.1
	port = $port
	allowlist = false
[swapdisk]
	exportname = $TMP/export.img
CONF
	nbd-server -C "$TMP/nbd.conf" -p "$TMP/nbd.pid"
	on_exit "kill \$(cat '$TMP/nbd.pid' 2>/dev/null) 2>/dev/null"
	wait_listening "$port"
	master=$(holders_of "socket:[$(tcp_inodes "$port" 0A | head -1)]" | head -1)
	coproc NBDC { exec "$NBD_HANDSHAKE" "$port" swapdisk; }
	on_exit "kill $NBDC_PID"
	read -r -t "$PATIENCE" served <&"${NBDC[0]}"
	check "nbd-server's per-connection child served a read" contains "${served:-}" "served 4096 bytes"
	child=
	for ino in $(tcp_inodes "$port" 01); do
		for p in $(holders_of "socket:[$ino]"); do [ "$p" != "$NBDC_PID" ] && [ "$p" != "$master" ] && child=$p; done
	done
	check "... found the listening server and the child" test -n "$master" -a -n "$child"
	if [ -n "$master" ] && [ -n "$child" ]; then
		run_cmd out rc "$DM" lock --tree "$master"
		check "lock --tree of the running nbd-server: exit 0" equals "$rc" 0
		check "... both processes said locked" equals "$(grep -c ': locked ' <<<"$out")" 2
		check_locked "nbd-server, listening" "$master"
		check_locked "nbd-server's per-connection child, found by --tree" "$child"
		check "... the child still serves its connection" kill -0 "$child"
	fi
else
	echo "SKIP [nbd-server]: nbd-server missing (package nbd-server)" >&2
fi

finish
