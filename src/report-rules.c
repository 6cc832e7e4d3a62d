/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include <string.h>

#include "duende-mlock.h"
#include "platform.h"
#include "report-rules.h"

bool dm_io_flusher_in(uint64_t task_flags)
{
	const uint64_t both = DUENDE_MLOCK_PF_MEMALLOC_NOIO | DUENDE_MLOCK_PF_LOCAL_THROTTLE;

	return (task_flags & both) == both;
}

enum duende_mlock_lock_state dm_lock_state(uint32_t known, uint64_t vm_lck, uint32_t verdicts)
{
	if (!(known & DUENDE_MLOCK_R_STATUS))
		return DUENDE_MLOCK_LOCK_STATE_UNKNOWN;
	if (verdicts & DUENDE_MLOCK_V_NO_USER_MEMORY)
		return DUENDE_MLOCK_LOCK_STATE_NOT_APPLICABLE;
	if (verdicts & DUENDE_MLOCK_V_LOCKED)
		return DUENDE_MLOCK_LOCK_STATE_LOCKED;
	return vm_lck ? DUENDE_MLOCK_LOCK_STATE_PARTLY_LOCKED : DUENDE_MLOCK_LOCK_STATE_NOT_LOCKED;
}

DM_EXPORT enum duende_mlock_lock_state
duende_mlock_report_lock_state(const struct duende_mlock_report *r)
{
	if (!r)
		return DUENDE_MLOCK_LOCK_STATE_UNKNOWN;
	return dm_lock_state(r->known, r->vm_lck, r->verdicts);
}

bool dm_file_data_too_much(uint64_t file_mapped, uint64_t headroom, uint64_t mem_total)
{
	if (file_mapped > DUENDE_MLOCK_FILE_DATA_PIN_MAX)
		return true;
	if (headroom != DUENDE_MLOCK_UNLIMITED && file_mapped > headroom)
		return true;
	/* Pinned, it would take more than half the machine. */
	return mem_total && file_mapped > mem_total / 2;
}

static const char *const container_names[] = {
	[DUENDE_MLOCK_CONTAINER_NONE] = "",
	[DUENDE_MLOCK_CONTAINER_DOCKER] = "docker",
	[DUENDE_MLOCK_CONTAINER_PODMAN] = "podman",
	[DUENDE_MLOCK_CONTAINER_KUBERNETES] = "kubernetes",
};

enum duende_mlock_container dm_container_named(const char *name)
{
	for (size_t i = 1; i < DM_ARRAY_SIZE(container_names); i++)
		if (strcmp(name, container_names[i]) == 0)
			return (enum duende_mlock_container)i;
	return DUENDE_MLOCK_CONTAINER_NONE;
}

const char *dm_container_name(enum duende_mlock_container kind)
{
	if ((unsigned)kind >= DM_ARRAY_SIZE(container_names))
		return "";
	return container_names[kind];
}

bool dm_cgroup_shared_limited(const struct duende_mlock_cgroup *cg)
{
	return cg->limit != UINT64_MAX && cg->processes > 1;
}
