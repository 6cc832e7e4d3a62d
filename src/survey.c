/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The host survey: what a daemon that serves swap needs to know about
 * itself and the host it runs on (its lock standing, its capabilities,
 * the kernel, its memory cgroup, the swap areas and who serves them), and
 * the verdict on each as a finding. This file gathers the facts; the
 * verdicts are survey-verdicts.c's, the text survey-explain.c's, the swap
 * areas swaps.c's. Readers only: they never touch a path that a
 * hung FUSE daemon serves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "drop.h"
#include "duende-mlock.h"
#include "layout.h"
#include "harden.h"
#include "lock-rules.h"
#include "lock.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"
#include "survey.h"
#include "swaps.h"
#include "report.h"
#include "text.h"

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

	dm_copy_str(walk, sizeof(walk), dir);
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

/* What protects a v2 cgroup's memory besides locking (the root cgroup
 * has none of these files). */
static void read_v2_protection(const char *dir, struct duende_mlock_cgroup *cg)
{
	if (read_u64_file(dir, "memory.min", &cg->min) < 0 ||
	    read_u64_file(dir, "memory.low", &cg->low) < 0)
		return;
	/* Without swap accounting there is no memory.swap.max: it may swap. */
	if (read_u64_file(dir, "memory.swap.max", &cg->swap_max) < 0)
		cg->swap_max = UINT64_MAX;
	cg->protection_known = true;
}

#if DM_LAYOUT_HAS_SIZE
/* What is in force from dir up to the top below root: the smallest
 * memory.swap.max, memory.min and memory.low on the path (a file that
 * cannot be read counts as "max": it limits and protects nothing more
 * than the others do). */
static void read_v2_effective(const char *root, const char *dir, struct duende_mlock_cgroup *cg)
{
	char walk[640];
	size_t rlen = strlen(root);
	uint64_t v;

	cg->effective_min = cg->effective_low = cg->effective_swap_max = UINT64_MAX;
	dm_copy_str(walk, sizeof(walk), dir);
	while (strlen(walk) > rlen) {
		if (read_u64_file(walk, "memory.min", &v) == 0 && v < cg->effective_min)
			cg->effective_min = v;
		if (read_u64_file(walk, "memory.low", &v) == 0 && v < cg->effective_low)
			cg->effective_low = v;
		if (read_u64_file(walk, "memory.swap.max", &v) == 0 && v < cg->effective_swap_max)
			cg->effective_swap_max = v;
		char *slash = strrchr(walk, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
}
#endif

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
		dm_copy_str(out->path, sizeof(out->path), c.v1.path);
		cgroup_dir(dir, sizeof(dir), "/sys/fs/cgroup/memory", c.v1.path);
		if (read_u64_file(dir, "memory.limit_in_bytes", &out->limit) < 0)
			return -ENOENT;
		out->limit = v1_limit_in_force(dir, out->limit);
		read_u64_file(dir, "memory.usage_in_bytes", &out->usage);
	} else if (c.has_v2 && access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
		out->version = 2;
		dm_copy_str(out->path, sizeof(out->path), c.v2.path);
		cgroup_dir(dir, sizeof(dir), "/sys/fs/cgroup", c.v2.path);
		out->limit = v2_limit_in_force("/sys/fs/cgroup", dir);
		read_u64_file(dir, "memory.current", &out->usage);
		read_v2_protection(dir, out);
#if DM_LAYOUT_HAS_SIZE
		if (out->protection_known)
			read_v2_effective("/sys/fs/cgroup", dir, out);
#endif
	} else {
		return -ENOENT;
	}
	dm_text_init(&t, procs, sizeof(procs));
	dm_text_put(&t, dir);
	dm_text_put(&t, "/cgroup.procs");
	dm_read_lines(AT_FDCWD, procs, buf, sizeof(buf), count_line, &out->processes);
	return 0;
}

#if DM_LAYOUT_HAS_SIZE
int dm_memory_cgroup(pid_t pid, struct duende_mlock_cgroup *out)
{
	return survey_cgroup(pid, out);
}
#endif

/* ---- container and service manager ---- */

static void set_container(DM_SURVEY *s, enum duende_mlock_container kind)
{
#if DM_LAYOUT_HAS_SIZE
	s->container_kind = kind;
#endif
	dm_copy_str(s->container, sizeof(s->container), dm_container_name(kind));
}

static int runtime_line(void *ctx, const char *line, size_t len)
{
	DM_SURVEY *s = ctx;
	struct dm_cgroup_entry e;
	const char *p;

	if (dm_cgroup_parse_line(line, len, &e) != 0)
		return 0;
	if (!s->container[0]) {
		if (strstr(e.path, "kubepods"))
			set_container(s, DUENDE_MLOCK_CONTAINER_KUBERNETES);
		else if (strstr(e.path, "docker"))
			set_container(s, DUENDE_MLOCK_CONTAINER_DOCKER);
		else if (strstr(e.path, "libpod"))
			set_container(s, DUENDE_MLOCK_CONTAINER_PODMAN);
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

#if DM_LAYOUT_HAS_SIZE
/* MemTotal of /proc/meminfo in bytes, 0 when unreadable. */
static uint64_t mem_total(void)
{
	char buf[512];
	const char *line;
	size_t len;
	uint64_t bytes;

	if (dm_read_field(AT_FDCWD, "/proc/meminfo", "MemTotal", buf, sizeof(buf), &line, &len) != 0 ||
	    !dm_smaps_field(line, len, "MemTotal", &bytes))
		return 0;
	return bytes;
}

/* vm.min_free_kbytes in bytes, 0 when unreadable. */
static uint64_t min_free_bytes(void)
{
	char buf[32];
	size_t len;
	int64_t kib;

	if (dm_read_small(AT_FDCWD, "/proc/sys/vm/min_free_kbytes", buf, sizeof(buf), &len) != 0 ||
	    dm_parse_i64_file(buf, len, &kib) != 0 || kib <= 0 || kib > INT64_MAX / 1024)
		return 0;
	return (uint64_t)kib * 1024;
}
#endif

static void survey_runtime(pid_t pid, DM_SURVEY *s)
{
	char path[64], buf[512], comm[64];
	size_t len;

	dm_proc_path(path, sizeof(path), (int)pid, "cgroup");
	dm_read_lines(AT_FDCWD, path, buf, sizeof(buf), runtime_line, s);
	if (!s->container[0]) {
		if (access("/.dockerenv", F_OK) == 0)
			set_container(s, DUENDE_MLOCK_CONTAINER_DOCKER);
		else if (access("/run/.containerenv", F_OK) == 0)
			set_container(s, DUENDE_MLOCK_CONTAINER_PODMAN);
		else if (access("/var/run/secrets/kubernetes.io", F_OK) == 0)
			set_container(s, DUENDE_MLOCK_CONTAINER_KUBERNETES);
	}
	if (dm_read_small(AT_FDCWD, "/proc/1/comm", comm, sizeof(comm), &len) == 0)
		s->systemd = strncmp(comm, "systemd\n", 8) == 0;
}

/* ---- privilege drops ---- */

/* A root process with CAP_IPC_LOCK loses it when it drops to a service
 * user: whether its program can (it calls setuid or capset), and its
 * locked children that run under another uid already (the verdicts judge
 * them). Only the 1.2 layout has room for them. */
static void survey_drops(DM_SURVEY *s)
{
#if DM_LAYOUT_HAS_SIZE
	const DM_SURVEY_REPORT *r = &s->process;
	struct dm_dropped_children ch = { 0, 0, 0, 0 };

	if (!r->cap_ipc_lock || r->uid != 0 || (r->verdicts & DUENDE_MLOCK_V_NO_USER_MEMORY))
		return;
	s->program_drops = dm_pid_program_drops(r->pid);
	dm_pid_dropped_children(r->pid, r->uid, &ch);
	s->dropped_children = ch.n;
	s->dropped_children_short = ch.short_n;
	s->dropped_child = ch.example;
	s->dropped_uid = ch.uid;
#else
	(void)s;
#endif
}

/* Fills the survey, which the caller has zeroed; its report, last, has
 * report_size bytes. */
static int survey(pid_t pid, DM_SURVEY *s, size_t report_size)
{
	struct dm_lock_facts own;
	int rc;

	rc = dm_read_report(pid, (struct duende_mlock_report *)&s->process, report_size);
#if !DM_LAYOUT_HAS_SIZE
	s->process.reserved32 = 0; /* 1.1's report had no size */
#endif
	if (rc)
		return rc;
	dm_gather_lock_facts(&own);
	s->caller_memlock_hard = own.memlock_hard;
	s->caller_cap_sys_resource = own.cap_sys_resource;
	/* Only the process that the shim runs in is run by exec. */
	s->preloaded = s->process.pid == getpid() && dm_in_preload_shim();
	s->headroom_after_lock = dm_survey_headroom_after(s);
	s->kernel_onfault = dm_probe_onfault();
	s->kernel_io_flusher = dm_probe_io_flusher();
	s->cgroup_error = survey_cgroup(pid, &s->cgroup);
#if DM_LAYOUT_HAS_SIZE
	s->mem_total = mem_total();
	s->min_free_bytes = min_free_bytes();
	if (!s->cgroup_error && s->cgroup.version == 2 && s->cgroup.protection_known)
		s->flags |= DUENDE_MLOCK_SURVEY_F_EFFECTIVE;
#endif
	if (DM_LAYOUT_NAME(dm_swaps_read)(&s->swaps) < 0)
		s->swaps.count = 0; /* swaps.error says why */
	survey_runtime(pid, s);
	survey_drops(s);
	dm_survey_judge(s);
	return 0;
}

#if DM_LAYOUT_HAS_SIZE
_Static_assert(sizeof(struct duende_mlock_survey) >= DM_SURVEY_SIZE_1_2, "the survey only grows");
_Static_assert(offsetof(struct duende_mlock_survey, process) + DM_REPORT_SIZE_1_1 <= DM_SURVEY_SIZE_1_2,
	       "1.2's survey holds at least 1.1's report");

DM_EXPORT int duende_mlock_survey_pid_sized(pid_t pid, struct duende_mlock_survey *out, size_t size)
{
	/* The survey grows at its end, its report's: a caller built against
	 * a later version passes more and gets this version's fields; one
	 * built against an earlier one gets the report it knows. */
	size_t report_room = size - offsetof(struct duende_mlock_survey, process);

	if (!out || size < DM_SURVEY_SIZE_1_2)
		return -EINVAL;
	memset(out, 0, size);
	out->size = (uint32_t)(size < sizeof(*out) ? size : sizeof(*out));
	return survey(pid, out, report_room < sizeof(out->process) ? report_room : sizeof(out->process));
}
#else
DM_EXPORT int(duende_mlock_survey_pid)(pid_t pid, void *survey_1_1)
{
	struct dm_v11_survey *out = survey_1_1;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	return survey(pid, out, sizeof(out->process));
}
#endif
