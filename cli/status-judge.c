/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* duende-mlock status: how the processes stand against what was expected
 * of them. The verdicts on each process are the library's; this file
 * holds them against the --expect specs. */
#include "status.h"

/* Is the process what spec asks for? */
static bool entry_ok(const struct entry *e, const struct spec *spec)
{
	uint32_t want = DUENDE_MLOCK_V_LOCKED | (spec->io_flusher ? DUENDE_MLOCK_V_IO_FLUSHER : 0);

	return !e->rc && (e->r.verdicts & want) == want;
}

void status_judge(struct scan *s)
{
	for (size_t k = 0; k < s->nspecs; k++) {
		s->specs[k].all_locked = s->specs[k].running > 0;
		for (size_t i = 0; i < s->n; i++)
			if ((s->e[i].specs >> k & 1) && !entry_ok(&s->e[i], &s->specs[k]))
				s->specs[k].all_locked = false;
	}
}

bool status_all_fine(const struct scan *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].rc || s->e[i].r.smaps_error)
			return false;
	for (size_t k = 0; k < s->nspecs; k++)
		if (!s->specs[k].all_locked)
			return false;
	for (uint32_t i = 0; s->host && i < s->swaps.count && i < DUENDE_MLOCK_SWAPS_MAX; i++)
		if (s->swaps.area[i].user_space && s->swap_protected[i] != 1)
			return false;
	return true;
}

/* Does e serve a user-space swap area that it leaves unprotected? */
static bool serves_unprotected(const struct scan *s, const struct entry *e)
{
	int i = -1;

	while ((i = duende_mlock_swap_served_by(&s->swaps, e->pid, (uint32_t)(i + 1))) >= 0)
		if (s->swaps.area[i].user_space && s->swap_protected[i] != 1)
			return true;
	return false;
}

const char *status_note(const struct scan *s, const struct entry *e)
{
	const struct duende_mlock_report *r = &e->r;

	if (r->verdicts & DUENDE_MLOCK_V_NOT_RESPONDING)
		return duende_mlock_verdict_name(DUENDE_MLOCK_V_NOT_RESPONDING);
	if (r->verdicts & DUENDE_MLOCK_V_NO_USER_MEMORY)
		return duende_mlock_verdict_name(DUENDE_MLOCK_V_NO_USER_MEMORY);
	if (e->spec >= 0 && !(r->verdicts & DUENDE_MLOCK_V_LOCKED))
		return "expected, NOT LOCKED";
	if (e->spec >= 0 && s->specs[e->spec].io_flusher && !(r->verdicts & DUENDE_MLOCK_V_IO_FLUSHER))
		return "expected, IO_FLUSHER MISSING";
	enum duende_mlock_lock_state state = duende_mlock_report_lock_state(r);
	if (state != DUENDE_MLOCK_LOCK_STATE_LOCKED && serves_unprotected(s, e))
		return state == DUENDE_MLOCK_LOCK_STATE_PARTLY_LOCKED ? "serves swap, PARTLY LOCKED"
								       : "serves swap, NOT LOCKED";
	if (state != DUENDE_MLOCK_LOCK_STATE_LOCKED)
		return duende_mlock_lock_state_name(state);
	/* Locked, yet the area is not protected: another of its servers is
	 * not, or this one lacks IO_FLUSHER where the library requires it. */
	if (serves_unprotected(s, e))
		return "serves UNPROTECTED swap";
	if (r->verdicts & DUENDE_MLOCK_V_FILE_DATA_UNLOCKED)
		return duende_mlock_verdict_name(DUENDE_MLOCK_V_FILE_DATA_UNLOCKED);
	return "";
}
