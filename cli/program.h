/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Can a preload library reach this program? Resolves PROGRAM as execvp
 * would and looks at the file the loader would see. */
#ifndef DM_CLI_PROGRAM_H
#define DM_CLI_PROGRAM_H

#include <limits.h>

#include "cli.h"

struct program_check {
	char path[PATH_MAX];
	char reason[768]; /* why it cannot be run under the preload, and what to do */
};

/* 0 when PROGRAM can run under the preload, else one of the exit codes
 * above with out->reason filled. */
int check_program(const char *name, struct program_check *out);

#endif
