#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Installs what building, demonstrating and testing duende-mlock needs, from
# Debian's packages only. Idempotent: installs only what is missing.
# Usage: scripts/install-deps.sh [build|test|all]   (default: all)
set -eu
what=${1:-all}

# Every package and why it is here is listed in README.md ("Dependencies").
build=(meson ninja-build gcc pkg-config libc6-dev libfuse3-dev liburing-dev)
test=(util-linux mount libcap2-bin jq bindfs fuse3 memcached binutils procps kmod strace python3
	nbd-server nbd-client nbdkit qemu-system-x86 busybox-static cpio xz-utils e2fsprogs
	prometheus prometheus-node-exporter curl systemd
	nginx haproxy dnsmasq lighttpd bind9-dnsutils)
# Daemons the tests start themselves, on ports of their own: installing one
# must not start it, nor leave it enabled at boot (port 80, port 53).
daemons=(nginx haproxy dnsmasq lighttpd)
gates=(clang valgrind cppcheck clang-tidy shellcheck musl-tools g++ gnuplot-nox
	mingw-w64 wine64 wine wasi-libc lld-14 libclang-rt-14-dev-wasm32 llvm-14 nodejs
	debhelper dpkg-dev lintian bash-completion gcc-aarch64-linux-gnu libc6-dev-arm64-cross)

case $what in
build) pkgs=("${build[@]}") ;;
test) pkgs=("${build[@]}" "${test[@]}") ;;
all) pkgs=("${build[@]}" "${test[@]}" "${gates[@]}") ;;
*) echo "usage: $0 [build|test|all]" >&2; exit 64 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null; then SUDO=sudo; else
		echo "install-deps: missing packages (${missing[*]}) and not root: run as root" >&2
		exit 1
	fi
else
	SUDO=
fi
# Another apt or dpkg (unattended-upgrades on a fresh machine) may hold
# their locks for minutes: wait for them, at most DM_APT_LOCK_WAIT seconds
# in all. apt waits for dpkg's own locks (DPkg::Lock::Timeout) but not for
# the lists or the archives directory's, so this script waits for all four,
# seeing their fcntl locks in /proc/locks (the holder's PID too).
LOCK_WAIT=${DM_APT_LOCK_WAIT:-600}
[[ $LOCK_WAIT =~ ^[0-9]+$ ]] || { echo "install-deps: DM_APT_LOCK_WAIT takes seconds, not '$LOCK_WAIT'" >&2; exit 64; }
deadline=$((SECONDS + LOCK_WAIT))
locks=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)
holders() { # one "PID (NAME) holds FILE" line per lock held now
	local f dev ino key
	for f in "${locks[@]}"; do
		read -r dev ino < <(stat -c '%d %i' "$f" 2>/dev/null) || continue
		key=$(printf '%02x:%02x:%d' $(((dev >> 8) & 0xfff)) $(((dev & 0xff) | ((dev >> 12) & 0xfff00))) "$ino")
		awk -v k="$key" '$2 != "->" && $6 == k {print $5}' /proc/locks 2>/dev/null | while read -r pid; do
			echo "$pid ($(cat "/proc/$pid/comm" 2>/dev/null || echo gone)) holds $f"
		done
	done
}
indent() { local l; while IFS= read -r l; do echo "install-deps:   $l"; done; }
wait_for_apt() { # STEP: returns once no lock is held; at the deadline, exits
	local held last=''
	while held=$(holders) && [ -n "$held" ]; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "install-deps: gave up after ${LOCK_WAIT}s waiting for the package manager's locks before $1:" >&2
			indent <<<"$held" >&2
			echo "install-deps: let that finish (or stop it), then run $0 again; DM_APT_LOCK_WAIT=SECONDS waits longer" >&2
			exit 1
		fi
		if [ "$held" != "$last" ]; then
			echo "install-deps: waiting (up to $((deadline - SECONDS))s more) for another package manager before $1:" >&2
			indent <<<"$held" >&2
			last=$held
		fi
		sleep 2
	done
}
left() { local l=$((deadline - SECONDS)); echo $((l > 0 ? l : 0)); }
apt_get() { # STEP APT-GET-ARGS...: apt-get once the locks are free; once more if it lost a race for one
	local step=$1
	shift
	for _ in 1 2; do
		wait_for_apt "$step"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout="$(left)" "$@" && return 0
		[ -n "$(holders)" ] || return 1 # failed for another reason
	done
	return 1
}

echo "install-deps: installing ${missing[*]}"
apt_get "apt-get update" update -qq || { echo "install-deps: apt-get update failed" >&2; exit 1; }
# invoke-rc.d and deb-systemd-invoke ask policy-rc.d whether to start a
# service; 101 says no. Put one in place for this install only, unless the
# machine has its own.
policy=/usr/sbin/policy-rc.d
if [ ! -e $policy ]; then
	printf '#!/bin/sh\n# install-deps.sh: no service starts while it installs\nexit 101\n' | $SUDO tee $policy >/dev/null
	$SUDO chmod 755 $policy
	trap '$SUDO rm -f $policy' EXIT
fi
apt_get "apt-get install" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	{ echo "install-deps: apt-get install ${missing[*]} failed" >&2; exit 1; }
if [ -d /run/systemd/system ]; then
	for d in "${daemons[@]}"; do
		[[ " ${missing[*]} " == *" $d "* ]] && $SUDO systemctl disable --now "$d" >/dev/null 2>&1
	done
fi
true
