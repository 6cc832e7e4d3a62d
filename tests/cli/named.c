/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * A process for the command's tests: takes any name (\xNN escapes allowed,
 * as a hostile user would set with PR_SET_NAME), optionally locks itself,
 * runs extra threads, some of them in uninterruptible sleep, reserves
 * address space it never touches (PROT_NONE, as malloc reserves arenas:
 * locked under MCL_FUTURE it counts in VmLck but pins nothing), and waits
 * to be killed. Prints "ready" on stdout once all is in place.
 * Usage: named [--lock] [--threads N] [--blocked N] [--oom N] [--reserve MIB] NAME
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static void decode(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	while (*in && n + 1 < cap) {
		unsigned v;
		if (in[0] == '\\' && in[1] == 'x' && sscanf(in + 2, "%2x", &v) == 1) {
			out[n++] = (char)v;
			in += 4;
		} else {
			out[n++] = *in++;
		}
	}
	out[n] = '\0';
}

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A vfork parent waits in uninterruptible sleep (state D) until its
 * child exits; the child dies with this thread's process. */
static void *blocked(void *arg)
{
	(void)arg;
	if (vfork() == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 0, blocked_threads = 0, reserve_mib = 0;
	bool lock = false;
	char name[64];
	pthread_t t;
	int i;

	for (i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--lock") == 0)
			lock = true;
		else if (strcmp(argv[i], "--threads") == 0)
			threads = atoi(argv[++i]);
		else if (strcmp(argv[i], "--blocked") == 0)
			blocked_threads = atoi(argv[++i]);
		else if (strcmp(argv[i], "--reserve") == 0)
			reserve_mib = atoi(argv[++i]);
		else if (strcmp(argv[i], "--oom") == 0) {
			int fd = open("/proc/self/oom_score_adj", O_WRONLY);
			if (fd < 0 || write(fd, argv[i + 1], strlen(argv[i + 1])) < 0)
				return 1;
			close(fd);
			i++;
		} else
			break;
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: named [--lock] [--threads N] [--blocked N] [--oom N] [--reserve MIB] NAME\n");
		return 64;
	}
	if (lock && mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
		perror("mlockall");
		return 1;
	}
	if (reserve_mib > 0 && mmap(NULL, (size_t)reserve_mib << 20, PROT_NONE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (int k = 0; k < threads; k++)
		if (pthread_create(&t, NULL, idle, NULL) != 0)
			return 1;
	for (int k = 0; k < blocked_threads; k++)
		if (pthread_create(&t, NULL, blocked, NULL) != 0)
			return 1;
	decode(argv[argc - 1], name, sizeof(name));
	if (prctl(PR_SET_NAME, name) != 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
