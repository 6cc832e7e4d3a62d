/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#define _GNU_SOURCE
#include "lean.h"

#include <errno.h>

#include "config.h"
#include "malloc-settings.h"

#if HAVE_PTHREAD_SETATTR_DEFAULT_NP
#include <pthread.h>
#endif

static int default_thread_stack(size_t stack_size)
{
#if HAVE_PTHREAD_SETATTR_DEFAULT_NP
	pthread_attr_t attr;
	int rc;

	rc = pthread_getattr_default_np(&attr);
	if (rc)
		return -rc;
	rc = pthread_attr_setstacksize(&attr, stack_size);
	if (!rc)
		rc = pthread_setattr_default_np(&attr);
	pthread_attr_destroy(&attr);
	return -rc;
#else
	(void)stack_size;
	return -ENOTSUP;
#endif
}

int dm_apply_lean(size_t stack_size)
{
	int stack_rc = default_thread_stack(stack_size);
	int arena_rc = dm_malloc_single_arena();

	if (stack_rc == -ENOTSUP && arena_rc == -ENOTSUP)
		return -ENOTSUP;
	return stack_rc ? stack_rc : arena_rc == -ENOTSUP ? 0 : arena_rc;
}
