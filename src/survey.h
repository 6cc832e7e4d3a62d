/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The survey's rules, shared by its verdicts and its text. */
#ifndef DM_SURVEY_H
#define DM_SURVEY_H

#include <stdbool.h>
#include <stdint.h>

#include "duende-mlock.h"

/* Below this much headroom after locking, later allocations of a daemon
 * under MCL_FUTURE are at risk: a warning. */
#define DM_SURVEY_LOW_HEADROOM DUENDE_MLOCK_LOW_HEADROOM

/* What the kernel will count once the process locks its current and
 * future pages. */
uint64_t dm_survey_lock_need(const struct duende_mlock_survey *s);
/* The headroom left after that lock. */
uint64_t dm_survey_headroom_after(const struct duende_mlock_survey *s);
/* Task flags (/proc/PID/stat) show PR_SET_IO_FLUSHER: it sets both. */
bool dm_io_flusher_in(uint64_t task_flags);
/* The process has PR_SET_IO_FLUSHER. */
bool dm_survey_io_flusher(const struct duende_mlock_survey *s);

#endif
