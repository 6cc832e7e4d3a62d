#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Every swap server on the host found with no configuration: a loop swap
# over a file on a bindfs mount, served by an UNLOCKED bindfs. Plain
# `status` lists it, not locked, with the loop device in SERVES; --json
# likewise; the gauge duende_mlock_swap_device_protected reads 0 and the
# exit status is 1. doctor --pid prints the fix `duende-mlock lock --tree
# PID`; run exactly as printed, it locks the server, and the gauge reads 1.
# Swap is a shared resource: the section that uses it holds
# /tmp/dm-heavy.lock (waited for at most 240 s, DM_TEST_HEAVY_WAIT).
# Usage: swap-servers.sh DUENDE-MLOCK PRELOAD-LIBRARY
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
need_root "losetup, swapon"
need_cmd jq jq
need_cmd curl curl
need_cmd bindfs bindfs
need_cmd losetup mount
need_cmd mkswap util-linux
[ -e /dev/fuse ] || skip "/dev/fuse is missing"
[ -e /proc/swaps ] || skip "the kernel has no swap"

# A guard that runs on this host locks every swap server it finds: while
# one runs, bindfs is held traced by strace (a traced process is refused)
# until the printed fix runs.
guard_runs() { timeout 30 "$DM" status --prometheus 1 2>/dev/null | grep -qx 'duende_mlock_guard_running 1'; }

exec 9>/tmp/dm-heavy.lock
flock -w "${DM_TEST_HEAVY_WAIT:-240}" 9 || skip "/tmp/dm-heavy.lock is held by other work (swap is a shared resource)"

# A small swap area (64 MiB) on a file that bindfs serves, unlocked.
mkdir -p "$TMP/back" "$TMP/mnt"
truncate -s 64M "$TMP/back/swapimg" && chmod 600 "$TMP/back/swapimg"
mkswap -q "$TMP/back/swapimg" >/dev/null 2>&1 || skip "mkswap failed"
bindfs -f "$TMP/back" "$TMP/mnt" & bpid=$!
on_exit "kill $bpid; umount -l '$TMP/mnt'"
wait_until mountpoint -q "$TMP/mnt" || skip "bindfs did not mount"
spid=
if guard_runs; then
	command -v strace >/dev/null || skip "a duende-mlock guard runs here and strace (package strace) is missing to keep it off"
	strace -e trace=none -p "$bpid" -o /dev/null 2>/dev/null & spid=$!
	on_exit "kill $spid"
	wait_until grep -qE "^TracerPid:[[:space:]]+$spid$" "/proc/$bpid/status" || skip "strace could not attach to bindfs"
	echo "note: a duende-mlock guard runs on this host: bindfs is kept traced until the fix" >&2
fi
loop=$(losetup -f --show "$TMP/mnt/swapimg" 2>/dev/null) || skip "no loop device could be attached"
on_exit "losetup -d '$loop'"
swapon -p 1 "$loop" 2>/dev/null || skip "swapon $loop refused here"
on_exit "swapoff '$loop'"
dev=${loop##*/}
check_unlocked "bindfs serving $loop" "$bpid"

# --- plain status: the unlocked server is listed, saying so
run_cmd out rc "$DM" status
row=$(awk -v p="$bpid" '$1 == p' <<<"$out")
check "status, no PID: the unlocked server is listed" matches "$row" "^$bpid +bindfs "
check "... SERVES names its loop device" matches "$row" " $dev +serves swap"
check "... the row says it is not locked" contains "$row" "serves swap, NOT LOCKED"
check "... and the scan of the host exits 1 (a user-space swap area unprotected)" equals "$rc" 1

out=$(timeout 30 "$DM" status --json 2>/dev/null)
check "--json: the server is listed" equals "$(jq --argjson p "$bpid" '[.processes[] | select(.pid == $p)] | length' <<<"$out")" 1
check "... serving the loop device" equals "$(jq -c --argjson p "$bpid" '.processes[] | select(.pid == $p) | .serves' <<<"$out")" "[\"$loop\"]"
check "... not locked" equals "$(jq --argjson p "$bpid" '.processes[] | select(.pid == $p) | .verdicts | index("locked")' <<<"$out")" null
check "... the swap area: served by it, not protected" equals \
	"$(jq -c --arg l "$loop" '.swap_areas[] | select(.device == $l) | [.servers, .protected]' <<<"$out")" "[[$bpid],false]"
check "... whether a guard runs is said" equals "$(jq '.guard_running | type' <<<"$out")" '"boolean"'

out=$(timeout 30 "$DM" status --prometheus 2>/dev/null)
check "prometheus: the area's gauge reads 0" contains "$out" "duende_mlock_swap_device_protected{device=\"$loop\"} 0"
check "... with its HELP and TYPE" contains "$out" "# TYPE duende_mlock_swap_device_protected gauge"
check "... the guard gauge" matches "$out" "^duende_mlock_guard_running [01]$"
if command -v promtool >/dev/null; then
	check "... promtool check metrics accepts it" promtool check metrics <<<"$out"
fi

# node_exporter's textfile collector serves the series as written.
if command -v prometheus-node-exporter >/dev/null; then
	mkdir -p "$TMP/textfile"
	run_cmd out rc "$DM" status --prometheus --output "$TMP/textfile/duende-mlock.prom"
	scraped_or_gone() { curl -sf "http://127.0.0.1:$port/metrics" >"$TMP/scrape" 2>/dev/null || ! kill -0 "$epid" 2>/dev/null; }
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		prometheus-node-exporter --collector.disable-defaults --collector.textfile \
			--collector.textfile.directory="$TMP/textfile" --web.listen-address="127.0.0.1:$port" \
			>"$TMP/exporter.log" 2>&1 &
		epid=$!
		wait_until scraped_or_gone
		kill -0 $epid 2>/dev/null && break
	done
	on_exit "kill $epid"
	scrape=$(cat "$TMP/scrape")
	check "node_exporter serves the area's gauge, 0" contains "$scrape" "duende_mlock_swap_device_protected{device=\"$loop\"} 0"
	check "... and whether a guard runs" matches "$scrape" "^duende_mlock_guard_running [01]$"
	check "... with no scrape error" contains "$scrape" "node_textfile_scrape_error 0"
else
	echo "SKIP [node_exporter]: prometheus-node-exporter is missing (package prometheus-node-exporter)" >&2
fi

# --- doctor: the fix for a server that runs, run exactly as printed
run_cmd out rc "$DM" doctor
check "doctor: the host's swap names the command that locks its server" contains "$out" "duende-mlock lock --tree $bpid"
check "doctor: vm.min_free_kbytes is judged where swap is served from user space" \
	contains "$out" "vm.min_free_kbytes is $(cat /proc/sys/vm/min_free_kbytes) ("
if grep -q '^[0-9]*:memory:' /proc/self/cgroup && [ -d /sys/fs/cgroup/memory ]; then
	check "doctor: what applies on memory cgroup v1 is said" contains "$out" "cgroup v1 has no memory.min and no memory.swap.max"
fi
run_cmd out rc "$DM" doctor --pid "$bpid"
check "doctor --pid: it serves the swap, unlocked" contains "$out" "PID $bpid serves swap $loop (loop"
fix=$(sed -n 's/^  lock: *\(duende-mlock lock --tree [0-9]*\).*/\1/p' <<<"$out")
check "doctor --pid: the fix is 'duende-mlock lock --tree $bpid'" equals "$fix" "duende-mlock lock --tree $bpid"
if [ -n "$fix" ]; then
	# As printed, with this build's duende-mlock first on PATH.
	mkdir -p "$TMP/bin" && ln -sf "$(realpath "$DM")" "$TMP/bin/duende-mlock"
	if [ -n "$spid" ]; then kill "$spid"; wait "$spid" 2>/dev/null; fi
	run_cmd out rc env PATH="$TMP/bin:$PATH" sh -c "$fix"
	# A guard let loose may be locking it at the same moment (one tracer
	# at a time): once more, after it.
	if [ "$rc" != 0 ] && [ -n "$spid" ]; then sleep 2; run_cmd out rc env PATH="$TMP/bin:$PATH" sh -c "$fix"; fi
	check "the printed fix exits 0" equals "$rc" 0 || echo "$out" >&2
	check_locked "bindfs after the printed fix" "$bpid"
fi
out=$(timeout 30 "$DM" status --prometheus 2>/dev/null)
check "prometheus: the area's gauge reads 1 once its server is locked" contains "$out" "duende_mlock_swap_device_protected{device=\"$loop\"} 1"
run_cmd out rc "$DM" status
check "status: no NOT LOCKED row for it any more" lacks "$(awk -v p="$bpid" '$1 == p' <<<"$out")" "NOT LOCKED"
run_cmd out rc "$DM" doctor --pid "$bpid"
check "doctor --pid: no lock fix for a locked server" lacks "$out" "lock --tree"
finish
