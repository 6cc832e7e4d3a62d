#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The shared library exports exactly the symbols the version script names,
# each one declared in the public header, all under one version node.
set -u
lib=$1 map=$2 header=$3
command -v nm >/dev/null || { echo "SKIP: nm is missing (package binutils)" >&2; exit 77; }
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "D" || $2 == "B" {print $3}' |
	sed 's/@.*//' | sort -u)
listed=$(grep -oE '^\s*duende_mlock_[a-z_]+;' "$map" | tr -d ' \t;' | sort -u)
status=0
if [ "$exported" != "$listed" ]; then
	echo "exported symbols differ from $map:" >&2
	diff <(echo "$listed") <(echo "$exported") >&2
	status=1
fi
mandir=$(dirname "$header")/../man
for sym in $listed; do
	grep -q "\b$sym(" "$header" || { echo "$sym is not declared in $header" >&2; status=1; }
	[ -f "$mandir/$sym.3" ] || { echo "$sym has no man page $mandir/$sym.3" >&2; status=1; }
done
soname=$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libduende-mlock.so.1 ] || { echo "soname is '$soname'" >&2; status=1; }
versions=$(nm -D --defined-only "$lib" | grep -c '@@DUENDE_MLOCK_1.0')
[ "$versions" -eq "$(echo "$listed" | wc -l)" ] || { echo "not every symbol is versioned" >&2; status=1; }
[ $status = 0 ] && echo "$(echo "$listed" | wc -l) symbols exported, all listed, declared, versioned and documented"
exit $status
