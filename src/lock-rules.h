/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The kernel's memory-lock accounting, in one place: what decides whether
 * a process may lock (RLIMIT_MEMLOCK, CAP_IPC_LOCK), what the kernel counts
 * against the limit, and the one definition of headroom.
 */
#ifndef DM_LOCK_RULES_H
#define DM_LOCK_RULES_H

#include <stdbool.h>
#include <stdint.h>

/* Capability numbers (linux/capability.h), spelled out so that only libc
 * headers are needed: musl ships no kernel headers. */
#define DM_CAP_IPC_LOCK 14
#define DM_CAP_SYS_RESOURCE 24

/* A capability set (as /proc/PID/status prints it) holds cap. */
bool dm_cap_in(uint64_t set, int cap);
/* Whether the process whose /proc directory is open at dirfd (AT_FDCWD
 * with "/proc/self" for this one) is in the initial user namespace: the
 * kernel's capable() checks there, so CAP_IPC_LOCK lifts RLIMIT_MEMLOCK,
 * and CAP_SYS_RESOURCE raises hard limits, only for such a process. A
 * rootless container's "root" holds them in name only. Unknown counts
 * as yes (no /proc to tell), as before user namespaces. */
bool dm_in_initial_userns(int dirfd, const char *proc_dir);
/* A capability in set that the kernel honours for the process. */
bool dm_cap_effective(uint64_t set, int cap, bool initial_userns);

/* What decides for this process, read at the moment of deciding. */
struct dm_lock_facts {
	uint64_t memlock_soft, memlock_hard; /* DUENDE_MLOCK_UNLIMITED = infinity */
	bool cap_ipc_lock;
	bool cap_sys_resource;
	bool usage_known; /* vm_size and vm_lck were read */
	uint64_t vm_size, vm_lck;
};

void dm_gather_lock_facts(struct dm_lock_facts *f);
/* The same facts about another process, from its /proc directory open at
 * dirfd: its limits, its effective capabilities as the kernel honours them
 * (its user namespace), its VmSize and VmLck. What a lock made inside it
 * is judged by. 0, or a negative errno when its status is unreadable. */
int dm_gather_lock_facts_of(int dirfd, struct dm_lock_facts *f);

/* This copy of the library's code is the one linked into duende-mlock
 * exec's preload shim (the object that carries the shim's note), not
 * libduende-mlock.so or a program's: the program was started by exec,
 * which refuses file capabilities. Async-signal-safe. */
bool dm_in_preload_shim(void);

/* Headroom: how many more bytes may be locked. Unlimited with
 * CAP_IPC_LOCK or an infinite soft limit, else the soft limit less what
 * the kernel already counts (locked_vm, which /proc shows as VmLck). */
uint64_t dm_headroom(bool cap_ipc_lock, uint64_t memlock_soft, uint64_t counted);

/* What the kernel counts once mlockall has run: MCL_CURRENT charges every
 * mapping (VmSize, PROT_NONE reservations included; mm/mlock.c), MCL_FUTURE
 * alone only what is locked already. */
uint64_t dm_counted_after_lock(bool current, uint64_t vm_size, uint64_t vm_lck);

/* Reads VmSize and VmLck of this process; 0 or negative errno. */
int dm_read_self_usage(uint64_t *vm_size, uint64_t *vm_lck);

#endif
