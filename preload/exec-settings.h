/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * What `duende-mlock exec` asks of the preload shim, carried in one
 * environment variable as words that say where the settings differ from
 * exec's defaults: "lean,oom-score-adj=-900,prefault=262144". The shim
 * owns this format; the command compiles this file to write it.
 */
#ifndef DM_EXEC_SETTINGS_H
#define DM_EXEC_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "duende-mlock.h"

#define DM_EXEC_SETTINGS_ENV "DUENDE_MLOCK_EXEC"

/* The exit status of a program whose lock, or another requested step,
 * failed in required mode: its main() never ran. */
#define DM_EXIT_LOCK_FAILED 120

struct dm_exec_settings {
	/* The steps the shim runs in PROGRAM before main(), through
	 * duende_mlock_harden(). */
	struct duende_mlock_harden_config harden;
	bool inherit; /* lock every program started below PROGRAM, too */
	bool verbose; /* report each step on stderr */
	/* "probe=FD" (duende-mlock doctor -- PROGRAM): before anything else,
	 * write the size of struct duende_mlock_survey (a uint32_t) and the
	 * survey of PROGRAM to FD, and _exit before main(). 0: no probe. */
	int probe_fd;
};

/* exec's defaults: raise the soft RLIMIT_MEMLOCK, lock current and future
 * pages, required. */
void dm_exec_settings_init(struct dm_exec_settings *s);
/* Parses text over the defaults: 0, or -EINVAL with *bad_word pointing
 * into text at the offending word. */
int dm_exec_settings_parse(const char *text, struct dm_exec_settings *s, const char **bad_word);
/* The words for s (the empty string for the defaults); snprintf
 * semantics. */
int dm_exec_settings_format(const struct dm_exec_settings *s, char *buf, size_t len);
/* In required mode, every requested step must have succeeded. */
bool dm_exec_must_stop(const struct dm_exec_settings *s,
		       const struct duende_mlock_harden_result *res);

#endif
