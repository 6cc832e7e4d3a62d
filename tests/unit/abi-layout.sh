#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The layout of every public structure (each field's offset and type, each
# structure's size and alignment, as clang lays them out for this machine)
# against tests/abi/layout, which records them for the newest version
# node. A layout that changes, or a new node, fails until the record is
# updated in the same change: programs built against a released node would
# read the structures wrongly, so a released layout changes only with a
# new node (and the old entry points keep the old layout, src/layout.h).
# Usage: abi-layout.sh INCLUDE-DIR VERSION-HEADER-DIR MAP RECORD [--update]
set -u
inc=$1 vinc=$2 map=$3 record=$4 update=${5:-}
command -v clang >/dev/null || { echo "SKIP: clang is missing (package clang): it dumps the layouts" >&2; exit 77; }
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: the record is of x86_64's layouts" >&2; exit 77; }
node=$(sed -n 's/^\(DUENDE_MLOCK_[0-9.]*\) *{.*/\1/p' "$map" | tail -1)
tu=$(mktemp --suffix=.c)
trap 'rm -f "$tu"' EXIT
{
	echo '#include <duende-mlock.h>'
	echo 'int dm_sizes[] = {'
	grep -o '^struct duende_mlock_[a-z0-9_]* {' "$inc/duende-mlock.h" | sed 's/ {$//; s/.*/\tsizeof(&),/'
	echo '};'
} >"$tu"
layout=$(clang -fsyntax-only -Xclang -fdump-record-layouts -I "$inc" -I "$vinc" "$tu" 2>&1 |
	awk '/^\*\*\* Dumping/ { keep = 0; next }
	     /^ *0 \| struct duende_mlock_/ && !inblock { keep = 1 }
	     /^$/ { inblock = 0; if (keep) print ""; keep = 0; next }
	     { inblock = 1; if (keep) print }')
[ -n "$layout" ] || { echo "clang printed no layouts" >&2; exit 1; }
now=$(printf '# %s\n%s\n' "$node" "$layout")
if [ "$update" = --update ]; then
	printf '%s\n' "$now" >"$record"
	echo "recorded the layouts of $node in $record"
	exit 0
fi
recorded_node=$(head -1 "$record" 2>/dev/null | sed 's/^# //')
if [ "$recorded_node" != "$node" ]; then
	echo "the newest version node is $node, the layouts recorded are $recorded_node's: record the new node's layouts ($0 $* --update)" >&2
	exit 1
fi
if [ "$now" != "$(cat "$record")" ]; then
	echo "a public structure's layout changed within $node:" >&2
	diff <(cat "$record") <(printf '%s\n' "$now") >&2
	echo "if $node is released, this needs a new version node (and the old entry points must keep the old layout); if not, record it with --update" >&2
	exit 1
fi
echo "$(grep -c '| struct duende_mlock_' <<<"$layout") structure layouts as recorded for $node"
