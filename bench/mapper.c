/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * mapper: a locked process with many mappings, for the status scan
 * benchmark. Maps N one-page anonymous mappings whose protections
 * alternate (so the kernel cannot merge them), locks everything with
 * mlockall, prints "ready" and waits to be killed.
 *
 *   mapper N
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc == 2 ? strtol(argv[1], NULL, 10) : -1;
	long page = sysconf(_SC_PAGESIZE);

	if (n < 0) {
		fprintf(stderr, "usage: mapper N\n");
		return 64;
	}
	for (long i = 0; i < n; i++) {
		int prot = i % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
		if (mmap(NULL, (size_t)page, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
		perror("mlockall");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
