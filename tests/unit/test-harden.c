/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Each hardening step on the real kernel, its result recorded separately.
 * Where CAP_SYS_RESOURCE is missing (as on many hosts) IO_FLUSHER and a
 * negative oom_score_adj must come back as clear EPERM/EACCES results; where
 * it is present they must take effect, checked in /proc. */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"
#include "seccomp-util.h"
#include "proc-util.h"

#define PF_MEMALLOC_NOIO 0x00080000ul

static bool has_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	return syscall(SYS_capget, &h, d) == 0 && (d[cap / 32].effective & (1u << (cap % 32)));
}

static unsigned long task_flags(void)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "re");
	unsigned long flags = 0;

	if (f && fgets(buf, sizeof(buf), f)) {
		char *p = strrchr(buf, ')');
		/* state ppid pgrp session tty tpgid flags */
		if (p)
			sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags);
	}
	if (f)
		fclose(f);
	return flags;
}

static int read_oom_score_adj(void)
{
	FILE *f = fopen("/proc/self/oom_score_adj", "re");
	int v = 12345;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 12345;
		fclose(f);
	}
	return v;
}

static bool all_zero(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((const unsigned char *)p)[i])
			return false;
	return true;
}

/* A step whose feature the kernel lacks (PR_SET_IO_FLUSHER before 5.6
 * answers EINVAL) is ENOTSUP in the result, so that EINVAL keeps meaning a
 * bad configuration. In a child: the seccomp filter stays. */
static void check_missing_feature(void)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		struct duende_mlock_harden_config cfg = { .io_flusher = true,
							  .lock_config = DUENDE_MLOCK_CONFIG_INIT,
							  .required_steps = DUENDE_MLOCK_STEPS_ALL };
		struct duende_mlock_harden_result res;
		char line[512];

		if (t_fail_prctl_option(57 /* PR_SET_IO_FLUSHER */, EINVAL) != 0)
			_exit(77);
		int rc = duende_mlock_harden(&cfg, &res);
		duende_mlock_step_explain(DUENDE_MLOCK_STEP_IO_FLUSHER, &res.steps[DUENDE_MLOCK_STEP_IO_FLUSHER],
					  line, sizeof(line));
		_exit(rc == -ENOTSUP && res.steps[DUENDE_MLOCK_STEP_IO_FLUSHER].rc == -ENOTSUP && res.must_stop &&
			      strstr(line, "predates PR_SET_IO_FLUSHER")
			      ? 0
			      : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		fprintf(stderr, "note: no seccomp here, the missing-feature case is not checked\n");
	else
		CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

static long long stack_rss(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/smaps", "re");
	int in_stack = 0;
	long long kb = -1;

	while (f && fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, '-') < strchr(line, ' '))
			in_stack = strstr(line, "[stack]") != NULL;
		else if (in_stack && strncmp(line, "Rss:", 4) == 0)
			kb = strtoll(line + 4, NULL, 10);
	}
	if (f)
		fclose(f);
	return kb * 1024;
}

int main(void)
{
	struct duende_mlock_harden_config cfg = DUENDE_MLOCK_HARDEN_CONFIG_INIT;
	struct duende_mlock_harden_result res;
	struct rlimit rl;
	char line[1024];
	bool sys_resource = has_cap(CAP_SYS_RESOURCE);
	uint64_t soft = 0;

	SKIP_UNDER_SANITIZER();

	/* raise-memlock on its own: soft back up to hard */
	CHECK_EQ_INT(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	rlim_t hard = rl.rlim_max;
	rl.rlim_cur = hard == RLIM_INFINITY || hard > 65536 ? 65536 : hard;
	CHECK_EQ_INT(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	CHECK_EQ_INT(duende_mlock_raise_memlock(&soft), 0);
	CHECK_EQ_INT(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	CHECK(rl.rlim_cur == hard);
	CHECK_EQ_INT(soft, hard == RLIM_INFINITY ? DUENDE_MLOCK_UNLIMITED : (uint64_t)hard);

	/* oom_score_adj: raising needs nothing, lowering below 0 needs CAP_SYS_RESOURCE */
	CHECK_EQ_INT(duende_mlock_set_oom_score_adj(500), 0);
	CHECK_EQ_INT(read_oom_score_adj(), 500);
	CHECK_EQ_INT(duende_mlock_set_oom_score_adj(1001), -EINVAL);
	CHECK_EQ_INT(duende_mlock_set_oom_score_adj(-1001), -EINVAL);
	CHECK_EQ_INT(read_oom_score_adj(), 500);

	/* stack prefault beyond the stack's room is refused */
	CHECK_EQ_INT(duende_mlock_prefault_stack((size_t)1 << 40), -ERANGE);
	CHECK_EQ_INT(duende_mlock_prefault_stack(0), 0);

	/* an invalid config runs no step, and the result is zeroed first */
	cfg.oom_score_adj = 2000;
	memset(&res, 0x55, sizeof(res));
	CHECK_EQ_INT(duende_mlock_harden(&cfg, &res), -EINVAL);
	CHECK_EQ_INT(read_oom_score_adj(), 500);
	CHECK(all_zero(&res, sizeof(res)));
	memset(&res, 0x55, sizeof(res));
	CHECK_EQ_INT(duende_mlock_harden(NULL, &res), -EINVAL);
	CHECK(all_zero(&res, sizeof(res)));
	cfg = (struct duende_mlock_harden_config)DUENDE_MLOCK_HARDEN_CONFIG_INIT;
	cfg.prefault_stack = DUENDE_MLOCK_PREFAULT_STACK_MAX + 1;
	CHECK_EQ_INT(duende_mlock_harden(&cfg, &res), -EINVAL);
	cfg.prefault_stack = 0;
	cfg.reserved32 = 1;
	CHECK_EQ_INT(duende_mlock_harden(&cfg, &res), -EINVAL);
	cfg.reserved32 = 0;
	cfg.lock_config.reserved[0] = 1;
	CHECK_EQ_INT(duende_mlock_harden(&cfg, &res), -EINVAL);
	CHECK(all_zero(&res, sizeof(res)));
	CHECK_EQ_INT(duende_mlock_harden_sized(&cfg, &res, sizeof(res) - 1), -EINVAL);

	check_missing_feature();

	/* the whole hardening: with the defaults only the lock decides */
	cfg = (struct duende_mlock_harden_config)DUENDE_MLOCK_HARDEN_CONFIG_INIT;
	long long stack_before = stack_rss();
	int rc = duende_mlock_harden(&cfg, &res);
	if (res.steps[DUENDE_MLOCK_STEP_LOCK].rc == -EPERM || res.steps[DUENDE_MLOCK_STEP_LOCK].rc == -ENOMEM)
		SKIP("this process may not lock");
	for (int s = 0; s < DUENDE_MLOCK_STEP_COUNT; s++)
		CHECK(res.steps[s].requested);
	CHECK_EQ_INT(res.steps[DUENDE_MLOCK_STEP_RAISE_MEMLOCK].rc, 0);
#ifdef __GLIBC__
	CHECK_EQ_INT(res.steps[DUENDE_MLOCK_STEP_MALLOC].rc, 0);
#else
	CHECK_EQ_INT(res.steps[DUENDE_MLOCK_STEP_MALLOC].rc, -ENOTSUP);
#endif
	CHECK_EQ_INT(res.steps[DUENDE_MLOCK_STEP_LOCK].rc, 0);
	CHECK(duende_mlock_status_is_locked(&res.lock_status));
	CHECK(duende_mlock_is_locked());
	CHECK_EQ_INT(res.steps[DUENDE_MLOCK_STEP_PREFAULT_STACK].rc, 0);
	CHECK_EQ_INT(res.steps[DUENDE_MLOCK_STEP_PREFAULT_STACK].value, 256 * 1024);
	CHECK_EQ_INT(res.size, sizeof(res));
	CHECK_EQ_INT(res.steps_known, DUENDE_MLOCK_STEP_COUNT);
	if (!t_under_valgrind()) {
		CHECK(stack_rss() >= 256 * 1024);
		CHECK(stack_rss() >= stack_before);
	}

	duende_mlock_step_explain(DUENDE_MLOCK_STEP_IO_FLUSHER, &res.steps[DUENDE_MLOCK_STEP_IO_FLUSHER],
				  line, sizeof(line));
	if (sys_resource) {
		fprintf(stderr, "CAP_SYS_RESOURCE held: checking that the steps took effect\n");
		CHECK_EQ_INT(res.steps[DUENDE_MLOCK_STEP_IO_FLUSHER].rc, 0);
		CHECK(task_flags() & PF_MEMALLOC_NOIO);
		CHECK_EQ_INT(duende_mlock_get_io_flusher(), 1);
		CHECK_CONTAINS(line, "io-flusher: ok: set");
		CHECK_EQ_INT(res.steps[DUENDE_MLOCK_STEP_OOM_SCORE_ADJ].rc, 0);
		CHECK_EQ_INT(read_oom_score_adj(), -900);
		CHECK_EQ_INT(rc, 0);
	} else {
		fprintf(stderr, "CAP_SYS_RESOURCE missing: checking the EPERM/EACCES results\n");
		CHECK_EQ_INT(res.steps[DUENDE_MLOCK_STEP_IO_FLUSHER].rc, -EPERM);
		CHECK(!(task_flags() & PF_MEMALLOC_NOIO));
		CHECK_EQ_INT(duende_mlock_get_io_flusher(), 0);
		CHECK_CONTAINS(line, "io-flusher: FAILED (EPERM): not permitted: PR_SET_IO_FLUSHER needs "
				     "CAP_SYS_RESOURCE");
		CHECK_EQ_INT(res.steps[DUENDE_MLOCK_STEP_OOM_SCORE_ADJ].rc, -EACCES);
		CHECK_EQ_INT(read_oom_score_adj(), 500);
		duende_mlock_step_explain(DUENDE_MLOCK_STEP_OOM_SCORE_ADJ,
					  &res.steps[DUENDE_MLOCK_STEP_OOM_SCORE_ADJ], line, sizeof(line));
		CHECK_CONTAINS(line, "oom-score-adj: FAILED (EACCES): not permitted");
		/* only the lock is required by default: the program may go on,
		 * and the result says what failed */
		CHECK_EQ_INT(rc, 0);
		CHECK(!res.must_stop);
		uint32_t failed = (1u << DUENDE_MLOCK_STEP_IO_FLUSHER) | (1u << DUENDE_MLOCK_STEP_OOM_SCORE_ADJ);
#ifndef __GLIBC__
		failed |= 1u << DUENDE_MLOCK_STEP_MALLOC; /* no mallopt settings */
#endif
		CHECK_EQ_INT(res.failed, failed);
		char text[8192];
		CHECK(duende_mlock_harden_explain(&res, 0, text, sizeof(text)) > 0);
		CHECK_CONTAINS(text, "io-flusher: FAILED (EPERM): not permitted");
		CHECK_CONTAINS(text, "\noom-score-adj: FAILED (EACCES)");
		CHECK(!strstr(text, "prefault-stack"));
		CHECK(duende_mlock_harden_explain(&res, DUENDE_MLOCK_EXPLAIN_ALL_STEPS, text, sizeof(text)) > 0);
		CHECK_CONTAINS(text, "prefault-stack: ok");
		CHECK_CONTAINS(text, "lock: ok: locked");
		CHECK_EQ_INT(duende_mlock_harden_explain(&res, 4, text, sizeof(text)), -EINVAL);
		CHECK(duende_mlock_step_is_required(&cfg, DUENDE_MLOCK_STEP_LOCK));
		CHECK(!duende_mlock_step_is_required(&cfg, DUENDE_MLOCK_STEP_IO_FLUSHER));
		CHECK(!duende_mlock_step_is_required(&cfg, DUENDE_MLOCK_STEP_COUNT));
		CHECK(!duende_mlock_step_is_required(NULL, DUENDE_MLOCK_STEP_LOCK));
		/* with every step required, the first failed step is the answer */
		cfg.required_steps = DUENDE_MLOCK_STEPS_ALL;
		CHECK_EQ_INT(duende_mlock_harden(&cfg, &res), -EPERM);
		CHECK(res.must_stop);
		CHECK(duende_mlock_step_is_required(&cfg, DUENDE_MLOCK_STEP_IO_FLUSHER));
		/* ... and in best-effort mode nothing stops */
		cfg.lock_config.required = false;
		CHECK(!duende_mlock_step_is_required(&cfg, DUENDE_MLOCK_STEP_LOCK));
		CHECK_EQ_INT(duende_mlock_harden(&cfg, &res), 0);
		CHECK(!res.must_stop);
		CHECK(res.failed != 0);
	}

	/* malloc-keep: a 1 MiB block now comes from the heap, not mmap */
	void *big = malloc(1 << 20);
	CHECK(big != NULL);
#ifdef __GLIBC__
	if (!t_under_valgrind())
		CHECK((char *)big < (char *)sbrk(0));
#endif
	free(big);

	/* explanations of a skipped and an unknown step */
	struct duende_mlock_step_result skipped = { 0 };
	duende_mlock_step_explain(DUENDE_MLOCK_STEP_MALLOC, &skipped, line, sizeof(line));
	CHECK_EQ_STR(line, "malloc-keep: skipped");
	/* an outcome the caller got itself, without a result to fake */
	duende_mlock_explain_step(DUENDE_MLOCK_STEP_OOM_SCORE_ADJ, 0, (uint64_t)(int64_t)-900, line, sizeof(line));
	CHECK_EQ_STR(line, "oom-score-adj: ok: set to -900");
	duende_mlock_explain_step(DUENDE_MLOCK_STEP_IO_FLUSHER, -EIO, 0, line, sizeof(line));
	CHECK_EQ_STR(line, "io-flusher: FAILED (EIO): failed");
	CHECK_EQ_INT(duende_mlock_explain_step(DUENDE_MLOCK_STEP_COUNT, 0, 0, line, sizeof(line)), -EINVAL);
	CHECK_EQ_INT(duende_mlock_explain_step(DUENDE_MLOCK_STEP_LOCK, 5, 0, line, sizeof(line)), -EINVAL);
	CHECK_EQ_INT(duende_mlock_step_explain(DUENDE_MLOCK_STEP_COUNT, &skipped, line, sizeof(line)), -EINVAL);
	CHECK_EQ_STR(duende_mlock_step_name(DUENDE_MLOCK_STEP_LOCK), "lock");
	CHECK_EQ_STR(duende_mlock_step_name((enum duende_mlock_step)99), "unknown");
	return t_result();
}
