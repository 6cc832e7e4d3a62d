#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# exec's real-daemon tests as real root, where CAP_SYS_RESOURCE lets exec
# raise the hard RLIMIT_MEMLOCK: memcached -u nobody must start, serve and
# stay locked after it drops root. Run from the source tree in a guest.
# Usage: cli-exec-follow.sh [BUILD-DIR]   exit: as tests/cli/exec-follow.sh
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
exec "$src/tests/cli/exec-follow.sh" "$build/cli/duende-mlock" \
	"$build/preload/libduende-mlock-preload.so" "$build/tests/cli/nbd-handshake" \
	"$build/tests/cli/forker"
