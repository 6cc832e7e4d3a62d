#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Installs what building, demonstrating and testing duende-mlock needs, from
# Debian's packages only. Idempotent: installs only what is missing.
# Usage: scripts/install-deps.sh [build|test|all]   (default: all)
set -eu
what=${1:-all}

# Every package and why it is here is listed in README.md ("Dependencies").
build=(meson ninja-build gcc pkg-config libc6-dev libfuse3-dev liburing-dev)
test=(util-linux mount libcap2-bin jq bindfs fuse3 memcached binutils procps kmod strace
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
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
# invoke-rc.d and deb-systemd-invoke ask policy-rc.d whether to start a
# service; 101 says no. Put one in place for this install only, unless the
# machine has its own.
policy=/usr/sbin/policy-rc.d
if [ ! -e $policy ]; then
	printf '#!/bin/sh\n# install-deps.sh: no service starts while it installs\nexit 101\n' | $SUDO tee $policy >/dev/null
	$SUDO chmod 755 $policy
	trap '$SUDO rm -f $policy' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ -d /run/systemd/system ]; then
	for d in "${daemons[@]}"; do
		[[ " ${missing[*]} " == *" $d "* ]] && $SUDO systemctl disable --now "$d" >/dev/null 2>&1
	done
fi
true
