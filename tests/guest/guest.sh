#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Runs test programs as real root in a throwaway guest: Debian's kernel
# under qemu's emulation (about 7 s; nested KVM proved unreliable) with a
# busybox initramfs. There init holds every capability, CAP_SYS_RESOURCE included,
# which the host may lack: this is where PR_SET_IO_FLUSHER and a negative
# oom_score_adj are tested succeeding.
# Usage: guest.sh WORKDIR STATIC-TEST...   exit: 0 all passed, 1 not, 77 cannot run
set -u
work=$1
shift
skip() { echo "SKIP: $*" >&2; exit 77; }
for c in qemu-system-x86_64 cpio apt-get dpkg-deb; do command -v $c >/dev/null || skip "$c is missing"; done
[ "$(uname -m)" = x86_64 ] || skip "the guest kernel here is amd64 only"
is_static() { [ -x "$1" ] && ! ldd "$1" >/dev/null 2>&1; }
bb=/bin/busybox
is_static "$bb" || bb=$(command -v busybox)
if [ -z "$bb" ] || ! is_static "$bb"; then skip "no static busybox (package busybox-static)"; fi

mkdir -p "$work"
first() { [ -e "$1" ] && echo "$1"; }
kernel=$(first "$work"/k/boot/vmlinuz-*)
if [ -z "$kernel" ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[^ ]*\)/\1/p' | head -1)
	[ -n "$pkg" ] || skip "cannot find Debian's kernel package (apt-get update?)"
	(cd "$work" && apt-get download "$pkg" >/dev/null 2>&1) || skip "cannot download $pkg"
	dpkg-deb -x "$work"/"$pkg"_*.deb "$work/k" || skip "cannot unpack $pkg"
	kernel=$(first "$work"/k/boot/vmlinuz-*)
fi

root=$work/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,proc,sys,dev,tmp,tests}
cp "$bb" "$root/bin/busybox"
for t in "$@"; do cp "$t" "$root/tests/"; done
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "guest: $(uname -r), CapEff $(grep CapEff /proc/self/status | cut -f2)"
for t in /tests/*; do
	"$t"
	echo "guest-result: $(basename "$t") $?"
done
echo guest-done
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/initramfs.gz"

timeout 300 qemu-system-x86_64 -machine accel=tcg -m 512 -smp 1 -nographic -no-reboot \
	-kernel "$kernel" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 panic=-1 quiet loglevel=1" </dev/null >"$work/console.log" 2>&1
tr -d '\r' <"$work/console.log" | sed -n '/^guest: /,$p' | tail -60
grep -q guest-done "$work/console.log" || { echo "guest did not finish (see $work/console.log)"; exit 1; }
fails=$(tr -d '\r' <"$work/console.log" | awk '$1 == "guest-result:" && $3 != 0 && $3 != 77' | wc -l)
ran=$(tr -d '\r' <"$work/console.log" | grep -c '^guest-result:')
echo "guest: $ran test(s), $fails failed"
[ "$ran" = $# ] && [ "$fails" = 0 ]
