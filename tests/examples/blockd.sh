#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# examples/blockd, the FUSE block server: it serves MOUNTPOINT/disk from
# its backing file (what is written through the mount is in the file, and
# back), says nothing while it serves (no libfuse noise: 3.14.0's
# fuse_main() printed "Ignoring invalid max threads value 4294967295"),
# stops and unmounts on SIGTERM, and with --harden is locked, every
# accessible mapping (smaps), reporting only its own "blockd:" lines.
# Usage: blockd.sh BLOCKD
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
BLOCKD=$1
need_root "a FUSE mount"
[ -x "$BLOCKD" ] || skip "examples/blockd was not built (libfuse3-dev)"
[ -e /dev/fuse ] || skip "no /dev/fuse"
need_cmd mountpoint util-linux

# serve VAR ARGS...: starts blockd ARGS --backing $TMP/back $TMP/mnt,
# waits for the mount, sets VAR to its PID; stderr in $TMP/blockd.err.
serve() {
	local -n _pid=$1
	shift
	mkdir -p "$TMP/mnt"
	"$BLOCKD" "$@" --backing "$TMP/back" "$TMP/mnt" 2>"$TMP/blockd.err" &
	_pid=$!
	on_exit "kill -9 $_pid; umount -l $TMP/mnt"
	wait_until mountpoint -q "$TMP/mnt" || { show_states "blockd did not mount" "$_pid"; cat "$TMP/blockd.err" >&2; return 1; }
}
stopped() { ! kill -0 "$1" 2>/dev/null && ! mountpoint -q "$TMP/mnt"; }
# stop PID: SIGTERM, then its exit status in $rc.
stop() {
	kill -TERM "$1"
	wait_until stopped "$1"
	wait "$1"
	rc=$?
}

serve pid --size 4 || { fail "blockd mounted"; finish; exit; }
check "serves disk, 4 MiB, the size asked" equals "$(stat -c %s "$TMP/mnt/disk")" $((4 << 20))
head -c $((1 << 20)) /dev/urandom >"$TMP/data"
dd if="$TMP/data" of="$TMP/mnt/disk" bs=64k seek=16 conv=notrunc,fsync status=none
check "what is written through the mount is in the backing file" \
	cmp <(dd if="$TMP/back" bs=64k skip=16 count=16 status=none) "$TMP/data"
head -c $((1 << 20)) /dev/urandom >"$TMP/data2"
dd if="$TMP/data2" of="$TMP/back" bs=64k seek=32 conv=notrunc,fsync status=none
check "what is in the backing file is read through the mount" \
	cmp <(dd if="$TMP/mnt/disk" bs=64k skip=32 count=16 iflag=direct status=none) "$TMP/data2"
check "writing past the end is refused (ENOSPC)" \
	bash -c '! dd if=/dev/zero of="$1" bs=4k seek=1024 count=1 conv=notrunc status=none 2>/dev/null' _ "$TMP/mnt/disk"
check "nothing on stderr while serving" equals "$(cat "$TMP/blockd.err")" ""
stop "$pid"
check "SIGTERM: exit 0" equals "$rc" 0
check "SIGTERM: unmounted" bash -c '! mountpoint -q "$1"' _ "$TMP/mnt"
check "nothing on stderr at all (no libfuse noise)" equals "$(cat "$TMP/blockd.err")" ""

if serve pid --harden; then
	check_locked "blockd --harden" "$pid"
	check "--harden: the backing file's size is kept" equals "$(stat -c %s "$TMP/mnt/disk")" $((4 << 20))
	stop "$pid"
	check "--harden: SIGTERM, exit 0" equals "$rc" 0
	check "--harden: it reported its steps" matches "$(cat "$TMP/blockd.err")" '^blockd: '
	check "--harden: only its own lines on stderr" equals "$(grep -vc '^blockd: ' "$TMP/blockd.err")" 0
else
	fail "blockd --harden mounted"
fi

rm -f "$TMP/back"
run_cmd out rc "$BLOCKD" --backing "$TMP/back" "$TMP/mnt"
check "an empty backing file without --size: exit 1" equals "$rc" 1
check "... saying to give --size" contains "$out" "give --size"
run_cmd out rc "$BLOCKD" --size 0 --backing "$TMP/back" "$TMP/mnt"
check "--size 0: exit 2 with the usage" equals "$rc" 2
check "... which names the options" contains "$out" "usage: "
run_cmd out rc "$BLOCKD" --size 4 --backing "$TMP/back" "$TMP/no-such-dir"
check "a mount point that does not exist: a failure exit" test "$rc" -ne 0
check "... naming it" contains "$out" "$TMP/no-such-dir"
finish
