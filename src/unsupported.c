/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The Linux-only parts of the API on every other platform: there is no
 * /proc, no prctl and no oom_score_adj, so these report -ENOSYS, and
 * locking itself reports status "unsupported platform" (see lock.c).
 * Built instead of drop.c, elf-imports.c, harden.c, report.c, scan.c,
 * survey.c, swaps.c and the readers (meson.build decides).
 */
#include <errno.h>
#include <string.h>

#include "drop.h"
#include "duende-mlock.h"
#include "layout.h"
#include "platform.h"
#include "report.h"

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

DM_EXPORT int duende_mlock_get_io_flusher(void)
{
	return -ENOSYS;
}

DM_EXPORT int duende_mlock_set_oom_score_adj(int adj)
{
	return adj < DUENDE_MLOCK_OOM_SCORE_ADJ_MIN || adj > DUENDE_MLOCK_OOM_SCORE_ADJ_MAX ? -EINVAL
												  : -ENOSYS;
}

DM_EXPORT int duende_mlock_prefault_stack(size_t bytes)
{
	return bytes ? -ENOSYS : 0;
}

DM_EXPORT int duende_mlock_report_pid_sized(pid_t pid, struct duende_mlock_report *r, size_t size)
{
	if (!r || size < DM_REPORT_SIZE_1_1)
		return -EINVAL;
	memset(r, 0, size);
	r->pid = pid;
	return -ENOSYS;
}

DM_EXPORT int(duende_mlock_report_pid)(pid_t pid, struct duende_mlock_report *r)
{
	return duende_mlock_report_pid_sized(pid, r, DM_REPORT_SIZE_1_1);
}

DM_EXPORT int duende_mlock_survey_pid_sized(pid_t pid, struct duende_mlock_survey *s, size_t size)
{
	(void)pid;
	if (!s || size < DM_SURVEY_SIZE_1_2)
		return -EINVAL;
	memset(s, 0, size);
	return -ENOSYS;
}

DM_EXPORT int(duende_mlock_survey_pid)(pid_t pid, void *s)
{
	(void)pid;
	if (!s)
		return -EINVAL;
	memset(s, 0, sizeof(struct dm_v11_survey));
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

DM_EXPORT int duende_mlock_read_swaps_sized(struct duende_mlock_swaps *swaps, size_t size)
{
	if (!swaps || size < DM_SWAPS_SIZE_1_2)
		return -EINVAL;
	memset(swaps, 0, size);
	swaps->error = -ENOSYS;
	return -ENOSYS;
}

DM_EXPORT int(duende_mlock_read_swaps)(void *swaps)
{
	struct dm_v11_swaps *old = swaps;

	if (!old)
		return -EINVAL;
	memset(old, 0, sizeof(*old));
	old->error = -ENOSYS;
	return -ENOSYS;
}

DM_EXPORT int duende_mlock_swap_served_by_sized(const struct duende_mlock_swaps *swaps, pid_t pid,
						uint32_t from)
{
	(void)from;
	return swaps && pid > 0 ? -ENOENT : -EINVAL;
}

DM_EXPORT int(duende_mlock_swap_served_by)(const void *swaps, pid_t pid, uint32_t from)
{
	(void)from;
	return swaps && pid > 0 ? -ENOENT : -EINVAL;
}

DM_EXPORT int duende_mlock_drop_outlook_sized(struct duende_mlock_drop *drop, size_t size)
{
	if (!drop || size < DM_DROP_SIZE_1_2)
		return -EINVAL;
	memset(drop, 0, size);
	return -ENOSYS;
}

DM_EXPORT int duende_mlock_program_drops_privileges(const char *path)
{
	return path && *path ? -ENOSYS : -EINVAL;
}

/* No mmap(2) here: the call fails as an unknown system call does. */
DM_EXPORT void *duende_mlock_mmap_precise(void *addr, size_t length, int prot, int flags, int fd,
					  int64_t offset)
{
	(void)addr;
	(void)length;
	(void)prot;
	(void)flags;
	(void)fd;
	(void)offset;
	errno = ENOSYS;
	return (void *)-1;
}

DM_EXPORT int duende_mlock_mprotect_precise(void *addr, size_t length, int prot)
{
	(void)addr;
	(void)length;
	(void)prot;
	errno = ENOSYS;
	return -1;
}

DM_EXPORT int duende_mlock_swap_protected(const struct duende_mlock_swaps *swaps, uint32_t i)
{
	return swaps && i < swaps->count ? 1 : -EINVAL; /* no area is ever read here */
}
