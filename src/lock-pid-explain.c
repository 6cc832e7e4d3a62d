/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The words for duende_mlock_lock_pid()'s result: each refusal with the
 * reason and what to do, the lock diagnosed with the target's facts, and
 * the steps. The lock diagnosis and the step lines are the library's own
 * (explain.c, step-explain.c), given the target's context. */
#include <errno.h>

#include "duende-mlock.h"
#include "explain.h"
#include "platform.h"
#include "remedy.h"
#include "remote-arch.h"
#include "text.h"

static void put_subject(struct dm_text *t, const struct duende_mlock_pid_result *r)
{
	dm_text_put(t, "process ");
	dm_text_put_i64(t, r->pid);
	if (r->name[0]) {
		dm_text_put(t, " (");
		dm_text_put_name(t, r->name);
		dm_text_put(t, ")");
	}
	dm_text_put(t, ": ");
}

static void put_no_permission(struct dm_text *t, const struct duende_mlock_pid_result *r)
{
	dm_text_put(t, "not permitted to trace it (ptrace access mode attach): ");
	if (r->uid != r->caller_uid) {
		dm_text_put(t, "it runs as uid ");
		dm_text_put_u64(t, r->uid);
		dm_text_put(t, ", this caller as uid ");
		dm_text_put_u64(t, r->caller_uid);
		dm_text_put(t, " without CAP_SYS_PTRACE. Run as root holding CAP_SYS_PTRACE, or as "
			       "its own user");
	} else {
		dm_text_put(t, "it runs as this caller's uid but holds capabilities this caller "
			       "lacks (a tracer's permitted set must include the target's), or it is "
			       "not dumpable (it changed its credentials, or set PR_SET_DUMPABLE to "
			       "0); either way tracing it takes CAP_SYS_PTRACE: run as root holding "
			       "CAP_SYS_PTRACE");
	}
	dm_text_put(t, ". Nothing was done to it.");
}

static void put_yama(struct dm_text *t, const struct duende_mlock_pid_result *r)
{
	dm_text_put(t, "Yama's kernel.yama.ptrace_scope is ");
	dm_text_put_i64(t, r->ptrace_scope);
	if (r->ptrace_scope >= 3) {
		dm_text_put(t, ": no process may be traced until the next boot. Start the daemon "
			       "under duende-mlock exec instead.");
		return;
	}
	dm_text_put(t, r->ptrace_scope == 2 ? ": only a tracer holding CAP_SYS_PTRACE may attach"
					     : ": only an ancestor of it, or a tracer holding "
					       "CAP_SYS_PTRACE, may attach");
	dm_text_put(t, ". Run as root holding CAP_SYS_PTRACE, or lower the scope "
		       "(sysctl kernel.yama.ptrace_scope=0). Nothing was done to it.");
}

static void put_refusal(struct dm_text *t, const struct duende_mlock_pid_result *r)
{
	switch (r->refusal) {
	case DUENDE_MLOCK_PID_NO_SUCH_PROCESS:
		dm_text_put(t, "no such process (it exited, or never ran); PIDs are those of "
			       "this PID namespace (a process in a container is named by the PID "
			       "the host sees).");
		break;
	case DUENDE_MLOCK_PID_REUSED:
		dm_text_put(t, "the PID now names another process than the one asked for (its "
			       "start time differs): it was left alone. Look the daemon up again.");
		break;
	case DUENDE_MLOCK_PID_KERNEL_THREAD:
		dm_text_put(t, "a kernel thread: it has no user memory, so locking does not apply.");
		break;
	case DUENDE_MLOCK_PID_ZOMBIE:
		dm_text_put(t, "it has exited (a zombie waiting to be reaped): it has no memory "
			       "left to lock.");
		break;
	case DUENDE_MLOCK_PID_BLOCKED:
		dm_text_put(t, "its threads stayed in uninterruptible sleep (state D): blocked in "
			       "the kernel, possibly on its own swap (DT-007). It was left as it "
			       "was; retry once it leaves the kernel, and if it is stuck on its own "
			       "device, lock the daemon when it starts (duende-mlock exec).");
		break;
	case DUENDE_MLOCK_PID_TRACED:
		dm_text_put(t, "it is traced by process ");
		dm_text_put_i64(t, r->tracer);
		if (r->tracer_name[0]) {
			dm_text_put(t, " (");
			dm_text_put_name(t, r->tracer_name);
			dm_text_put(t, ")");
		}
		dm_text_put(t, ", and a process has one tracer at a time: detach that tracer "
			       "(quit the debugger or strace) and run again. Nothing was done to it.");
		break;
	case DUENDE_MLOCK_PID_NO_PERMISSION:
		put_no_permission(t, r);
		break;
	case DUENDE_MLOCK_PID_YAMA:
		put_yama(t, r);
		break;
	case DUENDE_MLOCK_PID_USER_NAMESPACE:
		dm_text_put(t, "it runs in another user namespace (a rootless container), which "
			       "this caller does not own: trace it as the namespace's owner, or as "
			       "the host's root holding CAP_SYS_PTRACE. Nothing was done to it.");
		break;
	case DUENDE_MLOCK_PID_SELF:
		dm_text_put(t, "that is the calling process itself: lock it with "
			       "duende_mlock_lock_with_config().");
		break;
	case DUENDE_MLOCK_PID_ARCH:
		dm_text_put(t, "locking from outside runs on x86_64 and aarch64 (this is "
			       DM_REMOTE_ARCH_NAME "), in processes of the native 64-bit ABI; "
			       "start the daemon under duende-mlock exec instead.");
		break;
	case DUENDE_MLOCK_PID_BAD_CONFIG:
		dm_text_put(t, "invalid configuration: lean mode cannot be applied from outside, "
			       "onfault needs current or future, oom_score_adj is -1000..1000 and "
			       "reserved fields must be zero; nothing was done.");
		break;
	case DUENDE_MLOCK_PID_NO_SYSCALL_INSN:
		dm_text_put(t, "no system call instruction is mapped in it (no vDSO, no readable "
			       "code), so it cannot be made to lock itself; nothing was done.");
		break;
	default:
		break;
	}
}

static struct dm_remedy_ctx remedy_of(const struct duende_mlock_pid_result *r)
{
	struct dm_remedy_ctx c = {
		.memlock_hard = r->lock_status.memlock_hard,
		.can_raise_hard = (r->flags & DUENDE_MLOCK_PID_F_CALLER_SYS_RESOURCE) != 0,
		.program_is_preloaded = false,
		.running_pid = r->pid,
		.caller_can_prlimit = (r->flags & DUENDE_MLOCK_PID_F_CALLER_PRLIMIT) != 0,
	};

	return c;
}

static void put_swap(struct dm_text *t, const struct duende_mlock_pid_result *r)
{
	if (!(r->flags & DUENDE_MLOCK_PID_F_SERVES_SWAP))
		return;
	dm_text_put(t, " It serves swap");
	if (r->serves_swap[0]) {
		dm_text_put(t, " (");
		dm_text_put_name(t, r->serves_swap);
		dm_text_put(t, ")");
	}
	dm_text_put(t, ", so its resident pages were locked first, faulting nothing in");
	if (r->populated) {
		dm_text_put(t, ", then ");
		dm_text_put_bytes(t, r->populated);
		dm_text_put(t, " not on swap were faulted in");
	}
	if (r->swap_left_own) {
		dm_text_put(t, "; ");
		dm_text_put_bytes(t, r->swap_left_own);
		dm_text_put(t, " stay on swap, possibly on its own device (faulting them in would "
			       "wait on itself): they are locked as they come back when touched, "
			       "and swapoff of the other areas or of its own brings them back now");
	}
	dm_text_put(t, ".");
}

static void put_steps(struct dm_text *t, const struct duende_mlock_pid_result *r)
{
	static const enum duende_mlock_step shown[] = { DUENDE_MLOCK_STEP_RAISE_MEMLOCK,
							DUENDE_MLOCK_STEP_IO_FLUSHER,
							DUENDE_MLOCK_STEP_OOM_SCORE_ADJ };

	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		if (!r->steps[shown[i]].requested)
			continue;
		dm_text_put(t, "\n");
		dm_put_step_explain(t, shown[i], &r->steps[shown[i]], r->pid);
		dm_text_put(t, ".");
	}
}

DM_EXPORT int duende_mlock_pid_explain(const struct duende_mlock_pid_result *r, char *buf,
				       size_t len)
{
	struct dm_text t;

	dm_text_init(&t, buf, len);
	if (!r)
		return -EINVAL;
	put_subject(&t, r);
	if (r->refusal != DUENDE_MLOCK_PID_ACCEPTED) {
		put_refusal(&t, r);
		return dm_text_result(&t);
	}
	if (r->lock_status.state != DUENDE_MLOCK_STATE_NONE) {
		struct dm_remedy_ctx c = remedy_of(r);

		dm_explain_status(&t, &r->lock_status, &c);
		put_swap(&t, r);
	}
	if (r->flags & DUENDE_MLOCK_PID_F_PID_NAMESPACE) {
		dm_text_put(&t, " It runs in another PID namespace (a container), where it is PID ");
		dm_text_put_i64(&t, r->ns_pid);
		dm_text_put(&t, "; ");
		dm_text_put_i64(&t, r->pid);
		dm_text_put(&t, " is its PID here.");
	}
	if (r->threads_eintr) {
		dm_text_put(&t, " ");
		dm_text_put_u64(&t, r->threads_eintr);
		dm_text_put(&t, " thread(s) stopped in an epoll_wait with a timeout got EINTR from "
				"it, as after SIGSTOP/SIGCONT.");
	}
	put_steps(&t, r);
	return dm_text_result(&t);
}
