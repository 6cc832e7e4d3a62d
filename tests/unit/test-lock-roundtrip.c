/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Lock, query and unlock on the real kernel, checked against /proc. */
#include <sys/mman.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"
#include "proc-util.h"

#define MAP (8u << 20)

static void *map_anon(void)
{
	void *p = mmap(NULL, MAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int main(void)
{
	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	char text[64], expect[64], flags[256];
	size_t bytes = 0;
	int rc;

	SKIP_UNDER_SANITIZER();

	CHECK(!duende_mlock_is_locked());
	rc = duende_mlock_lock_all(&st);
	if (rc == -EPERM || rc == -ENOMEM) {
		duende_mlock_explain(&st, flags, sizeof(flags));
		SKIP("this process may not lock: %s", flags);
	}
	CHECK_EQ_INT(rc, 0);
	CHECK(duende_mlock_status_is_locked(&st));
	CHECK(st.flags & DUENDE_MLOCK_F_CURRENT);
	CHECK(st.flags & DUENDE_MLOCK_F_FUTURE);
	CHECK(!(st.flags & DUENDE_MLOCK_F_ONFAULT));
	CHECK(st.bytes_locked > 0);
	CHECK_EQ_INT(duende_mlock_read_locked_bytes(&bytes), 0);
	/* Under valgrind, the tool maps and unmaps its own memory between two
	 * reads, and MCL_FUTURE locks it: VmLck moves on its own. */
	if (!t_under_valgrind()) {
		CHECK_EQ_INT(bytes, st.bytes_locked);
		CHECK_EQ_INT(duende_mlock_locked_bytes(), bytes);
	} else {
		CHECK(bytes > 0);
		CHECK(duende_mlock_locked_bytes() > 0);
	}
	CHECK(duende_mlock_is_locked());
	/* stdio allocates while reading, and under MCL_FUTURE that memory is
	 * locked too: up to one heap extension (glibc: 132 KiB) */
	long long lib = (long long)duende_mlock_locked_bytes(), stdio = t_status_kb("VmLck");
	if (!t_under_valgrind()) {
		if (!(stdio >= lib && stdio - lib <= 256 << 10))
			fprintf(stderr, "VmLck: library %lld, stdio %lld\n", lib, stdio);
		CHECK(stdio >= lib && stdio - lib <= 256 << 10);
	}
	snprintf(expect, sizeof(expect), "locked (%zu MB)", st.bytes_locked >> 20);
	if (st.bytes_locked < (1u << 20))
		snprintf(expect, sizeof(expect), "locked (%zu KB)", st.bytes_locked >> 10);
	duende_mlock_status_format(&st, text, sizeof(text));
	CHECK_EQ_STR(text, expect);

	/* MCL_FUTURE: a new mapping is locked and populated at once. */
	size_t before = duende_mlock_locked_bytes();
	char *p = map_anon();
	CHECK(p != NULL);
	if (t_under_valgrind())
		CHECK(duende_mlock_locked_bytes() >= before + MAP);
	else
		CHECK_EQ_INT(duende_mlock_locked_bytes(), before + MAP);
	t_vmflags_of(p, flags, sizeof(flags));
	CHECK(t_has_flag(flags, "lo"));
	CHECK_EQ_INT(t_status_kb("VmRSS") > (long long)MAP, 1);
	munmap(p, MAP);

	CHECK_EQ_INT(duende_mlock_unlock_all(), 0);
	CHECK(!duende_mlock_is_locked());
	CHECK_EQ_INT(duende_mlock_locked_bytes(), 0);
	CHECK_EQ_INT(t_status_kb("VmLck"), 0);

	/* current only: later mappings stay unlocked. */
	cfg.future = false;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), 0);
	CHECK_EQ_INT(st.flags & (DUENDE_MLOCK_F_CURRENT | DUENDE_MLOCK_F_FUTURE), DUENDE_MLOCK_F_CURRENT);
	before = duende_mlock_locked_bytes();
	p = map_anon();
	CHECK_EQ_INT(duende_mlock_locked_bytes(), before);
	munmap(p, MAP);
	CHECK_EQ_INT(duende_mlock_unlock_all(), 0);

	/* future only: nothing now, the next mapping yes. */
	cfg.current = false;
	cfg.future = true;
	CHECK_EQ_INT(duende_mlock_lock_with_config(&cfg, &st), 0);
	CHECK_EQ_INT(st.flags & (DUENDE_MLOCK_F_CURRENT | DUENDE_MLOCK_F_FUTURE), DUENDE_MLOCK_F_FUTURE);
	CHECK_EQ_INT(st.bytes_locked, 0);
	p = map_anon();
	if (t_under_valgrind())
		CHECK(duende_mlock_locked_bytes() >= MAP);
	else
		CHECK_EQ_INT(duende_mlock_locked_bytes(), MAP);
	munmap(p, MAP);
	CHECK_EQ_INT(duende_mlock_unlock_all(), 0);

	/* unlock with nothing locked is fine, as in the crate. */
	CHECK_EQ_INT(duende_mlock_unlock_all(), 0);
	return t_result();
}
