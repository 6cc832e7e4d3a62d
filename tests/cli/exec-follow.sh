#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# exec locks the process that really serves, the way daemons really start:
# forked and daemonized children, pre-fork servers whose per-connection
# child does the I/O, exec chains in one process (#!/usr/bin/env, sh -c
# 'exec ...'), and root daemons that drop to a user. Each serving process
# is found by what it holds open (/dev/fuse, its sockets), never by the
# PID that was started, and proved locked through its /proc.
# Usage: exec-follow.sh DUENDE-MLOCK PRELOAD-LIBRARY NBD-HANDSHAKE FORKER
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
NBD_HANDSHAKE=$3
FORKER=$4
need_root "FUSE mounts, daemons that run as root and drop privileges"
need_cmd bash bash

# --- forks: the child runs the same image, locked before fork() returns
# (forker is a plain program that forks, like a daemon: no launcher)
vmlck() { grep VmLck /proc/self/status | awk '{print $2}'; }
out=$(timeout 30 "$DM" exec -- "$FORKER" child 2>/dev/null)
check "a forked child of PROGRAM is locked" test "${out:-0}" -gt 0
out=$(timeout 30 "$DM" exec -- "$FORKER" grandchild 2>/dev/null)
check "a grandchild (a fork of a fork) is locked" test "${out:-0}" -gt 0
out=$(timeout 30 "$DM" exec -- "$FORKER" exec grep VmLck /proc/self/status 2>/dev/null | awk '{print $2}')
check "a program that a forked child execs (a helper) is not locked" equals "$out" 0
cp "$FORKER" "$TMP/other-forker"
out=$(timeout 30 "$DM" exec -- "$FORKER" exec "$TMP/other-forker" child 2>/dev/null)
check "... nor what that helper forks" equals "$out" 0
out=$(timeout 30 "$DM" exec -- "$FORKER" exec "$FORKER" child 2>/dev/null)
check "a forked child that execs the program's own file again is the program: locked, and its fork too" \
	test "${out:-0}" -gt 0
out=$(timeout 30 "$DM" exec --inherit -- "$FORKER" exec grep VmLck /proc/self/status 2>/dev/null | awk '{print $2}')
check "--inherit: the helper is locked too" test "${out:-0}" -gt 0
out=$(timeout 30 "$DM" exec --no-follow-forks -- "$FORKER" child 2>/dev/null)
check "--no-follow-forks: a forked child is left unlocked" equals "$out" 0

# --- launchers: what a locked shell or wrapper runs is the program
out=$(timeout 30 "$DM" exec -- sh -c 'grep VmLck /proc/self/status; true' 2>/dev/null | awk '{print $2}')
check "sh -c 'DAEMON; ...': the command sh forks for is locked" test "${out:-0}" -gt 0
out=$(timeout 30 "$DM" exec -- /bin/sh -c 'grep VmLck /proc/self/status' 2>/dev/null | awk '{print $2}')
check "sh -c 'DAEMON' (dash forks even for the last command): locked" test "${out:-0}" -gt 0
out=$(timeout 30 "$DM" exec -- timeout 20 grep VmLck /proc/self/status 2>/dev/null | awk '{print $2}')
check "timeout DAEMON: locked" test "${out:-0}" -gt 0
out=$(timeout 30 "$DM" exec -- sh -c "$FORKER exec grep VmLck /proc/self/status" 2>/dev/null | awk '{print $2}')
check "... but a helper below the daemon the shell runs is not" equals "$out" 0

# --- launchers that are gone, or out of reach, when their command starts:
# the launcher's forked child names itself the leader before it execs
vmlck_of() { # PIDFILE: VmLck in kB of the process it names, then kill it
	local pid
	pid=$(cat "$1" 2>/dev/null)
	awk '$1 == "VmLck:" {print $2}' "/proc/${pid:-0}/status" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -f "$1"
}
timeout 30 "$DM" exec -- setsid -f sh -c "echo \$\$ >'$TMP/pid'; exec sleep 60" 2>/dev/null
wait_for "$TMP/pid"
sleep 0.2
check "setsid -f DAEMON (setsid exits before its child execs): locked" test "$(vmlck_of "$TMP/pid")" -gt 0
timeout 30 "$DM" exec --no-follow-forks -- setsid -f sh -c "echo \$\$ >'$TMP/pid'; exec sleep 60" 2>/dev/null
wait_for "$TMP/pid"
sleep 0.2
check "... also under --no-follow-forks (what a launcher runs is the program)" test "$(vmlck_of "$TMP/pid")" -gt 0
timeout 30 "$DM" exec -- sh -c "sleep 60 & echo \$! >'$TMP/pid'" 2>/dev/null
sleep 0.2
check "sh -c 'DAEMON &' (the shell exits at once; dash passes its environment on as it got it): locked" test "$(vmlck_of "$TMP/pid")" -gt 0
if command -v start-stop-daemon >/dev/null; then
	timeout 30 "$DM" exec -- start-stop-daemon --start --background --make-pidfile \
		--pidfile "$TMP/pid" --startas /bin/sleep -- 61 2>/dev/null
	wait_for "$TMP/pid"
	sleep 0.2
	check "start-stop-daemon --background DAEMON: locked" test "$(vmlck_of "$TMP/pid")" -gt 0
fi
if [ "$(id -u)" = 0 ]; then
	out=$(timeout 30 "$DM" exec -- runuser -u nobody -- grep VmLck /proc/self/status 2>/dev/null | awk '{print $2}')
	check "runuser -u nobody DAEMON (the child cannot read root's /proc entries): locked" test "${out:-0}" -gt 0
	out=$(timeout 30 "$DM" exec -- su nobody -s /bin/sh -c 'grep VmLck /proc/self/status' 2>/dev/null | awk '{print $2}')
	check "su nobody -c DAEMON: locked" test "${out:-0}" -gt 0
	if unshare -p -f true 2>/dev/null; then
		out=$(timeout 30 "$DM" exec -- unshare -p -f --mount-proc grep VmLck /proc/self/status 2>/dev/null | awk '{print $2}')
		check "unshare -p -f DAEMON (PID 1 of a new PID namespace): locked" test "${out:-0}" -gt 0
	else
		echo "SKIP [unshare -p -f]: cannot make a PID namespace here" >&2
	fi
else
	echo "SKIP [runuser, su, unshare]: need root" >&2
fi

# --- exec chains in one process
cat >"$TMP/env-script" <<'SCRIPT'
#!/usr/bin/env bash
while read -r k v _; do [ "$k" = VmLck: ] && echo "$v"; done </proc/$$/status
SCRIPT
chmod +x "$TMP/env-script"
out=$(timeout 30 "$DM" exec -- "$TMP/env-script" 2>/dev/null)
check "a #!/usr/bin/env script: its interpreter, reached through env, is locked" test "${out:-0}" -gt 0
out=$(timeout 30 "$DM" exec -- sh -c 'exec grep VmLck /proc/self/status' 2>/dev/null | awk '{print $2}')
check "sh -c 'exec PROGRAM': PROGRAM is locked" test "${out:-0}" -gt 0
out=$(timeout 30 "$DM" exec -- env nice -n 1 grep VmLck /proc/self/status 2>/dev/null | awk '{print $2}')
check "env and nice in the chain: the last program is locked" test "${out:-0}" -gt 0

# --- a FUSE daemon started the way it starts by default: it daemonizes
if command -v bindfs >/dev/null && [ -e /dev/fuse ]; then
	mkdir -p "$TMP/back" "$TMP/mnt"
	echo hello >"$TMP/back/file"
	run_cmd out rc "$DM" exec -- bindfs "$TMP/back" "$TMP/mnt"
	on_exit "fusermount3 -u '$TMP/mnt' || umount -l '$TMP/mnt'"
	check "bindfs without -f: the started process exits 0 after daemonizing" equals "$rc" 0
	check "... and the mount serves" equals "$(cat "$TMP/mnt/file" 2>/dev/null)" hello
	served=0
	for pid in $(holders_of /dev/fuse); do
		grep -qF "$TMP/mnt" "/proc/$pid/cmdline" 2>/dev/null || continue
		served=$((served + 1))
		check_locked "daemonized bindfs, holder of /dev/fuse" "$pid"
	done
	check "... found the daemon that holds /dev/fuse for the mount" equals "$served" 1
else
	echo "SKIP [bindfs daemonized]: bindfs or /dev/fuse missing (package bindfs)" >&2
fi

# --- memcached -d: daemonizes; the serving process holds the listening socket
if command -v memcached >/dev/null; then
	port=$(free_port)
	run_cmd out rc "$DM" exec -- memcached -d -u root -l 127.0.0.1 -p "$port" -U 0 -t 2 -P "$TMP/mc.pid"
	on_exit "kill \$(cat '$TMP/mc.pid' 2>/dev/null) 2>/dev/null"
	check "memcached -d: the started process exits 0" equals "$rc" 0
	wait_listening "$port"
	pid=$(holders_of "socket:[$(tcp_inodes "$port" 0A | head -1)]" | head -1)
	check "... found the daemon that holds the listening socket" test -n "$pid"
	[ -n "$pid" ] && check_locked "memcached -d, holder of port $port" "$pid"
	reply=$(timeout "$PATIENCE" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'version\r\n' >&3; head -c 7 <&3" 2>/dev/null)
	check "... and it serves" equals "$reply" VERSION
else
	echo "SKIP [memcached -d]: memcached missing (package memcached)" >&2
fi

# --- nbd-server, forking as it does by default: the per-connection child serves
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
	run_cmd out rc "$DM" exec -- nbd-server -C "$TMP/nbd.conf" -p "$TMP/nbd.pid"
	on_exit "kill \$(cat '$TMP/nbd.pid' 2>/dev/null) 2>/dev/null"
	check "nbd-server: the started process exits 0 after daemonizing" equals "$rc" 0
	wait_listening "$port"
	master=$(holders_of "socket:[$(tcp_inodes "$port" 0A | head -1)]" | head -1)
	check "... found the listening server" test -n "$master"
	[ -n "$master" ] && check_locked "nbd-server, listening" "$master"
	# A client that needs no NBD driver (the handshake over TCP, then one
	# read): the server forks a child to serve it.
	coproc NBDC { exec "$NBD_HANDSHAKE" "$port" swapdisk; }
	on_exit "kill $NBDC_PID"
	read -r -t "$PATIENCE" served <&"${NBDC[0]}"
	check "... the per-connection child served a read" contains "${served:-}" "served 4096 bytes"
	[ -n "${served:-}" ] || show_states "the client, nbd-server and its children" \
		"$NBDC_PID" ${master:+"$master" $(pgrep -P "$master")}
	child=
	for ino in $(tcp_inodes "$port" 01); do
		for p in $(holders_of "socket:[$ino]"); do [ "$p" != "$NBDC_PID" ] && [ "$p" != "$master" ] && child=$p; done
	done
	check "... found the per-connection child by its connected socket" test -n "$child"
	[ -n "$child" ] && check_locked "nbd-server per-connection child" "$child"
else
	echo "SKIP [nbd-server]: nbd-server missing (package nbd-server)" >&2
fi

# --- a root daemon that drops to a user keeps its lock: where exec can
# raise the hard limit (real root, the guest gate), under an unlimited
# limit; where it cannot (this host), by keeping CAP_IPC_LOCK alone
if ! command -v memcached >/dev/null; then
	echo "SKIP [memcached -u nobody]: memcached missing (package memcached)" >&2
else
	port=$(free_port)
	"$DM" exec -- memcached -u nobody -l 127.0.0.1 -p "$port" -U 0 -t 4 2>"$TMP/mcu.err" &
	mpid=$!
	on_exit "kill $mpid"
	wait_listening "$port"
	reply=$(timeout "$PATIENCE" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'set k 0 0 5\r\nhello\r\nget k\r\nquit\r\n' >&3; head -c 200 <&3" 2>/dev/null)
	check "memcached -u nobody under exec starts and serves" contains "$reply" "hello"
	tasks=(/proc/"$mpid"/task/*)
	check "... with its threads started (${#tasks[@]})" test ${#tasks[@]} -gt 4
	check_dropped_locked "memcached -u nobody" "$mpid" nobody
	if capsh --has-p=cap_sys_resource 2>/dev/null; then
		check "... under an unlimited RLIMIT_MEMLOCK" matches "$(grep 'Max locked memory' "/proc/$mpid/limits")" "unlimited +unlimited"
	fi
fi
finish
