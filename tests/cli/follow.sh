#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# lock --follow and exec's traced path on the real kernel: a server that
# already runs unlocked (a pre-fork stand-in, and Debian's nbd-server, which
# forks per connection) has every child forked after the attach locked
# before it serves, a child that execs another program left alone, its
# SIGSTOP/SIGCONT as without a tracer, and SIGTERM to the follower detaches
# it; programs no loader preloads into (static, env -i, file capabilities)
# are locked under exec by tracing, keep exec's PID, and with an impossible
# lock end with 120 before their first instruction.
# Usage: follow.sh DUENDE-MLOCK PRELOAD-LIBRARY NBD-HANDSHAKE FORKER
# DM_TEST_PREFORK, DM_TEST_PREFORK_STATIC (empty: no static C library).
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
NBD_HANDSHAKE=$3
PREFORK=$DM_TEST_PREFORK
PREFORK_STATIC=${DM_TEST_PREFORK_STATIC:-}
need_root "tracing other processes, setcap, dropping capabilities"
TMP=$(mktemp -d)
chmod 755 "$TMP"
on_exit "rm -rf '$TMP'"

# report_of FILE: what a prefork child wrote (its VmLck in kB, read by
# itself first thing, before it served).
report_of() { cat "$1" 2>/dev/null; }
tracer_of() { status_kb "$1" TracerPid; }
state_of() { awk '{print $3}' "/proc/$1/stat"; }

run_cmd out rc "$DM" lock --help
check "lock --help names --follow" contains "$out" "--follow"

# --- lock --follow on a pre-fork server started unlocked
mkfifo "$TMP/cmd"
"$PREFORK" "$TMP/cmd" &
server=$!
on_exit "kill $server 2>/dev/null"
exec 7<>"$TMP/cmd"
check "the server runs unlocked" equals "$(status_kb "$server" VmLck)" 0
"$DM" lock --follow -v "$server" >"$TMP/follow.log" 2>&1 &
follower=$!
on_exit "kill $follower 2>/dev/null"
check "the follower attaches" wait_until grep -q "^following" "$TMP/follow.log"
check "... the server was locked first" test "$(status_kb "$server" VmLck)" -gt 0
check "... the server is traced by the follower" equals "$(tracer_of "$server")" "$follower"
check "... the follower is locked itself" test "$(status_kb "$follower" VmLck)" -gt 0

echo "child $TMP/c1" >&7
check "a child forked after the attach reports" wait_for "$TMP/c1"
check "... it was locked before it served (its own VmLck)" test "$(report_of "$TMP/c1")" -gt 0
c1=$(grep -o "^process [0-9]*: forked from $server" "$TMP/follow.log" | head -1 | awk '{print $2}' | tr -d :)
check "... -v logged one line for it" test -n "$c1"
[ -n "$c1" ] && check_locked "the forked child" "$c1"

echo "exec /bin/sleep 300" >&7
helper_seen() { grep -q "a helper" "$TMP/follow.log"; }
check "a child that execs /bin/sleep is a helper" wait_until helper_seen
helper=$(grep -o "^process [0-9]*: exec'd another program" "$TMP/follow.log" | awk '{print $2}' | tr -d :)
if [ -n "$helper" ]; then
	on_exit "kill $helper 2>/dev/null"
	check "... /bin/sleep is unlocked" equals "$(status_kb "$helper" VmLck)" 0
	check "... and not traced" equals "$(tracer_of "$helper")" 0
fi

echo "self $TMP/s1" >&7
check "a child that execs the same file reports" wait_for "$TMP/s1"
check "... it was locked again at its first instruction" test "$(report_of "$TMP/s1")" -gt 0

# SIGSTOP stops it as without a tracer: a request waits; SIGCONT serves it.
kill -STOP "$server"
stopped_state() { case $(state_of "$server") in T|t) return 0 ;; *) return 1 ;; esac; }
check "SIGSTOP stops the traced server" wait_until stopped_state
echo "child $TMP/c2" >&7
sleep 1
check "... a stopped server serves nothing" test ! -e "$TMP/c2"
kill -CONT "$server"
check "... SIGCONT: it serves again" wait_for "$TMP/c2"
check "... and that child is locked" test "$(report_of "$TMP/c2")" -gt 0
check "... the stop did not end the follow" kill -0 "$follower"

kill -TERM "$follower"
wait "$follower"
rc=$?
check "SIGTERM: the follower exits 0" equals "$rc" 0
check "... says it detached" contains "$(cat "$TMP/follow.log")" "detached on"
check "... the server keeps running" kill -0 "$server"
check "... TracerPid 0" equals "$(tracer_of "$server")" 0
for p in $(pgrep -P "$server"); do
	check "... its child $p is no longer traced" equals "$(tracer_of "$p")" 0
done
echo "child $TMP/c3" >&7
check "... it still serves" wait_for "$TMP/c3"
check "... and its children are no longer locked by the follower" equals "$(report_of "$TMP/c3")" 0
exec 7>&-
kill_and_wait $(pgrep -P "$server") "$server"

# --- a process that execs while it is being locked is never killed (the
# exec is an event for the tracer, not the SIGTRAP a traced process gets)
killed=0
for i in $(seq 1 30); do
	"$PREFORK" --reexec 300 &
	p=$!
	sleep 0.0$((RANDOM % 9 + 1))
	"$DM" lock "$p" >/dev/null 2>&1
	wait "$p"
	rc=$?
	[ "$rc" = 0 ] || { killed=$((killed + 1)); echo "    run $i: exit status $rc" >&2; }
done
check "lock of a process that execs itself in a loop, 30 times: never killed" equals "$killed" 0

# --- lock --follow on nbd-server: the per-connection child is locked before it serves
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
	check "nbd-server runs unlocked" equals "$(status_kb "$master" VmLck)" 0
	"$DM" lock --follow -v "$master" >"$TMP/nbd-follow.log" 2>&1 &
	nfollower=$!
	on_exit "kill $nfollower 2>/dev/null"
	check "the follower attaches to nbd-server" wait_until grep -q "^following" "$TMP/nbd-follow.log"
	coproc NBDC { exec "$NBD_HANDSHAKE" "$port" swapdisk; }
	on_exit "kill $NBDC_PID 2>/dev/null"
	read -r -t "$PATIENCE" served <&"${NBDC[0]}"
	check "nbd-server's child forked after the attach served a read" contains "${served:-}" "served 4096 bytes"
	child=$(grep -o "^process [0-9]*: forked from $master" "$TMP/nbd-follow.log" | head -1 | awk '{print $2}' | tr -d :)
	check "... it was locked before it ran (-v line)" test -n "$child"
	[ -n "$child" ] && check_locked "nbd-server's per-connection child" "$child"
	kill -TERM "$nfollower"
	wait "$nfollower"
	check "SIGTERM: the follower of nbd-server exits 0" equals "$?" 0
	check "... nbd-server keeps running, untraced" equals "$(tracer_of "$master")" 0
	[ -n "$child" ] && check "... its child too" equals "$(tracer_of "$child")" 0
	kill "$NBDC_PID" 2>/dev/null
else
	echo "SKIP [nbd-server]: nbd-server missing (package nbd-server)" >&2
fi

# --- exec of programs no loader preloads into: locked by tracing
# exec_report NAME FILE ARGS...: runs `sh -c 'echo $$; exec duende-mlock exec -- ARGS'`,
# waits for FILE, and checks the program's PID is the one exec had.
exec_traced() {
	local name=$1 file=$2 pid
	shift 2
	sh -c 'echo $$; exec "$@"' sh "$DM" exec -v -- "$@" >"$TMP/pid" 2>"$TMP/exec.err" &
	local shell=$!
	on_exit "kill $shell 2>/dev/null"
	check "$name: it reports" wait_for "$file"
	read -r pid <"$TMP/pid"
	check "$name: locked before its code ran (its own VmLck)" test "$(report_of "$file")" -gt 0
	check "$name: it kept exec's PID $pid" equals "$(cat "/proc/$pid/comm" 2>/dev/null)" "$(basename "$3" 2>/dev/null || true)"
	check "$name: VmLck > 0 in /proc/$pid" test "$(status_kb "$pid" VmLck)" -gt 0
	check "$name: --verbose says it is traced" contains "$(cat "$TMP/exec.err")" "locking it by tracing"
	traced_pid=$pid
}

if [ -n "$PREFORK_STATIC" ]; then
	mkfifo "$TMP/scmd"
	exec 8<>"$TMP/scmd"
	# Started holding descriptor 3000 (the tracer must not keep it).
	bash -c 'ulimit -n 4096; exec 3000>/dev/null; echo $$; exec "$@"' sh "$DM" exec -v -- "$PREFORK_STATIC" "$TMP/scmd" >"$TMP/pid" 2>"$TMP/exec.err" &
	check "exec of a static program: it starts" wait_until test -s "$TMP/pid"
	read -r spid <"$TMP/pid"
	started() { [ "$(cat "/proc/$spid/comm" 2>/dev/null)" = prefork-static ]; }
	check "... with exec's PID" wait_until started
	on_exit "kill $spid 2>/dev/null"
	check "... locked (VmLck in /proc/$spid)" test "$(status_kb "$spid" VmLck)" -gt 0
	check "... --verbose says it took the traced path" contains "$(cat "$TMP/exec.err")" "locking it by tracing instead"
	tracer=$(tracer_of "$spid")
	check "... traced by a process that is not its child" test "$tracer" -gt 0 -a "$(awk '{print $4}' "/proc/$tracer/stat")" != "$spid"
	echo "child $TMP/sc1" >&8
	check "... its forked child reports" wait_for "$TMP/sc1"
	check "... locked before it served" test "$(report_of "$TMP/sc1")" -gt 0
	check "... -v says so on the program's stderr" wait_until grep -q "forked from $spid" "$TMP/exec.err"
	check "... the program holds descriptor 3000 it was started with" test -e "/proc/$spid/fd/3000"
	check "... the tracer does not" test ! -e "/proc/$tracer/fd/3000"
	tracer_files=$(for f in /proc/"$tracer"/fd/*; do readlink "$f"; done)
	check "... nor, once the first lock is settled, exec's stderr" lacks "$tracer_files" "$TMP/exec.err"
	# The program makes a data file its fd 2: the tracer's lines go elsewhere.
	echo "stderr $TMP/data" >&8
	fd2_is_data() { [ "$(readlink "/proc/$spid/fd/2")" = "$TMP/data" ]; }
	check "... the program's fd 2 is the data file" wait_until fd2_is_data
	echo "child $TMP/sc1b" >&8
	check "... a child forked after that reports" wait_for "$TMP/sc1b"
	check "... locked" test "$(report_of "$TMP/sc1b")" -gt 0
	check "... its -v line is not written into the data file" equals "$(cat "$TMP/data")" ""
	# A crash of the tracer detaches: the program runs on.
	kill -KILL "$tracer"
	untraced() { [ "$(tracer_of "$spid")" = 0 ]; }
	check "the tracer killed: the program is untraced" wait_until untraced
	echo "child $TMP/sc2" >&8
	check "... and runs on" wait_for "$TMP/sc2"
	exec 8>&-
	kill_and_wait $(pgrep -P "$spid") "$spid"

	# An impossible lock: not one instruction of the program runs.
	run_cmd out rc prlimit --memlock=0:0 setpriv --inh-caps=-all --bounding-set=-ipc_lock,-sys_resource \
		"$DM" exec -- "$PREFORK_STATIC" --mark "$TMP/mark" --report "$TMP/never"
	check "exec of a static program that cannot be locked: exit 120" equals "$rc" 120
	check "... its first instruction never ran (no mark file)" test ! -e "$TMP/mark"
	check "... the reason on its stderr" contains "$out" "cannot be locked"
	check "... names the limit" contains "$out" "RLIMIT_MEMLOCK"
	run_cmd out rc prlimit --memlock=0:0 setpriv --inh-caps=-all --bounding-set=-ipc_lock,-sys_resource \
		"$DM" exec --best-effort -- "$PREFORK_STATIC" --mark "$TMP/mark2"
	check "... with --best-effort it runs unlocked" test -e "$TMP/mark2"
	check "... with a warning" contains "$out" "runs without a memory lock"

	# The same as a user who cannot reopen root's pipe (/proc/PID/fd/2):
	# the reason still reaches the pipe exec was started with.
	mkdir -m 777 "$TMP/nobody"
	run_cmd out rc setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		sh -c 'ulimit -l 64; exec "$@"' sh "$DM" exec -- "$PREFORK_STATIC" --mark "$TMP/nobody/mark"
	check "exec of a static program that cannot be locked, as nobody: exit 120" equals "$rc" 120
	check "... its first instruction never ran" test ! -e "$TMP/nobody/mark"
	check "... the reason on the pipe of its stderr" contains "$out" "cannot be locked"

	# A reader of its stderr that does not read: the tracer drops its -v
	# lines rather than wait, and the program is not held.
	# shellcheck disable=SC2216 # the reader that never reads is the point
	( "$DM" exec -v -- "$PREFORK_STATIC" --forks 3000 "$TMP/forked" 2>&1 >/dev/null | sleep 300 ) &
	stuck=$!
	on_exit "pkill -P $stuck 2>/dev/null; kill $stuck 2>/dev/null"
	check "a program forking 3000 times under exec -v, its stderr a pipe nobody reads: it ends" wait_for "$TMP/forked"
	pkill -P "$stuck" sleep 2>/dev/null
	# Read later: the count of lines dropped comes with the next line.
	mkfifo "$TMP/dcmd" "$TMP/derr"
	exec 6<>"$TMP/dcmd" 9<>"$TMP/derr"
	sh -c 'echo $$; exec "$@"' sh "$DM" exec -v -- "$PREFORK_STATIC" "$TMP/dcmd" >"$TMP/dpid" 2>"$TMP/derr" &
	check "a server whose stderr is a pipe read later: it starts" wait_until test -s "$TMP/dpid"
	read -r dpid <"$TMP/dpid"
	on_exit "kill $dpid 2>/dev/null"
	echo "forks 3000 $TMP/dforked" >&6
	check "... its child forking 3000 times is not held" wait_for "$TMP/dforked"
	timeout 3 cat <&9 >"$TMP/drained1"
	check "... the lines that fit in the pipe were written" contains "$(cat "$TMP/drained1")" "forked from"
	echo "child $TMP/d2" >&6
	check "... the next child reports" wait_for "$TMP/d2"
	timeout 3 cat <&9 >"$TMP/drained2"
	check "... its line comes after the count of lines dropped" matches "$(cat "$TMP/drained2")" \
		"^duende-mlock: exec: [0-9]+ line\\(s\\) not written: the output was not read in time"
	check "... then its own" contains "$(cat "$TMP/drained2")" "forked from $dpid"
	exec 6>&- 9>&-
	kill_and_wait $(pgrep -P "$dpid") "$dpid"

	# Under a debugger: it says who traces it.
	if command -v strace >/dev/null; then
		run_cmd out rc strace -o /dev/null "$DM" exec -- "$PREFORK_STATIC" --mark "$TMP/mark3"
		check "exec of a static program under strace: exit 120" equals "$rc" 120
		check "... its code never ran" test ! -e "$TMP/mark3"
		check "... names the tracer" matches "$out" "traced by process [0-9]+ \(strace\)"
		check "... and what to do" contains "$out" "start it without the debugger"
	else
		echo "SKIP [exec under strace]: strace missing (package strace)" >&2
	fi

	# A name with control bytes is escaped once.
	odd="$TMP/st ev"$'\n\e[31m\a'"y"
	cp "$PREFORK_STATIC" "$odd"
	run_cmd out rc "$DM" exec -v -- "$odd" --forks 1 "$TMP/odd-done"
	check "exec -v of a program named with control bytes: it runs" equals "$rc" 0
	check "... its name escaped" contains "$out" 'st ev\n\e[31m\ay'
	check "... once" lacks "$out" "\\\\"
else
	echo "SKIP [exec of a static program]: no static C library (libc6-dev's libc.a) to build one" >&2
fi

exec_traced "exec of env -i PROGRAM" "$TMP/e1" env -i "$PREFORK" --report "$TMP/e1"
[ -n "${traced_pid:-}" ] && kill "$traced_pid" 2>/dev/null

# A copy with file capabilities, run by a user who is not root: secure mode.
if command -v setcap >/dev/null; then
	cp "$PREFORK" "$TMP/prefork-cap"
	setcap cap_net_bind_service=+ep "$TMP/prefork-cap"
	chmod 777 "$TMP"
	sh -c 'echo $$; exec "$@"' sh setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=+sys_ptrace --ambient-caps=+sys_ptrace \
		"$DM" exec -v -- "$TMP/prefork-cap" --report "$TMP/cap1" >"$TMP/pid" 2>"$TMP/exec.err" &
	capshell=$!
	on_exit "kill $capshell 2>/dev/null"
	if wait_for "$TMP/cap1"; then
		check "exec of a setcap'd copy (secure mode): locked before its code ran" test "$(report_of "$TMP/cap1")" -gt 0
		check "... by tracing" contains "$(cat "$TMP/exec.err")" "locking it by tracing"
		read -r cpid <"$TMP/pid"
		check "... with exec's PID, VmLck > 0" test "$(status_kb "$cpid" VmLck)" -gt 0
		check "... and its capability" contains "$(grep CapEff "/proc/$cpid/status")" "400"
		kill "$cpid" 2>/dev/null
	else
		fail "exec of a setcap'd copy did not start: $(cat "$TMP/exec.err")"
	fi
else
	echo "SKIP [setcap]: setcap missing (package libcap2-bin)" >&2
fi

finish
