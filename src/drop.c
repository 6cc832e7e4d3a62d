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
#include <unistd.h>

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

/* ---- the drops of another process, for the survey ---- */

struct exe_mount {
	const char *path;
	size_t best;
	bool fuse;
};

static int exe_mount_line(void *ctx, const char *line, size_t len)
{
	struct exe_mount *c = ctx;
	struct dm_mount_entry m;
	size_t n;

	if (dm_mountinfo_parse_line(line, len, &m) != 0)
		return 0;
	n = strlen(m.mount_point);
	if (strncmp(c->path, m.mount_point, n) == 0 &&
	    (c->path[n] == '/' || c->path[n] == '\0' || n == 1) && n >= c->best) {
		c->best = n;
		c->fuse = strncmp(m.fstype, "fuse", 4) == 0;
	}
	return 0;
}

int dm_pid_program_drops(pid_t pid)
{
	char exe[64], mountinfo[64], target[512], buf[1024];
	struct exe_mount c = { .path = target };
	ssize_t n;

	dm_proc_path(exe, sizeof(exe), (int)pid, "exe");
	dm_proc_path(mountinfo, sizeof(mountinfo), (int)pid, "mountinfo");
	n = readlink(exe, target, sizeof(target) - 1);
	if (n <= 0)
		return n == 0 ? -ENOENT : -errno;
	target[n] = '\0';
	/* Opening a file a hung FUSE server serves would hang the survey: its
	 * mount is read from mountinfo, without touching the file. */
	if (dm_read_lines(AT_FDCWD, mountinfo, buf, sizeof(buf), exe_mount_line, &c) != 0 || !c.best)
		return -ENOENT;
	if (c.fuse)
		return -EAGAIN;
	return duende_mlock_program_drops_privileges(exe);
}

struct child_scan {
	uint32_t parent_uid;
	struct dm_dropped_children *out;
};

/* A child under another uid is short when it holds locked memory
 * without CAP_IPC_LOCK beyond what its soft limit covers. */
static void judge_child(struct child_scan *c, pid_t child)
{
	struct dm_proc_status st;
	struct dm_limits lim;
	char path[64], buf[512];
	bool is_short;

	dm_proc_path(path, sizeof(path), (int)child, "status");
	if (dm_read_proc_status(AT_FDCWD, path, DM_ST_UID | DM_ST_VMLCK | DM_ST_CAPEFF, &st) != 0 ||
	    !(st.present & DM_ST_UID) || st.uid == c->parent_uid || !(st.present & DM_ST_VMLCK) ||
	    st.vm_lck == 0)
		return; /* its own uid, or no lock to keep sound (a helper) */
	dm_limits_init(&lim);
	dm_proc_path(path, sizeof(path), (int)child, "limits");
	dm_read_lines(AT_FDCWD, path, buf, sizeof(buf), dm_limits_parse_line, &lim);
	is_short = st.vm_lck > 0 && !dm_cap_in(st.cap_eff, DM_CAP_IPC_LOCK) && lim.found &&
		   !dm_limit_covers_lock(lim.memlock_soft, st.vm_lck);
	if (!c->out->n || (is_short && !c->out->short_n)) {
		c->out->example = child;
		c->out->uid = st.uid;
	}
	c->out->n++;
	c->out->short_n += is_short;
}

void dm_pid_dropped_children(pid_t pid, uint32_t parent_uid, struct dm_dropped_children *out)
{
	struct child_scan c;
	char path[64], buf[2048];
	size_t len, pos = 0;
	uint64_t child;
	struct dm_text t;

	memset(out, 0, sizeof(*out));
	c.parent_uid = parent_uid;
	c.out = out;
	dm_text_init(&t, path, sizeof(path));
	dm_text_put(&t, "/proc/");
	dm_text_put_u64(&t, (uint64_t)pid);
	dm_text_put(&t, "/task/");
	dm_text_put_u64(&t, (uint64_t)pid);
	dm_text_put(&t, "/children");
	/* The main thread's children: a daemon forks its workers there. */
	if (dm_read_small(AT_FDCWD, path, buf, sizeof(buf), &len) != 0)
		return;
	while (dm_parse_u64(buf, len, &pos, &child))
		if (child > 0 && child <= INT32_MAX)
			judge_child(&c, (pid_t)child);
}
