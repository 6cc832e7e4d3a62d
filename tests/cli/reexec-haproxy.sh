#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# haproxy in master-worker mode, daemonizing (-W -D), with Debian's `user`
# and `group`: the process exec starts forks and exits; its child, the
# master, forks the first worker and then execs haproxy again (the same
# file); a reload (SIGUSR2) makes the master exec itself once more and fork
# a new worker, which drops root and serves. A program that re-execs itself
# from a forked child stays the program: the master is locked after each
# exec, and so is every worker, the one after the reload too.
# Usage: reexec-haproxy.sh DUENDE-MLOCK PRELOAD-LIBRARY
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
need_root "haproxy starts as root and drops to haproxy"
need_cmd haproxy haproxy
need_cmd curl curl
id haproxy >/dev/null 2>&1 || skip "no user haproxy (package haproxy creates it)"

# One run: with Debian's `user` and `group` (USER names the user the
# workers drop to), or without them (workers stay root: the re-exec alone).
run_case() { # WHAT USER
	local what=$1 user=$2 port master worker new
	port=$(free_port)
	{
		echo "global"
		echo "	log /dev/log local0"
		[ "$user" != root ] && printf '\tuser %s\n\tgroup %s\n' "$user" "$user"
		cat <<CONF
defaults
	log global
	mode http
	timeout connect 5000
	timeout client 50000
	timeout server 50000
frontend web
	bind 127.0.0.1:$port
	http-request return status 200 content-type text/plain string "served by haproxy"
CONF
	} >"$TMP/$what.cfg"
	# The worker: the master's one child that holds the listening socket.
	worker_of() {
		local ino
		ino=$(tcp_inodes "$port" 0A | head -1)
		[ -n "$ino" ] && holders_of "socket:[$ino]" | grep -vx "$1" | head -1
	}
	# The worker has changed from $2 and the old one is gone.
	new_worker() { local w; w=$(worker_of "$1"); [ -n "$w" ] && [ "$w" != "$2" ] && proc_gone "$2"; }
	both() { [ -n "$1" ] && [ -n "$2" ]; }

	run_cmd out rc "$DM" exec -- haproxy -W -D -f "$TMP/$what.cfg" -p "$TMP/$what.pid"
	on_exit "[ -s '$TMP/$what.pid' ] && kill_and_wait \$(head -1 '$TMP/$what.pid')"
	check "$what: haproxy -W -D: the started process exits 0 after daemonizing" equals "$rc" 0
	wait_until test -s "$TMP/$what.pid"
	master=$(head -1 "$TMP/$what.pid" 2>/dev/null)
	wait_listening "$port"
	check "... and serves (HTTP 200)" equals "$(http_code "http://127.0.0.1:$port/")" 200
	worker=$(worker_of "${master:-0}")
	check "... found the master (${master:-none}) and its worker (${worker:-none})" both "$master" "$worker"
	both "$master" "$worker" || return
	check_locked "haproxy master, re-exec'd by a forked child" "$master"
	if [ "$user" = root ]; then
		check_locked "haproxy worker" "$worker"
	else
		check_dropped_locked "haproxy worker" "$worker" "$user"
	fi
	kill -USR2 "$master"
	check "reload (SIGUSR2): a new worker replaces the old one" wait_until new_worker "$master" "$worker"
	new=$(worker_of "$master")
	check "... and serves (HTTP 200)" equals "$(http_code "http://127.0.0.1:$port/")" 200
	check_locked "haproxy master after the reload (it exec'd itself again)" "$master"
	[ -z "$new" ] && return
	if [ "$user" = root ]; then
		check_locked "haproxy worker after the reload" "$new"
	else
		check_dropped_locked "haproxy worker after the reload" "$new" "$user"
	fi
	kill_and_wait "$master"
}

run_case root-workers root
run_case debian haproxy
finish
