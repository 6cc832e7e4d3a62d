#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The crate's docker matrix done on the real kernel with setpriv, prlimit
# and a mount namespace: who may lock, and what the library says when not.
# Usage: privilege-matrix.sh PATH/TO/lockprobe
set -u
probe=$1
fails=0
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all --)
ipclock=(setpriv --reuid=65534 --regid=65534 --clear-groups '--inh-caps=-all,+ipc_lock'
	'--ambient-caps=-all,+ipc_lock' '--bounding-set=-all,+ipc_lock' --)

skip() { echo "SKIP: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "the privilege matrix needs root to drop privileges"
for tool in setpriv prlimit unshare; do
	command -v "$tool" >/dev/null || skip "$tool is missing (package util-linux)"
done
"${nobody[@]}" test -x "$probe" ||
	skip "uid 65534 cannot execute $probe (build directory not world-readable)"
"${ipclock[@]}" true 2>/dev/null || skip "setpriv cannot set ambient capabilities here"

hard=$(prlimit --noheadings --output HARD --memlock | tr -d ' ')

# run NAME EXPECTED-LINE... -- COMMAND...: every expected line must appear.
run() {
	local name=$1; shift
	local -a want=()
	while [ "$1" != -- ]; do want+=("$1"); shift; done
	shift
	local out
	out=$(timeout 20 "$@" 2>&1)
	local ok=1
	for w in "${want[@]}"; do
		if ! grep -qF -- "$w" <<<"$out"; then
			echo "FAIL [$name]: missing: $w" >&2
			ok=0
		fi
	done
	if [ $ok = 1 ]; then
		echo "ok   [$name]"
	else
		printf '%s\n' "$out" | sed 's/^/    | /' >&2
		fails=$((fails + 1))
	fi
}


for req in 1 0; do
	[ $req = 1 ] && mode=required || mode=best-effort
	run "root $mode" "rc=0" "status=locked (" "is_locked=1" "headroom=unlimited" \
		-- "$probe" --required=$req
	run "nobody+CAP_IPC_LOCK memlock 0 $mode" "rc=0" "status=locked (" "is_locked=1" \
		"headroom=unlimited" "Headroom: unlimited (CAP_IPC_LOCK)." \
		-- prlimit --memlock=0:0 -- "${ipclock[@]}" "$probe" --required=$req

	if [ $req = 1 ]; then rc=-1; else rc=0; fi
	run "nobody memlock 0 $mode" "rc=$rc" "status=failed (errno=1)" "is_locked=0" \
		"explain=permission denied: the RLIMIT_MEMLOCK soft limit is 0 bytes and the process lacks CAP_IPC_LOCK. Either fix works: raise RLIMIT_MEMLOCK" \
		"or grant CAP_IPC_LOCK" "setcap cap_ipc_lock=+ep" "the hard limit is 0 bytes" \
		-- prlimit --memlock=0:0 -- "${nobody[@]}" "$probe" --required=$req

	if [ $req = 1 ]; then rc=-12; else rc=0; fi
	run "nobody memlock 64 KiB $mode" "rc=$rc" "status=failed (errno=12)" "is_locked=0" \
		"explain=resource limit: the process maps " "but RLIMIT_MEMLOCK allows 64 KiB. Fix: raise RLIMIT_MEMLOCK to at least " \
		"the hard limit is 64 KiB, so the raise must come from whoever starts the process" \
		-- prlimit --memlock=65536:65536 -- "${nobody[@]}" "$probe" --required=$req

	if [ "$hard" = unlimited ] || [ "$hard" -ge 8388608 ]; then
		run "nobody memlock 8 MiB small process $mode" "rc=0" "status=locked (" "is_locked=1" \
			"more may be locked under RLIMIT_MEMLOCK 8 MiB" \
			-- prlimit --memlock=8388608:8388608 -- "${nobody[@]}" "$probe" --required=$req
	else
		echo "SKIP [nobody memlock 8 MiB $mode]: hard RLIMIT_MEMLOCK is $hard here" >&2
	fi
done

# future-only: succeeds, but says how much room is left; with a minimum it
# refuses instead of letting the next large allocation fail.
run "nobody memlock 8 MiB future-only" "rc=0" "status=locked (0 bytes)" "headroom=8388608" \
	-- prlimit --memlock=8388608:8388608 -- "${nobody[@]}" "$probe" --current=0
run "nobody memlock 8 MiB future-only min 16 MiB" "rc=-12" "status=failed (errno=12)" \
	"refused: after locking only 8 MiB could still be locked under RLIMIT_MEMLOCK, less than the 16 MiB asked for" \
	-- prlimit --memlock=8388608:8388608 -- "${nobody[@]}" "$probe" --current=0 --min-headroom=16777216
run "nobody memlock 8 MiB future-only min 16 MiB best-effort" "rc=0" "status=locked (0 bytes)" \
	-- prlimit --memlock=8388608:8388608 -- "${nobody[@]}" "$probe" --current=0 --min-headroom=16777216 --required=0

# /proc unreadable: the figures are unknown, not 0.
if unshare -m true 2>/dev/null; then
	run "no /proc" "read_locked_bytes=-2" "is_locked=0" "locked_bytes=0" \
		-- unshare -m --propagation private sh -c 'mount -t tmpfs none /proc && exec "$0" --query-only' "$probe"
	run "no /proc lock" "read_locked_bytes=-2" "rc=0" "status=locked (size unknown)" \
		-- unshare -m --propagation private sh -c 'mount -t tmpfs none /proc && exec "$0"' "$probe"
else
	echo "SKIP [no /proc]: cannot create a mount namespace" >&2
fi

echo "privilege matrix: $fails failure(s)"
[ $fails = 0 ]
