/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende_mlock_image_tree(): a process and what it forked that runs the
 * same program, as exec's rule for forked children reads "the same image". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"
#include "image.h"

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
	struct dm_image image;
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
	struct dm_image im = { 0, 0, 0 };
	pid_t pid = (pid_t)number;

	(void)dirfd;
	(void)name;
	if (pid == t->root || stat_of(pid, &st) != 0 || st.state == 'Z' ||
	    (st.flags & DUENDE_MLOCK_PF_KTHREAD) || dm_image_of(pid, &im) != 0 ||
	    !dm_image_same(&im, &t->image))
		return 0;
	uint64_t parent = st.ppid;
	for (int depth = 0; depth < 64 && parent > 1; depth++) {
		if ((pid_t)parent == t->root) {
			add(t, pid, st.start_time);
			return 0;
		}
		if (stat_of((pid_t)parent, &up) != 0 || dm_image_of((pid_t)parent, &im) != 0 ||
		    !dm_image_same(&im, &t->image))
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
	rc = dm_image_of(pid, &t.image);
	if (rc)
		return rc;
	add(&t, pid, st.start_time);
	rc = dm_for_each_number(AT_FDCWD, "/proc", tree_line, &t);
	if (rc < 0)
		return rc;
	return t.n > (size_t)INT32_MAX ? INT32_MAX : (int)t.n;
}
