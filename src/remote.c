/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Making another process's thread execute a system call (remote.h). */
#define _GNU_SOURCE
#include "remote.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"
#include "ptrace-abi.h"
#include "reader.h"
#include "text.h"

uint64_t dm_remote_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void pause_ns(long ns)
{
	struct timespec ts = { 0, ns };

	nanosleep(&ts, NULL);
}

/* The next ptrace stop of tid: 0 and *status; -ESRCH when it ended
 * instead; -ETIMEDOUT after timeout_ms (< 0: no bound). */
static int wait_stop(pid_t tid, int timeout_ms, int *status)
{
	pid_t r;

	if (timeout_ms < 0) {
		while ((r = waitpid(tid, status, __WALL)) != tid)
			if (r < 0 && errno != EINTR)
				return errno == ECHILD ? -ESRCH : -errno;
	} else {
		uint64_t deadline = dm_remote_now_ns() + (uint64_t)timeout_ms * 1000000u;
		long sleep = 10000;

		while ((r = waitpid(tid, status, __WALL | WNOHANG)) != tid) {
			if (r < 0 && errno != EINTR)
				return errno == ECHILD ? -ESRCH : -errno;
			if (dm_remote_now_ns() > deadline)
				return -ETIMEDOUT;
			pause_ns(sleep);
			if (sleep < 1000000)
				sleep *= 2;
		}
	}
	return WIFSTOPPED(*status) ? 0 : -ESRCH;
}

static int event_of(int status)
{
	return (unsigned)status >> 16;
}

/* Waits, at most stop_ms, for the interrupt's trap or a group stop; a
 * signal that is about to be delivered is passed on meanwhile, as if no
 * tracer were there. */
static int wait_trap(struct dm_remote_thread *th, int stop_ms)
{
	int status, rc;

	for (int i = 0; i < DM_REMOTE_RETRIES; i++) {
		rc = wait_stop(th->tid, stop_ms, &status);
		if (rc)
			return rc;
		if (event_of(status) == PTRACE_EVENT_STOP) {
			th->stop_sig = WSTOPSIG(status);
			return 0;
		}
		/* It exec'd meanwhile: another program, whose memory the plan
		 * (its instruction, its maps) no longer describes. Left in the
		 * exec's stop, which detaching ends without a signal. */
		if (event_of(status) == PTRACE_EVENT_EXEC)
			return -ESRCH;
		if (ptrace(PTRACE_CONT, th->tid, NULL, (void *)(long)WSTOPSIG(status)) != 0 ||
		    ptrace(PTRACE_INTERRUPT, th->tid, NULL, NULL) != 0)
			return -errno;
	}
	return -EAGAIN;
}

/* Holds the thread's registers as it was found. */
static int take_regs(struct dm_remote_thread *th)
{
	int rc = dm_arch_get_regs(th->tid, &th->saved);

	if (rc)
		return rc;
	th->stopped = true;
	if (!dm_arch_is_native(&th->saved))
		return -ENOEXEC;
	return dm_arch_read_hidden(th->pid, th->tid, &th->saved);
}

int dm_remote_attach(struct dm_remote_thread *th, pid_t pid, pid_t tid, int stop_ms)
{
	int rc;

	memset(th, 0, sizeof(*th));
	th->pid = pid;
	th->tid = tid;
	if (!DM_REMOTE_ARCH_SUPPORTED)
		return -ENOSYS;
	/* Never PTRACE_O_EXITKILL (the tracer's end must never end the
	 * target). PTRACE_O_TRACEEXEC: an exec while it is held is an event,
	 * not the SIGTRAP the kernel otherwise sends a traced process, which
	 * would kill it. */
	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)PTRACE_O_TRACEEXEC) != 0)
		return -errno;
	th->seized = true;
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0)
		return -errno;
	rc = wait_trap(th, stop_ms);
	if (rc)
		return rc;
	th->stopped_at_ns = dm_remote_now_ns();
	return take_regs(th);
}

/* ---- finding a system call instruction ---- */

struct insn_search {
	pid_t pid;
	bool vdso_only;
	uintptr_t found;
	int checked;
	int error; /* the first read refused (-EPERM: no ptrace access) */
};

/* Searches [start, end) of the process for the instruction, a page at a
 * time (process_vm_readv: no text is written, and none of ours is read
 * as its). */
static uintptr_t search_range(struct insn_search *s, uint64_t start, uint64_t end)
{
	pid_t pid = s->pid;
	unsigned char page[4096] = { 0 };
	const size_t n = dm_arch_syscall_insn_len;

	if (n == 0)
		return 0;
	for (uint64_t at = start; at < end; at += sizeof(page)) {
		size_t want = end - at < sizeof(page) ? (size_t)(end - at) : sizeof(page);
		struct iovec local = { page, want }, remote = { (void *)(uintptr_t)at, want };
		ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);

		if (got <= 0) {
			if (got < 0 && !s->error)
				s->error = -errno;
			return 0;
		}
		for (size_t i = 0; i + n <= (size_t)got; i += dm_arch_insn_align)
			if (memcmp(page + i, dm_arch_syscall_insn, n) == 0)
				return (uintptr_t)(at + i);
	}
	return 0;
}

static int insn_line(void *ctx, const char *line, size_t len)
{
	struct insn_search *s = ctx;
	struct dm_map_entry m;
	bool vdso = len >= 6 && memcmp(line + len - 6, "[vdso]", 6) == 0;
	/* At most this much of a program's own code is read. */
	const uint64_t code_max = (uint64_t)1 << 20;

	if (s->found || dm_maps_parse_line(line, len, &m) != 0 || m.perms[2] != 'x')
		return s->found != 0;
	if (s->vdso_only ? !vdso : (vdso || !m.inode || s->checked >= 8))
		return 0;
	s->checked++;
	s->found = search_range(s, m.start,
				m.end - m.start > code_max ? m.start + code_max : m.end);
	return s->found != 0;
}

int dm_remote_find_insn(pid_t pid, uintptr_t *insn)
{
	struct insn_search s = { .pid = pid, .vdso_only = true };
	char path[64], buf[512];
	int rc;

	dm_proc_path(path, sizeof(path), (int)pid, "maps");
	for (int pass = 0; pass < 2 && !s.found; pass++) {
		s.vdso_only = pass == 0;
		rc = dm_read_lines(AT_FDCWD, path, buf, sizeof(buf), insn_line, &s);
		if (rc < 0)
			return rc;
	}
	if (!s.found)
		return s.error == -EPERM || s.error == -EACCES ? s.error : -ENOEXEC;
	*insn = s.found;
	return 0;
}

int dm_remote_check_insn(struct dm_remote_thread *th)
{
	unsigned char bytes[8];
	const size_t n = dm_arch_syscall_insn_len;
	struct iovec local = { bytes, n }, remote = { (void *)th->insn, n };

	if (!th->stopped)
		return -ESRCH;
	if (th->insn && n <= sizeof(bytes) &&
	    process_vm_readv(th->pid, &local, 1, &remote, 1, 0) == (ssize_t)n &&
	    memcmp(bytes, dm_arch_syscall_insn, n) == 0)
		return 0;
	return dm_remote_find_insn(th->pid, &th->insn);
}

/* ---- one system call ---- */

/* A signal came before the call was made: the thread gets its own
 * registers and the signal, as if no tracer were there, and is stopped
 * again for the call to be tried after it. */
static int deliver_then_stop(struct dm_remote_thread *th, int sig, int stop_ms)
{
	int rc = dm_arch_set_regs(th->tid, &th->saved);

	if (rc)
		return rc;
	th->stopped = false;
	if (ptrace(PTRACE_CONT, th->tid, NULL, (void *)(long)sig) != 0 ||
	    ptrace(PTRACE_INTERRUPT, th->tid, NULL, NULL) != 0)
		return -errno;
	rc = wait_trap(th, stop_ms);
	return rc ? rc : take_regs(th);
}

/* Steps the thread over the prepared call. 0: made, *now holds what it
 * left; 1: a signal came first and was delivered, try again; < 0. */
static int step_over(struct dm_remote_thread *th, struct dm_arch_regs *now, int stop_ms)
{
	const uintptr_t after = th->insn + dm_arch_syscall_insn_len;
	dm_ptrace_req request = PTRACE_SINGLESTEP;
	int status, rc;

	for (int i = 0; i < DM_REMOTE_RETRIES; i++) {
		if (ptrace(request, th->tid, NULL, NULL) != 0)
			return -errno;
		/* The call runs in the target: as long as it takes. */
		rc = wait_stop(th->tid, -1, &status);
		if (rc) {
			th->stopped = false;
			return rc;
		}
		rc = dm_arch_get_regs(th->tid, now);
		if (rc)
			return rc;
		bool signal_stop = event_of(status) == 0;
		int sig = WSTOPSIG(status);
		if (dm_arch_ip(now) == after) {
			/* Made. The step ends in a SIGTRAP stop, which is
			 * discarded when the thread is resumed; a group stop
			 * that came first is left, and the SIGTRAP awaited. */
			if (signal_stop && sig == SIGTRAP)
				return 0;
			request = PTRACE_CONT;
			continue;
		}
		if (dm_arch_ip(now) != th->insn)
			return -EPROTO;
		if (!signal_stop)
			continue; /* a group stop or trap before the call */
		rc = deliver_then_stop(th, sig, stop_ms);
		return rc ? rc : 1;
	}
	return -EAGAIN;
}

int dm_remote_syscall(struct dm_remote_thread *th, long nr, const long args[6], long *ret,
		      int stop_ms)
{
	struct dm_arch_regs call, now;
	int rc;

	if (!th->stopped)
		return -ESRCH;
	for (int attempt = 0; attempt < DM_REMOTE_RETRIES; attempt++) {
		call = th->saved;
		dm_arch_prepare_call(&call, th->insn, nr, args);
		rc = dm_arch_set_regs(th->tid, &call);
		if (rc)
			return rc;
		rc = step_over(th, &now, stop_ms);
		if (rc == 1)
			continue;
		if (rc < 0) {
			if (th->stopped)
				(void)dm_arch_set_regs(th->tid, &th->saved);
			return rc;
		}
		*ret = dm_arch_result(&now);
		return dm_arch_set_regs(th->tid, &th->saved);
	}
	(void)dm_arch_set_regs(th->tid, &th->saved);
	return -EAGAIN;
}

/* ---- settling and detaching ---- */

static bool is_epoll_wait(long nr)
{
#ifdef SYS_epoll_wait
	if (nr == SYS_epoll_wait)
		return true;
#endif
#ifdef SYS_epoll_pwait
	if (nr == SYS_epoll_pwait)
		return true;
#endif
#ifdef SYS_epoll_pwait2
	if (nr == SYS_epoll_pwait2)
		return true;
#endif
	return false;
}

static bool waits_forever(const struct dm_arch_regs *r, long nr)
{
#ifdef SYS_epoll_pwait2
	if (nr == SYS_epoll_pwait2)
		return dm_arch_interrupted_arg(r, 3) == 0; /* no timespec */
#endif
	(void)nr;
	return (int)dm_arch_interrupted_arg(r, 3) < 0;
}

/* Any signal pending for the thread or its process. */
static bool signal_pending(const struct dm_remote_thread *th)
{
	char file[48], path[96];
	struct dm_text t;
	struct dm_proc_status st;

	dm_text_init(&t, file, sizeof(file));
	dm_text_put(&t, "task/");
	dm_text_put_u64(&t, (uint64_t)th->tid);
	dm_text_put(&t, "/status");
	dm_proc_path(path, sizeof(path), (int)th->pid, file);
	if (dm_read_proc_status(AT_FDCWD, path, DM_ST_SIGPND | DM_ST_SHDPND, &st) != 0 ||
	    !(st.present & DM_ST_SIGPND) || !(st.present & DM_ST_SHDPND))
		return true; /* unknown: leave the call as the kernel did */
	return st.sig_pnd || st.shd_pnd;
}

/*
 * epoll_wait is never restarted: a thread stopped in it returns EINTR,
 * after a ptrace interrupt as after SIGSTOP/SIGCONT. When the interrupt
 * alone ended it (no signal is pending, and the stop was the interrupt's,
 * not a group stop) and it waits without a timeout, entering it again is
 * what the thread sees had it never been stopped. With a timeout the time
 * already waited is unknown: EINTR stays, as the kernel left it.
 */
static void settle_interrupted_call(struct dm_remote_thread *th)
{
	long nr = dm_arch_interrupted_call(&th->saved);

	if (nr < 0 || !is_epoll_wait(nr) || dm_arch_interrupted_result(&th->saved) != -EINTR ||
	    th->stop_sig != SIGTRAP)
		return;
	if (!waits_forever(&th->saved, nr) || !dm_arch_can_reenter(&th->saved) || signal_pending(th)) {
		th->eintr_left = true;
		return;
	}
	dm_arch_reenter_call(&th->saved);
	th->reentered = true;
}

int dm_remote_adopt(struct dm_remote_thread *th, pid_t pid, pid_t tid, int stop_sig)
{
	memset(th, 0, sizeof(*th));
	th->pid = pid;
	th->tid = tid;
	if (!DM_REMOTE_ARCH_SUPPORTED)
		return -ENOSYS;
	th->seized = true;
	th->stop_sig = stop_sig;
	th->stopped_at_ns = dm_remote_now_ns();
	return take_regs(th);
}

int dm_remote_restore(struct dm_remote_thread *th)
{
	if (!th->stopped)
		return -ESRCH;
	long args[6];
	long nr = dm_arch_restore_call(&th->saved, args);
	if (nr >= 0) {
		long ret;

		(void)dm_remote_syscall(th, nr, args, &ret, DM_REMOTE_STOP_MS);
	}
	settle_interrupted_call(th);
	return dm_arch_set_regs(th->tid, &th->saved);
}

int dm_remote_detach(struct dm_remote_thread *th)
{
	int rc;

	if (!th->seized)
		return 0;
	if (!th->stopped)
		return -EBUSY; /* only the tracer's exit detaches it now */
	rc = dm_remote_restore(th);
	if (ptrace(PTRACE_DETACH, th->tid, NULL, NULL) != 0 && !rc)
		rc = -errno;
	th->held_ns = dm_remote_now_ns() - th->stopped_at_ns;
	th->seized = th->stopped = false;
	return rc;
}
