/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The precise lock's plan: for each mapping of a process, whether a lock
 * against DT-007 locks it (and how it is populated) or leaves it to the
 * kernel. One rule for every way a lock is taken: the process locking
 * itself at start and after fork (lock.c), a mapping made later
 * (duende_mlock_mmap_precise), and a process locked from outside, which
 * reads the target's plan through dm_precise_plan() and makes the calls
 * each action names inside it.
 */
#ifndef DM_PRECISE_H
#define DM_PRECISE_H

#include <stdbool.h>
#include <stdint.h>

#include "procfs.h"

/* What the plan does with a mapping. */
enum dm_precise_action {
	/* File data: munlock(2); its pages return to their file. */
	DM_PRECISE_UNLOCK = 0,
	/* Lock it and read it in: mlock(2), or mlock2(MLOCK_ONFAULT) then
	 * MADV_POPULATE_READ (program code, read-only or shared memory,
	 * files the process serves). */
	DM_PRECISE_LOCK_READ,
	/* Lock it and fault it in for writing: mlock(2), or
	 * mlock2(MLOCK_ONFAULT) then MADV_POPULATE_WRITE (private writable
	 * memory: heap, stacks; writable shared memory), so that no write
	 * allocates under memory pressure. */
	DM_PRECISE_LOCK_WRITE,
	/* Lock what is touched: mlock2(MLOCK_ONFAULT). Private mappings of
	 * file data that are or may become written: their copy-on-write
	 * pages are swap-backed, the file pages they read are not read in. */
	DM_PRECISE_LOCK_ONFAULT,
};

/* One mapping as the plan judges it. */
struct dm_precise_mapping {
	struct dm_map_entry map; /* range, permissions, device, inode */
	enum dm_backing backing;
	/* Its file also has an executable mapping in the process: it is the
	 * program, or a library it loaded. */
	bool program;
	/* It holds copy-on-write pages now (smaps Anonymous above 0). */
	bool written;
};

/* The action for one mapping. Pure. */
enum dm_precise_action dm_precise_action(const struct dm_precise_mapping *m);

/* Calls fn for each mapping of the process whose /proc directory dirfd
 * is (an fd of /proc/self for this process) with its action, in address
 * order, skipping the vsyscall page. Reads its mountinfo and /dev/fuse
 * descriptors once, its maps twice, and its smaps instead only when a
 * private read-only file mapping outside the program needs Anonymous to
 * be judged. fn may change the mapping (lock or unlock it) while the walk
 * goes on; a non-zero return stops it and is returned. Otherwise 0, or
 * the negative errno of reading maps. No malloc; async-signal-safe; about
 * 7 KiB of stack. */
typedef int (*dm_precise_fn)(void *ctx, const struct dm_precise_mapping *m,
			     enum dm_precise_action action);
int dm_precise_plan(int dirfd, dm_precise_fn fn, void *ctx);

/* The precise lock of this process's current mappings, as the plan says,
 * once MCL_FUTURE is set: at start each mapping to lock is locked
 * (mlock2 MLOCK_ONFAULT, which RLIMIT_MEMLOCK checks) and then populated
 * (mlock, as MCL_CURRENT would), file data unlocked; after fork nothing
 * is copied: the pages present in the child are locked as they are, the
 * program's file pages read in (MADV_POPULATE_READ), file data never
 * locked. Returns 0, or the negative errno of reading /proc/self (then
 * nothing may have been done); *lock_error gets 0 or the negative errno
 * of the first lock that failed (the others were still made).
 * Async-signal-safe. */
int dm_precise_lock_current(bool after_fork, int *lock_error);

#endif
