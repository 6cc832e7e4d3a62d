/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* cgroup v2's memory.swap.max 0 for a daemon's own cgroup: none of its
 * memory goes to swap, locked or not. The complement of a precise lock,
 * which leaves file data unlocked: with no swap for the cgroup, the
 * kernel may still drop the daemon's clean file pages, never swap out
 * what is anonymous. Only the daemon's own cgroup is changed: in a shared
 * one it would take swap from every other process too. */
#include <errno.h>
#include <string.h>

#include "duende-mlock.h"
#include "platform.h"
#include "text.h"

#if DM_HAVE_PROCFS
#include <fcntl.h>
#include <unistd.h>

#include "procfs.h"
#include "reader.h"

#define CGROUP2_ROOT "/sys/fs/cgroup"

static int v2_line(void *ctx, const char *line, size_t len)
{
	struct dm_cgroup_entry e;

	if (dm_cgroup_parse_line(line, len, &e) != 0 || !e.v2)
		return 0;
	*(struct dm_cgroup_entry *)ctx = e;
	return 1;
}

struct others {
	pid_t pid;
	bool any;
};

static int procs_line(void *ctx, const char *line, size_t len)
{
	struct others *o = ctx;
	size_t pos = 0;
	uint64_t v;

	if (len && (!dm_parse_u64(line, len, &pos, &v) || v != (uint64_t)o->pid))
		o->any = true;
	return o->any;
}

static void path_in(char *out, size_t cap, const char *dir, const char *file)
{
	struct dm_text t;

	dm_text_init(&t, out, cap);
	dm_text_put(&t, dir);
	dm_text_put(&t, "/");
	dm_text_put(&t, file);
}

static int no_swap(pid_t pid)
{
	struct dm_cgroup_entry e;
	struct others o = { .pid = pid ? pid : getpid(), .any = false };
	char path[64], buf[1024], dir[640], file[700];
	struct dm_text t;
	ssize_t n;
	int fd, rc;

	if (pid < 0)
		return -EINVAL;
	memset(&e, 0, sizeof(e));
	dm_proc_path(path, sizeof(path), (int)pid, "cgroup");
	rc = dm_read_lines(AT_FDCWD, path, buf, sizeof(buf), v2_line, &e);
	if (rc < 0)
		return rc == -ENOENT ? -ESRCH : rc;
	/* No v2 hierarchy, or the root cgroup, which has no memory.swap.max. */
	if (!e.v2 || strcmp(e.path, "/") == 0)
		return -ENOTSUP;
	dm_text_init(&t, dir, sizeof(dir));
	dm_text_put(&t, CGROUP2_ROOT);
	dm_text_put(&t, e.path);
	if (t.len >= sizeof(dir))
		return -ENAMETOOLONG;
	path_in(file, sizeof(file), dir, "memory.swap.max");
	if (access(file, F_OK) != 0)
		return -ENOTSUP; /* no memory controller or no swap accounting there */
	path_in(file, sizeof(file), dir, "cgroup.procs");
	rc = dm_read_lines(AT_FDCWD, file, buf, sizeof(buf), procs_line, &o);
	if (rc < 0)
		return rc;
	if (o.any)
		return -EBUSY;
	path_in(file, sizeof(file), dir, "memory.swap.max");
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, "0", 1);
	while (n < 0 && errno == EINTR);
	rc = n == 1 ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

#endif

DM_EXPORT int duende_mlock_cgroup_no_swap(pid_t pid)
{
#if DM_HAVE_PROCFS
	return no_swap(pid);
#else
	(void)pid;
	return -ENOTSUP;
#endif
}

DM_EXPORT int duende_mlock_cgroup_no_swap_explain(int rc, char *buf, size_t len)
{
	struct dm_text t;

	dm_text_init(&t, buf, len);
	switch (rc) {
	case 0:
		dm_text_put(&t, "no-swap: memory.swap.max is 0 in its own cgroup v2: none of its "
				"memory goes to swap");
		break;
	case -ENOTSUP:
		dm_text_put(&t, "no-swap: not available: memory.swap.max is cgroup v2's (with "
				"its memory controller and swap accounting), and the process is not in "
				"such a cgroup of its own; start it in one: systemd: MemorySwapMax=0, "
				"or systemd-run --scope -p MemorySwapMax=0");
		break;
	case -EBUSY:
		dm_text_put(&t, "no-swap: its cgroup v2 holds other processes, whose swap it would "
				"take too; give the daemon a cgroup of its own: systemd: a unit with "
				"MemorySwapMax=0, or systemd-run --scope -p MemorySwapMax=0");
		break;
	case -EACCES:
	case -EPERM:
	case -EROFS:
		dm_text_put(&t, "no-swap: memory.swap.max of its cgroup is not writable here (");
		dm_text_put(&t, duende_mlock_strerror(rc));
		dm_text_put(&t, "); the service manager that made the cgroup sets it: systemd: "
				"MemorySwapMax=0");
		break;
	default:
		dm_text_put(&t, "no-swap: FAILED: ");
		dm_text_put(&t, duende_mlock_strerror(rc));
	}
	return dm_text_result(&t);
}
