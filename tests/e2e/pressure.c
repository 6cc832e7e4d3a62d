/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Memory pressure for the DT-007 rig: touch MIB MiB of anonymous memory,
 * every page, PASSES times, then print how long it took. Run inside a
 * memory cgroup with a smaller limit, it drives the kernel to swap. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	long passes = argc > 2 ? strtol(argv[2], NULL, 10) : 3;
	long page = sysconf(_SC_PAGESIZE);
	struct timespec a, b;

	if (mib <= 0 || mib > 1 << 20 || passes <= 0 || passes > 1000) {
		fprintf(stderr, "usage: pressure MIB [PASSES]\n");
		return 64;
	}
	size_t len = (size_t)mib << 20;
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("pressure: mmap");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long pass = 0; pass < passes; pass++)
		for (size_t off = 0; off < len; off += (size_t)page)
			p[off] = (char)(pass + 1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("pressure: %ld MiB x %ld passes in %.0f ms\n", mib, passes,
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
	return 0;
}
