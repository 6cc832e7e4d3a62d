/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Scans of /proc: the processes that hold locked memory, and those a
 * spec names, against children made to match or not. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"
#include "proc-util.h"

static bool has(const pid_t *pids, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static void locked_pids(pid_t locked, pid_t plain)
{
	pid_t pids[4096];
	int n = duende_mlock_locked_pids(pids, sizeof(pids) / sizeof(pids[0]));
	int counted = -1, short_list = -1;

	CHECK(n >= 0 && n <= 4096);
	CHECK(!has(pids, n, plain));
	if (locked > 0)
		CHECK(has(pids, n, locked));
	/* Counting alone, and a list too short for them all, give the whole
	 * count. Other processes (tests run in parallel) lock and exit between
	 * two scans, so the three must agree in one of a few tries. */
	for (int try = 0; try < 20; try++) {
		counted = duende_mlock_locked_pids(NULL, 0);
		short_list = duende_mlock_locked_pids(pids, 1);
		if (counted == n && short_list == n)
			break;
		n = duende_mlock_locked_pids(pids, sizeof(pids) / sizeof(pids[0]));
		usleep(50 * 1000);
	}
	CHECK_EQ_INT(counted, n);
	CHECK_EQ_INT(short_list, n);
}

static void find_pids(pid_t plain)
{
	char spec[128], path[] = "/tmp/test-scan.pid.XXXXXX";
	pid_t pids[16];
	int fd;

	CHECK_EQ_INT(duende_mlock_find_pids("name:scan-plain", pids, 16), 1);
	CHECK_EQ_INT(pids[0], plain);
	CHECK_EQ_INT(duende_mlock_find_pids("name:scan-nobody", pids, 16), 0);
	/* Kernel threads are never named. */
	CHECK_EQ_INT(duende_mlock_find_pids("name:kthreadd", pids, 16), 0);

	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0) {
		dprintf(fd, "%d\n", (int)plain);
		close(fd);
		snprintf(spec, sizeof(spec), "pidfile:%s", path);
		CHECK_EQ_INT(duende_mlock_find_pids(spec, pids, 16), 1);
		CHECK_EQ_INT(pids[0], plain);
		unlink(path);
		/* No pidfile: not running. */
		CHECK_EQ_INT(duende_mlock_find_pids(spec, pids, 16), 0);
	}
	/* A cgroup that does not exist holds no process. */
	CHECK(duende_mlock_find_pids("cgroup:/no-such-cgroup-here", pids, 16) == 0);
}

int main(void)
{
	static const char *const bad[] = { "", "name:", "nosuchkind:x", "pidfile:relative",
					   "unit:noextension", "unit:a/b.service", "cgroup:relative" };
	pid_t locked, plain;

	if (access("/proc/self/status", R_OK) != 0)
		SKIP("no /proc here");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_INT(duende_mlock_find_pids(bad[i], NULL, 0), -EINVAL);
	CHECK_EQ_INT(duende_mlock_find_pids(NULL, NULL, 0), -EINVAL);
	locked = T_SANITIZER ? 0 : t_waiting_child("scan-locked", true);
	plain = t_waiting_child("scan-plain", false);
	CHECK(plain > 0);
	if (locked <= 0)
		fprintf(stderr, "SKIP [locked child]: mlockall is a no-op or not permitted here\n");
	locked_pids(locked, plain);
	find_pids(plain);
	if (locked > 0) {
		kill(locked, SIGKILL);
		waitpid(locked, NULL, 0);
	}
	kill(plain, SIGKILL);
	waitpid(plain, NULL, 0);
	return t_result();
}
