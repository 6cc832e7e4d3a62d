/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* What a precise lock must tell apart, in one program: a 2 GiB shared file
 * mapping read 512 MiB deep, a 64 GiB sparse shared mapping (more than
 * RAM; with --big), a memfd, a written private file mapping and heap. It
 * prints, for each, what its own smaps says (size, resident, locked bytes,
 * the lo flag) and the seconds the mappings and the work took; with --fork
 * a forked child prints its own; with --hold it waits for SIGTERM.
 * Usage: precise-mapper DIR [--big] [--fork] [--hold]   (DIR on a disk) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)
#define GiB ((size_t)1 << 30)

struct region {
	const char *name;
	char *p;
	size_t size;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int file_of(const char *dir, const char *name, size_t size)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		perror(path);
		exit(2);
	}
	unlink(path);
	return fd;
}

static char *map(const char *what, size_t size, int prot, int flags, int fd)
{
	char *p = mmap(NULL, size, prot, flags, fd, 0);

	if (p == MAP_FAILED) {
		printf("mmap-failed %s %s\n", what, strerror(errno));
		fflush(stdout);
		exit(3);
	}
	return p;
}

/* "region NAME SIZE RSS LOCKED LO" from this process's smaps. */
static void report(const char *who, const struct region *r, int n)
{
	for (int i = 0; i < n; i++) {
		unsigned long lo, hi, a = (unsigned long)r[i].p;
		long long rss = 0, locked = 0, kb;
		int inside = 0, flag_lo = 0;
		char line[512];
		FILE *f = fopen("/proc/self/smaps", "re");

		while (f && fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
				inside = a >= lo && a < hi;
				continue;
			}
			if (!inside)
				continue;
			if (sscanf(line, "Rss: %lld kB", &kb) == 1)
				rss += kb << 10;
			else if (sscanf(line, "Locked: %lld kB", &kb) == 1)
				locked += kb << 10;
			else if (strncmp(line, "VmFlags:", 8) == 0)
				flag_lo |= strstr(line, " lo") != NULL;
		}
		if (f)
			fclose(f);
		printf("%s %s %zu %lld %lld %d\n", who, r[i].name, r[i].size, rss, locked, flag_lo);
	}
}

static void touch(const char *p, size_t len)
{
	volatile char sum = 0;

	for (size_t i = 0; i < len; i += 4096)
		sum = (char)(sum + p[i]);
	(void)sum;
}

int main(int argc, char **argv)
{
	bool big = false, forks = false, hold = false;
	struct region r[5];
	int n = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: precise-mapper DIR [--big] [--fork] [--hold]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		big |= strcmp(argv[i], "--big") == 0;
		forks |= strcmp(argv[i], "--fork") == 0;
		hold |= strcmp(argv[i], "--hold") == 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	double t0 = now();
	int f2 = file_of(argv[1], "precise-2g", 2 * GiB);
	r[n++] = (struct region){ "shared-2g", map("shared-2g", 2 * GiB, PROT_READ, MAP_SHARED, f2), 2 * GiB };
	if (big) {
		int f64 = file_of(argv[1], "precise-64g", 64 * GiB);
		r[n++] = (struct region){ "sparse-64g", map("sparse-64g", 64 * GiB, PROT_READ, MAP_SHARED, f64),
					  64 * GiB };
	}
	int mfd = memfd_create("precise-memfd", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)(64 * MiB)) != 0)
		return 2;
	r[n++] = (struct region){ "memfd", map("memfd", 64 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, mfd),
				  64 * MiB };
	int fp = file_of(argv[1], "precise-private", 256 * MiB);
	r[n++] = (struct region){ "private-written",
				  map("private", 256 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE, fp), 256 * MiB };
	char *heap = malloc(128 * MiB);
	if (!heap)
		return 2;
	r[n++] = (struct region){ "heap", heap, 128 * MiB };
	double t_map = now() - t0;

	touch(r[0].p, 512 * MiB);
	if (big)
		touch(r[1].p, 64 * MiB);
	memset(r[n - 3].p, 1, 64 * MiB);   /* memfd */
	memset(r[n - 2].p, 2, 32 * MiB);   /* 32 MiB of the private mapping */
	memset(heap, 3, 128 * MiB);
	double t_all = now() - t0;

	report("region", r, n);
	printf("seconds map %.3f total %.3f\n", t_map, t_all);
	if (forks) {
		pid_t pid = fork();
		if (pid == 0) {
			report("child", r, n);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	if (hold) {
		printf("ready %d\n", (int)getpid());
		pause();
	}
	return 0;
}
