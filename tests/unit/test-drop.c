/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* What a privilege drop would do to the caller's lock
 * (duende_mlock_drop_outlook), its words (duende_mlock_drop_explain), and
 * which programs can drop (duende_mlock_program_drops_privileges), each
 * held to an independent reading of /proc, getrlimit and the files. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"
#include "proc-util.h"

/* Referenced, so that this program imports setuid as a daemon does. */
int (*volatile drop_call)(uid_t) = setuid;

/* A hex field of /proc/self/status ("CapPrm"), 0 if absent. */
static uint64_t status_hex(const char *key)
{
	char line[256];
	uint64_t v = 0;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':')
			v = strtoull(line + klen + 1, NULL, 16);
	if (f)
		fclose(f);
	return v;
}

static uint64_t limit_bytes(rlim_t v)
{
	return v == RLIM_INFINITY ? DUENDE_MLOCK_UNLIMITED : (uint64_t)v;
}

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void check_outlook(void)
{
	struct duende_mlock_drop d;
	struct rlimit rl;
	unsigned char big[sizeof(d) + 16];
	long long lck = t_status_kb("VmLck");

	CHECK_EQ_INT(duende_mlock_drop_outlook_sized(NULL, sizeof(d)), -EINVAL);
	CHECK_EQ_INT(duende_mlock_drop_outlook_sized(&d, 4), -EINVAL);
	memset(big, 0xa5, sizeof(big));
	CHECK_EQ_INT(duende_mlock_drop_outlook_sized((struct duende_mlock_drop *)big, sizeof(big)), 0);
	CHECK_EQ_INT(((struct duende_mlock_drop *)big)->size, sizeof(d));
	for (size_t i = sizeof(d); i < sizeof(big); i++)
		CHECK_EQ_INT(big[i], 0);

	CHECK_EQ_INT(duende_mlock_drop_outlook(&d), 0);
	CHECK(getrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	CHECK(d.memlock_soft == limit_bytes(rl.rlim_cur));
	CHECK(d.memlock_hard == limit_bytes(rl.rlim_max));
	CHECK_EQ_INT((long long)d.locked, lck);
	CHECK_EQ_INT(d.threads, 1);
	CHECK(d.headroom == (d.memlock_soft == DUENDE_MLOCK_UNLIMITED ? DUENDE_MLOCK_UNLIMITED
				: d.memlock_soft > d.locked ? d.memlock_soft - d.locked : 0));
	CHECK(!!(d.flags & DUENDE_MLOCK_DROP_COVERED) == (d.headroom >= DUENDE_MLOCK_LOW_HEADROOM));
	/* Held only where CapPrm says so (and, namespaced, not even then). */
	CHECK(!(d.flags & DUENDE_MLOCK_DROP_HOLDS_IPC_LOCK) || ((status_hex("CapPrm") >> 14) & 1));
	CHECK(!(d.flags & DUENDE_MLOCK_DROP_USAGE_UNKNOWN));

	CHECK_EQ_INT(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	CHECK_EQ_INT(duende_mlock_drop_outlook(&d), 0);
	CHECK(d.flags & DUENDE_MLOCK_DROP_KEEPCAPS);
	CHECK_EQ_INT(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), 0);
	CHECK_EQ_INT(duende_mlock_drop_outlook(&d), 0);
	CHECK(!(d.flags & DUENDE_MLOCK_DROP_KEEPCAPS));

	pthread_t t;
	CHECK_EQ_INT(pthread_create(&t, NULL, idle, NULL), 0);
	CHECK_EQ_INT(duende_mlock_drop_outlook(&d), 0);
	CHECK_EQ_INT(d.threads, 2);
}

static void check_explain(void)
{
	struct duende_mlock_drop d, unfilled;
	char buf[2048], limit[32];
	static const enum duende_mlock_drop_outcome outcomes[] = {
		DUENDE_MLOCK_DROP_KEPT, DUENDE_MLOCK_DROP_REFUSED, DUENDE_MLOCK_DROP_OTHER_THREADS,
		DUENDE_MLOCK_DROP_LOCKED_OFF, DUENDE_MLOCK_DROP_NO_PRIVILEGE_MODE,
		DUENDE_MLOCK_DROP_KEEP_FAILED,
	};

	CHECK_EQ_INT(duende_mlock_drop_outlook(&d), 0);
	duende_mlock_format_bytes(d.memlock_soft, limit, sizeof(limit));
	for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++) {
		int n = duende_mlock_drop_explain(&d, outcomes[i], -EPERM, buf, sizeof(buf));
		CHECK(n > 0 && (size_t)n < sizeof(buf));
		CHECK_CONTAINS(buf, "CAP_IPC_LOCK");
		CHECK_CONTAINS(buf, limit);
		if (outcomes[i] != DUENDE_MLOCK_DROP_KEPT)
			CHECK_CONTAINS(buf, "LimitMEMLOCK=infinity");
	}
	duende_mlock_drop_explain(&d, DUENDE_MLOCK_DROP_REFUSED, 0, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "--no-keep-ipc-lock");
	duende_mlock_drop_explain(&d, DUENDE_MLOCK_DROP_KEEP_FAILED, -EPERM, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "errno 1");
	CHECK_EQ_INT(duende_mlock_drop_explain(&d, (enum duende_mlock_drop_outcome)99, 0, buf, sizeof(buf)),
		     -EINVAL);
	CHECK_EQ_INT(duende_mlock_drop_explain(NULL, DUENDE_MLOCK_DROP_KEPT, 0, buf, sizeof(buf)), -EINVAL);
	memset(&unfilled, 0, sizeof(unfilled));
	CHECK_EQ_INT(duende_mlock_drop_explain(&unfilled, DUENDE_MLOCK_DROP_KEPT, 0, buf, sizeof(buf)),
		     -EINVAL);
	/* snprintf semantics: the whole length, a cut text NUL-terminated. */
	int whole = duende_mlock_drop_explain(&d, DUENDE_MLOCK_DROP_REFUSED, 0, buf, sizeof(buf));
	CHECK_EQ_INT(duende_mlock_drop_explain(&d, DUENDE_MLOCK_DROP_REFUSED, 0, buf, 10), whole);
	CHECK_EQ_INT(strlen(buf), 9);
}

static void check_program(void)
{
	char text[] = "/tmp/duende-mlock-test-drop.XXXXXX";
	Dl_info info;
	int fd;

	CHECK_EQ_INT(duende_mlock_program_drops_privileges("/proc/self/exe"), 1);
	CHECK(dladdr((void *)duende_mlock_version, &info) && info.dli_fname);
	/* The library itself calls none of them (capget goes through syscall). */
	if (info.dli_fname)
		CHECK_EQ_INT(duende_mlock_program_drops_privileges(info.dli_fname), 0);
	fd = mkstemp(text);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, "#!/bin/sh\nexit 0\n", 17) == 17);
		close(fd);
		CHECK_EQ_INT(duende_mlock_program_drops_privileges(text), -ENOEXEC);
		unlink(text);
	}
	CHECK_EQ_INT(duende_mlock_program_drops_privileges("/tmp"), -ENOEXEC);
	CHECK_EQ_INT(duende_mlock_program_drops_privileges("/nonexistent/program"), -ENOENT);
	CHECK_EQ_INT(duende_mlock_program_drops_privileges(""), -EINVAL);
	CHECK_EQ_INT(duende_mlock_program_drops_privileges(NULL), -EINVAL);
}

int main(void)
{
	check_outlook();
	check_explain();
	check_program();
	return t_failures ? T_FAIL : T_PASS;
}
