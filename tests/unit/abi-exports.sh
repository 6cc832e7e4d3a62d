#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The shared library exports exactly the symbols the version script names,
# each under the version node that lists it, declared in the public header
# and documented by a man page: the page it names, or the one its .so link
# leads to, lists it on its NAME line and states its attributes (ATTRIBUTES:
# MT-Safe, AS-Safe, processes, stack). Nodes are only ever added, and what a
# release exported stays exported.
# Usage: abi-exports.sh LIBRARY MAP HEADER MANDIR
set -u
lib=$1 map=$2 header=$3 mandir=$4
command -v nm >/dev/null || { echo "SKIP: nm is missing (package binutils)" >&2; exit 77; }
# "symbol node" for every symbol the map lists
listed=$(awk '/^DUENDE_MLOCK_[0-9.]+ *\{/ {node=$1} /^[ \t]*duende_mlock_[a-z_0-9]+;/ {gsub(/[ \t;]/, ""); print $0, node}' "$map" | sort)
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "D" || $2 == "B" {print $3}' |
	grep -v '^DUENDE_MLOCK_' | sed 's/@@*/ /' | sort)
# The page that documents a symbol: its own, or the one its .so link
# ("man3/PAGE.3") names, followed a few links deep.
real_page() {
	local page=$mandir/$1.3 hops=0 target
	while target=$(sed -n '1s/^\.so  *//p' "$page") && [ -n "$target" ]; do
		page=$mandir/${target##*/}
		hops=$((hops + 1))
		[ $hops -le 4 ] && [ -f "$page" ] || return 1
	done
	echo "$page"
}
# Section TITLE of a page, font escapes removed.
section() {
	awk -v want=".SH $2" '/^\.SH / { on = ($0 == want); next } on' "$1" |
		sed 's/\\f[BIRP]//g; s/\\f([A-Z][A-Z]//g; s/\\f\[[^]]*\]//g'
}
# Whether text names sym as a whole word.
names() { grep -Eq "(^|[^A-Za-z0-9_])$2([^A-Za-z0-9_]|\$)" <<<"$1"; }
# The page lists sym on its NAME line and names it in ATTRIBUTES.
check_page() {
	local sym=$1 page
	page=$(real_page "$sym") || { echo "$sym: the .so link of $mandir/$sym.3 leads to no page" >&2; return 1; }
	names "$(section "$page" NAME | tr '\n' ' ' | sed 's/\\-.*//')" "$sym" ||
		{ echo "$sym: the NAME line of $page does not list it" >&2; return 1; }
	grep -q '^\.SH ATTRIBUTES' "$page" ||
		{ echo "$sym: $page has no ATTRIBUTES section" >&2; return 1; }
	names "$(section "$page" ATTRIBUTES)" "$sym" ||
		{ echo "$sym: the ATTRIBUTES section of $page does not name it" >&2; return 1; }
}
status=0
if [ "$exported" != "$listed" ]; then
	echo "exported symbols (with their version) differ from $map:" >&2
	diff <(echo "$listed") <(echo "$exported") >&2
	status=1
fi
while read -r sym _; do
	grep -q "\b$sym(" "$header" || { echo "$sym is not declared in $header" >&2; status=1; }
	if [ -f "$mandir/$sym.3" ]; then
		check_page "$sym" || status=1
	else
		echo "$sym has no man page $mandir/$sym.3" >&2
		status=1
	fi
done <<<"$listed"
# Every symbol a release exported stays exported under its version
# (tests/abi/RELEASE/symbols, "symbol node"): a program built against it
# still links. A name may also gain a newer default version.
for released in "$(dirname "$0")"/../abi/*/symbols; do
	release=$(basename "$(dirname "$released")")
	while read -r sym node; do
		grep -qx "$sym $node" <<<"$exported" ||
			{ echo "$sym@$node of $release is no longer exported" >&2; status=1; }
	done <"$released"
done
soname=$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libduende-mlock.so.1 ] || { echo "soname is '$soname'" >&2; status=1; }
[ $status = 0 ] && echo "$(echo "$listed" | wc -l) symbols exported, each under its version node, declared and documented with its attributes"
exit $status
