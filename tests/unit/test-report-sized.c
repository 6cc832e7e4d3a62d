/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The report as 1.2 fills it: sized by the caller (the tail of a larger
 * structure zeroed, a smaller one refused), its size and verdicts marked,
 * the one lock state, the status-only VmLck query of any PID, and no
 * pthread_atfork handler run by the short-lived child that reads another
 * process's smaps. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"
#include "proc-util.h"

static atomic_int forks_seen;

/* PID's command name is name (an independent read of comm). */
static bool comm_is(int pid, const char *name)
{
	char path[64], comm[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, name) == 0;
}

static void count_fork(void)
{
	atomic_fetch_add(&forks_seen, 1);
}

/* A child that locks itself as told and waits to be killed. */
static pid_t waiting_child(int how)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		if (how == 1 && mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
			_exit(3);
		if (how == 2) {
			/* one locked page beside unlocked mappings: partly locked */
			static char page[4096] __attribute__((aligned(4096)));
			if (mlock(page, sizeof(page)) != 0)
				_exit(3);
		}
		(void)!write(p[1], "x", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

static void end(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void sized(void)
{
	struct {
		struct duende_mlock_report r;
		unsigned char tail[64];
	} big;

	memset(&big, 0xAA, sizeof(big));
	CHECK_EQ_INT(duende_mlock_report_pid_sized(0, &big.r, sizeof(big)), 0);
	CHECK_EQ_INT(big.r.size, sizeof(big.r));
	CHECK(big.r.known & DUENDE_MLOCK_R_VERDICTS);
	bool zero = true;
	for (size_t i = 0; i < sizeof(big.tail); i++)
		zero &= big.tail[i] == 0;
	CHECK(zero); /* what a later version would know reads as zero */
	CHECK_EQ_INT(big.r.pid, getpid());

	struct duende_mlock_report r;
	CHECK_EQ_INT(duende_mlock_report_pid_sized(0, &r, 279), -EINVAL);
	CHECK_EQ_INT(duende_mlock_report_pid_sized(0, NULL, sizeof(r)), -EINVAL);
	CHECK_EQ_INT(duende_mlock_report_pid(0, &r), 0); /* the macro passes sizeof */
	CHECK_EQ_INT(r.size, sizeof(r));
}

static void lock_states(void)
{
	struct duende_mlock_report r;
	uint64_t bytes = 1;
	pid_t none = waiting_child(0), full = waiting_child(1), part = waiting_child(2);

	CHECK(none > 0 && full > 0 && part > 0);
	CHECK_EQ_INT(duende_mlock_report_pid(none, &r), 0);
	CHECK_EQ_INT(duende_mlock_report_lock_state(&r), DUENDE_MLOCK_LOCK_STATE_NOT_LOCKED);
	CHECK_EQ_INT(duende_mlock_read_pid_locked_bytes(none, &bytes), 0);
	CHECK_EQ_INT(bytes, 0);
	if (!T_SANITIZER) {
		CHECK_EQ_INT(duende_mlock_report_pid(full, &r), 0);
		CHECK_EQ_INT(duende_mlock_report_lock_state(&r), DUENDE_MLOCK_LOCK_STATE_LOCKED);
		CHECK_EQ_INT(duende_mlock_read_pid_locked_bytes(full, &bytes), 0);
		CHECK_EQ_INT((long long)bytes, r.vm_lck);
		CHECK(bytes > 0);
		CHECK_EQ_INT(duende_mlock_report_pid(part, &r), 0);
		CHECK_EQ_INT(duende_mlock_report_lock_state(&r), DUENDE_MLOCK_LOCK_STATE_PARTLY_LOCKED);
		CHECK_EQ_INT(duende_mlock_read_pid_locked_bytes(part, &bytes), 0);
		CHECK_EQ_INT(bytes, 4096);
	}
	end(none);
	end(full);
	end(part);

	/* a zombie and a kernel thread have no VmLck; a gone PID is no process */
	pid_t z = fork();
	if (z == 0)
		_exit(0);
	usleep(100000);
	CHECK_EQ_INT(duende_mlock_read_pid_locked_bytes(z, &bytes), -EPROTO);
	CHECK_EQ_INT(duende_mlock_report_pid(z, &r), 0);
	CHECK_EQ_INT(duende_mlock_report_lock_state(&r), DUENDE_MLOCK_LOCK_STATE_NOT_APPLICABLE);
	waitpid(z, NULL, 0);
	CHECK_EQ_INT(duende_mlock_read_pid_locked_bytes(z, &bytes), -ESRCH);
	if (access("/proc/2/status", R_OK) == 0 && comm_is(2, "kthreadd"))
		CHECK_EQ_INT(duende_mlock_read_pid_locked_bytes(2, &bytes), -EPROTO);
	CHECK_EQ_INT(duende_mlock_read_pid_locked_bytes(-1, &bytes), -EINVAL);
	CHECK_EQ_INT(duende_mlock_read_pid_locked_bytes(0, NULL), -EINVAL);
	CHECK_EQ_INT(duende_mlock_report_lock_state(NULL), DUENDE_MLOCK_LOCK_STATE_UNKNOWN);
	memset(&r, 0, sizeof(r));
	CHECK_EQ_INT(duende_mlock_report_lock_state(&r), DUENDE_MLOCK_LOCK_STATE_UNKNOWN);
}

/* The library's children are no forks of the program: its fork handlers
 * (a preloaded shim's, which would lock the child) do not run. */
static void no_fork_handlers(void)
{
	struct duende_mlock_report r;
	struct duende_mlock_survey *s = malloc(sizeof(*s));
	pid_t other = waiting_child(0);

	CHECK(s != NULL && other > 0);
	CHECK_EQ_INT(pthread_atfork(count_fork, count_fork, count_fork), 0);
	CHECK_EQ_INT(duende_mlock_report_pid(other, &r), 0);
	CHECK(r.known & DUENDE_MLOCK_R_SMAPS); /* read in a child */
	CHECK_EQ_INT(duende_mlock_survey_pid(other, s), 0);
	CHECK_EQ_INT(atomic_load(&forks_seen), 0);
	end(other);
	free(s);
}

int main(void)
{
	sized();
	lock_states();
	no_fork_handlers();
	return t_result();
}
