/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#ifndef DM_EXPLAIN_H
#define DM_EXPLAIN_H

#include "duende-mlock.h"
#include "remedy.h"
#include "text.h"

/* The diagnosis of a filled status (LOCKED, FAILED or UNSUPPORTED), its
 * remedies judged by c: for this process (duende_mlock_explain()), or for
 * a process locked from outside (c->running_pid). */
void dm_explain_status(struct dm_text *t, const struct duende_mlock_status *s,
		       const struct dm_remedy_ctx *c);

/* One line on a step's outcome (duende_mlock_step_explain()); pid: the
 * process it was run on from outside, 0 for this one. */
void dm_put_step_explain(struct dm_text *t, enum duende_mlock_step step,
			 const struct duende_mlock_step_result *r, int pid);

#endif
