#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# duende-mlock guard on the real kernel: loop swap areas over bindfs
# mounts, each served by a bindfs started unlocked. `guard --once` locks the
# first (its /proc says so); a running guard locks a second one after its
# swapon, within a bound, says READY=1 and STATUS= over NOTIFY_SOCKET (a
# path and an abstract name), says a server it cannot lock (traced) once
# however often it looks, locks it once the tracer leaves, finds a new
# server of an area it watches on its rescan and a new worker in a locked
# server's tree, ends with 0 on SIGTERM; guard --once fails an area with
# more servers than the library lists (8), and without CAP_SYS_PTRACE says
# why it finds no server. The swap part holds /tmp/dm-heavy.lock.
# Usage: guard.sh DUENDE-MLOCK ...
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
LOCK_FAILED=120

# --- usage
run_cmd out rc "$DM" guard --interval 0
check "--interval 0 is a usage error" equals "$rc" 64
run_cmd out rc "$DM" guard --interval soon
check "--interval of a word is a usage error" equals "$rc" 64
for bad in 0x10 1e1 " 5" inf 1.2.3 +1; do
	run_cmd out rc "$DM" guard --once --interval "$bad"
	check "--interval '$bad' (not a decimal number) is a usage error" equals "$rc" 64
done
run_cmd out rc "$DM" guard 1234
check "guard takes no PID" equals "$rc" 64
run_cmd out rc "$DM" guard --oom-score-adj 5000
check "--oom-score-adj out of range is a usage error" equals "$rc" 64
run_cmd out rc "$DM" guard --help
check "guard --help says the exit statuses" contains "$out" "$LOCK_FAILED one is not"
check "guard --help says the defaults" contains "$out" "default 1;"

# --- the systemd unit as built (DM_TEST_GUARD_UNIT), its man page as built
UNIT=${DM_TEST_GUARD_UNIT:-}
if [ -z "$UNIT" ]; then
	fail "DM_TEST_GUARD_UNIT is not set (the built duende-mlock-guard.service)"
elif command -v systemd-analyze >/dev/null; then
	mkdir -p "$TMP/units" "$TMP/man/man1"
	sed "s|^ExecStart=[^ ]*duende-mlock |ExecStart=$DM |" "$UNIT" >"$TMP/units/duende-mlock-guard.service"
	ln -s "$DM_TEST_MANS/duende-mlock.1" "$TMP/man/man1/duende-mlock.1"
	run_cmd out rc env SYSTEMD_UNIT_PATH="$TMP/units:" MANPATH="$TMP/man" \
		systemd-analyze verify duende-mlock-guard.service
	check "systemd-analyze verify duende-mlock-guard.service" equals "$rc" 0
	check "... without a complaint" equals "$out" ""
	check "the unit is Type=notify" grep -qx "Type=notify" "$UNIT"
else
	echo "SKIP [unit]: systemd-analyze is missing (package systemd): duende-mlock-guard.service NOT verified" >&2
fi

need_root "swapon, loop devices, tracing bindfs"
need_cmd bindfs bindfs
need_cmd losetup util-linux
need_cmd python3 python3
need_cmd strace strace
[ -e /dev/fuse ] || skip "/dev/fuse missing"

# The swap part creates swap areas: one at a time on this machine.
exec 9>/tmp/dm-heavy.lock
flock -w 900 9 || skip "could not take /tmp/dm-heavy.lock in 900 s"

# mount_swap N: bindfs -f serving $TMP/mntN, a 64 MiB swap file on it,
# attached to a loop device (not yet swapon). Sets srv (the bindfs PID) and
# loop.
mount_swap() {
	local n=$1
	mkdir -p "$TMP/back$n" "$TMP/mnt$n"
	truncate -s 64M "$TMP/back$n/swapimg" && chmod 600 "$TMP/back$n/swapimg" &&
		mkswap -q "$TMP/back$n/swapimg" >/dev/null 2>&1
	bindfs -f "$TMP/back$n" "$TMP/mnt$n" 9>&- &
	srv=$!
	# Registered last-in first-out: swapoff and losetup -d run before the
	# server goes.
	on_exit "kill $srv; sleep 0.2; umount -l '$TMP/mnt$n'"
	wait_until mountpoint -q "$TMP/mnt$n" || { fail "bindfs $n did not mount"; return 1; }
	loop=$(losetup -f --show "$TMP/mnt$n/swapimg" 2>/dev/null)
	[ -n "$loop" ] || { fail "no loop device for $TMP/mnt$n/swapimg"; return 1; }
	on_exit "swapoff '$loop' 2>/dev/null; losetup -d '$loop'"
}

# A datagram receiver on $1 (a path, or @NAME), each message a line of $2.
listen_notify() {
	python3 -c '
import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + a[1:] if a[0] == "@" else a)
open(sys.argv[2] + ".bound", "w").close()
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode(errors="replace") + "\n")
' "$1" "$2" 9>&- &
	on_exit "kill $!"
	wait_for "$2.bound"
}

# fuse_fd_of PID: the number of PID's /dev/fuse descriptor.
fuse_fd_of() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd")" = /dev/fuse ] && { echo "${fd##*/}"; return; }
	done
}

# hold_fd PID FD DIR [N]: in the background, a python3 that takes PID's
# descriptor FD with pidfd_getfd(2) (so that it serves what PID serves),
# forks N children that keep it (they end with it), writes the PIDs to
# DIR/pids and touches DIR/ready; on DIR/fork it forks one more that
# closes it (a worker of its program that does not hold the device) and
# writes its PID to DIR/worker. Sets holder. The descriptor is taken
# whole, so DIR/ready missing after a while means pidfd_getfd is missing.
hold_fd() {
	mkdir -p "$3"
	python3 -c '
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
pidfd = os.pidfd_open(int(sys.argv[1]))
fd = libc.syscall(438, pidfd, int(sys.argv[2]), 0)  # pidfd_getfd
if fd < 0:
    sys.exit("pidfd_getfd: " + os.strerror(ctypes.get_errno()))
def child():
    libc.prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM: it ends with its parent
    while True:
        time.sleep(600)
pids = [os.getpid()]
for _ in range(int(sys.argv[4])):
    pid = os.fork()
    if pid == 0:
        child()
    pids.append(pid)
d = sys.argv[3]
open(d + "/pids", "w").write(" ".join(map(str, pids)) + "\n")
open(d + "/ready", "w").close()
while not os.path.exists(d + "/fork"):
    time.sleep(0.05)
pid = os.fork()
if pid == 0:
    os.close(fd)
    child()
open(d + "/worker", "w").write(str(pid) + "\n")
time.sleep(600)
' "$1" "$2" "$3" "${4:-0}" 9>&- &
	holder=$!
	on_exit "kill $holder"
}

vmlck() { status_kb "$1" VmLck; }
is_locked() { [ "$(vmlck "$1")" -gt 0 ] 2>/dev/null; }
now_ms() { date +%s%3N; }

# --- one pass: guard --once locks the unlocked server
mount_swap 1 || exit 1
srv1=$srv loop1=$loop
swapon "$loop1" 2>/dev/null || skip "swapon $loop1 refused here"
check_unlocked "bindfs 1 serving swap $loop1, before guard" "$srv1"
run_cmd out rc "$DM" guard --once
check "guard --once: exit 0 once the server is locked" equals "$rc" 0
check "... and says what it locked" matches "$out" "^duende-mlock: guard: swap $loop1: process $srv1 \(bindfs\) locked [0-9.]+ [KMG]iB$"
check_locked "bindfs 1 locked by guard --once" "$srv1"
run_cmd out rc "$DM" guard --once
check "guard --once again: exit 0, nothing to do" equals "$rc" 0
check "... and says nothing" equals "$out" ""

# --- a running guard: READY=1, then a second server locked after its swapon
mount_swap 2 || exit 1
srv2=$srv loop2=$loop
check_unlocked "bindfs 2, before its swapon" "$srv2"
listen_notify "$TMP/notify.sock" "$TMP/notify.txt"
NOTIFY_SOCKET=$TMP/notify.sock "$DM" guard --interval 0.2 2>"$TMP/guard.log" 9>&- &
guard=$!
on_exit "kill $guard"
check "READY=1 after the first pass" wait_until grep -qx "READY=1" "$TMP/notify.txt"
check "... with its status" grep -qx "STATUS=1 process(es) locked, 0 failing" "$TMP/notify.txt"
check "the guard locked itself" is_locked "$guard"
t0=$(now_ms)
swapon "$loop2"
poll 5 is_locked "$srv2"
t1=$(now_ms)
check "the running guard locked bindfs 2 within 5 s of its swapon ($((t1 - t0)) ms)" is_locked "$srv2"
check_locked "bindfs 2 locked by the running guard" "$srv2"
check "... said in its log" wait_until grep -qE "^duende-mlock: guard: swap $loop2: process $srv2 \(bindfs\) locked" "$TMP/guard.log"
check "STATUS= says 2 locked" wait_until grep -qx "STATUS=2 process(es) locked, 0 failing" "$TMP/notify.txt"

# --- a server it cannot lock (traced): said once, however often it looks
mount_swap 3 || exit 1
srv3=$srv loop3=$loop
strace -f -o /dev/null -p "$srv3" 2>/dev/null 9>&- &
tracer3=$!
on_exit "kill $tracer3"
traced() { [ "$(status_field "$1" TracerPid)" != 0 ]; }
check "bindfs 3 is traced by strace" wait_until traced "$srv3"
swapon "$loop3"
check "the traced server is said not locked" wait_until grep -qE "swap $loop3: process $srv3 not locked: .*trace" "$TMP/guard.log"
# (strace attaches thread by thread: a first try may meet another reason,
# said on its own line; what counts is that nothing more is said.)
said=$(grep -c "process $srv3 not locked" "$TMP/guard.log")
sleep 1.5 # at least 7 more passes
check "... once, not every interval" equals "$(grep -c "process $srv3 not locked" "$TMP/guard.log")" "$said"
check "STATUS= says 1 failing" wait_until grep -qx "STATUS=2 process(es) locked, 1 failing" "$TMP/notify.txt"
run_cmd out rc "$DM" guard --once
check "guard --once with a server it cannot lock: exit $LOCK_FAILED" equals "$rc" "$LOCK_FAILED"
check "... and why" contains "$out" "process $srv3 not locked"
# strace -p detaches when it ends, leaving bindfs serving.
kill -TERM "$tracer3"
check "once the tracer has left, the guard locks it" poll 10 is_locked "$srv3"
check "... said in its log" wait_until grep -qE "swap $loop3: process $srv3 \(bindfs\) locked" "$TMP/guard.log"

# --- a new process serving an area the guard already watches, with no
# change of /proc/swaps (as the new child of an NBD reconnect): the
# interval's rescan must find and lock it. It holds bindfs 2's FUSE
# connection, taken with pidfd_getfd(2).
hold_fd "$srv2" "$(fuse_fd_of "$srv2")" "$TMP/heir"
heir=$holder
have_getfd=
if poll 10 test -e "$TMP/heir/ready"; then
	have_getfd=1
	check "the rescan locks a new holder of bindfs 2's FUSE connection" poll 5 is_locked "$heir"
	check "... said in its log" wait_until grep -qE "swap $loop2: process $heir \(python[0-9.]*\) locked" "$TMP/guard.log"
	# A worker it forks that does not hold the connection: in its tree,
	# locked by the next pass although its parent was locked already.
	touch "$TMP/heir/fork"
	check "the heir forked a worker" wait_for "$TMP/heir/worker"
	worker=$(cat "$TMP/heir/worker")
	check "... without the FUSE connection" test -z "$(fuse_fd_of "$worker")"
	check "the running guard locks a new worker in a locked server's tree" poll 5 is_locked "$worker"
else
	echo "SKIP [rescan]: pidfd_getfd(2) is not available here (Linux 5.6+)" >&2
fi

# --- SIGTERM ends it with 0
kill -TERM "$guard"
wait "$guard"
check "SIGTERM: exit 0" equals "$?" 0
check "the mounts still serve" test -r "$TMP/mnt2/swapimg"

# --- an abstract NOTIFY_SOCKET name
name="@duende-mlock-test-$$"
listen_notify "$name" "$TMP/notify2.txt"
NOTIFY_SOCKET=$name "$DM" guard 2>"$TMP/guard2.log" 9>&- &
guard=$!
on_exit "kill $guard"
check "READY=1 on an abstract socket" wait_until grep -qx "READY=1" "$TMP/notify2.txt"
kill -INT "$guard"
wait "$guard"
check "SIGINT: exit 0" equals "$?" 0
check "... a guard that found them locked says nothing" equals "$(cat "$TMP/guard2.log")" ""

# --- an area with more servers than the library lists (8): eleven hold
# bindfs 1's connection (bindfs, a holder and its 9 children). guard --once
# locks those listed and fails the area, saying why.
if [ -n "$have_getfd" ]; then
	hold_fd "$srv1" "$(fuse_fd_of "$srv1")" "$TMP/many" 9
	if check "ten processes took bindfs 1's FUSE connection" wait_for "$TMP/many/ready"; then
		many=$(cat "$TMP/many/pids")
		on_exit "kill $many"
		run_cmd out rc "$DM" guard --once
		check "guard --once with 11 servers of an area: exit $LOCK_FAILED" equals "$rc" "$LOCK_FAILED"
		check "... and why, once" equals "$(grep -c "swap $loop1: not every process serving it is locked: 11 processes hold it, and the library lists 8" <<<"$out")" 1
		# shellcheck disable=SC2086 # the PIDs, one word each
		kill_and_wait $many
	fi
else
	echo "SKIP [more than 8 servers]: pidfd_getfd(2) is not available here (Linux 5.6+)" >&2
fi

# --- the capabilities the unit leaves it are enough: a fourth server, locked
# by guard --once with only the unit's CapabilityBoundingSet (those this
# machine's root holds)
if [ -n "$UNIT" ] && command -v setpriv >/dev/null; then
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr '[:upper:]' '[:lower:]' | sed 's/cap_/+/g; s/ /,/g')
	mount_swap 4 || exit 1
	srv4=$srv loop4=$loop
	swapon "$loop4"
	check_unlocked "bindfs 4, before a guard with the unit's capabilities" "$srv4"
	run_cmd out rc setpriv --bounding-set="-all,$caps" --no-new-privs "$DM" guard --once
	check "guard --once with only the unit's capabilities ($caps): exit 0" equals "$rc" 0
	check_locked "bindfs 4 locked by it" "$srv4"
else
	echo "SKIP [unit capabilities]: setpriv (util-linux) is missing" >&2
fi

# --- without CAP_SYS_PTRACE the servers' /proc/PID/fd cannot be read: no
# server is found, and the guard says why and what to do
if command -v setpriv >/dev/null; then
	run_cmd out rc setpriv --inh-caps=-all --bounding-set=-sys_ptrace "$DM" guard --once
	check "guard --once without CAP_SYS_PTRACE: exit $LOCK_FAILED" equals "$rc" "$LOCK_FAILED"
	check "... says it lacks CAP_SYS_PTRACE" contains "$out" "swap $loop1 is served from user space, but its server cannot be found: this guard lacks CAP_SYS_PTRACE"
	check "... and the fix" contains "$out" "Run it as root holding CAP_SYS_PTRACE"
else
	echo "SKIP [no CAP_SYS_PTRACE]: setpriv (util-linux) is missing" >&2
fi

finish
