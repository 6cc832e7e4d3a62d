#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# DT-007 on the real kernel: a FUSE daemon serves the file behind a loop
# device that is the system's preferred swap; a process in a memory-limited
# cgroup forces swapping while the daemon's own pages are pushed out. An
# unlocked daemon deadlocks (and this suite must see it); a locked one must
# not. The host is recovered on every path out, and the suite checks that
# nothing of it is left.
#
# Usage: dt007.sh --dm DUENDE-MLOCK --preload SHIM --blockd BLOCKD --pressure PRESSURE
#                 [--runs N] [--cases "unlocked exec blockd shared-cgroup"] [--table FILE]
# Exit: 0 every expectation held, 1 not, 77 the host cannot run the rig.
set -u

RUNS=1
CASES="unlocked exec blockd shared-cgroup"
TABLE=
DM='' PRELOAD='' BLOCKD='' PRESSURE=''
while [ $# -gt 0 ]; do
	case $1 in
	--dm) DM=$2; shift ;;
	--preload) PRELOAD=$2; shift ;;
	--blockd) BLOCKD=$2; shift ;;
	--pressure) PRESSURE=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--cases) CASES=$2; shift ;;
	--table) TABLE=$2; shift ;;
	*) echo "dt007: unknown argument '$1'" >&2; exit 64 ;;
	esac
	shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "dt007: --runs takes a positive number" >&2; exit 64; }
for v in DM PRELOAD BLOCKD PRESSURE; do
	[ -n "${!v}" ] || { echo "dt007: --${v,,} is required" >&2; exit 64; }
done
export DUENDE_MLOCK_PRELOAD=$PRELOAD

# Rig parameters, as in shared/DT007.md.
SWAP_MIB=256
LIMIT_MIB=40
PRESSURE_MIB=120
PASSES=3
CASE_TIMEOUT=90 # seconds for the pressure to finish
STALL_SECONDS=8 # no swap I/O while a task sits in D: hung

log() { echo "[dt007 $(date +%T)] $*" >&2; }
skip() { echo "SKIP: $*" >&2; exit 77; }

# ---- can this host run it? ----
[ "$(id -u)" = 0 ] || skip "needs root (loop devices, swapon, cgroups)"
[ -e /dev/fuse ] || skip "no /dev/fuse"
[ -e /dev/loop-control ] || skip "no loop device support (/dev/loop-control)"
[ -r /proc/swaps ] || skip "kernel without swap support (/proc/swaps)"
for c in bindfs losetup mkswap swapon swapoff fusermount3; do
	command -v $c >/dev/null || skip "$c is missing (packages bindfs, fuse3, util-linux, mount)"
done
for f in "$DM" "$PRELOAD" "$BLOCKD" "$PRESSURE"; do [ -e "$f" ] || skip "$f was not built"; done
if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
	CGV=1 CGROOT=/sys/fs/cgroup/memory
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	CGV=2 CGROOT=/sys/fs/cgroup
	grep -qw memory $CGROOT/cgroup.subtree_control || echo +memory >$CGROOT/cgroup.subtree_control ||
		skip "cannot enable the memory controller for child cgroups"
else
	skip "no memory cgroup (v1 or v2) to confine the pressure"
fi
mountpoint -q /sys/fs/fuse/connections || mount -t fusectl none /sys/fs/fuse/connections 2>/dev/null ||
	skip "cannot mount fusectl (needed to recover a hung FUSE daemon)"

WORK=$(mktemp -d /tmp/dt007.XXXXXX)
chmod 755 "$WORK"
# How the suite names what it creates, so it can find leftovers.
TAG="dt007-$$"

# ---- helpers that never wait on a hung task ----

# bounded SECONDS CMD...: runs CMD, gives up (status 124) after SECONDS
# without waiting for it: a task stuck in D state cannot be killed.
bounded() {
	local t=$1 i pid
	shift
	"$@" &
	pid=$!
	for ((i = 0; i < t * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			return
		fi
		sleep 0.1
	done
	return 124
}
write_file() { bounded "${3:-5}" sh -c 'echo "$1" >"$2"' sh "$1" "$2" 2>/dev/null; }
state_of() { sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null; }
majflt_of() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $10}'; }
swap_io() { awk '$1 == "pswpin" || $1 == "pswpout" {s += $2} END {print s + 0}' /proc/vmstat; }
swap_used_kib() { awk -v d="$1" '$1 == d {print $4}' /proc/swaps; }
any_d_state() { # PID...: every thread of each
	local p t
	for p in "$@"; do
		for t in /proc/"$p"/task/*; do
			[ "$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "$t/stat" 2>/dev/null)" = D ] && return 0
		done
	done
	return 1
}
log_stacks() { # PID...: the kernel stack of every task in D
	local p t
	for p in "$@"; do
		for t in /proc/"$p"/task/*; do
			[ "$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "$t/stat" 2>/dev/null)" = D ] || continue
			log "task ${t##*/} ($(cat "$t/comm" 2>/dev/null)) in D:"
			sed 's/^/        /' "$t/stack" >&2 2>/dev/null
		done
	done
}

cg_create() { mkdir "$CGROOT/$TAG-$1" && echo "$CGROOT/$TAG-$1"; }
cg_limit() {
	if [ $CGV = 1 ]; then write_file "$2" "$1/memory.limit_in_bytes"; else write_file "$2" "$1/memory.max"; fi
}
cg_reclaim() {
	if [ $CGV = 1 ]; then write_file 0 "$1/memory.force_empty" 10; else write_file 1G "$1/memory.reclaim" 10; fi
}
cg_remove() {
	local d=$1 p
	[ -d "$d" ] || return 0
	while read -r p; do write_file "$p" "$CGROOT/cgroup.procs"; done <"$d/cgroup.procs" 2>/dev/null
	bounded 10 rmdir "$d" 2>/dev/null
}
# "${IN_CGROUP[@]}" DIR CMD...: CMD inside the cgroup, charged from its
# start. Not a function: started with &, $! must be CMD's own PID.
IN_CGROUP=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"')

# ---- one run ----
RUN_DIR='' DPID='' PPRESS='' RECLAIM='' LOOP='' CONN='' CG_D='' CG_P=''

recover() {
	local ok=1 i p alive
	[ -n "$PPRESS" ] && kill -9 "$PPRESS" 2>/dev/null
	[ -n "$RECLAIM" ] && kill -9 "$RECLAIM" 2>/dev/null
	if [ -n "$CONN" ] && [ -e "/sys/fs/fuse/connections/$CONN/abort" ]; then
		write_file 1 "/sys/fs/fuse/connections/$CONN/abort"
	fi
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	[ -n "$RUN_DIR" ] && pkill -9 -f "$RUN_DIR/mnt" 2>/dev/null
	if [ -n "$LOOP" ]; then
		for i in 1 2 3 4 5; do
			grep -q "^$LOOP " /proc/swaps || break
			bounded 20 swapoff "$LOOP" 2>/dev/null && break
			sleep 1
		done
		for i in 1 2 3; do
			losetup "$LOOP" >/dev/null 2>&1 || break
			bounded 10 losetup -d "$LOOP" 2>/dev/null
			sleep 0.5
		done
	fi
	if [ -n "$RUN_DIR" ] && grep -q " $RUN_DIR/mnt " /proc/self/mountinfo; then
		bounded 10 fusermount3 -u -z "$RUN_DIR/mnt" 2>/dev/null || bounded 10 umount -l "$RUN_DIR/mnt" 2>/dev/null
	fi
	for i in $(seq 20); do # let the killed tasks go before their cgroups
		alive=0
		for p in $DPID $PPRESS; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.25
	done
	cg_remove "$CG_P"
	cg_remove "$CG_D"
	# What is left, checked by the suite itself.
	if [ -n "$LOOP" ] && grep -q "^$LOOP " /proc/swaps; then log "LEFT: $LOOP still swap"; ok=0; fi
	if [ -n "$LOOP" ] && losetup "$LOOP" 2>/dev/null | grep -q "$RUN_DIR"; then log "LEFT: $LOOP attached"; ok=0; fi
	if [ -n "$RUN_DIR" ] && grep -q " $RUN_DIR/mnt " /proc/self/mountinfo; then log "LEFT: FUSE mount"; ok=0; fi
	for d in "$CG_P" "$CG_D"; do [ -n "$d" ] && [ -d "$d" ] && { log "LEFT: cgroup $d"; ok=0; }; done
	RUN_DIR='' DPID='' PPRESS='' RECLAIM='' LOOP='' CONN='' CG_D='' CG_P=''
	[ $ok = 1 ]
}

on_signal() {
	log "interrupted: recovering the host"
	recover
	rm -rf "$WORK"
	exit 130
}
trap on_signal INT TERM
trap 'recover >/dev/null 2>&1; rm -rf "$WORK"' EXIT

# start_daemon CASE: sets DPID and IMG
start_daemon() {
	local back=$RUN_DIR/back mnt=$RUN_DIR/mnt cg=$CG_D
	[ "$1" = shared-cgroup ] && cg=$CG_P
	case $1 in
	unlocked)
		"${IN_CGROUP[@]}" "$cg" bindfs -f "$back" "$mnt" >>"$RUN_DIR/daemon.err" 2>&1 &
		IMG=$mnt/swapimg ;;
	exec | shared-cgroup)
		"${IN_CGROUP[@]}" "$cg" "$DM" exec -- bindfs -f "$back" "$mnt" >>"$RUN_DIR/daemon.err" 2>&1 &
		IMG=$mnt/swapimg ;;
	blockd)
		"${IN_CGROUP[@]}" "$cg" "$BLOCKD" --harden --backing "$back/swapimg" "$mnt" >>"$RUN_DIR/daemon.err" 2>&1 &
		IMG=$mnt/disk ;;
	esac
	DPID=$!
}

setup_failed() { # CASE N: recovers in this shell, so its state is cleared
	local recovered=no
	recover && recovered=yes
	LINE="$1 $2 setup-failed - - - $recovered"
}

# run_case CASE N: sets LINE to "case run result seconds majflt peak_kib recovered".
# It runs in the suite's own shell so that an interruption can recover it.
run_case() {
	local case=$1 n=$2 t0 result=finished elapsed=- maj0 maj1 majd=- peak=0 stall=0 io io_last
	RUN_DIR=$WORK/$case-$n
	mkdir -p "$RUN_DIR/back" "$RUN_DIR/mnt"
	truncate -s ${SWAP_MIB}M "$RUN_DIR/back/swapimg" && chmod 600 "$RUN_DIR/back/swapimg"
	mkswap -q "$RUN_DIR/back/swapimg" >/dev/null 2>&1 || {
		log "mkswap failed"
		LINE="$case $n setup-failed - - - yes"
		return
	}
	if ! CG_D=$(cg_create "daemon-$case-$n") || ! CG_P=$(cg_create "pressure-$case-$n"); then
		log "cannot create cgroups"
		setup_failed "$case" "$n"
		return
	fi
	cg_limit "$CG_P" $((LIMIT_MIB << 20))

	start_daemon "$case"
	local i
	for i in $(seq 100); do grep -q " $RUN_DIR/mnt " /proc/self/mountinfo && break; sleep 0.1; done
	CONN=$(awk -v m="$RUN_DIR/mnt" '$5 == m {split($3, d, ":"); print d[2]}' /proc/self/mountinfo)
	if [ -z "$CONN" ]; then
		log "$case: daemon did not mount: $(cat "$RUN_DIR/daemon.err")"
		setup_failed "$case" "$n"
		return
	fi
	LOOP=$(bounded 10 losetup -f --show "$IMG" 2>/dev/null)
	if [ -z "$LOOP" ] || ! bounded 10 swapon -p 100 "$LOOP"; then
		log "$case: cannot attach or swap on $IMG"
		setup_failed "$case" "$n"
		return
	fi

	# Push the daemon's pages out now and then, as reclaim would.
	(while :; do cg_reclaim "$CG_D"; sleep 0.5; done) </dev/null >/dev/null 2>&1 &
	RECLAIM=$!
	maj0=$(majflt_of "$DPID")
	t0=$(date +%s.%N)
	"${IN_CGROUP[@]}" "$CG_P" "$PRESSURE" $PRESSURE_MIB $PASSES </dev/null >"$RUN_DIR/pressure.out" 2>&1 &
	PPRESS=$!
	if [ "$case" = shared-cgroup ]; then
		# Now that the pressure shares the daemon's cgroup; bounded, since
		# reading a hung daemon's /proc can block.
		sleep 0.3
		bounded 10 "$DM" doctor --pid "$DPID" >"$WORK/doctor-shared-$n.out" 2>&1
	fi
	io_last=$(swap_io)
	for ((i = 0; i < CASE_TIMEOUT; i++)); do
		sleep 1
		local used
		used=$(swap_used_kib "$LOOP")
		[ "${used:-0}" -gt "$peak" ] && peak=$used
		if ! kill -0 "$PPRESS" 2>/dev/null; then
			wait "$PPRESS"
			local prc=$?
			elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}')
			[ $prc = 0 ] || result="pressure-failed($prc)"
			break
		fi
		if ! kill -0 "$DPID" 2>/dev/null; then
			result=daemon-died
			break
		fi
		# Hung: tasks in D while swap I/O no longer moves (a trickle of a
		# few pages, as the stuck tasks retry, does not count as moving).
		io=$(swap_io)
		if any_d_state "$DPID" "$PPRESS" && [ $((io - io_last)) -lt 64 ]; then
			stall=$((stall + 1))
		else
			stall=0
			io_last=$io
		fi
		if [ -n "${DT007_DEBUG:-}" ]; then
			log "t=$i io=$io used=${used}KiB daemon=$(state_of "$DPID") pressure=$(state_of "$PPRESS") stall=$stall"
		fi
		if [ $stall -ge $STALL_SECONDS ]; then
			result=hung
			log "$case run $n: HUNG: no swap I/O for ${STALL_SECONDS}s with tasks in D state"
			log_stacks "$DPID" "$PPRESS"
			# -- status against the really hung processes, before recovery --
			[ "$case" = unlocked ] && { "$(dirname "$0")/status-hung.sh" "$DM" "$DPID" "$PPRESS" || STATUS_HUNG_FAILED=1; }
			# --
			break
		fi
	done
	[ $i -ge $CASE_TIMEOUT ] && result=timeout
	maj1=$(majflt_of "$DPID")
	[ -n "$maj0" ] && [ -n "$maj1" ] && majd=$((maj1 - maj0))
	local recovered=no
	recover && recovered=yes
	LINE="$case $n $result $elapsed $majd $peak $recovered"
}

# ---- the suite ----
RESULTS=$WORK/results
: >"$RESULTS"
log "cgroup v$CGV, $RUNS run(s) of: $CASES"
for ((n = 1; n <= RUNS; n++)); do
	for case in $CASES; do
		LINE=
		run_case "$case" "$n"
		log "$LINE"
		echo "$LINE" >>"$RESULTS"
	done
done

# ---- the table and the verdict ----
median() { sort -n | awk '{v[NR] = $1} END {if (!NR) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
table() {
	echo "| case | runs | hangs | recoveries | median time to finish (s) | daemon major faults (max) | peak swap used (MiB) |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for case in $CASES; do
		med=$(awk -v c="$case" '$1 == c && $4 != "-" {print $4}' "$RESULTS" | median)
		awk -v c="$case" -v med="$med" '
		$1 == c {
			runs++
			if ($3 == "hung" || $3 == "timeout") hangs++
			if ($7 == "yes") rec++
			if ($5 != "-" && $5 + 0 > maj) maj = $5 + 0
			if ($6 + 0 > peak) peak = $6 + 0
		}
		END { printf "| %s | %d | %d | %d | %s | %d | %.1f |\n", c, runs, hangs, rec, med, maj, peak / 1024 }' "$RESULTS"
	done
}
table | tee "${TABLE:-/dev/null}"

fails=0
expect() { if eval "$2"; then echo "ok   $1"; else echo "FAIL: $1" >&2; fails=$((fails + 1)); fi; }
count() { awk -v c="$1" -v r="$2" '$1 == c && $3 ~ r' "$RESULTS" | wc -l; }
total() { awk -v c="$1" '$1 == c' "$RESULTS" | wc -l; }
expect "the host was recovered after every run" "[ \$(awk '\$7 != \"yes\"' '$RESULTS' | wc -l) = 0 ]"
for case in $CASES; do
	runs=$(total "$case")
	case $case in
	unlocked)
		hangs=$(count unlocked '^(hung|timeout)$')
		# The proof that the rig can fail: at least 19 of 20, all of one.
		need=$(( runs >= 20 ? runs - 1 : runs ))
		expect "unlocked daemon: deadlock detected in $hangs of $runs (need $need)" "[ $hangs -ge $need ]"
		expect "status stays bounded and valid against the hung daemon (status-hung.sh)" "[ ${STATUS_HUNG_FAILED:-0} = 0 ]" ;;
	exec | blockd)
		expect "$case: no hang in $runs run(s)" "[ \$(count $case '^(hung|timeout)\$') = 0 ]"
		expect "$case: the pressure finished every time" "[ \$(count $case '^finished\$') = $runs ]"
		expect "$case: no major fault in the locked daemon" \
			"[ \$(awk -v c=$case '\$1 == c && \$5 != \"0\"' '$RESULTS' | wc -l) = 0 ]" ;;
	shared-cgroup)
		log "shared-cgroup outcomes (recorded, not judged): $(awk '$1 == "shared-cgroup" {print $3}' "$RESULTS" | sort | uniq -c | tr '\n' ' ')"
		if [ $CGV = 1 ]; then
			expect "shared-cgroup: doctor --pid warns about the DT-007 cgroup hazard" \
				"grep -q 'deadlocks even when locked' '$WORK/doctor-shared-1.out'"
		else
			echo "SKIP [shared-cgroup doctor warning]: cgroup v2 host; the warning is about v1" >&2
		fi ;;
	esac
done
echo "dt007: $fails expectation(s) failed"
[ $fails = 0 ]
