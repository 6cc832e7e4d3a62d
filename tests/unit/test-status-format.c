/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The status line, exactly as the crate prints it, and its accessors. */
#include <errno.h>

#include "duende-mlock.h"
#include "harness.h"

static const char *fmt(const struct duende_mlock_status *s)
{
	static char buf[64];

	if (duende_mlock_status_format(s, buf, sizeof(buf)) < 0)
		return "<error>";
	return buf;
}

static struct duende_mlock_status locked(size_t bytes)
{
	struct duende_mlock_status s = { .state = DUENDE_MLOCK_STATE_LOCKED, .bytes_locked = bytes };
	return s;
}

int main(void)
{
	struct duende_mlock_status s;
	char small[8];

	s = locked(512);
	CHECK_EQ_STR(fmt(&s), "locked (512 bytes)");
	s = locked(0);
	CHECK_EQ_STR(fmt(&s), "locked (0 bytes)");
	s = locked(1023);
	CHECK_EQ_STR(fmt(&s), "locked (1023 bytes)");
	s = locked(4096);
	CHECK_EQ_STR(fmt(&s), "locked (4 KB)");
	s = locked(1024 * 1024 - 1);
	CHECK_EQ_STR(fmt(&s), "locked (1023 KB)");
	s = locked(10 * 1024 * 1024);
	CHECK_EQ_STR(fmt(&s), "locked (10 MB)");
	s = locked((size_t)5 * 1024 * 1024 * 1024);
	CHECK_EQ_STR(fmt(&s), "locked (5120 MB)");
	CHECK(duende_mlock_status_is_locked(&s));
	CHECK(!duende_mlock_status_is_failed(&s));
	CHECK(!duende_mlock_status_is_unsupported(&s));
	CHECK_EQ_INT(duende_mlock_status_bytes_locked(&s), (size_t)5 * 1024 * 1024 * 1024);
	CHECK_EQ_INT(duende_mlock_status_failure_errno(&s), 0);

	s = locked(4096);
	s.flags = DUENDE_MLOCK_F_USAGE_UNKNOWN;
	CHECK_EQ_STR(fmt(&s), "locked (size unknown)");

	memset(&s, 0, sizeof(s));
	s.state = DUENDE_MLOCK_STATE_FAILED;
	s.failure_errno = 12;
	CHECK_EQ_STR(fmt(&s), "failed (errno=12)");
	CHECK(duende_mlock_status_is_failed(&s));
	CHECK(!duende_mlock_status_is_locked(&s));
	CHECK_EQ_INT(duende_mlock_status_bytes_locked(&s), 0);
	CHECK_EQ_INT(duende_mlock_status_failure_errno(&s), 12);

	memset(&s, 0, sizeof(s));
	s.state = DUENDE_MLOCK_STATE_UNSUPPORTED;
	CHECK_EQ_STR(fmt(&s), "unsupported platform");
	CHECK(duende_mlock_status_is_unsupported(&s));
	CHECK_EQ_INT(duende_mlock_status_failure_errno(&s), 0);
	CHECK_EQ_INT(duende_mlock_status_bytes_locked(&s), 0);

	/* snprintf semantics: full length returned, output truncated. */
	s = locked(10 * 1024 * 1024);
	CHECK_EQ_INT(duende_mlock_status_format(&s, small, sizeof(small)), 14);
	CHECK_EQ_STR(small, "locked ");
	CHECK_EQ_INT(duende_mlock_status_format(&s, NULL, 0), 14);

	/* NULL and unfilled statuses are errors, and the predicates say no. */
	CHECK_EQ_INT(duende_mlock_status_format(NULL, small, sizeof(small)), -EINVAL);
	memset(&s, 0, sizeof(s));
	CHECK_EQ_INT(duende_mlock_status_format(&s, small, sizeof(small)), -EINVAL);
	CHECK(!duende_mlock_status_is_locked(NULL));
	CHECK(!duende_mlock_status_is_failed(NULL));
	CHECK(!duende_mlock_status_is_unsupported(NULL));
	CHECK_EQ_INT(duende_mlock_status_bytes_locked(NULL), 0);

	CHECK_EQ_STR(duende_mlock_version(), DUENDE_MLOCK_VERSION_STRING);
	CHECK_EQ_INT(DUENDE_MLOCK_VERSION_NUMBER,
		     DUENDE_MLOCK_VERSION_AT(DUENDE_MLOCK_VERSION_MAJOR, DUENDE_MLOCK_VERSION_MINOR,
					     DUENDE_MLOCK_VERSION_PATCH));
	/* This program was built against a library at least as new as 1.1. */
	CHECK(DUENDE_MLOCK_VERSION_NUMBER >= DUENDE_MLOCK_VERSION_AT(1, 1, 0));
	char built[32];
	snprintf(built, sizeof(built), "%d.%d.%d", DUENDE_MLOCK_VERSION_MAJOR,
		 DUENDE_MLOCK_VERSION_MINOR, DUENDE_MLOCK_VERSION_PATCH);
	CHECK_EQ_STR(built, DUENDE_MLOCK_VERSION_STRING);
	return t_result();
}
