/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#ifndef DM_MOUNTS_H
#define DM_MOUNTS_H

#include "procfs.h"

/* The kinds of the mounts that the process whose /proc directory dirfd
 * is sees (its mountinfo, then the reader's own for what it lacks), with
 * the FUSE mounts whose connection it holds (its /dev/fuse descriptors)
 * as DM_FS_SERVED and the other FUSE mounts as file data. 0, or the
 * negative errno of its mountinfo (the table then holds the reader's
 * mounts only). No malloc; async-signal-safe. */
int dm_read_mount_kinds(int dirfd, struct dm_mount_kinds *mk);

#endif
