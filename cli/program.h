/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Can a preload library reach this program? Resolves PROGRAM as execvp
 * would and looks at the file the loader would see. */
#ifndef DM_CLI_PROGRAM_H
#define DM_CLI_PROGRAM_H

#include <limits.h>

#define EXIT_LOCK_FAILED 120 /* the lock or a required step failed */
#define EXIT_REFUSED 121     /* preloading cannot work for PROGRAM */
#define EXIT_INTERNAL 125    /* duende-mlock itself could not go on */
#define EXIT_NOT_EXECUTABLE 126
#define EXIT_NOT_FOUND 127

struct program_check {
	char path[PATH_MAX];
	char reason[768]; /* why it cannot be run under the preload, and what to do */
};

/* 0 when PROGRAM can run under the preload, else one of the exit codes
 * above with out->reason filled. */
int check_program(const char *name, struct program_check *out);

#endif
