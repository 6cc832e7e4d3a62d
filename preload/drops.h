/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The shim's watch over a locked program's privilege drops.
 *
 * A daemon started as root drops to a service user (nginx's workers,
 * haproxy, dnsmasq, lighttpd, nbd-server, memcached -u) and loses
 * CAP_IPC_LOCK with root; from then on RLIMIT_MEMLOCK binds what it has
 * locked and every mapping MCL_FUTURE locks later. Where the limit cannot
 * cover that (a root without CAP_SYS_RESOURCE, as in a default container,
 * cannot raise the hard limit for it), its allocations fail after the drop
 * and its forked children cannot lock. systemd grants such a service
 * AmbientCapabilities=CAP_IPC_LOCK with User=; the shim does the same at the
 * drop itself: it wraps the libc calls that change uids and capabilities
 * and, where the limit cannot cover the lock, keeps CAP_IPC_LOCK, and no
 * other capability, in the calling thread's permitted and effective sets.
 * Where it cannot be kept, or keeping it was refused, required mode stops
 * the program at the drop (exit 120) with the reason on stderr and in
 * syslog; best-effort mode says so and lets it drop.
 *
 * What is wrapped, and why not more:
 *  - setuid, seteuid, setreuid, setresuid: the uid changes that clear
 *    capabilities (security/commoncap.c). Under SECBIT_KEEP_CAPS (set here
 *    for the one call when the program has not set it) the permitted set
 *    survives; afterwards the sets are trimmed to CAP_IPC_LOCK.
 *  - capset, libcap's cap_set_proc: a program that drops capabilities
 *    itself (dnsmasq keeps only what it needs, then clears the rest)
 *    keeps CAP_IPC_LOCK in what it sets; cap_set_mode(CAP_MODE_NOPRIV)
 *    cannot keep it without defeating the mode, so it is met as a drop
 *    that cannot keep it.
 *  - Not wrapped: the gid calls (setgid, setgroups, initgroups) touch no
 *    capability; prctl(PR_CAPBSET_DROP) changes only what a later execve
 *    may gain, and PR_SET_SECUREBITS shows at the next uid change
 *    (duende_mlock_drop_outlook() reads the bits there).
 *  - Raw system calls (syscall(SYS_setuid), inline assembly, libcap's own
 *    setuid in cap_setuid, which keeps capabilities anyway) are not seen.
 *    A seccomp filter could trap them, but it is inherited across fork and
 *    execve and can never be removed: every helper the daemon runs would
 *    carry it, without the handler (execve resets it), and die of SIGSYS
 *    at its own setuid; its instruction pointer cannot tell a program's
 *    syscall() from glibc's setuid, both in libc's text; and installing
 *    one needs CAP_SYS_ADMIN or no_new_privs, which breaks set-ID helpers.
 *    A drop made that way shows later, where it still can be stopped: a
 *    forked child that cannot lock ends with 120 (and syslog says why).
 *  - Threads: capabilities belong to each thread, and glibc changes the
 *    uid of every thread at once. Only the calling thread can keep the
 *    capability, so a drop with other threads running is met as one that
 *    cannot keep it. Threads created after the drop inherit it.
 *  - Ambient: not raised. The capability would then pass to every program
 *    the dropped daemon runs (CGI programs, helpers). A dropped daemon that
 *    execs itself again starts without it and, over the limit, stops with
 *    120 at its own start.
 *
 * Code here may run in the forked child of a threaded process and around
 * glibc's setuid broadcast: no malloc, no stdio.
 */
#ifndef DM_DROPS_H
#define DM_DROPS_H

#include "exec-settings.h"

/* From now on this image is locked: its privilege drops are met as the
 * settings say (keep_ipc_lock, required, verbose; the plan is
 * dm_drop_plan()). name_shown (the program's name, escaped) is referenced,
 * not copied. Called in the constructor once the lock holds; a forked
 * child inherits the watch. Resolves the wrapped calls (dlsym). */
void dm_drops_watch(const struct dm_exec_settings *s, const char *name_shown);

#endif
