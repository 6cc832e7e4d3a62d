/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* What happened to CAP_IPC_LOCK at a privilege drop, in words, from the
 * outlook read just before it (drop.c) alone. */
#include <errno.h>
#include <string.h>

#include "drop.h"
#include "duende-mlock.h"
#include "platform.h"
#include "remedy.h"
#include "text.h"

/* "the hard RLIMIT_MEMLOCK 8 MiB", or both limits when they differ. */
static void put_limit(struct dm_text *t, const struct duende_mlock_drop *d)
{
	if (d->memlock_soft == d->memlock_hard) {
		dm_text_put(t, "the hard RLIMIT_MEMLOCK ");
		dm_text_put_limit(t, d->memlock_hard);
	} else {
		dm_text_put(t, "the soft RLIMIT_MEMLOCK ");
		dm_text_put_limit(t, d->memlock_soft);
		dm_text_put(t, " (hard ");
		dm_text_put_limit(t, d->memlock_hard);
		dm_text_put(t, ")");
	}
}

/* Why the limit alone will not do. */
static void put_shortfall(struct dm_text *t, const struct duende_mlock_drop *d)
{
	put_limit(t, d);
	if (d->flags & DUENDE_MLOCK_DROP_USAGE_UNKNOWN) {
		dm_text_put(t, " may not cover what it locks (its /proc is out of reach, as in a chroot)");
		return;
	}
	dm_text_put(t, " cannot cover the ");
	dm_text_put_bytes(t, d->locked);
	dm_text_put(t, " it locks with ");
	dm_text_put_bytes(t, DUENDE_MLOCK_LOW_HEADROOM);
	dm_text_put(t, " to spare for what it maps later");
}

static void put_consequence(struct dm_text *t)
{
	dm_text_put(t, ": after the drop every new mapping beyond the limit fails (malloc NULL, mmap "
		       "EAGAIN, pthread_create EAGAIN, often a SIGSEGV) and its forked children cannot "
		       "lock");
}

static void put_fix(struct dm_text *t, bool keeping_refused)
{
	dm_text_put(t, ". Fix: ");
	dm_put_fix_drop(t, keeping_refused ? DM_DROP_FIX_EXEC_REFUSED : DM_DROP_FIX_EXEC);
}

DM_EXPORT int duende_mlock_drop_explain(const struct duende_mlock_drop *drop,
					enum duende_mlock_drop_outcome outcome, int err, char *buf,
					size_t len)
{
	struct duende_mlock_drop d;
	struct dm_text t;

	dm_text_init(&t, buf, len);
	if (!drop || drop->size < DM_DROP_SIZE_1_2)
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	memcpy(&d, drop, drop->size < sizeof(d) ? drop->size : sizeof(d));
	switch (outcome) {
	case DUENDE_MLOCK_DROP_KEPT:
		dm_text_put(&t, "kept CAP_IPC_LOCK, and no other capability, through the drop: ");
		put_shortfall(&t, &d);
		break;
	case DUENDE_MLOCK_DROP_REFUSED:
		dm_text_put(&t, "it drops CAP_IPC_LOCK, which duende-mlock exec was told not to keep "
				"(--no-keep-ipc-lock), and ");
		put_shortfall(&t, &d);
		put_consequence(&t);
		put_fix(&t, true);
		break;
	case DUENDE_MLOCK_DROP_OTHER_THREADS:
		dm_text_put(&t, "it drops CAP_IPC_LOCK with ");
		dm_text_put_u64(&t, d.threads);
		dm_text_put(&t, " threads running: capabilities belong to each thread and glibc changes "
				"the uid of every one, so only the calling thread could keep it; and ");
		put_shortfall(&t, &d);
		put_consequence(&t);
		put_fix(&t, false);
		break;
	case DUENDE_MLOCK_DROP_LOCKED_OFF:
		dm_text_put(&t, "it drops CAP_IPC_LOCK, and it has locked SECBIT_KEEP_CAPS off "
				"(SECBIT_KEEP_CAPS_LOCKED), so nothing can keep a capability through its uid "
				"change; and ");
		put_shortfall(&t, &d);
		put_consequence(&t);
		put_fix(&t, false);
		break;
	case DUENDE_MLOCK_DROP_NO_PRIVILEGE_MODE:
		dm_text_put(&t, "cap_set_mode(CAP_MODE_NOPRIV) drops every capability and locks the "
				"securebits, which keeping CAP_IPC_LOCK would defeat; and ");
		put_shortfall(&t, &d);
		put_consequence(&t);
		put_fix(&t, false);
		break;
	case DUENDE_MLOCK_DROP_KEEP_FAILED:
		dm_text_put(&t, "CAP_IPC_LOCK could not be kept through the drop (errno ");
		dm_text_put_i64(&t, err < 0 ? -err : err);
		dm_text_put(&t, "), and ");
		put_shortfall(&t, &d);
		put_consequence(&t);
		put_fix(&t, false);
		break;
	default:
		return -EINVAL;
	}
	return dm_text_result(&t);
}
