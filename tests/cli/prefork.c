/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * A pre-fork server that forks on request, for following from outside:
 * it reads commands from a FIFO, a line each, and forks for each.
 * Usage: prefork [--mark FILE] FIFO
 *   --mark FILE     first thing in main(): create FILE (the tests check
 *                   whether any of its own code ran)
 *   child FILE      a forked child writes its VmLck (kB) to FILE, then
 *                   serves (sleeps) until killed
 *   exec PROG ARG   a forked child execs PROG ARG (a helper)
 *   self FILE       a forked child execs this program again, which writes
 *                   its VmLck to FILE and sleeps
 *   forks N FILE    a forked child forks N children one after another
 *                   (each exits at once), writes "done" to FILE, exits
 *   stderr FILE     the server itself closes its fd 2 and opens FILE as
 *                   fd 2 (a data file where its stderr was)
 *   prefork --reexec N   execs itself N times, a little work between,
 *                   then exits 0 (a process that execs while it is locked)
 *   prefork --forks N FILE   forks N children one after another (each
 *                   exits at once), then writes "done" to FILE and exits 0
 * Built static too (prefork-static) where the C library has an archive.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long vmlck(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmLck:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

static void report(const char *file)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "we");
	if (!f)
		_exit(2);
	fprintf(f, "%ld\n", vmlck());
	fclose(f);
	rename(tmp, file);
}

static void serve_forever(void)
{
	for (;;)
		pause();
}

/* Forks n children one after another, each exiting at once; then
 * writes "done" to file. */
static int forks(int n, const char *file)
{
	for (int k = 0; k < n; k++) {
		pid_t c = fork();

		if (c == 0)
			_exit(0);
		if (c > 0)
			waitpid(c, NULL, 0);
	}
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "done\n", 5) != 5)
		return 2;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	char line[4096];
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "--mark") == 0) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		i = 3;
	}
	if (argc > i + 1 && strcmp(argv[i], "--reexec") == 0) {
		int n = atoi(argv[i + 1]);
		char left[16];

		if (n <= 0)
			return 0;
		for (volatile int k = 0; k < 200000; k++)
			;
		snprintf(left, sizeof(left), "%d", n - 1);
		execl("/proc/self/exe", argv[0], "--reexec", left, (char *)NULL);
		return 2;
	}
	if (argc > i + 2 && strcmp(argv[i], "--forks") == 0)
		return forks(atoi(argv[i + 1]), argv[i + 2]);
	if (argc > i + 1 && strcmp(argv[i], "--report") == 0) {
		report(argv[i + 1]);
		serve_forever();
	}
	if (argc != i + 1) {
		fprintf(stderr, "usage: prefork [--mark FILE] FIFO | prefork --report FILE\n");
		return 64;
	}
	signal(SIGCHLD, SIG_IGN); /* children reaped by the kernel */
	FILE *in = fopen(argv[i], "re");
	if (!in)
		return 2;
	for (;;) {
		if (!fgets(line, sizeof(line), in)) {
			/* every writer closed: wait for the next */
			fclose(in);
			in = fopen(argv[i], "re");
			if (!in)
				return 2;
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		char *arg = strchr(line, ' ');
		if (!arg)
			continue;
		*arg++ = '\0';
		if (strcmp(line, "stderr") == 0) {
			int fd;

			close(2);
			fd = open(arg, O_WRONLY | O_CREAT | O_APPEND, 0644);
			if (fd >= 0 && fd != 2) {
				dup2(fd, 2);
				close(fd);
			}
			continue;
		}
		if (fork() != 0)
			continue;
		fclose(in);
		if (strcmp(line, "child") == 0) {
			report(arg);
			serve_forever();
		}
		if (strcmp(line, "exec") == 0) {
			char *a1 = strchr(arg, ' ');
			if (a1)
				*a1++ = '\0';
			execl(arg, arg, a1, (char *)NULL);
			_exit(127);
		}
		if (strcmp(line, "forks") == 0) {
			char *file = strchr(arg, ' ');

			signal(SIGCHLD, SIG_DFL);
			_exit(file ? forks(atoi(arg), file + 1) : 64);
		}
		if (strcmp(line, "self") == 0) {
			execl("/proc/self/exe", argv[0], "--report", arg, (char *)NULL);
			_exit(127);
		}
		_exit(64);
	}
}
