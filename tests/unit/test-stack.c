/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * What the man pages' ATTRIBUTES promise of stack: each function runs on a
 * thread whose stack is the size its page states, below a guard page, so a
 * function that takes more dies here with SIGSEGV instead of in a daemon's
 * small-stacked thread (lean mode accepts 16 KiB stacks).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"

#define SMALL ((size_t)16 << 10) /* the queries, the lock, hardening, the texts */
#define INSPECT ((size_t)32 << 10) /* the report, the scans, the swaps, the survey */

static struct duende_mlock_survey survey; /* 24 KiB: the caller's, not the stack's */

static void *texts(void *arg)
{
	char buf[2048];
	struct duende_mlock_status st = { .state = DUENDE_MLOCK_STATE_FAILED, .failure_errno = 12 };
	struct duende_mlock_harden_result *res = arg;

	(void)!duende_mlock_status_format(&st, buf, sizeof(buf));
	(void)!duende_mlock_explain(&st, buf, sizeof(buf));
	(void)!duende_mlock_harden_explain(res, DUENDE_MLOCK_EXPLAIN_ALL_STEPS, buf, sizeof(buf));
	for (uint32_t i = 0; i < survey.nfindings; i++)
		(void)!duende_mlock_finding_explain(&survey, i, buf, sizeof(buf));
	(void)!duende_mlock_survey_fix(&survey, buf, sizeof(buf));
	(void)!duende_mlock_systemd_dropin(&survey, buf, sizeof(buf));
	(void)!duende_mlock_escape("a\tb", 3, buf, sizeof(buf));
	return buf[0] ? arg : NULL;
}

static void *queries_and_lock(void *arg)
{
	size_t bytes;
	uint64_t other;
	struct duende_mlock_status st;
	struct duende_mlock_config onfault = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_harden_config hc = { .raise_memlock = true, .set_oom_score_adj = true,
						 .oom_score_adj = 0, .malloc_keep = true };

	(void)arg;
	(void)duende_mlock_is_locked();
	(void)!duende_mlock_read_locked_bytes(&bytes);
	(void)!duende_mlock_read_pid_locked_bytes(1, &other);
	onfault.onfault = true;
	if (!T_SANITIZER) {
		/* onfault: nothing is populated, so the test stays cheap */
		(void)!duende_mlock_lock_with_config(&onfault, &st);
		(void)!duende_mlock_lock_after_fork(&onfault, &st);
		(void)!duende_mlock_unlock_all();
	}
	(void)!duende_mlock_harden(&hc, (struct duende_mlock_harden_result *)arg);
	return arg;
}

static void *inspect(void *arg)
{
	struct duende_mlock_report r;
	struct duende_mlock_swaps *sw = arg;
	pid_t pids[64];

	(void)!duende_mlock_report_pid(0, &r);
	(void)!duende_mlock_report_pid(1, &r);
	(void)!duende_mlock_locked_pids(pids, 64);
	(void)!duende_mlock_find_pids("name:init", pids, 64);
	(void)!duende_mlock_read_swaps(sw);
	(void)!duende_mlock_survey_pid(0, &survey);
	return arg;
}

/* Runs fn on a thread with a stack of bytes under a guard page. */
static void run_on(size_t bytes, void *(*fn)(void *), void *arg, const char *what)
{
	pthread_attr_t attr;
	pthread_t t;
	void *ret;

	CHECK_EQ_INT(pthread_attr_init(&attr), 0);
	CHECK_EQ_INT(pthread_attr_setstacksize(&attr, bytes < (size_t)PTHREAD_STACK_MIN ? (size_t)PTHREAD_STACK_MIN : bytes), 0);
	CHECK_EQ_INT(pthread_attr_setguardsize(&attr, 4096), 0);
	CHECK_EQ_INT(pthread_create(&t, &attr, fn, arg), 0);
	CHECK_EQ_INT(pthread_join(t, &ret), 0);
	fprintf(stderr, "%s: ran in %zu KiB of stack\n", what, bytes >> 10);
	pthread_attr_destroy(&attr);
}

int main(void)
{
	static struct duende_mlock_harden_result res;
	static struct duende_mlock_swaps sw;

	if (t_under_valgrind())
		SKIP("valgrind runs threads on stacks of its own");
	if (T_SANITIZER)
		SKIP("sanitizers enlarge every frame; the stack budget is the native build's");
	run_on(INSPECT, inspect, &sw, "report, scans, swaps, survey");
	run_on(SMALL, queries_and_lock, &res, "queries, lock, harden");
	run_on(SMALL, texts, &res, "the texts");
	return t_result();
}
