/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * libduende-mlock-preload.so: locks an unmodified program before its
 * main() runs. Memory locks do not survive execve(2), so the lock has to be
 * taken inside the new program; the loader runs this constructor there.
 *
 * Settings come from DUENDE_MLOCK_EXEC (see src/exec-settings.h); without
 * it the crate's defaults apply (current + future, required). Unless told
 * to "inherit", the shim removes itself from LD_PRELOAD and drops its
 * settings, so the program's own children are not locked.
 *
 * In required mode a failed lock ends the program with exit status 120
 * before main(): nothing half-protected runs silently.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "src/exec-settings.h"

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

static void report_steps(const struct duende_mlock_harden_result *res)
{
	char line[1024];

	for (int step = 0; step < DUENDE_MLOCK_STEP_COUNT; step++) {
		const struct duende_mlock_step_result *r = &res->steps[step];
		if (!r->requested || !r->rc || step == DUENDE_MLOCK_STEP_LOCK)
			continue;
		duende_mlock_step_explain((enum duende_mlock_step)step, r, line, sizeof(line));
		dprintf(STDERR_FILENO, "duende-mlock: %s: warning: %s\n", program_invocation_short_name,
			line);
	}
}

__attribute__((constructor)) static void duende_mlock_preload(void)
{
	struct duende_mlock_harden_config hc = { .lock = true };
	struct duende_mlock_harden_result res;
	struct dm_exec_settings s;
	const char *text = getenv(DM_EXEC_SETTINGS_ENV);
	const char *bad = NULL;
	char why[2048], line[64];

	if (!text) {
		dm_exec_settings_init(&s);
		s.lock.current = s.lock.future = true;
	} else if (dm_exec_settings_parse(text, &s, &bad) != 0) {
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

	hc.lock_config = s.lock;
	hc.malloc_keep = s.malloc_keep;
	hc.prefault_stack = s.prefault_stack;
	int rc = duende_mlock_harden(&hc, &res);
	duende_mlock_explain(&res.lock_status, why, sizeof(why));
	if (rc == -EINVAL && !res.steps[DUENDE_MLOCK_STEP_LOCK].requested) {
		dprintf(STDERR_FILENO, "duende-mlock: %s: invalid settings\n",
			program_invocation_short_name);
		_exit(DM_EXIT_LOCK_FAILED);
	}
	if (res.steps[DUENDE_MLOCK_STEP_LOCK].rc) {
		dprintf(STDERR_FILENO, "duende-mlock: %s: cannot lock memory, not starting it: %s\n",
			program_invocation_short_name, why);
		_exit(DM_EXIT_LOCK_FAILED);
	}
	report_steps(&res);
	duende_mlock_status_format(&res.lock_status, line, sizeof(line));
	if (duende_mlock_status_is_failed(&res.lock_status))
		dprintf(STDERR_FILENO,
			"duende-mlock: %s: warning: %s, running without a memory lock: %s\n",
			program_invocation_short_name, line, why);
	else if (s.verbose)
		dprintf(STDERR_FILENO, "duende-mlock: %s (pid %d): %s: %s\n",
			program_invocation_short_name, (int)getpid(), line, why);
}
