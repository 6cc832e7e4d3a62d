/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* On cgroup v2 the survey reads what protects a daemon besides its lock
 * (memory.min, memory.low, memory.swap.max of its cgroup, and since 1.3
 * what is in force up its ancestry), judges it and sizes the drop-in's
 * MemoryMin=. Runs in a private mount namespace with
 * cgroup2 mounted over /sys/fs/cgroup, so the host's mounts stay as they
 * are; needs root and a memory controller that cgroup v1 does not hold
 * (the guest gate runs it as real root). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"

#define ROOT "/sys/fs/cgroup"

static char dir[64];

static int put(const char *file, const char *value)
{
	char path[128];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", file[0] == '/' ? "" : dir, file);
	fd = open(file[0] == '/' ? file : path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
	close(fd);
	return ok ? 0 : -1;
}

static bool has_finding(const struct duende_mlock_survey *s, enum duende_mlock_finding_code code,
			enum duende_mlock_severity severity)
{
	for (uint32_t i = 0; i < s->nfindings; i++)
		if (s->findings[i].code == code && s->findings[i].severity == severity)
			return true;
	return false;
}

static void unprotected(struct duende_mlock_survey *s)
{
	char text[1024];

	CHECK_EQ_INT(duende_mlock_survey_pid(0, s), 0);
	CHECK_EQ_INT(s->cgroup.version, 2);
	CHECK(s->cgroup.protection_known);
	CHECK_EQ_INT(s->cgroup.min, 0);
	CHECK_EQ_INT(s->cgroup.low, 0);
	CHECK(s->cgroup.swap_max == UINT64_MAX);
	/* Not locked, so exposed: warnings. */
	CHECK(has_finding(s, DUENDE_MLOCK_FOUND_CGROUP_V2_SWAP, DUENDE_MLOCK_SEVERITY_WARNING));
	CHECK(has_finding(s, DUENDE_MLOCK_FOUND_CGROUP_V2_UNPROTECTED, DUENDE_MLOCK_SEVERITY_WARNING));
	for (uint32_t i = 0; i < s->nfindings; i++)
		if (s->findings[i].code == DUENDE_MLOCK_FOUND_CGROUP_V2_SWAP) {
			duende_mlock_finding_explain(s, i, text, sizeof(text));
			CHECK_CONTAINS(text, "MemorySwapMax=0");
		}
	duende_mlock_systemd_dropin(s, text, sizeof(text));
	CHECK_CONTAINS(text, "MemorySwapMax=0\n");
	CHECK_CONTAINS(text, "MemoryMin=");
	CHECK(strstr(text, "cgroup v1") == NULL);
}

static void protected(struct duende_mlock_survey *s)
{
	if (put("memory.swap.max", "0") != 0 || put("memory.min", "16777216") != 0) {
		fprintf(stderr, "SKIP [protected cgroup]: cannot set memory.swap.max (no swap accounting)\n");
		return;
	}
	CHECK_EQ_INT(duende_mlock_survey_pid(0, s), 0);
	CHECK_EQ_INT(s->cgroup.swap_max, 0);
	CHECK_EQ_INT(s->cgroup.min, 16 << 20);
	CHECK(has_finding(s, DUENDE_MLOCK_FOUND_CGROUP_V2_PROTECTED, DUENDE_MLOCK_SEVERITY_OK));
	CHECK(!has_finding(s, DUENDE_MLOCK_FOUND_CGROUP_V2_SWAP, DUENDE_MLOCK_SEVERITY_WARNING));
}

/* A leaf under dir: its own memory.min is not in force where dir's is 0,
 * and dir's memory.swap.max 0 is, whatever the leaf's says. */
static void ancestry(struct duende_mlock_survey *s, const char *self)
{
	char leaf[96], path[128], text[1024];
	int fd;

	snprintf(leaf, sizeof(leaf), "%s/leaf", dir);
	snprintf(path, sizeof(path), "%s/memory.min", leaf);
	/* No process may stay in dir once its subtree has controllers. */
	if (put(ROOT "/cgroup.procs", self) != 0 || put("cgroup.subtree_control", "+memory") != 0 ||
	    mkdir(leaf, 0755) != 0) {
		fprintf(stderr, "SKIP [ancestry]: cannot make a nested memory cgroup: %s\n", strerror(errno));
		return;
	}
	CHECK_EQ_INT(put("memory.min", "0"), 0);
	if (put("memory.swap.max", "0") != 0) {
		fprintf(stderr, "SKIP [ancestry]: cannot set memory.swap.max (no swap accounting)\n");
		rmdir(leaf);
		return;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0 && write(fd, "16777216", 8) == 8);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/cgroup.procs", leaf);
	CHECK_EQ_INT(put(path, self), 0);
	CHECK_EQ_INT(duende_mlock_survey_pid(0, s), 0);
	CHECK(s->flags & DUENDE_MLOCK_SURVEY_F_EFFECTIVE);
	CHECK_EQ_INT(s->cgroup.min, 16 << 20);
	CHECK(s->cgroup.effective_min == 0);
	CHECK(s->cgroup.effective_swap_max == 0);
	CHECK(s->cgroup.swap_max == UINT64_MAX);
	/* No swap in force: no swap finding; the leaf's minimum not in force. */
	CHECK(!has_finding(s, DUENDE_MLOCK_FOUND_CGROUP_V2_SWAP, DUENDE_MLOCK_SEVERITY_WARNING));
	CHECK(has_finding(s, DUENDE_MLOCK_FOUND_CGROUP_V2_UNPROTECTED, DUENDE_MLOCK_SEVERITY_WARNING));
	for (uint32_t i = 0; i < s->nfindings; i++)
		if (s->findings[i].code == DUENDE_MLOCK_FOUND_CGROUP_V2_UNPROTECTED) {
			duende_mlock_finding_explain(s, i, text, sizeof(text));
			CHECK_CONTAINS(text, "are set here but not in force");
		}
	CHECK_EQ_INT(put(ROOT "/cgroup.procs", self), 0);
	CHECK_EQ_INT(rmdir(leaf), 0);
}

int main(void)
{
	/* Static: a SKIP exits from anywhere below, and a leak checker would
	 * count a heap survey left behind. */
	static struct duende_mlock_survey survey;
	struct duende_mlock_survey *s = &survey;
	char controllers[256] = "";
	char self[16];
	FILE *f;

	if (geteuid() != 0)
		SKIP("needs root (a mount namespace and a cgroup)");
	/* Where cgroup2 is mounted already (a v2 host, the guest), use it;
	 * else mount it in a private mount namespace. */
	if (access(ROOT "/cgroup.controllers", F_OK) != 0) {
		if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
			SKIP("cannot make a private mount namespace: %s", strerror(errno));
		if (mount("none", ROOT, "cgroup2", 0, NULL) != 0)
			SKIP("cannot mount cgroup2: %s", strerror(errno));
	}
	f = fopen(ROOT "/cgroup.controllers", "re");
	if (f) {
		if (!fgets(controllers, sizeof(controllers), f))
			controllers[0] = '\0';
		fclose(f);
	}
	if (!strstr(controllers, "memory"))
		SKIP("the memory controller is held by cgroup v1 here (the guest gate runs this on v2)");
	snprintf(dir, sizeof(dir), ROOT "/duende-test-%d", (int)getpid());
	if (put(ROOT "/cgroup.subtree_control", "+memory") != 0 || mkdir(dir, 0755) != 0)
		SKIP("cannot create a memory cgroup: %s", strerror(errno));
	snprintf(self, sizeof(self), "%d", (int)getpid());
	CHECK_EQ_INT(put("cgroup.procs", self), 0);
	unprotected(s);
	protected(s);
	ancestry(s, self);
	CHECK_EQ_INT(put(ROOT "/cgroup.procs", self), 0);
	CHECK_EQ_INT(rmdir(dir), 0);
	return t_result();
}
