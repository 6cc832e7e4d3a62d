/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The time mmap(2) of a whole file takes, with its pages dropped from the
 * page cache first (as after a reboot, or after other work pushed them
 * out): under MCL_FUTURE the kernel reads every page in and locks it
 * inside mmap itself. Prints "mmap SECONDS vmlck BYTES rss BYTES".
 * Usage: mapfile FILE */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long long status_kb(const char *key)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			sscanf(line + strlen(key), ": %lld", &v);
	if (f)
		fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	int fd = argc == 2 ? open(argv[1], O_RDONLY | O_CLOEXEC) : -1;
	off_t size;
	double t;
	void *p;

	if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) <= 0) {
		fprintf(stderr, "usage: mapfile FILE (a file that can be read)\n");
		return 2;
	}
	(void)fdatasync(fd);
	(void)posix_fadvise(fd, 0, size, POSIX_FADV_DONTNEED);
	t = now();
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	t = now() - t;
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("mmap %.3f vmlck %lld rss %lld\n", t, status_kb("VmLck") * 1024, status_kb("VmRSS") * 1024);
	return 0;
}
