/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Privilege drops: what losing CAP_IPC_LOCK would do to the calling
 * process's lock (the words are in drop-explain.c).
 *
 * The kernel's rules (kernel/cred.c, security/commoncap.c): a uid change
 * that leaves no uid 0 clears the permitted and effective sets unless
 * SECBIT_KEEP_CAPS (PR_SET_KEEPCAPS) is set; an effective uid that leaves
 * 0 clears the effective set; SECBIT_NO_SETUID_FIXUP turns both off.
 * Capabilities are per thread. CAP_IPC_LOCK is what lifts RLIMIT_MEMLOCK
 * (capable() in mm/mlock.c and at every mmap under MCL_FUTURE), so a
 * locked daemon that drops root is bound by the limit from then on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>

#include "duende-mlock.h"
#include "drop.h"
#include "lock-rules.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"
#include "text.h"

#if DM_HAVE_PROCFS
#include <sys/prctl.h>
#endif

/* securebits (linux/securebits.h), spelled out for musl. */
#define DM_SECBIT_NO_SETUID_FIXUP (1u << 2)
#define DM_SECBIT_KEEP_CAPS (1u << 4)
#define DM_SECBIT_KEEP_CAPS_LOCKED (1u << 5)

static uint64_t rlim_bytes(rlim_t v)
{
	return v == RLIM_INFINITY ? DUENDE_MLOCK_UNLIMITED : (uint64_t)v;
}

static void gather(struct duende_mlock_drop *d)
{
	struct rlimit rl;
	struct dm_caps caps;
	struct dm_proc_status st;

	memset(d, 0, sizeof(*d));
	d->memlock_soft = d->memlock_hard = DUENDE_MLOCK_UNLIMITED;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		d->memlock_soft = rlim_bytes(rl.rlim_cur);
		d->memlock_hard = rlim_bytes(rl.rlim_max);
	}
	/* A namespaced CAP_IPC_LOCK lifts nothing (see dm_cap_effective). */
	if (dm_read_own_caps(&caps) == 0 &&
	    dm_cap_effective(caps.permitted, DM_CAP_IPC_LOCK,
			     dm_in_initial_userns(AT_FDCWD, "/proc/self")))
		d->flags |= DUENDE_MLOCK_DROP_HOLDS_IPC_LOCK;
#if DM_HAVE_PROCFS
	int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (bits > 0 && ((unsigned)bits & DM_SECBIT_KEEP_CAPS))
		d->flags |= DUENDE_MLOCK_DROP_KEEPCAPS;
	if (bits > 0 && ((unsigned)bits & DM_SECBIT_KEEP_CAPS_LOCKED) &&
	    !((unsigned)bits & DM_SECBIT_KEEP_CAPS))
		d->flags |= DUENDE_MLOCK_DROP_KEEPCAPS_LOCKED;
	if (bits > 0 && ((unsigned)bits & DM_SECBIT_NO_SETUID_FIXUP))
		d->flags |= DUENDE_MLOCK_DROP_NO_SETUID_FIXUP;
	/* A chrooted daemon (haproxy's `chroot`) has no /proc: then what it
	 * locks is unknown, and it is not judged covered. */
	if (dm_read_proc_status(AT_FDCWD, "/proc/self/status", DM_ST_VMLCK | DM_ST_THREADS, &st) == 0 &&
	    (st.present & DM_ST_VMLCK)) {
		d->locked = st.vm_lck;
		d->threads = (st.present & DM_ST_THREADS) ? st.threads : 0;
	} else {
		d->flags |= DUENDE_MLOCK_DROP_USAGE_UNKNOWN;
	}
#else
	(void)st;
	d->flags |= DUENDE_MLOCK_DROP_USAGE_UNKNOWN;
#endif
	d->headroom = dm_headroom(false, d->memlock_soft, d->locked);
	if (!(d->flags & DUENDE_MLOCK_DROP_USAGE_UNKNOWN) && dm_limit_covers_lock(d->memlock_soft, d->locked))
		d->flags |= DUENDE_MLOCK_DROP_COVERED;
}

DM_EXPORT int duende_mlock_drop_outlook_sized(struct duende_mlock_drop *out, size_t size)
{
	struct duende_mlock_drop d;
	size_t n = size < sizeof(d) ? size : sizeof(d);

	if (!out || size < DM_DROP_SIZE_1_2)
		return -EINVAL;
	gather(&d);
	d.size = (uint32_t)n;
	memcpy(out, &d, n);
	if (size > n)
		memset((char *)out + n, 0, size - n);
	return 0;
}
