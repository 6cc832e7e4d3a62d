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
#include <sys/wait.h>
#include <unistd.h>
#endif

static bool config_is_valid(const struct duende_mlock_config *cfg)
{
	for (size_t i = 0; i < sizeof(cfg->reserved) / sizeof(cfg->reserved[0]); i++)
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
static uint64_t headroom_of(const struct dm_lock_facts *f, uint64_t counted)
{
	uint64_t room = dm_headroom(f->cap_ipc_lock, f->memlock_soft, counted);

	return f->usage_known || room == DUENDE_MLOCK_UNLIMITED ? room : 0;
}

static void fill_facts(struct duende_mlock_status *st, const struct dm_lock_facts *f)
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
	st->headroom_bytes = headroom_of(f, f->vm_lck);
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
static int mlockall_retry(int flags)
{
	int rc;

	do
		rc = mlockall(flags);
	while (rc != 0 && errno == EINTR);
	return rc ? -errno : 0;
}

/* mlockall with MCL_ONFAULT, falling back to a full lock on kernels before
 * 4.4, which reject the unknown flag with EINVAL. */
static int mlockall_onfault(int flags, uint32_t *applied)
{
#ifdef MCL_ONFAULT
	int rc = mlockall_retry(flags | MCL_ONFAULT);

	if (rc != -EINVAL) {
		if (!rc)
			*applied |= DUENDE_MLOCK_F_ONFAULT;
		return rc;
	}
#endif
	*applied |= DUENDE_MLOCK_F_ONFAULT_UNAVAILABLE;
	return mlockall_retry(flags);
}

static int apply_lock(const struct duende_mlock_config *cfg, uint32_t *applied)
{
	int cur = cfg->current ? MCL_CURRENT : 0;
	int fut = cfg->future ? MCL_FUTURE : 0;
	int rc;

	if (cfg->lean && cur && fut && !cfg->onfault) {
		/* Populate what is mapped now, lock later mappings as they are
		 * touched. mlockall(MCL_FUTURE) alone leaves existing mappings
		 * as the first call made them. */
		rc = mlockall_retry(cur);
		if (!rc)
			rc = mlockall_onfault(fut, applied);
	} else if (cfg->onfault || cfg->lean) {
		rc = mlockall_onfault(cur | fut, applied);
	} else {
		rc = mlockall_retry(cur | fut);
	}
	if (!rc)
		*applied |= (cur ? DUENDE_MLOCK_F_CURRENT : 0) | (fut ? DUENDE_MLOCK_F_FUTURE : 0);
	return rc;
}

/* Headroom left once the lock is taken: MCL_CURRENT counts everything
 * mapped (VmSize), MCL_FUTURE alone only what is locked already. */
static int check_headroom(const struct duende_mlock_config *cfg, struct duende_mlock_status *st)
{
	struct dm_lock_facts f;

	dm_gather_lock_facts(&f);
	fill_facts(st, &f);
	uint64_t after = headroom_of(&f, dm_counted_after_lock(cfg->current, f.vm_size, f.vm_lck));
	st->headroom_bytes = after;
	if (!f.usage_known && after != DUENDE_MLOCK_UNLIMITED)
		return fail(st, -ENOMEM, DUENDE_MLOCK_F_HEADROOM_SHORT);
	if (after < cfg->min_headroom)
		return fail(st, -ENOMEM, DUENDE_MLOCK_F_HEADROOM_SHORT);
	return 0;
}
#endif

static int lock_configured(const struct duende_mlock_config *cfg, struct duende_mlock_status *st)
{
	if (!config_is_valid(cfg))
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
	if (cfg->lean && dm_apply_lean(cfg->lean_stack_size ? cfg->lean_stack_size
							    : DUENDE_MLOCK_LEAN_STACK_DEFAULT) == 0)
		st->flags |= DUENDE_MLOCK_F_LEAN;
	rc = apply_lock(cfg, &st->flags);
	dm_gather_lock_facts(&f);
	fill_facts(st, &f);
	if (rc) {
		fail(st, rc, 0);
		return cfg->required ? rc : 0;
	}
	st->state = DUENDE_MLOCK_STATE_LOCKED;
	st->bytes_locked = f.usage_known ? (size_t)f.vm_lck : 0;
	return 0;
#else
	st->state = DUENDE_MLOCK_STATE_UNSUPPORTED;
	return 0;
#endif
}

DM_EXPORT int duende_mlock_lock_with_config(const struct duende_mlock_config *config,
					    struct duende_mlock_status *status)
{
	static const struct duende_mlock_config defaults = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	int rc;

	memset(&st, 0, sizeof(st));
	if (!config)
		config = &defaults;
	st.min_headroom = config->min_headroom;
	rc = lock_configured(config, &st);
	if (status)
		*status = st;
	return rc;
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
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		uint32_t applied = 0;
		int rc = mlockall_onfault(MCL_FUTURE, &applied);
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
