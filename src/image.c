/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The same image (image.h). */
#define _GNU_SOURCE
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "reader.h"

#define DM_AT_STATX_DONT_SYNC 0x4000
#define DM_STATX_INO 0x100u

/* statx(2)'s ABI where it is needed (the ino and the device), spelled out
 * for C libraries without the wrapper. */
static int statx_image(const char *path, struct dm_image *im)
{
#ifdef SYS_statx
	unsigned char buf[256];
	uint64_t ino;
	uint32_t major, minor;

	/* Not synced with a network or FUSE server: a hung daemon serving the
	 * program's file system must not hang the scan. */
	if (syscall(SYS_statx, AT_FDCWD, path, DM_AT_STATX_DONT_SYNC, DM_STATX_INO, buf) != 0)
		return errno == ENOSYS ? 1 : errno ? -errno : -EIO;
	memcpy(&ino, buf + 32, sizeof(ino));
	memcpy(&major, buf + 136, sizeof(major));
	memcpy(&minor, buf + 140, sizeof(minor));
	im->ino = ino;
	im->dev_major = major;
	im->dev_minor = minor;
	return 0;
#else
	(void)path;
	(void)im;
	return 1;
#endif
}

int dm_image_of(pid_t pid, struct dm_image *im)
{
	char path[64];
	struct stat st;
	int rc;

	memset(im, 0, sizeof(*im));
	dm_proc_path(path, sizeof(path), (int)pid, "exe");
	rc = statx_image(path, im);
	if (rc <= 0)
		return rc == -ENOENT ? -ESRCH : rc;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? -ESRCH : -errno;
	im->ino = st.st_ino;
	im->dev_major = major(st.st_dev);
	im->dev_minor = minor(st.st_dev);
	return 0;
}

bool dm_image_same(const struct dm_image *a, const struct dm_image *b)
{
	return a->ino == b->ino && a->dev_major == b->dev_major && a->dev_minor == b->dev_minor;
}

