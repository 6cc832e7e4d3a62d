/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The Linux-only parts of the API on every other platform: there is no
 * /proc, no prctl and no oom_score_adj, so these report -ENOSYS, and
 * locking itself reports status "unsupported platform" (see lock.c).
 * Built instead of harden.c, report.c, scan.c, survey.c, swaps.c and
 * reader.c (meson.build decides).
 */
#include <errno.h>
#include <string.h>

#include "drop.h"
#include "duende-mlock.h"
#include "platform.h"

DM_EXPORT int duende_mlock_raise_memlock(uint64_t *soft_after)
{
	(void)soft_after;
	return -ENOSYS;
}

DM_EXPORT int duende_mlock_set_memlock_limit(uint64_t bytes)
{
	(void)bytes;
	return -ENOSYS;
}

DM_EXPORT int duende_mlock_set_io_flusher(void)
{
	return -ENOSYS;
}

DM_EXPORT int duende_mlock_set_oom_score_adj(int adj)
{
	return adj < -1000 || adj > 1000 ? -EINVAL : -ENOSYS;
}

DM_EXPORT int duende_mlock_prefault_stack(size_t bytes)
{
	return bytes ? -ENOSYS : 0;
}

DM_EXPORT int duende_mlock_harden(const struct duende_mlock_harden_config *cfg,
				  struct duende_mlock_harden_result *res)
{
	int first = 0;

	if (!cfg || !res)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	const bool asked[DUENDE_MLOCK_STEP_COUNT] = {
		[DUENDE_MLOCK_STEP_RAISE_MEMLOCK] = cfg->raise_memlock,
		[DUENDE_MLOCK_STEP_IO_FLUSHER] = cfg->io_flusher,
		[DUENDE_MLOCK_STEP_OOM_SCORE_ADJ] = cfg->set_oom_score_adj,
		[DUENDE_MLOCK_STEP_MALLOC] = cfg->malloc_keep,
		[DUENDE_MLOCK_STEP_PREFAULT_STACK] = cfg->prefault_stack != 0,
	};
	for (int step = 0; step < DUENDE_MLOCK_STEP_COUNT; step++) {
		if (!asked[step])
			continue;
		res->steps[step].requested = true;
		res->steps[step].rc = -ENOSYS;
		if (!first)
			first = -ENOSYS;
	}
	if (cfg->lock) {
		res->steps[DUENDE_MLOCK_STEP_LOCK].requested = true;
		res->steps[DUENDE_MLOCK_STEP_LOCK].rc =
			duende_mlock_lock_with_config(&cfg->lock_config, &res->lock_status);
	}
	return first;
}

DM_EXPORT int duende_mlock_report_pid(pid_t pid, struct duende_mlock_report *r)
{
	if (!r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	return -ENOSYS;
}

DM_EXPORT int duende_mlock_survey_pid(pid_t pid, struct duende_mlock_survey *s)
{
	(void)pid;
	if (!s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	return -ENOSYS;
}

DM_EXPORT int duende_mlock_locked_pids(pid_t *pids, size_t cap)
{
	(void)pids;
	(void)cap;
	return -ENOSYS;
}

DM_EXPORT int duende_mlock_find_pids(const char *spec, pid_t *pids, size_t cap)
{
	(void)pids;
	(void)cap;
	return spec ? -ENOSYS : -EINVAL;
}

DM_EXPORT int duende_mlock_read_swaps(struct duende_mlock_swaps *swaps)
{
	if (!swaps)
		return -EINVAL;
	memset(swaps, 0, sizeof(*swaps));
	swaps->error = -ENOSYS;
	return -ENOSYS;
}

DM_EXPORT int duende_mlock_swap_served_by(const struct duende_mlock_swaps *swaps, pid_t pid,
					  uint32_t from)
{
	(void)from;
	return swaps && pid > 0 ? -ENOENT : -EINVAL;
}

DM_EXPORT int duende_mlock_drop_outlook(struct duende_mlock_drop *drop, size_t size)
{
	if (!drop || size < DM_DROP_SIZE_1_2)
		return -EINVAL;
	memset(drop, 0, size);
	return -ENOSYS;
}
