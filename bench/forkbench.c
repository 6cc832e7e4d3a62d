/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * What following forks costs: a daemon with MIB MiB resident, locked by
 * whatever preload it runs under, starts a helper (/bin/true) ITERS times
 * through one path and prints the median and the 90th percentile in
 * milliseconds. Paths: fork (fork+execve, which runs fork handlers),
 * posix_spawn, system, popen (glibc runs no fork handlers for these three).
 * A "fork-serve" path forks a child that serves (touches its pages, never
 * execs) and exits: the cost a pre-fork server pays per connection.
 * Usage: forkbench MODE MIB ITERS   prints "MODE median_ms p90_ms vmlck_kb"
 * With FORKBENCH_WAIT_USR1 set it waits for SIGUSR1 once its memory is
 * resident (forkcost.sh attaches `duende-mlock lock --follow` meanwhile).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static long vmlck_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int wait_ok(pid_t pid)
{
	int status;

	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/* One helper started and finished through the path; 0 on success. */
static int once(const char *mode, char *mem, size_t len)
{
	char *const argv[] = { "true", NULL };

	if (strcmp(mode, "fork") == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			execve("/bin/true", argv, environ);
			_exit(127);
		}
		return wait_ok(pid) ? 0 : -1;
	}
	if (strcmp(mode, "fork-serve") == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			/* Serve: read every page once, write one. */
			volatile char sum = 0;
			for (size_t i = 0; i < len; i += 4096)
				sum = (char)(sum + mem[i]);
			mem[0] = sum;
			_exit(0);
		}
		return wait_ok(pid) ? 0 : -1;
	}
	if (strcmp(mode, "posix_spawn") == 0) {
		pid_t pid;
		if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0)
			return -1;
		return wait_ok(pid) ? 0 : -1;
	}
	if (strcmp(mode, "system") == 0)
		return system("/bin/true") == 0 ? 0 : -1;
	if (strcmp(mode, "popen") == 0) {
		FILE *p = popen("/bin/true", "r");
		return p && pclose(p) == 0 ? 0 : -1;
	}
	return -1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: forkbench fork|fork-serve|posix_spawn|system|popen MIB ITERS\n");
		return 64;
	}
	const char *mode = argv[1];
	size_t len = (size_t)atol(argv[2]) << 20;
	int iters = atoi(argv[3]);
	double *t = calloc((size_t)(iters > 0 ? iters : 1), sizeof(*t));
	char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!t || mem == MAP_FAILED || iters <= 0) {
		fprintf(stderr, "forkbench: bad arguments or out of memory\n");
		return 1;
	}
	sigset_t usr1;
	int sig;
	bool wait_usr1 = getenv("FORKBENCH_WAIT_USR1") != NULL;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (wait_usr1)
		sigprocmask(SIG_BLOCK, &usr1, NULL);
	memset(mem, 1, len); /* resident, and private to this process */
	if (wait_usr1)
		sigwait(&usr1, &sig);
	for (int i = 0; i < iters; i++) {
		double t0 = now_ms();
		if (once(mode, mem, len) != 0) {
			fprintf(stderr, "forkbench: %s failed\n", mode);
			return 1;
		}
		t[i] = now_ms() - t0;
	}
	qsort(t, (size_t)iters, sizeof(*t), cmp);
	printf("%s %.2f %.2f %ld\n", mode, t[iters / 2], t[(iters * 9) / 10], vmlck_kb());
	return 0;
}
