/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "lock-rules.h"

#include <errno.h>
#include <string.h>

#include "duende-mlock.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"
#include "text.h"

#if DM_HAVE_PROCFS
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#elif DM_HAVE_MLOCKALL
#include <sys/resource.h>
#endif

bool dm_cap_in(uint64_t set, int cap)
{
	return cap >= 0 && cap < 64 && ((set >> cap) & 1);
}

bool dm_cap_effective(uint64_t set, int cap, bool initial_userns)
{
	return initial_userns && dm_cap_in(set, cap);
}

bool dm_in_initial_userns(int dirfd, const char *proc_dir)
{
#if DM_HAVE_PROCFS
	char path[64], buf[256];
	size_t len;
	struct dm_text t;

	dm_text_init(&t, path, sizeof(path));
	dm_text_put(&t, proc_dir);
	dm_text_put(&t, proc_dir[0] ? "/uid_map" : "uid_map");
	if (dm_read_small(dirfd, path, buf, sizeof(buf), &len) != 0)
		return true;
	return dm_uid_map_is_initial(buf, len);
#else
	(void)dirfd;
	(void)proc_dir;
	return true;
#endif
}

int dm_read_self_usage(uint64_t *vm_size, uint64_t *vm_lck)
{
#if DM_HAVE_PROCFS
	struct dm_proc_status st;
	int rc = dm_read_proc_status(AT_FDCWD, "/proc/self/status", DM_ST_VMSIZE | DM_ST_VMLCK, &st);

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

/* This process's effective capability set; 0 when it cannot be read. */
static uint64_t own_effective_caps(void)
{
#if DM_HAVE_PROCFS
	struct dm_cap_header hdr = { DM_CAPABILITY_VERSION_3, 0 };
	struct dm_cap_data data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0)
		return 0;
	return (uint64_t)data[1].effective << 32 | data[0].effective;
#else
	return 0;
#endif
}

#if DM_HAVE_MLOCKALL
static uint64_t rlim_bytes(rlim_t v)
{
	return v == RLIM_INFINITY ? DUENDE_MLOCK_UNLIMITED : (uint64_t)v;
}
#endif

/* Defined by the preload shim alone (its ELF note, preload/shim.c): the
 * copy of this code linked into the shim sees it, libduende-mlock.so and
 * programs see a null address. A link-time answer, so asking costs nothing
 * and is async-signal-safe. */
#if defined(__ELF__)
extern const unsigned char dm_shim_note[] __attribute__((weak, visibility("hidden")));
#endif

bool dm_in_preload_shim(void)
{
#if defined(__ELF__)
	return dm_shim_note != NULL;
#else
	return false; /* no shim where there is no dynamic ELF loader */
#endif
}

static bool self_in_initial_userns(void)
{
#if DM_HAVE_PROCFS
	return dm_in_initial_userns(AT_FDCWD, "/proc/self");
#else
	return true; /* no user namespaces to be outside of */
#endif
}

void dm_gather_lock_facts(struct dm_lock_facts *f)
{
	uint64_t caps = own_effective_caps();

	memset(f, 0, sizeof(*f));
	f->memlock_soft = f->memlock_hard = DUENDE_MLOCK_UNLIMITED;
#if DM_HAVE_MLOCKALL
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		f->memlock_soft = rlim_bytes(rl.rlim_cur);
		f->memlock_hard = rlim_bytes(rl.rlim_max);
	}
#endif
	bool initial = self_in_initial_userns();
	f->cap_ipc_lock = dm_cap_effective(caps, DM_CAP_IPC_LOCK, initial);
	f->cap_sys_resource = dm_cap_effective(caps, DM_CAP_SYS_RESOURCE, initial);
	f->usage_known = dm_read_self_usage(&f->vm_size, &f->vm_lck) == 0;
}

int dm_gather_lock_facts_of(int dirfd, struct dm_lock_facts *f)
{
#if DM_HAVE_PROCFS
	struct dm_proc_status st;
	struct dm_limits lim;
	char buf[512];
	int rc;

	memset(f, 0, sizeof(*f));
	f->memlock_soft = f->memlock_hard = DUENDE_MLOCK_UNLIMITED;
	rc = dm_read_proc_status(dirfd, "status", DM_ST_VMSIZE | DM_ST_VMLCK | DM_ST_CAPEFF, &st);
	if (rc)
		return rc;
	dm_limits_init(&lim);
	if (dm_read_lines(dirfd, "limits", buf, sizeof(buf), dm_limits_parse_line, &lim) == 0 &&
	    lim.found) {
		f->memlock_soft = lim.memlock_soft;
		f->memlock_hard = lim.memlock_hard;
	}
	bool initial = dm_in_initial_userns(dirfd, "");
	f->cap_ipc_lock = dm_cap_effective(st.cap_eff, DM_CAP_IPC_LOCK, initial);
	f->cap_sys_resource = dm_cap_effective(st.cap_eff, DM_CAP_SYS_RESOURCE, initial);
	f->usage_known = (st.present & DM_ST_VMSIZE) && (st.present & DM_ST_VMLCK);
	f->vm_size = st.vm_size;
	f->vm_lck = st.vm_lck;
	return 0;
#else
	(void)dirfd;
	memset(f, 0, sizeof(*f));
	return -ENOSYS;
#endif
}

uint64_t dm_headroom(bool cap_ipc_lock, uint64_t memlock_soft, uint64_t counted)
{
	if (cap_ipc_lock || memlock_soft == DUENDE_MLOCK_UNLIMITED)
		return DUENDE_MLOCK_UNLIMITED;
	return memlock_soft > counted ? memlock_soft - counted : 0;
}

uint64_t dm_counted_after_lock(bool current, uint64_t vm_size, uint64_t vm_lck)
{
	return current ? vm_size : vm_lck;
}
