/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Invalid configurations are refused as such, whatever required says,
 * before any system call. */
#include "duende-mlock.h"
#include "harness.h"
#include "seccomp-util.h"

int main(void)
{
	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	char text[512];

	SKIP_UNDER_SANITIZER();

	/* The crate's defaults. */
	CHECK(cfg.current && cfg.future && cfg.required && !cfg.onfault && !cfg.lean);

	if (t_fail_mlockall_when(~0u, ENOSYS) != 0)
		SKIP("cannot install a seccomp filter here");

	cfg.current = cfg.future = false;
	cfg.onfault = true;
	cfg.required = false;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), -EINVAL);
	CHECK(duende_mlock_status_is_failed(&st));
	CHECK(st.flags & DUENDE_MLOCK_F_BAD_CONFIG);
	CHECK_EQ_INT(st.failure_errno, EINVAL);
	duende_mlock_explain(&st, text, sizeof(text));
	CHECK_CONTAINS(text, "invalid configuration: onfault needs current or future");
	CHECK_CONTAINS(text, "no system call was made");

	cfg = (struct duende_mlock_config)DUENDE_MLOCK_CONFIG_INIT;
	cfg.reserved[2] = 1;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), -EINVAL);
	CHECK(st.flags & DUENDE_MLOCK_F_BAD_CONFIG);

	/* Since 1.2: the rest of the first reserved word must be zero too. */
	cfg = (struct duende_mlock_config)DUENDE_MLOCK_CONFIG_INIT;
	cfg.reserved8[6] = 1;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), -EINVAL);
	CHECK(st.flags & DUENDE_MLOCK_F_BAD_CONFIG);

	/* The precise plan populates what it locks: not with onfault, and
	 * not with nothing to lock. */
	cfg = (struct duende_mlock_config)DUENDE_MLOCK_CONFIG_INIT;
	CHECK(!cfg.precise);
	cfg.precise = true;
	cfg.onfault = true;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), -EINVAL);
	CHECK(st.flags & DUENDE_MLOCK_F_BAD_CONFIG);
	duende_mlock_explain(&st, text, sizeof(text));
	CHECK_CONTAINS(text, "precise needs one of them and excludes onfault");
	cfg.onfault = false;
	cfg.current = cfg.future = false;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), -EINVAL);
	CHECK(st.flags & DUENDE_MLOCK_F_BAD_CONFIG);
	/* Valid: it gets as far as the (filtered) mlockall of future pages. */
	cfg.future = true;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), -ENOSYS);

	cfg = (struct duende_mlock_config)DUENDE_MLOCK_CONFIG_INIT;
	cfg.lean = true;
	cfg.lean_stack_size = 4096;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, NULL), -EINVAL);
	/* A 1 TiB default stack would make every pthread_create fail. */
	cfg.lean_stack_size = (size_t)1 << 40;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), -EINVAL);
	CHECK(st.flags & DUENDE_MLOCK_F_BAD_CONFIG);
	cfg.lean_stack_size = DUENDE_MLOCK_LEAN_STACK_MAX + 1;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, NULL), -EINVAL);
	/* The largest one is taken: the call gets as far as the (filtered)
	 * system call. */
	cfg.lean_stack_size = DUENDE_MLOCK_LEAN_STACK_MAX;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, NULL), -ENOSYS);

	/* A NULL status is allowed; the seccomp filter makes the lock fail. */
	CHECK_EQ_INT(duende_mlock_lock_all(NULL), -ENOSYS);
	return t_result();
}
