/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock: lock an unmodified daemon, show any process's lock state,
 * diagnose the host. One file per subcommand. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "duende-mlock.h"

const char *cli_name = "duende-mlock";

static void help(FILE *f)
{
	fprintf(f,
		"usage: %s COMMAND [OPTIONS]\n"
		"Keep swap-critical daemons out of swap.\n\n"
		"Commands:\n"
		"  exec [OPTIONS] -- PROGRAM [ARGS...]  run PROGRAM with its memory locked\n"
		"  lock [OPTIONS] PID...                lock processes that already run\n"
		"  status [OPTIONS] [PID...]            lock state of processes\n"
		"  doctor [OPTIONS] [--pid PID]         can this process (or PID) lock, and how to fix it\n"
		"  guard [OPTIONS]                      keep every user-space swap area's servers locked\n\n"
		"Options:\n"
		"  -h, --help     this help\n"
		"  -V, --version  print the version\n\n"
		"'%s COMMAND --help' shows a command's options; man duende-mlock(1).\n",
		cli_name, cli_name);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		help(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	/* A closed pipe is a write error (exit 74), not a silent death by
	 * SIGPIPE. exec leaves SIGPIPE as it found it: PROGRAM inherits it
	 * (systemd starts services with it ignored). */
	if (strcmp(cmd, "exec") != 0)
		signal(SIGPIPE, SIG_IGN);
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		help(stdout);
		exit_printed("--help");
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("%s %s (library %s)\n", cli_name, DUENDE_MLOCK_VERSION_STRING,
		       duende_mlock_version());
		exit_printed("--version");
	}
	if (strcmp(cmd, "exec") == 0)
		return cmd_exec(argc - 1, argv + 1);
	if (strcmp(cmd, "lock") == 0)
		return cmd_lock(argc - 1, argv + 1);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(cmd, "doctor") == 0)
		return cmd_doctor(argc - 1, argv + 1);
	if (strcmp(cmd, "guard") == 0)
		return cmd_guard(argc - 1, argv + 1);
	say(NULL, "unknown command '%s'", cmd);
	help(stderr);
	return EXIT_USAGE;
}
