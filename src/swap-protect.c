/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Is a swap area served from user space protected from DT-007? The one
 * rule, which status's gauge, doctor's verdict and whatever keeps servers
 * locked all ask: every process that serves it is locked (its report's
 * lock state), and one that shares a memory-limited cgroup with other
 * processes also has PR_SET_IO_FLUSHER on every thread, since there a lock
 * alone did not keep the rig from hanging. An area whose servers are not
 * known, or not all seen, is not protected: nothing says they are locked.
 */
#include <errno.h>

#include "duende-mlock.h"
#include "platform.h"
#include "report-rules.h"
#include "report.h"
#include "swaps.h"

static bool server_protects(pid_t pid)
{
	struct duende_mlock_report r;
	struct duende_mlock_cgroup cg;

	if (dm_read_report(pid, &r, sizeof(r)) != 0 ||
	    dm_lock_state(r.known, r.vm_lck, r.verdicts) != DUENDE_MLOCK_LOCK_STATE_LOCKED)
		return false;
	/* A cgroup that cannot be read limits nothing that is known. */
	if (dm_memory_cgroup(pid, &cg) != 0 || !dm_cgroup_shared_limited(&cg))
		return true;
	return (r.known & DUENDE_MLOCK_R_TASKS) && (r.verdicts & DUENDE_MLOCK_V_IO_FLUSHER);
}

bool dm_swap_servers_protected(const pid_t *servers, uint32_t nservers, uint32_t held)
{
	if (nservers == 0 || nservers > held)
		return false;
	for (uint32_t i = 0; i < nservers; i++)
		if (!server_protects(servers[i]))
			return false;
	return true;
}

DM_EXPORT int duende_mlock_swap_protected(const struct duende_mlock_swaps *swaps, uint32_t i)
{
	const struct duende_mlock_swap *sw;

	if (!swaps || i >= swaps->count || i >= DUENDE_MLOCK_SWAPS_MAX)
		return -EINVAL;
	sw = &swaps->area[i];
	if (!sw->user_space)
		return 1; /* the kernel serves it: no process to wait on */
	return dm_swap_servers_protected(sw->servers, sw->nservers, DUENDE_MLOCK_SWAP_SERVERS) ? 1 : 0;
}
