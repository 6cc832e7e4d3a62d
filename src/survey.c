/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The host survey: what a daemon that serves swap needs to know about
 * itself and the host it runs on (its lock standing, its capabilities,
 * the kernel, its memory cgroup, the swap areas and who serves them), and
 * the verdict on each as a finding. Text comes from survey-explain.c.
 * Readers only: they never touch a path that a hung FUSE daemon serves
 * (no stat of swap files; file systems come from mountinfo).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harden.h"
#include "lock-rules.h"
#include "lock.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"
#include "survey.h"
#include "text.h"

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
	struct duende_mlock_swap *out;
	uint32_t max, n;
};

static int swaps_line(void *ctx, const char *line, size_t len)
{
	struct swaps_ctx *c = ctx;
	struct dm_swap_entry e;

	if (c->n < c->max && dm_swaps_parse_line(line, len, &e) == 0) {
		struct duende_mlock_swap *s = &c->out[c->n++];

		memset(s, 0, sizeof(*s));
		copy_str(s->path, sizeof(s->path), e.path);
		copy_str(s->kind, sizeof(s->kind), e.type); /* refined by classify_swap */
		s->size = e.size;
		s->used = e.used;
		s->priority = e.priority;
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
	    c.best)
		copy_str(out, cap, c.found.fstype);
}

static void classify_swap(struct duende_mlock_swap *s)
{
	const char *dev = s->path;

	if (strcmp(s->kind, "file") == 0) {
		fstype_of(dev, s->backing_fstype, sizeof(s->backing_fstype));
		s->user_space = starts_with(s->backing_fstype, "fuse");
		return;
	}
	if (starts_with(dev, "/dev/loop")) {
		char path[320];
		struct dm_text t;
		size_t len;

		copy_str(s->kind, sizeof(s->kind), "loop");
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
		copy_str(s->kind, sizeof(s->kind), "nbd");
		s->user_space = true;
	} else if (starts_with(dev, "/dev/ublkb")) {
		copy_str(s->kind, sizeof(s->kind), "ublk");
		s->user_space = true;
	} else if (starts_with(dev, "/dev/zram")) {
		copy_str(s->kind, sizeof(s->kind), "zram");
	} else {
		copy_str(s->kind, sizeof(s->kind), "partition");
	}
}

static int survey_swaps(struct duende_mlock_survey *s)
{
	struct swaps_ctx c = { .out = s->swaps, .max = DUENDE_MLOCK_SURVEY_SWAPS };
	char buf[1024];
	int rc = dm_read_lines(AT_FDCWD, "/proc/swaps", buf, sizeof(buf), swaps_line, &c);

	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < c.n; i++)
		classify_swap(&s->swaps[i]);
	s->nswaps = c.n;
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

static void cgroup_dir(char *dir, size_t cap, const char *root, const char *path)
{
	struct dm_text t;

	dm_text_init(&t, dir, cap);
	dm_text_put(&t, root);
	if (strcmp(path, "/") != 0)
		dm_text_put(&t, path);
}

static int survey_cgroup(pid_t pid, struct duende_mlock_cgroup *out)
{
	struct cgroup_ctx c;
	char path[64], buf[1024], dir[640], procs[768];
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
		copy_str(out->path, sizeof(out->path), c.v1.path);
		cgroup_dir(dir, sizeof(dir), "/sys/fs/cgroup/memory", c.v1.path);
		if (read_u64_file(dir, "memory.limit_in_bytes", &out->limit) < 0)
			return -ENOENT;
		out->limit = v1_limit_in_force(dir, out->limit);
		read_u64_file(dir, "memory.usage_in_bytes", &out->usage);
	} else if (c.has_v2 && access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
		out->version = 2;
		copy_str(out->path, sizeof(out->path), c.v2.path);
		cgroup_dir(dir, sizeof(dir), "/sys/fs/cgroup", c.v2.path);
		out->limit = v2_limit_in_force("/sys/fs/cgroup", dir);
		read_u64_file(dir, "memory.current", &out->usage);
	} else {
		return -ENOENT;
	}
	dm_text_init(&t, procs, sizeof(procs));
	dm_text_put(&t, dir);
	dm_text_put(&t, "/cgroup.procs");
	dm_read_lines(AT_FDCWD, procs, buf, sizeof(buf), count_line, &out->processes);
	return 0;
}

/* ---- container and service manager ---- */

static int runtime_line(void *ctx, const char *line, size_t len)
{
	struct duende_mlock_survey *s = ctx;
	struct dm_cgroup_entry e;
	const char *p;

	if (dm_cgroup_parse_line(line, len, &e) != 0)
		return 0;
	if (!s->container[0]) {
		if (strstr(e.path, "kubepods"))
			copy_str(s->container, sizeof(s->container), "kubernetes");
		else if (strstr(e.path, "docker"))
			copy_str(s->container, sizeof(s->container), "docker");
		else if (strstr(e.path, "libpod"))
			copy_str(s->container, sizeof(s->container), "podman");
	}
	p = strstr(e.path, ".service");
	if (!s->systemd_unit[0] && p) {
		const char *start = p;
		while (start > e.path && start[-1] != '/')
			start--;
		size_t n = (size_t)(p + 8 - start);
		if (n < sizeof(s->systemd_unit)) {
			memcpy(s->systemd_unit, start, n);
			s->systemd_unit[n] = '\0';
		}
	}
	return 0;
}

static void survey_runtime(pid_t pid, struct duende_mlock_survey *s)
{
	char path[64], buf[512], comm[64];
	size_t len;

	dm_proc_path(path, sizeof(path), (int)pid, "cgroup");
	dm_read_lines(AT_FDCWD, path, buf, sizeof(buf), runtime_line, s);
	if (!s->container[0]) {
		if (access("/.dockerenv", F_OK) == 0)
			copy_str(s->container, sizeof(s->container), "docker");
		else if (access("/run/.containerenv", F_OK) == 0)
			copy_str(s->container, sizeof(s->container), "podman");
		else if (access("/var/run/secrets/kubernetes.io", F_OK) == 0)
			copy_str(s->container, sizeof(s->container), "kubernetes");
	}
	if (dm_read_small(AT_FDCWD, "/proc/1/comm", comm, sizeof(comm), &len) == 0)
		s->systemd = strncmp(comm, "systemd\n", 8) == 0;
}

/* ---- the verdicts ---- */

static void found(struct duende_mlock_survey *s, enum duende_mlock_finding_code code,
		  enum duende_mlock_severity severity, uint32_t swap)
{
	if (s->nfindings == DUENDE_MLOCK_SURVEY_FINDINGS)
		return;
	s->findings[s->nfindings++] = (struct duende_mlock_finding){ .code = code,
								       .severity = severity,
								       .swap = swap };
	if (severity > s->verdict)
		s->verdict = severity;
}

static void judge_limits(struct duende_mlock_survey *s)
{
	const struct duende_mlock_report *r = &s->process;
	uint64_t need = dm_survey_lock_need(s);

	if (r->cap_ipc_lock) {
		found(s, DUENDE_MLOCK_FOUND_CAP_IPC_LOCK, DUENDE_MLOCK_SEVERITY_OK, 0);
	} else if (!(r->known & DUENDE_MLOCK_R_LIMITS)) {
		found(s, DUENDE_MLOCK_FOUND_LIMITS_UNREADABLE, DUENDE_MLOCK_SEVERITY_WARNING, 0);
	} else if (r->memlock_soft == DUENDE_MLOCK_UNLIMITED) {
		found(s, DUENDE_MLOCK_FOUND_MEMLOCK_UNLIMITED, DUENDE_MLOCK_SEVERITY_OK, 0);
	} else if (r->memlock_soft < need || r->memlock_soft == 0) {
		bool hard_fits = r->memlock_hard == DUENDE_MLOCK_UNLIMITED || r->memlock_hard >= need;
		found(s, hard_fits ? DUENDE_MLOCK_FOUND_MEMLOCK_SOFT_LOW : DUENDE_MLOCK_FOUND_MEMLOCK_TOO_LOW,
		      hard_fits ? DUENDE_MLOCK_SEVERITY_WARNING : DUENDE_MLOCK_SEVERITY_CANNOT_LOCK, 0);
	} else {
		found(s, DUENDE_MLOCK_FOUND_MEMLOCK_COVERS,
		      dm_survey_headroom_after(s) < DM_SURVEY_LOW_HEADROOM ? DUENDE_MLOCK_SEVERITY_WARNING
									: DUENDE_MLOCK_SEVERITY_OK,
		      0);
	}
}

static void judge_caps(struct duende_mlock_survey *s)
{
	const struct duende_mlock_report *r = &s->process;

	if (!(r->known & DUENDE_MLOCK_R_STATUS)) {
		found(s, DUENDE_MLOCK_FOUND_CAPS_UNREADABLE, DUENDE_MLOCK_SEVERITY_WARNING, 0);
		return;
	}
	if (!dm_cap_in(r->cap_bounding, DM_CAP_IPC_LOCK))
		found(s, DUENDE_MLOCK_FOUND_NO_IPC_LOCK_BOUND, DUENDE_MLOCK_SEVERITY_WARNING, 0);
	if (!dm_cap_in(r->cap_effective, DM_CAP_SYS_RESOURCE))
		found(s, DUENDE_MLOCK_FOUND_NO_SYS_RESOURCE, DUENDE_MLOCK_SEVERITY_WARNING, 0);
}

static void judge_kernel(struct duende_mlock_survey *s)
{
	if (s->kernel_onfault == 0)
		found(s, DUENDE_MLOCK_FOUND_KERNEL_NO_ONFAULT, DUENDE_MLOCK_SEVERITY_WARNING, 0);
	if (s->kernel_io_flusher == 0)
		found(s, DUENDE_MLOCK_FOUND_KERNEL_NO_IO_FLUSHER, DUENDE_MLOCK_SEVERITY_WARNING, 0);
	if (s->process.known & DUENDE_MLOCK_R_STAT)
		found(s, DUENDE_MLOCK_FOUND_TASK, DUENDE_MLOCK_SEVERITY_OK, 0);
}

static void judge_cgroup(struct duende_mlock_survey *s)
{
	const struct duende_mlock_cgroup *cg = &s->cgroup;

	if (s->cgroup_error)
		found(s, DUENDE_MLOCK_FOUND_NO_CGROUP, DUENDE_MLOCK_SEVERITY_OK, 0);
	else if (cg->version == 1 && cg->limit != UINT64_MAX && cg->processes > 1 &&
		 !dm_survey_io_flusher(s))
		found(s, DUENDE_MLOCK_FOUND_CGROUP_V1_SHARED, DUENDE_MLOCK_SEVERITY_WARNING, 0);
	else
		found(s, DUENDE_MLOCK_FOUND_CGROUP, DUENDE_MLOCK_SEVERITY_OK, 0);
}

static void judge_swaps(struct duende_mlock_survey *s)
{
	if (s->swaps_error) {
		found(s, DUENDE_MLOCK_FOUND_SWAPS_UNREADABLE, DUENDE_MLOCK_SEVERITY_WARNING, 0);
		return;
	}
	if (!s->nswaps)
		found(s, DUENDE_MLOCK_FOUND_NO_SWAP, DUENDE_MLOCK_SEVERITY_OK, 0);
	for (uint32_t i = 0; i < s->nswaps; i++) {
		if (s->swaps[i].user_space)
			found(s, DUENDE_MLOCK_FOUND_SWAP_USER_SPACE, DUENDE_MLOCK_SEVERITY_WARNING, i);
		else
			found(s, DUENDE_MLOCK_FOUND_SWAP, DUENDE_MLOCK_SEVERITY_OK, i);
	}
}

DM_EXPORT int duende_mlock_survey_pid(pid_t pid, struct duende_mlock_survey *s)
{
	struct dm_lock_facts own;
	int rc;

	if (!s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	rc = duende_mlock_report_pid(pid, &s->process);
	if (rc)
		return rc;
	dm_gather_lock_facts(&own);
	s->caller_memlock_hard = own.memlock_hard;
	s->caller_cap_sys_resource = own.cap_sys_resource;
	s->kernel_onfault = dm_probe_onfault();
	s->kernel_io_flusher = dm_probe_io_flusher();
	s->cgroup_error = survey_cgroup(pid, &s->cgroup);
	s->swaps_error = survey_swaps(s);
	survey_runtime(pid, s);
	judge_limits(s);
	judge_caps(s);
	judge_kernel(s);
	judge_cgroup(s);
	judge_swaps(s);
	return 0;
}
