#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The main job: build everything, run the bundled block-serving daemon
# (examples/blockd, a FUSE daemon) under `duende-mlock exec`, and show
# `duende-mlock status` of it. Cleans up after itself.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
command -v fusermount3 >/dev/null || scripts/install-deps.sh test
scripts/build.sh

export DUENDE_MLOCK_PRELOAD=$PWD/build/preload/libduende-mlock-preload.so
DM=build/cli/duende-mlock
work=$(mktemp -d /tmp/duende-mlock-demo.XXXXXX)
mkdir "$work/mnt"
pid=
cleanup() {
	fusermount3 -u "$work/mnt" 2>/dev/null || umount -l "$work/mnt" 2>/dev/null || true
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

echo "\$ duende-mlock exec --verbose -- blockd --size 64 --backing $work/disk.img $work/mnt"
$DM exec --verbose -- build/examples/blockd --size 64 --backing "$work/disk.img" "$work/mnt" &
pid=$!
for _ in $(seq 100); do mountpoint -q "$work/mnt" && break; sleep 0.1; done
mountpoint -q "$work/mnt" || { echo "demo: blockd did not mount" >&2; exit 1; }
echo "blockd (pid $pid) serves $work/mnt/disk ($(stat -c %s "$work/mnt/disk") bytes)"
echo
echo "\$ duende-mlock status $pid"
$DM status "$pid"
echo
echo "\$ duende-mlock status --prometheus $pid | grep -v '^#'"
$DM status --prometheus "$pid" | grep -v '^#'
