/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The survey of this process and host: its facts against an independent
 * reading of /proc, its findings and their text, its fix, and the one
 * byte unit. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"
#include "proc-util.h"

static void check_format_bytes(void)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} cases[] = {
		{ 0, "0 bytes" },
		{ 1, "1 byte" },
		{ 1023, "1023 bytes" },
		{ 1024, "1 KiB" },
		{ 1536, "1.5 KiB" },
		{ 1024 * 1024 - 1, "1023.9 KiB" },
		{ UINT64_C(8) << 20, "8 MiB" },
		{ (UINT64_C(3) << 30) / 2, "1.5 GiB" },
		{ UINT64_MAX - 1, "15.9 EiB" },
		{ DUENDE_MLOCK_UNLIMITED, "unlimited" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = duende_mlock_format_bytes(cases[i].bytes, buf, sizeof(buf));
		CHECK_EQ_STR(buf, cases[i].text);
		CHECK_EQ_INT(n, strlen(cases[i].text));
	}
	CHECK_EQ_INT(duende_mlock_format_bytes(UINT64_C(8) << 20, buf, 3), 5);
	CHECK_EQ_STR(buf, "8 ");
	CHECK_EQ_INT(duende_mlock_format_bytes(1, NULL, 0), 6);
}

static int kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return -1;
	return ma > major || (ma == major && mi >= minor);
}

int main(void)
{
	/* Static: a SKIP exits from anywhere below, and a leak checker would
	 * count a heap survey left behind. */
	static struct duende_mlock_survey survey;
	struct duende_mlock_survey *s = &survey;
	enum duende_mlock_severity worst = DUENDE_MLOCK_SEVERITY_OK;
	struct rlimit rl;
	char text[4096];

	check_format_bytes();
	CHECK_EQ_INT(duende_mlock_survey_pid(0, NULL), -EINVAL);
	CHECK_EQ_INT(duende_mlock_survey_pid(2147483646, s), -ESRCH);
	if (access("/proc/self/status", R_OK) != 0)
		SKIP("no /proc here");

	CHECK_EQ_INT(duende_mlock_survey_pid(0, s), 0);
	CHECK_EQ_INT(s->process.pid, getpid());
	CHECK(s->process.known & DUENDE_MLOCK_R_STATUS);
	CHECK(s->process.known & DUENDE_MLOCK_R_STAT);
	CHECK(s->process.known & DUENDE_MLOCK_R_LIMITS);
	/* The one headroom: soft limit less VmLck, as an independent read. */
	CHECK_EQ_INT(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	if (!s->process.cap_ipc_lock && rl.rlim_cur != RLIM_INFINITY)
		CHECK_EQ_INT(s->process.headroom, (long long)rl.rlim_cur - t_status_kb("VmLck"));
	else
		CHECK(s->process.headroom == DUENDE_MLOCK_UNLIMITED);
	CHECK_EQ_INT(s->caller_memlock_hard == DUENDE_MLOCK_UNLIMITED,
		     rl.rlim_max == RLIM_INFINITY);
	if (kernel_at_least(4, 4) == 1)
		CHECK_EQ_INT(s->kernel_onfault, 1);
	if (kernel_at_least(5, 6) == 1)
		CHECK_EQ_INT(s->kernel_io_flusher, 1);

	/* Every finding has words; the verdict is the worst of them. */
	CHECK(s->nfindings >= 4);
	for (uint32_t i = 0; i < s->nfindings; i++) {
		int n = duende_mlock_finding_explain(s, i, text, sizeof(text));
		CHECK(n > 10 && (size_t)n < sizeof(text));
		CHECK(strlen(text) == (size_t)n);
		if (s->findings[i].severity > worst)
			worst = s->findings[i].severity;
	}
	CHECK_EQ_INT(s->verdict, worst);
	strcpy(text, "untouched");
	CHECK_EQ_INT(duende_mlock_finding_explain(s, s->nfindings, text, sizeof(text)), -EINVAL);
	CHECK_EQ_STR(text, "");
	strcpy(text, "untouched");
	CHECK_EQ_INT(duende_mlock_finding_explain(NULL, 0, text, sizeof(text)), -EINVAL);
	CHECK_EQ_STR(text, "");

	/* The fix offers exec, and what needs CAP_SYS_RESOURCE only with it. */
	CHECK(duende_mlock_survey_fix(s, text, sizeof(text)) > 0);
	CHECK_CONTAINS(text, "duende-mlock exec ");
	if (s->caller_cap_sys_resource)
		CHECK_CONTAINS(text, "--io-flusher");
	else
		CHECK(strstr(text, "exec --io-flusher") == NULL);
	if (!s->caller_cap_sys_resource && rl.rlim_max != RLIM_INFINITY)
		CHECK(strstr(text, "ulimit -l unlimited") == NULL);
	return t_result();
}
