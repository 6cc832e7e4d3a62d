/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#define _GNU_SOURCE
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reader.h"
#include "text.h"

#ifndef PR_GET_IO_FLUSHER
#define PR_GET_IO_FLUSHER 58
#endif

/* Copies src into dst of cap bytes, cut and always terminated. */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- swaps ---- */

struct swaps_ctx {
	struct dm_swap_info *out;
	size_t max, n;
};

static int swaps_line(void *ctx, const char *line, size_t len)
{
	struct swaps_ctx *c = ctx;
	struct dm_swap_entry e;

	if (c->n < c->max && dm_swaps_parse_line(line, len, &e) == 0) {
		memset(&c->out[c->n], 0, sizeof(c->out[c->n]));
		c->out[c->n++].entry = e;
	}
	return 0;
}

struct mount_ctx {
	const char *path;
	size_t best;
	struct dm_mount_entry found;
};

static int mount_line(void *ctx, const char *line, size_t len)
{
	struct mount_ctx *c = ctx;
	struct dm_mount_entry m;
	size_t mlen;

	if (dm_mountinfo_parse_line(line, len, &m) != 0)
		return 0;
	mlen = strlen(m.mount_point);
	if (strncmp(c->path, m.mount_point, mlen) == 0 &&
	    (c->path[mlen] == '/' || c->path[mlen] == '\0' || mlen == 1) && mlen >= c->best) {
		c->best = mlen;
		c->found = m;
	}
	return 0;
}

/* The file system type under path, from mountinfo, without touching path
 * itself (a hung FUSE daemon would hang a stat). */
static void fstype_of(const char *path, char *out, size_t cap)
{
	struct mount_ctx c = { .path = path };
	char buf[1024];

	out[0] = '\0';
	if (dm_read_lines(AT_FDCWD, "/proc/self/mountinfo", buf, sizeof(buf), mount_line, &c) == 0 &&
	    c.best) {
		copy_str(out, cap, c.found.fstype);
	}
}

static void classify_swap(struct dm_swap_info *s)
{
	const char *dev = s->entry.path;
	char path[320];
	size_t len;

	if (strcmp(s->entry.type, "file") == 0) {
		strcpy(s->kind, "file");
		fstype_of(dev, s->backing_fstype, sizeof(s->backing_fstype));
		s->user_space = starts_with(s->backing_fstype, "fuse");
		return;
	}
	if (starts_with(dev, "/dev/loop")) {
		struct dm_text t;

		strcpy(s->kind, "loop");
		dm_text_init(&t, path, sizeof(path));
		dm_text_put(&t, "/sys/block/");
		dm_text_put(&t, dev + 5);
		dm_text_put(&t, "/loop/backing_file");
		if (dm_read_small(AT_FDCWD, path, s->backing, sizeof(s->backing), &len) == 0) {
			while (len && s->backing[len - 1] == '\n')
				s->backing[--len] = '\0';
			fstype_of(s->backing, s->backing_fstype, sizeof(s->backing_fstype));
			s->user_space = starts_with(s->backing_fstype, "fuse");
		}
	} else if (starts_with(dev, "/dev/nbd")) {
		strcpy(s->kind, "nbd");
		s->user_space = true;
	} else if (starts_with(dev, "/dev/ublkb")) {
		strcpy(s->kind, "ublk");
		s->user_space = true;
	} else if (starts_with(dev, "/dev/zram")) {
		strcpy(s->kind, "zram");
	} else {
		strcpy(s->kind, "partition");
	}
}

int dm_host_swaps(struct dm_swap_info *out, size_t max, size_t *n)
{
	struct swaps_ctx c = { .out = out, .max = max };
	char buf[1024];
	int rc;

	*n = 0;
	rc = dm_read_lines(AT_FDCWD, "/proc/swaps", buf, sizeof(buf), swaps_line, &c);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < c.n; i++)
		classify_swap(&out[i]);
	*n = c.n;
	return 0;
}

/* ---- memory cgroup ---- */

struct cgroup_ctx {
	struct dm_cgroup_entry v1, v2;
	bool has_v1, has_v2;
};

static int cgroup_line(void *ctx, const char *line, size_t len)
{
	struct cgroup_ctx *c = ctx;
	struct dm_cgroup_entry e;

	if (dm_cgroup_parse_line(line, len, &e) != 0)
		return 0;
	if (e.v2 && !c->has_v2) {
		c->v2 = e;
		c->has_v2 = true;
	} else if (e.has_memory && !c->has_v1) {
		c->v1 = e;
		c->has_v1 = true;
	}
	return 0;
}

static int read_u64_file(const char *dir, const char *file, uint64_t *out)
{
	char path[768], buf[64];
	struct dm_text t;
	size_t len;
	int rc;

	dm_text_init(&t, path, sizeof(path));
	dm_text_put(&t, dir);
	dm_text_put(&t, "/");
	dm_text_put(&t, file);
	rc = dm_read_small(AT_FDCWD, path, buf, sizeof(buf), &len);
	if (rc < 0)
		return rc;
	return dm_parse_cgroup_limit(buf, len, out);
}

static int count_line(void *ctx, const char *line, size_t len)
{
	(void)line;
	if (len)
		(*(uint32_t *)ctx)++;
	return 0;
}

/* memory.stat's "hierarchical_memory_limit N": the v1 limit in force,
 * the smallest of this cgroup's and its ancestors'. */
static int hierarchical_line(void *ctx, const char *line, size_t len)
{
	static const char key[] = "hierarchical_memory_limit ";
	const size_t klen = sizeof(key) - 1;
	uint64_t v;

	if (len > klen && memcmp(line, key, klen) == 0 &&
	    dm_parse_cgroup_limit(line + klen, len - klen, &v) == 0) {
		*(uint64_t *)ctx = v;
		return 1;
	}
	return 0;
}

static uint64_t v1_limit_in_force(const char *dir, uint64_t own)
{
	char path[768], buf[256];
	struct dm_text t;
	uint64_t v = UINT64_MAX;

	dm_text_init(&t, path, sizeof(path));
	dm_text_put(&t, dir);
	dm_text_put(&t, "/memory.stat");
	dm_read_lines(AT_FDCWD, path, buf, sizeof(buf), hierarchical_line, &v);
	return v < own ? v : own;
}

/* v2: memory.max of the cgroup and every ancestor below the root. */
static uint64_t v2_limit_in_force(const char *root, const char *dir)
{
	char walk[640];
	size_t rlen = strlen(root);
	uint64_t limit = UINT64_MAX, v;

	copy_str(walk, sizeof(walk), dir);
	while (strlen(walk) > rlen) {
		if (read_u64_file(walk, "memory.max", &v) == 0 && v < limit)
			limit = v;
		char *slash = strrchr(walk, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	return limit;
}

static void set_dir(struct dm_cgroup_info *out, const char *root, const char *path)
{
	struct dm_text t;

	dm_text_init(&t, out->dir, sizeof(out->dir));
	dm_text_put(&t, root);
	if (strcmp(path, "/") != 0)
		dm_text_put(&t, path);
	copy_str(out->path, sizeof(out->path), path);
}

int dm_host_memory_cgroup(pid_t pid, struct dm_cgroup_info *out)
{
	struct cgroup_ctx c;
	char path[64], buf[1024], procs[768];
	struct dm_text t;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	out->limit = UINT64_MAX;
	dm_proc_path(path, sizeof(path), (int)pid, "cgroup");
	rc = dm_read_lines(AT_FDCWD, path, buf, sizeof(buf), cgroup_line, &c);
	if (rc < 0)
		return rc;
	if (c.has_v1 && access("/sys/fs/cgroup/memory", F_OK) == 0) {
		out->version = 1;
		set_dir(out, "/sys/fs/cgroup/memory", c.v1.path);
		if (read_u64_file(out->dir, "memory.limit_in_bytes", &out->limit) < 0)
			return -ENOENT;
		out->limit = v1_limit_in_force(out->dir, out->limit);
		read_u64_file(out->dir, "memory.usage_in_bytes", &out->usage);
	} else if (c.has_v2 && access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
		out->version = 2;
		set_dir(out, "/sys/fs/cgroup", c.v2.path);
		out->limit = v2_limit_in_force("/sys/fs/cgroup", out->dir);
		read_u64_file(out->dir, "memory.current", &out->usage);
	} else {
		return -ENOENT;
	}
	dm_text_init(&t, procs, sizeof(procs));
	dm_text_put(&t, out->dir);
	dm_text_put(&t, "/cgroup.procs");
	dm_read_lines(AT_FDCWD, procs, buf, sizeof(buf), count_line, &out->processes);
	return 0;
}

/* ---- container and service manager ---- */

static int runtime_line(void *ctx, const char *line, size_t len)
{
	struct dm_runtime_info *r = ctx;
	struct dm_cgroup_entry e;
	const char *p;

	if (dm_cgroup_parse_line(line, len, &e) != 0)
		return 0;
	if (!r->container[0]) {
		if (strstr(e.path, "kubepods"))
			strcpy(r->container, "kubernetes");
		else if (strstr(e.path, "docker"))
			strcpy(r->container, "docker");
		else if (strstr(e.path, "libpod"))
			strcpy(r->container, "podman");
	}
	p = strstr(e.path, ".service");
	if (!r->unit[0] && p) {
		const char *start = p;
		while (start > e.path && start[-1] != '/')
			start--;
		size_t n = (size_t)(p + 8 - start);
		if (n < sizeof(r->unit)) {
			memcpy(r->unit, start, n);
			r->unit[n] = '\0';
		}
	}
	return 0;
}

void dm_host_runtime(pid_t pid, struct dm_runtime_info *out)
{
	char path[64], buf[512], comm[64];
	size_t len;

	memset(out, 0, sizeof(*out));
	dm_proc_path(path, sizeof(path), (int)pid, "cgroup");
	dm_read_lines(AT_FDCWD, path, buf, sizeof(buf), runtime_line, out);
	if (!out->container[0]) {
		if (access("/.dockerenv", F_OK) == 0)
			strcpy(out->container, "docker");
		else if (access("/run/.containerenv", F_OK) == 0)
			strcpy(out->container, "podman");
		else if (access("/var/run/secrets/kubernetes.io", F_OK) == 0)
			strcpy(out->container, "kubernetes");
	}
	if (dm_read_small(AT_FDCWD, "/proc/1/comm", comm, sizeof(comm), &len) == 0)
		out->systemd = strncmp(comm, "systemd\n", 8) == 0;
}

/* ---- kernel support ---- */

int dm_host_supports_onfault(void)
{
#ifdef MCL_ONFAULT
	/* Ask the kernel in a child: mlockall is process-wide. Only the
	 * future flag is set, so nothing is populated. */
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(mlockall(MCL_FUTURE | MCL_ONFAULT) == 0 ? 0 : errno == EINVAL ? 1 : 2);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 2)
		return -EIO;
	return WEXITSTATUS(status) == 0;
#else
	return 0;
#endif
}

int dm_host_supports_io_flusher(void)
{
	/* Both PR_*_IO_FLUSHER need CAP_SYS_RESOURCE: EPERM still shows the
	 * kernel knows the option; EINVAL shows it does not. */
	if (prctl(PR_GET_IO_FLUSHER, 0, 0, 0, 0) >= 0 || errno == EPERM)
		return 1;
	return errno == EINVAL ? 0 : -errno;
}

int dm_host_stat(pid_t pid, struct dm_proc_stat *out)
{
	char path[64], buf[1024];
	size_t len;
	int rc;

	dm_proc_path(path, sizeof(path), (int)pid, "stat");
	rc = dm_read_small(AT_FDCWD, path, buf, sizeof(buf), &len);
	if (rc < 0)
		return rc == -ENOENT ? -ESRCH : rc;
	return dm_stat_parse(buf, len, out);
}

int dm_host_caps(pid_t pid, uint64_t *effective, uint64_t *bounding)
{
	struct dm_proc_status st;
	char path[64];
	int rc;

	dm_proc_path(path, sizeof(path), (int)pid, "status");
	rc = dm_read_status(AT_FDCWD, path, DM_ST_CAPEFF | DM_ST_CAPBND, &st);
	if (rc < 0)
		return rc == -ENOENT ? -ESRCH : rc;
	if (!(st.present & DM_ST_CAPEFF) || !(st.present & DM_ST_CAPBND))
		return -EPROTO;
	*effective = st.cap_eff;
	*bounding = st.cap_bnd;
	return 0;
}
