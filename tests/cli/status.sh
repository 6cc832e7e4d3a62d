#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# duende-mlock status against real processes: figures match their /proc,
# every output format is valid whatever the process names are, writes
# that fail are reported, the per-process metrics operators alert on are
# there, expected daemons are reported even when not locked or not
# running, and bad or vanishing PIDs are reported per PID while the
# others still are.
# Usage: DM_TEST_NAMED=tests/cli/named status.sh DUENDE-MLOCK PRELOAD-LIBRARY
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
NAMED=${DM_TEST_NAMED:?the path of tests/cli/named (meson test sets it)}
need_cmd jq jq
need_cmd iconv libc-bin

lacks_row() { ! grep -qE "^$2 +sleep " <<<"$1"; }
# cell TABLE PID COLUMN WIDTH: the text of PID's row in the right-aligned
# COLUMN of WIDTH characters.
cell() {
	awk -v pid="$2" -v col="$3" -v w="$4" 'NR == 1 {end = index($0, col) + length(col) - 1}
		$1 == pid {c = substr($0, end - w + 1, w); gsub(/^ +| +$/, "", c); print c}' <<<"$1"
}
# The MiB of "12.3 MiB" (0 for a figure below 1 MiB).
mib() { case $1 in *" MiB") echo "${1% MiB}" ;; *" GiB") awk -v g="${1% GiB}" 'BEGIN {print g * 1024}' ;; *) echo 0 ;; esac; }
at_least() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a >= b)}'; }
# Every metric family has its HELP text and its TYPE.
described() {
	local name
	while read -r name; do
		grep -qE "^# HELP $name [^ ]" <<<"$1" || { echo "    $name has no HELP text" >&2; return 1; }
	done < <(sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' <<<"$1")
	[ "$(grep -c '^# TYPE ' <<<"$1")" = "$(grep -c '^# HELP ' <<<"$1")" ]
}
# named VAR ARGS...: starts tests/cli/named, waits until it is set up,
# sets VAR to its PID.
named() {
	local -n _pid=$1
	local fifo=$TMP/ready.$RANDOM
	shift
	mkfifo "$fifo"
	"$NAMED" "$@" >"$fifo" &
	_pid=$!
	on_exit "kill $_pid"
	timeout 10 head -1 "$fifo" >/dev/null
	rm -f "$fifo"
}
# json VAR ARGS...: status --json's stdout alone.
json() {
	local -n _json=$1
	shift
	_json=$(timeout 30 "$DM" status --json "$@" 2>/dev/null)
}
valid_utf8() { iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; }
# Only printable ASCII and newlines: nothing a terminal would act on, and
# one column per byte.
printable_ascii() { ! LC_ALL=C grep -q '[^[:print:]]' <<<"$1"; }
# The table's columns line up as a terminal shows them (tabs expanded, a
# UTF-8 character one column): each row's PINNED field ends where the
# header's does.
aligned() {
	local end
	end=$(head -1 <<<"$1" | awk '{print index($0, "PINNED") + 5}')
	tail -n +2 <<<"$1" | expand | LC_ALL=C.UTF-8 sed 's/[^ ]/X/g' |
		awk -v e="$end" 'substr($0, e, 1) == " " || substr($0, e + 1, 1) != " " {bad = 1} END {exit bad}'
}

"$DM" exec -- sleep 60 &
locked=$!
sleep 60 &
plain=$!
on_exit "kill $locked $plain"
has_locked() { [ "$(status_kb "$1" VmLck)" ] && [ "$(status_kb "$1" VmLck)" -gt 0 ]; }
wait_until has_locked $locked
lck_kb=$(status_kb $locked VmLck)

run_cmd out rc "$DM" status $locked
check "table: exit 0" equals "$rc" 0
check "table: header" contains "$out" "PID      NAME"
check "table: the process's row" matches "$out" "^$locked +sleep "

check "table: leads with what is pinned, then the locked address space" matches "$(head -1 <<<"$out")" "^PID +NAME +PINNED +RSS +PIN% +SWAP +LOCKED-SPACE "

# --- what is pinned, and the locked address space (VmLck), which counts
# reservations never touched (malloc's PROT_NONE arenas) as locked
reserver=''
named reserver --lock --reserve 64 reserver
run_cmd out rc "$DM" status "$reserver"
pinned=$(cell "$out" "$reserver" PINNED 10) space=$(cell "$out" "$reserver" LOCKED-SPACE 12)
check "table: PINNED is what is resident in locked mappings ($pinned), well below 64 MiB" at_least 32 "$(mib "$pinned")"
check "table: LOCKED-SPACE is VmLck ($space), the 64 MiB reserved included" at_least "$(mib "$space")" 64
json out "$reserver"
check "json: locked_address_space_bytes is VmLck" equals "$(jq '.processes[0].locked_address_space_bytes' <<<"$out")" $(($(status_kb "$reserver" VmLck) * 1024))
check "json: locked_bytes, the same figure, kept" equals "$(jq '.processes[0].locked_bytes' <<<"$out")" "$(jq '.processes[0].locked_address_space_bytes' <<<"$out")"
check "json: pinned_bytes leaves the 64 MiB reserved out" test "$(jq '.processes[0].locked_address_space_bytes - .processes[0].pinned_bytes' <<<"$out")" -ge $((64 << 20))
check "json: the verdicts by their library names" equals "$(jq -c '.processes[0].verdicts' <<<"$out")" '["locked"]'
run_cmd out rc "$DM" status --prometheus "$reserver"
check "prometheus: the locked address space" contains "$out" "duende_mlock_locked_address_space_bytes{pid=\"$reserver\",name=\"reserver\"} $(($(status_kb "$reserver" VmLck) * 1024))"
check "prometheus: what is pinned" matches "$out" "^duende_mlock_pinned_bytes\\{pid=\"$reserver\",name=\"reserver\"\\} [0-9]+$"
check "prometheus: VmSize, which locking current pages counts" contains "$out" "duende_mlock_mapped_bytes{pid=\"$reserver\",name=\"reserver\"} $(($(status_kb "$reserver" VmSize) * 1024))"
check "prometheus: every family has HELP text" described "$out"

# --- status and doctor print one report of a process: the same keys, and
# the same figures where they do not move
json out "$reserver"
sjson=$(jq -S '.processes[0] | del(.expect)' <<<"$out")
djson=$(timeout 30 "$DM" doctor --json --pid "$reserver" 2>/dev/null)
check "doctor --json parses" jq -e . <<<"$djson" >/dev/null
check "doctor --json has every key of status --json's process" equals \
	"$(jq -r --argjson d "$djson" 'keys - ($d | keys) | join(" ")' <<<"$sjson")" ""
for key in pid name uid verdicts locked locked_address_space_bytes mapped_bytes memlock_soft memlock_hard headroom_bytes cap_ipc_lock cap_effective threads mappings serves; do
	check "... and the same $key" equals "$(jq -cS --arg k "$key" '.[$k]' <<<"$djson")" "$(jq -cS --arg k "$key" '.[$k]' <<<"$sjson")"
done

run_cmd out rc "$DM" status $plain
check "table: an unlocked process is noted as not locked (not 'partly')" matches "$(grep "^$plain " <<<"$out")" "not locked *$"

run_cmd out rc "$DM" status --json $locked $plain
check "json parses" jq -e . <<<"$out" >/dev/null
check "json: locked_bytes is VmLck" equals "$(jq '.processes[0].locked_bytes' <<<"$out")" $((lck_kb * 1024))
check "json: pinned bytes counted from smaps" test "$(jq '.processes[0].pinned_bytes' <<<"$out")" -gt 0
check "json: locked mappings counted" test "$(jq '.processes[0].mappings.locked' <<<"$out")" -gt 10
check "json: no accessible mapping unlocked" equals "$(jq '.processes[0].mappings.unlocked_other' <<<"$out")" 0
check "json: the locked process is judged locked" equals "$(jq '.processes[0].locked' <<<"$out")" true
check "json: unlocked process has 0 locked" equals "$(jq '.processes[1].locked_bytes' <<<"$out")" 0
check "json: ... and is judged not locked" equals "$(jq '.processes[1].locked' <<<"$out")" false
check "json: memlock limit read" test "$(jq '.processes[0].memlock_soft' <<<"$out")" != null

run_cmd out rc "$DM" status --prometheus $locked
check "prometheus: locked bytes sample" contains "$out" "duende_mlock_locked_bytes{pid=\"$locked\",name=\"sleep\"} $((lck_kb * 1024))"
check "prometheus: locked verdict" contains "$out" "duende_mlock_locked{pid=\"$locked\",name=\"sleep\"} 1"
check "prometheus: report_ok" contains "$out" "duende_mlock_report_ok{pid=\"$locked\"} 1"
if command -v promtool >/dev/null; then
	check "prometheus: promtool check metrics accepts it" promtool check metrics <<<"$(grep -v '^$' <<<"$out")"
else
	echo "SKIP [promtool]: promtool is missing (package prometheus)" >&2
fi

run_cmd out rc "$DM" status
check "no PID: lists the locked process" matches "$out" "^$locked +sleep "
check "no PID: leaves out unlocked ones" lacks_row "$out" "$plain"

# --- names any user can choose (PR_SET_NAME) reach root's scan
esc='' tab='' utf='' bad='' raw='' bsl='' lead='' bidi='' c1='' multi='' plainnamed=''
named esc --lock '\x1b[2J\x1b[31mPWNED'
named tab --lock 'a\x09b'
named utf --lock '\xe2\x9c\x93ok'
named bad --lock 'cut\xe2\x9c'
named raw --lock '\xff\xfe'
named bsl --lock 'back\slash'
named lead --lock '  lead'
named bidi --lock 'a\xe2\x80\xaegpj.exe'
named c1 --lock 'c1\xc2\x9b2J'
all="$esc $tab $utf $bad $raw $bsl $lead $bidi $c1"
# shellcheck disable=SC2086
run_cmd out rc "$DM" status $all
check "hostile names: no escape sequence reaches the terminal" printable_ascii "$out"
check "... shown with C escapes" contains "$out" '\e[2J\e[31mPWNED'
check "... a tab shown as \\t" contains "$out" 'a\tb'
check "... the columns stay aligned" aligned "$(grep -v '^duende-mlock:' <<<"$out")"
# shellcheck disable=SC2086
out=$(timeout 30 "$DM" status --json $all 2>/dev/null)
check "json with hostile names is valid UTF-8" valid_utf8 <<<"$out"
check "... and parses" jq -e . <<<"$out" >/dev/null
jname() { jq -r --argjson p "$1" '.processes[] | select(.pid == $p) | .name' <<<"$out"; }
check "json: a backslash is the name's own, escaped once" equals "$(jname "$bsl")" 'back\slash'
check "json: leading blanks are kept (the real comm)" equals "$(jname "$lead")" '  lead'
check "json: valid UTF-8 passes" equals "$(jname "$utf")" '✓ok'
check "json: a cut character becomes \\xNN text" equals "$(jname "$bad")" 'cut\xe2\x9c'
check "json: control characters are JSON escapes" equals "$(jname "$esc")" $'\e[2J\e[31mPWNED'
check "json: a right-to-left override becomes \\uXXXX text" equals "$(jname "$bidi")" 'a\u202egpj.exe'
check "json: a C1 control (CSI) becomes \\uXXXX text" equals "$(jname "$c1")" 'c1\u009b2J'
# shellcheck disable=SC2086
out=$(timeout 30 "$DM" status --prometheus $all 2>/dev/null)
check "prometheus with hostile names is valid UTF-8" valid_utf8 <<<"$out"
check "prometheus: backslash escaped once, as the format says" contains "$out" "name=\"back\\\\slash\"}"
check "prometheus: bytes that are not UTF-8 as \\xNN text" contains "$out" 'name="\\xff\\xfe"}'
check "prometheus: control characters as \\xNN text" contains "$out" 'name="\\x1b[2J\\x1b[31mPWNED"}'
check "prometheus: a right-to-left override as \\uXXXX text" contains "$out" 'name="a\\u202egpj.exe"}'
if command -v promtool >/dev/null; then
	check "prometheus: promtool accepts the hostile names" promtool check metrics <<<"$out"
fi

# --- a PID named twice is reported once
run_cmd out rc "$DM" status --prometheus $locked $locked
check "repeated PID: no duplicate series" equals "$(grep -v '^#' <<<"$out" | sort | uniq -d)" ""
run_cmd out rc "$DM" status --json $locked $locked
check "repeated PID: one JSON entry" equals "$(jq '.processes | length' <<<"$out")" 1

# --- write errors are errors; --output replaces the file atomically
if [ -w /dev/full ]; then
	timeout 30 "$DM" status --json $locked >/dev/full 2>"$TMP/err"
	check "stdout on a full disk: exit 74" equals "$?" 74
	check "... saying so" contains "$(cat "$TMP/err")" "No space left on device"
fi
# A reader that goes away is a write error too, not a death by SIGPIPE.
for args in "status --prometheus" "doctor" "--help" "status --help"; do
	# shellcheck disable=SC2086 # the arguments are words
	rc=$( { (sleep 0.3; timeout 30 "$DM" $args 2>/dev/null; echo $? >&3) | true; } 3>&1)
	check "$args into a closed pipe: exit 74" equals "$rc" 74
	if [ -w /dev/full ]; then
		# shellcheck disable=SC2086
		timeout 30 "$DM" $args >/dev/full 2>/dev/null
		check "$args onto a full disk: exit 74" equals "$?" 74
	fi
done
mkdir -p "$TMP/textfile"
run_cmd out rc "$DM" status --prometheus --output "$TMP/textfile/duende.prom" $locked
check "--output: exit 0" equals "$rc" 0
check "--output: the file holds the metrics" grep -q "duende_mlock_locked_bytes{pid=\"$locked\"" "$TMP/textfile/duende.prom"
check "--output: readable by the collector (0644)" equals "$(stat -c %a "$TMP/textfile/duende.prom")" 644
check "--output: no temporary file left" equals "$(find "$TMP/textfile" -type f | wc -l)" 1
# Renaming over anything but a regular file would replace the node itself
# (--output /dev/null once left a regular file in /dev).
mkfifo "$TMP/textfile/fifo"
ln -s duende.prom "$TMP/textfile/link.prom"
ln -s nowhere "$TMP/textfile/dangling"
for target in fifo "" dangling; do
	run_cmd out rc "$DM" status --prometheus --output "$TMP/textfile/$target" $locked
	check "--output on '$target' (not a regular file): usage error 64" equals "$rc" 64
	check "... saying why" contains "$out" "replaces a regular file"
done
check "... the FIFO is still a FIFO" test -p "$TMP/textfile/fifo"
if [ "$(id -u)" = 0 ] && mknod -m 666 "$TMP/textfile/null" c 1 3 2>/dev/null; then
	run_cmd out rc "$DM" status --prometheus --output "$TMP/textfile/null" $locked
	check "--output on a device node: usage error 64" equals "$rc" 64
	check "... the device node is still one" test -c "$TMP/textfile/null"
	rm -f "$TMP/textfile/null"
else
	echo "SKIP [--output on a device node]: cannot make one here (needs root)" >&2
fi
run_cmd out rc "$DM" status --prometheus --output "$TMP/textfile/link.prom" $locked
check "--output through a symbolic link: exit 0" equals "$rc" 0
check "... the link stays a link" test -L "$TMP/textfile/link.prom"
check "... and the file it names is replaced" grep -q "duende_mlock_locked_bytes{pid=\"$locked\"" "$TMP/textfile/duende.prom"
rm -f "$TMP/textfile/fifo" "$TMP/textfile/link.prom" "$TMP/textfile/dangling"
if [ "$(id -u)" = 0 ] && mkdir -p "$TMP/small" && mount -t tmpfs -o size=64k tmpfs "$TMP/small" 2>/dev/null; then
	on_exit "umount '$TMP/small'"
	echo "old" >"$TMP/small/duende.prom"
	dd if=/dev/zero of="$TMP/small/filler" bs=4k count=64 2>/dev/null
	run_cmd out rc "$DM" status --prometheus --output "$TMP/small/duende.prom" $locked
	check "--output on a full disk: exit 74" equals "$rc" 74
	check "... the old file stays whole" equals "$(cat "$TMP/small/duende.prom")" old
	check "... and no temporary file is left" equals "$(find "$TMP/small" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" "duende.prom filler "
else
	echo "SKIP [--output on a full disk]: cannot mount a small tmpfs (needs root)" >&2
fi

# --- a spec that cannot be read is that daemon's error, not the report's
run_cmd out rc "$DM" status --prometheus --expect pidfile:/etc/passwd $locked
check "--expect pidfile:/etc/passwd (no pidfile): exit 1, not an internal error" equals "$rc" 1
check "... saying why" contains "$out" "cannot be read (the file is larger than expected"
check "... and still reporting the rest" contains "$out" "duende_mlock_locked_bytes{pid=\"$locked\""
mkfifo "$TMP/fifo-pidfile"
run_cmd out rc "$DM" status --prometheus --expect "pidfile:$TMP/fifo-pidfile" $locked
check "--expect pidfile:FIFO returns (exit 1, not running) rather than waiting for a writer" equals "$rc" 1
rm -f "$TMP/fifo-pidfile"

# --- the metrics operators alert on
named multi --lock --threads 2 --blocked 2 --oom 300 multi
json out "$multi"
check "threads counted (main, 2 idle, 2 blocked)" equals "$(jq '.processes[0].threads' <<<"$out")" 5
check "threads in D state counted" equals "$(jq '.processes[0].blocked_threads' <<<"$out")" 2
check "oom_score_adj read" equals "$(jq '.processes[0].oom_score_adj' <<<"$out")" 300
check "IO_FLUSHER: on no thread here (no CAP_SYS_RESOURCE needed to read it)" equals "$(jq '.processes[0].io_flusher_threads' <<<"$out")" 0
check "major faults read" test "$(jq '.processes[0].major_faults' <<<"$out")" -ge 0
run_cmd out rc "$DM" status --prometheus "$multi"
check "prometheus: threads_blocked" contains "$out" "duende_mlock_threads_blocked{pid=\"$multi\",name=\"multi\"} 2"
check "prometheus: oom_score_adj" contains "$out" "duende_mlock_oom_score_adj{pid=\"$multi\",name=\"multi\"} 300"
check "prometheus: io_flusher (every thread)" contains "$out" "duende_mlock_io_flusher{pid=\"$multi\",name=\"multi\"} 0"
check "prometheus: major faults as a counter" contains "$out" "# TYPE duende_mlock_major_faults_total counter"
check "prometheus: responding" contains "$out" "duende_mlock_responding{pid=\"$multi\",name=\"multi\"} 1"

# --- expected daemons: not locked and not running are reported as such
named plainnamed plaindaemon
echo "$plainnamed" >"$TMP/plain.pid"
out=$(timeout 30 "$DM" status --prometheus --expect name:plaindaemon --expect "pidfile:$TMP/plain.pid" \
	--expect name:nosuchdaemon --expect "pidfile:$TMP/missing.pid" --expect name:multi 2>/dev/null)
rc=$?
check "expected, running, not locked: locked 0" contains "$out" "duende_mlock_locked{pid=\"$plainnamed\",name=\"plaindaemon\",expect=\"name:plaindaemon\"} 0"
check "expected, not running: locked 0" contains "$out" 'duende_mlock_locked{expect="name:nosuchdaemon"} 0'
check "expected, not running: no processes" contains "$out" 'duende_mlock_expected_processes{expect="name:nosuchdaemon"} 0'
check "expected by a pidfile that is missing: not running" contains "$out" "duende_mlock_expected_processes{expect=\"pidfile:$TMP/missing.pid\"} 0"
check "expected by pidfile: found" contains "$out" "duende_mlock_expected_processes{expect=\"pidfile:$TMP/plain.pid\"} 1"
check "expected and locked: locked 1" contains "$out" "duende_mlock_locked{pid=\"$multi\",name=\"multi\",expect=\"name:multi\"} 1"
check "expected: exit 1 while one is not locked" equals "$rc" 1
if command -v promtool >/dev/null; then
	check "expected: promtool accepts the mixed label sets" promtool check metrics <<<"$out"
fi
run_cmd out rc "$DM" status --expect name:nosuchdaemon $locked
check "table: an expected daemon that does not run has its row" contains "$out" "expected name:nosuchdaemon: NOT RUNNING"
json out --expect name:multi --expect-io-flusher name:multi "$multi"
check "--expect-io-flusher: IO_FLUSHER missing makes it not as expected" equals "$(jq '[.expected[] | .locked] | sort' -c <<<"$out")" '[false,true]'
run_cmd out rc "$DM" status --expect-io-flusher name:multi "$multi"
check "table: IO_FLUSHER missing is shown" contains "$out" "IO_FLUSHER MISSING"
cg=
for root in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
	if [ "$(id -u)" = 0 ] && [ -f $root/cgroup.procs ] && mkdir "$root/duende-status-$$.service" 2>/dev/null; then
		cg=$root/duende-status-$$.service
		break
	fi
done
if [ -n "$cg" ]; then
	on_exit "rmdir '$cg'"
	echo "$multi" >"$cg/cgroup.procs"
	on_exit "echo $multi > '${cg%/*}/cgroup.procs'"
	json out --expect "unit:duende-status-$$.service" --expect "cgroup:/duende-status-$$.service"
	check "expected by systemd unit (cgroup component)" equals "$(jq -c '[.expected[] | .processes]' <<<"$out")" '[1,1]'
	check "... the process is reported under it" equals "$(jq --argjson p "$multi" '.processes[] | select(.pid == $p) | .expect' <<<"$out")" "\"unit:duende-status-$$.service\""
else
	echo "SKIP [--expect unit: and cgroup:]: no writable cgroup hierarchy here (needs root)" >&2
fi
for spec in bogus name: pidfile:relative unit:noextension unit:a/b.service cgroup:relative; do
	run_cmd out rc "$DM" status --expect "$spec"
	check "--expect '$spec': usage error" equals "$rc" 64
done

# --- errors per PID; the others are still reported
run_cmd out rc "$DM" status 2147483646 $locked
check "missing PID: exit 1" equals "$rc" 1
check "missing PID: per-PID error" contains "$out" "PID 2147483646: no such process"
check "missing PID: the others still reported" matches "$out" "^$locked +sleep "
out=$(timeout 30 "$DM" status --json 2147483646 2>/dev/null)
check "missing PID in json: an error object" equals "$(jq -r '.processes[0].error' <<<"$out" 2>/dev/null | head -1)" "no such process"
run_cmd out rc "$DM" status 2
check "kernel thread: no user memory, not an error" contains "$out" "no user memory"
check "... exit 0" equals "$rc" 0

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	run_cmd out rc setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all -- "$DM" status $locked
	check "another user's process: exit 1" equals "$rc" 1
	check "another user's process: says what is missing" contains "$out" "smaps unreadable"
	check "another user's process: what can be read is shown" matches "$out" "^$locked +sleep "
fi

# processes that exit while being read: never a crash, a hang or a wrong row
bad=0
for _ in $(seq 40); do
	sleep 0.0$((RANDOM % 5)) &
	p=$!
	out=$(timeout 10 "$DM" status --json $p 2>&1)
	rc=$?
	if [ $rc -gt 1 ]; then bad=$((bad + 1)); echo "    rc=$rc: $out" >&2; fi
	if [ $rc = 1 ] && ! grep -q "no such process" <<<"$out"; then bad=$((bad + 1)); echo "    $out" >&2; fi
	wait $p 2>/dev/null
done
check "vanishing processes: only reports or per-PID errors" equals "$bad" 0

for args in "abc" "0" "-5" "--json --prometheus 1" "--bogus" "12x" "--output"; do
	# shellcheck disable=SC2086
	run_cmd out rc "$DM" status $args
	check "usage error for '$args' exits 64" equals "$rc" 64
	check "... with a usage line" contains "$out" "usage: duende-mlock status"
done
# --- whether a guard runs, found with no configuration: a process whose
# comm and argv[0] are duende-mlock and whose argv[1] is guard (here tee,
# blocked reading a FIFO, under that name).
gauge() { timeout 30 "$DM" status --prometheus "$locked" 2>/dev/null | awk '$1 == "duende_mlock_guard_running" {print $2}'; }
if [ "$(gauge)" = 0 ]; then
	mkdir -p "$TMP/guardbin" && ln -s "$(command -v tee)" "$TMP/guardbin/duende-mlock" && mkfifo "$TMP/guardfifo"
	(cd "$TMP" && exec "$TMP/guardbin/duende-mlock" guard <>"$TMP/guardfifo" >/dev/null) & gpid=$!
	on_exit "kill $gpid"
	wait_until grep -qx duende-mlock "/proc/$gpid/comm"
	check "a running guard: duende_mlock_guard_running 1" equals "$(gauge)" 1
	check "... and in --json" equals "$(timeout 30 "$DM" status --json "$locked" 2>/dev/null | jq .guard_running)" true
	kill $gpid
else
	echo "SKIP [guard gauge]: a duende-mlock guard already runs on this host" >&2
fi
finish
