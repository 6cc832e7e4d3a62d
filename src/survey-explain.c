/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The survey's findings and its fix, in words, from its facts alone.
 * Names and paths from the system are escaped: a text may reach a
 * terminal. */
#include <errno.h>

#include "duende-mlock.h"
#include "layout.h"
#include "platform.h"
#include "remedy.h"
#include "survey.h"
#include "swaps.h"
#include "text.h"

static void put_cgroup(struct dm_text *t, const struct duende_mlock_cgroup *cg)
{
	dm_text_put(t, "memory cgroup v");
	dm_text_put_u64(t, (uint64_t)cg->version);
	dm_text_put(t, " ");
	dm_text_put_name(t, cg->path);
}

static void put_swap(struct dm_text *t, const DM_SWAP *sw)
{
	dm_text_put(t, "swap ");
	dm_text_put_name(t, sw->path);
	dm_text_put(t, " (");
	dm_text_put_name(t, sw->kind);
	dm_text_put(t, ", ");
	dm_text_put_bytes(t, sw->size);
	dm_text_put(t, ", priority ");
	dm_text_put_i64(t, sw->priority);
	dm_text_put(t, ")");
}

static void explain_limits(struct dm_text *t, const DM_SURVEY *s,
			   enum duende_mlock_finding_code code)
{
	const DM_SURVEY_REPORT *r = &s->process;
	uint64_t need = dm_survey_lock_need(s);

	switch (code) {
	case DUENDE_MLOCK_FOUND_CAP_IPC_LOCK:
		dm_text_put(t, "CAP_IPC_LOCK is effective: RLIMIT_MEMLOCK (soft ");
		dm_text_put_limit(t, r->memlock_soft);
		dm_text_put(t, ") does not bind; can lock all ");
		dm_text_put_bytes(t, need);
		dm_text_put(t, " mapped");
		break;
	case DUENDE_MLOCK_FOUND_MEMLOCK_UNLIMITED:
		dm_text_put(t, "RLIMIT_MEMLOCK is unlimited: can lock all ");
		dm_text_put_bytes(t, need);
		dm_text_put(t, " mapped");
		break;
	case DUENDE_MLOCK_FOUND_MEMLOCK_SOFT_LOW:
		dm_text_put(t, "RLIMIT_MEMLOCK soft ");
		dm_text_put_limit(t, r->memlock_soft);
		dm_text_put(t, " is below the ");
		dm_text_put_bytes(t, need);
		dm_text_put(t, r->memlock_soft ? " mapped (mlockall would fail with ENOMEM)"
					       : " mapped (mlockall would fail with EPERM)");
		dm_text_put(t, " but the hard limit ");
		dm_text_put_limit(t, r->memlock_hard);
		dm_text_put(t, " allows it: ");
		dm_put_fix_soft_limit(t);
		break;
	case DUENDE_MLOCK_FOUND_MEMLOCK_TOO_LOW:
		dm_text_put(t, "cannot lock: RLIMIT_MEMLOCK soft ");
		dm_text_put_limit(t, r->memlock_soft);
		dm_text_put(t, " / hard ");
		dm_text_put_limit(t, r->memlock_hard);
		dm_text_put(t, " is below the ");
		dm_text_put_bytes(t, need);
		dm_text_put(t, " mapped (VmSize, PROT_NONE reservations included) and "
			       "CAP_IPC_LOCK is missing");
		break;
	case DUENDE_MLOCK_FOUND_LOCKED_SHORT:
		dm_text_put(t, "PID ");
		dm_text_put_i64(t, r->pid);
		dm_text_put(t, " (uid ");
		dm_text_put_u64(t, r->uid);
		dm_text_put(t, ") holds ");
		dm_text_put_bytes(t, r->vm_lck);
		dm_text_put(t, " locked without CAP_IPC_LOCK, and RLIMIT_MEMLOCK soft ");
		dm_text_put_limit(t, r->memlock_soft);
		dm_text_put(t, " / hard ");
		dm_text_put_limit(t, r->memlock_hard);
		dm_text_put(t, " cannot cover it with ");
		dm_text_put_bytes(t, DM_SURVEY_LOW_HEADROOM);
		dm_text_put(t, " to spare: its new mappings beyond the limit fail (malloc NULL, mmap "
			       "EAGAIN, pthread_create EAGAIN) and its forked children cannot lock");
		if (r->uid != 0) {
			dm_text_put(t, "; it dropped root without keeping CAP_IPC_LOCK. Fix: ");
			dm_put_fix_drop(t, DM_DROP_FIX_OUTSIDE_EXEC);
		}
		break;
	default: { /* DUENDE_MLOCK_FOUND_MEMLOCK_COVERS */
		uint64_t room = r->vm_lck > 0 ? r->headroom : s->headroom_after_lock;

		dm_text_put(t, "RLIMIT_MEMLOCK soft ");
		dm_text_put_limit(t, r->memlock_soft);
		dm_text_put(t, " covers the ");
		dm_text_put_bytes(t, r->vm_lck > 0 ? r->vm_lck : need);
		dm_text_put(t, r->vm_lck > 0 ? " locked; " : " mapped; ");
		dm_text_put_bytes(t, room);
		dm_text_put(t, " of headroom left after locking it");
		if (room < DM_SURVEY_LOW_HEADROOM)
			dm_text_put(t, " (with MCL_FUTURE, mappings beyond it fail: malloc NULL, "
				       "pthread_create EAGAIN)");
	}
	}
}

static void explain_cgroup(struct dm_text *t, const DM_SURVEY *s,
			   enum duende_mlock_finding_code code)
{
	const struct duende_mlock_cgroup *cg = &s->cgroup;

	if (code == DUENDE_MLOCK_FOUND_NO_CGROUP) {
		dm_text_put(t, "no memory cgroup found for PID ");
		dm_text_put_i64(t, s->process.pid);
		return;
	}
	put_cgroup(t, cg);
	if (code == DUENDE_MLOCK_FOUND_CGROUP_V1_SHARED) {
		dm_text_put(t, " is limited to ");
		dm_text_put_bytes(t, cg->limit);
		dm_text_put(t, " and shared by ");
		dm_text_put_u64(t, cg->processes);
		dm_text_put(t, " processes: a swap-serving daemon here deadlocks even when locked "
			       "(cgroup v1 reclaim waits on writeback of swap pages bound for the "
			       "daemon itself; DT-007). Move the daemon to its own cgroup without a "
			       "limit, or give it PR_SET_IO_FLUSHER (CAP_SYS_RESOURCE)");
		return;
	}
	if (code == DUENDE_MLOCK_FOUND_CGROUP_V2_SHARED) {
		dm_text_put(t, " is limited to ");
		dm_text_put_bytes(t, cg->limit);
		dm_text_put(t, " and shared by ");
		dm_text_put_u64(t, cg->processes);
		dm_text_put(t, " processes: a swap-serving daemon here deadlocks even when locked "
			       "in some runs (reclaim in the shared cgroup waits on I/O the daemon "
			       "must serve; DT-007), and its locked memory counts against the limit. "
			       "Move the daemon to its own cgroup without a limit, or give it "
			       "PR_SET_IO_FLUSHER (CAP_SYS_RESOURCE)");
		return;
	}
	dm_text_put(t, ": ");
	if (cg->limit == UINT64_MAX) {
		dm_text_put(t, "no limit");
	} else {
		dm_text_put(t, "limit ");
		dm_text_put_bytes(t, cg->limit);
	}
	dm_text_put(t, ", ");
	dm_text_put_bytes(t, cg->usage);
	dm_text_put(t, " used, ");
	dm_text_put_u64(t, cg->processes);
	dm_text_put(t, " process(es)");
}

static void put_servers(struct dm_text *t, const DM_SWAP *sw)
{
	if (!sw->nservers)
		return;
	dm_text_put(t, sw->nservers == 1 ? " (PID " : " (PIDs ");
	for (uint32_t i = 0; i < sw->nservers && i < DM_SWAP_SERVERS; i++) {
		if (i)
			dm_text_put(t, ", ");
		dm_text_put_i64(t, sw->servers[i]);
	}
	dm_text_put(t, ")");
}

static void explain_swap(struct dm_text *t, const DM_SURVEY *s,
			 const struct duende_mlock_finding *f)
{
	const DM_SWAP *sw = &s->swaps.area[f->swap];

	if (f->code == DUENDE_MLOCK_FOUND_SERVES_SWAP) {
		dm_text_put(t, "PID ");
		dm_text_put_i64(t, s->process.pid);
		dm_text_put(t, " serves ");
		put_swap(t, sw);
		if (dm_survey_lock_state(s) == DUENDE_MLOCK_LOCK_STATE_LOCKED) {
			dm_text_put(t, " and is locked");
			return;
		}
		dm_text_put(t, " and is not locked: when its own pages go to that swap it waits "
			       "for itself (DT-007); lock it where it runs, since a restart is not safe "
			       "while swap is in use on its device: ");
		dm_put_fix_lock_running(t, s->process.pid);
		return;
	}
	put_swap(t, sw);
	if (f->code != DUENDE_MLOCK_FOUND_SWAP_USER_SPACE)
		return;
	dm_text_put(t, " is served from user space");
	if (sw->backing[0]) {
		dm_text_put(t, " via ");
		dm_text_put_name(t, sw->backing);
	}
	if (sw->backing_fstype[0]) {
		dm_text_put(t, " on ");
		dm_text_put_name(t, sw->backing_fstype);
	}
	put_servers(t, sw);
	if (f->severity == DUENDE_MLOCK_SEVERITY_OK) {
		dm_text_put(t, ": its daemon must be locked, and is");
		return;
	}
	dm_text_put(t, ": its daemon must be locked");
	if (!sw->nservers) {
		dm_text_put(t, " (which process serves it is not known)");
		return;
	}
	dm_text_put(t, "; a server that runs unlocked is locked where it runs (");
	for (uint32_t i = 0; i < sw->nservers && i < DM_SWAP_SERVERS; i++) {
		if (i)
			dm_text_put(t, "; ");
		dm_put_fix_lock_running(t, sw->servers[i]);
	}
	dm_text_put(t, ")");
}

static void explain_v2_protection(struct dm_text *t, const DM_SURVEY *s,
				  enum duende_mlock_finding_code code)
{
	const struct duende_mlock_cgroup *cg = &s->cgroup;

	uint64_t swap_max = cg->swap_max, min = cg->min, low = cg->low;
	bool ancestry = false;

#if DM_LAYOUT_HAS_SIZE
	if (s->flags & DUENDE_MLOCK_SURVEY_F_EFFECTIVE) {
		swap_max = cg->effective_swap_max;
		min = cg->effective_min;
		low = cg->effective_low;
		ancestry = true;
	}
#endif
	put_cgroup(t, cg);
	switch (code) {
	case DUENDE_MLOCK_FOUND_CGROUP_V2_SWAP:
		dm_text_put(t, ancestry ? ": memory.swap.max in force (the smallest up its ancestry) is "
					: ": memory.swap.max is ");
		dm_text_put_limit(t, swap_max == UINT64_MAX ? DUENDE_MLOCK_UNLIMITED : swap_max);
		dm_text_put(t, ", so what the lock does not hold may go to swap; memory.swap.max 0 ");
		dm_put_fix_no_swap(t);
		dm_text_put(t, " keeps all of it out");
		if (ancestry && cg->swap_max == 0)
			dm_text_put(t, " (its own is 0)");
		break;
	case DUENDE_MLOCK_FOUND_CGROUP_V2_UNPROTECTED:
		if (cg->min || cg->low) {
			dm_text_put(t, ": memory.min ");
			dm_text_put_bytes(t, cg->min);
			dm_text_put(t, " and memory.low ");
			dm_text_put_bytes(t, cg->low);
			dm_text_put(t, " are set here but not in force: an ancestor's are 0, and "
				       "protection reaches a cgroup only as far as every ancestor grants "
				       "it; set memory.min on each ancestor too (systemd: MemoryMin= on "
				       "its slice), or reclaim takes its memory like anyone's");
			break;
		}
		dm_text_put(t, ancestry ? ": memory.min and memory.low in force are 0, so reclaim takes "
					  "its memory like anyone's; memory.min of what it locks "
					: ": memory.min and memory.low are 0, so reclaim takes its memory like "
					  "anyone's; memory.min of what it locks ");
		dm_put_fix_memory_min(t);
		dm_text_put(t, " protects it");
		break;
	default: /* DUENDE_MLOCK_FOUND_CGROUP_V2_PROTECTED */
		dm_text_put(t, ancestry ? ": in force up its ancestry, no swap (memory.swap.max 0) and "
					  "memory.min "
					: ": no swap (memory.swap.max 0) and memory.min ");
		dm_text_put_bytes(t, min);
		dm_text_put(t, ", memory.low ");
		dm_text_put_bytes(t, low);
	}
}

#if DM_LAYOUT_HAS_SIZE
/* What v1 offers, and what it does not. */
static void explain_v1_protection(struct dm_text *t, const DM_SURVEY *s)
{
	put_cgroup(t, &s->cgroup);
	dm_text_put(t, ": cgroup v1 has no memory.min and no memory.swap.max (systemd ignores "
		       DM_MEMORY_MIN_SYSTEMD " and " DM_NO_SWAP_SYSTEMD " here), so nothing but its "
		       "lock keeps its memory out of swap and from reclaim");
}

/* vm.min_free_kbytes, where swap is served from user space. */
static void explain_min_free(struct dm_text *t, const DM_SURVEY *s)
{
	dm_text_put(t, "vm.min_free_kbytes is ");
	dm_text_put_u64(t, s->min_free_bytes / 1024);
	dm_text_put(t, " (");
	dm_text_put_bytes(t, s->min_free_bytes);
	if (s->mem_total) {
		dm_text_put(t, " of ");
		dm_text_put_bytes(t, s->mem_total);
		dm_text_put(t, " RAM");
	}
	dm_text_put(t, "): below that much free memory only reclaim and allocations that may not "
		       "wait are served. A swap served from user space is written out through its "
		       "server, whose own allocations on that path (FUSE requests, socket buffers) "
		       "cannot use that reserve and wait for reclaim: locked and with "
		       "PR_SET_IO_FLUSHER they never wait on the swap they serve; a larger value "
		       "(sysctl vm.min_free_kbytes) starts reclaim earlier and leaves them more room, "
		       "at the cost of that much RAM kept free");
}
#endif

/* " is locked (VmLck 36.3 MiB)", " is partly locked (VmLck 1 MiB, 3 of
 * 40 mappings)", " is not locked": the verdict status gives too
 * (DUENDE_MLOCK_V_LOCKED; mappings that cannot be accessed never count). */
static void put_lock_state(struct dm_text *t, const DM_SURVEY *s)
{
	const DM_SURVEY_REPORT *r = &s->process;
	enum duende_mlock_lock_state state = dm_survey_lock_state(s);

	if (state == DUENDE_MLOCK_LOCK_STATE_LOCKED) {
		dm_text_put(t, " is locked (VmLck ");
	} else if (state == DUENDE_MLOCK_LOCK_STATE_PARTLY_LOCKED) {
		dm_text_put(t, " is partly locked (VmLck ");
	} else {
		if (state == DUENDE_MLOCK_LOCK_STATE_NOT_LOCKED)
			dm_text_put(t, " is not locked");
		return;
	}
	dm_text_put_bytes(t, r->vm_lck);
	if (state == DUENDE_MLOCK_LOCK_STATE_PARTLY_LOCKED && (r->known & DUENDE_MLOCK_R_SMAPS)) {
		dm_text_put(t, ", ");
		dm_text_put_u64(t, r->locked_mappings);
		dm_text_put(t, " of ");
		dm_text_put_u64(t, r->mappings);
		dm_text_put(t, " mappings");
	}
	dm_text_put(t, ")");
}

static void explain_task(struct dm_text *t, const DM_SURVEY *s)
{
	const DM_SURVEY_REPORT *r = &s->process;

	dm_text_put(t, "PID ");
	dm_text_put_i64(t, r->pid);
	put_lock_state(t, s);
	if (r->known & DUENDE_MLOCK_R_TASKS) {
		dm_text_put(t, ": IO_FLUSHER on ");
		dm_text_put_u64(t, r->threads_io_flusher);
		dm_text_put(t, " of ");
		dm_text_put_u64(t, r->threads);
		dm_text_put(t, r->threads == 1 ? " thread" : " threads");
		if (r->threads_blocked) {
			dm_text_put(t, ", ");
			dm_text_put_u64(t, r->threads_blocked);
			dm_text_put(t, " in uninterruptible sleep (D)");
		}
		dm_text_put(t, ", ");
	} else {
		dm_text_put(t, dm_survey_io_flusher(s) ? ": IO_FLUSHER set, " : ": IO_FLUSHER not set, ");
	}
	dm_text_put_u64(t, r->major_faults);
	dm_text_put(t, " major page faults so far");
	if (r->known & DUENDE_MLOCK_R_OOM) {
		dm_text_put(t, ", oom_score_adj ");
		dm_text_put_i64(t, r->oom_score_adj);
	}
}

#if DM_LAYOUT_HAS_SIZE
/* What its file data costs, as measured in its smaps. */
static void explain_file_data(struct dm_text *t, const DM_SURVEY *s,
			      enum duende_mlock_finding_code code)
{
	const DM_SURVEY_REPORT *r = &s->process;

	dm_text_put(t, "PID ");
	dm_text_put_i64(t, r->pid);
	dm_text_put(t, " maps ");
	dm_text_put_bytes(t, r->file_mapped);
	dm_text_put(t, " of file data, ");
	dm_text_put_bytes(t, r->file_resident);
	dm_text_put(t, " resident, ");
	dm_text_put_bytes(t, r->file_pinned);
	dm_text_put(t, " pinned");
	if (code == DUENDE_MLOCK_FOUND_FILE_DATA_UNPINNED) {
		dm_text_put(t, ": ");
		dm_text_put_bytes(t, r->file_unlocked_size);
		dm_text_put(t, " of it is left to the kernel (a precise lock), which drops clean "
			       "pages and reads them back from their own file: no deadlock");
		return;
	}
	dm_text_put(t, ": the lock pins all of it (");
	if (r->vm_lck)
		dm_text_put(t, "it is locked: every page read in when mapped");
	else
		dm_text_put(t, "once locked: every page read in when mapped");
	if (r->headroom != DUENDE_MLOCK_UNLIMITED && r->file_mapped > r->headroom) {
		dm_text_put(t, "; more than the ");
		dm_text_put_bytes(t, r->headroom);
		dm_text_put(t, " it may still lock");
	} else if (s->mem_total && r->file_mapped > s->mem_total / 2) {
		dm_text_put(t, "; more than half of the ");
		dm_text_put_bytes(t, s->mem_total);
		dm_text_put(t, " of RAM");
	}
	dm_text_put(t, "), yet a page of file data can only return to its own file. ");
	dm_put_fix_precise(t);
}
#endif

/* The drop the process can make, or its children made (judge_drop). */
static void explain_drop(struct dm_text *t, const DM_SURVEY *s, enum duende_mlock_severity severity)
{
#if DM_LAYOUT_HAS_SIZE
	const DM_SURVEY_REPORT *r = &s->process;
	uint64_t need = r->vm_lck > 0 ? r->vm_lck : dm_survey_lock_need(s);

	dm_text_put(t, "PID ");
	dm_text_put_i64(t, r->pid);
	if (s->dropped_children) {
		dm_text_put(t, " runs ");
		dm_text_put_u64(t, s->dropped_children);
		dm_text_put(t, s->dropped_children == 1 ? " locked child" : " locked children");
		dm_text_put(t, " under another uid (PID ");
		dm_text_put_i64(t, s->dropped_child);
		dm_text_put(t, ", uid ");
		dm_text_put_u64(t, s->dropped_uid);
		if (!s->dropped_children_short) {
			dm_text_put(t, "): their lock stayed sound through the drop (CAP_IPC_LOCK kept, or "
				       "their limit covers it)");
			return;
		}
		dm_text_put(t, "): ");
		dm_text_put_u64(t, s->dropped_children_short);
		dm_text_put(t, " of them hold their lock without CAP_IPC_LOCK beyond what their "
			       "RLIMIT_MEMLOCK covers, so their new mappings fail and their forked "
			       "children cannot lock: dropping root lost the capability. ");
	} else {
		dm_text_put(t, " can drop privileges (its program calls setuid or capset), and the hard "
			       "RLIMIT_MEMLOCK ");
		dm_text_put_limit(t, r->memlock_hard);
		dm_text_put(t, " cannot cover the ");
		dm_text_put_bytes(t, need);
		dm_text_put(t, r->vm_lck > 0 ? " it locks once CAP_IPC_LOCK is gone"
					     : " its lock takes once CAP_IPC_LOCK is gone");
		if (severity == DUENDE_MLOCK_SEVERITY_OK) {
			dm_text_put(t, ": " DM_EXEC " keeps CAP_IPC_LOCK, and only it, through the "
				       "drop (with --no-keep-ipc-lock it would stop it there)");
			return;
		}
		dm_text_put(t, ": after the drop its allocations beyond the limit fail (malloc NULL, "
			       "often a SIGSEGV) and its forked children cannot lock. ");
	}
	dm_text_put(t, "Fix: ");
	dm_put_fix_drop(t, DM_DROP_FIX_OUTSIDE_EXEC);
#else
	(void)t;
	(void)s;
	(void)severity;
#endif
}

static void explain_finding(struct dm_text *t, const DM_SURVEY *s,
			    const struct duende_mlock_finding *f)
{
	switch (f->code) {
	case DUENDE_MLOCK_FOUND_CAP_IPC_LOCK:
	case DUENDE_MLOCK_FOUND_MEMLOCK_UNLIMITED:
	case DUENDE_MLOCK_FOUND_MEMLOCK_SOFT_LOW:
	case DUENDE_MLOCK_FOUND_MEMLOCK_TOO_LOW:
	case DUENDE_MLOCK_FOUND_MEMLOCK_COVERS:
	case DUENDE_MLOCK_FOUND_LOCKED_SHORT:
		explain_limits(t, s, f->code);
		break;
	case DUENDE_MLOCK_FOUND_DROP:
		explain_drop(t, s, f->severity);
		break;
	case DUENDE_MLOCK_FOUND_LIMITS_UNREADABLE:
		dm_text_put(t, "RLIMIT_MEMLOCK unreadable (/proc/");
		dm_text_put_i64(t, s->process.pid);
		dm_text_put(t, "/limits)");
		break;
	case DUENDE_MLOCK_FOUND_CAPS_UNREADABLE:
		dm_text_put(t, "capabilities unreadable (/proc/");
		dm_text_put_i64(t, s->process.pid);
		dm_text_put(t, "/status)");
		break;
	case DUENDE_MLOCK_FOUND_NO_IPC_LOCK_BOUND:
		dm_text_put(t, "CAP_IPC_LOCK is not in the bounding set: no child of this process "
			       "can ever gain it");
		break;
	case DUENDE_MLOCK_FOUND_NO_SYS_RESOURCE:
		dm_text_put(t, "CAP_SYS_RESOURCE is missing: PR_SET_IO_FLUSHER and a negative "
			       "oom_score_adj are not possible, and the hard RLIMIT_MEMLOCK cannot "
			       "be raised");
		break;
	case DUENDE_MLOCK_FOUND_KERNEL_NO_ONFAULT:
		dm_text_put(t, "kernel lacks MCL_ONFAULT (Linux 4.4+): onfault and lean mode fall "
			       "back to full locking");
		break;
	case DUENDE_MLOCK_FOUND_KERNEL_NO_IO_FLUSHER:
		dm_text_put(t, "kernel lacks PR_SET_IO_FLUSHER (Linux 5.6+)");
		break;
	case DUENDE_MLOCK_FOUND_TASK:
		explain_task(t, s);
		break;
	case DUENDE_MLOCK_FOUND_NO_CGROUP:
	case DUENDE_MLOCK_FOUND_CGROUP_V2_SHARED:
	case DUENDE_MLOCK_FOUND_CGROUP:
	case DUENDE_MLOCK_FOUND_CGROUP_V1_SHARED:
		explain_cgroup(t, s, f->code);
		break;
	case DUENDE_MLOCK_FOUND_SWAPS_UNREADABLE:
		dm_text_put(t, "/proc/swaps unreadable: ");
		dm_text_put(t, duende_mlock_strerror(s->swaps.error));
		break;
	case DUENDE_MLOCK_FOUND_NO_SWAP:
		dm_text_put(t, "no swap is active");
		break;
	case DUENDE_MLOCK_FOUND_SWAP:
	case DUENDE_MLOCK_FOUND_SWAP_USER_SPACE:
	case DUENDE_MLOCK_FOUND_SERVES_SWAP:
		explain_swap(t, s, f);
		break;
	case DUENDE_MLOCK_FOUND_NO_USER_MEMORY:
		dm_text_put(t, "PID ");
		dm_text_put_i64(t, s->process.pid);
		dm_text_put(t, (s->process.task_flags & DUENDE_MLOCK_PF_KTHREAD)
				       ? " is a kernel thread"
				       : " is a zombie");
		dm_text_put(t, ": it has no user memory, so locking does not apply to it");
		break;
	case DUENDE_MLOCK_FOUND_CGROUP_V2_SWAP:
	case DUENDE_MLOCK_FOUND_CGROUP_V2_UNPROTECTED:
	case DUENDE_MLOCK_FOUND_CGROUP_V2_PROTECTED:
		explain_v2_protection(t, s, f->code);
		break;
	case DUENDE_MLOCK_FOUND_FILE_DATA_PINNED:
	case DUENDE_MLOCK_FOUND_FILE_DATA_UNPINNED:
#if DM_LAYOUT_HAS_SIZE
		explain_file_data(t, s, f->code);
#endif
		break;
	case DUENDE_MLOCK_FOUND_CGROUP_V1_PROTECTION:
#if DM_LAYOUT_HAS_SIZE
		explain_v1_protection(t, s);
#endif
		break;
	case DUENDE_MLOCK_FOUND_MIN_FREE:
#if DM_LAYOUT_HAS_SIZE
		explain_min_free(t, s);
#endif
		break;
	}
}

/* The findings that name a swap area name one that exists. */
static bool swap_in_range(const DM_SURVEY *s, const struct duende_mlock_finding *f)
{
	bool names_swap = f->code == DUENDE_MLOCK_FOUND_SWAP || f->code == DUENDE_MLOCK_FOUND_SWAP_USER_SPACE ||
			  f->code == DUENDE_MLOCK_FOUND_SERVES_SWAP;

	return !names_swap || (f->swap < s->swaps.count && f->swap < DM_SWAPS_MAX);
}

static int finding_explain(const DM_SURVEY *s, uint32_t i, char *buf, size_t len)
{
	struct dm_text t;

	dm_text_init(&t, buf, len);
	if (!s || i >= s->nfindings || i >= DM_SURVEY_FINDINGS || !swap_in_range(s, &s->findings[i]))
		return -EINVAL;
	explain_finding(&t, s, &s->findings[i]);
	return dm_text_result(&t);
}

/* What the drop-in is made from: the host's cgroup version and what the
 * surveyed process (a process of the unit) will lock. */
static struct dm_dropin dropin_of(const DM_SURVEY *s)
{
	struct dm_dropin d = { 0, false };

	if (!s)
		return d;
	d.cgroup_v1 = !s->cgroup_error && s->cgroup.version == 1;
	if (!(s->process.verdicts & DUENDE_MLOCK_V_NO_USER_MEMORY))
		d.memory_min = dm_survey_lock_need(s);
	return d;
}

static bool survey_found(const DM_SURVEY *s, enum duende_mlock_finding_code code)
{
	for (uint32_t i = 0; i < s->nfindings && i < DM_SURVEY_FINDINGS; i++)
		if (s->findings[i].code == code)
			return true;
	return false;
}

/* The fix, one block each for the ways the daemon may be started here. */
static void put_fix(struct dm_text *t, const DM_SURVEY *s)
{
	enum duende_mlock_container container = dm_survey_container(s);
	struct dm_dropin d = dropin_of(s);

#if DM_HAVE_PROCFS /* the swap mapping (swaps.c) is Linux's */
	/* A swap server that runs unlocked: first lock it where it runs. */
	if (dm_swap_served_by(&s->swaps, s->process.pid, 0) >= 0 &&
	    dm_survey_lock_state(s) != DUENDE_MLOCK_LOCK_STATE_LOCKED) {
		dm_text_put(t, "lock:   ");
		dm_put_fix_lock_running(t, s->process.pid);
		dm_text_put(t, "   (it serves swap and runs: lock it now, from outside)\n");
	}
#endif
	if (container != DUENDE_MLOCK_CONTAINER_NONE)
		dm_put_fix_container(t, container);
	else if (s->systemd || s->systemd_unit[0])
		dm_put_fix_systemd_unit(t, s->systemd_unit, &d);
	dm_put_fix_shell(t, s->caller_memlock_hard, s->caller_cap_sys_resource, dm_survey_lock_need(s));
	/* A setcap'd program is no longer preloaded (exec traces it instead):
	 * no setcap for one the preload runs. */
	if (!s->preloaded)
		dm_put_fix_file_capability(t);
	dm_put_fix_exec(t, s->caller_cap_sys_resource, survey_found(s, DUENDE_MLOCK_FOUND_FILE_DATA_PINNED));
}

static int systemd_dropin(const DM_SURVEY *s, char *buf, size_t len)
{
	struct dm_text t;
	struct dm_dropin d = dropin_of(s);

	dm_text_init(&t, buf, len);
	dm_put_systemd_dropin(&t, "", &d);
	return dm_text_result(&t);
}

static int survey_fix(const DM_SURVEY *s, char *buf, size_t len)
{
	struct dm_text t;

	dm_text_init(&t, buf, len); /* an empty text on every error, too */
	if (!s)
		return -EINVAL;
	put_fix(&t, s);
	return dm_text_result(&t);
}

/* The entry points of the unit's layout (layout.h). */
#if DM_LAYOUT_HAS_SIZE
DM_EXPORT int duende_mlock_finding_explain_sized(const struct duende_mlock_survey *s, uint32_t i,
						 char *buf, size_t len)
{
	return finding_explain(s, i, buf, len);
}

DM_EXPORT int duende_mlock_systemd_dropin_sized(const struct duende_mlock_survey *s, char *buf,
						size_t len)
{
	return systemd_dropin(s, buf, len);
}

DM_EXPORT int duende_mlock_survey_fix_sized(const struct duende_mlock_survey *s, char *buf, size_t len)
{
	return survey_fix(s, buf, len);
}
#else
DM_EXPORT int(duende_mlock_finding_explain)(const void *s, uint32_t i, char *buf, size_t len)
{
	return finding_explain(s, i, buf, len);
}

DM_EXPORT int(duende_mlock_systemd_dropin)(const void *s, char *buf, size_t len)
{
	return systemd_dropin(s, buf, len);
}

DM_EXPORT int(duende_mlock_survey_fix)(const void *s, char *buf, size_t len)
{
	return survey_fix(s, buf, len);
}
#endif
