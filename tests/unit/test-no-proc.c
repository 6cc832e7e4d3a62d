/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Without a readable /proc the figures are unknown, never 0: the process
 * gets its own mount namespace with an empty tmpfs over /proc. */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"

static int drop_cap_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective &= ~(1u << CAP_IPC_LOCK);
	return (int)syscall(SYS_capset, &h, d);
}

int main(void)
{
	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	size_t bytes = 77;
	char text[512];
	int rc;

	SKIP_UNDER_SANITIZER();

	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("none", "/proc", "tmpfs", 0, NULL) != 0)
		SKIP("cannot hide /proc in a mount namespace (needs CAP_SYS_ADMIN): %s",
		     strerror(errno));

	CHECK_EQ_INT(duende_mlock_read_locked_bytes(&bytes), -ENOENT);
	CHECK_EQ_INT(bytes, 77);
	CHECK(!duende_mlock_is_locked());
	CHECK_EQ_INT(duende_mlock_locked_bytes(), 0);

	rc = duende_mlock_lock_all(&st);
	if (rc == -EPERM || rc == -ENOMEM)
		SKIP("this process may not lock (%s)", duende_mlock_strerror(rc));
	CHECK_EQ_INT(rc, 0);
	CHECK(st.flags & DUENDE_MLOCK_F_USAGE_UNKNOWN);
	duende_mlock_status_format(&st, text, sizeof(text));
	CHECK_EQ_STR(text, "locked (size unknown)");
	CHECK_EQ_INT(duende_mlock_unlock_all(), 0);

	/* No maps to plan from: the precise lock locks as the default lock
	 * does, and says so; not a failure. */
	cfg.precise = true;
	rc = duende_mlock_lock_with_config(&cfg, &st);
	CHECK_EQ_INT(rc, 0);
	CHECK(duende_mlock_status_is_locked(&st));
	CHECK(st.flags & DUENDE_MLOCK_F_PRECISE_UNAVAILABLE);
	CHECK(!(st.flags & DUENDE_MLOCK_F_PRECISE));
	CHECK(st.flags & DUENDE_MLOCK_F_CURRENT);
	duende_mlock_explain(&st, text, sizeof(text));
	CHECK_CONTAINS(text, "precise unavailable");
	CHECK_EQ_INT(duende_mlock_unlock_all(), 0);
	cfg.precise = false;

	/* Without the capability the headroom cannot be known: refused. */
	if (drop_cap_ipc_lock() != 0)
		SKIP("cannot drop CAP_IPC_LOCK: %s", strerror(errno));
	cfg.min_headroom = 1;
	rc = duende_mlock_lock_with_config(&cfg, &st);
	CHECK_EQ_INT(rc, -ENOMEM);
	CHECK(st.flags & DUENDE_MLOCK_F_HEADROOM_SHORT);
	CHECK(st.flags & DUENDE_MLOCK_F_USAGE_UNKNOWN);
	duende_mlock_explain(&st, text, sizeof(text));
	CHECK_CONTAINS(text, "cannot be checked because /proc/self/status is unreadable");
	return t_result();
}
