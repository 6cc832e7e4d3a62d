/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* When a process locked from outside counts as locked: the one rule that
 * lock and guard both print; whether this process may trace (and read the
 * /proc of) processes more privileged than itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "duende-mlock.h"

bool lock_pid_verified(const struct duende_mlock_pid_result *r, int rc, bool best_effort,
		       bool *mappings_left)
{
	struct duende_mlock_report rep;

	*mappings_left = false;
	if (r->refusal != DUENDE_MLOCK_PID_ACCEPTED || !(r->flags & DUENDE_MLOCK_PID_F_VERIFIED) ||
	    !duende_mlock_status_is_locked(&r->lock_status))
		return false;
	if (duende_mlock_report_pid(r->pid, &rep) != 0 || !(rep.verdicts & DUENDE_MLOCK_V_LOCKED)) {
		*mappings_left = true;
		return false;
	}
	return rc == 0 || best_effort;
}

#define CAP_SYS_PTRACE_BIT 19

bool holds_cap_sys_ptrace(void)
{
	char line[256];
	bool held = false;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "CapEff:", 7) == 0)
			held = (strtoull(line + 7, NULL, 16) >> CAP_SYS_PTRACE_BIT) & 1;
	if (f)
		fclose(f);
	return held;
}

int parse_oom_score_adj(const char *sub, const char *usage, const char *arg, int *score)
{
	long n;

	if (!parse_int(arg, DUENDE_MLOCK_OOM_SCORE_ADJ_MIN, DUENDE_MLOCK_OOM_SCORE_ADJ_MAX, &n))
		return usage_error(sub, usage, "--oom-score-adj: '%s' is not a number from %d to %d", arg,
				   DUENDE_MLOCK_OOM_SCORE_ADJ_MIN, DUENDE_MLOCK_OOM_SCORE_ADJ_MAX);
	*score = (int)n;
	return 0;
}
