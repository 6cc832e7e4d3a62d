/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Names and explanations of the hardening steps' outcomes. */
#include <errno.h>

#include "duende-mlock.h"
#include "errors.h"
#include "platform.h"
#include "remedy.h"
#include "text.h"
#include "explain.h"

static const char *const step_names[DUENDE_MLOCK_STEP_COUNT] = {
	[DUENDE_MLOCK_STEP_RAISE_MEMLOCK] = "raise-memlock",
	[DUENDE_MLOCK_STEP_IO_FLUSHER] = "io-flusher",
	[DUENDE_MLOCK_STEP_OOM_SCORE_ADJ] = "oom-score-adj",
	[DUENDE_MLOCK_STEP_MALLOC] = "malloc-keep",
	[DUENDE_MLOCK_STEP_LOCK] = "lock",
	[DUENDE_MLOCK_STEP_PREFAULT_STACK] = "prefault-stack",
};

DM_EXPORT const char *duende_mlock_step_name(enum duende_mlock_step step)
{
	if ((unsigned)step >= DUENDE_MLOCK_STEP_COUNT)
		return "unknown";
	return step_names[step];
}

static void put_errno(struct dm_text *t, int rc)
{
	const char *name = dm_errno_name(rc);

	if (name) {
		dm_text_put(t, name);
	} else {
		dm_text_put(t, "errno ");
		dm_text_put_i64(t, -rc);
	}
}

static void explain_raise(struct dm_text *t, int rc, uint64_t value, int pid)
{
	if (rc == -EPERM && pid) {
		dm_text_put(t, "not permitted to change its RLIMIT_MEMLOCK (hard limit ");
		dm_text_put_limit(t, value);
		dm_text_put(t, "): prlimit(2) on another user's process, and any raise of a hard "
			       "limit, take CAP_SYS_RESOURCE, which this caller lacks");
		return;
	}
	if (rc == -EPERM) {
		/* Raising soft to hard needs nothing; only a hard raise is refused. */
		dm_text_put(t, "the hard RLIMIT_MEMLOCK (");
		dm_text_put_limit(t, value);
		dm_text_put(t, ") cannot be raised without CAP_SYS_RESOURCE. A program that drops "
			       "privileges (setuid to a service user) loses CAP_IPC_LOCK and is then "
			       "bound by it: its new thread stacks and allocations fail once it is "
			       "reached. Start it with " DM_FIX_MEMLOCK_SYSTEMD " or "
			       DM_FIX_MEMLOCK_DOCKER ", or from a process that holds CAP_SYS_RESOURCE");
		return;
	}
	if (rc) {
		dm_text_put(t, "could not raise the soft RLIMIT_MEMLOCK");
		return;
	}
	dm_text_put(t, "soft RLIMIT_MEMLOCK is now ");
	dm_text_put_limit(t, value);
	if (value != DUENDE_MLOCK_UNLIMITED) {
		dm_text_put(t, ", the hard limit; beyond it only whoever starts the process can "
			       "raise it (");
		dm_put_memlock_raisers(t);
		dm_text_put(t, ") or CAP_IPC_LOCK lifts it");
	}
}

static void explain_io_flusher(struct dm_text *t, int rc, uint64_t value, int pid)
{
	if (!rc && pid) {
		dm_text_put(t, "set on every thread (");
		dm_text_put_u64(t, value);
		dm_text_put(t, "): its allocations no longer wait on I/O, so reclaim cannot wait on "
			       "writeback to its own device");
	} else if (rc == -ETIMEDOUT) {
		dm_text_put(t, "a thread stayed in uninterruptible sleep (state D): blocked in the "
			       "kernel, possibly on its own swap; it was left as it was");
	} else if (!rc) {
		dm_text_put(t, "set: this process's allocations no longer wait on I/O, so reclaim "
			       "cannot wait on writeback to its own device");
	} else if (rc == -EPERM) {
		dm_text_put(t, "not permitted: PR_SET_IO_FLUSHER needs CAP_SYS_RESOURCE (" DM_FIX_SYS_RESOURCE
			       "); without it, " DM_OWN_CGROUP);
	} else if (rc == -EINVAL || rc == -ENOTSUP) {
		dm_text_put(t, "this kernel predates PR_SET_IO_FLUSHER (Linux 5.6)");
	} else {
		dm_text_put(t, "failed");
	}
}

static void explain_oom(struct dm_text *t, int rc, uint64_t value, int pid)
{
	if (!rc) {
		dm_text_put(t, "set to ");
		dm_text_put_i64(t, (int64_t)value);
	} else if (rc == -EACCES) {
		dm_text_put(t, "not permitted: lowering oom_score_adj below its minimum (0 unless "
			       "set by a privileged process) needs CAP_SYS_RESOURCE; set it from "
			       "the service manager instead (");
		dm_put_fix_oom_from_manager(t);
		dm_text_put(t, ")");
	} else if (rc == -EINVAL) {
		dm_text_put(t, "out of range: oom_score_adj is ");
		dm_text_put_i64(t, DUENDE_MLOCK_OOM_SCORE_ADJ_MIN);
		dm_text_put(t, "..");
		dm_text_put_i64(t, DUENDE_MLOCK_OOM_SCORE_ADJ_MAX);
	} else if (pid) {
		dm_text_put(t, "could not write /proc/");
		dm_text_put_u64(t, (uint64_t)pid);
		dm_text_put(t, "/oom_score_adj");
	} else {
		dm_text_put(t, "could not write /proc/self/oom_score_adj");
	}
}

static void explain_malloc(struct dm_text *t, int rc)
{
	if (!rc)
		dm_text_put(t, "glibc keeps freed memory in the heap (M_TRIM_THRESHOLD=-1, "
			       "M_MMAP_MAX=0), so it is not faulted in again on the I/O path");
	else if (rc == -ENOTSUP)
		dm_text_put(t, "this libc has no such mallopt settings, or refused them; nothing changed");
	else
		dm_text_put(t, "mallopt refused the settings");
}

static void explain_prefault(struct dm_text *t, int rc, uint64_t value)
{
	if (!rc) {
		dm_text_put_bytes(t, value);
		dm_text_put(t, " of stack touched");
	} else if (rc == -ERANGE) {
		dm_text_put(t, "the stack has less room than asked for; ask for less");
	} else {
		dm_text_put(t, "failed");
	}
}

/* "STEP: ok: ..." or "STEP: FAILED (ENAME): ..."; pid: the process the
 * step ran on from outside, 0 for this one. */
static void put_step(struct dm_text *t, enum duende_mlock_step step, int rc, uint64_t value, int pid)
{
	dm_text_put(t, step_names[step]);
	dm_text_put(t, rc ? ": FAILED (" : ": ok: ");
	if (rc) {
		put_errno(t, rc);
		dm_text_put(t, "): ");
	}
	switch (step) {
	case DUENDE_MLOCK_STEP_RAISE_MEMLOCK: explain_raise(t, rc, value, pid); break;
	case DUENDE_MLOCK_STEP_IO_FLUSHER: explain_io_flusher(t, rc, value, pid); break;
	case DUENDE_MLOCK_STEP_OOM_SCORE_ADJ: explain_oom(t, rc, value, pid); break;
	case DUENDE_MLOCK_STEP_MALLOC: explain_malloc(t, rc); break;
	case DUENDE_MLOCK_STEP_LOCK:
		if (rc) {
			dm_text_put(t, "see the lock diagnosis");
		} else {
			dm_text_put(t, "locked ");
			dm_text_put_bytes(t, value);
		}
		break;
	case DUENDE_MLOCK_STEP_PREFAULT_STACK: explain_prefault(t, rc, value); break;
	default: break;
	}
}

void dm_put_step_explain(struct dm_text *t, enum duende_mlock_step step,
			 const struct duende_mlock_step_result *r, int pid)
{
	if (!r->requested) {
		dm_text_put(t, step_names[step]);
		dm_text_put(t, ": skipped");
		return;
	}
	put_step(t, step, r->rc, r->value, pid);
}

DM_EXPORT int duende_mlock_explain_step(enum duende_mlock_step step, int rc, uint64_t value,
					char *buf, size_t len)
{
	struct dm_text t;

	dm_text_init(&t, buf, len); /* an empty text on every error, too */
	if ((unsigned)step >= DUENDE_MLOCK_STEP_COUNT || rc > 0)
		return -EINVAL;
	put_step(&t, step, rc, value, 0);
	return dm_text_result(&t);
}

DM_EXPORT int duende_mlock_step_explain(enum duende_mlock_step step,
					const struct duende_mlock_step_result *r, char *buf,
					size_t len)
{
	struct dm_text t;

	dm_text_init(&t, buf, len); /* an empty text on every error, too */
	if (!r || (unsigned)step >= DUENDE_MLOCK_STEP_COUNT)
		return -EINVAL;
	if (!r->requested) {
		dm_text_put(&t, step_names[step]);
		dm_text_put(&t, ": skipped");
		return dm_text_result(&t);
	}
	put_step(&t, step, r->rc, r->value, 0);
	return dm_text_result(&t);
}

DM_EXPORT int duende_mlock_harden_explain(const struct duende_mlock_harden_result *res,
					  unsigned flags, char *buf, size_t len)
{
	char why[1536];
	struct dm_text t;

	dm_text_init(&t, buf, len);
	if (!res || (flags & ~DUENDE_MLOCK_EXPLAIN_ALL_STEPS))
		return -EINVAL;
	for (int step = 0; step < DUENDE_MLOCK_STEP_COUNT; step++) {
		const struct duende_mlock_step_result *r = &res->steps[step];

		if (!r->requested || (!r->rc && !(flags & DUENDE_MLOCK_EXPLAIN_ALL_STEPS)))
			continue;
		if (step == DUENDE_MLOCK_STEP_LOCK) {
			/* The lock's own diagnosis says more than its errno. */
			dm_text_put(&t, step_names[step]);
			dm_text_put(&t, r->rc ? ": FAILED: " : ": ok: ");
			duende_mlock_explain(&res->lock_status, why, sizeof(why));
			dm_text_put(&t, why);
		} else {
			put_step(&t, (enum duende_mlock_step)step, r->rc, r->value, 0);
		}
		dm_text_put(&t, "\n");
	}
	return dm_text_result(&t);
}
