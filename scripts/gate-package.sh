#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Gate `package`: the Debian packages, from a clean clone of HEAD.
#   - debian/changelog's upstream version is meson's project version;
#   - dpkg-buildpackage -us -uc -b builds them; lintian reports no error
#     and no warning;
#   - dpkg -i installs them (apt-get -f install brings dependencies);
#   - the installed command, with nothing in its environment, locks a real
#     daemon (memcached) through the packaged shim, proved by its VmLck;
#     status and doctor answer; a consumer builds against the installed
#     -dev package through pkg-config (shared and static) and runs; the
#     bash completion loads where bash-completion looks and completes;
#   - dpkg --purge removes them and nothing dpkg -L listed is left.
# The packages (and any dependency installed for them) are purged on every
# way out. Needs root. Exit 0 pass, 1 fail, 77 skip ("SKIP: reason").
# Usage: scripts/gate-package.sh
set -u
cd "$(dirname "$0")/.." || exit 1
SRC=$PWD
PKGS=(duende-mlock libduende-mlock1 libduende-mlock-dev)
start=$SECONDS

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "== $*"; }
need() { command -v "$1" >/dev/null || skip "$1 is missing (package $2)"; }
installed() { # PKG: dpkg knows it in any state but not-installed
	local s
	s=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
	[ -n "$s" ] && [ "$s" != not-installed ]
}

[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i, dpkg --purge)"
need git git
need dpkg-buildpackage dpkg-dev
need dh debhelper
need lintian lintian
need meson meson
need cc gcc
need pkg-config pkg-config
need memcached memcached
for p in "${PKGS[@]}"; do
	! installed "$p" || skip "$p is already installed; this gate installs and purges its own: dpkg --purge ${PKGS[*]}"
done

TMP=$(mktemp -d /tmp/duende-mlock-package.XXXXXX)
chmod 755 "$TMP"
daemon=
before_pkgs=$TMP/packages-before
dpkg-query -W -f='${Package}:${Architecture} ${db:Status-Status}\n' | awk '$2 == "installed" {print $1}' | sort >"$before_pkgs"

cleanup() {
	local p purge=() new
	if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then
		kill "$daemon" 2>/dev/null
		wait "$daemon" 2>/dev/null
	fi
	for p in "${PKGS[@]}"; do installed "$p" && purge+=("$p"); done
	if [ ${#purge[@]} -gt 0 ]; then
		echo "cleanup: purging ${purge[*]}"
		dpkg --purge "${purge[@]}" >/dev/null 2>&1 || echo "cleanup: dpkg --purge ${purge[*]} failed"
	fi
	# Dependencies that apt-get -f install brought for the packages.
	new=$(dpkg-query -W -f='${Package}:${Architecture} ${db:Status-Status}\n' | awk '$2 == "installed" {print $1}' |
		sort | comm -13 "$before_pkgs" -)
	if [ -n "$new" ]; then
		echo "cleanup: purging what was installed for the packages: $new"
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $new >/dev/null 2>&1 || echo "cleanup: purging $new failed"
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- a clean clone of HEAD
rev=$(git rev-parse HEAD) || fail "not a git checkout"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	echo "note: uncommitted changes are not part of the packages (HEAD $rev is)"
step "clone $rev"
if ! { git clone -q "$SRC" "$TMP/src" && git -C "$TMP/src" checkout -q --detach "$rev"; }; then
	fail "cannot clone $SRC at $rev"
fi
cd "$TMP/src" || fail "no clone"
missing=$(dpkg-checkbuilddeps 2>&1) || skip "build dependencies missing: ${missing#*: }"

# --- one home for the version: meson's project(version:)
version=$(meson introspect --projectinfo meson.build | python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])') ||
	fail "cannot read meson's project version"
debversion=$(dpkg-parsechangelog -S Version) || fail "cannot read debian/changelog"
upstream=${debversion#*:}
upstream=${upstream%-*}
[ "$upstream" = "$version" ] ||
	fail "debian/changelog's upstream version is $upstream ($debversion), meson's project version is $version: add a changelog entry (dch -v $version-1)"
echo "version $version, package version $debversion"

# --- build, lintian
step "dpkg-buildpackage -us -uc -b"
t=$SECONDS
if ! dpkg-buildpackage -us -uc -b -jauto >"$TMP/build.log" 2>&1; then
	# The temporary directory goes; the log of a failed build stays
	# (scripts/gates.sh names the directory in DM_GATE_KEEP).
	keep=${DM_GATE_KEEP:-${TMPDIR:-/tmp}}
	mkdir -p "$keep" && cp "$TMP/build.log" "$keep/duende-mlock-package-build.log"
	tail -60 "$TMP/build.log"
	fail "dpkg-buildpackage failed; its whole log: $keep/duende-mlock-package-build.log"
fi
echo "built in $((SECONDS - t)) s: $(cd "$TMP" && echo ./*.deb)"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
changes=$TMP/duende-mlock_${debversion#*:}_$arch.changes
[ -f "$changes" ] || fail "no $changes"
step "lintian"
lintian --fail-on error,warning "$changes" 2>&1 | grep -v 'running with root privileges'
[ "${PIPESTATUS[0]}" = 0 ] || fail "lintian reports errors or warnings"
echo "lintian: no error, no warning; overridden, each with its reason in debian/*.lintian-overrides:" \
	"$(cat debian/*.lintian-overrides 2>/dev/null | grep -v '^#' | sort | uniq -c | xargs echo)"

# --- install
debs=()
for p in "${PKGS[@]}"; do debs+=("$TMP/${p}_${debversion#*:}_$arch.deb"); done
step "dpkg -i ${debs[*]##*/}"
if ! dpkg -i "${debs[@]}"; then
	echo "dpkg -i left dependencies open: apt-get -f install"
	DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq --no-install-recommends || fail "apt-get -f install failed"
fi
for p in "${PKGS[@]}"; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p")" = installed ] || fail "$p is not installed"
done
for p in "${PKGS[@]}"; do
	dpkg -L "$p" >"$TMP/$p.list" || fail "dpkg -L $p"
done

dm=/usr/bin/duende-mlock
shim=/usr/lib/$multiarch/duende-mlock/libduende-mlock-preload.so
[ "$(command -v duende-mlock)" = "$dm" ] || fail "duende-mlock on PATH is $(command -v duende-mlock), not $dm"
[ "$(dpkg -S "$shim" 2>/dev/null)" = "duende-mlock: $shim" ] || fail "$shim does not belong to duende-mlock"
out=$("$dm" --version)
[[ $out == *" $version "* ]] || fail "duende-mlock --version says '$out', expected $version"
echo "$out"

# --- exec on a real daemon, with nothing in the environment
step "env -i $dm exec -- memcached"
env -i "$dm" exec -- /usr/bin/memcached -u root -l 127.0.0.1 -p 0 -U 0 -t 2 -m 8 >"$TMP/memcached.log" 2>&1 &
daemon=$!
kb=
for _ in $(seq 100); do
	kill -0 "$daemon" 2>/dev/null || break
	if [ "$(readlink "/proc/$daemon/exe")" = /usr/bin/memcached ]; then
		kb=$(awk '$1 == "VmLck:" {print $2}' "/proc/$daemon/status")
		[ "${kb:-0}" -gt 0 ] && break
	fi
	sleep 0.1
done
kill -0 "$daemon" 2>/dev/null || { cat "$TMP/memcached.log"; fail "memcached under exec did not keep running"; }
[ "${kb:-0}" -gt 0 ] || fail "memcached (PID $daemon) is not locked: VmLck ${kb:-unreadable} kB"
grep -qF " $shim" "/proc/$daemon/maps" || fail "memcached did not map the packaged shim $shim"
echo "memcached PID $daemon: VmLck $kb kB, shim $shim mapped"

step "status, doctor"
out=$("$dm" status "$daemon") || { echo "$out"; fail "status $daemon failed"; }
echo "$out"
awk -v p="$daemon" '$1 == p && $2 == "memcached" {found = 1} END {exit !found}' <<<"$out" || fail "status does not show memcached"
out=$("$dm" status --prometheus "$daemon") || fail "status --prometheus failed"
grep -qE "^duende_mlock_locked_bytes\{pid=\"$daemon\".*\} [1-9]" <<<"$out" || { echo "$out"; fail "status --prometheus shows no locked bytes"; }
"$dm" doctor
rc=$?
case $rc in 0 | 1) ;; *) fail "doctor: exit $rc (0 ready, 1 warnings expected as root)" ;; esac
"$dm" doctor --pid "$daemon" >"$TMP/doctor.log"
rc=$?
case $rc in 0 | 1) echo "doctor --pid $daemon: exit $rc" ;; *) cat "$TMP/doctor.log"; fail "doctor --pid: exit $rc" ;; esac
kill "$daemon" && wait "$daemon" 2>/dev/null
daemon=

# --- a consumer of the installed -dev package
step "consumer against the installed libduende-mlock-dev"
consumer=$(git ls-files -- '*consumer.c' | head -1)
[ -n "$consumer" ] || fail "no consumer.c in the tree"
unset PKG_CONFIG_PATH PKG_CONFIG_LIBDIR LD_LIBRARY_PATH
[ "$(pkg-config --variable=libdir duende-mlock)" = "/usr/lib/$multiarch" ] ||
	fail "pkg-config finds duende-mlock in $(pkg-config --variable=libdir duende-mlock), not /usr/lib/$multiarch"
[ "$(pkg-config --modversion duende-mlock)" = "$version" ] || fail "pkg-config --modversion is not $version"
read -ra flags <<<"$(pkg-config --cflags --libs duende-mlock)"
cc -std=c11 -Wall -Wextra -Werror -o "$TMP/consumer" "$consumer" "${flags[@]}" || fail "cannot build $consumer"
env -i "$TMP/consumer" || fail "the consumer failed"
loaded=$(ldd "$TMP/consumer" | awk '$1 == "libduende-mlock.so.1" {print $3}')
[[ -n $loaded && $(readlink -f "$loaded") == "$(readlink -f "/usr/lib/$multiarch/libduende-mlock.so.1")" ]] ||
	fail "the consumer does not load the packaged library: $(ldd "$TMP/consumer")"
read -ra cflags <<<"$(pkg-config --cflags duende-mlock)"
read -ra libs <<<"$(pkg-config --static --libs duende-mlock)"
cc -std=c11 -Wall -Wextra -Werror -o "$TMP/consumer-static" "$consumer" "${cflags[@]}" -Wl,-Bstatic "${libs[@]}" -Wl,-Bdynamic ||
	fail "cannot build $consumer against the static archive"
env -i "$TMP/consumer-static" || fail "the static consumer failed"
! ldd "$TMP/consumer-static" | grep -q libduende-mlock || fail "the static consumer loads the shared library"
if command -v c++ >/dev/null; then
	c++ -std=c++20 -Wall -Wextra -Werror -x c++ -o "$TMP/consumer-cxx" "$consumer" -x none "${flags[@]}" ||
		fail "cannot build $consumer as C++"
	env -i "$TMP/consumer-cxx" || fail "the C++ consumer failed"
fi

# --- bash completion
step "bash completion"
completion=$(grep -E '/completions/duende-mlock$' "$TMP/duende-mlock.list") || fail "the package has no bash completion"
if pkg-config --exists bash-completion; then
	[ "${completion%/*}" = "$(pkg-config --variable=completionsdir bash-completion)" ] ||
		fail "$completion is not in bash-completion's completionsdir"
fi
out=$(bash -c 'source "$1" && complete -p duende-mlock' _ "$completion") || fail "the completion does not load: $out"
echo "$out"
if [ -f /usr/share/bash-completion/bash_completion ]; then
	# Loaded on demand by bash-completion, then asked as bash asks it.
	out=$(bash -c '
		source /usr/share/bash-completion/bash_completion
		_completion_loader duende-mlock
		ask() {
			COMP_LINE=$1 COMP_POINT=${#1}
			read -ra COMP_WORDS <<<"$1"
			[[ $1 == *" " ]] && COMP_WORDS+=("")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMPREPLY=()
			_duende_mlock 2>/dev/null
			echo "[$1] ${COMPREPLY[*]}"
		}
		ask "duende-mlock st"
		ask "duende-mlock exec --le"
		ask "duende-mlock doctor --pid $$"
		ask "duende-mlock exec -- memcache"
		echo "pid $$"' _)
	echo "$out"
	pid=$(sed -n 's/^pid //p' <<<"$out")
	if ! { grep -qx '\[duende-mlock st\] status' <<<"$out" &&
		grep -qx '\[duende-mlock exec --le\] --lean' <<<"$out" &&
		grep -qE "^\[duende-mlock doctor --pid $pid\] (.* )?$pid( |$)" <<<"$out" &&
		grep -qE '^\[duende-mlock exec -- memcache\] (.* )?memcached( |$)' <<<"$out"; }; then
		fail "the completion does not complete subcommands, options, PIDs and programs"
	fi
fi

# --- purge: nothing of the packages is left
step "dpkg --purge ${PKGS[*]}"
dpkg --purge "${PKGS[@]}" || fail "dpkg --purge failed"
left=0
for p in "${PKGS[@]}"; do
	! installed "$p" || { echo "$p is still known to dpkg"; left=1; }
	while IFS= read -r f; do
		case $f in /. | "") continue ;; esac
		if [ -L "$f" ] || { [ -e "$f" ] && [ ! -d "$f" ]; }; then
			echo "left behind by $p: $f"
			left=1
		elif [ -d "$f" ] && ! dpkg -S "$f" >/dev/null 2>&1; then
			echo "directory left behind by $p, owned by no package: $f"
			left=1
		fi
	done <"$TMP/$p.list"
	for f in /var/lib/dpkg/info/"$p".* /var/lib/dpkg/info/"$p":*; do
		[ -e "$f" ] && { echo "left in dpkg's database: $f"; left=1; }
	done
done
[ $left = 0 ] || fail "the purge left files behind"
echo "purged: nothing of $(cat "$TMP"/*.list | wc -l) listed paths is left"
echo "package gate passed in $((SECONDS - start)) s"
