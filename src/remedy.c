/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include "remedy.h"

#include "duende-mlock.h"
#include "report-rules.h"

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
		dm_text_put(t, "shell: " DM_MEMLOCK_SHELL " ");
		dm_text_put_u64(t, want / 1024);
		dm_text_put(t, "; ");
	}
	dm_text_put(t, "systemd: " DM_MEMLOCK_SYSTEMD);
	dm_text_put_u64(t, want >> 20);
	dm_text_put(t, "M or " DM_MEMLOCK_SYSTEMD "infinity; docker: " DM_MEMLOCK_DOCKER);
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

/* "--io-flusher --oom-score-adj -900 ": the hardening exec gives a swap
 * daemon where the caller may. */
static void put_exec_hardening(struct dm_text *t)
{
	dm_text_put(t, "--io-flusher --oom-score-adj ");
	dm_text_put_i64(t, DUENDE_MLOCK_OOM_SCORE_ADJ_ADVISED);
	dm_text_put(t, " ");
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
	put_line(t, indent, DM_MEMLOCK_SYSTEMD "infinity");
	put_line(t, indent, "# CAP_SYS_RESOURCE: for PR_SET_IO_FLUSHER and a negative oom_score_adj");
	put_line(t, indent, DM_IPC_LOCK_SYSTEMD " CAP_SYS_RESOURCE");
	dm_text_put(t, indent);
	dm_text_put(t, DM_OOM_SYSTEMD);
	dm_text_put_i64(t, DUENDE_MLOCK_OOM_SCORE_ADJ_ADVISED);
	dm_text_put(t, "\n");
	if (d->cgroup_v1)
		put_line(t, indent, "# memory cgroup v1 here: systemd ignores the two settings below");
	put_line(t, indent, DM_NO_SWAP_SYSTEMD);
	if (d->memory_min) {
		dm_text_put(t, indent);
		dm_text_put(t, DM_MEMORY_MIN_SYSTEMD);
		dm_text_put_u64(t, round_up_mib(d->memory_min) >> 20);
		dm_text_put(t, "M\n");
	}
	put_line(t, indent, "# a daemon not linked with libduende-mlock: reset ExecStart= and run it as");
	dm_text_put(t, indent);
	dm_text_put(t, "# ExecStart=" DM_EXEC " ");
	put_exec_hardening(t);
	dm_text_put(t, "-- DAEMON ARGS...\n");
}

void dm_put_memlock_raisers(struct dm_text *t)
{
	dm_text_put(t, "systemd " DM_MEMLOCK_SYSTEMD ", docker " DM_MEMLOCK_DOCKER
		       ", prlimit as root with CAP_SYS_RESOURCE");
}

void dm_put_fix_oom_from_manager(struct dm_text *t)
{
	dm_text_put(t, "systemd: " DM_OOM_SYSTEMD);
	dm_text_put_i64(t, DUENDE_MLOCK_OOM_SCORE_ADJ_ADVISED);
	dm_text_put(t, "; Kubernetes: " DM_OOM_K8S);
}

void dm_put_fix_no_swap(struct dm_text *t)
{
	dm_text_put(t, "(systemd: " DM_NO_SWAP_SYSTEMD ")");
}

void dm_put_fix_memory_min(struct dm_text *t)
{
	dm_text_put(t, "(systemd: " DM_MEMORY_MIN_SYSTEMD ")");
}

void dm_put_fix_soft_limit(struct dm_text *t)
{
	dm_text_put(t, "raise the soft limit (" DM_EXEC " does)");
}

void dm_put_fix_systemd_unit(struct dm_text *t, const char *unit, const struct dm_dropin *d)
{
	dm_text_put(t, "systemctl edit ");
	dm_text_put_name(t, unit && unit[0] ? unit : "YOUR.service");
	dm_text_put(t, "   # adds a drop-in:\n");
	dm_put_systemd_dropin(t, "  ", d);
	dm_text_put(t, "(Keep CAP_IPC_LOCK in CapabilityBoundingSet= if the unit sets one; "
		       "setting it to\nCAP_IPC_LOCK alone drops every other capability the "
		       "daemon has.)\n");
}

void dm_put_fix_container(struct dm_text *t, enum duende_mlock_container kind)
{
	if (kind == DUENDE_MLOCK_CONTAINER_NONE)
		return;
	if (kind == DUENDE_MLOCK_CONTAINER_KUBERNETES) {
		dm_text_put(t, "Kubernetes cannot raise RLIMIT_MEMLOCK for a container, so CAP_IPC_LOCK "
			       "is required:\n  securityContext:\n    capabilities:\n      add: "
			       "[\"IPC_LOCK\"]   # and \"SYS_RESOURCE\" for PR_SET_IO_FLUSHER\n");
		return;
	}
	dm_text_put(t, dm_container_name(kind));
	dm_text_put(t, " run " DM_IPC_LOCK_DOCKER " " DM_MEMLOCK_DOCKER "-1:-1 "
		       "[" DM_SYS_RESOURCE_DOCKER "] IMAGE\n"
		       "compose:\n  cap_add: [IPC_LOCK]\n  ulimits:\n    memlock: {soft: -1, "
		       "hard: -1}\n");
}

void dm_put_fix_shell(struct dm_text *t, uint64_t caller_hard, bool caller_sys_resource,
		      uint64_t needed)
{
	if (caller_hard == DUENDE_MLOCK_UNLIMITED || caller_sys_resource) {
		dm_text_put(t, "shell:  " DM_FIX_MEMLOCK_SHELL "   (or " DM_MEMLOCK_PRLIMIT
			       ", as root)\n");
	} else if (caller_hard >= needed) {
		dm_text_put(t, "shell:  " DM_MEMLOCK_SHELL " ");
		dm_text_put_u64(t, caller_hard / 1024);
		dm_text_put(t, "   (the hard limit, ");
		dm_text_put_bytes(t, caller_hard);
		dm_text_put(t, "; only a process with CAP_SYS_RESOURCE can go above it)\n");
	} else {
		dm_text_put(t, "shell:  no ulimit here can do it: the hard limit is ");
		dm_text_put_bytes(t, caller_hard);
		dm_text_put(t, "; as root with CAP_SYS_RESOURCE: " DM_MEMLOCK_PRLIMIT "\n");
	}
}

void dm_put_fix_file_capability(struct dm_text *t)
{
	dm_text_put(t, "file:   " DM_IPC_LOCK_SETCAP "   (for daemons linked with "
		       "libduende-mlock;\n        " DM_EXEC " locks a program with file "
		       "capabilities by tracing it, which needs CAP_SYS_PTRACE)\n");
}

void dm_put_fix_exec(struct dm_text *t, bool caller_sys_resource, bool precise)
{
	dm_text_put(t, "run:    " DM_EXEC " ");
	if (precise)
		dm_text_put(t, DM_PRECISE_OPTION " ");
	if (caller_sys_resource)
		put_exec_hardening(t);
	dm_text_put(t, "-- DAEMON ARGS...\n");
	if (!caller_sys_resource)
		dm_text_put(t, "        (--io-flusher and a negative --oom-score-adj need "
			       "CAP_SYS_RESOURCE, which this process lacks;\n        a service "
			       "manager grants it: " DM_SYS_RESOURCE_SYSTEMD ")\n");
}

void dm_put_fix_lock(struct dm_text *t, uint64_t needed, const struct dm_remedy_ctx *c)
{
	dm_put_fix_memlock(t, needed, c);
	dm_text_put(t, "; or ");
	dm_put_fix_ipc_lock(t, c);
	dm_text_put(t, ".");
}

void dm_put_fix_drop(struct dm_text *t, enum dm_drop_fix_from from)
{
	if (from == DM_DROP_FIX_OUTSIDE_EXEC)
		dm_text_put(t, "run it under " DM_EXEC ", which keeps CAP_IPC_LOCK, and only it, "
			       "through the drop, or ");
	else if (from == DM_DROP_FIX_EXEC_REFUSED)
		dm_text_put(t, "let " DM_EXEC " keep CAP_IPC_LOCK through the drop (leave out "
			       "--no-keep-ipc-lock), or ");
	dm_text_put(t, "start it with an unlimited RLIMIT_MEMLOCK (" DM_FIX_MEMLOCK_SYSTEMD ", "
		       DM_FIX_MEMLOCK_DOCKER ", or " DM_EXEC " run by a process that holds "
		       "CAP_SYS_RESOURCE), or grant CAP_IPC_LOCK to the user it drops to ("
		       DM_FIX_IPC_LOCK_SYSTEMD " with User=)");
}

void dm_put_fix_precise(struct dm_text *t)
{
	dm_text_put(t, "Lock it with " DM_EXEC " " DM_PRECISE_OPTION " (a program linked with "
		       "libduende-mlock: config.precise): swap-backed memory and the program's code "
		       "stay locked and resident, file data is left to the kernel");
}

void dm_put_fix_lock_running(struct dm_text *t, pid_t pid)
{
	dm_text_put(t, DM_LOCK_TREE " ");
	dm_text_put_i64(t, pid);
}
