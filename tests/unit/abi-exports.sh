#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The shared library exports exactly the symbols the version script names,
# each under the version node that lists it, declared in the public header
# and documented by a man page. Nodes are only ever added: 1.0's symbols
# stay as they were.
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
# The first release's symbols, fixed for good.
v10=$(awk '$2 == "DUENDE_MLOCK_1.0"' <<<"$listed" | wc -l)
[ "$v10" = 26 ] || { echo "DUENDE_MLOCK_1.0 lists $v10 symbols, not its 26" >&2; status=1; }
soname=$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libduende-mlock.so.1 ] || { echo "soname is '$soname'" >&2; status=1; }
[ $status = 0 ] && echo "$(echo "$listed" | wc -l) symbols exported, each under its version node, declared and documented"
exit $status
