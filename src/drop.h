/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#ifndef DM_DROP_H
#define DM_DROP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "duende-mlock.h"

/* The first released size of struct duende_mlock_drop (1.2): smaller
 * callers are refused. */
#define DM_DROP_SIZE_1_2 (offsetof(struct duende_mlock_drop, headroom) + sizeof(uint64_t))

/* Does the program process pid runs drop privileges
 * (duende_mlock_program_drops_privileges() of /proc/PID/exe)? -EAGAIN
 * when it lives on a FUSE mount: a hung server would hang the read, so it
 * is never opened. */
int dm_pid_program_drops(pid_t pid);

/* The children of pid that run under another uid than parent_uid. */
struct dm_dropped_children {
	uint32_t n, short_n; /* how many; how many locked short (no CAP_IPC_LOCK) */
	pid_t example;       /* one of them, a short one first */
	uint32_t uid;        /* its uid */
};
void dm_pid_dropped_children(pid_t pid, uint32_t parent_uid, struct dm_dropped_children *out);

#endif
