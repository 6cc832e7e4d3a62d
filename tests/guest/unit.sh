#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Runs test programs one after another (inside a guest, as real root) and
# says how each ended. As real root with every capability nothing may
# skip: a skip there would hide the success path the guest exists for.
# Usage: unit.sh TEST...   exit: 0 all passed, 1 not
set -u
fails=0
echo "guest: CapEff $(sed -n 's/^CapEff:\t//p' /proc/self/status), uid $(id -u)"
for t in "$@"; do
	"$t"
	rc=$?
	case $rc in
	0) echo "guest-result: ${t##*/} passed" ;;
	77) echo "guest-result: ${t##*/} SKIPPED as real root: counted as failed"; fails=$((fails + 1)) ;;
	*) echo "guest-result: ${t##*/} FAILED (exit $rc)"; fails=$((fails + 1)) ;;
	esac
done
echo "guest: $# test(s), $fails failed"
[ $fails = 0 ]
