/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The queries: one open/read/close of /proc/self/status into a stack
 * buffer, stopping at VmLck. Async-signal-safe; errno is preserved. */
#include <errno.h>

#include "duende-mlock.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"

#if DM_HAVE_PROCFS
#include <fcntl.h>

static int vmlck_line(void *ctx, const char *line, size_t len)
{
	struct dm_proc_status *st = ctx;

	/* VmLck is the only field wanted; cheap reject of other lines. */
	if (len < 6 || line[0] != 'V' || line[2] != 'L')
		return 0;
	dm_status_parse_line(st, line, len);
	return ((st->present | st->malformed) & DM_ST_VMLCK) != 0;
}
#endif

DM_EXPORT int duende_mlock_read_locked_bytes(size_t *bytes)
{
#if DM_HAVE_PROCFS
	struct dm_proc_status st;
	char buf[1024];
	int saved = errno;
	int rc;

	if (!bytes)
		return -EINVAL;
	dm_status_init(&st);
	rc = dm_read_lines(AT_FDCWD, "/proc/self/status", buf, sizeof(buf), vmlck_line, &st);
	errno = saved;
	if (rc < 0)
		return rc;
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
