#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# DT-007 on a real kernel: a user-space daemon serves the system's preferred
# swap; a process in a memory-limited cgroup forces swapping while the
# daemon's own pages are pushed out. An unlocked daemon deadlocks (and this
# suite must see it); a locked one must not. Three device types:
#   fuse  a loop device over a file that a FUSE daemon serves (bindfs, blockd)
#   nbd   Debian's nbd-server, reached through nbd-client and the kernel's NBD driver
#   ublk  examples/ublkd through the kernel's ublk driver
# On the host the machine is recovered on every path out and the suite
# checks that nothing of it is left. With --guest the runs go to guests
# (tests/guest/run.sh: real root, cgroup v2 or v1, NBD and ublk), a few to
# a boot, and a guest in which a run hung is torn down (see "in guests").
#
# Usage: dt007.sh --dm DUENDE-MLOCK --preload SHIM --pressure PRESSURE
#                 [--blockd BLOCKD] [--ublkd UBLKD] [--ublkd-static UBLKD]
#                 [--runs N] [--cases "CASE..."]
#                 [--guest 6.12/v2|6.1/v1|6.1/v2] [--table FILE] [--results FILE]
#                 [--plan "CASE/N..."]   (these runs in this order: what one guest boot runs)
# Cases (default: those this machine can run of fuse-unlocked fuse-exec
# fuse-precise fuse-blockd fuse-daemon fuse-lock-running fuse-guard
# shared-locked shared-flusher):
#   fuse-unlocked    bindfs -f, unlocked                                 must hang
#   fuse-exec        bindfs -f under duende-mlock exec                   must survive
#   fuse-precise     bindfs -f under exec --precise (file data unpinned) must survive
#   fuse-blockd      examples/blockd --harden (library API)              must survive
#   fuse-daemon      bindfs without -f (it daemonizes) under exec        must survive
#   fuse-lock-running bindfs -f started unlocked and serving the swap    must survive
#                    (swapon done), then `duende-mlock lock --tree` on
#                    the serving process, before the pressure (twin:
#                    fuse-unlocked)
#   nbd-unlocked     nbd-server as Debian ships it (forks per client)    must hang
#   nbd-exec         nbd-server, forking, under exec                     must survive
#   nbd-exec-nofork  nbd-server -d (no fork) under exec                  must survive
#   nbd-exec-user    nbd-server with Debian's `user = nbd` under exec:    must survive
#                    each child drops root (exec raised the limit)
#   nbd-exec-user-kept the same, exec run by a root without             must survive
#                    CAP_SYS_RESOURCE (a container's): the hard limit stays,
#                    the shim keeps CAP_IPC_LOCK through the drop
#   nbd-precise      nbd-server, forking, under exec --precise           must survive
#   nbd-lock-running nbd-server started unlocked, its connection child    must survive
#                    serving (nbd-client connected, swapon done), then
#                    `lock --tree` on the master, which takes the child
#                    too (twin: nbd-unlocked)
#   nbd-client-swap  nbd-server unlocked, nbd-client -swap (client locked) must hang
#   fuse-guard       bindfs -f, unlocked, a `guard` running before swapon must survive
#   nbd-guard        nbd-server unlocked, a `guard` running before swapon must survive
#   nbd-reconnect    nbd-guard with nbd-client -persist -timeout 5, the    recorded
#                    serving child stopped during the pressure: the client
#                    should reconnect and the guard lock the new child as
#                    it serves. nbd-client 3.24 reconnects only when the
#                    kernel's NBD_DO_IT fails, and 6.12 requeues a timed-out
#                    request and ends NBD_DO_IT with 0 (a closed connection
#                    too): no reconnect comes, the run records reconnect-failed
#   ublk-unlocked    examples/ublkd, plain                               must hang
#   ublk-harden      examples/ublkd --harden                             must survive
#   ublk-exec        examples/ublkd, plain, under exec                   must survive
#   ublk-precise     examples/ublkd, plain, under exec --precise         must survive
#   ublk-exec-static examples/ublkd linked statically (no loader runs),   must survive
#                    under exec: locked by tracing at its first instruction
#   shared-locked    bindfs -f under exec, in the pressure's own cgroup   recorded
#   shared-flusher   the same with exec --io-flusher (CAP_SYS_RESOURCE)  no hang (OOM kills counted)
#   shared-ublk      ublkd --harden in the pressure's own cgroup          no hang (OOM kills counted)
# The serving process is found by what it holds open (/dev/fuse, the NBD
# connection, /dev/ublkcN), not by the PID started: daemons fork.
# Environment: DT007_DEBUG=1 logs every second; DT007_CASE_TIMEOUT and
# DT007_STALL_SECONDS override the timings; DT007_GUEST_CPUS sets the
# guests' virtual CPUs (default 2).
# Exit: 0 every expectation held, 1 not, 77 this machine cannot run the rig.
set -u

RUNS=1 FIRST_RUN=1
CASES=
TABLE='' RESULTS='' GUEST='' NO_VERDICT='' REPORT_TABLE='' VERDICT_ONLY='' PLAN=''
DM='' PRELOAD='' BLOCKD='' UBLKD='' UBLKD_STATIC='' PRESSURE=''
ARGS=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--dm) DM=$2; shift ;;
	--preload) PRELOAD=$2; shift ;;
	--blockd) BLOCKD=$2; shift ;;
	--ublkd) UBLKD=$2; shift ;;
	--ublkd-static) UBLKD_STATIC=$2; shift ;;
	--pressure) PRESSURE=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--first-run) FIRST_RUN=$2; shift ;;
	--cases) CASES=$2; shift ;;
	--table) TABLE=$2; shift ;;
	--results) RESULTS=$2; shift ;;
	--guest) GUEST=$2; shift ;;
	--no-verdict) NO_VERDICT=1 ;;
	--report-table) REPORT_TABLE=$2; shift ;;
	--verdict-only) VERDICT_ONLY=$2; shift ;;
	--plan) PLAN=$2; shift ;;
	*) echo "dt007: unknown argument '$1'" >&2; exit 64 ;;
	esac
	shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "dt007: --runs takes a positive number" >&2; exit 64; }
[[ $FIRST_RUN =~ ^[1-9][0-9]*$ ]] || { echo "dt007: --first-run takes a positive number" >&2; exit 64; }
ALL_CASES="fuse-unlocked fuse-exec fuse-precise fuse-blockd fuse-daemon fuse-lock-running fuse-guard
nbd-unlocked nbd-exec nbd-exec-nofork nbd-exec-user nbd-exec-user-kept nbd-precise nbd-lock-running
nbd-guard nbd-client-swap ublk-unlocked ublk-harden ublk-exec ublk-precise ublk-exec-static shared-locked
shared-flusher shared-ublk"
# Run only when named: nbd-reconnect proves nothing on this kernel and
# client yet (no reconnect comes; see the header), so no run of it may
# stand beside the judged cases.
NAMED_ONLY_CASES="nbd-reconnect"
for run in $PLAN; do
	[[ $run =~ ^[a-z-]+/[1-9][0-9]*$ ]] || { echo "dt007: --plan takes CASE/N words, not '$run'" >&2; exit 64; }
done
for c in $CASES $(for run in $PLAN; do echo "${run%/*}"; done); do
	[[ " ${ALL_CASES//$'\n'/ } $NAMED_ONLY_CASES " == *" $c "* ]] ||
		{ echo "dt007: unknown case '$c' (cases: ${ALL_CASES//$'\n'/ } $NAMED_ONLY_CASES)" >&2; exit 64; }
done
case $GUEST in '' | 6.12/v2 | 6.1/v1 | 6.1/v2) ;; *) echo "dt007: --guest takes 6.12/v2, 6.1/v1 or 6.1/v2" >&2; exit 64 ;; esac
export DUENDE_MLOCK_PRELOAD=$PRELOAD
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../poll.sh
. "$HERE/../poll.sh"
IN_GUEST=${GUEST_KERNEL:+1}

# Rig parameters, as in shared/DT007.md. Under emulation everything is
# slower: more time to finish and a longer stall before calling a hang.
SWAP_MIB=256
LIMIT_MIB=40
PRESSURE_MIB=120
PASSES=3
CASE_TIMEOUT=${DT007_CASE_TIMEOUT:-90} # seconds for the pressure to finish
STALL_SECONDS=${DT007_STALL_SECONDS:-8} # no swap I/O while a task sits in D: hung
SETUP_SECONDS=10 # for a daemon to mount, a loop device to attach
if [ -n "$IN_GUEST" ]; then
	CASE_TIMEOUT=${DT007_CASE_TIMEOUT:-240}
	STALL_SECONDS=${DT007_STALL_SECONDS:-15}
	SETUP_SECONDS=30
fi
MIN_SWAP_MIB=16 # a locked run that moved less through swap proves nothing
NBD_PORT=10809

log() { echo "[dt007 $(date +%T)] $*" >&2; }
skip() { echo "SKIP: $*" >&2; exit 77; }

device_of() { # CASE: fuse, nbd or ublk
	case $1 in
	nbd-*) echo nbd ;;
	ublk-* | shared-ublk) echo ublk ;;
	*) echo fuse ;;
	esac
}
is_locked_case() { case $1 in *-unlocked | nbd-client-swap) return 1 ;; esac; return 0; }
expect_of() {
	case $1 in
	*-unlocked | nbd-client-swap) echo hang ;;
	shared-locked) echo recorded ;;
	shared-flusher | shared-ublk) echo no-hang ;;
	# Debian's nbd-client 3.24 does not reconnect on 6.12 (see the case's
	# header): what happens is recorded until a client that does is here.
	nbd-reconnect) echo recorded ;;
	*) echo survive ;;
	esac
}

# ---- the table and the verdict, from a results file ----
# Result lines: case run result seconds majflt peak_kib recovered swap_mib
# kernel cgroup caps doctor serving_lock
median() { sort -n | awk '{v[NR] = $1} END {if (!NR) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# The groups of a results file: case|kernel|cgroup, in order of appearance.
groups() { awk '{print $1 "|" $9 "|" $10}' "$1" | awk '!s[$0]++'; }
in_group() { awk -v g="$2" '$1 "|" $9 "|" $10 == g' "$1"; }
table() { # RESULTS
	local f=$1 g med
	echo "| case | device | kernel | cgroup | capabilities | runs | hangs | finished | OOM kills | invalid | other | doctor agreed | median s to finish | daemon major faults (max) | swap moved MiB (min) | peak swap MiB |"
	echo "| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	while read -r g; do
		med=$(in_group "$f" "$g" | awk '$3 == "finished" {print $4}' | median)
		in_group "$f" "$g" | awk -v med="$med" '
		{
			c = $1; runs++
			if ($3 == "hung" || $3 == "timeout") hangs++
			else if ($3 == "finished") fin++
			else if ($3 == "oom-killed") oom++
			else if ($3 == "invalid") inv++
			else other++
			if ($12 == "agrees") doc++
			if ($5 != "-" && $5 + 0 > maj) maj = $5 + 0
			if ($6 + 0 > peak) peak = $6 + 0
			if ($8 != "-" && (minsw == "" || $8 + 0 < minsw)) minsw = $8 + 0
			k = $9; cg = $10; if ($11 != "-") caps = $11
		}
		END {
			dev = c; sub(/-.*/, "", dev); if (dev == "shared") dev = (c == "shared-ublk" ? "ublk" : "fuse")
			printf "| %s | %s | %s | %s | %s | %d | %d | %d | %d | %d | %d | %d | %s | %d | %s | %.1f |\n",
				c, dev, k, cg, caps == "" ? "-" : caps, runs, hangs, fin, oom, inv, other, doc, med, maj,
				minsw == "" ? "-" : minsw, peak / 1024
		}'
	done < <(groups "$f")
}
verdict() { # RESULTS
	local f=$1 fails=0 g c runs hangs bad need ooms tried
	expect() { if eval "$2"; then echo "ok   $1"; else echo "FAIL: $1" >&2; fails=$((fails + 1)); fi; }
	count() { in_group "$f" "$1" | awk -v r="$2" '$3 ~ r' | wc -l; }
	[ -s "$f.no-result" ] && log "booted again after giving no result: $(awk '{print $1 " run " $2 " (" $3 ")"}' "$f.no-result" | paste -sd, -)"
	expect "the machine was recovered (or the guest torn down) after every run" \
		"[ \$(awk '\$7 == \"no\"' '$f' | wc -l) = 0 ]"
	while read -r g; do
		c=${g%%|*}
		runs=$(in_group "$f" "$g" | wc -l)
		[ "$(count "$g" '^skipped')" = "$runs" ] && { echo "SKIP [$g]: cannot run there" >&2; continue; }
		hangs=$(count "$g" '^(hung|timeout)$')
		case $(expect_of "$c") in
		hang)
			# The proof that the rig can fail: at least 19 of 20, all of
			# fewer. A run whose pressure the OOM killer ended first gave
			# the deadlock no chance either way: counted apart.
			ooms=$(count "$g" '^oom-killed$')
			tried=$((runs - ooms))
			need=$((tried >= 20 ? tried - 1 : tried))
			expect "$g: deadlock detected in $hangs of $tried (need $need; OOM kills of the pressure: $ooms)" \
				"[ $hangs -ge $need ] && [ $hangs -gt 0 ]" ;;
		survive)
			expect "$g: no hang in $runs run(s) ($hangs)" "[ $hangs = 0 ]"
			expect "$g: the pressure finished, moving >= $MIN_SWAP_MIB MiB through swap, every time" \
				"[ \$(count '$g' '^finished\$') = $runs ]"
			expect "$g: no major fault in the serving daemon" \
				"[ \$(in_group '$f' '$g' | awk '\$3 == \"finished\" && \$5 != \"0\"' | wc -l) = 0 ]" ;;
		no-hang)
			expect "$g: no hang in $runs run(s) ($hangs; OOM kills of the pressure: $(count "$g" '^oom-killed$'))" "[ $hangs = 0 ]"
			expect "$g: no invalid run (each moved >= $MIN_SWAP_MIB MiB through swap or was OOM-killed)" \
				"[ \$(count '$g' '^invalid\$') = 0 ]" ;;
		recorded)
			log "$g outcomes (recorded, not judged): $(in_group "$f" "$g" | awk '{print $3}' | sort | uniq -c | tr '\n' ' ')" ;;
		esac
		if [ "$(expect_of "$c")" = hang ] && [ -s "$f.status" ]; then
			bad=$(awk -v c="$c" '$1 == c && $3 == "failed"' "$f.status" | wc -l)
			shown=$(awk -v c="$c" '$1 == c && $3 == "ok"' "$f.status" | wc -l)
			expect "$g: status against the hung daemon stayed bounded and valid (status-hung.sh: $shown shown, $bad failed)" "[ $bad = 0 ]"
			[ "$shown" = 0 ] && echo "SKIP [$g status-hung]: no hang of this run held its memory map lock, so the bounded scan was not exercised" >&2
		fi
		bad=$(in_group "$f" "$g" | awk '$12 == "disagrees"' | wc -l)
		expect "$g: doctor --pid's verdict matched the outcome ($bad disagreement(s))" "[ $bad = 0 ]"
	done < <(groups "$f")
	echo "dt007: $fails expectation(s) failed"
	[ $fails = 0 ]
}

# Only the table, or the table and the verdict, of a results file.
if [ -n "$REPORT_TABLE" ]; then
	table "$REPORT_TABLE"
	exit 0
fi
if [ -n "$VERDICT_ONLY" ]; then
	table "$VERDICT_ONLY"
	verdict "$VERDICT_ONLY"
	exit
fi
for v in DM PRELOAD PRESSURE; do
	[ -n "${!v}" ] || { echo "dt007: --${v,,} is required" >&2; exit 64; }
done

# gave_no_result RESULT-FILE: the run answers neither way: nothing was set
# up, the guest died, or the OOM killer ended the pressure before the run
# could show a deadlock, or its absence under a full run (a case that must
# hang or must survive; in the others an OOM kill is an outcome).
gave_no_result() {
	local c r
	read -r c _ r _ <"$1" || return 1
	case $r in
	setup-failed | guest-failed) return 0 ;;
	oom-killed) case $(expect_of "$c") in hang | survive) return 0 ;; esac ;;
	esac
	return 1
}

# ---- in guests: runs share boots ----
# A boot runs a few runs in turn: first those that must not hang, then at
# most one that must or may hang (expected to hang, or only recorded),
# since a hang ends the boot: the guest is torn down, not nursed back. The
# runs before it see a kernel in which the earlier runs left nothing (the
# rig checks that after every run, as on the host, where all cases share
# one kernel). A boot that ends early (a run hung that must not or left
# something behind, the guest died or ran out of time) leaves the runs it had not reached to the next
# boot. A run that gave no result either way is run once more, in a later
# boot; the attempt that gave none is kept. DT007_RUNS_PER_BOOT (default
# 4) bounds the runs that must not hang in one boot. The boot's start-up
# and each run's seconds are logged, and summed up at the end.
may_hang() { case $(expect_of "$1") in hang | recorded) return 0 ;; esac; return 1; }
if [ -n "$GUEST" ]; then
	[ -n "$IN_GUEST" ] && { echo "dt007: --guest inside a guest" >&2; exit 64; }
	CASES=${CASES:-$ALL_CASES}
	PER_BOOT=${DT007_RUNS_PER_BOOT:-4}
	[[ $PER_BOOT =~ ^[1-9][0-9]*$ ]] || { echo "dt007: DT007_RUNS_PER_BOOT takes a positive number" >&2; exit 64; }
	WORK=$(mktemp -d /tmp/dt007-guest.XXXXXX)
	chmod 755 "$WORK"
	trap 'rm -rf "$WORK"' EXIT
	trap 'log "interrupted"; rm -rf "$WORK"; exit 130' INT TERM
	OUT=${RESULTS:-$WORK/results}
	[ -n "$RESULTS" ] || : >"$OUT"
	inner=()
	for ((i = 0; i < ${#ARGS[@]}; i++)); do
		case ${ARGS[i]} in
		--guest | --runs | --cases | --table | --results | --first-run) i=$((i + 1)) ;;
		--no-verdict) ;;
		*) inner+=("${ARGS[i]}") ;;
		esac
	done
	kernel=${GUEST%/*} cg=${GUEST#*/}
	skipped=0 ran=0 boots=0 t_all=$SECONDS
	: >"$WORK/costs" # "boot SECONDS" (to the first run) and "CASE SECONDS" lines
	log "guest $kernel, cgroup $cg, $RUNS run(s) of: ${CASES//$'\n'/ }"
	queue=() # "N CASE ATTEMPT", in order
	for ((n = FIRST_RUN; n < FIRST_RUN + RUNS; n++)); do
		for c in $CASES; do queue+=("$n $c 1"); done
	done
	# settle N CASE ATTEMPT LINE: a run's result line, kept or run again.
	settle() {
		if [ "$3" = 1 ] && gave_no_result <(echo "$4"); then
			log "$2 run $1 gave no result ($(cut -d' ' -f3 <<<"$4")): it runs once more"
			echo "$4" >>"$OUT.no-result"
			next+=("$1 $2 2")
			return
		fi
		ran=$((ran + 1))
		[[ $4 == "$2 $1 skipped "* ]] && skipped=$((skipped + 1))
		echo "$4" >>"$OUT"
		log "$4"
	}
	# boot ITEM...: one guest runs these runs in turn; settles each it
	# reached and puts the others in next[].
	boot() {
		local plan=() item n c a line rc t0 t_end started first=1 prev_t='' prev_c='' ended=''
		for item in "$@"; do read -r n c a <<<"$item"; plan+=("$c/$n"); done
		boots=$((boots + 1))
		log "boot $boots: ${plan[*]}"
		: >"$WORK/boot"
		: >"$WORK/boot.started"
		t0=$(date +%s)
		GUEST_ENV="DT007_DEBUG DT007_CASE_TIMEOUT DT007_STALL_SECONDS" \
			"$HERE/../guest/run.sh" --kernel "$kernel" --cgroup "$cg" --disk 1024 --mem 1024 --cpus "${DT007_GUEST_CPUS:-2}" \
			--rw "$WORK" --timeout $((120 + $# * (${DT007_CASE_TIMEOUT:-240} + 240))) -- \
			"$HERE/dt007.sh" "${inner[@]}" --plan "${plan[*]}" --results "$WORK/boot" --no-verdict >"$WORK/guest.log" 2>&1
		rc=$?
		t_end=$(date +%s)
		grep -v '^guest: .*cgroup.*CapEff' "$WORK/guest.log" >&2
		# What each run cost: from its start to the next one's (the last
		# one's to the guest's end); the boot, to the first run's start.
		while read -r c n started; do
			if [ -n "$prev_t" ]; then echo "$prev_c $((started - prev_t))" >>"$WORK/costs"; else echo "boot $((started - t0))" >>"$WORK/costs"; fi
			prev_t=$started prev_c=$c
		done <"$WORK/boot.started"
		[ -n "$prev_t" ] && echo "$prev_c $((t_end - prev_t))" >>"$WORK/costs"
		for item in "$@"; do
			read -r n c a <<<"$item"
			line=$(awk -v c="$c" -v n="$n" '$1 == c && $2 == n' "$WORK/boot")
			if [ -n "$ended" ]; then
				next+=("$item") # not reached: the boot had ended
			elif [ $rc = 77 ] && ! grep -q . "$WORK/boot"; then
				log "$c: $(grep -m1 '^SKIP' "$WORK/guest.log")"
				settle "$n" "$c" "$a" "$c $n skipped - - - yes - $kernel $cg - none -"
			elif [ -n "$line" ]; then
				settle "$n" "$c" "$a" "$line"
				# Not recovered clean (a hang): the guest was torn down.
				[ "$(cut -d' ' -f7 <<<"$line")" = yes ] || ended=1
			elif grep -q "^$c $n " "$WORK/boot.started" || { [ $first = 1 ] && ! grep -q . "$WORK/boot.started"; }; then
				# The guest died, or never ran this first run: torn down, no result.
				log "$c run $n: no result from the guest (exit $rc):"
				tail -20 "$WORK/guest.log" | sed 's/^/    | /' >&2
				settle "$n" "$c" "$a" "$c $n guest-failed - - - teardown - $kernel $cg - none -"
				ended=1
			else
				next+=("$item")
			fi
			first=0
		done
		log "boot $boots: $((t_end - t0)) s"
	}
	while [ ${#queue[@]} -gt 0 ]; do
		# One boot per run that may hang, and enough for the others at
		# PER_BOOT each; those spread over the boots in turn.
		safe=() risky=() next=()
		for item in "${queue[@]}"; do
			read -r n c a <<<"$item"
			if may_hang "$c"; then risky+=("$item"); else safe+=("$item"); fi
		done
		nboots=$(((${#safe[@]} + PER_BOOT - 1) / PER_BOOT))
		[ ${#risky[@]} -gt "$nboots" ] && nboots=${#risky[@]}
		for ((b = 0; b < nboots; b++)); do
			plan=()
			for ((i = b; i < ${#safe[@]}; i += nboots)); do plan+=("${safe[i]}"); done
			[ $b -lt ${#risky[@]} ] && plan+=("${risky[b]}")
			boot "${plan[@]}"
		done
		queue=("${next[@]}")
	done
	log "$boots boot(s), $((SECONDS - t_all)) s; seconds per run (from its start to the next's), by case:"
	awk '{n[$1]++; s[$1] += $2; if (!($1 in o)) o[$1] = ++k} END {for (c in o) print o[c], c, n[c], s[c]}' "$WORK/costs" |
		sort -n | while read -r _ c cnt sum; do
			log "    $c: $cnt, $((sum / cnt)) s on average"
		done
	[ -n "$NO_VERDICT" ] && exit 0
	[ "$skipped" = "$ran" ] && skip "no case could run in the guest"
	table "$OUT" | tee "${TABLE:-/dev/null}"
	verdict "$OUT"
	exit
fi
# ---- can this machine run it? ----
[ "$(id -u)" = 0 ] || skip "needs root (block devices, swapon, cgroups)"
[ -r /proc/swaps ] || skip "kernel without swap support (/proc/swaps)"
for c in losetup mkswap swapon swapoff; do
	command -v $c >/dev/null || skip "$c is missing (packages util-linux, mount)"
done
for f in "$DM" "$PRELOAD" "$PRESSURE"; do [ -e "$f" ] || skip "$f was not built"; done
if [ -n "$IN_GUEST" ]; then
	for m in loop fuse nbd ublk_drv virtio_blk ext4; do modprobe -q -d "$GUEST_MODULES" $m 2>/dev/null; done
fi
if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
	CGV=1 CGROOT=/sys/fs/cgroup/memory
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	CGV=2 CGROOT=/sys/fs/cgroup
	grep -qw memory $CGROOT/cgroup.subtree_control || echo +memory >$CGROOT/cgroup.subtree_control ||
		skip "cannot enable the memory controller for child cgroups"
else
	skip "no memory cgroup (v1 or v2) to confine the pressure"
fi
KERNEL=$(uname -r | cut -d. -f1,2)
capeff=$(sed -n 's/^CapEff:\t//p' /proc/self/status)
if (((16#$capeff >> 24) & 1)); then CAPS=root-all; else CAPS=root-no-SYS_RESOURCE; fi

# why_not CASE: empty when this machine can run CASE, else the reason.
why_not() {
	case $(device_of "$1") in
	fuse)
		[ -e /dev/fuse ] || { echo "no /dev/fuse"; return; }
		[ -e /dev/loop-control ] || { echo "no loop device support"; return; }
		command -v bindfs >/dev/null || { echo "bindfs is missing (package bindfs)"; return; }
		command -v fusermount3 >/dev/null || { echo "fusermount3 is missing (package fuse3)"; return; }
		mountpoint -q /sys/fs/fuse/connections || mount -t fusectl none /sys/fs/fuse/connections 2>/dev/null ||
			{ echo "cannot mount fusectl (needed to recover a hung FUSE daemon)"; return; }
		[ "$1" != fuse-blockd ] || [ -x "${BLOCKD:-}" ] || echo "examples/blockd was not built (libfuse3-dev)" ;;
	nbd)
		[ -e /dev/nbd0 ] || { echo "no NBD driver (/dev/nbd0): kernel $(uname -r)"; return; }
		command -v nbd-server >/dev/null && command -v nbd-client >/dev/null ||
			echo "nbd-server or nbd-client is missing (packages nbd-server, nbd-client)" ;;
	ublk)
		[ -e /dev/ublk-control ] || { echo "no ublk driver (/dev/ublk-control): kernel $(uname -r)"; return; }
		[ -x "${UBLKD:-}" ] || { echo "examples/ublkd was not built (liburing-dev)"; return; }
		[ "$1" != ublk-exec-static ] || [ -x "${UBLKD_STATIC:-}" ] ||
			echo "examples/ublkd-static was not built (libc6-dev's libc.a, liburing-dev's liburing.a)" ;;
	esac
	case $1 in
	*-lock-running)
		[ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null)" != 3 ] ||
			{ echo "Yama's ptrace_scope is 3: no process may be traced, so none locked from outside"; return; }
		case $(uname -m) in x86_64 | aarch64) ;; *) echo "duende-mlock lock is not built for $(uname -m)" ;; esac ;;
	shared-flusher | shared-ublk)
		[ $CAPS = root-all ] || echo "PR_SET_IO_FLUSHER needs CAP_SYS_RESOURCE, which this root lacks (run it in a guest)" ;;
	nbd-exec-user*)
		id nbd >/dev/null 2>&1 || { echo "no user nbd (package nbd-server creates it)"; return; }
		[ "$1" != nbd-exec-user-kept ] || command -v capsh >/dev/null || echo "capsh is missing (package libcap2-bin)" ;;
	esac
}
if [ -z "$CASES" ] && [ -z "$PLAN" ]; then
	for c in fuse-unlocked fuse-exec fuse-precise fuse-blockd fuse-daemon fuse-lock-running fuse-guard shared-locked shared-flusher; do
		[ -z "$(why_not $c)" ] && CASES+="$c "
	done
	[ -n "$CASES" ] || skip "this machine can run none of the default cases (no FUSE or loop device?)"
fi

WORK=$(mktemp -d /tmp/dt007.XXXXXX)
chmod 755 "$WORK"
# What the devices store lives on a disk, never on tmpfs, which can itself
# be swapped out to the device under test. In a guest: its scratch disk.
STORE=$WORK
if [ -n "$IN_GUEST" ] && [ -n "${GUEST_DISK:-}" ]; then
	poll 5 test -b "$GUEST_DISK"
	if mkfs.ext4 -q -F "$GUEST_DISK" && mkdir -p "$WORK/store" && mount "$GUEST_DISK" "$WORK/store"; then
		STORE=$WORK/store
	else
		log "warning: cannot use the scratch disk $GUEST_DISK"
	fi
fi
[ "$(findmnt -n -o FSTYPE -T "$STORE")" = tmpfs ] && log "warning: $STORE is on tmpfs, which can be swapped to the device under test"
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
majflt_of() { # PID...: summed
	local p s=0 m
	for p in "$@"; do
		m=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $10}')
		s=$((s + ${m:-0}))
	done
	echo $s
}
vmlck_kib() { awk '$1 == "VmLck:" {print $2}' "/proc/$1/status" 2>/dev/null; }
swap_io() { awk '$1 == "pswpin" || $1 == "pswpout" {s += $2} END {print s + 0}' /proc/vmstat; }
swap_used_kib() { awk -v d="$1" '$1 == d {print $4}' /proc/swaps; }
# is_swap DEV: DEV is a swap area, also once its device node has gone
# (/proc/swaps then names it "DEV\040(deleted)").
is_swap() { awk -v d="$1" '$1 == d || $1 == d "\\040(deleted)" {f = 1} END {exit !f}' /proc/swaps; }
any_d_state() { # PID...: every thread of each
	local p t
	for p in "$@"; do
		for t in /proc/"$p"/task/*; do
			[ "$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "$t/stat" 2>/dev/null)" = D ] && return 0
		done
	done
	return 1
}
log_stacks() { # PID...: the kernel stack of every task in D (comm and stack only:
	local p t  # reading cmdline of a task stuck on swap blocks the reader)
	for p in "$@"; do
		for t in /proc/"$p"/task/*; do
			[ "$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "$t/stat" 2>/dev/null)" = D ] || continue
			log "task ${t##*/} ($(cat "$t/comm" 2>/dev/null)) in D:"
			sed 's/^/        /' "$t/stack" >&2 2>/dev/null
		done
	done
}
# holders TARGET-GLOB: PIDs with a file descriptor whose link matches
holders() { find /proc/[0-9]*/fd -maxdepth 1 -lname "$1" 2>/dev/null | cut -d/ -f3 | sort -un | grep -vx "$$"; }
nbd_serving() { # PIDs holding an established TCP connection on the NBD port
	local port ino
	port=$(printf '%04X' $NBD_PORT)
	awk -v p=":$port" 'substr($2, length($2) - 4) == p && $4 == "01" {print $10}' /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		while read -r ino; do holders "socket:\[$ino\]"; done | sort -un
}

nbd_listening() { # nbd-server listens on the NBD port
	local port
	port=$(printf '%04X' $NBD_PORT)
	awk -v p=":$port" 'substr($2, length($2) - 4) == p && $4 == "0A" {f = 1} END {exit !f}' /proc/net/tcp
}
ublkd_answered() { grep -q 'serving /dev/ublkb' "$1" || ! kill -0 "$2" 2>/dev/null; } # LOG PID: serving, or exited
gone() { local st; st=$(state_of "$1"); [ -z "$st" ] || [ "$st" = Z ]; } # PID: exited (a zombie counts)
none_alive() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; } # PID...
serving_now() { # CASE: the PIDs holding what serves its device, on one line
	case $(device_of "$1") in
	fuse) holders /dev/fuse ;;
	nbd) nbd_serving ;;
	ublk) holders "/dev/ublkc$UBLK_ID" ;;
	esac | xargs
}
# settle_serving CASE: sets SERV once three reads 0.2 s apart agree. A
# server that forks holds its device in two processes for a moment (libfuse
# daemonizing, nbd-server handing a connection to its child); the one that
# leaves is not the one that serves.
settle_serving() {
	local prev='' now='' same=0 i
	for ((i = 0; i < SETUP_SECONDS * 5; i++)); do
		now=$(serving_now "$1")
		if [ -n "$now" ] && [ "$now" = "$prev" ]; then same=$((same + 1)); else same=0; fi
		[ $same -ge 2 ] && break
		prev=$now
		sleep 0.2
	done
	SERV=$now
}

cg_create() { mkdir "$CGROOT/$TAG-$1" && echo "$CGROOT/$TAG-$1"; }
cg_limit() {
	if [ $CGV = 1 ]; then write_file "$2" "$1/memory.limit_in_bytes"; else write_file "$2" "$1/memory.max"; fi
}
cg_reclaim() {
	if [ $CGV = 1 ]; then write_file 0 "$1/memory.force_empty" 10; else write_file 1G "$1/memory.reclaim" 10; fi
}
cg_oom_kills() {
	if [ $CGV = 1 ]; then awk '$1 == "oom_kill" {print $2}' "$1/memory.oom_control" 2>/dev/null
	else awk '$1 == "oom_kill" {print $2}' "$1/memory.events" 2>/dev/null; fi
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
RUN_DIR='' RUN_STORE='' DPID='' SERV='' PPRESS='' RECLAIM='' LOOP='' CONN='' CG_D='' CG_P='' SWAPDEV='' NBD='' UBLK_ID='' CLIENT_PID='' GUARD_PID=''

# recover [served]: served when the run did not hang, so the server still
# serves: the swap area is taken off first, every page read back whole.
# Otherwise (and if that swapoff does not end in time) what hangs is cut
# off first (the FUSE connection aborted, NBD disconnected, the servers
# killed): swapoff then meets I/O errors, and the kernel keeps retrying
# what it could not write (a swap area whose server went first), which
# a later run in the same kernel would meet.
recover() {
	local ok=1 i p
	[ -n "$PPRESS" ] && kill -9 "$PPRESS" 2>/dev/null
	[ -n "$RECLAIM" ] && kill -9 "$RECLAIM" 2>/dev/null
	if [ "${1:-}" = served ] && [ -n "$SWAPDEV" ] && is_swap "$SWAPDEV"; then
		poll 10 none_alive $PPRESS # its swapped pages are freed as it exits
		bounded 15 swapoff "$SWAPDEV" 2>/dev/null || log "swapoff $SWAPDEV with its server still there: no end in 15 s"
	fi
	if [ -n "$CONN" ] && [ -e "/sys/fs/fuse/connections/$CONN/abort" ]; then
		write_file 1 "/sys/fs/fuse/connections/$CONN/abort"
	fi
	# nbd: the connection dropped fails what is pending; ublk: the server
	# deletes its device on SIGTERM, a dead one is deleted below.
	[ -n "$NBD" ] && bounded 10 nbd-client -d "$NBD" >/dev/null 2>&1
	[ -n "$GUARD_PID" ] && kill -TERM "$GUARD_PID" 2>/dev/null
	for p in $DPID $SERV; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for p in $DPID $SERV $CLIENT_PID $GUARD_PID; do kill -9 "$p" 2>/dev/null; done
	# pkill reads every cmdline, which blocks on a task stuck on swap.
	[ -n "$RUN_DIR" ] && bounded 10 pkill -9 -f "$RUN_DIR/" 2>/dev/null
	if [ -n "$SWAPDEV" ]; then
		for i in 1 2 3 4 5; do
			is_swap "$SWAPDEV" || break
			bounded 20 swapoff "$SWAPDEV" 2>/dev/null && break
			sleep 1
		done
	fi
	if [ -n "$LOOP" ]; then
		for i in 1 2 3; do
			losetup "$LOOP" >/dev/null 2>&1 || break
			bounded 10 losetup -d "$LOOP" 2>/dev/null
			sleep 0.5
		done
	fi
	[ -n "$NBD" ] && bounded 10 nbd-client -d "$NBD" >/dev/null 2>&1
	if [ -n "$UBLK_ID" ] && [ -e "/dev/ublkc$UBLK_ID" ]; then
		for i in 1 2 3; do
			bounded 10 "$UBLKD" --delete "$UBLK_ID" 2>/dev/null && break
			sleep 0.5
		done
	fi
	if [ -n "$RUN_DIR" ] && grep -q " $RUN_DIR/mnt " /proc/self/mountinfo; then
		bounded 10 fusermount3 -u -z "$RUN_DIR/mnt" 2>/dev/null || bounded 10 umount -l "$RUN_DIR/mnt" 2>/dev/null
	fi
	# Let the killed tasks go before their cgroups.
	# shellcheck disable=SC2086
	poll 5 none_alive $DPID $SERV $PPRESS
	cg_remove "$CG_P"
	cg_remove "$CG_D"
	# What is left, checked by the suite itself.
	if [ -n "$SWAPDEV" ] && is_swap "$SWAPDEV"; then log "LEFT: $SWAPDEV still swap"; ok=0; fi
	if [ -n "$LOOP" ] && losetup "$LOOP" 2>/dev/null | grep -q "$RUN_DIR"; then log "LEFT: $LOOP attached"; ok=0; fi
	if [ -n "$NBD" ] && [ "$(cat /sys/block/${NBD#/dev/}/size 2>/dev/null)" != 0 ]; then log "LEFT: $NBD connected"; ok=0; fi
	if [ -n "$UBLK_ID" ] && [ -e "/dev/ublkc$UBLK_ID" ]; then log "LEFT: ublk device $UBLK_ID"; ok=0; fi
	if [ -n "$RUN_DIR" ] && grep -q " $RUN_DIR/mnt " /proc/self/mountinfo; then log "LEFT: FUSE mount"; ok=0; fi
	for d in "$CG_P" "$CG_D"; do [ -n "$d" ] && [ -d "$d" ] && { log "LEFT: cgroup $d"; ok=0; }; done
	for p in $DPID $SERV $GUARD_PID; do kill -0 "$p" 2>/dev/null && [ "$(state_of "$p")" != Z ] && { log "LEFT: process $p ($(cat "/proc/$p/comm" 2>/dev/null))"; ok=0; }; done
	# A swapoff that has not ended (bounded gave up on it) still holds the
	# swap area and the kernel's swap locks. (No process substitution: a
	# guest has no /dev/fd.)
	# shellcheck disable=SC2013 # the paths hold no blanks
	for p in $(grep -lx swapoff /proc/[0-9]*/comm 2>/dev/null); do
		p=${p#/proc/} p=${p%/comm}
		kill -0 "$p" 2>/dev/null && [ "$(state_of "$p")" != Z ] && { log "LEFT: swapoff (PID $p) has not ended"; ok=0; }
	done
	# What the device stored, once nothing uses it: the next run in the
	# same boot needs the room.
	[ $ok = 1 ] && [ -n "$RUN_STORE" ] && rm -rf "$RUN_STORE"
	RUN_DIR='' RUN_STORE='' DPID='' SERV='' PPRESS='' RECLAIM='' LOOP='' CONN='' CG_D='' CG_P='' SWAPDEV='' NBD='' UBLK_ID='' CLIENT_PID='' GUARD_PID=''
	[ $ok = 1 ]
}

TEARDOWN=
cleanup_all() {
	[ -n "$TEARDOWN" ] && return # a hung guest is powered off instead
	recover >/dev/null 2>&1
	mountpoint -q "$WORK/store" 2>/dev/null && umount -l "$WORK/store"
	rm -rf "$WORK"
}
on_signal() {
	log "interrupted: recovering the machine"
	recover
	trap - EXIT
	cleanup_all
	exit 130
}
trap on_signal INT TERM
trap cleanup_all EXIT

# start_daemon CASE CGROUP: starts the server and makes SWAPDEV ready;
# sets DPID (the PID started), SERV (the serving PIDs). Returns 1 on failure.
start_daemon() {
	local c=$1 cg=$2 out=$RUN_DIR/daemon.out
	local back=$RUN_STORE/back mnt=$RUN_DIR/mnt img
	case $(device_of "$c") in
	fuse)
		mkdir -p "$back" "$mnt"
		mv "$RUN_DIR/swapimg" "$back/swapimg"
		img=$mnt/swapimg
		case $c in
		fuse-unlocked | fuse-lock-running | fuse-guard) "${IN_CGROUP[@]}" "$cg" bindfs -f "$back" "$mnt" >"$out" 2>&1 & ;;
		fuse-exec | shared-locked) "${IN_CGROUP[@]}" "$cg" "$DM" exec -- bindfs -f "$back" "$mnt" >"$out" 2>&1 & ;;
		fuse-precise) "${IN_CGROUP[@]}" "$cg" "$DM" exec --precise -- bindfs -f "$back" "$mnt" >"$out" 2>&1 & ;;
		shared-flusher) "${IN_CGROUP[@]}" "$cg" "$DM" exec --io-flusher -- bindfs -f "$back" "$mnt" >"$out" 2>&1 & ;;
		fuse-daemon) "${IN_CGROUP[@]}" "$cg" "$DM" exec -- bindfs "$back" "$mnt" >"$out" 2>&1 & ;;
		fuse-blockd)
			"${IN_CGROUP[@]}" "$cg" "$BLOCKD" --harden --backing "$back/swapimg" "$mnt" >"$out" 2>&1 &
			img=$mnt/disk ;;
		esac
		DPID=$!
		poll $SETUP_SECONDS grep -q " $mnt " /proc/self/mountinfo
		CONN=$(awk -v m="$mnt" '$5 == m {split($3, d, ":"); print d[2]}' /proc/self/mountinfo)
		[ -n "$CONN" ] || { log "$c: daemon did not mount in ${SETUP_SECONDS}s: $(cat "$out")"; return 1; }
		LOOP=$(bounded $SETUP_SECONDS losetup -f --show "$img" 2>/dev/null)
		[ -n "$LOOP" ] || { log "$c: cannot attach a loop device to $img in ${SETUP_SECONDS}s"; return 1; }
		SWAPDEV=$LOOP
		if [ "$c" = fuse-daemon ]; then
			# libfuse mounts, then daemonizes: until the process started
			# has left, it holds /dev/fuse beside the child that serves.
			poll $SETUP_SECONDS gone "$DPID" || { log "$c: bindfs did not daemonize in ${SETUP_SECONDS}s"; return 1; }
		fi ;;
	nbd)
		mv "$RUN_DIR/swapimg" "$RUN_STORE/nbd.img"
		local user=''
		case $c in
		nbd-exec-user*)
			# Debian's packaged config: the server drops to nbd, which
			# must reach the export.
			user=$'\tuser = nbd\n\tgroup = nbd\n'
			chown nbd:nbd "$RUN_STORE/nbd.img" ;;
		esac
		printf '[generic]\n%s\tlistenaddr = 127.0.0.1\n\tport = %d\n[dt007]\n\texportname = %s\n' \
			"$user" $NBD_PORT "$RUN_STORE/nbd.img" >"$RUN_DIR/nbd.conf"
		case $c in
		nbd-unlocked | nbd-client-swap | nbd-lock-running | nbd-guard | nbd-reconnect)
			"${IN_CGROUP[@]}" "$cg" nbd-server -C "$RUN_DIR/nbd.conf" >"$out" 2>&1 & ;;
		nbd-exec) "${IN_CGROUP[@]}" "$cg" "$DM" exec -- nbd-server -C "$RUN_DIR/nbd.conf" >"$out" 2>&1 & ;;
		nbd-exec-nofork) "${IN_CGROUP[@]}" "$cg" "$DM" exec -- nbd-server -C "$RUN_DIR/nbd.conf" -d >"$out" 2>&1 & ;;
		nbd-exec-user) "${IN_CGROUP[@]}" "$cg" "$DM" exec -- nbd-server -C "$RUN_DIR/nbd.conf" >"$out" 2>&1 & ;;
		nbd-exec-user-kept)
			# capsh runs the shell as root without CAP_SYS_RESOURCE in any set.
			"${IN_CGROUP[@]}" "$cg" capsh --drop=cap_sys_resource -- -c \
				'exec "$0" exec -- nbd-server -C "$1"' "$DM" "$RUN_DIR/nbd.conf" >"$out" 2>&1 & ;;
		nbd-precise) "${IN_CGROUP[@]}" "$cg" "$DM" exec --precise -- nbd-server -C "$RUN_DIR/nbd.conf" >"$out" 2>&1 & ;;
		esac
		DPID=$!
		poll $SETUP_SECONDS nbd_listening
		NBD=/dev/nbd0
		local copts=()
		[ "$c" = nbd-client-swap ] && copts=(-swap -nonetlink)
		# The client that stays and reconnects when its connection drops.
		# nbd-client 3.24 reconnects when the kernel's call returns an
		# error, which a timed-out request makes (a server that closes
		# the connection ends it instead).
		[ "$c" = nbd-reconnect ] && copts=(-persist -nonetlink -timeout 5)
		# Under emulation the negotiation took over 20 s in 2 of the long
		# form's NBD runs: a slow setup is no result either way.
		bounded $((SETUP_SECONDS * 2)) nbd-client 127.0.0.1 $NBD_PORT $NBD -N dt007 "${copts[@]}" >"$RUN_DIR/client.out" 2>&1 ||
			{ log "$c: nbd-client failed: $(cat "$RUN_DIR/client.out" "$out")"; return 1; }
		CLIENT_PID=$(holders "$NBD" | head -1)
		[ -n "$CLIENT_PID" ] && log "$c: nbd-client PID $CLIENT_PID stays, VmLck $(vmlck_kib "$CLIENT_PID") kB"
		SWAPDEV=$NBD ;;
	ublk)
		mv "$RUN_DIR/swapimg" "$RUN_STORE/ublk.img"
		case $c in
		ublk-unlocked) "${IN_CGROUP[@]}" "$cg" "$UBLKD" --backing "$RUN_STORE/ublk.img" >"$out" 2>&1 & ;;
		ublk-harden | shared-ublk) "${IN_CGROUP[@]}" "$cg" "$UBLKD" --harden --backing "$RUN_STORE/ublk.img" >"$out" 2>&1 & ;;
		ublk-exec) "${IN_CGROUP[@]}" "$cg" "$DM" exec -- "$UBLKD" --backing "$RUN_STORE/ublk.img" >"$out" 2>&1 & ;;
		ublk-precise) "${IN_CGROUP[@]}" "$cg" "$DM" exec --precise -- "$UBLKD" --backing "$RUN_STORE/ublk.img" >"$out" 2>&1 & ;;
		ublk-exec-static) "${IN_CGROUP[@]}" "$cg" "$DM" exec -- "$UBLKD_STATIC" --backing "$RUN_STORE/ublk.img" >"$out" 2>&1 & ;;
		esac
		DPID=$!
		poll $SETUP_SECONDS ublkd_answered "$out" "$DPID"
		UBLK_ID=$(sed -n 's|.*serving /dev/ublkb\([0-9]*\).*|\1|p' "$out")
		[ -n "$UBLK_ID" ] || { log "$c: ublkd did not start: $(cat "$out")"; return 1; }
		SWAPDEV=/dev/ublkb$UBLK_ID ;;
	esac
	settle_serving "$c"
	[ -n "$SERV" ] || { log "$c: no process serves the device"; return 1; }
	case $c in *-guard | nbd-reconnect) start_guard "$c" "$cg" || return 1 ;; esac
	bounded 10 swapon -p 100 "$SWAPDEV" || { log "$c: cannot swap on $SWAPDEV"; return 1; }
	case $c in *-guard | nbd-reconnect) guard_locked "$c" ;; esac
	return 0
}

# start_guard CASE CGROUP: `duende-mlock guard` running before swapon, in
# the daemon's cgroup, ready once it has locked itself. Sets GUARD_PID.
start_guard() {
	"${IN_CGROUP[@]}" "$2" "$DM" guard -v >"$RUN_DIR/guard.log" 2>&1 &
	GUARD_PID=$!
	poll $SETUP_SECONDS guard_ready || { log "$1: the guard did not lock itself: $(cat "$RUN_DIR/guard.log")"; return 1; }
}
guard_ready() { [ "$(vmlck_kib "$GUARD_PID")" -gt 0 ] 2>/dev/null; }
all_locked() { local p; for p in "$@"; do [ "$(vmlck_kib "$p")" -gt 0 ] 2>/dev/null || return 1; done; }
# guard_locked CASE: how long after swapon the guard had locked the
# servers (the pressure starts without waiting for it).
guard_locked() {
	local t0=$EPOCHREALTIME
	# shellcheck disable=SC2086
	poll 5 all_locked $SERV
	log "$1: the guard had the server(s) $SERV locked $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", (b - a) * 1000}') ms after swapon returned: $(grep -v '^duende-mlock: guard: pass' "$RUN_DIR/guard.log" | tail -2 | tr '\n' ' ')"
}

# reconnect CASE: the serving child stopped, as a hung server is: its
# requests time out, the client (-persist) reconnects, nbd-server forks a
# new child, which the guard must lock as it serves. Sets SERV to the new
# child (the old one is killed) and, when that fails, result.
reconnect() {
	local old=$SERV now='' i t0=$EPOCHREALTIME
	# shellcheck disable=SC2086
	kill -STOP $old
	for ((i = 0; i < SETUP_SECONDS * 10; i++)); do
		now=$(serving_now "$1")
		[ -n "$now" ] && [ "$now" != "$old" ] && ! grep -qw "$now" <<<"$old" && break
		sleep 0.1
	done
	# shellcheck disable=SC2086
	kill -9 $old
	if [ -z "$now" ] || [ "$now" = "$old" ]; then
		log "$1: no new serving child in ${SETUP_SECONDS}s after $old stopped: $(tail -3 "$RUN_DIR/client.out" | tr '\n' ' ')"
		result=reconnect-failed
		return 1
	fi
	SERV=$now
	local first
	first=$(for p in $SERV; do printf '%s ' "$(vmlck_kib "$p")"; done)
	# shellcheck disable=SC2086
	poll 5 all_locked $SERV || result=reconnect-unlocked
	log "$1: served again by $SERV $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", (b - a) * 1000}') ms after $old stopped; VmLck when found ${first}kB, now $(for p in $SERV; do printf '%s ' "$(vmlck_kib "$p")"; done)kB"
	[ "$result" = finished ]
}

# As real root the serving process is ready, save what a server that drops
# root chose to give up: CAP_SYS_RESOURCE (no IO_FLUSHER asked for here).
ready_as_run() { # DOCTOR-OUTPUT CASE
	case $2 in
	nbd-exec-user*) ! grep -E '^  \[(warning|cannot lock)\]' "$1" | grep -qv 'CAP_SYS_RESOURCE is missing' ;;
	# Locked from outside, nbd-server keeps the 8 MiB hard limit it was
	# started with (it holds CAP_IPC_LOCK, so nothing was raised): doctor
	# rightly warns that a privilege drop would leave it short.
	*-guard | nbd-reconnect) ! grep -E '^  \[(warning|cannot lock)\]' "$1" | grep -qv 'can drop privileges' ;;
	*) grep -q '^Verdict: ready' "$1" ;;
	esac
}

# doctor_agrees DOCTOR-OUTPUT RESULT CASE: does doctor's verdict on the serving
# process match what happened? A hang must have been warned about (no
# lock, or the shared-cgroup hazard); a run that survived locked must have
# been seen as locked, and (as root with every capability) as ready.
doctor_agrees() {
	local out=$1 result=$2 case=$3 warned=no
	[ -s "$out" ] || { echo none; return; }
	grep -qE 'and is not locked: when its own pages|deadlocks even when locked' "$out" && warned=yes
	case $result in
	hung | timeout) [ $warned = yes ] && echo agrees || echo disagrees ;;
	oom-killed) # no verdict on the outcome: doctor must have seen the lock state
		if is_locked_case "$case"; then
			grep -qE 'PID [0-9]+ serves swap .* and is locked$' "$out" && echo agrees || echo disagrees
		else
			[ $warned = yes ] && echo agrees || echo disagrees
		fi ;;
	finished | invalid)
		if [ $warned = no ] && grep -qE 'PID [0-9]+ serves swap .* and is locked$' "$out" &&
			{ [ $CAPS != root-all ] || ready_as_run "$out" "$case"; }; then echo agrees; else echo disagrees; fi ;;
	*) echo none ;;
	esac
}

# lock_running CASE: the *-lock-running cases lock the server that already
# serves the swap area from outside (`lock --tree`), before the pressure:
# bindfs -f is its own serving process; nbd-server's master (the parent of
# the connection child that serves), whose tree takes that child. The lock
# counts only with exit 0 and VmLck > 0 in the /proc of the process asked
# for and of every serving one; its output and status are logged. Returns 1
# when the lock failed, 2 when there was nothing to show (no master found,
# or the server was locked before).
lock_running() {
	local c=$1 target p rc t0 l ok=0
	case $(device_of "$c") in
	fuse) target=${SERV%% *} ;;
	nbd)
		target=$(awk '$1 == "PPid:" {print $2}' "/proc/${SERV%% *}/status" 2>/dev/null)
		if [ "$(cat "/proc/$target/comm" 2>/dev/null)" != nbd-server ] || [ "$target" = "${SERV%% *}" ]; then
			log "$c: the serving process ${SERV%% *} has no nbd-server master above it (PPid ${target:-?})"
			return 2
		fi ;;
	esac
	# Unlocked until now, or the run would not show what lock did (say, a
	# guard of someone else's on this machine locked it first).
	# shellcheck disable=SC2086
	for p in $(printf '%s\n' $target $SERV | sort -un); do
		l=$(vmlck_kib "$p")
		[ "${l:-0}" = 0 ] && continue
		log "$c: PID $p is locked already (VmLck $l kB) before lock ran: no result"
		return 2
	done
	t0=$(date +%s.%N)
	bounded 70 timeout -k 5 60 "$DM" lock --tree --verbose "$target" >"$RUN_DIR/lock.out" 2>&1
	rc=$?
	log "$c: duende-mlock lock --tree $target: exit $rc in" 		"$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b - a}') s:"
	sed 's/^/        /' "$RUN_DIR/lock.out" >&2
	[ $rc = 0 ] && ok=1
	# shellcheck disable=SC2086
	for p in $(printf '%s\n' $target $SERV | sort -un); do
		l=$(vmlck_kib "$p")
		log "$c: after the lock, PID $p ($(cat "/proc/$p/comm" 2>/dev/null)) VmLck ${l:-?} kB"
		[ "${l:-0}" -gt 0 ] || ok=0
	done
	[ $ok = 1 ] || log "$c: LOCK FAILED (exit $rc, or a process with VmLck 0): the run cannot pass"
	[ $ok = 1 ]
}

# left_to_teardown: in a guest, what recovery left (logged as LEFT) goes
# with the guest: this run ends the boot, as a hang does, and the guest is
# torn down. On the host it stays a failure.
left_to_teardown() {
	if [ -n "$IN_GUEST" ] && [ "$recovered" = no ]; then
		log "not recovered in full: this guest is torn down after this run"
		recovered=teardown
	fi
}

# run_case CASE N: sets LINE (see table()). It runs in the suite's own
# shell so that an interruption can recover it.
run_case() {
	local case=$1 n=$2 t0 result=finished elapsed=- maj0 maj1 majd=- peak=0 stall=0 io io_last io0 moved=-
	local why cg doctor=none lockstate=- i recovered=no
	why=$(why_not "$case")
	if [ -n "$why" ]; then
		log "$case: SKIP: $why"
		LINE="$case $n skipped - - - yes - $KERNEL v$CGV $CAPS none -"
		return
	fi
	RUN_DIR=$WORK/$case-$n RUN_STORE=$STORE/$case-$n.store
	mkdir -p "$RUN_DIR" "$RUN_STORE"
	truncate -s ${SWAP_MIB}M "$RUN_DIR/swapimg" && chmod 600 "$RUN_DIR/swapimg"
	if ! mkswap -q "$RUN_DIR/swapimg" >/dev/null 2>&1 || ! CG_D=$(cg_create "daemon-$case-$n") ||
		! CG_P=$(cg_create "pressure-$case-$n"); then
		log "$case: cannot prepare the swap image or the cgroups"
		recover served && recovered=yes
		left_to_teardown
		LINE="$case $n setup-failed - - - $recovered - $KERNEL v$CGV $CAPS none -"
		return
	fi
	cg_limit "$CG_P" $((LIMIT_MIB << 20))
	cg=$CG_D
	case $case in shared-*) cg=$CG_P ;; esac
	if ! start_daemon "$case" "$cg"; then
		recover served && recovered=yes
		left_to_teardown
		LINE="$case $n setup-failed - - - $recovered - $KERNEL v$CGV $CAPS none -"
		return
	fi
	# A lock from outside that failed is a failed run, never retried as
	# one that gave no result, and the pressure does not run.
	if [[ $case == *-lock-running ]]; then
		local lrc=0
		lock_running "$case" || lrc=$?
		if [ $lrc != 0 ]; then
			recover served && recovered=yes
			left_to_teardown
			local failed=setup-failed
			[ $lrc = 1 ] && failed=lock-failed
			LINE="$case $n $failed - - - $recovered - $KERNEL v$CGV $CAPS none -"
			return
		fi
	fi
	# Lock state of the serving processes: all locked, none, or mixed.
	local l nl=0 nu=0
	for p in $SERV; do l=$(vmlck_kib "$p"); if [ "${l:-0}" -gt 0 ]; then nl=$((nl + 1)); else nu=$((nu + 1)); fi; done
	if [ $nu = 0 ]; then lockstate=locked; elif [ $nl = 0 ]; then lockstate=unlocked; else lockstate=mixed; fi
	log "$case run $n: $SWAPDEV served by PID(s) $SERV ($(for p in $SERV; do printf '%s ' "$(cat "/proc/$p/comm" 2>/dev/null)"; done)), $lockstate"
	# A server that must run unlocked but is locked shows nothing (a guard
	# on this machine locks every swap server it finds): no result.
	if ! is_locked_case "$case" && [ $nl != 0 ]; then
		log "$case run $n: a server that must run unlocked is locked (a \`duende-mlock guard\` on this machine?" \
			"$(pgrep -a -f 'duende-mlock guard' 2>/dev/null | head -3 | tr '\n' ' ')): no result"
		recover served && recovered=yes
		left_to_teardown
		LINE="$case $n setup-failed - - - $recovered - $KERNEL v$CGV $CAPS none $lockstate"
		return
	fi
	# Who they run as, and what they hold: a server that dropped root holds
	# CAP_IPC_LOCK alone where the shim kept it (00004000).
	for p in $SERV; do
		log "$case run $n: PID $p uid $(awk '$1 == "Uid:" {print $2}' "/proc/$p/status" 2>/dev/null)," \
			"CapEff $(awk '$1 == "CapEff:" {print $2}' "/proc/$p/status" 2>/dev/null)," \
			"$(grep 'Max locked memory' "/proc/$p/limits" 2>/dev/null | tr -s ' ')"
	done

	# Push the daemon's pages out now and then, as reclaim would.
	(while :; do cg_reclaim "$CG_D"; sleep 0.5; done) </dev/null >/dev/null 2>&1 &
	RECLAIM=$!
	disown "$RECLAIM" # no "Killed" notice when recovery ends it
	# shellcheck disable=SC2086
	maj0=$(majflt_of $SERV)
	io0=$(swap_io)
	t0=$(date +%s.%N)
	"${IN_CGROUP[@]}" "$CG_P" "$PRESSURE" $PRESSURE_MIB $PASSES </dev/null >"$RUN_DIR/pressure.out" 2>&1 &
	PPRESS=$!
	# Now that the pressure runs (and shares the cgroup in shared-*);
	# bounded, since reading a hung daemon's /proc can block.
	sleep 0.3
	local first=${SERV%% *}
	bounded 10 "$DM" doctor --pid "$first" >"$RUN_DIR/doctor.out" 2>&1
	cp "$RUN_DIR/doctor.out" "$WORK/doctor-$case-$n.out" 2>/dev/null
	io_last=$(swap_io)
	for ((i = 0; i < CASE_TIMEOUT; i++)); do
		sleep 1
		local used alive=0
		used=$(swap_used_kib "$SWAPDEV")
		[ "${used:-0}" -gt "$peak" ] && peak=$used
		if ! kill -0 "$PPRESS" 2>/dev/null; then
			wait "$PPRESS"
			local prc=$?
			elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}')
			if [ $prc != 0 ]; then
				if [ "$(cg_oom_kills "$CG_P")" -gt 0 ] 2>/dev/null; then result=oom-killed; else result="pressure-failed($prc)"; fi
			fi
			break
		fi
		if [ "$case" = nbd-reconnect ] && [ "$i" = 2 ]; then
			reconnect "$case" || break
		fi
		for p in $SERV; do kill -0 "$p" 2>/dev/null && alive=1; done
		if [ $alive = 0 ]; then
			result=daemon-died
			log "$case run $n: the serving process(es) $SERV exited: $(tail -5 "$RUN_DIR/daemon.out" | tr '\n' ' ')"
			break
		fi
		# Hung: tasks in D while swap I/O no longer moves (a trickle of a
		# few pages, as the stuck tasks retry, does not count as moving).
		io=$(swap_io)
		# shellcheck disable=SC2086
		if any_d_state $SERV "$PPRESS" && [ $((io - io_last)) -lt 64 ]; then
			stall=$((stall + 1))
		else
			stall=0
			io_last=$io
		fi
		if [ -n "${DT007_DEBUG:-}" ]; then
			log "t=$i io=$io used=${used}KiB daemon=$(for p in $SERV; do state_of "$p"; done | tr -d '\n') pressure=$(state_of "$PPRESS") stall=$stall"
		fi
		if [ $stall -ge "$STALL_SECONDS" ]; then
			result=hung
			log "$case run $n: HUNG: no swap I/O for ${STALL_SECONDS}s with tasks in D state"
			# shellcheck disable=SC2086
			log_stacks $SERV "$PPRESS"
			# status against the really hung processes, before recovery:
			# it must answer in bounded time, name them as not responding,
			# and still report the others.
			if [ "$(expect_of "$case")" = hang ]; then
				# shellcheck disable=SC2086
				"$(dirname "$0")/status-hung.sh" "$DM" $SERV "$PPRESS" >&2
				case $? in
				0) echo "$case $n ok" >>"$OUT.status" ;;
				77) echo "$case $n not-exercised" >>"$OUT.status" ;;
				*) echo "$case $n failed" >>"$OUT.status" ;;
				esac
			fi
			break
		fi
	done
	[ "$i" -ge "$CASE_TIMEOUT" ] && result=timeout
	moved=$((($(swap_io) - io0) * 4 / 1024))
	if is_locked_case "$case" && [ "$result" = finished ] && [ $moved -lt $MIN_SWAP_MIB ]; then
		log "$case run $n: INVALID: only $moved MiB went through swap (need $MIN_SWAP_MIB)"
		result=invalid
	fi
	# shellcheck disable=SC2086
	maj1=$(majflt_of $SERV)
	[ -n "$maj0" ] && [ -n "$maj1" ] && majd=$((maj1 - maj0))
	doctor=$(doctor_agrees "$RUN_DIR/doctor.out" "$result" "$case")
	[ "$doctor" = disagrees ] && { log "$case run $n: doctor --pid $first said:"; sed 's/^/        /' "$RUN_DIR/doctor.out" >&2; }
	if [ -n "$IN_GUEST" ] && [ "$result" = hung ]; then
		recovered=teardown # the guest is torn down; a hung kernel need not be nursed
	elif [ "$result" = hung ] || [ "$result" = timeout ]; then
		recover && recovered=yes
	else
		recover served && recovered=yes
	fi
	left_to_teardown
	LINE="$case $n $result $elapsed $majd $peak $recovered $moved $KERNEL v$CGV $CAPS $doctor $lockstate"
}

# ---- the suite ----
OUT=${RESULTS:-$WORK/results}
[ -n "$RESULTS" ] || : >"$OUT"
if [ -z "$PLAN" ]; then # RUNS runs of each case, as CASE/N
	for ((n = FIRST_RUN; n < FIRST_RUN + RUNS; n++)); do
		for case in $CASES; do PLAN+="$case/$n "; done
	done
fi
log "kernel $(uname -r), cgroup v$CGV, $CAPS, runs: $PLAN"
for run in $PLAN; do
	case=${run%/*} n=${run#*/}
	LINE=
	# When each run began: the host reads from it which run a guest that
	# died was in, and what each run cost.
	[ -n "$IN_GUEST" ] && echo "$case $n $(date +%s)" >>"$OUT.started"
	run_case "$case" "$n"
	log "$LINE"
	echo "$LINE" >>"$OUT"
	# In a guest, a run that left the kernel other than clean (a hang,
	# something not recovered) ends the boot: the guest is torn down.
	if [ -n "$IN_GUEST" ] && [ "$(cut -d' ' -f7 <<<"$LINE")" != yes ]; then
		TEARDOWN=1
		exit 0
	fi
done
[ -n "$NO_VERDICT" ] && exit 0
[ "$(awk '$3 != "skipped"' "$OUT" | wc -l)" = 0 ] && skip "no case could run here"
table "$OUT" | tee "${TABLE:-/dev/null}"
verdict "$OUT"
