/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The baseline for bench/forkcost.sh: a preload that does what a plain
 * mlockall shim does, and nothing for forked children. */
#include <stdio.h>
#include <sys/mman.h>

__attribute__((constructor)) static void plain_lock(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
		perror("plainlock: mlockall");
}
