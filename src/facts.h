/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* What decides whether this process may lock: RLIMIT_MEMLOCK, CAP_IPC_LOCK
 * and how much it maps and has locked. Read at the moment of deciding. */
#ifndef DM_FACTS_H
#define DM_FACTS_H

#include <stdbool.h>
#include <stdint.h>

/* Capability numbers (linux/capability.h), spelled out so that only libc
 * headers are needed: musl ships no kernel headers. */
#define DM_CAP_IPC_LOCK 14
#define DM_CAP_SYS_RESOURCE 24

struct dm_facts {
	uint64_t memlock_soft, memlock_hard; /* DUENDE_MLOCK_UNLIMITED = infinity */
	bool cap_ipc_lock;
	bool usage_known; /* vm_size and vm_lck were read */
	uint64_t vm_size, vm_lck;
};

void dm_gather_facts(struct dm_facts *f);
/* How much more may be locked: unlimited with the capability or an
 * infinite limit, else soft limit minus what is already counted. */
uint64_t dm_headroom(const struct dm_facts *f, uint64_t counted);
/* The same from the figures alone (for another process's report). */
uint64_t dm_headroom_of(bool cap_ipc_lock, uint64_t memlock_soft, uint64_t counted);
/* Reads VmSize and VmLck of this process; 0 or negative errno. */
int dm_read_self_usage(uint64_t *vm_size, uint64_t *vm_lck);

#endif
