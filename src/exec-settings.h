/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * What `duende-mlock exec` asks of the preload shim, carried in one
 * environment variable: "current,future,onfault,...,prefault=262144".
 * Written by the CLI, read by the shim, parsed here once for both.
 */
#ifndef DM_EXEC_SETTINGS_H
#define DM_EXEC_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "duende-mlock.h"

#define DM_EXEC_SETTINGS_ENV "DUENDE_MLOCK_EXEC"

/* The exit status of a program whose lock failed in required mode: its
 * main() never ran. */
#define DM_EXIT_LOCK_FAILED 120

struct dm_exec_settings {
	struct duende_mlock_config lock;
	bool malloc_keep;
	size_t prefault_stack;
	bool inherit; /* keep the preload for the program's children */
	bool verbose; /* report a successful lock on stderr */
};

void dm_exec_settings_init(struct dm_exec_settings *s);
/* 0, or -EINVAL with *bad_word pointing into text at the offending word. */
int dm_exec_settings_parse(const char *text, struct dm_exec_settings *s, const char **bad_word);
/* snprintf semantics. */
int dm_exec_settings_format(const struct dm_exec_settings *s, char *buf, size_t len);

#endif
