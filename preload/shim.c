/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * libduende-mlock-preload.so: locks an unmodified program before its
 * main() runs. Memory locks do not survive execve(2), so the lock has to be
 * taken inside the new program; the loader runs this constructor there.
 *
 * Settings come from DUENDE_MLOCK_EXEC (see exec-settings.h); without it
 * exec's defaults apply (current + future, required). Unless told
 * to "inherit", the shim removes itself from LD_PRELOAD and drops its
 * settings, so the program's own children are not locked.
 *
 * Every requested step runs here, in PROGRAM, through duende_mlock_harden().
 * In required mode a failed step ends the program with exit status 120
 * before main(): nothing half-protected runs silently.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "exec-settings.h"

#define SHIM_NAME "libduende-mlock-preload.so"

static bool is_this_shim(const char *entry, size_t len)
{
	size_t n = strlen(SHIM_NAME);

	return len >= n && memcmp(entry + len - n, SHIM_NAME, n) == 0 &&
	       (len == n || entry[len - n - 1] == '/');
}

/* LD_PRELOAD without this shim; other preloads keep their order. */
static void remove_from_ld_preload(void)
{
	const char *old = getenv("LD_PRELOAD");
	char *out;
	size_t used = 0;

	if (!old)
		return;
	out = malloc(strlen(old) + 1);
	if (!out)
		return;
	for (const char *p = old; *p;) {
		size_t n = strcspn(p, ": ");
		if (n && !is_this_shim(p, n)) {
			if (used)
				out[used++] = ':';
			memcpy(out + used, p, n);
			used += n;
		}
		p += n;
		if (*p)
			p++;
	}
	out[used] = '\0';
	if (used)
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
	free(out);
}

/* Each failed step (warnings in best-effort mode), or every step when
 * verbose. The lock's own outcome is reported with its diagnosis. */
static void report_steps(const struct duende_mlock_harden_result *res, bool verbose,
			 const char *how)
{
	char line[1024];

	for (int step = 0; step < DUENDE_MLOCK_STEP_COUNT; step++) {
		const struct duende_mlock_step_result *r = &res->steps[step];
		if (!r->requested || step == DUENDE_MLOCK_STEP_LOCK || (!r->rc && !verbose))
			continue;
		duende_mlock_step_explain((enum duende_mlock_step)step, r, line, sizeof(line));
		dprintf(STDERR_FILENO, "duende-mlock: %s: %s%s\n", program_invocation_short_name,
			r->rc ? how : "", line);
	}
}

/* duende-mlock doctor -- PROGRAM: the survey of PROGRAM as the lock would
 * find it, handed to the doctor; PROGRAM stops before its main(). */
static void probe_if_asked(void)
{
	const char *text = getenv(DM_EXEC_SETTINGS_ENV);
	struct dm_exec_settings s;
	struct duende_mlock_survey survey;
	uint32_t size = sizeof(survey);
	const char *p = (const char *)&survey;
	size_t left = sizeof(survey);

	if (!text || dm_exec_settings_parse(text, &s, NULL) != 0 || !s.probe_fd)
		return;
	if (duende_mlock_survey_pid(0, &survey) != 0 || write(s.probe_fd, &size, sizeof(size)) != sizeof(size))
		_exit(DM_EXIT_LOCK_FAILED);
	while (left) {
		ssize_t n = write(s.probe_fd, p, left);
		if (n <= 0 && errno != EINTR)
			_exit(DM_EXIT_LOCK_FAILED);
		if (n > 0) {
			p += n;
			left -= (size_t)n;
		}
	}
	_exit(0);
}

__attribute__((constructor)) static void duende_mlock_preload(void)
{
	struct duende_mlock_harden_result res;
	struct dm_exec_settings s;
	const char *text = getenv(DM_EXEC_SETTINGS_ENV);
	const char *bad = NULL;
	char why[2048], line[64];

	probe_if_asked();
	if (dm_exec_settings_parse(text ? text : "", &s, &bad) != 0) {
		dprintf(STDERR_FILENO,
			"duende-mlock: %s: invalid %s=\"%s\" (at \"%s\"); run the program "
			"through `duende-mlock exec`, which sets it\n",
			program_invocation_short_name, DM_EXEC_SETTINGS_ENV, text, bad);
		_exit(DM_EXIT_LOCK_FAILED);
	}
	if (!s.inherit) {
		remove_from_ld_preload();
		unsetenv(DM_EXEC_SETTINGS_ENV);
	}

	if (duende_mlock_harden(&s.harden, &res) == -EINVAL && !res.steps[DUENDE_MLOCK_STEP_LOCK].requested) {
		dprintf(STDERR_FILENO, "duende-mlock: %s: invalid settings\n",
			program_invocation_short_name);
		_exit(DM_EXIT_LOCK_FAILED);
	}
	duende_mlock_explain(&res.lock_status, why, sizeof(why));
	if (dm_exec_must_stop(&s, &res)) {
		report_steps(&res, false, "");
		if (res.steps[DUENDE_MLOCK_STEP_LOCK].rc)
			dprintf(STDERR_FILENO, "duende-mlock: %s: cannot lock memory, not starting it: %s\n",
				program_invocation_short_name, why);
		else
			dprintf(STDERR_FILENO, "duende-mlock: %s: a requested step failed, not starting "
				"it (use --best-effort to run it anyway)\n",
				program_invocation_short_name);
		_exit(DM_EXIT_LOCK_FAILED);
	}
	report_steps(&res, s.verbose, "warning: ");
	duende_mlock_status_format(&res.lock_status, line, sizeof(line));
	if (duende_mlock_status_is_failed(&res.lock_status))
		dprintf(STDERR_FILENO,
			"duende-mlock: %s: warning: %s, running without a memory lock: %s\n",
			program_invocation_short_name, line, why);
	else if (s.verbose)
		dprintf(STDERR_FILENO, "duende-mlock: %s (pid %d): %s: %s\n",
			program_invocation_short_name, (int)getpid(), line, why);
}
