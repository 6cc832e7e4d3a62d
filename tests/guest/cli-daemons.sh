#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Debian's daemons that drop privileges, rebuild their children's
# environment and re-exec themselves, as real root: there exec raises the
# hard RLIMIT_MEMLOCK, so each drop is covered and keeps no capability,
# and each daemon must serve locked all the same. The same tests as on the
# host (tests/cli/drop-*.sh, helper-lighttpd.sh, reexec-haproxy.sh,
# drops.sh), from the source tree, in a guest; nothing may skip there.
# Usage: cli-daemons.sh [BUILD-DIR]   exit: 0 all passed, 1 not
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
export DM_TEST_BIGMAP=$build/tests/cli/bigmap DM_TEST_DROPPER=$build/tests/cli/dropper
fails=0
for t in drop-nginx drop-haproxy drop-dnsmasq helper-lighttpd reexec-haproxy drops; do
	"$src/tests/cli/$t.sh" "$build/cli/duende-mlock" "$build/preload/libduende-mlock-preload.so" \
		"$build/tests/cli/nbd-handshake" "$build/tests/cli/forker"
	rc=$?
	case $rc in
	0) echo "guest-result: $t passed" ;;
	77) echo "guest-result: $t SKIPPED as real root: counted as failed"; fails=$((fails + 1)) ;;
	*) echo "guest-result: $t FAILED (exit $rc)"; fails=$((fails + 1)) ;;
	esac
done
[ $fails = 0 ]
