/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A program that maps 16 MiB before main() runs (its .bss), more than the
 * usual 8 MiB RLIMIT_MEMLOCK: what `doctor -- PROGRAM` must judge, not the
 * doctor's own few MiB. Its main() says so if it ever runs; run as a CGI
 * program (GATEWAY_INTERFACE set) it answers with a CGI header first and
 * says how much of it is locked: a helper over the limit that must run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char big[16 << 20];

static void print_vmlck(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmLck:", 6) == 0)
			fputs(line, stdout);
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	(void)argv;
	big[argc] = 1; /* used, so the mapping stays */
	if (getenv("GATEWAY_INTERFACE"))
		printf("Content-Type: text/plain\r\n\r\n");
	printf("main() ran (%zu bytes mapped before it, %d)\n", sizeof(big), big[1]);
	if (getenv("GATEWAY_INTERFACE"))
		print_vmlck();
	return 0;
}
