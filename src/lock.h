/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#ifndef DM_LOCK_H
#define DM_LOCK_H

#include <stdbool.h>

#include "duende-mlock.h"

/* The configuration is one duende_mlock_lock_with_config() accepts:
 * reserved words zero, onfault with something to lock, a lean stack in
 * range. */
bool dm_lock_config_is_valid(const struct duende_mlock_config *cfg);

/* Does this kernel lock on fault (MCL_ONFAULT, Linux 4.4+)? Asked in a
 * short-lived child through the call the lock itself makes, so the answer
 * is the one a lock would get. 1 yes, 0 no, negative errno unknown. */
int dm_probe_onfault(void);

#endif
