/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A program that maps 16 MiB before main() runs (its .bss), more than the
 * usual 8 MiB RLIMIT_MEMLOCK: what `doctor -- PROGRAM` must judge, not the
 * doctor's own few MiB. Its main() says so if it ever runs. */
#include <stdio.h>

static char big[16 << 20];

int main(int argc, char **argv)
{
	(void)argv;
	big[argc] = 1; /* used, so the mapping stays */
	printf("main() ran (%zu bytes mapped before it, %d)\n", sizeof(big), big[1]);
	return 0;
}
