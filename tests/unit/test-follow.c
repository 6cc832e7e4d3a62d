/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende_mlock_follow(): bad arguments are refused before anything is
 * traced; a real follow locks a child forked after the attach before it
 * runs (it reads its own VmLck first thing), and ends with 0 when the
 * followed process has ended. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"
#include "proc-util.h"

static long own_vmlck(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static void refusals(void)
{
	struct duende_mlock_follow_config c = DUENDE_MLOCK_FOLLOW_CONFIG_INIT;
	pid_t self = getpid(), one = 1;

	CHECK_EQ_INT(duende_mlock_follow(NULL, 1, &c, 0, NULL, NULL), -EINVAL);
	CHECK_EQ_INT(duende_mlock_follow(&one, 0, &c, 0, NULL, NULL), -EINVAL);
	CHECK_EQ_INT(duende_mlock_follow(&one, 1, NULL, 0, NULL, NULL), -EINVAL);
	CHECK_EQ_INT(duende_mlock_follow(&self, 1, &c, 0, NULL, NULL), -EINVAL);
	c.reserved[0] = 1;
	CHECK_EQ_INT(duende_mlock_follow(&one, 1, &c, 0, NULL, NULL), -EINVAL);
	c.reserved[0] = 0;
	c.lock.lean = true;
	CHECK_EQ_INT(duende_mlock_follow(&one, 1, &c, 0, NULL, NULL), -EINVAL);
	c.lock.lean = false;
	c.once = true; /* only with await_exec */
	CHECK_EQ_INT(duende_mlock_follow(&one, 1, &c, 0, NULL, NULL), -EINVAL);
	CHECK_EQ_STR(duende_mlock_follow_kind_name(DUENDE_MLOCK_FOLLOW_LOCKED_CHILD), "locked-child");
	CHECK_EQ_STR(duende_mlock_follow_kind_name((enum duende_mlock_follow_kind)99), "unknown");
}

struct seen {
	int ready_fd;
	int locked_children;
};

static void on_event(const struct duende_mlock_follow_event *ev, void *ctx)
{
	struct seen *s = ctx;

	if (ev->kind == DUENDE_MLOCK_FOLLOW_ATTACHED && write(s->ready_fd, "R", 1) != 1)
		_exit(3);
	if (ev->kind == DUENDE_MLOCK_FOLLOW_LOCKED_CHILD && ev->bytes_locked > 0)
		s->locked_children++;
}

int main(void)
{
	int go[2], report[2], ready[2], status;
	char b;
	long kb = -1;

	refusals();
	if (geteuid() != 0 && access("/proc/sys/kernel/yama/ptrace_scope", F_OK) == 0) {
		fprintf(stderr, "SKIP: Yama may refuse tracing a sibling without root\n");
		return t_failures ? T_FAIL : T_SKIP;
	}
	if (pipe(go) || pipe(report) || pipe(ready))
		return T_FAIL;
	pid_t target = fork();
	if (target == 0) {
		/* Waits, then forks one child that reports its VmLck. */
		if (read(go[0], &b, 1) != 1)
			_exit(2);
		pid_t c = fork();
		if (c == 0) {
			kb = own_vmlck();
			_exit(write(report[1], &kb, sizeof(kb)) == sizeof(kb) ? 0 : 2);
		}
		waitpid(c, &status, 0);
		_exit(0);
	}
	pid_t follower = fork();
	if (follower == 0) {
		struct duende_mlock_follow_config c = DUENDE_MLOCK_FOLLOW_CONFIG_INIT;
		struct seen s = { ready[1], 0 };

		int rc = duende_mlock_follow(&target, 1, &c, 0, on_event, &s);
		_exit(rc == 0 && s.locked_children == 1 ? 0 : 10 + (rc < 0 ? 1 : 0));
	}
	CHECK_EQ_INT(read(ready[0], &b, 1), 1);
	CHECK_EQ_INT(write(go[1], "g", 1), 1);
	CHECK_EQ_INT(read(report[0], &kb, sizeof(kb)), (long)sizeof(kb));
	CHECK(kb > 0); /* locked before it ran a line of its own */
	CHECK_EQ_INT(waitpid(target, &status, 0), target);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ_INT(waitpid(follower, &status, 0), follower);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return t_failures ? T_FAIL : T_PASS;
}
