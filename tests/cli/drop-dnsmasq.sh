#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# dnsmasq as Debian's systemd-helper starts it (-x PIDFILE -u dnsmasq -7
# DIR...): it daemonizes, drops root to dnsmasq with capset and setuid
# under PR_SET_KEEPCAPS (keeping only the capabilities it needs, none
# here), answers UDP itself and forks a child for each TCP connection.
# Under exec both must be locked and both must answer: the TCP child is
# locked by the fork handler, which needs CAP_IPC_LOCK where the hard
# RLIMIT_MEMLOCK cannot cover what the daemon locks. The doctor must call
# the locked daemon locked, never "cannot lock".
# Usage: drop-dnsmasq.sh DUENDE-MLOCK PRELOAD-LIBRARY
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
need_root "dnsmasq starts as root and drops to dnsmasq"
need_cmd dnsmasq dnsmasq
need_cmd dig bind9-dnsutils
id dnsmasq >/dev/null 2>&1 || skip "no user dnsmasq (package dnsmasq creates it)"

port=$(free_port)
mkdir -p "$TMP/dnsmasq.d"
cat >"$TMP/dnsmasq.conf" <<CONF
port=$port
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
address=/test.example/192.0.2.1
CONF
run_cmd out rc "$DM" exec -- dnsmasq -x "$TMP/dnsmasq.pid" -u dnsmasq -C "$TMP/dnsmasq.conf" \
	-7 "$TMP/dnsmasq.d,.dpkg-dist,.dpkg-old,.dpkg-new"
on_exit "[ -s '$TMP/dnsmasq.pid' ] && kill_and_wait \$(cat '$TMP/dnsmasq.pid')"
check "dnsmasq: the started process exits 0 after daemonizing" equals "$rc" 0
check "... with no note at start: the drop is taken care of" lacks "$out" "note:"
wait_until test -s "$TMP/dnsmasq.pid"
pid=$(cat "$TMP/dnsmasq.pid" 2>/dev/null)
wait_listening "$port"
check "... answers over UDP" equals "$(dig +short +tries=1 +time=5 -p "$port" @127.0.0.1 test.example)" 192.0.2.1
check "... answers over TCP (a forked child serves)" \
	equals "$(dig +tcp +short +tries=1 +time=5 -p "$port" @127.0.0.1 test.example)" 192.0.2.1
[ -n "$pid" ] && check_dropped_locked "dnsmasq" "$pid" dnsmasq

# A TCP connection held open: its child waits for the query, locked.
exec 3<>"/dev/tcp/127.0.0.1/$port"
child_of_connection() {
	local ino p
	for ino in $(tcp_inodes "$port" 01); do
		for p in $(holders_of "socket:[$ino]"); do [ "$p" != "$pid" ] && [ "$p" != $$ ] && echo "$p"; done
	done | head -1
}
wait_until test -n "$(child_of_connection)"
child=$(child_of_connection)
check "... found the child that serves the TCP connection" test -n "$child"
[ -n "$child" ] && check_dropped_locked "dnsmasq TCP child" "$child" dnsmasq
exec 3>&-

run_cmd out rc "$DM" doctor --pid "${pid:-0}"
check "doctor --pid on the locked daemon says it is locked" contains "$out" "is locked (VmLck"
check "... and not 'cannot lock'" lacks "$out" "[cannot lock]"
check "... nor is that the verdict" lacks "$out" "Verdict: cannot lock"
check "... nor exits 2" test "$rc" -le 1
finish
