/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * A stand-in for a daemon that forks, not a launcher: it forks as told and
 * reports what its children see, so the tests can tell forked children
 * (which must be locked) from the programs they exec (helpers, which must
 * not be, unless --inherit).
 * Usage: forker child            a forked child prints its VmLck in kB
 *        forker grandchild       a fork of a fork prints its VmLck
 *        forker exec PROG ARGS   a forked child execs PROG (a helper)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void print_vmlck(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmLck:", 6) == 0)
			printf("%ld\n", strtol(line + 6, NULL, 10));
	if (f)
		fclose(f);
	fflush(stdout);
}

static int wait_child(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "child") == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			print_vmlck();
			_exit(0);
		}
		return wait_child(pid);
	}
	if (argc >= 2 && strcmp(argv[1], "grandchild") == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			pid_t inner = fork();
			if (inner == 0) {
				print_vmlck();
				_exit(0);
			}
			_exit(wait_child(inner));
		}
		return wait_child(pid);
	}
	if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		return wait_child(pid);
	}
	fprintf(stderr, "usage: forker child | grandchild | exec PROG [ARGS...]\n");
	return 64;
}
