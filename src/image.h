/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* "The same image": the one rule by which a process forked from a locked
 * program, or one that execs again, is told from a helper that runs
 * another program: the same executable file, the device and inode of
 * /proc/PID/exe. duende_mlock_image_tree() and duende_mlock_follow() ask
 * it. No malloc, no stdio. */
#ifndef DM_IMAGE_H
#define DM_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct dm_image {
	uint64_t dev_major, dev_minor, ino;
};

/* The executable file process pid runs: 0, -ESRCH when it is gone, or a
 * negative errno (no access to /proc/PID/exe). Not synced with the file
 * system's server: a hung FUSE or network daemon cannot hang the call. */
int dm_image_of(pid_t pid, struct dm_image *im);

bool dm_image_same(const struct dm_image *a, const struct dm_image *b);

#endif
