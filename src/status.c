/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Status accessors and the status line, worded as the original crate. */
#include <errno.h>

#include "duende-mlock.h"
#include "platform.h"
#include "text.h"

static enum duende_mlock_state state_of(const struct duende_mlock_status *s)
{
	return s ? s->state : DUENDE_MLOCK_STATE_NONE;
}

DM_EXPORT bool duende_mlock_status_is_locked(const struct duende_mlock_status *s)
{
	return state_of(s) == DUENDE_MLOCK_STATE_LOCKED;
}

DM_EXPORT bool duende_mlock_status_is_failed(const struct duende_mlock_status *s)
{
	return state_of(s) == DUENDE_MLOCK_STATE_FAILED;
}

DM_EXPORT bool duende_mlock_status_is_unsupported(const struct duende_mlock_status *s)
{
	return state_of(s) == DUENDE_MLOCK_STATE_UNSUPPORTED;
}

DM_EXPORT size_t duende_mlock_status_bytes_locked(const struct duende_mlock_status *s)
{
	return duende_mlock_status_is_locked(s) ? s->bytes_locked : 0;
}

DM_EXPORT int duende_mlock_status_failure_errno(const struct duende_mlock_status *s)
{
	return duende_mlock_status_is_failed(s) ? s->failure_errno : 0;
}

static void put_locked_size(struct dm_text *t, const struct duende_mlock_status *s)
{
	const size_t kib = 1024, mib = (size_t)1 << 20;

	if (s->flags & DUENDE_MLOCK_F_USAGE_UNKNOWN) {
		dm_text_put(t, "size unknown");
	} else if (s->bytes_locked >= mib) {
		dm_text_put_u64(t, s->bytes_locked / mib);
		dm_text_put(t, " MB");
	} else if (s->bytes_locked >= kib) {
		dm_text_put_u64(t, s->bytes_locked / kib);
		dm_text_put(t, " KB");
	} else {
		dm_text_put_u64(t, s->bytes_locked);
		dm_text_put(t, " bytes");
	}
}

DM_EXPORT int duende_mlock_status_format(const struct duende_mlock_status *s, char *buf,
					 size_t len)
{
	struct dm_text t;

	dm_text_init(&t, buf, len);
	switch (state_of(s)) {
	case DUENDE_MLOCK_STATE_LOCKED:
		dm_text_put(&t, "locked (");
		put_locked_size(&t, s);
		dm_text_put(&t, ")");
		break;
	case DUENDE_MLOCK_STATE_FAILED:
		dm_text_put(&t, "failed (errno=");
		dm_text_put_i64(&t, s->failure_errno);
		dm_text_put(&t, ")");
		break;
	case DUENDE_MLOCK_STATE_UNSUPPORTED:
		dm_text_put(&t, "unsupported platform");
		break;
	default:
		return -EINVAL;
	}
	return dm_text_result(&t);
}
