#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The shared library exports exactly the symbols the version script names,
# each under the version node that lists it, declared in the public header
# and documented by a man page. Nodes are only ever added, and what a
# release exported stays exported.
# Usage: abi-exports.sh LIBRARY MAP HEADER MANDIR
set -u
lib=$1 map=$2 header=$3 mandir=$4
command -v nm >/dev/null || { echo "SKIP: nm is missing (package binutils)" >&2; exit 77; }
# "symbol node" for every symbol the map lists
listed=$(awk '/^DUENDE_MLOCK_[0-9.]+ *\{/ {node=$1} /^[ \t]*duende_mlock_[a-z_0-9]+;/ {gsub(/[ \t;]/, ""); print $0, node}' "$map" | sort)
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "D" || $2 == "B" {print $3}' |
	grep -v '^DUENDE_MLOCK_' | sed 's/@@*/ /' | sort)
status=0
if [ "$exported" != "$listed" ]; then
	echo "exported symbols (with their version) differ from $map:" >&2
	diff <(echo "$listed") <(echo "$exported") >&2
	status=1
fi
while read -r sym _; do
	grep -q "\b$sym(" "$header" || { echo "$sym is not declared in $header" >&2; status=1; }
	[ -f "$mandir/$sym.3" ] || { echo "$sym has no man page $mandir/$sym.3" >&2; status=1; }
done <<<"$listed"
# Every symbol a release exported stays exported under its version
# (tests/abi/RELEASE/symbols, "symbol node"): a program built against it
# still links. A name may also gain a newer default version.
for released in "$(dirname "$0")"/../abi/*/symbols; do
	while read -r sym node; do
		grep -qx "$sym $node" <<<"$exported" ||
			{ echo "$sym@$node of $(basename "$(dirname "$released")") is no longer exported" >&2; status=1; }
	done <"$released"
done
soname=$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libduende-mlock.so.1 ] || { echo "soname is '$soname'" >&2; status=1; }
[ $status = 0 ] && echo "$(echo "$listed" | wc -l) symbols exported, each under its version node, declared and documented"
exit $status
