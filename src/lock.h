/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#ifndef DM_LOCK_H
#define DM_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "duende-mlock.h"
#include "lock-rules.h"

/* The configuration is one duende_mlock_lock_with_config() accepts:
 * reserved words zero, onfault with something to lock, a lean stack in
 * range. */
bool dm_lock_config_is_valid(const struct duende_mlock_config *cfg);


/* One mlockall(2), made wherever the caller makes it (here, or inside
 * another process): 0 or a negative errno. */
typedef int (*dm_mlockall_fn)(void *ctx, int flags);

/* The mlockall calls that lock as cfg says, made through fn: pages mapped
 * now are populated, or with current_onfault (a forked child, a process
 * locked from outside whose own swap may hold its pages) locked as they
 * are, without faulting any in; later mappings as cfg says. EINTR is
 * retried; MCL_ONFAULT falls back to a full lock on kernels before 4.4.
 * Adds the DUENDE_MLOCK_F_* applied to *applied. */
int dm_lock_apply(const struct duende_mlock_config *cfg, bool current_onfault, dm_mlockall_fn fn,
		  void *ctx, uint32_t *applied);
/* The status's facts (limits, capabilities, usage, headroom now). */
void dm_lock_fill_facts(struct duende_mlock_status *st, const struct dm_lock_facts *f);
/* The headroom once counted bytes are charged; with the usage unknown,
 * only an unlimited headroom is known. */
uint64_t dm_lock_headroom(const struct dm_lock_facts *f, uint64_t counted);
/* Required mode with min_headroom: refuses (-ENOMEM, HEADROOM_SHORT) when
 * less would be left under the limit of the process f describes. */
int dm_lock_check_headroom(const struct duende_mlock_config *cfg, const struct dm_lock_facts *f,
			   struct duende_mlock_status *st);
/* Finishes st after the lock calls returned rc, with the facts read
 * after them; returns what the lock returns (0 for a failure in
 * best-effort mode). */
int dm_lock_conclude(const struct duende_mlock_config *cfg, int rc, const struct dm_lock_facts *f,
		     struct duende_mlock_status *st);

/* Does this kernel lock on fault (MCL_ONFAULT, Linux 4.4+)? Asked in a
 * short-lived child through the call the lock itself makes, so the answer
 * is the one a lock would get. 1 yes, 0 no, negative errno unknown. */
int dm_probe_onfault(void);

#endif
