/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende_mlock_image_tree(): a process and what it forked that runs the
 * same program, as exec's rule for forked children reads "the same image". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"

/* The executable file of a process. */
struct image {
	uint64_t dev_major, dev_minor, ino;
};

#define DM_AT_STATX_DONT_SYNC 0x4000
#define DM_STATX_INO 0x100u

/* statx(2)'s ABI where it is needed (the ino and the device), spelled out
 * for C libraries without the wrapper. */
static int statx_image(const char *path, struct image *im)
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

static int image_of(pid_t pid, struct image *im)
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

static bool same_image(const struct image *a, const struct image *b)
{
	return a->ino == b->ino && a->dev_major == b->dev_major && a->dev_minor == b->dev_minor;
}

static int stat_of(pid_t pid, struct dm_proc_stat *st)
{
	char path[64], buf[1024];
	size_t len;
	int rc;

	dm_proc_path(path, sizeof(path), (int)pid, "stat");
	rc = dm_read_small(AT_FDCWD, path, buf, sizeof(buf), &len);
	return rc ? rc : dm_stat_parse(buf, len, st);
}

struct tree {
	pid_t root;
	struct image image;
	pid_t *pids;
	uint64_t *start_times;
	size_t cap, n;
};

static void add(struct tree *t, pid_t pid, uint64_t start_time)
{
	if (t->n < t->cap) {
		t->pids[t->n] = pid;
		if (t->start_times)
			t->start_times[t->n] = start_time;
	}
	t->n++;
}

/* A process is in the tree when every process from it up to the root
 * runs the root's image: found by walking up, so nothing need be kept. */
static int tree_line(void *ctx, int dirfd, const char *name, uint64_t number)
{
	struct tree *t = ctx;
	struct dm_proc_stat st, up;
	struct image im = { 0, 0, 0 };
	pid_t pid = (pid_t)number;

	(void)dirfd;
	(void)name;
	if (pid == t->root || stat_of(pid, &st) != 0 || st.state == 'Z' ||
	    (st.flags & DUENDE_MLOCK_PF_KTHREAD) || image_of(pid, &im) != 0 ||
	    !same_image(&im, &t->image))
		return 0;
	uint64_t parent = st.ppid;
	for (int depth = 0; depth < 64 && parent > 1; depth++) {
		if ((pid_t)parent == t->root) {
			add(t, pid, st.start_time);
			return 0;
		}
		if (stat_of((pid_t)parent, &up) != 0 || image_of((pid_t)parent, &im) != 0 ||
		    !same_image(&im, &t->image))
			return 0;
		parent = up.ppid;
	}
	return 0;
}

DM_EXPORT int duende_mlock_image_tree(pid_t pid, pid_t *pids, uint64_t *start_times, size_t cap)
{
	struct tree t = { .root = pid, .pids = pids, .start_times = start_times, .cap = cap };
	struct dm_proc_stat st;
	int rc;

	if (pid <= 0 || (cap && !pids))
		return -EINVAL;
	rc = stat_of(pid, &st);
	if (rc)
		return rc == -ENOENT ? -ESRCH : rc;
	rc = image_of(pid, &t.image);
	if (rc)
		return rc;
	add(&t, pid, st.start_time);
	rc = dm_for_each_number(AT_FDCWD, "/proc", tree_line, &t);
	if (rc < 0)
		return rc;
	return t.n > (size_t)INT32_MAX ? INT32_MAX : (int)t.n;
}
