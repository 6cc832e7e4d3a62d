/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* What env(1) would run: env execs its command in its own process, so the
 * preload reaches that command only if env leaves it in the environment.
 * The arguments are read as GNU env (coreutils 9) reads them: getopt_long
 * with its options and abbreviations, -S strings split with its quoting,
 * escapes and ${VAR}, then NAME=VALUE words, then the command. */
#ifndef DM_CLI_ENV_COMMAND_H
#define DM_CLI_ENV_COMMAND_H

#include <limits.h>

#define ENV_MAX_ARGS 512

struct env_command {
	char **argv;         /* the command env runs (NULL: none, env fails or prints) */
	const char *path;    /* the PATH it gives the command (PATH=...), or NULL */
	const char *chdir;   /* -C DIR, or NULL */
	char removes[96];    /* the option that takes the preload away ("-i"), or "" */
	char *args[ENV_MAX_ARGS];
	char store[4 * PATH_MAX];
};

/* args: env's arguments after its own name (n of them). 0 and *ec filled;
 * -E2BIG when they do not fit ec, -EINVAL when an -S string holds what env
 * would reject or this reading does not follow: either way the command
 * cannot be checked. */
int env_command_parse(char *const *args, int n, struct env_command *ec);

#endif
