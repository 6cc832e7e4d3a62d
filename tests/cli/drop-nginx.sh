#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# nginx as Debian starts it (nginx -g 'daemon on; master_process on;',
# Debian's `user www-data;`): the master daemonizes and forks its workers,
# and each worker drops root to www-data (setgid, initgroups, setuid)
# before it serves. Under exec the workers must serve and stay locked:
# where the hard RLIMIT_MEMLOCK cannot cover what they lock (a root without
# CAP_SYS_RESOURCE), by keeping CAP_IPC_LOCK, and only that, through the
# drop; where exec could raise the limit (real root), with nothing kept.
# A binary upgrade (SIGUSR2: the master forks, and the child execs the same
# nginx) is the same program: the new master and its workers are locked.
# Usage: drop-nginx.sh DUENDE-MLOCK PRELOAD-LIBRARY
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
need_root "nginx starts as root and drops to www-data"
need_cmd nginx nginx
need_cmd curl curl
id www-data >/dev/null 2>&1 || skip "no user www-data (package base-passwd)"
NGINX=$(command -v nginx) # a binary upgrade execs the path it was started by

port=$(free_port)
mkdir -p "$TMP/www"
echo "served by nginx" >"$TMP/www/index.html"
chmod -R a+rX "$TMP/www"
# Debian's nginx.conf, its files moved into the test's directory and one
# server on a free port. nginx passes a new binary only the variables its
# `env` directives name (TZ alone by default): the upgrade keeps the preload
# and exec's settings only with these two (the man page says so).
cat >"$TMP/nginx.conf" <<CONF
user www-data;
worker_processes 2;
pid $TMP/nginx.pid;
error_log $TMP/error.log;
env LD_PRELOAD;
env DUENDE_MLOCK_EXEC;
events {
	worker_connections 768;
}
http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log off;
	client_body_temp_path $TMP/body;
	proxy_temp_path $TMP/proxy;
	fastcgi_temp_path $TMP/fastcgi;
	uwsgi_temp_path $TMP/uwsgi;
	scgi_temp_path $TMP/scgi;
	server {
		listen 127.0.0.1:$port;
		root $TMP/www;
	}
}
CONF
stop_nginx() {
	local p
	for p in "$TMP/nginx.pid" "$TMP/nginx.pid.oldbin"; do
		[ -s "$p" ] && kill_and_wait "$(cat "$p")"
	done
}
# The workers of master: its children, once there are two.
workers_of() { pgrep -P "$1" | sort -n; }
two_workers() { [ "$(workers_of "$1" | wc -l)" = 2 ]; }

run_cmd out rc "$DM" exec -- "$NGINX" -c "$TMP/nginx.conf" -e "$TMP/error.log" \
	-g 'daemon on; master_process on;'
on_exit stop_nginx
check "exec exits 0 once nginx has daemonized" equals "$rc" 0
check "... with no note at start: the drop is taken care of" lacks "$out" "note:"
wait_for "$TMP/nginx.pid"
master=$(cat "$TMP/nginx.pid" 2>/dev/null)
wait_listening "$port"
check "nginx serves (HTTP 200)" equals "$(http_code "http://127.0.0.1:$port/")" 200
check "... its two workers run" wait_until two_workers "${master:-0}"
check "... and none failed to start" lacks "$(cat "$TMP/error.log" 2>/dev/null)" "failed ("
[ -n "$master" ] && check_locked "nginx master (root)" "$master"
for w in $(workers_of "${master:-0}"); do
	check_dropped_locked "nginx worker" "$w" www-data
done
# A worker allocates after the drop: 200 requests make it map more.
for _ in $(seq 200); do printf 'url = "http://127.0.0.1:%s/"\noutput = "/dev/null"\n' "$port"; done >"$TMP/many"
timeout "$PATIENCE" curl -s -m 5 -K "$TMP/many"
check "... and still serves after 200 requests" equals "$(http_code "http://127.0.0.1:$port/")" 200

# --- binary upgrade: the old master forks, its child execs nginx again
if [ "$(http_code "http://127.0.0.1:$port/")" = 200 ]; then
	kill -USR2 "${master:-0}"
	wait_for "$TMP/nginx.pid.oldbin"
	wait_until test -s "$TMP/nginx.pid"
	new=$(cat "$TMP/nginx.pid" 2>/dev/null)
	another() { [ -n "$1" ] && [ "$1" != "$2" ]; }
	check "binary upgrade: a new master runs" another "$new" "$master"
	check "... with its two workers" wait_until two_workers "${new:-0}"
	[ -n "$new" ] && check_locked "new nginx master (the same program re-exec'd by a forked child)" "$new"
	for w in $(workers_of "${new:-0}"); do
		check_dropped_locked "new nginx worker" "$w" www-data
	done
	kill_and_wait "$master"
	check "... and, the old master gone, it serves (HTTP 200)" equals "$(http_code "http://127.0.0.1:$port/")" 200
else
	fail "binary upgrade not tried: nginx does not serve"
	new=$master
fi

# --- doctor on the program, on the running master and on one worker
run_cmd out rc "$DM" doctor -- "$NGINX" -c "$TMP/nginx.conf" -e "$TMP/error.log"
if [ "$(ulimit -Hl)" != unlimited ] && ! capsh --has-p=cap_sys_resource 2>/dev/null; then
	check "doctor -- nginx, where the limit cannot be raised: it can drop privileges" \
		contains "$out" "can drop privileges (its program calls setuid or capset)"
	check "... and exec keeps CAP_IPC_LOCK through the drop" \
		contains "$out" "duende-mlock exec keeps CAP_IPC_LOCK, and only it, through the drop"
else
	check "doctor -- nginx, where exec raises the limit: its drop is no finding" \
		lacks "$out" "can drop privileges"
fi
run_cmd out rc "$DM" doctor --pid "${new:-0}"
check "doctor --pid on the master: not 'cannot lock'" test "$rc" -le 1
check "... its workers dropped root and stayed locked" \
	contains "$out" "locked children under another uid (PID"
check "... soundly" contains "$out" "their lock stayed sound through the drop"
w=$(workers_of "${new:-0}" | head -1)
run_cmd out rc "$DM" doctor --pid "${w:-0}"
check "doctor --pid on a worker says it is locked" contains "$out" "is locked (VmLck"
check "... and not 'cannot lock'" lacks "$out" "[cannot lock]"
check "... nor is that the verdict" lacks "$out" "Verdict: cannot lock"
finish
