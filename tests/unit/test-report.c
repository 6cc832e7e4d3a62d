/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The lock report's per-process facts against processes made to show
 * them: threads and threads in D state, oom_score_adj, the command name
 * as the kernel holds it, the lock verdict of a locked child, a kernel
 * thread and a zombie. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"
#include "proc-util.h"

static atomic_int vfork_child;

/* A vfork parent sleeps uninterruptibly (state D) until its child exits;
 * the child shares this memory, so it can say who it is. */
static void *blocked(void *arg)
{
	(void)arg;
	if (vfork() == 0) {
		atomic_store(&vfork_child, (int)getpid());
		for (;;)
			pause();
	}
	return NULL;
}

static void *idle(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static void threads_and_d_state(void)
{
	struct duende_mlock_report r;
	pthread_t a, b;

	CHECK_EQ_INT(duende_mlock_report_pid(0, &r), 0);
	CHECK(r.known & DUENDE_MLOCK_R_TASKS);
	CHECK_EQ_INT(r.threads, 1);
	CHECK_EQ_INT(r.threads_blocked, 0);
	if (t_under_valgrind()) {
		/* valgrind runs vfork as fork: no parent waits in D there. */
		fprintf(stderr, "SKIP [threads in D]: valgrind turns vfork into fork\n");
		return;
	}
	CHECK_EQ_INT(pthread_create(&a, NULL, idle, NULL), 0);
	CHECK_EQ_INT(pthread_create(&b, NULL, blocked, NULL), 0);
	for (int i = 0; i < 200 && !atomic_load(&vfork_child); i++)
		usleep(10000);
	usleep(50000);
	CHECK_EQ_INT(duende_mlock_report_pid(0, &r), 0);
	CHECK_EQ_INT(r.threads, 3);
	CHECK_EQ_INT(r.threads_blocked, 1);
	CHECK_EQ_INT(r.threads_io_flusher, 0);
	CHECK(!(r.verdicts & DUENDE_MLOCK_V_IO_FLUSHER));
	if (atomic_load(&vfork_child))
		kill(atomic_load(&vfork_child), SIGKILL);
	pthread_join(b, NULL);
	pthread_cancel(a);
	pthread_join(a, NULL);
}

static void oom_score_adj(void)
{
	struct duende_mlock_report r;
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	/* Raising it needs no privilege. */
	CHECK(fd >= 0 && write(fd, "123", 3) == 3);
	if (fd >= 0)
		close(fd);
	CHECK_EQ_INT(duende_mlock_report_pid(0, &r), 0);
	CHECK(r.known & DUENDE_MLOCK_R_OOM);
	CHECK_EQ_INT(r.oom_score_adj, 123);
}

/* The kernel escapes status's Name: line and drops its leading blanks;
 * the report has the bytes themselves. */
static void name_as_the_kernel_holds_it(void)
{
	static const char name[] = " a\\b\tc\xff";
	struct duende_mlock_report r;
	char shown[64];

	CHECK_EQ_INT(prctl(PR_SET_NAME, name), 0);
	CHECK_EQ_INT(duende_mlock_report_pid(0, &r), 0);
	CHECK_EQ_STR(r.name, name);
	duende_mlock_escape(r.name, strlen(r.name), shown, sizeof(shown));
	CHECK_EQ_STR(shown, " a\\\\b\\tc\\xff");
	prctl(PR_SET_NAME, "test-report");
}

static void lock_verdict(void)
{
	struct duende_mlock_report r;
	pid_t locked = T_SANITIZER ? 0 : t_waiting_child(NULL, true), plain = t_waiting_child(NULL, false);

	CHECK(plain > 0);
	CHECK_EQ_INT(duende_mlock_report_pid(plain, &r), 0);
	CHECK(r.known & DUENDE_MLOCK_R_SMAPS); /* read in a child of ours */
	CHECK(r.mappings > 5);
	CHECK(!(r.verdicts & DUENDE_MLOCK_V_LOCKED));
	CHECK(!(r.verdicts & DUENDE_MLOCK_V_NOT_RESPONDING));
	if (locked > 0) {
		CHECK_EQ_INT(duende_mlock_report_pid(locked, &r), 0);
		CHECK(r.verdicts & DUENDE_MLOCK_V_LOCKED);
		CHECK_EQ_INT(r.unlocked_other, 0);
		kill(locked, SIGKILL);
		waitpid(locked, NULL, 0);
	} else {
		fprintf(stderr, "SKIP [locked child]: %s\n",
			T_SANITIZER ? "the sanitizer runtime makes mlockall a no-op"
				    : "mlockall not permitted here");
	}
	kill(plain, SIGKILL);
	waitpid(plain, NULL, 0);
}

static void no_user_memory(void)
{
	struct duende_mlock_report r;
	char exe[64];
	pid_t zombie;

	/* PID 2 is kthreadd outside a PID namespace; a kernel thread has no
	 * executable to link to. */
	if (readlink("/proc/2/exe", exe, sizeof(exe)) < 0 && errno == ENOENT &&
	    duende_mlock_report_pid(2, &r) == 0) {
		CHECK(r.task_flags & DUENDE_MLOCK_PF_KTHREAD);
		CHECK(r.verdicts & DUENDE_MLOCK_V_NO_USER_MEMORY);
		CHECK(!(r.verdicts & DUENDE_MLOCK_V_LOCKED));
	} else {
		fprintf(stderr, "SKIP [kernel thread]: PID 2 is not a kernel thread here\n");
	}
	zombie = fork();
	if (zombie == 0)
		_exit(0);
	usleep(100000); /* not reaped yet: a zombie */
	CHECK_EQ_INT(duende_mlock_report_pid(zombie, &r), 0);
	CHECK_EQ_INT(r.state, 'Z');
	CHECK(r.verdicts & DUENDE_MLOCK_V_NO_USER_MEMORY);
	CHECK_EQ_INT(r.smaps_error, 0); /* nothing to read, not an error */
	waitpid(zombie, NULL, 0);
}

int main(void)
{
	if (access("/proc/self/status", R_OK) != 0)
		SKIP("no /proc here");
	CHECK_EQ_INT(duende_mlock_report_pid(-1, NULL), -EINVAL);
	threads_and_d_state();
	oom_score_adj();
	name_as_the_kernel_holds_it();
	lock_verdict();
	no_user_memory();
	return t_result();
}
