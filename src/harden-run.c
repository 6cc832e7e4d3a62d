/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * duende_mlock_harden(): the steps a swap-serving daemon asks for, run in
 * order, each outcome recorded, and the one answer to "may the program go
 * on?". The steps themselves are in harden.c (Linux) or unsupported.c;
 * this sequence is the same everywhere.
 */
#include <errno.h>
#include <string.h>

#include "duende-mlock.h"
#include "layout.h"
#include "lock.h"
#include "platform.h"

_Static_assert(DUENDE_MLOCK_STEP_COUNT <= DUENDE_MLOCK_STEPS_MAX, "room for every step");
_Static_assert(sizeof(struct duende_mlock_harden_result) >= DM_HARDEN_RESULT_SIZE_1_2,
	       "the harden result only grows");
_Static_assert(DUENDE_MLOCK_STEP_COUNT >= DM_V10_STEP_COUNT, "1.0's steps stay");

static bool harden_config_is_valid(const struct duende_mlock_harden_config *cfg)
{
	for (size_t i = 0; i < DM_ARRAY_SIZE(cfg->reserved); i++)
		if (cfg->reserved[i])
			return false;
	if (cfg->reserved32)
		return false;
	if (cfg->set_oom_score_adj && (cfg->oom_score_adj < DUENDE_MLOCK_OOM_SCORE_ADJ_MIN ||
				       cfg->oom_score_adj > DUENDE_MLOCK_OOM_SCORE_ADJ_MAX))
		return false;
	if (cfg->prefault_stack > DUENDE_MLOCK_PREFAULT_STACK_MAX)
		return false;
	return !cfg->lock || dm_lock_config_is_valid(&cfg->lock_config);
}

/* A step's outcome. A feature the kernel or libc lacks answers EINVAL
 * there (PR_SET_IO_FLUSHER before 5.6, a mallopt it refuses); here it is
 * ENOTSUP, so that EINVAL is left to mean a bad configuration. */
static void record(struct duende_mlock_harden_result *res, enum duende_mlock_step step, int rc,
		   uint64_t value, int *first_rc)
{
	if (rc == -EINVAL)
		rc = -ENOTSUP;
	res->steps[step].requested = true;
	res->steps[step].rc = rc;
	res->steps[step].value = rc ? 0 : value;
	if (rc) {
		res->failed |= 1u << step;
		if (!*first_rc)
			*first_rc = rc;
	}
}

/* Runs the steps into res (zeroed); returns the first failure's rc. */
static int run_steps(const struct duende_mlock_harden_config *cfg,
		     struct duende_mlock_harden_result *res)
{
	int first = 0;
	uint64_t soft = 0;

	res->size = (uint32_t)sizeof(*res);
	res->steps_known = DUENDE_MLOCK_STEP_COUNT;
	if (cfg->raise_memlock) {
		int rc = duende_mlock_raise_memlock(&soft);
		record(res, DUENDE_MLOCK_STEP_RAISE_MEMLOCK, rc, soft, &first);
	}
	if (cfg->io_flusher)
		record(res, DUENDE_MLOCK_STEP_IO_FLUSHER, duende_mlock_set_io_flusher(), 1, &first);
	if (cfg->set_oom_score_adj)
		record(res, DUENDE_MLOCK_STEP_OOM_SCORE_ADJ,
		       duende_mlock_set_oom_score_adj(cfg->oom_score_adj),
		       (uint64_t)(int64_t)cfg->oom_score_adj, &first);
	if (cfg->malloc_keep)
		record(res, DUENDE_MLOCK_STEP_MALLOC, duende_mlock_malloc_keep(), 1, &first);
	if (cfg->lock) {
		int rc = duende_mlock_lock_with_config(&cfg->lock_config, &res->lock_status);
		/* Best effort returns 0 for a failed lock; the status says it. */
		if (!rc && duende_mlock_status_is_failed(&res->lock_status))
			rc = -res->lock_status.failure_errno;
		record(res, DUENDE_MLOCK_STEP_LOCK, rc, res->lock_status.bytes_locked, &first);
	}
	if (cfg->prefault_stack)
		record(res, DUENDE_MLOCK_STEP_PREFAULT_STACK,
		       duende_mlock_prefault_stack(cfg->prefault_stack), cfg->prefault_stack, &first);
	return first;
}

/* May the program go on? In best-effort mode always; in required mode
 * unless the lock or a required step failed. The answer is the failed
 * step's rc, the lock's first. */
DM_EXPORT bool duende_mlock_step_is_required(const struct duende_mlock_harden_config *cfg,
					     enum duende_mlock_step step)
{
	if (!cfg || (unsigned)step >= DUENDE_MLOCK_STEP_COUNT || !cfg->lock_config.required)
		return false;
	return step == DUENDE_MLOCK_STEP_LOCK || (cfg->required_steps & (1u << step));
}

static int decide(const struct duende_mlock_harden_config *cfg,
		  struct duende_mlock_harden_result *res)
{
	uint32_t stopping = 0;

	for (int step = 0; step < DUENDE_MLOCK_STEP_COUNT; step++)
		if ((res->failed & (1u << step)) &&
		    duende_mlock_step_is_required(cfg, (enum duende_mlock_step)step))
			stopping |= 1u << step;
	if (!stopping)
		return 0;
	res->must_stop = true;
	if (stopping & (1u << DUENDE_MLOCK_STEP_LOCK))
		return res->steps[DUENDE_MLOCK_STEP_LOCK].rc;
	for (int step = 0; step < DUENDE_MLOCK_STEP_COUNT; step++)
		if (stopping & (1u << step))
			return res->steps[step].rc;
	return -EIO; /* not reached: a failed step has an rc */
}

DM_EXPORT int duende_mlock_harden_sized(const struct duende_mlock_harden_config *cfg,
					struct duende_mlock_harden_result *res, size_t size)
{
	struct duende_mlock_harden_result own;
	size_t filled = size < sizeof(own) ? size : sizeof(own);
	int rc;

	if (!res || size < DM_HARDEN_RESULT_SIZE_1_2)
		return -EINVAL;
	memset(res, 0, size);
	if (!cfg || !harden_config_is_valid(cfg))
		return -EINVAL;
	/* Filled whole here, handed over as far as the caller knows it. */
	memset(&own, 0, sizeof(own));
	run_steps(cfg, &own);
	rc = decide(cfg, &own);
	own.size = (uint32_t)filled;
	memcpy(res, &own, filled);
	return rc;
}

/* 1.0's entry: its layout, and its answer (the first failure's rc, in
 * best-effort mode too, where a failed lock itself counts as done). */
DM_EXPORT int(duende_mlock_harden)(const struct duende_mlock_harden_config *cfg, void *out)
{
	struct dm_v10_harden_result *old = out;
	struct duende_mlock_harden_result res;
	int first;

	if (!old)
		return -EINVAL;
	memset(old, 0, sizeof(*old));
	if (!cfg || !harden_config_is_valid(cfg))
		return -EINVAL;
	memset(&res, 0, sizeof(res));
	first = run_steps(cfg, &res);
	if (cfg->lock && !cfg->lock_config.required && (res.failed & (1u << DUENDE_MLOCK_STEP_LOCK))) {
		res.steps[DUENDE_MLOCK_STEP_LOCK].rc = 0;
		res.failed &= ~(1u << DUENDE_MLOCK_STEP_LOCK);
		first = 0;
		for (int step = 0; step < DUENDE_MLOCK_STEP_COUNT && !first; step++)
			first = res.steps[step].rc;
	}
	memcpy(old->steps, res.steps, sizeof(old->steps));
	old->lock_status = res.lock_status;
	return first;
}
