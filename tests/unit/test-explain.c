/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The diagnosis text for each cause, from the facts in a status. */
#include <errno.h>

#include "duende-mlock.h"
#include "harness.h"

#define MIB (1024ull * 1024)

static char out[2048];

static const char *explain(const struct duende_mlock_status *s)
{
	int n = duende_mlock_explain(s, out, sizeof(out));

	if (n < 0 || (size_t)n >= sizeof(out))
		return "<error or truncated>";
	return out;
}

static struct duende_mlock_status failed(int err, uint64_t soft, uint64_t mapped)
{
	struct duende_mlock_status s = {
		.state = DUENDE_MLOCK_STATE_FAILED, .failure_errno = err,
		.memlock_soft = soft, .memlock_hard = soft, .mapped_bytes = mapped,
	};
	return s;
}

int main(void)
{
	struct duende_mlock_status s;

	/* EPERM: limit 0 and no capability; both remedies, with numbers. */
	s = failed(EPERM, 0, 3 * MIB + 100);
	CHECK_EQ_STR(explain(&s),
		     "permission denied: the RLIMIT_MEMLOCK soft limit is 0 bytes and the process "
		     "lacks CAP_IPC_LOCK. Either fix works: raise RLIMIT_MEMLOCK to at least 4 MiB, "
		     "or to unlimited (systemd: LimitMEMLOCK=4M or "
		     "LimitMEMLOCK=infinity; docker: --ulimit memlock=4194304:4194304 or "
		     "memlock=-1:-1; compose: ulimits: memlock: -1); the hard limit is 0 bytes, so "
		     "the raise must come from whoever starts the process (service manager, "
		     "container runtime, root with CAP_SYS_RESOURCE); or grant CAP_IPC_LOCK, which "
		     "lifts the limit (setcap cap_ipc_lock=+ep PROGRAM for a program linked with "
		     "libduende-mlock; systemd: "
		     "AmbientCapabilities=CAP_IPC_LOCK; docker: --cap-add=IPC_LOCK; Kubernetes: "
		     "securityContext.capabilities.add: [\"IPC_LOCK\"], the only way there since "
		     "Kubernetes cannot raise the memlock limit).");

	/* ENOMEM where the limit binds: the mapped size against the limit. */
	s = failed(ENOMEM, 64 * 1024, 2 * MIB + MIB / 2);
	explain(&s);
	CHECK_CONTAINS(out, "resource limit: the process maps 2.5 MiB (VmSize; the kernel counts "
			    "every mapping, PROT_NONE reservations included) but RLIMIT_MEMLOCK "
			    "allows 64 KiB. Fix: raise RLIMIT_MEMLOCK to at least 3 MiB");
	/* A hard limit below the need: no shell command offered, it would fail. */
	CHECK(strstr(out, "ulimit -l") == NULL);
	CHECK_CONTAINS(out, "the hard limit is 64 KiB, so the raise must come from whoever starts");
	CHECK_CONTAINS(out, "setcap cap_ipc_lock=+ep");
	/* ...unless the process may raise its hard limit itself. */
	s.flags |= DUENDE_MLOCK_F_CAP_SYS_RESOURCE;
	explain(&s);
	CHECK_CONTAINS(out, "shell: ulimit -l 3072");
	CHECK(strstr(out, "the hard limit is") == NULL);
	/* A hard limit that covers it: the shell can raise the soft one. */
	s.flags &= ~DUENDE_MLOCK_F_CAP_SYS_RESOURCE;
	s.memlock_hard = 64 * MIB;
	explain(&s);
	CHECK_CONTAINS(out, "shell: ulimit -l 3072");

	/* ENOMEM although the capability is held: not the limit. */
	s = failed(ENOMEM, 64 * 1024, 100 * MIB);
	s.flags = DUENDE_MLOCK_F_CAP_IPC_LOCK;
	explain(&s);
	CHECK_CONTAINS(out, "out of memory: RLIMIT_MEMLOCK is not the cause");
	CHECK_CONTAINS(out, "CAP_IPC_LOCK held");

	/* Headroom refusal. */
	s = failed(ENOMEM, 8 * MIB, 3 * MIB);
	s.flags = DUENDE_MLOCK_F_HEADROOM_SHORT;
	s.headroom_bytes = 5 * MIB;
	s.min_headroom = 16 * MIB;
	explain(&s);
	CHECK_CONTAINS(out, "refused: after locking only 5 MiB could still be locked under "
			    "RLIMIT_MEMLOCK, less than the 16 MiB asked for");
	CHECK_CONTAINS(out, "raise RLIMIT_MEMLOCK to at least 19 MiB");

	/* Configuration error. */
	s = failed(EINVAL, 0, 0);
	s.flags = DUENDE_MLOCK_F_BAD_CONFIG;
	CHECK_CONTAINS(explain(&s), "invalid configuration: onfault needs current or future");

	/* Unknown errno keeps the number. */
	s = failed(EIO, DUENDE_MLOCK_UNLIMITED, MIB);
	CHECK_CONTAINS(explain(&s), "mlockall failed with errno=5. RLIMIT_MEMLOCK soft unlimited");

	/* Locked: headroom. */
	memset(&s, 0, sizeof(s));
	s.state = DUENDE_MLOCK_STATE_LOCKED;
	s.flags = DUENDE_MLOCK_F_CURRENT | DUENDE_MLOCK_F_FUTURE;
	s.bytes_locked = 3 * MIB;
	s.memlock_soft = 8 * MIB;
	s.headroom_bytes = 5 * MIB;
	CHECK_EQ_STR(explain(&s), "locked 3 MiB: current and future pages. Headroom: 5 MiB more may "
				  "be locked under RLIMIT_MEMLOCK 8 MiB; mappings beyond it will "
				  "fail (malloc returns NULL, pthread_create fails with EAGAIN).");
	s.flags |= DUENDE_MLOCK_F_CAP_IPC_LOCK;
	s.headroom_bytes = DUENDE_MLOCK_UNLIMITED;
	CHECK_EQ_STR(explain(&s), "locked 3 MiB: current and future pages. Headroom: unlimited "
				  "(CAP_IPC_LOCK).");

	memset(&s, 0, sizeof(s));
	s.state = DUENDE_MLOCK_STATE_UNSUPPORTED;
	CHECK_CONTAINS(explain(&s), "unsupported platform");
	/* Every error leaves an empty, terminated text: a caller that prints
	 * the buffer anyway prints nothing stale. */
	strcpy(out, "untouched");
	CHECK_EQ_INT(duende_mlock_explain(NULL, out, sizeof(out)), -EINVAL);
	CHECK_EQ_STR(out, "");
	memset(&s, 0, sizeof(s));
	strcpy(out, "untouched");
	CHECK_EQ_INT(duende_mlock_explain(&s, out, sizeof(out)), -EINVAL);
	CHECK_EQ_STR(out, "");
	{
		struct duende_mlock_step_result r = { .requested = true, .rc = 0, .value = 0 };

		strcpy(out, "untouched");
		CHECK_EQ_INT(duende_mlock_step_explain(DUENDE_MLOCK_STEP_LOCK, NULL, out, sizeof(out)), -EINVAL);
		CHECK_EQ_STR(out, "");
		strcpy(out, "untouched");
		CHECK_EQ_INT(duende_mlock_step_explain(DUENDE_MLOCK_STEP_COUNT, &r, out, sizeof(out)), -EINVAL);
		CHECK_EQ_STR(out, "");
		strcpy(out, "untouched");
		CHECK_EQ_INT(duende_mlock_survey_fix(NULL, out, sizeof(out)), -EINVAL);
		CHECK_EQ_STR(out, "");
		strcpy(out, "untouched");
		CHECK_EQ_INT(duende_mlock_status_format(NULL, out, sizeof(out)), -EINVAL);
		CHECK_EQ_STR(out, "");
	}
	/* The bounds of the lean stack are said with their numbers. */
	s = failed(EINVAL, 0, 0);
	s.flags = DUENDE_MLOCK_F_BAD_CONFIG;
	CHECK_CONTAINS(explain(&s), "the lean stack size must be from 16 KiB to 64 MiB");
	/* Under duende-mlock exec, setcap is no remedy: exec refuses such files. */
	s = failed(ENOMEM, 8 * MIB, 20 * MIB);
	s.memlock_hard = 8 * MIB;
	CHECK_CONTAINS(explain(&s), "setcap");
	s.flags |= DUENDE_MLOCK_F_PRELOADED;
	CHECK(strstr(explain(&s), "setcap") == NULL);
	CHECK_CONTAINS(explain(&s), "AmbientCapabilities=CAP_IPC_LOCK");
	return t_result();
}
