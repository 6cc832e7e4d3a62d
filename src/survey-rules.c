/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "lock-rules.h"
#include "survey.h"

bool dm_io_flusher_in(uint64_t task_flags)
{
	const uint64_t both = DUENDE_MLOCK_PF_MEMALLOC_NOIO | DUENDE_MLOCK_PF_LOCAL_THROTTLE;

	return (task_flags & both) == both;
}

uint64_t dm_survey_lock_need(const struct duende_mlock_survey *s)
{
	/* The default lock: current and future pages. */
	return dm_counted_after_lock(true, s->process.vm_size, s->process.vm_lck);
}

uint64_t dm_survey_headroom_after(const struct duende_mlock_survey *s)
{
	return dm_headroom(s->process.cap_ipc_lock, s->process.memlock_soft, dm_survey_lock_need(s));
}

bool dm_survey_io_flusher(const struct duende_mlock_survey *s)
{
	return dm_io_flusher_in(s->process.task_flags);
}
