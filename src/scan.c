/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Scans of /proc: the processes that hold locked memory, and the
 * processes a spec names (by command name, pidfile, systemd unit or
 * cgroup). Each process costs one small read; kernel threads are never
 * named, since they have no memory to lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"
#include "text.h"

struct pid_list {
	pid_t *pids;
	size_t cap, n;
};

static void add_pid(struct pid_list *l, uint64_t pid)
{
	if (l->n < l->cap)
		l->pids[l->n] = (pid_t)pid;
	l->n++;
}

static int list_result(const struct pid_list *l, int rc)
{
	if (rc < 0)
		return rc;
	return l->n > INT_MAX ? INT_MAX : (int)l->n;
}

/* "PID/file" relative to /proc. */
static void pid_file(char *out, size_t cap, uint64_t pid, const char *file)
{
	struct dm_text t;

	dm_text_init(&t, out, cap);
	dm_text_put_u64(&t, pid);
	dm_text_put(&t, "/");
	dm_text_put(&t, file);
}

/* ---- locked memory ---- */

static int locked_entry(void *ctx, int procfd, const char *name, uint64_t pid)
{
	uint64_t locked;

	(void)procfd;
	(void)name;
	/* Gone, or a kernel thread (no Vm* lines): not listed. */
	if (pid <= INT32_MAX && dm_read_vm_lck((int)pid, &locked) == 0 && locked > 0)
		add_pid(ctx, pid);
	return 0;
}

DM_EXPORT int duende_mlock_locked_pids(pid_t *pids, size_t cap)
{
	struct pid_list l = { pids, pids ? cap : 0, 0 };

	return list_result(&l, dm_for_each_number(AT_FDCWD, "/proc", locked_entry, &l));
}

/* ---- processes a spec names ---- */

enum spec_kind { SPEC_NAME, SPEC_PIDFILE, SPEC_UNIT, SPEC_CGROUP };

struct spec_scan {
	struct pid_list list;
	enum spec_kind kind;
	const char *value;
};

static bool is_kernel_thread(int procfd, uint64_t pid)
{
	struct dm_proc_stat st;
	char path[48], buf[1024];
	size_t len;

	/* A stat that cannot be read or parsed says nothing: the process
	 * went away meanwhile, and its caller finds it gone. */
	pid_file(path, sizeof(path), pid, "stat");
	return dm_read_small(procfd, path, buf, sizeof(buf), &len) == 0 &&
	       dm_stat_parse(buf, len, &st) == 0 && (st.flags & DUENDE_MLOCK_PF_KTHREAD);
}

static bool comm_is(int procfd, uint64_t pid, const char *want)
{
	char path[48], comm[80];
	size_t len;

	pid_file(path, sizeof(path), pid, "comm");
	if (dm_read_small(procfd, path, comm, sizeof(comm), &len) != 0)
		return false;
	if (len && comm[len - 1] == '\n')
		comm[--len] = '\0';
	return strcmp(comm, want) == 0;
}

/* One component of path is unit: its own cgroup or one below it. */
static bool path_has_component(const char *path, const char *unit)
{
	size_t n = strlen(unit);

	for (const char *p = path; (p = strstr(p, unit)) != NULL; p++)
		if (p > path && p[-1] == '/' && (p[n] == '/' || p[n] == '\0'))
			return true;
	return false;
}

struct cgroup_match {
	const struct spec_scan *scan;
	bool found;
};

static int cgroup_line(void *ctx, const char *line, size_t len)
{
	struct cgroup_match *m = ctx;
	struct dm_cgroup_entry e;

	if (dm_cgroup_parse_line(line, len, &e) != 0)
		return 0;
	m->found = m->scan->kind == SPEC_UNIT ? path_has_component(e.path, m->scan->value)
					      : strcmp(e.path, m->scan->value) == 0;
	return m->found;
}

static bool cgroup_is(int procfd, uint64_t pid, const struct spec_scan *s)
{
	struct cgroup_match m = { s, false };
	char path[48], buf[1024];

	pid_file(path, sizeof(path), pid, "cgroup");
	dm_read_lines(procfd, path, buf, sizeof(buf), cgroup_line, &m);
	return m.found;
}

static int spec_entry(void *ctx, int procfd, const char *name, uint64_t pid)
{
	struct spec_scan *s = ctx;
	bool match;

	(void)name;
	if (pid > INT32_MAX)
		return 0;
	match = s->kind == SPEC_NAME ? comm_is(procfd, pid, s->value) : cgroup_is(procfd, pid, s);
	if (match && !is_kernel_thread(procfd, pid))
		add_pid(&s->list, pid);
	return 0;
}

/* The PID in a pidfile, if that process runs. */
static int pidfile_pid(const char *path, struct pid_list *l)
{
	char buf[32], proc[48];
	size_t len;
	int64_t pid;
	int procfd, rc = dm_read_small(AT_FDCWD, path, buf, sizeof(buf), &len);

	if (rc == -ENOENT)
		return 0; /* no pidfile: not running */
	if (rc < 0)
		return rc;
	if (dm_parse_i64_file(buf, len, &pid) != 0 || pid <= 0 || pid > INT32_MAX)
		return 0; /* no PID in it: not running */
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	pid_file(proc, sizeof(proc), (uint64_t)pid, "stat");
	if (faccessat(procfd, proc, F_OK, 0) == 0 && !is_kernel_thread(procfd, (uint64_t)pid))
		add_pid(l, (uint64_t)pid);
	close(procfd);
	return 0;
}

static bool parse_spec(const char *spec, struct spec_scan *s)
{
	static const struct {
		const char *prefix;
		enum spec_kind kind;
	} kinds[] = {
		{ "name:", SPEC_NAME },
		{ "pidfile:", SPEC_PIDFILE },
		{ "unit:", SPEC_UNIT },
		{ "cgroup:", SPEC_CGROUP },
	};

	for (size_t i = 0; i < DM_ARRAY_SIZE(kinds); i++) {
		size_t n = strlen(kinds[i].prefix);

		if (strncmp(spec, kinds[i].prefix, n) != 0)
			continue;
		s->kind = kinds[i].kind;
		s->value = spec + n;
		switch (s->kind) {
		case SPEC_NAME: return s->value[0] && strlen(s->value) < 64;
		case SPEC_PIDFILE: return s->value[0] == '/';
		case SPEC_UNIT: return strchr(s->value, '.') && !strchr(s->value, '/');
		case SPEC_CGROUP: return s->value[0] == '/';
		}
	}
	return false;
}

DM_EXPORT int duende_mlock_find_pids(const char *spec, pid_t *pids, size_t cap)
{
	struct spec_scan s;

	memset(&s, 0, sizeof(s));
	s.list.pids = pids;
	s.list.cap = pids ? cap : 0;
	if (!spec || !parse_spec(spec, &s))
		return -EINVAL;
	if (s.kind == SPEC_PIDFILE)
		return list_result(&s.list, pidfile_pid(s.value, &s.list));
	return list_result(&s.list, dm_for_each_number(AT_FDCWD, "/proc", spec_entry, &s));
}
