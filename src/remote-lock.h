/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Locking and hardening another process through the engine (remote.h):
 * the plan of what runs inside it, and the tracer that runs the plan.
 * No malloc, no stdio: it runs in a forked tracer.
 */
#ifndef DM_REMOTE_LOCK_H
#define DM_REMOTE_LOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "duende-mlock.h"
#include "remote.h"

struct dm_remote_plan {
	pid_t pid;
	int stop_ms;
	/* The lock, NULL for none (lean refused before). */
	const struct duende_mlock_config *lock;
	/* It serves a swap area: lock what is resident first (lock-on-fault,
	 * which faults nothing in), then fault in only what cannot come from
	 * a swap area. */
	bool resident_first;
	/* A forked child: its pages are its parent's, locked already. What is
	 * present is locked as it is (lock-on-fault), nothing faulted in or
	 * copied; later mappings as the lock says. */
	bool present_only;
	bool io_flusher;
	bool raise_memlock;
	bool caller_cap_sys_resource;
	bool set_oom_score_adj;
	int oom_score_adj;
};

/* Where a plan stopped when it could not go on. */
enum dm_remote_stage {
	DM_REMOTE_DONE = 0,
	DM_REMOTE_ACCESS,  /* its memory could not be read: ptrace access */
	DM_REMOTE_CHOOSE,  /* no thread outside the kernel to make the call */
	DM_REMOTE_ATTACH,  /* a thread could not be stopped */
	DM_REMOTE_CALL,    /* a stopped thread did not make its call */
};

struct dm_remote_outcome {
	int rc;                     /* engine failure, with stage */
	enum dm_remote_stage stage;
	int raise_rc;               /* prlimit(2); raised/soft_after */
	bool raise_ran;
	uint64_t soft_after;
	bool lock_ran;
	int lock_rc;                /* the mlockall calls, made in the target */
	bool headroom_refused;
	struct duende_mlock_status headroom_status; /* when refused */
	uint32_t applied;           /* DUENDE_MLOCK_F_* */
	uint64_t populated, swap_left;
	bool io_ran;
	int io_rc;
	uint32_t io_threads;        /* threads that made the call */
	bool oom_ran;
	int oom_rc;
	uint32_t threads_stopped, threads_eintr;
	uint64_t longest_stop_ns;
};

/* The lock step on a thread that the calling thread holds stopped under
 * ptrace (th->insn set): mlockall made inside the process as plan->lock
 * says, resident pages first where plan->resident_first. The thread
 * stays stopped; whoever attached it detaches it. For a tracer that holds
 * threads already (following forks, a program started traced). */
void dm_remote_lock_stopped(struct dm_remote_thread *th, const struct dm_remote_plan *plan,
			    struct dm_remote_outcome *out);

/* The whole plan: the memlock raise (prlimit), the lock in one thread,
 * PR_SET_IO_FLUSHER in each thread, oom_score_adj; each thread stopped
 * only while it makes its calls. The calling thread becomes the tracer:
 * run it in a process that exits afterwards (duende_mlock_lock_pid()
 * forks one), since a thread that does not stop in time stays seized
 * until its tracer exits. */
void dm_remote_run(const struct dm_remote_plan *plan, struct dm_remote_outcome *out);

#endif
