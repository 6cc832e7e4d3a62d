/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The survey's verdicts: each fact survey.c gathered, judged as a finding
 * with its severity. Built for whichever layout the unit is for. */
#include <string.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "layout.h"
#include "lock-rules.h"
#include "report.h"
#include "survey.h"
#include "swaps.h"

static void found(DM_SURVEY *s, enum duende_mlock_finding_code code,
		  enum duende_mlock_severity severity, uint32_t swap)
{
	if (severity > s->verdict)
		s->verdict = severity;
	if (s->nfindings == DM_SURVEY_FINDINGS) {
#if DM_LAYOUT_HAS_SIZE
		s->flags |= DUENDE_MLOCK_SURVEY_F_TRUNCATED;
#endif
		return;
	}
	s->findings[s->nfindings++] = (struct duende_mlock_finding){ .code = code,
								       .severity = severity,
								       .swap = swap };
}

static void judge_limits(DM_SURVEY *s)
{
	const DM_SURVEY_REPORT *r = &s->process;
	uint64_t need = dm_survey_lock_need(s);

	if (r->cap_ipc_lock) {
		found(s, DUENDE_MLOCK_FOUND_CAP_IPC_LOCK, DUENDE_MLOCK_SEVERITY_OK, 0);
	} else if (!(r->known & DUENDE_MLOCK_R_LIMITS)) {
		found(s, DUENDE_MLOCK_FOUND_LIMITS_UNREADABLE, DUENDE_MLOCK_SEVERITY_WARNING, 0);
	} else if (r->memlock_soft == DUENDE_MLOCK_UNLIMITED) {
		found(s, DUENDE_MLOCK_FOUND_MEMLOCK_UNLIMITED, DUENDE_MLOCK_SEVERITY_OK, 0);
	} else if (r->vm_lck > 0) {
		/* Locked already, without the capability (a daemon that dropped
		 * root): the limit binds what it holds and what MCL_FUTURE locks
		 * next. Never "cannot lock": it is locked. */
		bool covers = dm_limit_covers_lock(r->memlock_soft, r->vm_lck);
		found(s, covers ? DUENDE_MLOCK_FOUND_MEMLOCK_COVERS : DUENDE_MLOCK_FOUND_LOCKED_SHORT,
		      covers ? DUENDE_MLOCK_SEVERITY_OK : DUENDE_MLOCK_SEVERITY_WARNING, 0);
	} else if (r->memlock_soft < need || r->memlock_soft == 0) {
		bool hard_fits = r->memlock_hard == DUENDE_MLOCK_UNLIMITED || r->memlock_hard >= need;
		found(s, hard_fits ? DUENDE_MLOCK_FOUND_MEMLOCK_SOFT_LOW : DUENDE_MLOCK_FOUND_MEMLOCK_TOO_LOW,
		      hard_fits ? DUENDE_MLOCK_SEVERITY_WARNING : DUENDE_MLOCK_SEVERITY_CANNOT_LOCK, 0);
	} else {
		found(s, DUENDE_MLOCK_FOUND_MEMLOCK_COVERS,
		      dm_survey_headroom_after(s) < DM_SURVEY_LOW_HEADROOM ? DUENDE_MLOCK_SEVERITY_WARNING
									: DUENDE_MLOCK_SEVERITY_OK,
		      0);
	}
}

static void judge_caps(DM_SURVEY *s)
{
	const DM_SURVEY_REPORT *r = &s->process;

	if (!(r->known & DUENDE_MLOCK_R_STATUS)) {
		found(s, DUENDE_MLOCK_FOUND_CAPS_UNREADABLE, DUENDE_MLOCK_SEVERITY_WARNING, 0);
		return;
	}
	if (!dm_cap_in(r->cap_bounding, DM_CAP_IPC_LOCK))
		found(s, DUENDE_MLOCK_FOUND_NO_IPC_LOCK_BOUND, DUENDE_MLOCK_SEVERITY_WARNING, 0);
	if (!dm_cap_effective(r->cap_effective, DM_CAP_SYS_RESOURCE,
			      !(r->verdicts & DUENDE_MLOCK_V_USER_NAMESPACE)))
		found(s, DUENDE_MLOCK_FOUND_NO_SYS_RESOURCE, DUENDE_MLOCK_SEVERITY_WARNING, 0);
}

/* A root process with CAP_IPC_LOCK loses it when it drops to a service
 * user; where its hard limit cannot cover its lock then, say what will
 * happen (its program can drop) or what did (its locked children under
 * another uid, short or not). Run under exec (the probe of doctor --
 * PROGRAM), the shim keeps the capability through the drop. */
static void judge_drop(DM_SURVEY *s)
{
#if DM_LAYOUT_HAS_SIZE
	const DM_SURVEY_REPORT *r = &s->process;
	uint64_t need = r->vm_lck > 0 ? r->vm_lck : dm_survey_lock_need(s);

	if (s->dropped_children)
		found(s, DUENDE_MLOCK_FOUND_DROP,
		      s->dropped_children_short ? DUENDE_MLOCK_SEVERITY_WARNING : DUENDE_MLOCK_SEVERITY_OK, 0);
	else if (s->program_drops == 1 && !dm_limit_covers_lock(r->memlock_hard, need))
		found(s, DUENDE_MLOCK_FOUND_DROP,
		      s->preloaded ? DUENDE_MLOCK_SEVERITY_OK : DUENDE_MLOCK_SEVERITY_WARNING, 0);
#else
	(void)s;
#endif
}

/* A process asked about (another than the caller: the doctor itself,
 * and a program probed before its lock, are not locked yet) that is not
 * locked, or only partly, is a warning, never "ok". */
static enum duende_mlock_severity task_severity(const DM_SURVEY *s)
{
	enum duende_mlock_lock_state state = dm_survey_lock_state(s);

	if (s->process.pid == getpid())
		return DUENDE_MLOCK_SEVERITY_OK;
	return state == DUENDE_MLOCK_LOCK_STATE_NOT_LOCKED || state == DUENDE_MLOCK_LOCK_STATE_PARTLY_LOCKED
		       ? DUENDE_MLOCK_SEVERITY_WARNING
		       : DUENDE_MLOCK_SEVERITY_OK;
}

static void judge_kernel(DM_SURVEY *s)
{
	if (s->kernel_onfault == 0)
		found(s, DUENDE_MLOCK_FOUND_KERNEL_NO_ONFAULT, DUENDE_MLOCK_SEVERITY_WARNING, 0);
	if (s->kernel_io_flusher == 0)
		found(s, DUENDE_MLOCK_FOUND_KERNEL_NO_IO_FLUSHER, DUENDE_MLOCK_SEVERITY_WARNING, 0);
	if (s->process.known & DUENDE_MLOCK_R_STAT)
		found(s, DUENDE_MLOCK_FOUND_TASK, task_severity(s), 0);
}

static bool process_locked(const DM_SURVEY *s)
{
	return dm_survey_lock_state(s) == DUENDE_MLOCK_LOCK_STATE_LOCKED;
}

/* Besides its lock, a v2 cgroup can keep the daemon out of swap
 * (memory.swap.max 0) and protect its memory from reclaim (memory.min,
 * memory.low). Without them an unlocked daemon is exposed; a locked one
 * is told what more would protect it. */
static void judge_v2_protection(DM_SURVEY *s)
{
	const struct duende_mlock_cgroup *cg = &s->cgroup;
	enum duende_mlock_severity exposed =
		process_locked(s) ? DUENDE_MLOCK_SEVERITY_OK : DUENDE_MLOCK_SEVERITY_WARNING;
	bool swaps = cg->swap_max != 0, unprotected = cg->min == 0 && cg->low == 0;

#if DM_LAYOUT_HAS_SIZE
	/* What is in force up the ancestry, not only what the leaf says. */
	if (s->flags & DUENDE_MLOCK_SURVEY_F_EFFECTIVE) {
		swaps = cg->effective_swap_max != 0;
		unprotected = cg->effective_min == 0 && cg->effective_low == 0;
	}
#endif

	if (swaps)
		found(s, DUENDE_MLOCK_FOUND_CGROUP_V2_SWAP, exposed, 0);
	if (unprotected)
		found(s, DUENDE_MLOCK_FOUND_CGROUP_V2_UNPROTECTED, exposed, 0);
	if (!swaps && !unprotected)
		found(s, DUENDE_MLOCK_FOUND_CGROUP_V2_PROTECTED, DUENDE_MLOCK_SEVERITY_OK, 0);
}

static void judge_cgroup(DM_SURVEY *s)
{
	const struct duende_mlock_cgroup *cg = &s->cgroup;

	if (s->cgroup_error)
		found(s, DUENDE_MLOCK_FOUND_NO_CGROUP, DUENDE_MLOCK_SEVERITY_OK, 0);
	else if (dm_cgroup_shared_limited(cg) && !dm_survey_io_flusher(s))
		/* v1 reclaim waits on writeback bound for the daemon itself. On
		 * v2 (Linux 6.12, in the DT-007 rig) a locked FUSE daemon that
		 * shared a 40 MiB cgroup with the pressure hung in some runs and
		 * the others were OOM-killed. */
		found(s, cg->version == 1 ? DUENDE_MLOCK_FOUND_CGROUP_V1_SHARED
					  : DUENDE_MLOCK_FOUND_CGROUP_V2_SHARED,
		      DUENDE_MLOCK_SEVERITY_WARNING, 0);
	else
		found(s, DUENDE_MLOCK_FOUND_CGROUP, DUENDE_MLOCK_SEVERITY_OK, 0);
	if (!s->cgroup_error && cg->version == 2 && cg->protection_known)
		judge_v2_protection(s);
#if DM_LAYOUT_HAS_SIZE
	/* v1 has no memory.min or memory.swap.max: said, so that no one
	 * counts on MemorySwapMax= or MemoryMin= there. */
	if (!s->cgroup_error && cg->version == 1)
		found(s, DUENDE_MLOCK_FOUND_CGROUP_V1_PROTECTION, DUENDE_MLOCK_SEVERITY_OK, 0);
#endif
}

/* A swap served from user space endangers the host until it is
 * protected (swap-protect.c: the one rule). */
static bool servers_locked(const DM_SWAP *sw)
{
	return dm_swap_servers_protected(sw->servers, sw->nservers, DM_SWAP_SERVERS);
}

static void judge_swaps(DM_SURVEY *s)
{
	const DM_SWAPS *sw = &s->swaps;

	if (sw->error) {
		found(s, DUENDE_MLOCK_FOUND_SWAPS_UNREADABLE, DUENDE_MLOCK_SEVERITY_WARNING, 0);
		return;
	}
	if (!sw->count)
		found(s, DUENDE_MLOCK_FOUND_NO_SWAP, DUENDE_MLOCK_SEVERITY_OK, 0);
	for (uint32_t i = 0; i < sw->count; i++) {
		if (sw->area[i].user_space)
			found(s, DUENDE_MLOCK_FOUND_SWAP_USER_SPACE,
			      servers_locked(&sw->area[i]) ? DUENDE_MLOCK_SEVERITY_OK
							   : DUENDE_MLOCK_SEVERITY_WARNING, i);
		else
			found(s, DUENDE_MLOCK_FOUND_SWAP, DUENDE_MLOCK_SEVERITY_OK, i);
	}
#if DM_LAYOUT_HAS_SIZE
	for (uint32_t i = 0; i < sw->count && s->min_free_bytes; i++)
		if (sw->area[i].user_space) {
			found(s, DUENDE_MLOCK_FOUND_MIN_FREE, DUENDE_MLOCK_SEVERITY_OK, i);
			break;
		}
#endif
}

/* The process itself serves a swap area: unlocked, it is the DT-007
 * deadlock waiting to happen. */
static void judge_serving(DM_SURVEY *s)
{
	int i = -1;

	while ((i = dm_swap_served_by(&s->swaps, s->process.pid, (uint32_t)(i + 1))) >= 0)
		found(s, DUENDE_MLOCK_FOUND_SERVES_SWAP,
		      process_locked(s) ? DUENDE_MLOCK_SEVERITY_OK : DUENDE_MLOCK_SEVERITY_WARNING,
		      (uint32_t)i);
}

#if DM_LAYOUT_HAS_SIZE
/* File data pinned by the lock, or to be pinned by it: a clean page could
 * simply be dropped and read back from its file, and a mapping larger
 * than RAM cannot be locked at all. Under a precise lock it is left to
 * the kernel. */
static void judge_file_data(DM_SURVEY *s)
{
	const DM_SURVEY_REPORT *r = &s->process;

	if (!(r->known & DUENDE_MLOCK_R_SMAPS))
		return;
	if (r->verdicts & DUENDE_MLOCK_V_FILE_DATA_UNLOCKED)
		found(s, DUENDE_MLOCK_FOUND_FILE_DATA_UNPINNED, DUENDE_MLOCK_SEVERITY_OK, 0);
	else if (dm_file_data_too_much(r->file_mapped, r->headroom, s->mem_total))
		found(s, DUENDE_MLOCK_FOUND_FILE_DATA_PINNED, DUENDE_MLOCK_SEVERITY_WARNING, 0);
}
#endif

void dm_survey_judge(DM_SURVEY *s)
{
	if (s->process.verdicts & DUENDE_MLOCK_V_NO_USER_MEMORY) {
		found(s, DUENDE_MLOCK_FOUND_NO_USER_MEMORY, DUENDE_MLOCK_SEVERITY_NOT_APPLICABLE, 0);
		return;
	}
	judge_limits(s);
	judge_drop(s);
	judge_caps(s);
	judge_kernel(s);
	judge_cgroup(s);
	judge_swaps(s);
	judge_serving(s);
#if DM_LAYOUT_HAS_SIZE
	judge_file_data(s);
#endif
}
