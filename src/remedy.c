/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "remedy.h"

#include "duende-mlock.h"

static uint64_t round_up_mib(uint64_t bytes)
{
	const uint64_t mib = UINT64_C(1) << 20;

	if (bytes > UINT64_MAX - mib)
		return UINT64_MAX;
	return (bytes + mib - 1) / mib * mib;
}

static bool hard_limit_blocks(uint64_t needed, const struct dm_remedy_ctx *c)
{
	return c->memlock_hard != DUENDE_MLOCK_UNLIMITED && c->memlock_hard < needed &&
	       !c->can_raise_hard;
}

/* For a process that already runs: the one command that raises its
 * limit, and who may run it. */
static void put_fix_memlock_running(struct dm_text *t, uint64_t want, const struct dm_remedy_ctx *c)
{
	bool hard_too = c->memlock_hard != DUENDE_MLOCK_UNLIMITED && c->memlock_hard < want;

	dm_text_put(t, "raise its RLIMIT_MEMLOCK to at least ");
	dm_text_put_bytes(t, want);
	dm_text_put(t, " while it runs: prlimit --pid ");
	dm_text_put_u64(t, (uint64_t)c->running_pid);
	dm_text_put(t, " --memlock=");
	dm_text_put_u64(t, want);
	dm_text_put(t, ":");
	if (hard_too)
		dm_text_put_u64(t, want);
	else
		dm_text_put_u64(t, c->memlock_hard);
	if (hard_too && !c->can_raise_hard)
		dm_text_put(t, " (as root holding CAP_SYS_RESOURCE, which this caller lacks: "
			       "its hard limit is ");
	else if (!c->caller_can_prlimit)
		dm_text_put(t, " (as its own user, or as root holding CAP_SYS_RESOURCE, which "
			       "this caller lacks: its hard limit is ");
	else
		dm_text_put(t, " (its hard limit is ");
	dm_text_put_limit(t, c->memlock_hard);
	dm_text_put(t, "), then lock it again; for good, start it with " DM_FIX_MEMLOCK_SYSTEMD
		       " or " DM_FIX_MEMLOCK_DOCKER);
}

void dm_put_fix_memlock(struct dm_text *t, uint64_t needed, const struct dm_remedy_ctx *c)
{
	uint64_t want = round_up_mib(needed);

	if (c->running_pid) {
		put_fix_memlock_running(t, want, c);
		return;
	}

	dm_text_put(t, "raise RLIMIT_MEMLOCK to at least ");
	dm_text_put_bytes(t, want);
	dm_text_put(t, ", or to unlimited (");
	if (!hard_limit_blocks(needed, c)) {
		dm_text_put(t, "shell: ulimit -l ");
		dm_text_put_u64(t, want / 1024);
		dm_text_put(t, "; ");
	}
	dm_text_put(t, "systemd: LimitMEMLOCK=");
	dm_text_put_u64(t, want >> 20);
	dm_text_put(t, "M or LimitMEMLOCK=infinity; docker: --ulimit memlock=");
	dm_text_put_u64(t, want);
	dm_text_put(t, ":");
	dm_text_put_u64(t, want);
	dm_text_put(t, " or memlock=-1:-1; " DM_FIX_MEMLOCK_COMPOSE ")");
	if (hard_limit_blocks(needed, c)) {
		dm_text_put(t, "; the hard limit is ");
		dm_text_put_bytes(t, c->memlock_hard);
		dm_text_put(t, ", so the raise must come from whoever starts the process "
			       "(service manager, container runtime, root with CAP_SYS_RESOURCE)");
	}
}

void dm_put_fix_ipc_lock(struct dm_text *t, const struct dm_remedy_ctx *c)
{
	if (c->running_pid) {
		/* No one can give a running process a capability. */
		dm_text_put(t, "restart it with CAP_IPC_LOCK, which lifts the limit ("
			       DM_FIX_IPC_LOCK_SYSTEMD "; " DM_FIX_IPC_LOCK_DOCKER "; " DM_FIX_IPC_LOCK_K8S
			       "): a process that runs cannot be given a capability from outside");
		return;
	}
	dm_text_put(t, "grant CAP_IPC_LOCK, which lifts the limit (");
	if (!c->program_is_preloaded)
		dm_text_put(t, DM_FIX_IPC_LOCK_SETCAP " for a program linked with libduende-mlock; ");
	dm_text_put(t, DM_FIX_IPC_LOCK_SYSTEMD "; " DM_FIX_IPC_LOCK_DOCKER "; " DM_FIX_IPC_LOCK_K8S
		       ", the only way there since Kubernetes cannot raise the memlock limit)");
}

static void put_line(struct dm_text *t, const char *indent, const char *line)
{
	dm_text_put(t, indent);
	dm_text_put(t, line);
	dm_text_put(t, "\n");
}

void dm_put_systemd_dropin(struct dm_text *t, const char *indent, const struct dm_dropin *d)
{
	put_line(t, indent, "[Service]");
	put_line(t, indent, "LimitMEMLOCK=infinity");
	put_line(t, indent, "# CAP_SYS_RESOURCE: for PR_SET_IO_FLUSHER and a negative oom_score_adj");
	put_line(t, indent, "AmbientCapabilities=CAP_IPC_LOCK CAP_SYS_RESOURCE");
	dm_text_put(t, indent);
	dm_text_put(t, "OOMScoreAdjust=");
	dm_text_put_i64(t, DM_OOM_SCORE_ADJ_ADVISED);
	dm_text_put(t, "\n");
	if (d->cgroup_v1)
		put_line(t, indent, "# memory cgroup v1 here: systemd ignores the two settings below");
	put_line(t, indent, "MemorySwapMax=0");
	if (d->memory_min) {
		dm_text_put(t, indent);
		dm_text_put(t, "MemoryMin=");
		dm_text_put_u64(t, round_up_mib(d->memory_min) >> 20);
		dm_text_put(t, "M\n");
	}
	put_line(t, indent, "# a daemon not linked with libduende-mlock: reset ExecStart= and run it as");
	dm_text_put(t, indent);
	dm_text_put(t, "# ExecStart=duende-mlock exec --io-flusher --oom-score-adj ");
	dm_text_put_i64(t, DM_OOM_SCORE_ADJ_ADVISED);
	dm_text_put(t, " -- DAEMON ARGS...\n");
}

void dm_put_fix_lock(struct dm_text *t, uint64_t needed, const struct dm_remedy_ctx *c)
{
	dm_put_fix_memlock(t, needed, c);
	dm_text_put(t, "; or ");
	dm_put_fix_ipc_lock(t, c);
	dm_text_put(t, ".");
}
