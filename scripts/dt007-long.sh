#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The long form of the DT-007 end-to-end suite, written to
# docs/dt007-results.md.
#
#   scripts/dt007-long.sh [RUNS]          on this machine: RUNS runs (default 20) of
#                                         each case it can run (FUSE, cgroup v1 here)
#   scripts/dt007-long.sh --guest [RUNS]  in guests: RUNS runs (default 20) of the
#                                         headline cases (NBD and ublk, locked and
#                                         unlocked), RUNS/2 of the others, on 6.12/cgroup v2
#                                         and (shared-cgroup cases) 6.1/cgroup v1.
#                                         About 4 hours for 20 under emulation.
#   scripts/dt007-long.sh --report RAW... only rewrite docs/dt007-results.md from raw
#                                         result files (e.g. of an interrupted run)
#   scripts/dt007-long.sh [--guest] --cases "CASE..." [RUNS]
#                                         RUNS runs (default 20) of these cases alone
#                                         (--guest: on 6.12/cgroup v2), for a case added
#                                         after the long form: table, verdict and raw
#                                         lines go to build/dt007-long/cases-MODE.md,
#                                         to add to docs/dt007-results.md by hand (it
#                                         holds the whole long form and is left alone)
# Raw results (one line per run) go to build/dt007-long/*.raw as they come,
# so an interrupted long form still leaves its counts.
set -u
cd "$(dirname "$0")/.." || exit 1
SRC=$PWD
MODE=host RAWS=() ONLY=''
case ${1:-} in
--guest) MODE=guest; shift ;;
--report) MODE=report; shift; RAWS=("$@"); set -- ;;
esac
if [ "${1:-}" = --cases ] && [ $MODE != report ]; then
	ONLY=${2:-}
	[ -n "$ONLY" ] || { echo "$0: --cases takes the cases to run" >&2; exit 64; }
	shift 2
fi
RUNS=${1:-20}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [--guest] [--cases \"CASE...\"] [RUNS] | --report RAW..." >&2; exit 64; }
HALF=$(((RUNS + 1) / 2))

rig=(tests/e2e/dt007.sh --dm build/cli/duende-mlock --preload "$SRC/build/preload/libduende-mlock-preload.so"
	--blockd build/examples/blockd --ublkd build/examples/ublkd --ublkd-static build/examples/ublkd-static
	--pressure build/tests/e2e/pressure)
OUTDIR=build/dt007-long

report() { # RAW...: docs/dt007-results.md
	local all=$OUTDIR/all.raw
	cat "$@" >"$all"
	{
		echo "# DT-007 end-to-end results"
		echo
		echo "Measured $(date -u +%F) by \`scripts/dt007-long.sh ${LONG_ARGS:-}\` on a 2-core, 24 GiB"
		echo "Debian 12 machine (host kernel $(uname -r), memory cgroup v1 there, root without"
		echo "CAP_SYS_RESOURCE). Guest rows ran in Debian's own kernels under qemu's emulation"
		echo "(tests/guest/run.sh: real root with every capability, the host's root file system"
		echo "read-only over 9p; runs share boots, and a guest in which one hung is torn down)."
		echo
		"${rig[@]}" --report-table "$all"
		echo
		echo "Columns: **hangs**, tasks in D while swap I/O stayed still (or the pressure did not"
		echo "finish in time); **finished**, the pressure ended and, for locked cases, moved at least"
		echo "16 MiB through swap; **invalid**, a locked run that moved less (never a pass);"
		echo "**OOM kills**, the memory cgroup's OOM killer ended the pressure; **other**, setup"
		echo "failures, a guest that died, a daemon that exited, or (the \`*-lock-running\` cases) a"
		echo "lock from outside that failed; **doctor agreed**, runs in which"
		echo "\`duende-mlock doctor --pid\` on the serving process said what happened (warned before"
		echo "a hang, saw the lock before a survival)."
		echo
		local r retried=()
		for r in "$@"; do [ -s "$r.no-result" ] && retried+=("$r.no-result"); done
		if [ ${#retried[@]} -gt 0 ]; then
			echo "Runs that gave no result either way (a guest that died, a daemon or device that"
			echo "could not be set up, an OOM kill in a case that must hang) were booted once more;"
			echo "the attempts that gave none:"
			echo
			echo '```'
			cat "${retried[@]}"
			echo '```'
			echo
		fi
		echo "Raw lines (case run result seconds majflt peak-KiB recovered swap-MiB kernel cgroup"
		echo "capabilities doctor lock-state of the serving processes):"
		echo
		echo '```'
		cat "$all"
		echo '```'
	} >docs/dt007-results.md
	echo "wrote docs/dt007-results.md ($(wc -l <"$all") runs)"
}

if [ $MODE = report ]; then
	[ ${#RAWS[@]} -gt 0 ] || { echo "usage: $0 --report RAW..." >&2; exit 64; }
	LONG_ARGS=${LONG_ARGS:---guest 20, interrupted, then --report}
	mkdir -p $OUTDIR
	report "${RAWS[@]}"
	exit 0
fi

scripts/install-deps.sh test
scripts/build.sh
mkdir -p $OUTDIR
LONG_ARGS="$([ $MODE = guest ] && echo '--guest ')${ONLY:+--cases \"$ONLY\" }$RUNS"

if [ -n "$ONLY" ]; then # these cases alone, beside the long form
	raw=$OUTDIR/cases-$MODE.raw md=$OUTDIR/cases-$MODE.md
	where=()
	[ $MODE = guest ] && where=(--guest 6.12/v2)
	: >"$raw"
	rm -f "$raw.no-result"
	"${rig[@]}" "${where[@]}" --cases "$ONLY" --runs "$RUNS" --results "$raw" --no-verdict >$OUTDIR/cases-$MODE.log 2>&1
	{
		echo "Measured $(date -u +%F) by \`scripts/dt007-long.sh $LONG_ARGS\`$([ $MODE = host ] && echo " on the host (kernel $(uname -r))"):"
		echo
		"${rig[@]}" --report-table "$raw"
		echo
		echo '```'
		"${rig[@]}" --verdict-only "$raw" 2>&1 | grep -v '^|'
		echo '```'
		echo
		echo '```'
		cat "$raw"
		echo '```'
		if [ -s "$raw.no-result" ]; then
			echo
			echo "Attempts that gave no result either way, booted once more:"
			echo
			echo '```'
			cat "$raw.no-result"
			echo '```'
		fi
	} >"$md"
	cat "$md"
	"${rig[@]}" --verdict-only "$raw" >/dev/null 2>&1
	exit
fi

if [ $MODE = host ]; then
	: >$OUTDIR/host.raw
	"${rig[@]}" --runs "$RUNS" --results $OUTDIR/host.raw --no-verdict
	report $OUTDIR/host.raw
	"${rig[@]}" --verdict-only $OUTDIR/host.raw
	exit
fi

# One guest at a time with two virtual CPUs (two guests at once, or one
# CPU each, made locked runs three times slower under emulation). Round n
# runs every headline case; odd rounds also run the others' run (n+1)/2,
# on 6.12/cgroup v2 and, for the shared-cgroup cases, on 6.1/cgroup v1.
# An interrupted long form thus still has counts for every case.
headline="nbd-unlocked nbd-exec ublk-unlocked ublk-harden"
others="nbd-exec-nofork nbd-exec-user nbd-exec-user-kept nbd-precise nbd-lock-running ublk-exec ublk-precise ublk-exec-static nbd-client-swap fuse-unlocked fuse-exec fuse-precise fuse-blockd fuse-daemon fuse-lock-running shared-locked shared-flusher shared-ublk fuse-guard nbd-guard"
v1cases="shared-locked shared-flusher"
: >$OUTDIR/a.raw
: >$OUTDIR/b.raw
: >$OUTDIR/c.raw
trap 'echo "dt007-long: interrupted" >&2; report $OUTDIR/a.raw $OUTDIR/b.raw $OUTDIR/c.raw; exit 130' INT TERM
for ((n = 1; n <= RUNS; n++)); do
	"${rig[@]}" --guest 6.12/v2 --runs 1 --first-run $n --cases "$headline" --results $OUTDIR/a.raw --no-verdict
	if ((n % 2 == 1)) && (((n + 1) / 2 <= HALF)); then
		m=$(((n + 1) / 2))
		"${rig[@]}" --guest 6.12/v2 --runs 1 --first-run $m --cases "$others" --results $OUTDIR/b.raw --no-verdict
		"${rig[@]}" --guest 6.1/v1 --runs 1 --first-run $m --cases "$v1cases" --results $OUTDIR/c.raw --no-verdict
	fi
	report $OUTDIR/a.raw $OUTDIR/b.raw $OUTDIR/c.raw >/dev/null
done >$OUTDIR/long.log 2>&1
report $OUTDIR/a.raw $OUTDIR/b.raw $OUTDIR/c.raw
cat $OUTDIR/a.raw $OUTDIR/b.raw $OUTDIR/c.raw >$OUTDIR/all.raw
"${rig[@]}" --verdict-only $OUTDIR/all.raw
