/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* What backs each mount a process sees, and which FUSE mounts it serves
 * itself: the table every classification of its mappings reads. Only
 * /proc is read (never a path on a mount, which a hung FUSE daemon would
 * not answer); open/read/close and getdents64: async-signal-safe. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mounts.h"
#include "reader.h"
#include "text.h"

struct fuse_scan {
	struct dm_mount_kinds *mk;
	int dirfd;
	bool any; /* a /dev/fuse whose connection the kernel did not name */
};

static int fuse_conn_line(void *ctx, const char *line, size_t len)
{
	uint64_t conn;

	if (dm_fdinfo_fuse_connection(line, len, &conn) != 0)
		return 0;
	*(int64_t *)ctx = (int64_t)(conn & INT64_MAX);
	return 1;
}

static int fd_entry(void *ctx, int fddir, const char *name, uint64_t number)
{
	struct fuse_scan *f = ctx;
	char target[32], path[48], buf[256];
	struct dm_text t;
	int64_t conn = -1;
	ssize_t n = readlinkat(fddir, name, target, sizeof(target) - 1);

	(void)number;
	if (n <= 0)
		return 0;
	target[n] = '\0';
	if (strcmp(target, "/dev/fuse") != 0)
		return 0;
	dm_text_init(&t, path, sizeof(path));
	dm_text_put(&t, "fdinfo/");
	dm_text_put(&t, name);
	dm_read_lines(f->dirfd, path, buf, sizeof(buf), fuse_conn_line, &conn);
	if (conn < 0)
		f->any = true;
	else
		dm_mount_kinds_serve(f->mk, (uint64_t)conn);
	return 0;
}

/* Before Linux 6.x named the connection in fdinfo, a holder of /dev/fuse
 * may serve any FUSE mount: each counts as its own. */
static void serve_all_fuse(struct dm_mount_kinds *mk)
{
	for (uint32_t i = 0; i < mk->n; i++)
		if (mk->kind[i] == DM_FS_FUSE)
			mk->kind[i] = DM_FS_SERVED;
}

int dm_read_mount_kinds(int dirfd, struct dm_mount_kinds *mk)
{
	char buf[1024];
	int rc;

	dm_mount_kinds_init(mk);
	rc = dm_read_lines(dirfd, "mountinfo", buf, sizeof(buf), dm_mount_kinds_parse_line, mk);
	/* The files of a container's overlay live on mounts that only the
	 * host sees: the reader's own mounts fill in what is left. */
	(void)dm_read_lines(AT_FDCWD, "/proc/self/mountinfo", buf, sizeof(buf),
			    dm_mount_kinds_parse_line, mk);
	if (dm_mount_kinds_has_fuse(mk)) {
		struct fuse_scan f = { .mk = mk, .dirfd = dirfd, .any = false };

		dm_for_each_number(dirfd, "fd", fd_entry, &f);
		if (f.any)
			serve_all_fuse(mk);
		dm_mount_kinds_settle(mk);
	}
	return rc;
}
