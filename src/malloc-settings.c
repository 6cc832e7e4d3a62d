/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "malloc-settings.h"

#include <errno.h>

#include "config.h"
#include "duende-mlock.h"
#include "platform.h"

#if HAVE_MALLOPT
#include <malloc.h>
#endif

int dm_malloc_single_arena(void)
{
#if HAVE_MALLOPT
	return mallopt(M_ARENA_MAX, 1) == 1 ? 0 : -EINVAL;
#else
	return -ENOTSUP;
#endif
}

DM_EXPORT int duende_mlock_malloc_keep(void)
{
#if HAVE_MALLOPT
	/* -1 disables trimming the heap top; 0 mmaps keeps large blocks in
	 * the heap, where free() leaves them instead of unmapping. */
	if (mallopt(M_TRIM_THRESHOLD, -1) != 1 || mallopt(M_MMAP_MAX, 0) != 1)
		return -EINVAL;
	return 0;
#else
	return -ENOTSUP;
#endif
}
