/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* memory.swap.max 0 for a daemon's own cgroup v2: set where the cgroup is
 * the process's own, refused (-EBUSY) where it holds another process,
 * -ENOTSUP where there is no cgroup v2 memory controller (a cgroup v1
 * host such as the development machine: checked, then the rest is left
 * to the guest gate, which runs this as real root on cgroup v2). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"

#define ROOT "/sys/fs/cgroup"

static char dir[64];

static int put(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, value, strlen(value)) == (ssize_t)strlen(value);
	close(fd);
	return ok ? 0 : -1;
}

static void get(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "re");

	out[0] = '\0';
	if (f) {
		if (!fgets(out, (int)cap, f))
			out[0] = '\0';
		fclose(f);
	}
}

/* A child that moves itself into dir and waits there. */
static pid_t child_in(const char *cg)
{
	int p[2];
	char c = 0;
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char path[128], self[16];
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
		snprintf(self, sizeof(self), "%d", (int)getpid());
		c = put(path, self) == 0 ? 'r' : 'f';
		(void)!write(p[1], &c, 1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1 || c != 'r') {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		pid = -1;
	}
	close(p[0]);
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	char controllers[256], text[512], value[64], path[128];
	pid_t a, b;
	int rc;

	CHECK_EQ_INT(duende_mlock_cgroup_no_swap(-1), -EINVAL);
	get(ROOT "/cgroup.controllers", controllers, sizeof(controllers));
	if (!strstr(controllers, "memory")) {
		/* cgroup v1 holds the memory controller: nothing to set. */
		CHECK_EQ_INT(duende_mlock_cgroup_no_swap(0), -ENOTSUP);
		duende_mlock_cgroup_no_swap_explain(-ENOTSUP, text, sizeof(text));
		CHECK_CONTAINS(text, "MemorySwapMax=0");
		if (t_result() != T_PASS)
			return T_FAIL;
		SKIP("no cgroup v2 memory controller here (checked: -ENOTSUP); the guest gate runs the rest on v2");
	}
	if (geteuid() != 0)
		SKIP("needs root to make a cgroup");
	snprintf(dir, sizeof(dir), ROOT "/duende-no-swap-%d", (int)getpid());
	if (put(ROOT "/cgroup.subtree_control", "+memory") != 0 || mkdir(dir, 0755) != 0)
		SKIP("cannot create a memory cgroup: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/memory.swap.max", dir);
	if (access(path, F_OK) != 0) {
		rmdir(dir);
		SKIP("no swap accounting (memory.swap.max) in this kernel");
	}
	a = child_in(dir);
	CHECK(a > 0);
	rc = duende_mlock_cgroup_no_swap(a);
	CHECK_EQ_INT(rc, 0);
	get(path, value, sizeof(value));
	CHECK_EQ_STR(value, "0\n");
	duende_mlock_cgroup_no_swap_explain(rc, text, sizeof(text));
	CHECK_CONTAINS(text, "memory.swap.max is 0");

	/* Another process in the cgroup: its swap is not ours to take. */
	CHECK_EQ_INT(put(path, "max"), 0);
	b = child_in(dir);
	CHECK(b > 0);
	CHECK_EQ_INT(duende_mlock_cgroup_no_swap(a), -EBUSY);
	get(path, value, sizeof(value));
	CHECK_EQ_STR(value, "max\n");
	duende_mlock_cgroup_no_swap_explain(-EBUSY, text, sizeof(text));
	CHECK_CONTAINS(text, "holds other processes");
	stop(a);
	stop(b);
	CHECK_EQ_INT(rmdir(dir), 0);
	return t_result();
}
