/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "facts.h"

#include <errno.h>
#include <string.h>

#include "duende-mlock.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"

#if DM_HAVE_PROCFS
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#elif DM_HAVE_MLOCKALL
#include <sys/resource.h>
#endif

int dm_read_self_usage(uint64_t *vm_size, uint64_t *vm_lck)
{
#if DM_HAVE_PROCFS
	struct dm_proc_status st;
	int rc = dm_read_status(AT_FDCWD, "/proc/self/status", DM_ST_VMSIZE | DM_ST_VMLCK, &st);

	if (rc < 0)
		return rc;
	if (!(st.present & DM_ST_VMSIZE) || !(st.present & DM_ST_VMLCK))
		return -EPROTO;
	*vm_size = st.vm_size;
	*vm_lck = st.vm_lck;
	return 0;
#else
	(void)vm_size;
	(void)vm_lck;
	return -ENOSYS;
#endif
}

#if DM_HAVE_PROCFS
/* capget(2)'s ABI, spelled out so that only libc headers are needed (musl
 * ships no <linux/capability.h>). */
struct dm_cap_header {
	uint32_t version;
	int pid;
};
struct dm_cap_data {
	uint32_t effective, permitted, inheritable;
};
#define DM_CAPABILITY_VERSION_3 0x20080522u
#endif

static bool has_cap_ipc_lock(void)
{
#if DM_HAVE_PROCFS
	struct dm_cap_header hdr = { DM_CAPABILITY_VERSION_3, 0 };
	struct dm_cap_data data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	return data[DM_CAP_IPC_LOCK / 32].effective & (1u << (DM_CAP_IPC_LOCK % 32));
#else
	return false;
#endif
}

#if DM_HAVE_MLOCKALL
static uint64_t rlim_bytes(rlim_t v)
{
	return v == RLIM_INFINITY ? DUENDE_MLOCK_UNLIMITED : (uint64_t)v;
}
#endif

void dm_gather_facts(struct dm_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->memlock_soft = f->memlock_hard = DUENDE_MLOCK_UNLIMITED;
#if DM_HAVE_MLOCKALL
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		f->memlock_soft = rlim_bytes(rl.rlim_cur);
		f->memlock_hard = rlim_bytes(rl.rlim_max);
	}
#endif
	f->cap_ipc_lock = has_cap_ipc_lock();
	f->usage_known = dm_read_self_usage(&f->vm_size, &f->vm_lck) == 0;
}

uint64_t dm_headroom_of(bool cap_ipc_lock, uint64_t memlock_soft, uint64_t counted)
{
	if (cap_ipc_lock || memlock_soft == DUENDE_MLOCK_UNLIMITED)
		return DUENDE_MLOCK_UNLIMITED;
	return memlock_soft > counted ? memlock_soft - counted : 0;
}

uint64_t dm_headroom(const struct dm_facts *f, uint64_t counted)
{
	return dm_headroom_of(f->cap_ipc_lock, f->memlock_soft, counted);
}
