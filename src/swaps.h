/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The swap areas into the layout of the unit that asks (layout.h). */
#ifndef DM_SWAPS_H
#define DM_SWAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "duende-mlock.h"
#include "layout.h"

/* Reads the active swap areas and who serves them into swaps (zeroed
 * here): 0 or the negative errno also left in swaps->error. */
int DM_LAYOUT_NAME(dm_swaps_read)(DM_SWAPS *swaps);
/* duende_mlock_swap_served_by() of the unit's layout. */
#ifdef DM_LAYOUT_1_1
#define dm_swap_served_by dm_swap_served_by_v11
#endif
int dm_swap_served_by(const DM_SWAPS *swaps, pid_t pid, uint32_t from);

/* Do the servers of a swap area protect it (swap-protect.c, the one rule
 * of duende_mlock_swap_protected())? nservers counts them all, servers[]
 * holds the first held of them. */
bool dm_swap_servers_protected(const pid_t *servers, uint32_t nservers, uint32_t held);
/* The memory cgroup of pid, as the survey reads it (survey.c). */
int dm_memory_cgroup(pid_t pid, struct duende_mlock_cgroup *out);

#endif
