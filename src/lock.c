/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Configuration -> mlockall flags, the lock itself, and the status. */
#include <errno.h>
#include <string.h>

#include "duende-mlock.h"
#include "lock-rules.h"
#include "lock.h"
#include "lean.h"
#include "platform.h"

#if DM_HAVE_MLOCKALL
#include <sys/mman.h>
#endif
#if DM_HAVE_PROCFS
#include <fcntl.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "procfs.h"
#include "reader.h"

/* Linux 5.14; older kernels answer EINVAL, and the pages then come in as
 * they are touched. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#endif

bool dm_lock_config_is_valid(const struct duende_mlock_config *cfg)
{
	for (size_t i = 0; i < DM_ARRAY_SIZE(cfg->reserved); i++)
		if (cfg->reserved[i])
			return false;
	/* MCL_ONFAULT alone is meaningless: there is nothing to lock on fault. */
	if (cfg->onfault && !cfg->current && !cfg->future)
		return false;
	if (cfg->lean && cfg->lean_stack_size &&
	    (cfg->lean_stack_size < DM_LEAN_STACK_MIN || cfg->lean_stack_size > DUENDE_MLOCK_LEAN_STACK_MAX))
		return false;
	return true;
}

#if DM_HAVE_MLOCKALL
/* With the usage unknown, only an unlimited headroom is known. */
uint64_t dm_lock_headroom(const struct dm_lock_facts *f, uint64_t counted)
{
	uint64_t room = dm_headroom(f->cap_ipc_lock, f->memlock_soft, counted);

	return f->usage_known || room == DUENDE_MLOCK_UNLIMITED ? room : 0;
}

void dm_lock_fill_facts(struct duende_mlock_status *st, const struct dm_lock_facts *f)
{
	st->memlock_soft = f->memlock_soft;
	st->memlock_hard = f->memlock_hard;
	if (f->cap_ipc_lock)
		st->flags |= DUENDE_MLOCK_F_CAP_IPC_LOCK;
	if (f->cap_sys_resource)
		st->flags |= DUENDE_MLOCK_F_CAP_SYS_RESOURCE;
	if (f->usage_known) {
		st->mapped_bytes = f->vm_size;
		st->locked_vm_bytes = f->vm_lck;
	} else {
		st->flags |= DUENDE_MLOCK_F_USAGE_UNKNOWN;
	}
	st->headroom_bytes = dm_lock_headroom(f, f->vm_lck);
}
#endif

/* A failure's diagnosis offers remedies, and which depends on how the
 * program was started. */
static int fail(struct duende_mlock_status *st, int err, uint32_t why)
{
	st->state = DUENDE_MLOCK_STATE_FAILED;
	st->failure_errno = -err;
	st->bytes_locked = 0;
	st->flags |= why;
	if (dm_in_preload_shim())
		st->flags |= DUENDE_MLOCK_F_PRELOADED;
	return err;
}

#if DM_HAVE_MLOCKALL
static int mlockall_here(void *ctx, int flags)
{
	(void)ctx;
	return mlockall(flags) == 0 ? 0 : -errno;
}

static int mlockall_retry(dm_mlockall_fn fn, void *ctx, int flags)
{
	int rc;

	do
		rc = fn(ctx, flags);
	while (rc == -EINTR);
	return rc;
}

/* mlockall with MCL_ONFAULT, falling back to a full lock on kernels before
 * 4.4, which reject the unknown flag with EINVAL. */
static int mlockall_onfault(dm_mlockall_fn fn, void *ctx, int flags, uint32_t *applied)
{
#ifdef MCL_ONFAULT
	int rc = mlockall_retry(fn, ctx, flags | MCL_ONFAULT);

	if (rc != -EINVAL) {
		if (!rc)
			*applied |= DUENDE_MLOCK_F_ONFAULT;
		return rc;
	}
#endif
	*applied |= DUENDE_MLOCK_F_ONFAULT_UNAVAILABLE;
	return mlockall_retry(fn, ctx, flags);
}

/* How each part is locked: pages mapped now (MCL_CURRENT) and mappings
 * made later (MCL_FUTURE), each populated or locked as touched. */
struct lock_plan {
	bool current, future;
	bool current_onfault, future_onfault;
};

static struct lock_plan plan_of(const struct duende_mlock_config *cfg, bool current_onfault)
{
	struct lock_plan p = {
		.current = cfg->current,
		.future = cfg->future,
		/* Lean mode populates what is mapped at start and locks later
		 * mappings as they are touched. */
		.current_onfault = cfg->onfault || current_onfault,
		.future_onfault = cfg->onfault || cfg->lean,
	};

	return p;
}

static int mlockall_as(dm_mlockall_fn fn, void *ctx, int flags, bool onfault, uint32_t *applied)
{
	return onfault ? mlockall_onfault(fn, ctx, flags, applied) : mlockall_retry(fn, ctx, flags);
}

static int apply_plan(const struct lock_plan *p, dm_mlockall_fn fn, void *ctx, uint32_t *applied)
{
	int rc = 0;

	if (p->current && p->future && p->current_onfault == p->future_onfault) {
		rc = mlockall_as(fn, ctx, MCL_CURRENT | MCL_FUTURE, p->current_onfault, applied);
	} else {
		/* Two calls: MCL_FUTURE alone leaves existing mappings as the
		 * first call made them (and MCL_CURRENT alone clears a future
		 * lock, so it goes first). */
		if (p->current)
			rc = mlockall_as(fn, ctx, MCL_CURRENT, p->current_onfault, applied);
		if (!rc && p->future)
			rc = mlockall_as(fn, ctx, MCL_FUTURE, p->future_onfault, applied);
	}
	if (!rc)
		*applied |= (p->current ? DUENDE_MLOCK_F_CURRENT : 0) |
			    (p->future ? DUENDE_MLOCK_F_FUTURE : 0);
	return rc;
}
#endif

int dm_lock_apply(const struct duende_mlock_config *cfg, bool current_onfault, dm_mlockall_fn fn,
		  void *ctx, uint32_t *applied)
{
#if DM_HAVE_MLOCKALL
	struct lock_plan plan = plan_of(cfg, current_onfault);

	return apply_plan(&plan, fn, ctx, applied);
#else
	(void)cfg;
	(void)current_onfault;
	(void)fn;
	(void)ctx;
	(void)applied;
	return -ENOSYS;
#endif
}

#if DM_HAVE_MLOCKALL
#if DM_HAVE_PROCFS
static int populate_line(void *ctx, const char *line, size_t len)
{
	struct dm_map_entry m;

	(void)ctx;
	if (dm_maps_parse_line(line, len, &m) == 0 && m.inode && m.perms[0] == 'r')
		(void)madvise((void *)(uintptr_t)m.start, (size_t)(m.end - m.start), MADV_POPULATE_READ);
	return 0;
}
#endif

/* After fork the child's page tables hold its anonymous pages but not
 * its file-backed ones (program text, libraries, mapped files), which the
 * kernel maps again on touch. Once a daemonizing parent exits, nothing
 * keeps those locked: map them in now, with read faults, which copy
 * nothing. Async-signal-safe: open/read/close and madvise. */
static void populate_file_mappings(void)
{
#if DM_HAVE_PROCFS
	char buf[512];

	(void)dm_read_lines(AT_FDCWD, "/proc/self/maps", buf, sizeof(buf), populate_line, NULL);
#endif
}

/* Headroom left once the lock is taken: MCL_CURRENT counts everything
 * mapped (VmSize), MCL_FUTURE alone only what is locked already. */
static int check_headroom(const struct duende_mlock_config *cfg, struct duende_mlock_status *st)
{
	struct dm_lock_facts f;

	dm_gather_lock_facts(&f);
	return dm_lock_check_headroom(cfg, &f, st);
}
#endif

#if DM_HAVE_MLOCKALL
int dm_lock_check_headroom(const struct duende_mlock_config *cfg, const struct dm_lock_facts *f,
			   struct duende_mlock_status *st)
{
	dm_lock_fill_facts(st, f);
	uint64_t after = dm_lock_headroom(f, dm_counted_after_lock(cfg->current, f->vm_size, f->vm_lck));
	st->headroom_bytes = after;
	if (!f->usage_known && after != DUENDE_MLOCK_UNLIMITED)
		return fail(st, -ENOMEM, DUENDE_MLOCK_F_HEADROOM_SHORT);
	if (after < cfg->min_headroom)
		return fail(st, -ENOMEM, DUENDE_MLOCK_F_HEADROOM_SHORT);
	return 0;
}

int dm_lock_conclude(const struct duende_mlock_config *cfg, int rc, const struct dm_lock_facts *f,
		     struct duende_mlock_status *st)
{
	dm_lock_fill_facts(st, f);
	if (rc) {
		fail(st, rc, 0);
		return cfg->required ? rc : 0;
	}
	st->state = DUENDE_MLOCK_STATE_LOCKED;
	st->bytes_locked = f->usage_known ? (size_t)f->vm_lck : 0;
	return 0;
}
#endif

static int lock_configured(const struct duende_mlock_config *cfg, bool after_fork,
			   struct duende_mlock_status *st)
{
	if (!dm_lock_config_is_valid(cfg))
		return fail(st, -EINVAL, DUENDE_MLOCK_F_BAD_CONFIG);
	if (!cfg->current && !cfg->future) {
		/* Documented no-op, as in the crate: no system call at all. */
		st->state = DUENDE_MLOCK_STATE_LOCKED;
		return 0;
	}
#if DM_HAVE_MLOCKALL
	struct dm_lock_facts f;
	int rc;

	if (cfg->required && cfg->min_headroom) {
		rc = check_headroom(cfg, st);
		if (rc)
			return rc;
	}
	/* A forked child inherits the lean settings with its parent's memory;
	 * setting them again would not be async-signal-safe. */
	if (cfg->lean && (after_fork || dm_apply_lean(cfg->lean_stack_size ? cfg->lean_stack_size
									     : DUENDE_MLOCK_LEAN_STACK_DEFAULT) == 0))
		st->flags |= DUENDE_MLOCK_F_LEAN;
	/* A forked child shares its parent's pages, which are resident and
	 * locked already. Populating them would write-fault every private
	 * page into a copy (a locked 1 GiB parent made fork+exec take 20x
	 * longer); lock-on-fault locks the ones present without copying. */
	rc = dm_lock_apply(cfg, after_fork, mlockall_here, NULL, &st->flags);
	if (!rc && after_fork && cfg->current)
		populate_file_mappings();
	dm_gather_lock_facts(&f);
	return dm_lock_conclude(cfg, rc, &f, st);
#else
	(void)after_fork;
	st->state = DUENDE_MLOCK_STATE_UNSUPPORTED;
	return 0;
#endif
}

static int lock_as(const struct duende_mlock_config *config, bool after_fork,
		   struct duende_mlock_status *status)
{
	static const struct duende_mlock_config defaults = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	int rc;

	memset(&st, 0, sizeof(st));
	if (!config)
		config = &defaults;
	st.min_headroom = config->min_headroom;
	rc = lock_configured(config, after_fork, &st);
	if (status)
		*status = st;
	return rc;
}

DM_EXPORT int duende_mlock_lock_with_config(const struct duende_mlock_config *config,
					    struct duende_mlock_status *status)
{
	return lock_as(config, false, status);
}

DM_EXPORT int duende_mlock_lock_after_fork(const struct duende_mlock_config *config,
					   struct duende_mlock_status *status)
{
	return lock_as(config, true, status);
}

DM_EXPORT int duende_mlock_lock_all(struct duende_mlock_status *status)
{
	return duende_mlock_lock_with_config(NULL, status);
}

DM_EXPORT int duende_mlock_unlock_all(void)
{
#if DM_HAVE_MLOCKALL
	int rc;

	do
		rc = munlockall();
	while (rc != 0 && errno == EINTR);
	return rc ? -errno : 0;
#else
	return 0; /* nothing can have been locked here */
#endif
}

int dm_probe_onfault(void)
{
#if DM_HAVE_PROCFS
	/* mlockall is process-wide, so ask in a child, through the very call
	 * that locking makes. Only the future flag: nothing is populated. */
	pid_t pid = dm_fork_quietly();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		uint32_t applied = 0;
		int rc = mlockall_onfault(mlockall_here, NULL, MCL_FUTURE, &applied);
		_exit(rc ? 2 : (applied & DUENDE_MLOCK_F_ONFAULT) ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 2)
		return -EIO;
	return WEXITSTATUS(status) == 0;
#else
	return -ENOSYS;
#endif
}
