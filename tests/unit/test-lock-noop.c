/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* current = future = false is a documented no-op: "locked (0 bytes)" and
 * no mlockall at all, which a seccomp filter that fails every mlockall
 * proves. */
#include <sys/mman.h>

#include "duende-mlock.h"
#include "harness.h"
#include "seccomp-util.h"

int main(void)
{
	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	char text[64];

	SKIP_UNDER_SANITIZER();

	if (t_fail_mlockall_when(~0u, ENOSYS) != 0)
		SKIP("cannot install a seccomp filter here");

	cfg.current = cfg.future = false;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), 0);
	CHECK(duende_mlock_status_is_locked(&st));
	CHECK_EQ_INT(st.bytes_locked, 0);
	duende_mlock_status_format(&st, text, sizeof(text));
	CHECK_EQ_STR(text, "locked (0 bytes)");

	/* The filter is live: a real lock now fails with its errno, and in
	 * best-effort mode that is a status, not an error. */
	cfg = (struct duende_mlock_config)DUENDE_MLOCK_CONFIG_INIT;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), -ENOSYS);
	CHECK(duende_mlock_status_is_failed(&st));
	cfg.required = false;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), 0);
	duende_mlock_status_format(&st, text, sizeof(text));
	CHECK_EQ_STR(text, "failed (errno=38)");
	CHECK_EQ_INT(duende_mlock_status_failure_errno(&st), ENOSYS);
	CHECK(!duende_mlock_is_locked());
	return t_result();
}
