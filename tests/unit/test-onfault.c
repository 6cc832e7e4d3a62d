/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* MCL_ONFAULT: pages are locked as they are touched (VmFlags "lf"); on a
 * kernel that rejects the flag (made here with seccomp, as kernels before
 * 4.4 answer EINVAL) the library falls back to a full lock and says so. */
#include <sys/mman.h>

#include "duende-mlock.h"
#include "harness.h"
#include "proc-util.h"
#include "seccomp-util.h"

#define MAP (8u << 20)

int main(void)
{
	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	char flags[256], text[512];
	int rc;

	SKIP_UNDER_SANITIZER();

	cfg.onfault = true;
	rc = duende_mlock_lock_with_config(&cfg, &st);
	if (rc == -EPERM || rc == -ENOMEM)
		SKIP("this process may not lock (%s)", duende_mlock_strerror(rc));
	CHECK_EQ_INT(rc, 0);
	CHECK(st.flags & DUENDE_MLOCK_F_ONFAULT);
	CHECK(!(st.flags & DUENDE_MLOCK_F_ONFAULT_UNAVAILABLE));

	long long rss0 = t_status_kb("VmRSS");
	char *p = mmap(NULL, MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	t_vmflags_of(p, flags, sizeof(flags));
	CHECK(t_has_flag(flags, "lo"));
	CHECK(t_has_flag(flags, "lf") || !t_kernel_shows_lf());
	/* Not populated: RSS did not grow by the mapping. */
	CHECK(t_status_kb("VmRSS") - rss0 < (long long)MAP / 2);
	memset(p, 1, MAP);
	CHECK(t_status_kb("VmRSS") - rss0 >= (long long)MAP);
	munmap(p, MAP);
	CHECK_EQ_INT(duende_mlock_unlock_all(), 0);

	if (t_fail_mlockall_when(MCL_ONFAULT, EINVAL) != 0)
		SKIP("cannot install a seccomp filter to emulate a kernel without MCL_ONFAULT");
	rc = duende_mlock_lock_with_config(&cfg, &st);
	CHECK_EQ_INT(rc, 0);
	CHECK(duende_mlock_status_is_locked(&st));
	CHECK(st.flags & DUENDE_MLOCK_F_ONFAULT_UNAVAILABLE);
	CHECK(!(st.flags & DUENDE_MLOCK_F_ONFAULT));
	duende_mlock_explain(&st, text, sizeof(text));
	CHECK_CONTAINS(text, "onfault unavailable in this kernel so pages were populated");
	p = mmap(NULL, MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t_vmflags_of(p, flags, sizeof(flags));
	CHECK(t_has_flag(flags, "lo"));
	CHECK(!t_has_flag(flags, "lf"));
	return t_result();
}
