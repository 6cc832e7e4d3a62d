#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# An unprivileged daemon under a sensible RLIMIT_MEMLOCK (8 MiB, no
# CAP_IPC_LOCK): with the crate's defaults its threads cannot start (each
# 8 MiB stack and 64 MiB arena counts in full), in lean mode they do.
# Usage: lean-threads.sh REFDAEMON
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
ref=$1
need_root "privilege drops"
need_cmd setpriv util-linux
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all --)
"${NOBODY[@]}" test -x "$ref" || skip "uid 65534 cannot execute $ref"
prlimit --memlock=8388608:8388608 true 2>/dev/null || skip "cannot set RLIMIT_MEMLOCK to 8 MiB here"

run_cmd out rc prlimit --memlock=8388608:8388608 -- "${NOBODY[@]}" "$ref" --threads 8 --mib 2 --mode default
check "default locking: threads cannot start under 8 MiB" equals "$rc" 1
check "... pthread_create is what fails" contains "$out" "pthread_create failed"
run_cmd out rc prlimit --memlock=8388608:8388608 -- "${NOBODY[@]}" "$ref" --threads 8 --mib 2 --mode lean
check "lean locking: 8 threads start under 8 MiB" equals "$rc" 0
check "... and their memory is pinned" contains "$out" "mode=lean threads=8"
pinned=$(sed -n 's/.*pinned=\([0-9]*\).*/\1/p' <<<"$out")
check "... at least the 2 MiB they touched" test "${pinned:-0}" -ge $((2 << 20))
finish
