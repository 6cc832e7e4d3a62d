/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The diagnosis of a lock attempt, from the facts taken when it decided.
 * The kernel's rules (mm/mlock.c) decide the wording:
 *  - EPERM: RLIMIT_MEMLOCK is 0 and CAP_IPC_LOCK is missing (can_do_mlock),
 *    so raising the limit and granting the capability both fix it;
 *  - ENOMEM with MCL_CURRENT: the whole mapped size (total_vm, PROT_NONE
 *    reservations included) exceeds the limit and CAP_IPC_LOCK is missing;
 *  - MCL_FUTURE: later mappings fail once locked_vm would pass the limit.
 */
#include <errno.h>

#include "duende-mlock.h"
#include "lean.h"
#include "platform.h"
#include "remedy.h"
#include "text.h"
#include "explain.h"

static struct dm_remedy_ctx remedy_ctx(const struct duende_mlock_status *s)
{
	struct dm_remedy_ctx c = {
		.memlock_hard = s->memlock_hard,
		.can_raise_hard = (s->flags & DUENDE_MLOCK_F_CAP_SYS_RESOURCE) != 0,
		.program_is_preloaded = (s->flags & DUENDE_MLOCK_F_PRELOADED) != 0,
	};

	return c;
}

/* Both remedies for a limit that must cover needed bytes, then ".". */
static void put_fixes(struct dm_text *t, const struct dm_remedy_ctx *c, uint64_t needed)
{
	dm_put_fix_lock(t, needed, c);
}

/* Where the usage was read: this process's status, or the target's. */
static void put_status_file(struct dm_text *t, const struct dm_remedy_ctx *c)
{
	if (c->running_pid) {
		dm_text_put(t, "/proc/");
		dm_text_put_u64(t, (uint64_t)c->running_pid);
		dm_text_put(t, "/status");
	} else {
		dm_text_put(t, "/proc/self/status");
	}
}

static void put_numbers(struct dm_text *t, const struct duende_mlock_status *s,
			const struct dm_remedy_ctx *c)
{
	dm_text_put(t, "RLIMIT_MEMLOCK soft ");
	dm_text_put_limit(t, s->memlock_soft);
	dm_text_put(t, ", hard ");
	dm_text_put_limit(t, s->memlock_hard);
	dm_text_put(t, (s->flags & DUENDE_MLOCK_F_CAP_IPC_LOCK) ? ", CAP_IPC_LOCK held"
								 : ", CAP_IPC_LOCK missing");
	if (s->flags & DUENDE_MLOCK_F_USAGE_UNKNOWN) {
		dm_text_put(t, ", mapped size unknown (");
		put_status_file(t, c);
		dm_text_put(t, " unreadable)");
	} else {
		dm_text_put(t, ", mapped ");
		dm_text_put_bytes(t, s->mapped_bytes);
		dm_text_put(t, ", locked ");
		dm_text_put_bytes(t, s->locked_vm_bytes);
	}
}

static void explain_eperm(struct dm_text *t, const struct duende_mlock_status *s,
			  const struct dm_remedy_ctx *c)
{
	dm_text_put(t, "permission denied: the RLIMIT_MEMLOCK soft limit is ");
	dm_text_put_limit(t, s->memlock_soft);
	dm_text_put(t, " and the process lacks CAP_IPC_LOCK. Either fix works: ");
	put_fixes(t, c, s->mapped_bytes);
}

static void explain_headroom(struct dm_text *t, const struct duende_mlock_status *s,
			  const struct dm_remedy_ctx *c)
{
	if (s->flags & DUENDE_MLOCK_F_USAGE_UNKNOWN) {
		dm_text_put(t, "refused: the headroom under RLIMIT_MEMLOCK cannot be checked because ");
		put_status_file(t, c);
		dm_text_put(t, " is unreadable (mount /proc, or set min_headroom to 0). ");
		put_numbers(t, s, c);
		dm_text_put(t, ".");
		return;
	}
	dm_text_put(t, "refused: after locking only ");
	dm_text_put_bytes(t, s->headroom_bytes);
	dm_text_put(t, " could still be locked under RLIMIT_MEMLOCK, less than the ");
	dm_text_put_bytes(t, s->min_headroom);
	dm_text_put(t, " asked for; later allocations would fail (malloc returns NULL, "
		       "pthread_create fails with EAGAIN). ");
	put_numbers(t, s, c);
	dm_text_put(t, ". Fix: ");
	put_fixes(t, c, s->mapped_bytes + s->min_headroom);
}

static void explain_enomem(struct dm_text *t, const struct duende_mlock_status *s,
			  const struct dm_remedy_ctx *c)
{
	bool limit_binds = !(s->flags & DUENDE_MLOCK_F_CAP_IPC_LOCK) &&
			   s->memlock_soft != DUENDE_MLOCK_UNLIMITED &&
			   !(s->flags & DUENDE_MLOCK_F_USAGE_UNKNOWN) &&
			   s->mapped_bytes > s->memlock_soft;

	if (limit_binds) {
		dm_text_put(t, "resource limit: the process maps ");
		dm_text_put_bytes(t, s->mapped_bytes);
		dm_text_put(t, " (VmSize; the kernel counts every mapping, PROT_NONE reservations "
			       "included) but RLIMIT_MEMLOCK allows ");
		dm_text_put_bytes(t, s->memlock_soft);
		dm_text_put(t, ". Fix: ");
		put_fixes(t, c, s->mapped_bytes);
		return;
	}
	dm_text_put(t, "out of memory: RLIMIT_MEMLOCK is not the cause (");
	put_numbers(t, s, c);
	dm_text_put(t, "); the kernel could not lock the pages: free memory, lower the daemon's "
		       "footprint (lean mode), or check vm.max_map_count.");
}

static void explain_failure(struct dm_text *t, const struct duende_mlock_status *s,
			  const struct dm_remedy_ctx *c)
{
	if (s->flags & DUENDE_MLOCK_F_BAD_CONFIG) {
		dm_text_put(t, "invalid configuration: onfault needs current or future, the lean "
			       "stack size must be from ");
		dm_text_put_bytes(t, DM_LEAN_STACK_MIN);
		dm_text_put(t, " to ");
		dm_text_put_bytes(t, DUENDE_MLOCK_LEAN_STACK_MAX);
		dm_text_put(t, " and reserved fields must be zero; no system call was made.");
		return;
	}
	if (s->flags & DUENDE_MLOCK_F_HEADROOM_SHORT) {
		explain_headroom(t, s, c);
		return;
	}
	switch (s->failure_errno) {
	case EPERM:
		explain_eperm(t, s, c);
		return;
	case ENOMEM:
		explain_enomem(t, s, c);
		return;
	case EAGAIN:
		dm_text_put(t, "would block: some pages could not be locked; retry, or free memory.");
		return;
	case EINVAL:
		dm_text_put(t, "invalid argument: the kernel rejected the mlockall flags.");
		return;
	default:
		dm_text_put(t, "mlockall failed with errno=");
		dm_text_put_i64(t, s->failure_errno);
		dm_text_put(t, ". ");
		put_numbers(t, s, c);
		dm_text_put(t, ".");
	}
}

static void explain_locked(struct dm_text *t, const struct duende_mlock_status *s,
			  const struct dm_remedy_ctx *c)
{
	uint32_t modes = s->flags & (DUENDE_MLOCK_F_CURRENT | DUENDE_MLOCK_F_FUTURE);

	if (!modes) {
		dm_text_put(t, "nothing to lock: current and future are both off (no system call).");
		return;
	}
	dm_text_put(t, "locked ");
	if (s->flags & DUENDE_MLOCK_F_USAGE_UNKNOWN) {
		dm_text_put(t, "(size unknown: ");
		put_status_file(t, c);
		dm_text_put(t, " unreadable)");
	} else {
		dm_text_put_bytes(t, s->bytes_locked);
	}
	dm_text_put(t, modes == (DUENDE_MLOCK_F_CURRENT | DUENDE_MLOCK_F_FUTURE) ?
			       ": current and future pages" :
		       modes == DUENDE_MLOCK_F_CURRENT ? ": current pages only" :
							   ": future pages only");
	if (s->flags & DUENDE_MLOCK_F_ONFAULT)
		dm_text_put(t, ", lock-on-fault");
	if (s->flags & DUENDE_MLOCK_F_ONFAULT_UNAVAILABLE)
		dm_text_put(t, ", onfault unavailable in this kernel so pages were populated");
	if (s->flags & DUENDE_MLOCK_F_LEAN)
		dm_text_put(t, ", lean");
	dm_text_put(t, ". Headroom: ");
	if (s->headroom_bytes == DUENDE_MLOCK_UNLIMITED) {
		dm_text_put(t, (s->flags & DUENDE_MLOCK_F_CAP_IPC_LOCK)
				       ? "unlimited (CAP_IPC_LOCK)."
				       : "unlimited (RLIMIT_MEMLOCK unlimited).");
		return;
	}
	dm_text_put_bytes(t, s->headroom_bytes);
	dm_text_put(t, " more may be locked under RLIMIT_MEMLOCK ");
	dm_text_put_limit(t, s->memlock_soft);
	if (s->flags & DUENDE_MLOCK_F_FUTURE)
		dm_text_put(t, "; mappings beyond it will fail (malloc returns NULL, "
			       "pthread_create fails with EAGAIN)");
	dm_text_put(t, ".");
}

void dm_explain_status(struct dm_text *t, const struct duende_mlock_status *s,
		       const struct dm_remedy_ctx *c)
{
	switch (s->state) {
	case DUENDE_MLOCK_STATE_LOCKED:
		explain_locked(t, s, c);
		break;
	case DUENDE_MLOCK_STATE_FAILED:
		explain_failure(t, s, c);
		break;
	default:
		dm_text_put(t, "unsupported platform: this system has no mlockall; nothing was "
			       "locked.");
		break;
	}
}

DM_EXPORT int duende_mlock_explain(const struct duende_mlock_status *s, char *buf, size_t len)
{
	struct dm_text t;
	struct dm_remedy_ctx c;

	dm_text_init(&t, buf, len); /* an empty text on every error, too */
	if (!s || s->state < DUENDE_MLOCK_STATE_LOCKED || s->state > DUENDE_MLOCK_STATE_UNSUPPORTED)
		return -EINVAL;
	c = remedy_ctx(s);
	dm_explain_status(&t, s, &c);
	return dm_text_result(&t);
}
