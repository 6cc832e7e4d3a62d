/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * A program built against release 1.1's header (tests/abi/1.1), run with
 * this library: every structure whose layout changed in 1.2 is filled and
 * read as 1.1 laid it out. Each structure sits between canaries, so a
 * library that writes 1.2's larger layout, or reads past 1.1's, is caught;
 * the values are checked against the running process and /proc.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duende-mlock.h" /* 1.1's */
#include "harness.h"

#if DUENDE_MLOCK_VERSION_MINOR != 1
#error "this test must be built against release 1.1's header"
#endif

#define CANARY 0xA5

/* A structure of 1.1 with a canary on either side. */
#define FRAMED(type)                                  \
	struct {                                      \
		unsigned char before[64];             \
		type value;                           \
		unsigned char after[256];             \
	}

static bool intact(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != CANARY)
			return false;
	return true;
}

#define CHECK_FRAME(f)                                                      \
	do {                                                                \
		CHECK(intact((f)->before, sizeof((f)->before)));             \
		CHECK(intact((f)->after, sizeof((f)->after)));               \
	} while (0)

static int swap_lines(void)
{
	char line[512];
	int n = -1;
	FILE *f = fopen("/proc/swaps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

static void report(void)
{
	static FRAMED(struct duende_mlock_report) f;

	memset(&f, CANARY, sizeof(f));
	CHECK_EQ_INT(duende_mlock_report_pid(0, &f.value), 0);
	CHECK_FRAME(&f);
	CHECK_EQ_INT(f.value.pid, getpid());
	CHECK(f.value.known & DUENDE_MLOCK_R_STATUS);
	CHECK(f.value.vm_size > 0);
	CHECK_EQ_INT(f.value.reserved32, 0);
}

static void harden(void)
{
	static FRAMED(struct duende_mlock_harden_result) f;
	/* Nothing that changes this process but what the test can take. */
	struct duende_mlock_harden_config cfg = { .set_oom_score_adj = true, .oom_score_adj = 100,
						  .lock = true };

	memset(&f, CANARY, sizeof(f));
	cfg.lock_config.current = cfg.lock_config.future = false; /* the no-op lock */
	CHECK_EQ_INT(duende_mlock_harden(&cfg, &f.value), 0);
	CHECK_FRAME(&f);
	CHECK(f.value.steps[DUENDE_MLOCK_STEP_OOM_SCORE_ADJ].requested);
	CHECK_EQ_INT(f.value.steps[DUENDE_MLOCK_STEP_OOM_SCORE_ADJ].value, 100);
	CHECK(f.value.steps[DUENDE_MLOCK_STEP_LOCK].requested);
	CHECK(!f.value.steps[DUENDE_MLOCK_STEP_MALLOC].requested);
	CHECK(duende_mlock_status_is_locked(&f.value.lock_status));
	/* 1.0's answer: the first failed step's errno, a bad config EINVAL */
	cfg.oom_score_adj = 5000;
	memset(&f, CANARY, sizeof(f));
	CHECK_EQ_INT(duende_mlock_harden(&cfg, &f.value), -EINVAL);
	CHECK_FRAME(&f);
	cfg.oom_score_adj = 100;
	cfg.prefault_stack = (size_t)1 << 40; /* more than any stack */
	CHECK_EQ_INT(duende_mlock_harden(&cfg, &f.value), -EINVAL); /* above 1.2's maximum */
	cfg.prefault_stack = (size_t)60 << 20;
	int rc = duende_mlock_harden(&cfg, &f.value);
	CHECK(rc == 0 || rc == -ERANGE);
	CHECK_EQ_INT(rc, f.value.steps[DUENDE_MLOCK_STEP_PREFAULT_STACK].rc);
}

static void swaps_and_survey(void)
{
	static FRAMED(struct duende_mlock_swaps) sw;
	static FRAMED(struct duende_mlock_survey) sv;
	char text[4096];

	memset(&sw, CANARY, sizeof(sw));
	CHECK_EQ_INT(duende_mlock_read_swaps(&sw.value), 0);
	CHECK_FRAME(&sw);
	CHECK_EQ_INT(sw.value.count, swap_lines());
	CHECK_EQ_INT(duende_mlock_swap_served_by(&sw.value, getpid(), 0), -ENOENT);

	memset(&sv, CANARY, sizeof(sv));
	CHECK_EQ_INT(duende_mlock_survey_pid(0, &sv.value), 0);
	CHECK_FRAME(&sv);
	CHECK_EQ_INT(sv.value.process.pid, getpid());
	CHECK_EQ_INT(sv.value.process.reserved32, 0);
	CHECK_EQ_INT(sv.value.swaps.count, swap_lines());
	CHECK(sv.value.nfindings > 0 && sv.value.nfindings <= 32);
	CHECK(sv.value.verdict <= DUENDE_MLOCK_SEVERITY_NOT_APPLICABLE);
	for (uint32_t i = 0; i < sv.value.nfindings; i++) {
		CHECK(duende_mlock_finding_explain(&sv.value, i, text, sizeof(text)) > 0);
		CHECK(strlen(text) > 10);
	}
	CHECK_EQ_INT(duende_mlock_finding_explain(&sv.value, sv.value.nfindings, text, sizeof(text)), -EINVAL);
	CHECK(duende_mlock_survey_fix(&sv.value, text, sizeof(text)) > 0);
	CHECK_CONTAINS(text, "duende-mlock exec");
	CHECK(duende_mlock_systemd_dropin(&sv.value, text, sizeof(text)) > 0);
	CHECK_CONTAINS(text, "LimitMEMLOCK=infinity");
	CHECK_FRAME(&sv);
}

int main(void)
{
	report();
	harden();
	swaps_and_survey();
	return t_result();
}
