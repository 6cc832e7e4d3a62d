/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende_mlock_swap_protected() on areas built by hand around real
 * processes: bad arguments refused, an area the kernel serves protected,
 * one with no server known, more servers than it lists, or an unlocked
 * server not protected, and one whose only server is locked (in a child,
 * never the runner) protected unless that server shares a memory-limited
 * cgroup without IO_FLUSHER, as the library's survey of it says. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"

static struct duende_mlock_swaps swaps; /* about 22 KiB: not on the stack */

/* A child that sleeps, locked or not; it writes one byte once ready
 * (1: locked, 0: the lock failed or was not asked). */
static pid_t sleeper(bool lock, bool *locked)
{
	int fds[2];
	char c = 0;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char ok = lock && mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
		if (write(fds[1], &ok, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &c, 1) != 1)
		c = 0;
	close(fds[0]);
	*locked = c == 1;
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The survey of pid finds it in a memory-limited cgroup shared with others. */
static bool shares_limited_cgroup(pid_t pid)
{
	static struct duende_mlock_survey s;

	if (duende_mlock_survey_pid(pid, &s) != 0)
		return false;
	for (uint32_t i = 0; i < s.nfindings; i++)
		if (s.findings[i].code == DUENDE_MLOCK_FOUND_CGROUP_V1_SHARED ||
		    s.findings[i].code == DUENDE_MLOCK_FOUND_CGROUP_V2_SHARED)
			return true;
	return false;
}

int main(void)
{
	struct duende_mlock_swap *a = &swaps.area[0];
	bool locked;
	pid_t plain, held;

	CHECK_EQ_INT(duende_mlock_swap_protected(NULL, 0), -EINVAL);
	swaps.count = 0;
	CHECK_EQ_INT(duende_mlock_swap_protected(&swaps, 0), -EINVAL);

	swaps.count = 1;
	snprintf(a->path, sizeof(a->path), "/dev/sda2");
	a->user_space = false;
	CHECK_EQ_INT(duende_mlock_swap_protected(&swaps, 0), 1);
	CHECK_EQ_INT(duende_mlock_swap_protected(&swaps, 1), -EINVAL);

	snprintf(a->path, sizeof(a->path), "/dev/loop9");
	a->user_space = true;
	a->nservers = 0;
	CHECK_EQ_INT(duende_mlock_swap_protected(&swaps, 0), 0);

	plain = sleeper(false, &locked);
	CHECK(plain > 0);
	a->nservers = 1;
	a->servers[0] = plain;
	CHECK_EQ_INT(duende_mlock_swap_protected(&swaps, 0), 0);

	held = sleeper(true, &locked);
	CHECK(held > 0);
	a->servers[0] = held;
	if (locked) { /* under a sanitizer mlockall may succeed and lock nothing */
		static struct duende_mlock_report r;
		locked = duende_mlock_report_pid(held, &r) == 0 &&
			 duende_mlock_report_lock_state(&r) == DUENDE_MLOCK_LOCK_STATE_LOCKED;
	}
	if (!locked) {
		fprintf(stderr, "note: the child could not be locked: the locked case is not checked\n");
	} else if (shares_limited_cgroup(held)) {
		/* Locked, but without IO_FLUSHER in a shared limited cgroup. */
		CHECK_EQ_INT(duende_mlock_swap_protected(&swaps, 0), 0);
	} else {
		CHECK_EQ_INT(duende_mlock_swap_protected(&swaps, 0), 1);
		/* One unlocked server beside it is enough to leave it exposed. */
		a->nservers = 2;
		a->servers[1] = plain;
		CHECK_EQ_INT(duende_mlock_swap_protected(&swaps, 0), 0);
		/* More servers than the area lists: the unseen ones are unknown. */
		a->nservers = DUENDE_MLOCK_SWAP_SERVERS + 1;
		for (uint32_t i = 0; i < DUENDE_MLOCK_SWAP_SERVERS; i++)
			a->servers[i] = held;
		CHECK_EQ_INT(duende_mlock_swap_protected(&swaps, 0), 0);
	}
	stop(plain);
	stop(held);
	/* A server that has exited protects nothing. */
	a->nservers = 1;
	a->servers[0] = held;
	CHECK_EQ_INT(duende_mlock_swap_protected(&swaps, 0), 0);
	return t_result();
}
