#!/bin/bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# duende-mlock exec on real programs: the lock is taken inside PROGRAM
# (proved by its /proc), the programs its children exec are left alone,
# every requested step is required, and every refusal and failure path
# says why with its documented exit status. exec-follow.sh covers the
# processes that really serve: forked, daemonized, pre-fork, exec chains.
# Usage: exec.sh DUENDE-MLOCK PRELOAD-LIBRARY
set -u
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
DM=$1
export DUENDE_MLOCK_PRELOAD=$2
need_root "privilege drops, setuid and file-capability copies"
need_cmd setpriv util-linux
need_cmd prlimit util-linux
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all --)

# run_out OUTVAR RCVAR COMMAND...: stdout only (stderr to $TMP/err), 30 s.
run_out() {
	local -n _o=$1 _r=$2; shift 2
	_o=$(timeout 30 "$@" 2>"$TMP/err")
	_r=$?
}

# --- locks a plain program; not the programs its children exec unless --inherit
# (find is no launcher: what it runs with -exec is a helper)
run_out out rc "$DM" exec -- find /proc/self/status -exec sh -c 'grep VmLck /proc/$$/status; echo "[$LD_PRELOAD] [$DUENDE_MLOCK_EXEC]"' \;
check "a program PROGRAM's child execs (a helper) is not locked" equals "$(sed -n 1p <<<"$out" | awk '{print $2}')" 0
check "... and the preload leaves that program's environment" equals "$(sed -n 2p <<<"$out")" "[] []"
check "exec exits with PROGRAM's status" equals "$rc" 0
run_out out rc "$DM" exec -- sh -c 'grep VmLck /proc/$$/status; echo "[$LD_PRELOAD] [$DUENDE_MLOCK_EXEC]"'
check "exec locks PROGRAM" test "$(sed -n 1p <<<"$out" | awk '{print $2}')" -gt 0
check "PROGRAM keeps the preload, its leader and its file for its exec chain" \
	matches "$(sed -n 2p <<<"$out")" "^\[$DUENDE_MLOCK_PRELOAD\] \[leader=[0-9]+,image=[0-9]+:[0-9]+\]$"
run_out out rc "$DM" exec --inherit -- find /proc/self/status -exec grep VmLck {} \;
check "--inherit locks the programs children exec too" test "$(awk '{print $2}' <<<"$out")" -gt 0
# A copy of the shim under another name is the shim: it carries the note.
mkdir -p "$TMP/renamed" && cp "$DUENDE_MLOCK_PRELOAD" "$TMP/renamed/locker.so"
run_out out rc env DUENDE_MLOCK_PRELOAD="$TMP/renamed/locker.so" "$DM" exec -- find /proc/self/status -exec sh -c 'echo "[$LD_PRELOAD]"' \;
check "a renamed copy of the shim leaves a helper's environment too" equals "$out" "[]"
run_cmd out rc prlimit --memlock=0:0 -- "${NOBODY[@]}" env DUENDE_MLOCK_PRELOAD="$TMP/renamed/locker.so" "$DM" exec -- true
check "a renamed copy refuses to start an unlockable PROGRAM" equals "$rc" 120
check "... and knows it runs under exec: no setcap remedy" lacks "$out" "setcap"
run_out out rc env LD_PRELOAD=libc.so.6 "$DM" exec -- sh -c 'echo "[${LD_PRELOAD#*:}]"; exit 7'
check "other preloads are kept, in order" contains "$out" "[libc.so.6]"
check "PROGRAM's exit status passes through" equals "$rc" 7

# --- lock-on-fault and lean show in the mapping flags
# smaps names lock-on-fault "lf" since Linux 6.2
IFS=. read -r kmaj kmin _ <<<"$(uname -r)"
shows_lf() { [ "$kmaj" -gt 6 ] || { [ "$kmaj" = 6 ] && [ "${kmin%%[!0-9]*}" -ge 2 ]; }; }
if shows_lf; then
	run_out out rc "$DM" exec --onfault -- sh -c 'grep -c " lf" /proc/$$/smaps'
	check "--onfault locks on fault (VmFlags lf)" test "${out:-0}" -gt 0
	run_out out rc "$DM" exec --lean --current-only -- sh -c 'grep -c " lf" /proc/$$/smaps'
	check "--lean --current-only populates what is mapped at start (no lf)" equals "$out" 0
else
	echo "SKIP [--onfault lf]: kernel $(uname -r) does not show lock-on-fault in smaps (6.2+)" >&2
fi

# --- real daemons nobody here wrote, in the foreground: bindfs (FUSE) and memcached
if command -v bindfs >/dev/null && [ -e /dev/fuse ]; then
	mkdir -p "$TMP/back" "$TMP/mnt"
	echo hello >"$TMP/back/file"
	"$DM" exec -- bindfs -f "$TMP/back" "$TMP/mnt" 2>"$TMP/bindfs.err" &
	bpid=$!
	on_exit "fusermount3 -u '$TMP/mnt' || umount -l '$TMP/mnt'; kill $bpid"
	wait_until mountpoint -q "$TMP/mnt"
	check "bindfs serves under exec" equals "$(cat "$TMP/mnt/file" 2>/dev/null)" hello
	check_locked bindfs "$bpid"
else
	echo "SKIP [bindfs]: bindfs or /dev/fuse missing (package bindfs)" >&2
fi

if command -v memcached >/dev/null; then
	# -u root: memcached drops to another user otherwise, which loses
	# CAP_IPC_LOCK (exec-follow.sh covers the drop).
	"$DM" exec --lean -- memcached -u root -l 127.0.0.1 -p 0 -U 0 -t 4 2>"$TMP/mc.err" &
	mpid=$!
	on_exit "kill $mpid"
	threads_up() { # PID: locked, with its worker threads started
		local tasks=(/proc/"$1"/task/*)
		[ "$(status_kb "$1" VmLck 2>/dev/null)" ] && [ ${#tasks[@]} -gt 4 ]
	}
	wait_until threads_up "$mpid"
	check "memcached (4 threads) runs under exec --lean" kill -0 "$mpid"
	check_locked memcached "$mpid"
	if shows_lf; then
		check "--lean: memcached's thread stacks are locked on fault (VmFlags lf)" \
			test "$(grep -c ' lf' "/proc/$mpid/smaps")" -gt 0
	fi
else
	echo "SKIP [memcached]: memcached missing (package memcached)" >&2
fi

# --- required failure: PROGRAM's main() never runs; distinct exit status
mkdir -m 1777 "$TMP/w"
run_cmd out rc "${NOBODY[@]}" sh -c "touch $TMP/w/probe"
check "uid 65534 can write the marker directory" test -e "$TMP/w/probe"
run_cmd out rc prlimit --memlock=0:0 -- "${NOBODY[@]}" "$DM" exec -- sh -c "touch $TMP/w/ran"
check "lock failure exits 120" equals "$rc" 120
check "lock failure: PROGRAM did not run" test ! -e "$TMP/w/ran"
check "lock failure explains both remedies" contains "$out" "lock: FAILED: permission denied: the RLIMIT_MEMLOCK soft limit is 0 bytes and the process lacks CAP_IPC_LOCK. Either fix works"
check "... and says PROGRAM was not started" contains "$out" "cannot lock memory, not starting it (use --best-effort to run it anyway)"
run_cmd out rc prlimit --memlock=0:0 -- "${NOBODY[@]}" "$DM" exec --best-effort -- sh -c "touch $TMP/w/ran2"
check "--best-effort runs PROGRAM unlocked" test -e "$TMP/w/ran2"
check "--best-effort warns" contains "$out" "warning: failed (errno=1), running without a memory lock"
check "... with the diagnosis" contains "$out" "warning: lock: FAILED: permission denied"
run_cmd out rc prlimit --memlock=65536:8388608 -- "${NOBODY[@]}" "$DM" exec -v -- sh -c 'grep VmLck /proc/$$/status'
check "soft RLIMIT_MEMLOCK raised to the hard limit for PROGRAM" contains "$out" "raise-memlock: ok: soft RLIMIT_MEMLOCK is now 8 MiB"
check "... so an unprivileged PROGRAM locks" equals "$rc" 0
run_cmd out rc prlimit --memlock=65536:8388608 -- "${NOBODY[@]}" "$DM" exec --no-raise-memlock -- true
check "--no-raise-memlock keeps the limit, so the lock fails" equals "$rc" 120
check "... and names the numbers" contains "$out" "RLIMIT_MEMLOCK allows 64 KiB"

# --- hardening steps inherited across exec
run_out out rc "$DM" exec --oom-score-adj 500 -- cat /proc/self/oom_score_adj
check "--oom-score-adj is set in PROGRAM" equals "$out" 500
if grep -q '^CapEff:.*' /proc/self/status && capsh --has-p=cap_sys_resource 2>/dev/null; then
	run_out out rc "$DM" exec --io-flusher -- cat /proc/self/stat
	flags=$(awk '{print $7}' <<<"${out##*) }")
	check "--io-flusher sets PF_MEMALLOC_NOIO in PROGRAM" test $((flags & 0x80000)) -ne 0
	run_out out rc "$DM" exec --oom-score-adj -900 -- cat /proc/self/oom_score_adj
	check "negative oom_score_adj with CAP_SYS_RESOURCE" equals "$out" -900
else
	run_cmd out rc "$DM" exec --io-flusher -- sh -c "touch $TMP/ran3"
	check "--io-flusher without CAP_SYS_RESOURCE exits 120" equals "$rc" 120
	check "... and says which capability" contains "$out" "io-flusher: FAILED (EPERM): not permitted: PR_SET_IO_FLUSHER needs CAP_SYS_RESOURCE"
	check "... and PROGRAM did not run" test ! -e "$TMP/ran3"
	run_cmd out rc "$DM" exec --best-effort --io-flusher -- true
	check "--best-effort --io-flusher warns and runs" contains "$out" "warning: io-flusher: FAILED (EPERM)"
	check "... with PROGRAM's status" equals "$rc" 0
	run_cmd out rc "$DM" exec --oom-score-adj -900 -- true
	check "negative oom_score_adj without CAP_SYS_RESOURCE exits 120" equals "$rc" 120
	check "... and says why" contains "$out" "oom-score-adj: FAILED (EACCES): not permitted"
fi

# --- every requested step is required in required mode, a warning in best-effort
run_cmd out rc sh -c "ulimit -s 8192; exec \"\$0\" exec --prefault-stack 60M -- touch $TMP/pf" "$DM"
check "--prefault-stack beyond the stack: exit 120" equals "$rc" 120
check "... PROGRAM did not run" test ! -e "$TMP/pf"
check "... and says which step" contains "$out" "prefault-stack: FAILED (ERANGE)"
run_cmd out rc sh -c "ulimit -s 8192; exec \"\$0\" exec --best-effort --prefault-stack 60M -- touch $TMP/pf" "$DM"
check "--best-effort --prefault-stack: runs" test -e "$TMP/pf"
check "... with a warning" contains "$out" "warning: prefault-stack: FAILED (ERANGE)"
run_cmd out rc prlimit --memlock=8388608:8388608 -- "${NOBODY[@]}" "$DM" exec --min-headroom 100G -- touch "$TMP/w/mh"
check "--min-headroom beyond the limit: exit 120" equals "$rc" 120
run_cmd out rc prlimit --memlock=8388608:8388608 -- "${NOBODY[@]}" "$DM" exec --min-headroom 100g -- touch "$TMP/w/mh"
check "... sizes take lower-case suffixes too, as ulimit and prlimit users write them" equals "$rc" 120
check "... PROGRAM did not run" test ! -e "$TMP/w/mh"
check "... with the numbers" contains "$out" "less than the 100 GiB asked for"

# --- in a user namespace, a namespaced CAP_IPC_LOCK lifts nothing
if unshare -U -r true 2>/dev/null; then
	run_cmd out rc unshare -U -r "$DM" exec --min-headroom 64M -- touch "$TMP/userns"
	check "user namespace: --min-headroom beyond the host's limit refused (120)" equals "$rc" 120
	check "... PROGRAM did not run" test ! -e "$TMP/userns"
	check "... and the numbers say the capability does not count there" contains "$out" "CAP_IPC_LOCK missing"
else
	echo "SKIP [user namespace]: unshare -U -r is not allowed here" >&2
fi

# --- RLIMIT_MEMLOCK for a PROGRAM that drops privileges
if capsh --has-p=cap_sys_resource 2>/dev/null; then
	run_out out rc "$DM" exec -- sh -c 'grep "Max locked memory" /proc/$$/limits'
	check "with CAP_SYS_RESOURCE, PROGRAM gets an unlimited hard and soft memlock" matches "$out" "unlimited +unlimited"
else
	hard=$(ulimit -Hl)
	run_cmd out rc "$DM" exec -- true
	if [ "$hard" != unlimited ]; then
		check "without CAP_SYS_RESOURCE, a program that cannot drop privileges: no note at start" \
			lacks "$out" "note:"
		check "... and runs PROGRAM" equals "$rc" 0
		if command -v memcached >/dev/null; then
			run_cmd out rc "$DM" exec -- memcached -h
			check "a program that can drop (memcached calls setuid), CAP_IPC_LOCK kept through it: no note" \
				lacks "$out" "note:"
			run_cmd out rc "$DM" exec --no-keep-ipc-lock -- memcached -h
			check "... with --no-keep-ipc-lock: the note says what its drop will meet" \
				contains "$out" "note: memcached can drop privileges (it calls setuid or capset), and CAP_IPC_LOCK is not kept for it (--no-keep-ipc-lock): if it does, it is stopped there with exit status 120"
			check "... and how to fix it" contains "$out" "LimitMEMLOCK=infinity"
			run_cmd out rc "$DM" exec --no-keep-ipc-lock --best-effort -- memcached -h
			check "... with --best-effort too: that it runs on short" contains "$out" "it runs on under the limit"
		else
			echo "SKIP [the note at start]: memcached missing (package memcached)" >&2
		fi
		run_cmd out rc "$DM" exec --memlock unlimited -- touch "$TMP/ml"
		check "--memlock above a hard limit it cannot raise: exit 120" equals "$rc" 120
		check "... PROGRAM did not run" test ! -e "$TMP/ml"
	fi
	run_out out rc "$DM" exec --memlock 4M -- sh -c 'grep "Max locked memory" /proc/$$/limits'
	check "--memlock 4M sets both limits (lowering needs no privilege)" matches "$out" "4194304 +4194304"
fi

# --- programs a preload cannot reach: locked by tracing instead (follow.sh
# holds the rest: PIDs, forks, the impossible lock)
cat >"$TMP/s.c" <<'C'
#include <stdio.h>
#include <string.h>
int main(void)
{
	char l[256];
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(l, sizeof l, f))
		if (strncmp(l, "VmLck:", 6) == 0)
			fputs(l, stdout);
	return 0;
}
C
vmlck_of() { awk '/^VmLck:/ {print $2}' <<<"$1"; }
if cc -static -o "$TMP/static" "$TMP/s.c" 2>/dev/null; then
	run_cmd out rc "$DM" exec -v -- "$TMP/static"
	check "static program: runs (exit 0)" equals "$rc" 0
	check "... locked before its code ran" test "$(vmlck_of "$out")" -gt 0
	check "... --verbose says why the preload cannot and which path" contains "$out" "is statically linked: no dynamic loader runs"
	check "... locked by tracing" contains "$out" "locking it by tracing instead"
else
	echo "SKIP [static]: cannot link a static program (libc6-dev)" >&2
fi
# Secure mode: set-ID bits that change the caller's IDs, file capabilities
# for a caller without them. The loader then ignores LD_PRELOAD; a tracer
# with CAP_SYS_PTRACE (root here) keeps their privilege.
cp /bin/grep "$TMP/suid" && chown 65534 "$TMP/suid" && chmod u+s "$TMP/suid"
run_cmd out rc "$DM" exec -v -- "$TMP/suid" VmLck /proc/self/status
check "set-user-ID program (another owner): runs locked, by tracing" test "$(vmlck_of "$out")" -gt 0
check "... naming secure mode" contains "$out" "is set-user-ID: the loader runs it in secure mode"
cp /bin/grep "$TMP/sgid" && chgrp 65534 "$TMP/sgid" && chmod g+s "$TMP/sgid"
run_cmd out rc "$DM" exec -v -- "$TMP/sgid" VmLck /proc/self/status
check "set-group-ID program (another group): runs locked" test "$(vmlck_of "$out")" -gt 0
check "... named" contains "$out" "is set-group-ID"
cp /bin/grep "$TMP/suid-root" && chmod u+s "$TMP/suid-root"
run_out out rc "$DM" exec -- "$TMP/suid-root" VmLck /proc/self/status
check "set-user-ID-root program run by root (no secure mode): runs, locked" test "$(awk '{print $2}' <<<"$out")" -gt 0
if command -v setcap >/dev/null && cp /bin/true "$TMP/fcap" && setcap cap_ipc_lock=+ep "$TMP/fcap" 2>/dev/null; then
	chmod 755 "$TMP/fcap"
	run_cmd out rc "${NOBODY[@]}" "$DM" exec -- "$TMP/fcap"
	check "file-capability program, caller without it nor CAP_SYS_PTRACE: refused with 121" equals "$rc" 121
	check "... with the reason" contains "$out" "is given file capabilities: the loader runs it in secure mode"
	check "... and why tracing cannot" contains "$out" "tracing it instead needs CAP_SYS_PTRACE"
else
	echo "SKIP [file capabilities]: setcap missing or not supported here (libcap2-bin)" >&2
fi
printf '#!%s\n' "$TMP/static" >"$TMP/script" && chmod +x "$TMP/script"
[ -x "$TMP/static" ] && { run_cmd out rc "$DM" exec -- "$TMP/script"; check "script whose interpreter is static: locked by tracing" test "$(vmlck_of "$out")" -gt 0; }
run_cmd out rc "$DM" exec --lean -- "$TMP/suid" -q x /dev/null
check "an option only the preload does (--lean), PROGRAM traced: 121" equals "$rc" 121
check "... naming the option" contains "$out" "--lean needs the preload library"

# --- env runs its command in the same process: exec follows it there
# (read as env reads them: clusters, abbreviations, -S with its quoting);
# a command env would start without the preload is locked by tracing
for how in "-i" "-u LD_PRELOAD" "--ignore-environment" "LD_PRELOAD=" "-S -i" "-iC/" "-vuLD_PRELOAD" \
	"--ignore-env" "--uns=LD_PRELOAD" "-S-u\_LD_PRELOAD" "-vS-i" "-" "env -i"; do
	# shellcheck disable=SC2086 # the options are words
	run_cmd out rc "$DM" exec -- env $how grep VmLck /proc/self/status
	check "env $how COMMAND (the preload would not reach COMMAND): locked by tracing" test "$(vmlck_of "$out")" -gt 0
done
run_cmd out rc "$DM" exec -v -- env -i true
check "... --verbose says why and which path" contains "$out" "put duende-mlock exec after env"
check "... by tracing" contains "$out" "locking it by tracing instead"
printf '#!/usr/bin/env -S -i sh\nexec grep VmLck /proc/self/status\n' >"$TMP/env-i-script" && chmod +x "$TMP/env-i-script"
run_cmd out rc "$DM" exec -- "$TMP/env-i-script"
check "a '#!/usr/bin/env -S -i sh' script: locked by tracing" test "$(vmlck_of "$out")" -gt 0
run_cmd out rc "$DM" exec -- env -S "-u 'LD_PRELOAD' grep VmLck /proc/self/status"
check "env -S with quotes: locked by tracing" test "$(vmlck_of "$out")" -gt 0
printf '#!/usr/bin/env -S -i sh\n' >"$TMP/inner-script" && chmod +x "$TMP/inner-script"
printf '#!%s\ngrep VmLck /proc/self/status\n' "$TMP/inner-script" >"$TMP/outer-script" && chmod +x "$TMP/outer-script"
run_cmd out rc "$DM" exec -v -- "$TMP/outer-script"
check "a script whose interpreter is a '#!/usr/bin/env -S -i' script: traced" contains "$out" "locking it by tracing"
ln -s /usr/bin/env "$TMP/e"
run_cmd out rc "$DM" exec -- "$TMP/e" -i grep VmLck /proc/self/status
check "env under another name, -i: locked by tracing" test "$(vmlck_of "$out")" -gt 0
if [ -x "$TMP/static" ]; then
	mkdir -p "$TMP/sbin" && cp "$TMP/static" "$TMP/sbin/mydaemon"
	run_cmd out rc "$DM" exec -v -- env PATH="$TMP/sbin:/usr/bin" mydaemon
	check "env PATH=DIR COMMAND finds COMMAND in DIR (static there)" contains "$out" "$TMP/sbin/mydaemon is statically linked"
	check "... locked by tracing" test "$(vmlck_of "$out")" -gt 0
	# The kernel reads 255 bytes of a #! line: the interpreter's argument
	# ends there, whatever follows on the line.
	line="#!/usr/bin/env -S"
	while [ ${#line} -lt $((255 - ${#TMP} - 8)) ]; do line+=" "; done
	printf '%s %s/static\n' "$line" "$TMP" | head -c 255 >"$TMP/long-line" && printf 'XX\n' >>"$TMP/long-line"
	chmod +x "$TMP/long-line"
	run_cmd out rc "$DM" exec -v -- "$TMP/long-line"
	check "a #! line past 255 bytes is cut where the kernel cuts it (static command)" contains "$out" "$TMP/static is statically linked"
	run_cmd out rc "$DM" exec -v -- env FOO=1 "$TMP/static"
	check "env STATIC-PROGRAM: locked by tracing" test "$(vmlck_of "$out")" -gt 0
	printf '#!/usr/bin/env -S %s --flag\n' "$TMP/static" >"$TMP/env-static-script" && chmod +x "$TMP/env-static-script"
	run_cmd out rc "$DM" exec -v -- "$TMP/env-static-script"
	check "a '#!/usr/bin/env -S STATIC' script: locked by tracing" test "$(vmlck_of "$out")" -gt 0
	check "... naming the static program" contains "$out" "is statically linked"
fi
out=$(timeout 30 "$DM" exec -- env -u BAR FOO=1 grep VmLck /proc/self/status 2>/dev/null | awk '{print $2}')
check "env -u NAME NAME=VALUE COMMAND: COMMAND is locked" test "${out:-0}" -gt 0
out=$(timeout 30 env DIR=/usr/bin "$DM" exec -- env -S '"${DIR}/grep" VmLck /proc/self/status # a comment' 2>/dev/null | awk '{print $2}')
check "env -S with quotes, \${VAR} and a comment: COMMAND is locked" test "${out:-0}" -gt 0
printf '#!/usr/bin/env -S sh -e\ngrep VmLck /proc/self/status\n' >"$TMP/env-s-script" && chmod +x "$TMP/env-s-script"
out=$(timeout 30 "$DM" exec -- "$TMP/env-s-script" 2>/dev/null | awk '{print $2}')
check "a '#!/usr/bin/env -S sh -e' script: locked" test "${out:-0}" -gt 0

# Signal dispositions are PROGRAM's to inherit (systemd ignores SIGPIPE).
out=$(timeout 30 bash -c "trap '' PIPE; exec '$DM' exec -- grep SigIgn /proc/self/status" 2>/dev/null | awk '{print $2}')
check "an ignored SIGPIPE stays ignored in PROGRAM" equals "$(( 0x${out:-0} >> 12 & 1 ))" 1
out=$(timeout 30 "$DM" exec -- grep SigIgn /proc/self/status 2>/dev/null | awk '{print $2}')
check "... and a default one default" equals "$(( 0x${out:-1000} >> 12 & 1 ))" 0

run_cmd out rc "$DM" exec -- "$TMP/does-not-exist"
check "missing program exits 127" equals "$rc" 127
run_cmd out rc "$DM" exec -- no-such-program-on-path-xyz
check "missing program on PATH exits 127" equals "$rc" 127
check "... and says so" contains "$out" "'no-such-program-on-path-xyz' not found on PATH"
: >"$TMP/noexec"
run_cmd out rc "$DM" exec -- "$TMP/noexec"
check "non-executable exits 126" equals "$rc" 126
run_cmd out rc "$DM" exec -- "$TMP"
check "directory exits 126" equals "$rc" 126
printf 'plain text\n' >"$TMP/text" && chmod +x "$TMP/text"
run_cmd out rc "$DM" exec -- "$TMP/text"
check "unknown format exits 126" contains "$out" "neither an ELF program nor a #! script"

# --- preload libraries the loader would not load: 121, PROGRAM never runs
refused_with() { # WHAT LIBRARY TEXT
	run_cmd out rc env DUENDE_MLOCK_PRELOAD="$2" "$DM" exec -- touch "$TMP/ran-$1"
	check "$1: exit 121" equals "$rc" 121
	check "$1: PROGRAM did not run" test ! -e "$TMP/ran-$1"
	check "$1: says why" contains "$out" "$3"
}
mkdir -p "$TMP/with space" "$TMP/with:colon"
cp "$DUENDE_MLOCK_PRELOAD" "$TMP/with space/" && cp "$DUENDE_MLOCK_PRELOAD" "$TMP/with:colon/"
mkdir -p "$TMP/"'$LIB'
cp "$DUENDE_MLOCK_PRELOAD" "$TMP/"'$LIB'/
refused_with "path with a space" "$TMP/with space/libduende-mlock-preload.so" "holds a space, a colon or a '\$'"
refused_with "path with a colon" "$TMP/with:colon/libduende-mlock-preload.so" "holds a space, a colon or a '\$'"
refused_with "path with \$LIB, which the loader expands" "$TMP/"'$LIB/libduende-mlock-preload.so' "which LD_PRELOAD splits or expands"
refused_with "another shared object (the library itself)" "$(dirname "$DUENDE_MLOCK_PRELOAD")/../src/libduende-mlock.so" "is not duende-mlock's preload library"
head -c 30000 "$DUENDE_MLOCK_PRELOAD" >"$TMP/cut.so"
refused_with "a shim cut short" "$TMP/cut.so" "is cut short"
refused_with "an executable as the library" /bin/true "is not an ELF shared object"
printf 'not a library\n' >"$TMP/text.so"
refused_with "a text file as the library" "$TMP/text.so" "is not an ELF shared object"
cp "$DUENDE_MLOCK_PRELOAD" "$TMP/aarch64.so"
printf '\267\000' | dd of="$TMP/aarch64.so" bs=1 seek=18 conv=notrunc status=none # e_machine = EM_AARCH64
refused_with "a library for another machine" "$TMP/aarch64.so" "built for another architecture or word size"
mkdir -p "$TMP/noexec-mnt"
if mount -t tmpfs -o noexec,size=8M tmpfs "$TMP/noexec-mnt" 2>/dev/null; then
	on_exit "umount -l '$TMP/noexec-mnt'"
	cp "$DUENDE_MLOCK_PRELOAD" "$TMP/noexec-mnt/"
	refused_with "a library on a noexec mount" "$TMP/noexec-mnt/libduende-mlock-preload.so" "mounted noexec"
else
	echo "SKIP [noexec]: cannot mount a tmpfs here" >&2
fi
if command -v musl-gcc >/dev/null && musl-gcc -o "$TMP/musl-prog" "$TMP/s.c" 2>/dev/null; then
	run_cmd out rc "$DM" exec -- "$TMP/musl-prog"
	check "a program on another C library (musl): exit 121" equals "$rc" 121
	check "... naming both C libraries" contains "$out" "runs on the loader /lib/ld-musl-x86_64.so.1 (musl), but the preload library is built for glibc"
else
	echo "SKIP [another libc]: musl-gcc missing (package musl-tools)" >&2
fi

# --- usage errors and a missing preload library
for bad in "--oom-score-adj 2000" "--oom-score-adj x" "--min-headroom 12Q" "--bogus" "--current-only --future-only" "--prefault-stack 1T" "--memlock lots" ""; do
	# shellcheck disable=SC2086
	run_cmd out rc "$DM" exec $bad -- true
	[ -z "$bad" ] && run_cmd out rc "$DM" exec
	check "usage error for '${bad:-no program}' exits 64" equals "$rc" 64
	check "... with a usage line" contains "$out" "usage: duende-mlock exec"
done
run_cmd out rc env DUENDE_MLOCK_PRELOAD=/nonexistent/lib.so "$DM" exec -- true
check "missing preload library exits 125" equals "$rc" 125
check "... and says what to do" contains "$out" "set DUENDE_MLOCK_PRELOAD"
run_cmd out rc env LD_PRELOAD="$DUENDE_MLOCK_PRELOAD" DUENDE_MLOCK_EXEC=lean,bogus /bin/true
check "shim refuses bad settings with 120" equals "$rc" 120
check "... naming the bad word" contains "$out" "(at \"bogus\")"
finish
