#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Runs one command as real root (every capability, cgroup v2 or v1, NBD and
# ublk drivers) in a throwaway guest, and hands back its output and exit
# status. The guest is one of Debian's own kernels under qemu: downloaded
# as a package and unpacked into a cache, never installed. Its root file
# system is this machine's own, shared read-only over 9p, with tmpfs where
# programs write (/tmp, /run, /var/tmp, /var/log, /var/lib, /root), so the
# host's bash, daemons and build tree run there unchanged.
#
# Usage: tests/guest/run.sh [OPTIONS] -- COMMAND [ARGS...]
#   --kernel 6.12|6.1   6.12: Debian 12's backports kernel (nbd, ublk_drv, cgroup v2 only);
#                       6.1: Debian 12's own kernel (nbd, no ublk; cgroup v1 or v2). Default 6.12.
#   --cgroup v2|v1      which memory cgroup hierarchy to mount (v1 needs --kernel 6.1). Default v2.
#   --mem MIB           guest memory (default 1024)
#   --cpus N            virtual CPUs (default 2)
#   --timeout SECONDS   the guest is killed after this (default 600)
#   --rw DIR            share DIR read-write at the same path (repeatable); the
#                       current directory's files are visible read-only anyway
#   --accel auto|kvm|tcg  auto: KVM when /dev/kvm works, else emulation (default auto)
#   --tries N           boots that never reach COMMAND are retried up to N times (default 3)
#   --keep DIR          keep the guest's console log and output in DIR
#   --disk MIB          a blank scratch disk (virtio, sparse on the host), named
#                       in the guest by $GUEST_DISK (load virtio_blk first)
# The command runs in the current directory, with PATH and the variables
# named in $GUEST_ENV (space-separated) passed on. The guest finds the
# unpacked kernel's modules with `modprobe -d "$GUEST_MODULES" NAME`.
# Exit: COMMAND's status; 77 (SKIP on stderr) when this machine cannot run a
# guest; 125 when the guest never ran the command or did not finish in time.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
KVER=6.12 CGV=v2 MEM=1024 CPUS=2 TIMEOUT=600 ACCEL=${GUEST_ACCEL:-auto} TRIES=3 KEEP='' DISK=''
RW=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KVER=$2; shift ;;
	--cgroup) CGV=$2; shift ;;
	--mem) MEM=$2; shift ;;
	--cpus) CPUS=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--rw) RW+=("$(cd "$2" && pwd)") || exit 64; shift ;;
	--accel) ACCEL=$2; shift ;;
	--tries) TRIES=$2; shift ;;
	--keep) KEEP=$2; shift ;;
	--disk) DISK=$2; shift ;;
	--) shift; break ;;
	*) echo "guest: unknown argument '$1' (see the usage at the top of $0)" >&2; exit 64 ;;
	esac
	shift
done
bad() { echo "guest: $*" >&2; exit 64; }
[ $# -gt 0 ] || bad "no command given (usage: run.sh [OPTIONS] -- COMMAND [ARGS...])"
case $KVER in 6.12 | 6.1) ;; *) bad "--kernel takes 6.12 or 6.1, not '$KVER'" ;; esac
case $CGV in v2 | v1) ;; *) bad "--cgroup takes v1 or v2, not '$CGV'" ;; esac
[ "$CGV/$KVER" != v1/6.12 ] || bad "the 6.12 kernel has no cgroup v1 memory controller: use --kernel 6.1 for v1"
case $ACCEL in auto | kvm | tcg) ;; *) bad "--accel takes auto, kvm or tcg, not '$ACCEL'" ;; esac
for v in MEM CPUS TIMEOUT TRIES ${DISK:+DISK}; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || bad "--${v,,} takes a positive number, not '${!v}'"
done

skip() { echo "SKIP: $*" >&2; exit 77; }
[ "$(uname -m)" = x86_64 ] || skip "the guest kernels here are amd64 only"
for c in qemu-system-x86_64 cpio apt-get apt-cache dpkg-deb depmod xz; do
	command -v $c >/dev/null || skip "$c is missing (packages qemu-system-x86, cpio, apt, dpkg, kmod, xz-utils)"
done
BUSYBOX=/bin/busybox
if ! [ -x $BUSYBOX ] || ldd $BUSYBOX >/dev/null 2>&1; then skip "no static busybox at /bin/busybox (package busybox-static)"; fi

# ---- the kernel: a Debian package, unpacked into the cache ----
CACHE=${GUEST_CACHE:-$SRC/build-guest}
mkdir -p "$CACHE" || skip "cannot create the cache $CACHE"
exec 9>"$CACHE/.lock"
flock 9 # one download and unpack at a time; released on exit
find_pkg() {
	case $KVER in
	6.12) apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' 2>/dev/null |
		awk '{print $1}' | sort -V | tail -1 ;;
	6.1) apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-6\.1\.[^ ]*\)/\1/p' | head -1 ;;
	esac
}
pkg=$(find_pkg)
# Package lists not fetched yet (a fresh machine): fetch them once.
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ] && ! [ -e "$CACHE/.apt-updated" ]; then
	apt-get update -qq >/dev/null 2>&1 && touch "$CACHE/.apt-updated"
	pkg=$(find_pkg)
fi
if [ -z "$pkg" ]; then # offline: use what the cache holds
	pkg=$(cd "$CACHE" && find . -maxdepth 1 -name "linux-image-$KVER.*" -type d -printf '%f\n' | sort -V | tail -1)
	[ -n "$pkg" ] || skip "cannot find Debian's $KVER kernel package (run apt-get update)"
fi
KDIR=$CACHE/$pkg
if ! [ -f "$KDIR/.ready" ]; then
	rm -rf "$KDIR" "$CACHE"/"$pkg"_*.deb
	(cd "$CACHE" && apt-get download "$pkg" >/dev/null 2>&1) || skip "cannot download $pkg"
	dpkg-deb -x "$CACHE"/"$pkg"_*.deb "$KDIR" || skip "cannot unpack $pkg"
	rm -f "$CACHE"/"$pkg"_*.deb
	kv=$(ls "$KDIR/lib/modules")
	# The package leaves modules.dep to its postinst; modprobe needs it.
	depmod -b "$KDIR" "$kv" || skip "depmod failed for $pkg"
	touch "$KDIR/.ready"
fi
KV=$(ls "$KDIR/lib/modules")
VMLINUZ=$KDIR/boot/vmlinuz-$KV

# ---- the initramfs: busybox, the modules 9p needs, and init ----
INITRD=$KDIR/initramfs-guest.gz
if ! [ -f "$INITRD" ] || [ "$INITRD" -ot "$0" ] || [ "$INITRD" -ot "$SRC/tests/guest/init" ]; then
	ir=$(mktemp -d)
	mkdir -p "$ir"/{bin,mods,proc,sys,dev,newroot}
	cp $BUSYBOX "$ir/bin/busybox"
	install -m 755 "$SRC/tests/guest/init" "$ir/init"
	moddep=$KDIR/lib/modules/$KV/modules.dep
	declare -A seen=()
	order=()
	add_mod() { # path relative to the modules dir, dependencies first
		local m=$1 deps d
		[ -n "${seen[$m]:-}" ] && return
		seen[$m]=1
		deps=$(sed -n "s|^$m: *||p" "$moddep")
		for d in $deps; do add_mod "$d"; done
		order+=("$m")
	}
	for name in virtio_pci 9pnet_virtio 9p; do
		m=$(grep -o "^[^:]*/$name\.ko[^:]*" "$moddep")
		[ -n "$m" ] && add_mod "$m" # absent: built in
	done
	i=10
	for m in "${order[@]}"; do
		out=$ir/mods/$i-$(basename "${m%%.ko*}").ko
		case $m in
		*.xz) xz -dc "$KDIR/lib/modules/$KV/$m" >"$out" ;;
		*.zst) zstd -dcq "$KDIR/lib/modules/$KV/$m" >"$out" ;;
		*) cp "$KDIR/lib/modules/$KV/$m" "$out" ;;
		esac
		i=$((i + 1))
	done
	(cd "$ir" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$INITRD.tmp" && mv "$INITRD.tmp" "$INITRD"
	rm -rf "$ir"
fi
flock -u 9

# ---- the job: a script the guest's init runs after switching root ----
JOB=$(mktemp -d /tmp/guest-job.XXXXXX)
chmod 755 "$JOB"
QPID=
# shellcheck disable=SC2317 # called from traps
cleanup() {
	[ -n "$QPID" ] && kill -9 "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null
	rm -f "$JOB/disk.img"
	[ -n "$KEEP" ] && mkdir -p "$KEEP" && cp -a "$JOB"/. "$KEEP"/ 2>/dev/null
	rm -rf "$JOB"
}
# shellcheck disable=SC2317
on_signal() {
	echo "guest: interrupted: stopping the guest" >&2
	cleanup
	trap - EXIT
	exit 130
}
trap on_signal INT TERM HUP
trap cleanup EXIT
{
	echo "cd $(printf %q "$PWD") || exit 125"
	echo "export PATH=$(printf %q "$PATH") GUEST_MODULES=$(printf %q "$KDIR") GUEST_KERNEL=$KVER"
	[ -n "$DISK" ] && echo "export GUEST_DISK=/dev/vda"
	for v in ${GUEST_ENV:-}; do
		[ -n "${!v+x}" ] && echo "export $v=$(printf %q "${!v}")"
	done
	printf '%q ' "$@"
	echo
} >"$JOB/cmd"

# Paths the guest mounts over with tmpfs; a shared directory below one of
# them (or the source tree, when it lives there) is mounted again on top.
shares=("${RW[@]}")
case $SRC/ in /tmp/* | /run/* | /var/tmp/* | /var/lib/* | /root/*) shares+=("ro:$SRC") ;; esac

# KVM "works" when /dev/kvm is usable and no earlier boot here failed
# under it (nested KVM may fail to emulate an instruction at boot).
kvm_works() { [ -r /dev/kvm ] && [ -w /dev/kvm ] && ! [ -e "$CACHE/kvm-failed" ]; }
accels=()
case $ACCEL in
kvm) accels=(kvm) ;;
tcg) accels=(tcg) ;;
auto) if kvm_works; then accels=(kvm tcg); else accels=(tcg); fi ;;
esac

boot() { # ACCEL: one boot; the guest's exit status in $JOB/rc when it ran
	# Under emulation the baseline x86-64 CPU: with -cpu max glibc picks
	# AVX2 string functions and the kernel saves AVX state, which TCG
	# emulates slowly (an exec took twice as long, gzip four times).
	local accel=$1 cpu=qemu64 args=() i=0 s t0
	[ "$accel" = kvm ] && cpu=host
	args+=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap")
	args+=(-virtfs "local,path=$JOB,mount_tag=job,security_model=none")
	local mounts="job=$JOB"
	for s in "${shares[@]}"; do
		i=$((i + 1))
		case $s in
		ro:*) args+=(-virtfs "local,path=${s#ro:},mount_tag=share$i,security_model=none,readonly=on,multidevs=remap")
			mounts+=" share$i=ro:${s#ro:}" ;;
		*) args+=(-virtfs "local,path=$s,mount_tag=share$i,security_model=none,multidevs=remap")
			mounts+=" share$i=$s" ;;
		esac
	done
	echo "$mounts" >"$JOB/mounts"
	if [ -n "$DISK" ]; then # blank on every boot
		rm -f "$JOB/disk.img"
		truncate -s "${DISK}M" "$JOB/disk.img"
		args+=(-drive "file=$JOB/disk.img,if=virtio,format=raw,cache=unsafe")
	fi
	echo "$CGV" >"$JOB/cgroup"
	rm -f "$JOB/rc" "$JOB/started" "$JOB/out" "$JOB/console.log"
	: >"$JOB/out"
	t0=$(date +%s)
	qemu-system-x86_64 -accel "$accel" -cpu $cpu -m "$MEM" -smp "$CPUS" -nodefaults -no-reboot \
		-display none -monitor none -serial "file:$JOB/console.log" \
		-kernel "$VMLINUZ" -initrd "$INITRD" "${args[@]}" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=4 quiet hung_task_panic=0 guest.job=$JOB" \
		</dev/null >"$JOB/qemu.err" 2>&1 &
	QPID=$!
	tail -n +1 -f --pid=$QPID "$JOB/out" 2>/dev/null &
	local tailpid=$!
	while kill -0 $QPID 2>/dev/null; do
		if [ $(($(date +%s) - t0)) -ge "$TIMEOUT" ]; then
			echo "guest: no end after ${TIMEOUT}s: killing it" >&2
			kill -9 $QPID 2>/dev/null
			break
		fi
		# A guest that never reached its command in 120 s will not.
		if ! [ -e "$JOB/started" ] && [ $(($(date +%s) - t0)) -ge 120 ]; then
			echo "guest: the command did not start within 120 s: killing it" >&2
			kill -9 $QPID 2>/dev/null
			break
		fi
		if [ "$accel" = kvm ] && grep -q 'KVM internal error' "$JOB/qemu.err" 2>/dev/null; then
			kill -9 $QPID 2>/dev/null
			break
		fi
		sleep 0.5
	done
	wait $QPID 2>/dev/null
	QPID=
	sleep 0.3
	kill $tailpid 2>/dev/null
	wait $tailpid 2>/dev/null
	echo "guest: $KVER ($pkg), $accel, $(($(date +%s) - t0)) s" >>"$JOB/boots"
}

for ((try = 1; try <= TRIES; try++)); do
	accel=${accels[0]}
	boot "$accel"
	[ -e "$JOB/started" ] && break
	echo "guest: boot $try ($accel) never reached the command; console:" >&2
	tr -d '\r' <"$JOB/console.log" | tail -15 | sed 's/^/guest:   | /' >&2
	sed 's/^/guest:   | /' "$JOB/qemu.err" >&2
	# KVM that fails to boot falls back to emulation, here and from now on.
	if [ "$accel" = kvm ] && [ ${#accels[@]} -gt 1 ]; then
		accels=("${accels[@]:1}")
		echo "boot under KVM failed $(date -u +%FT%TZ); emulation from now on" >"$CACHE/kvm-failed"
	fi
done
if ! [ -e "$JOB/started" ]; then
	echo "guest: gave up after $TRIES boot(s)" >&2
	exit 125
fi
if ! [ -s "$JOB/rc" ]; then
	echo "guest: the command did not finish (killed or the guest died); console:" >&2
	tr -d '\r' <"$JOB/console.log" | tail -30 | sed 's/^/guest:   | /' >&2
	exit 125
fi
tail -1 "$JOB/boots" >&2
exit "$(cat "$JOB/rc")"
