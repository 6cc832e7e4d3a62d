/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The queries: one open/read/close of /proc/PID/status into a stack
 * buffer, found with one memmem, stopping at VmLck. Async-signal-safe
 * (access(2) is too); errno is preserved. The one way the library reads
 * VmLck alone. */
#include <errno.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"

#if DM_HAVE_PROCFS
#include <fcntl.h>
#endif

int dm_read_vm_lck(int pid, uint64_t *bytes)
{
#if DM_HAVE_PROCFS
	struct dm_proc_status st;
	char path[64], buf[1024];
	const char *line;
	size_t len;
	int saved = errno;
	int rc;

	dm_proc_path(path, sizeof(path), pid, "status");
	rc = dm_read_field(AT_FDCWD, path, "VmLck", buf, sizeof(buf), &line, &len);
	if (rc == -ENOENT) {
		/* No file: no process (or no /proc); a file without the
		 * field: a kernel thread or a zombie. */
		dm_proc_path(path, sizeof(path), pid, "");
		bool there = access(path, F_OK) == 0;
		errno = saved;
		if (there)
			return -EPROTO;
		return pid && access("/proc/self", F_OK) == 0 ? -ESRCH : -ENOENT;
	}
	errno = saved;
	if (rc < 0)
		return rc;
	dm_status_init(&st);
	dm_status_parse_line(&st, line, len);
	if (!(st.present & DM_ST_VMLCK))
		return -EPROTO;
	*bytes = st.vm_lck;
	return 0;
#else
	(void)pid;
	(void)bytes;
	return -ENOSYS;
#endif
}

DM_EXPORT int duende_mlock_read_locked_bytes(size_t *bytes)
{
	uint64_t v;
	int rc;

	if (!bytes)
		return -EINVAL;
	rc = dm_read_vm_lck(0, &v);
	if (rc < 0)
		return rc;
	if (v > SIZE_MAX)
		return -EPROTO;
	*bytes = (size_t)v;
	return 0;
}

DM_EXPORT int duende_mlock_read_pid_locked_bytes(pid_t pid, uint64_t *bytes)
{
	if (!bytes || pid < 0)
		return -EINVAL;
	return dm_read_vm_lck((int)pid, bytes);
}

DM_EXPORT size_t duende_mlock_locked_bytes(void)
{
	size_t bytes = 0;

	return duende_mlock_read_locked_bytes(&bytes) == 0 ? bytes : 0;
}

DM_EXPORT bool duende_mlock_is_locked(void)
{
	return duende_mlock_locked_bytes() > 0;
}
