/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * duende_mlock_lock_pid(): a process that already runs, locked from
 * outside. What is refused is refused here, before anything is done to it;
 * what runs inside it runs in a forked tracer (remote-lock.c), so that a
 * thread that never stops, or a caller that is killed, cannot leave it
 * stopped: the kernel detaches every tracee of a tracer that exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "lock-rules.h"
#include "layout.h"
#include "lock.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"
#include "remote-lock.h"
#include "survey.h"
#include "text.h"

_Static_assert(sizeof(struct duende_mlock_pid_result) >= DM_PID_RESULT_SIZE_1_2,
	       "the result of lock_pid only grows, at its end");

#define DM_CAP_SYS_PTRACE 19

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static bool pid_config_valid(const struct duende_mlock_pid_config *c)
{
	for (size_t i = 0; i < sizeof(c->reserved) / sizeof(c->reserved[0]); i++)
		if (c->reserved[i])
			return false;
	/* Lean mode changes malloc and thread stacks, which only the process
	 * itself can. */
	if (c->lock.lean || !dm_lock_config_is_valid(&c->lock))
		return false;
	return !c->set_oom_score_adj || (c->oom_score_adj >= -1000 && c->oom_score_adj <= 1000);
}

static int refuse(struct duende_mlock_pid_result *r, enum duende_mlock_pid_refusal why, int rc)
{
	r->refusal = why;
	return rc;
}

/* The caller's effective capabilities, as the kernel honours them. */
static uint64_t caller_caps(void)
{
	struct dm_proc_status st;

	if (dm_read_proc_status(AT_FDCWD, "/proc/self/status", DM_ST_CAPEFF, &st) != 0 ||
	    !(st.present & DM_ST_CAPEFF) || !dm_in_initial_userns(AT_FDCWD, "/proc/self"))
		return 0;
	return st.cap_eff;
}

static int read_stat(int dirfd, struct dm_proc_stat *st)
{
	char buf[1024];
	size_t len;
	int rc = dm_read_small(dirfd, "stat", buf, sizeof(buf), &len);

	if (rc)
		return rc == -ENOENT ? -ESRCH : rc;
	return dm_stat_parse(buf, len, st);
}

static int32_t yama_scope(void)
{
	char buf[32];
	size_t len;
	int64_t v;

	if (dm_read_small(AT_FDCWD, "/proc/sys/kernel/yama/ptrace_scope", buf, sizeof(buf), &len) != 0 ||
	    dm_parse_i64_file(buf, len, &v) != 0)
		return -1;
	return (int32_t)v;
}

static void read_name(int dirfd, const char *file, char *name, size_t cap)
{
	size_t len;

	if (dm_read_small(dirfd, file, name, cap, &len) == 0 && len && name[len - 1] == '\n')
		name[len - 1] = '\0';
}

static void tracer_name(pid_t tracer, char *name, size_t cap)
{
	char path[64];
	size_t len;

	dm_proc_path(path, sizeof(path), (int)tracer, "comm");
	if (dm_read_small(AT_FDCWD, path, name, cap, &len) == 0 && len && name[len - 1] == '\n')
		name[len - 1] = '\0';
}

/* What makes a process one that cannot be locked, or not this one. */
static int check_target(pid_t pid, int dirfd, const struct duende_mlock_pid_config *c,
			struct duende_mlock_pid_result *r)
{
	struct dm_proc_stat stat;
	struct dm_proc_status st;
	int rc = read_stat(dirfd, &stat);

	if (rc)
		return refuse(r, DUENDE_MLOCK_PID_NO_SUCH_PROCESS, -ESRCH);
	r->start_time = stat.start_time;
	if (c->start_time && stat.start_time != c->start_time)
		return refuse(r, DUENDE_MLOCK_PID_REUSED, -ESRCH);
	read_name(dirfd, "comm", r->name, sizeof(r->name));
	if (stat.flags & DUENDE_MLOCK_PF_KTHREAD)
		return refuse(r, DUENDE_MLOCK_PID_KERNEL_THREAD, -EPERM);
	rc = dm_read_proc_status(dirfd, "status", 0, &st);
	if (rc || !(st.present & DM_ST_NAME))
		return refuse(r, DUENDE_MLOCK_PID_NO_SUCH_PROCESS, -ESRCH);
	r->uid = st.uid;
	if (stat.state == 'Z' || stat.state == 'X' || !(st.present & DM_ST_VMSIZE))
		return refuse(r, DUENDE_MLOCK_PID_ZOMBIE, -ESRCH);
	if ((st.present & DM_ST_NSPID) && st.ns_pid != (uint32_t)pid) {
		r->ns_pid = (pid_t)st.ns_pid;
		r->flags |= DUENDE_MLOCK_PID_F_PID_NAMESPACE;
	} else {
		r->ns_pid = pid;
	}
	if (!dm_in_initial_userns(dirfd, ""))
		r->flags |= DUENDE_MLOCK_PID_F_USER_NAMESPACE;
	if (st.tracer_pid) {
		r->tracer = (pid_t)st.tracer_pid;
		tracer_name(r->tracer, r->tracer_name, sizeof(r->tracer_name));
		return refuse(r, DUENDE_MLOCK_PID_TRACED, -EBUSY);
	}
	return 0;
}

/* Why ptrace access was refused, from what the kernel checks. */
static enum duende_mlock_pid_refusal why_no_access(const struct duende_mlock_pid_result *r,
						   uint64_t caps)
{
	bool ptrace_cap = dm_cap_in(caps, DM_CAP_SYS_PTRACE);

	if (r->ptrace_scope >= 3 || (r->ptrace_scope >= 1 && !ptrace_cap))
		return DUENDE_MLOCK_PID_YAMA;
	if ((r->flags & DUENDE_MLOCK_PID_F_USER_NAMESPACE) && !ptrace_cap)
		return DUENDE_MLOCK_PID_USER_NAMESPACE;
	return DUENDE_MLOCK_PID_NO_PERMISSION;
}

/* Does it serve a swap area? Unknown counts as yes: the resident-first
 * lock costs time, never a deadlock. */
static bool serves_swap(pid_t pid, struct duende_mlock_pid_result *r)
{
	/* The swap areas take more than a library frame may (8 KiB): a
	 * scratch mapping, not malloc. */
	struct duende_mlock_swaps *swaps = mmap(NULL, sizeof(*swaps), PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool serves = true;
	int i;

	if (swaps == MAP_FAILED)
		return true;
	if (duende_mlock_read_swaps(swaps) == 0) {
		i = duende_mlock_swap_served_by(swaps, pid, 0);
		serves = i >= 0;
		if (serves)
			dm_copy_str(r->serves_swap, sizeof(r->serves_swap), swaps->area[i].path);
	}
	munmap(swaps, sizeof(*swaps));
	return serves;
}

static ssize_t move_all(int fd, void *buf, size_t n, bool out)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = out ? write(fd, (char *)buf + done, n - done)
				: read(fd, (char *)buf + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		done += (size_t)k;
	}
	return (ssize_t)done;
}

/* The tracer: a child that runs the plan and exits. It ignores what a
 * terminal or a supervisor sends its process group, so that a call
 * under way inside the target always completes: a tracer killed while
 * the target executes an injected call would leave the target resuming
 * with the call's registers. */
static int run_tracer(const struct dm_remote_plan *plan, struct dm_remote_outcome *out)
{
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN,
				       SIGTTOU, SIGUSR1, SIGUSR2 };
	int p[2], status;
	pid_t child;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	child = fork();
	if (child < 0) {
		int rc = -errno;
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (child == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
			sigaction(ignored[i], &sa, NULL);
		close(p[0]);
		dm_remote_run(plan, out);
		_exit(move_all(p[1], out, sizeof(*out), true) == (ssize_t)sizeof(*out) ? 0 : 1);
	}
	close(p[1]);
	ssize_t got = move_all(p[0], out, sizeof(*out), false);
	close(p[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	return got == (ssize_t)sizeof(*out) ? 0 : -EIO;
}

static void record(struct duende_mlock_pid_result *r, enum duende_mlock_step step, int rc,
		   uint64_t value)
{
	r->steps[step].requested = true;
	r->steps[step].rc = rc;
	r->steps[step].value = rc ? 0 : value;
}

/* The outcome of an engine failure: a refusal when nothing ran. */
static int engine_failure(const struct dm_remote_outcome *o, uint64_t caps,
			  struct duende_mlock_pid_result *r)
{
	int rc = o->rc;

	if (rc == -EPERM || rc == -EACCES)
		return refuse(r, why_no_access(r, caps), -EPERM);
	if (rc == -ETIMEDOUT)
		return refuse(r, DUENDE_MLOCK_PID_BLOCKED, -ETIMEDOUT);
	if (rc == -ESRCH)
		return refuse(r, DUENDE_MLOCK_PID_NO_SUCH_PROCESS, -ESRCH);
	if (rc == -ENOEXEC)
		return refuse(r, o->stage == DM_REMOTE_ACCESS ? DUENDE_MLOCK_PID_NO_SYSCALL_INSN
							       : DUENDE_MLOCK_PID_ARCH,
			      o->stage == DM_REMOTE_ACCESS ? -ENOEXEC : -ENOSYS);
	if (rc == -EBUSY)
		return refuse(r, DUENDE_MLOCK_PID_TRACED, -EBUSY);
	return rc;
}

/* The lock's status, judged by the target's facts after the calls. */
static int conclude_lock(const struct duende_mlock_pid_config *c, const struct dm_remote_outcome *o,
			 int dirfd, struct duende_mlock_pid_result *r)
{
	struct duende_mlock_status *st = &r->lock_status;
	struct dm_lock_facts f;
	int rc;

	if (o->headroom_refused) {
		*st = o->headroom_status;
		rc = -ENOMEM;
	} else {
		memset(st, 0, sizeof(*st));
		st->min_headroom = c->lock.min_headroom;
		st->flags = o->applied;
		if (dm_gather_lock_facts_of(dirfd, &f) != 0)
			memset(&f, 0, sizeof(f));
		rc = dm_lock_conclude(&c->lock, o->lock_rc, &f, st);
	}
	record(r, DUENDE_MLOCK_STEP_LOCK, rc, st->bytes_locked);
	return rc;
}

struct thread_count {
	uint32_t threads, io_flusher;
};

static int count_thread(void *ctx, int dirfd, const char *name, uint64_t tid)
{
	struct thread_count *c = ctx;
	char path[48], buf[1024];
	struct dm_text t;
	struct dm_proc_stat st;
	size_t len;

	(void)name;
	dm_text_init(&t, path, sizeof(path));
	dm_text_put_u64(&t, tid);
	dm_text_put(&t, "/stat");
	if (dm_read_small(dirfd, path, buf, sizeof(buf), &len) != 0 || dm_stat_parse(buf, len, &st) != 0)
		return 0; /* it ended meanwhile */
	c->threads++;
	if (dm_io_flusher_in(st.flags))
		c->io_flusher++;
	return 0;
}

/* Read back from its /proc what the kernel now holds for it: VmLck above
 * 0 (the lock was taken), its swap, its threads and how many have
 * PR_SET_IO_FLUSHER. Cheap: status and each thread's stat, not smaps
 * (duende_mlock_report_pid() judges every mapping, at the cost of a walk
 * of its page tables). */
static void verify(int dirfd, const struct dm_remote_outcome *o, struct duende_mlock_pid_result *r)
{
	struct thread_count c = { 0, 0 };
	struct dm_proc_status st;

	if (dm_read_proc_status(dirfd, "status", DM_ST_VMLCK | DM_ST_VMSWAP, &st) == 0) {
		if ((st.present & DM_ST_VMLCK) && st.vm_lck > 0 &&
		    duende_mlock_status_is_locked(&r->lock_status))
			r->flags |= DUENDE_MLOCK_PID_F_VERIFIED;
		r->swap_left = o->swap_left ? o->swap_left : st.vm_swap;
	}
	if (dm_for_each_number(dirfd, "task", count_thread, &c) == 0) {
		r->threads = c.threads;
		r->threads_io_flusher = c.io_flusher;
	}
	if (r->flags & DUENDE_MLOCK_PID_F_SERVES_SWAP)
		r->swap_left_own = r->swap_left;
}

static bool still_same(int pidfd, int dirfd, const struct duende_mlock_pid_result *r)
{
	struct dm_proc_stat st;

	if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) != 0 && errno == ESRCH)
		return false;
	return read_stat(dirfd, &st) == 0 && st.start_time == r->start_time;
}

static int lock_pid(pid_t pid, const struct duende_mlock_pid_config *c, int dirfd, int pidfd,
		    struct duende_mlock_pid_result *r)
{
	struct dm_remote_plan plan;
	struct dm_remote_outcome o;
	struct dm_lock_facts before;
	uint64_t caps = caller_caps();
	int rc = check_target(pid, dirfd, c, r);

	if (rc)
		return rc;
	r->ptrace_scope = yama_scope();
	if (dm_cap_in(caps, DM_CAP_SYS_RESOURCE))
		r->flags |= DUENDE_MLOCK_PID_F_CALLER_SYS_RESOURCE | DUENDE_MLOCK_PID_F_CALLER_PRLIMIT;
	if (r->caller_uid == r->uid)
		r->flags |= DUENDE_MLOCK_PID_F_CALLER_PRLIMIT;
	if (dm_gather_lock_facts_of(dirfd, &before) != 0)
		return refuse(r, DUENDE_MLOCK_PID_NO_SUCH_PROCESS, -ESRCH);
	memset(&plan, 0, sizeof(plan));
	plan.pid = pid;
	plan.stop_ms = c->stop_timeout_ms ? (int)c->stop_timeout_ms : DUENDE_MLOCK_PID_STOP_MS;
	plan.lock = &c->lock;
	if (serves_swap(pid, r)) {
		plan.resident_first = true;
		r->flags |= DUENDE_MLOCK_PID_F_SERVES_SWAP;
	}
	plan.io_flusher = c->io_flusher;
	plan.caller_cap_sys_resource = (r->flags & DUENDE_MLOCK_PID_F_CALLER_SYS_RESOURCE) != 0;
	/* One that holds CAP_IPC_LOCK now can lose it with its uid (a server
	 * that drops root after the lock, a per-connection child that does):
	 * its lock must then fit its limit, so a caller that may make the
	 * limit unlimited does, as exec does before PROGRAM runs. */
	plan.raise_memlock = c->raise_memlock && (!before.cap_ipc_lock || plan.caller_cap_sys_resource);
	plan.set_oom_score_adj = c->set_oom_score_adj;
	plan.oom_score_adj = c->oom_score_adj;
	/* The last look before anything is done: still the process asked
	 * for (a pidfd holds it; the start time names it). */
	if (!still_same(pidfd, dirfd, r))
		return refuse(r, DUENDE_MLOCK_PID_REUSED, -ESRCH);
	memset(&o, 0, sizeof(o));
	rc = run_tracer(&plan, &o);
	if (rc)
		return rc;
	r->threads_stopped = o.threads_stopped;
	r->threads_eintr = o.threads_eintr;
	r->longest_stop_ns = o.longest_stop_ns;
	r->populated = o.populated;
	if (o.rc && !o.lock_ran && !o.raise_ran)
		return engine_failure(&o, caps, r);
	int first = 0;
	if (o.raise_ran) {
		record(r, DUENDE_MLOCK_STEP_RAISE_MEMLOCK, o.raise_rc, o.soft_after);
		if (o.raise_rc) /* the words name the hard limit that stays */
			r->steps[DUENDE_MLOCK_STEP_RAISE_MEMLOCK].value = before.memlock_hard;
	}
	if (c->lock.current || c->lock.future) {
		if (o.rc && !o.lock_ran)
			return engine_failure(&o, caps, r);
		first = conclude_lock(c, &o, dirfd, r);
		if (o.rc && !first)
			first = o.rc;
	} else {
		r->lock_status.state = DUENDE_MLOCK_STATE_LOCKED; /* the documented no-op */
	}
	verify(dirfd, &o, r);
	if (o.io_ran) {
		record(r, DUENDE_MLOCK_STEP_IO_FLUSHER, o.io_rc, r->threads_io_flusher);
		if (o.io_rc && !first)
			first = o.io_rc;
	}
	if (o.oom_ran) {
		record(r, DUENDE_MLOCK_STEP_OOM_SCORE_ADJ, o.oom_rc, (uint64_t)(int64_t)c->oom_score_adj);
		if (o.oom_rc && !first)
			first = o.oom_rc;
	}
	return first;
}

static int lock_pid_checked(pid_t pid, const struct duende_mlock_pid_config *c,
			    struct duende_mlock_pid_result *r)
{
	char path[64];
	int dirfd, pidfd, rc;

	if (!pid_config_valid(c))
		return refuse(r, DUENDE_MLOCK_PID_BAD_CONFIG, -EINVAL);
	if (pid <= 0 || pid == getpid())
		return refuse(r, pid <= 0 ? DUENDE_MLOCK_PID_NO_SUCH_PROCESS : DUENDE_MLOCK_PID_SELF,
			      pid <= 0 ? -ESRCH : -EINVAL);
	if (!DM_REMOTE_ARCH_SUPPORTED)
		return refuse(r, DUENDE_MLOCK_PID_ARCH, -ENOSYS);
	dm_proc_path(path, sizeof(path), (int)pid, "");
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return refuse(r, DUENDE_MLOCK_PID_NO_SUCH_PROCESS, -ESRCH);
	/* Held from here on: a PID that is freed and reused meanwhile no
	 * longer answers through it. Kernels before 5.3 have no pidfd; the
	 * start time alone names the process there. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 && errno == ESRCH) {
		close(dirfd);
		return refuse(r, DUENDE_MLOCK_PID_NO_SUCH_PROCESS, -ESRCH);
	}
	rc = lock_pid(pid, c, dirfd, pidfd, r);
	if (pidfd >= 0)
		close(pidfd);
	close(dirfd);
	return rc;
}

DM_EXPORT int duende_mlock_lock_pid(pid_t pid, const struct duende_mlock_pid_config *config,
				    struct duende_mlock_pid_result *out, size_t size)
{
	static const struct duende_mlock_pid_config defaults = DUENDE_MLOCK_PID_CONFIG_INIT;
	struct duende_mlock_pid_result r;

	if (!out || size < DM_PID_RESULT_SIZE_1_2)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.pid = pid;
	r.caller_uid = (uint32_t)getuid();
	r.ptrace_scope = -1;
	r.rc = lock_pid_checked(pid, config ? config : &defaults, &r);
	/* Filled whole here, handed over as far as the caller knows it; the
	 * rest of a larger caller's structure zeroed. */
	size_t filled = size < sizeof(r) ? size : sizeof(r);
	r.size = (uint32_t)filled;
	memcpy(out, &r, filled);
	if (size > filled)
		memset((char *)out + filled, 0, size - filled);
	return r.rc;
}
