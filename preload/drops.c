/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The shim's wrappers of the calls that drop privileges: see drops.h. */
#define _GNU_SOURCE
#include "drops.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "exec-settings.h"

#define DM_INTERPOSE __attribute__((visibility("default")))

/* capget(2)/capset(2) as the kernel takes them (no libcap headers). */
struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};
#define CAP_VERSION_1 0x19980330u
#define CAP_VERSION_2 0x20071026u
#define CAP_VERSION_3 0x20080522u
#define CAP_IPC_LOCK 14
#define IPC_LOCK_BIT (1u << CAP_IPC_LOCK) /* in the first word of every version */

/* libcap's ABI (sys/capability.h): cap_flag_t, cap_flag_value_t, modes. */
#define LIBCAP_EFFECTIVE 0
#define LIBCAP_PERMITTED 1
#define LIBCAP_CLEAR 0
#define LIBCAP_SET 1
#define LIBCAP_MODE_NOPRIV 1u

static struct dm_exec_settings settings;
static volatile bool watching;
static const char *name = "?";

/* The wrapped calls, as the next object (libc, libcap) defines them. */
static struct {
	int (*setuid)(uid_t);
	int (*seteuid)(uid_t);
	int (*setreuid)(uid_t, uid_t);
	int (*setresuid)(uid_t, uid_t, uid_t);
	int (*capset)(void *, const void *);
	int (*cap_set_proc)(void *);
	int (*cap_set_mode)(unsigned);
	int (*cap_get_flag)(void *, int, int, int *);
	int (*cap_set_flag)(void *, int, int, const int *, int);
} real;

/* dlsym hands back an object pointer; the cast to a function is POSIX's. */
#define RESOLVE(field)                                                        \
	do {                                                                  \
		if (!real.field) {                                            \
			void *sym = dlsym(RTLD_NEXT, #field);                 \
			memcpy(&real.field, &sym, sizeof(sym));               \
		}                                                             \
	} while (0)

static void resolve_libc(void)
{
	RESOLVE(setuid);
	RESOLVE(seteuid);
	RESOLVE(setreuid);
	RESOLVE(setresuid);
	RESOLVE(capset);
}

/* Before any image can call them, watched or not: a helper's own drop
 * goes straight through, and a forked child never needs the loader. */
__attribute__((constructor)) static void resolve_at_load(void)
{
	resolve_libc();
}

/* libcap's: only present when the program links it, perhaps later. */
static void resolve_libcap(void)
{
	RESOLVE(cap_set_proc);
	RESOLVE(cap_set_mode);
	RESOLVE(cap_get_flag);
	RESOLVE(cap_set_flag);
}

void dm_drops_watch(const struct dm_exec_settings *s, const char *name_shown)
{
	resolve_libc();
	resolve_libcap();
	settings = *s;
	name = name_shown;
	watching = true;
}

/* ---- messages, without malloc or stdio ---- */

struct text {
	char buf[2560];
	size_t len;
};

static void put(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(t->buf) - 1 - t->len)
		n = sizeof(t->buf) - 1 - t->len;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void put_u64(struct text *t, uint64_t v)
{
	char digits[24];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(digits));
	while (n && t->len < sizeof(t->buf) - 1)
		t->buf[t->len++] = digits[--n];
	t->buf[t->len] = '\0';
}

/* A uid as the call was given it: -1 for "unchanged". */
static void put_uid(struct text *t, uid_t u)
{
	if (u == (uid_t)-1)
		put(t, "-1");
	else
		put_u64(t, u);
}

/* syslog(3) takes a lock and may allocate: one datagram to /dev/log,
 * which journald and rsyslog read (a stream socket where the log socket
 * is one). A daemon's stderr is often /dev/null; this is where it is read. */
static void to_syslog(const char *msg, int priority)
{
	struct sockaddr_un addr;
	struct text t = { .len = 0 };
	int fd;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, "/dev/log", sizeof("/dev/log"));
	put(&t, "<");
	put_u64(&t, (uint64_t)priority);
	put(&t, ">duende-mlock[");
	put_u64(&t, (uint64_t)getpid());
	put(&t, "]: ");
	put(&t, msg);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, t.buf, t.len, MSG_NOSIGNAL, (struct sockaddr *)&addr, sizeof(addr)) < 0 &&
	    errno == EPROTOTYPE) {
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			(void)!send(fd, t.buf, t.len + 1, MSG_NOSIGNAL); /* NUL ends it */
	}
	if (fd >= 0)
		close(fd);
}

/* LOG_DAEMON with LOG_ERR, LOG_WARNING (syslog.h's numbers). */
#define SYSLOG_DAEMON_ERR ((3 << 3) | 3)
#define SYSLOG_DAEMON_WARNING ((3 << 3) | 4)

/* "duende-mlock: NAME (pid N): CALL: " */
static void put_head(struct text *t, const char *call)
{
	put(t, name);
	put(t, " (pid ");
	put_u64(t, (uint64_t)getpid());
	put(t, "): ");
	put(t, call);
	put(t, ": ");
}

static void say(const struct text *t)
{
	(void)!write(STDERR_FILENO, "duende-mlock: ", 14);
	(void)!write(STDERR_FILENO, t->buf, t->len);
	(void)!write(STDERR_FILENO, "\n", 1);
}

/* The drop cannot keep CAP_IPC_LOCK: required mode stops the program
 * here, best-effort mode says so and lets it go on (dm_drop_plan). */
static void cannot_keep(const char *call, const struct duende_mlock_drop *d,
			enum duende_mlock_drop_outcome outcome, int err)
{
	struct text t = { .len = 0 };
	char why[2048];
	bool stop = dm_drop_plan(&settings, true, false, true, false) == DM_DROP_STOP;

	duende_mlock_drop_explain(d, outcome, err, why, sizeof(why));
	put_head(&t, call);
	put(&t, stop ? "stopping it at this privilege drop (exit status 120): "
		     : "warning: it runs on without a sound lock: ");
	put(&t, why);
	say(&t);
	to_syslog(t.buf, stop ? SYSLOG_DAEMON_ERR : SYSLOG_DAEMON_WARNING);
	if (stop)
		_exit(DM_EXIT_LOCK_FAILED);
}

static void kept(const char *call, const struct duende_mlock_drop *d)
{
	struct text t = { .len = 0 };
	char why[2048];

	if (!settings.verbose)
		return;
	duende_mlock_drop_explain(d, DUENDE_MLOCK_DROP_KEPT, 0, why, sizeof(why));
	put_head(&t, call);
	put(&t, why);
	say(&t);
}

/* ---- the capability sets of the calling thread ---- */

static int read_caps(struct cap_data data[2])
{
	struct cap_header h = { CAP_VERSION_3, 0 };

	memset(data, 0, 2 * sizeof(*data));
	return syscall(SYS_capget, &h, data) == 0 ? 0 : -errno;
}

static int write_caps(const struct cap_data data[2])
{
	struct cap_header h = { CAP_VERSION_3, 0 };

	return syscall(SYS_capset, &h, data) == 0 ? 0 : -errno;
}

/* After the uid change: CAP_IPC_LOCK effective again. trim: the kernel
 * would have cleared the permitted set (the keep was ours), so nothing but
 * CAP_IPC_LOCK stays in it. */
static int keep_ipc_lock(bool trim)
{
	struct cap_data data[2];
	int rc = read_caps(data);

	if (rc)
		return rc;
	if (!(data[0].permitted & IPC_LOCK_BIT))
		return -EPERM;
	if (trim) {
		data[0].permitted = data[0].effective = IPC_LOCK_BIT;
		data[1].permitted = data[1].effective = 0;
	} else {
		data[0].effective |= IPC_LOCK_BIT;
	}
	rc = write_caps(data);
	if (rc == 0 && (read_caps(data) != 0 || !(data[0].effective & IPC_LOCK_BIT)))
		rc = -EPERM;
	return rc;
}

/* What the shim does at this drop, with *d filled for the words. */
static enum dm_drop_plan plan_for(struct duende_mlock_drop *d, bool can_keep)
{
	if (duende_mlock_drop_outlook(d) != 0)
		return DM_DROP_SOUND; /* nothing known to judge by: the drop as asked */
	/* A chroot hides what is locked: counted as locked, and short. */
	return dm_drop_plan(&settings, d->locked > 0 || (d->flags & DUENDE_MLOCK_DROP_USAGE_UNKNOWN),
			    d->flags & DUENDE_MLOCK_DROP_COVERED,
			    d->flags & DUENDE_MLOCK_DROP_HOLDS_IPC_LOCK, can_keep);
}

/* Why CAP_IPC_LOCK is not kept where the plan says it is needed. */
static enum duende_mlock_drop_outcome why_not_kept(const struct duende_mlock_drop *d,
						   bool set_keepcaps)
{
	if (!settings.keep_ipc_lock)
		return DUENDE_MLOCK_DROP_REFUSED;
	if (set_keepcaps && (d->flags & DUENDE_MLOCK_DROP_KEEPCAPS_LOCKED))
		return DUENDE_MLOCK_DROP_LOCKED_OFF;
	return DUENDE_MLOCK_DROP_OTHER_THREADS;
}

/* ---- uid changes ---- */

enum uid_call { CALL_SETUID, CALL_SETEUID, CALL_SETREUID, CALL_SETRESUID };

struct uids {
	uid_t r, e, s;
};

static bool has_root(const struct uids *u)
{
	return u->r == 0 || u->e == 0 || u->s == 0;
}

/* The uids the call leaves when it succeeds (kernel/sys.c). */
static struct uids predict(enum uid_call call, struct uids old, uid_t a, uid_t b, uid_t c,
			   bool cap_setuid)
{
	struct uids u = old;

	switch (call) {
	case CALL_SETUID:
		if (cap_setuid)
			u.r = u.s = a;
		u.e = a;
		break;
	case CALL_SETEUID:
		u.e = a;
		break;
	case CALL_SETREUID:
		if (a != (uid_t)-1)
			u.r = a;
		if (b != (uid_t)-1)
			u.e = b;
		if (a != (uid_t)-1 || (b != (uid_t)-1 && b != old.r))
			u.s = u.e;
		break;
	case CALL_SETRESUID:
		if (a != (uid_t)-1)
			u.r = a;
		if (b != (uid_t)-1)
			u.e = b;
		if (c != (uid_t)-1)
			u.s = c;
		break;
	}
	return u;
}

static int call_real(enum uid_call call, uid_t a, uid_t b, uid_t c)
{
	int (*f1)(uid_t) = call == CALL_SETUID ? real.setuid : real.seteuid;

	if ((call == CALL_SETREUID && !real.setreuid) || (call == CALL_SETRESUID && !real.setresuid) ||
	    ((call == CALL_SETUID || call == CALL_SETEUID) && !f1)) {
		errno = ENOSYS;
		return -1;
	}
	if (call == CALL_SETREUID)
		return real.setreuid(a, b);
	if (call == CALL_SETRESUID)
		return real.setresuid(a, b, c);
	return f1(a);
}

static void put_call(struct text *t, enum uid_call call, uid_t a, uid_t b, uid_t c)
{
	static const char *const names[] = { "setuid(", "seteuid(", "setreuid(", "setresuid(" };

	put(t, names[call]);
	put_uid(t, a);
	if (call == CALL_SETREUID || call == CALL_SETRESUID) {
		put(t, ", ");
		put_uid(t, b);
	}
	if (call == CALL_SETRESUID) {
		put(t, ", ");
		put_uid(t, c);
	}
	put(t, ")");
}

/* Other threads would keep the old credentials' loss: only the calling
 * thread can keep the capability. */
static bool only_thread(const struct duende_mlock_drop *d)
{
	return d->threads <= 1;
}

static int change_uids(enum uid_call call, uid_t a, uid_t b, uid_t c)
{
	struct duende_mlock_drop d;
	struct cap_data caps[2];
	struct uids old, now;
	struct text what = { .len = 0 };
	enum dm_drop_plan plan;
	int rc, err, keep_err;
	bool clears_permitted, clears_effective, set_keepcaps;

	resolve_libc();
	if (!watching || getresuid(&old.r, &old.e, &old.s) != 0 || read_caps(caps) != 0)
		return call_real(call, a, b, c);
	now = predict(call, old, a, b, c, (caps[0].effective >> 7) & 1); /* CAP_SETUID */
	clears_permitted = has_root(&old) && !has_root(&now);
	clears_effective = old.e == 0 && now.e != 0;
	if (!clears_permitted && !clears_effective)
		return call_real(call, a, b, c);
	if (duende_mlock_drop_outlook(&d) != 0 || (d.flags & DUENDE_MLOCK_DROP_NO_SETUID_FIXUP))
		return call_real(call, a, b, c);
	/* The program's own PR_SET_KEEPCAPS keeps the permitted set already. */
	set_keepcaps = clears_permitted && !(d.flags & DUENDE_MLOCK_DROP_KEEPCAPS);
	plan = plan_for(&d, only_thread(&d) &&
				    !(set_keepcaps && (d.flags & DUENDE_MLOCK_DROP_KEEPCAPS_LOCKED)));
	if (plan == DM_DROP_SOUND)
		return call_real(call, a, b, c);
	put_call(&what, call, a, b, c);
	if (plan != DM_DROP_KEEP) {
		cannot_keep(what.buf, &d, why_not_kept(&d, set_keepcaps), 0);
		return call_real(call, a, b, c); /* best effort: the drop as asked */
	}
	if (set_keepcaps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
		cannot_keep(what.buf, &d, DUENDE_MLOCK_DROP_KEEP_FAILED, -errno);
		return call_real(call, a, b, c);
	}
	rc = call_real(call, a, b, c);
	err = errno;
	if (set_keepcaps)
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (rc == 0) {
		keep_err = keep_ipc_lock(set_keepcaps);
		if (keep_err)
			cannot_keep(what.buf, &d, DUENDE_MLOCK_DROP_KEEP_FAILED, keep_err);
		else
			kept(what.buf, &d);
	}
	errno = err;
	return rc;
}

DM_INTERPOSE int setuid(uid_t uid)
{
	return change_uids(CALL_SETUID, uid, 0, 0);
}

DM_INTERPOSE int seteuid(uid_t euid)
{
	return change_uids(CALL_SETEUID, euid, 0, 0);
}

DM_INTERPOSE int setreuid(uid_t ruid, uid_t euid)
{
	return change_uids(CALL_SETREUID, ruid, euid, 0);
}

DM_INTERPOSE int setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
	return change_uids(CALL_SETRESUID, ruid, euid, suid);
}

/* ---- the program's own capability changes ---- */

/* The calling thread is the one hdr names (capset may name only it). */
static bool names_this_thread(const struct cap_header *h)
{
	return h->pid == 0 || h->pid == (int)syscall(SYS_gettid);
}

DM_INTERPOSE int capset(void *hdrp, const void *datap)
{
	const struct cap_header *h = hdrp;
	const struct cap_data *in = datap;
	struct duende_mlock_drop d;
	struct cap_data copy[2];
	size_t words;

	resolve_libc();
	if (!real.capset) {
		errno = ENOSYS;
		return -1;
	}
	if (!watching || !h || !in || !names_this_thread(h))
		return real.capset(hdrp, datap);
	words = h->version == CAP_VERSION_1 ? 1 : h->version == CAP_VERSION_2 || h->version == CAP_VERSION_3 ? 2 : 0;
	if (!words || ((in[0].permitted & IPC_LOCK_BIT) && (in[0].effective & IPC_LOCK_BIT)))
		return real.capset(hdrp, datap);
	/* capset changes the calling thread alone: other threads do not
	 * stand in the way. */
	switch (plan_for(&d, true)) {
	case DM_DROP_SOUND:
		return real.capset(hdrp, datap);
	case DM_DROP_KEEP:
		break;
	default:
		cannot_keep("capset", &d, DUENDE_MLOCK_DROP_REFUSED, 0);
		return real.capset(hdrp, datap);
	}
	memset(copy, 0, sizeof(copy));
	memcpy(copy, in, words * sizeof(*in));
	copy[0].permitted |= IPC_LOCK_BIT;
	copy[0].effective |= IPC_LOCK_BIT;
	int rc = real.capset(hdrp, copy);
	if (rc == 0)
		kept("capset", &d);
	return rc;
}

/* Inside cap_set_mode(), which libcap may build on cap_set_proc(). */
static _Thread_local bool in_cap_set_mode;

DM_INTERPOSE int cap_set_proc(void *cap)
{
	struct duende_mlock_drop d;
	int permitted = 0, effective = 0, rc, err;
	const int ipc_lock = CAP_IPC_LOCK;

	resolve_libcap();
	if (!real.cap_set_proc) {
		errno = ENOSYS;
		return -1;
	}
	if (!watching || in_cap_set_mode || !cap || !real.cap_get_flag || !real.cap_set_flag ||
	    real.cap_get_flag(cap, CAP_IPC_LOCK, LIBCAP_PERMITTED, &permitted) != 0 ||
	    real.cap_get_flag(cap, CAP_IPC_LOCK, LIBCAP_EFFECTIVE, &effective) != 0 ||
	    (permitted && effective))
		return real.cap_set_proc(cap);
	switch (plan_for(&d, true)) {
	case DM_DROP_SOUND:
		return real.cap_set_proc(cap);
	case DM_DROP_KEEP:
		break;
	default:
		cannot_keep("cap_set_proc", &d, DUENDE_MLOCK_DROP_REFUSED, 0);
		return real.cap_set_proc(cap);
	}
	/* In the caller's set for the call only: it finds its set as it
	 * made it. */
	real.cap_set_flag(cap, LIBCAP_PERMITTED, 1, &ipc_lock, LIBCAP_SET);
	real.cap_set_flag(cap, LIBCAP_EFFECTIVE, 1, &ipc_lock, LIBCAP_SET);
	rc = real.cap_set_proc(cap);
	err = errno;
	if (!permitted)
		real.cap_set_flag(cap, LIBCAP_PERMITTED, 1, &ipc_lock, LIBCAP_CLEAR);
	if (!effective)
		real.cap_set_flag(cap, LIBCAP_EFFECTIVE, 1, &ipc_lock, LIBCAP_CLEAR);
	if (rc == 0)
		kept("cap_set_proc", &d);
	errno = err;
	return rc;
}

DM_INTERPOSE int cap_set_mode(unsigned mode)
{
	struct duende_mlock_drop d;
	int rc;

	resolve_libcap();
	if (!real.cap_set_mode) {
		errno = ENOSYS;
		return -1;
	}
	/* The mode cannot keep a capability without being defeated. */
	if (watching && mode == LIBCAP_MODE_NOPRIV && plan_for(&d, false) != DM_DROP_SOUND)
		cannot_keep("cap_set_mode(CAP_MODE_NOPRIV)", &d, DUENDE_MLOCK_DROP_NO_PRIVILEGE_MODE, 0);
	in_cap_set_mode = true;
	rc = real.cap_set_mode(mode);
	in_cap_set_mode = false;
	return rc;
}
