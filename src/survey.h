/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The survey's rules, shared by its verdicts and its text, written once
 * for whichever layout the unit is built for (layout.h). */
#ifndef DM_SURVEY_H
#define DM_SURVEY_H

#include <stdbool.h>
#include <stdint.h>

#include "duende-mlock.h"
#include "layout.h"
#include "lock-rules.h"
#include "report-rules.h"

/* Below this much headroom after locking, later allocations of a daemon
 * under MCL_FUTURE are at risk: a warning. */
#define DM_SURVEY_LOW_HEADROOM DUENDE_MLOCK_LOW_HEADROOM

/* What the kernel will count once the process locks its current and
 * future pages (the default lock). */
static inline uint64_t dm_survey_lock_need(const DM_SURVEY *s)
{
	return dm_counted_after_lock(true, s->process.vm_size, s->process.vm_lck);
}

/* The headroom left after that lock. */
static inline uint64_t dm_survey_headroom_after(const DM_SURVEY *s)
{
	return dm_headroom(s->process.cap_ipc_lock, s->process.memlock_soft, dm_survey_lock_need(s));
}

/* The process has PR_SET_IO_FLUSHER (its main thread's flags). */
static inline bool dm_survey_io_flusher(const DM_SURVEY *s)
{
	return dm_io_flusher_in(s->process.task_flags);
}

/* The process's lock state, the one rule (report-rules.h). */
static inline enum duende_mlock_lock_state dm_survey_lock_state(const DM_SURVEY *s)
{
	return dm_lock_state(s->process.known, s->process.vm_lck, s->process.verdicts);
}

/* The container it runs in: 1.1's survey has the name only. */
static inline enum duende_mlock_container dm_survey_container(const DM_SURVEY *s)
{
#if DM_LAYOUT_HAS_SIZE
	return s->container_kind;
#else
	return dm_container_named(s->container);
/* Judges the gathered facts of s as findings, worst severity in verdict. */
#ifdef DM_LAYOUT_1_1
#define dm_survey_judge dm_survey_judge_v11
#endif
void dm_survey_judge(DM_SURVEY *s);

#endif
}

/* Judges the gathered facts of s as findings, worst severity in verdict. */
#ifdef DM_LAYOUT_1_1
#define dm_survey_judge dm_survey_judge_v11
#endif
void dm_survey_judge(DM_SURVEY *s);

#endif
