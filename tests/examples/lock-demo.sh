#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# examples/lock-demo, the crate's example: what it prints is what the
# kernel did. It reports on stdout, which on a FIFO is written only at
# exit; the test fills the FIFO first, so lock-demo waits in that write,
# still holding its lock, while the test reads its /proc (VmLck, smaps)
# and compares. Then under a real privilege drop: refused (exit 1, no
# report, both remedies named), and --best-effort (a warning, exit 0,
# nothing locked).
# Usage: lock-demo.sh LOCK-DEMO
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DEMO=$1
need_root "a lock without limits, and privilege drops"
need_cmd setpriv util-linux
need_cmd prlimit util-linux
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all --)
"${NOBODY[@]}" test -x "$DEMO" || skip "uid 65534 cannot execute $DEMO (build directory not world-readable)"

# held ARGS...: runs "${PREFIX[@]}" lock-demo ARGS with stdout on a full
# FIFO and waits until it blocks writing its report. Sets PID, and ERR
# (its stderr file); release() then reads the report into REPORT and its
# exit status into RC.
PREFIX=() PID='' ERR='' REPORT='' RC='' FIFO=''
held() {
	local fifo=$TMP/report.$RANDOM
	FIFO=$fifo ERR=$fifo.err
	mkfifo "$fifo"
	exec 3<>"$fifo" # a reader and a writer: neither open blocks
	# Full: 4 KiB writes that fail once the pipe holds no more.
	dd if=/dev/zero of="$fifo" bs=4096 count=1024 oflag=nonblock status=none 2>/dev/null
	"${PREFIX[@]}" "$DEMO" "$@" >"$fifo" 2>"$ERR" &
	PID=$!
	on_exit "kill -9 $PID"
	# Blocked in write(2) on fd 1: the report is composed, the lock held.
	poll "$PATIENCE" blocked_or_gone "$PID"
	blocked_writing "$PID" || { show_states "lock-demo did not block writing its report" "$PID"; return 1; }
}
blocked_writing() { # PID: in write(2) on fd 1 (false once it has gone)
	local nr fd
	{ read -r nr fd _ <"/proc/$1/syscall"; } 2>/dev/null && [ "$nr" = 1 ] && [ "$fd" = 0x1 ]
}
release() {
	exec 4<"$FIFO" 3<&-
	REPORT=$(tr -d '\0' <&4)
	exec 4<&-
	wait "$PID"
	RC=$?
	rm -f "$FIFO"
}
blocked_or_gone() { blocked_writing "$1" || ! kill -0 "$1" 2>/dev/null; }
# The report's figures: "is_locked=yes locked_bytes=N (K KB)".
report_bytes() { sed -n 's/^is_locked=[a-z]* locked_bytes=\([0-9]*\) ([0-9]* KB)$/\1/p' <<<"$REPORT"; }
report_kb() { sed -n 's/^is_locked=[a-z]* locked_bytes=[0-9]* (\([0-9]*\) KB)$/\1/p' <<<"$REPORT"; }
# Mappings of PID whose VmFlags have FLAG (lo: locked, lf: lock on fault).
with_flag() { awk -v f="$2" '/^VmFlags:/ { for (i = 2; i <= NF; i++) if ($i == f) n++ } END {print n+0}' "/proc/$1/smaps"; }

for mode in default --onfault --lean; do
	args=()
	[ $mode = default ] || args=("$mode")
	if ! held "${args[@]}"; then
		fail "$mode: lock-demo reported"
		continue
	fi
	vmlck=$(status_kb "$PID" VmLck)
	[ $mode = --lean ] || check_locked "$mode: lock-demo, as it reports," "$PID"
	locked_maps=$(with_flag "$PID" lo)
	onfault_maps=$(with_flag "$PID" lf)
	release
	bytes=$(report_bytes)
	check "$mode: exit 0" equals "$RC" 0
	check "$mode: nothing on stderr" equals "$(cat "$ERR")" ""
	check "$mode: the report says locked" matches "$REPORT" '^Memory locked: locked \('
	check "$mode: is_locked=yes" matches "$REPORT" '^is_locked=yes locked_bytes=[1-9][0-9]* \([0-9]+ KB\)$'
	check "$mode: its KB are its bytes / 1024" equals "$(report_kb)" "$((${bytes:-0} / 1024))"
	# The figure is VmLck read by the process itself just before; nothing
	# is mapped between that read and the exit.
	check "$mode: locked_bytes ($bytes) is VmLck in /proc ($vmlck kB)" equals "${bytes:-0}" "$((${vmlck:-0} * 1024))"
	check "$mode: mappings locked in smaps ($locked_maps)" test "$locked_maps" -gt 0
	case $mode in
	default) check "$mode: lock-on-fault in no mapping" equals "$onfault_maps" 0
		check "$mode: the explanation says current and future pages" matches "$REPORT" 'current and future pages\.' ;;
	--onfault) check "$mode: lock-on-fault in every locked mapping ($onfault_maps)" equals "$onfault_maps" "$locked_maps"
		check "$mode: the explanation says lock-on-fault" contains "$REPORT" "lock-on-fault" ;;
	--lean) check "$mode: the explanation says lean" contains "$REPORT" "lean" ;;
	esac
done

# Required, without the privilege: refused, nothing locked, no report.
run_cmd out rc prlimit --memlock=0:0 -- "${NOBODY[@]}" "$DEMO"
check "no privilege: exit 1" equals "$rc" 1
check "no privilege: says why, as lock-demo" matches "$out" '^lock-demo: '
check "no privilege: no report" lacks "$out" "is_locked="
check "no privilege: names RLIMIT_MEMLOCK" contains "$out" "RLIMIT_MEMLOCK"
check "no privilege: names CAP_IPC_LOCK" contains "$out" "CAP_IPC_LOCK"

# Best effort, without the privilege: a warning, and it goes on unlocked.
PREFIX=(prlimit --memlock=0:0 -- "${NOBODY[@]}")
if held --best-effort; then
	vmlck=$(status_kb "$PID" VmLck)
	locked_maps=$(with_flag "$PID" lo)
	release
	check "best effort, no privilege: exit 0" equals "$RC" 0
	check "best effort, no privilege: warns that it goes on unlocked" \
		matches "$(cat "$ERR")" '^lock-demo: warning: .*continuing without memory lock$'
	check "best effort, no privilege: is_locked=no locked_bytes=0" equals "$REPORT" "is_locked=no locked_bytes=0 (0 KB)"
	check "best effort, no privilege: VmLck 0 in /proc ($vmlck kB)" equals "$vmlck" 0
	check "best effort, no privilege: no mapping locked in smaps" equals "$locked_maps" 0
else
	fail "best effort, no privilege: lock-demo reported"
fi

run_cmd out rc "$DEMO" --no-such-option
check "a bad option: exit 2 with the usage" equals "$rc" 2
check "... which names the options" contains "$out" "[--best-effort] [--onfault] [--lean]"
finish
