/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The queries: one open/read/close of /proc/self/status into a stack
 * buffer, found with one memmem, stopping at VmLck. Async-signal-safe
 * (access(2) is too); errno is preserved. */
#include <errno.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"

#if DM_HAVE_PROCFS
#include <fcntl.h>
#endif

DM_EXPORT int duende_mlock_read_locked_bytes(size_t *bytes)
{
#if DM_HAVE_PROCFS
	struct dm_proc_status st;
	char buf[1024];
	const char *line;
	size_t len;
	int saved = errno;
	int rc;

	if (!bytes)
		return -EINVAL;
	rc = dm_read_field(AT_FDCWD, "/proc/self/status", "VmLck", buf, sizeof(buf), &line, &len);
	errno = saved;
	if (rc == -ENOENT && access("/proc/self", F_OK) == 0)
		return -EPROTO; /* the file is there, the field is not */
	if (rc < 0)
		return rc;
	dm_status_init(&st);
	dm_status_parse_line(&st, line, len);
	errno = saved;
	if (!(st.present & DM_ST_VMLCK) || st.vm_lck > SIZE_MAX)
		return -EPROTO;
	*bytes = (size_t)st.vm_lck;
	return 0;
#else
	(void)bytes;
	return -ENOSYS;
#endif
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
