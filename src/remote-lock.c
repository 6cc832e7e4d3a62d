/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Locking and hardening another process through the engine
 * (remote-lock.h). */
#define _GNU_SOURCE
#include "remote-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "harden.h"
#include "lock-rules.h"
#include "lock.h"
#include "precise.h"
#include "procfs.h"
#include "reader.h"
#include "survey.h"
#include "text.h"

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#endif
/* Linux 4.4. */
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif
/* Linux 5.14; older kernels answer EINVAL. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* /proc/PID/task/TID/<file> into path. */
static void task_path(char *path, size_t cap, pid_t pid, pid_t tid, const char *file)
{
	char rel[64];
	struct dm_text t;

	dm_text_init(&t, rel, sizeof(rel));
	dm_text_put(&t, "task/");
	dm_text_put_u64(&t, (uint64_t)tid);
	dm_text_put(&t, "/");
	dm_text_put(&t, file);
	dm_proc_path(path, cap, (int)pid, rel);
}

static int task_stat(pid_t pid, pid_t tid, struct dm_proc_stat *st)
{
	char path[96], buf[1024];
	size_t len;
	int rc;

	task_path(path, sizeof(path), pid, tid, "stat");
	rc = dm_read_small(AT_FDCWD, path, buf, sizeof(buf), &len);
	return rc ? rc : dm_stat_parse(buf, len, st);
}

static bool outside_kernel_wait(char state)
{
	return state != 'D' && state != 'Z' && state != 'X';
}

static void note_stop(struct dm_remote_outcome *out, const struct dm_remote_thread *th)
{
	out->threads_stopped++;
	if (th->held_ns > out->longest_stop_ns)
		out->longest_stop_ns = th->held_ns;
	if (th->eintr_left)
		out->threads_eintr++;
}

/* ---- the lock, made inside the target ---- */

struct injector {
	struct dm_remote_thread *th;
	int stop_ms;
	int engine_rc; /* a failure of the engine, not of the call */
};

static long inject(struct injector *in, long nr, const long args[6])
{
	long ret;
	int rc = dm_remote_syscall(in->th, nr, args, &ret, in->stop_ms);

	if (rc) {
		in->engine_rc = rc;
		return rc;
	}
	return ret;
}

static int injected_mlockall(void *ctx, int flags)
{
	const long args[6] = { flags };

	return (int)inject(ctx, SYS_mlockall, args);
}

/* VmSwap of the target: its anonymous pages on swap. */
static uint64_t swapped_bytes(pid_t pid)
{
	char path[64];
	struct dm_proc_status st;

	dm_proc_path(path, sizeof(path), (int)pid, "status");
	if (dm_read_proc_status(AT_FDCWD, path, DM_ST_VMSWAP, &st) != 0 || !(st.present & DM_ST_VMSWAP))
		return UINT64_MAX; /* unknown: as if some were */
	return st.vm_swap;
}

/* pagemap: bit 63 present, bit 62 swapped (no privilege needed). */
#define PM_PRESENT (UINT64_C(1) << 63)
#define PM_SWAP (UINT64_C(1) << 62)

struct populate {
	struct injector *in;
	struct dm_remote_outcome *out;
	int pagemap;
	uint64_t page;
	bool unsupported; /* the kernel lacks MADV_POPULATE_* */
};

static void populate_run(struct populate *p, uint64_t start, uint64_t end, bool write)
{
	const long args[6] = { (long)start, (long)(end - start),
			       write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ };

	if (start >= end || p->unsupported || p->in->engine_rc)
		return;
	long rc = inject(p->in, SYS_madvise, args);
	if (rc == 0)
		p->out->populated += end - start;
	else if (rc == -EINVAL)
		p->unsupported = true;
}

/* One mapping: fault in every page that is neither present nor on swap,
 * in runs, as mlockall would (written where it is writable and private,
 * to break copy-on-write); count the swapped ones, which are left. */
static void populate_mapping(struct populate *p, const struct dm_map_entry *m, bool write)
{
	uint64_t entries[512];
	uint64_t run = 0; /* start of the run being gathered, 0: none */

	for (uint64_t at = m->start; at < m->end && !p->in->engine_rc;) {
		uint64_t pages = (m->end - at) / p->page;
		size_t n = pages < 512 ? (size_t)pages : 512;
		ssize_t got = pread(p->pagemap, entries, n * sizeof(entries[0]),
				    (off_t)(at / p->page * sizeof(entries[0])));

		if (got <= 0)
			break;
		n = (size_t)got / sizeof(entries[0]);
		for (size_t i = 0; i < n; i++, at += p->page) {
			bool absent = !(entries[i] & (PM_PRESENT | PM_SWAP));

			if (entries[i] & PM_SWAP)
				p->out->swap_left += p->page;
			if (absent && !run)
				run = at;
			if (!absent && run) {
				populate_run(p, run, at, write);
				run = 0;
			}
		}
	}
	if (run)
		populate_run(p, run, m->end, write);
}

static int populate_line(void *ctx, const char *line, size_t len)
{
	struct populate *p = ctx;
	struct dm_map_entry m;
	const char *name = memchr(line, '[', len);

	if (dm_maps_parse_line(line, len, &m) != 0)
		return 0;
	/* Not lockable (PROT_NONE), special ([vdso], [vvar], [vsyscall]), or
	 * shared (shmem keeps its own swap, which pagemap does not show). */
	if ((m.perms[0] != 'r' && m.perms[1] != 'w') || m.perms[3] == 's' ||
	    (name && (size_t)(line + len - name) > 2 && name[1] == 'v'))
		return 0;
	populate_mapping(p, &m, m.perms[1] == 'w');
	return p->in->engine_rc != 0;
}

/* What a lock-on-fault lock left out: every page neither present nor on
 * swap is faulted in; pages on swap stay there, since the target serves a
 * swap area, and pagemap does not say which area holds a page: faulting
 * one in from its own device would wait on the target itself, inside the
 * call. They are locked when touched. */
static void populate_init(struct populate *p, struct injector *in, pid_t pid, struct dm_remote_outcome *out)
{
	char path[64];
	long page = sysconf(_SC_PAGESIZE);

	memset(p, 0, sizeof(*p));
	p->in = in;
	p->out = out;
	p->page = page > 0 ? (uint64_t)page : 4096;
	dm_proc_path(path, sizeof(path), (int)pid, "pagemap");
	p->pagemap = open(path, O_RDONLY | O_CLOEXEC);
	if (p->pagemap < 0)
		out->swap_left = swapped_bytes(pid);
}

static void populate_safe(struct injector *in, pid_t pid, struct dm_remote_outcome *out)
{
	char path[64], buf[512];
	struct populate p;

	populate_init(&p, in, pid, out);
	if (p.pagemap < 0)
		return;
	dm_proc_path(path, sizeof(path), (int)pid, "maps");
	(void)dm_read_lines(AT_FDCWD, path, buf, sizeof(buf), populate_line, &p);
	close(p.pagemap);
}

/* ---- the precise plan, its calls made inside the target ---- */

struct remote_precise {
	struct injector *in;
	/* Set for a target that serves swap: what is on swap stays there
	 * (the page-in hazard), the rest is faulted in through pop. */
	bool safe;
	struct populate pop;
	int first_error;
};

/* One mapping as the plan says (src/precise.c applies the same plan to
 * the calling process): locked on fault first, where RLIMIT_MEMLOCK is
 * checked, then populated as MCL_CURRENT would (written in where the plan
 * says), or unlocked. */
static int precise_mapping(void *ctx, const struct dm_precise_mapping *m, enum dm_precise_action a)
{
	struct remote_precise *rp = ctx;
	long args[6] = { (long)m->map.start, (long)(m->map.end - m->map.start), MLOCK_ONFAULT };
	long rc;

	if (a == DM_PRECISE_UNLOCK) {
		(void)inject(rp->in, SYS_munlock, args);
		return rp->in->engine_rc;
	}
	rc = inject(rp->in, SYS_mlock2, args);
	if (rc == -ENOSYS || rc == -EINVAL) /* before Linux 4.4: locked and read in at once */
		rc = inject(rp->in, SYS_mlock, args);
	if (rp->in->engine_rc)
		return rp->in->engine_rc;
	if (rc) {
		if (!rp->first_error)
			rp->first_error = (int)rc;
		return 0;
	}
	if (a == DM_PRECISE_LOCK_ONFAULT)
		return 0;
	if (!rp->safe) {
		/* mlock(2) populates as MCL_CURRENT does; ENOMEM for what
		 * cannot be read in (PROT_NONE) is ignored there too. */
		(void)inject(rp->in, SYS_mlock, args);
	} else if (rp->pop.pagemap >= 0 && m->map.perms[3] != 's' &&
		   (m->map.perms[0] == 'r' || m->map.perms[1] == 'w')) {
		/* Shared memory keeps its own swap, which pagemap does not
		 * show: left locked on fault. */
		populate_mapping(&rp->pop, &m->map, a == DM_PRECISE_LOCK_WRITE);
	}
	return rp->in->engine_rc;
}

/* The precise lock from outside: later mappings locked on fault (no
 * preload sees the target's mmap calls, so file data mapped later is
 * pinned only as far as it is touched), then each current mapping as
 * the plan says. Returns 1 when the target's maps could not be read, for
 * the caller to lock as the default lock does. */
static int lock_precise_stopped(struct injector *in, const struct dm_remote_plan *plan,
				struct dm_remote_outcome *out)
{
	const struct duende_mlock_config *cfg = plan->lock;
	struct duende_mlock_config future = *cfg;
	/* Nothing on swap, and nothing can go there once locked: the plan
	 * faults in nothing from the target's own device. */
	struct remote_precise rp = { .in = in,
				     .safe = plan->resident_first && swapped_bytes(plan->pid) != 0 };
	char path[64];
	int dirfd, rc = 0;

	future.current = false;
	future.onfault = true;
	future.precise = false;
	if (cfg->future)
		rc = dm_lock_apply(&future, false, injected_mlockall, in, &out->applied);
	if (rc || in->engine_rc || !cfg->current)
		goto done;
	dm_proc_path(path, sizeof(path), (int)plan->pid, "");
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return 1;
	if (rp.safe)
		populate_init(&rp.pop, in, plan->pid, out);
	else
		rp.pop.pagemap = -1;
	int plan_rc = dm_precise_plan(dirfd, precise_mapping, &rp);
	close(dirfd);
	if (rp.pop.pagemap >= 0)
		close(rp.pop.pagemap);
	if (in->engine_rc)
		return 0;
	if (plan_rc)
		return 1;
	rc = rp.first_error;
done:
	out->lock_rc = rc;
	if (!rc)
		out->applied |= DUENDE_MLOCK_F_PRECISE | (cfg->current ? DUENDE_MLOCK_F_CURRENT : 0) |
				(cfg->future ? DUENDE_MLOCK_F_FUTURE : 0);
	return 0;
}

void dm_remote_lock_stopped(struct dm_remote_thread *th, const struct dm_remote_plan *plan,
			    struct dm_remote_outcome *out)
{
	struct injector in = { .th = th, .stop_ms = plan->stop_ms };
	const struct duende_mlock_config *cfg = plan->lock;

	out->lock_ran = true;
	bool precise_done = false;

	if (cfg->precise && !plan->present_only) {
		precise_done = lock_precise_stopped(&in, plan, out) == 0;
		if (!precise_done) /* no plan: locked as the default lock locks */
			out->applied |= DUENDE_MLOCK_F_PRECISE_UNAVAILABLE;
	}
	if (plan->present_only) {
		out->lock_rc = dm_lock_apply(cfg, true, injected_mlockall, &in, &out->applied);
	} else if (precise_done) {
		/* done as the plan says */
	} else if (!plan->resident_first) {
		out->lock_rc = dm_lock_apply(cfg, false, injected_mlockall, &in, &out->applied);
	} else {
		/* Pins what is present, faults nothing in: from here on
		 * nothing of it can go out to swap, and what is on swap can
		 * only come back. */
		uint32_t first = 0;

		out->lock_rc = dm_lock_apply(cfg, true, injected_mlockall, &in, &first);
		out->applied = first | (out->applied & DUENDE_MLOCK_F_PRECISE_UNAVAILABLE);
		if (!out->lock_rc && !in.engine_rc && cfg->current && !cfg->onfault) {
			if (swapped_bytes(plan->pid) == 0) {
				/* Nothing on swap, and nothing can go there now:
				 * the full lock faults in nothing from swap. */
				out->applied &= DUENDE_MLOCK_F_PRECISE_UNAVAILABLE;
				out->lock_rc = dm_lock_apply(cfg, false, injected_mlockall, &in,
							     &out->applied);
			} else {
				populate_safe(&in, plan->pid, out);
			}
		}
	}
	if (in.engine_rc) {
		out->rc = in.engine_rc;
		out->stage = DM_REMOTE_CALL;
	}
}

/* ---- choosing threads ---- */

struct chooser {
	pid_t pid;
	pid_t found;
};

static int choose_line(void *ctx, int dirfd, const char *name, uint64_t tid)
{
	struct chooser *c = ctx;
	struct dm_proc_stat st;

	(void)dirfd;
	(void)name;
	if (task_stat(c->pid, (pid_t)tid, &st) == 0 && outside_kernel_wait(st.state)) {
		c->found = (pid_t)tid;
		return 1;
	}
	return 0;
}

/* The thread to make the lock call: the main one, else any outside an
 * uninterruptible wait, waited for at most stop_ms. -ETIMEDOUT when every
 * thread stays blocked in the kernel. */
static int choose_thread(pid_t pid, int stop_ms, pid_t *tid)
{
	uint64_t deadline = dm_remote_now_ns() + (uint64_t)stop_ms * 1000000u;
	char path[64];
	struct dm_proc_stat st;

	dm_proc_path(path, sizeof(path), (int)pid, "task");
	for (;;) {
		struct chooser c = { .pid = pid };
		int rc = task_stat(pid, pid, &st);

		if (rc == 0 && outside_kernel_wait(st.state)) {
			*tid = pid;
			return 0;
		}
		rc = dm_for_each_number(AT_FDCWD, path, choose_line, &c);
		if (rc < 0)
			return rc == -ENOENT ? -ESRCH : rc;
		if (c.found) {
			*tid = c.found;
			return 0;
		}
		if (dm_remote_now_ns() > deadline)
			return -ETIMEDOUT;
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
}

/* ---- the steps ---- */

static bool unlimited(rlim_t v)
{
	return v == RLIM_INFINITY;
}

/* prlimit(2) from outside: soft to hard, and both to unlimited where the
 * caller holds CAP_SYS_RESOURCE. */
static void raise_memlock(const struct dm_remote_plan *plan, struct dm_remote_outcome *out)
{
	struct rlimit old, want;

	out->raise_ran = true;
	if (prlimit(plan->pid, RLIMIT_MEMLOCK, NULL, &old) != 0) {
		out->raise_rc = -errno;
		return;
	}
	want = old;
	if (plan->caller_cap_sys_resource)
		want.rlim_cur = want.rlim_max = RLIM_INFINITY;
	else
		want.rlim_cur = old.rlim_max;
	if ((want.rlim_cur != old.rlim_cur || want.rlim_max != old.rlim_max) &&
	    prlimit(plan->pid, RLIMIT_MEMLOCK, &want, NULL) != 0) {
		out->raise_rc = -errno;
		want = old;
	}
	out->soft_after = unlimited(want.rlim_cur) ? DUENDE_MLOCK_UNLIMITED : (uint64_t)want.rlim_cur;
}

static void lock_step(const struct dm_remote_plan *plan, uintptr_t insn, pid_t tid,
		      struct dm_remote_outcome *out)
{
	struct dm_remote_thread th;
	int rc = dm_remote_attach(&th, plan->pid, tid, plan->stop_ms);
	if (rc) {
		out->rc = rc;
		out->stage = DM_REMOTE_ATTACH;
		return;
	}
	th.insn = insn;
	rc = dm_remote_check_insn(&th);
	if (rc) {
		(void)dm_remote_detach(&th);
		out->rc = rc;
		out->stage = DM_REMOTE_ATTACH;
		return;
	}
	dm_remote_lock_stopped(&th, plan, out);
	rc = dm_remote_detach(&th);
	note_stop(out, &th);
	if (rc && !out->rc) {
		out->rc = rc;
		out->stage = DM_REMOTE_CALL;
	}
}

struct flusher {
	const struct dm_remote_plan *plan;
	struct dm_remote_outcome *out;
	uintptr_t insn;
	uint32_t made; /* calls made in this pass */
};

/* Waits, at most stop_ms, for the thread to leave an uninterruptible
 * wait; *st is its stat then. */
static int outside_kernel(pid_t pid, pid_t tid, int stop_ms, struct dm_proc_stat *st)
{
	uint64_t deadline = dm_remote_now_ns() + (uint64_t)stop_ms * 1000000u;

	for (;;) {
		int rc = task_stat(pid, tid, st);

		if (rc)
			return -ESRCH;
		if (st->state != 'D')
			return 0;
		if (dm_remote_now_ns() > deadline)
			return -ETIMEDOUT;
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
}

static int flusher_line(void *ctx, int dirfd, const char *name, uint64_t number)
{
	struct flusher *f = ctx;
	const struct dm_remote_plan *plan = f->plan;
	const long args[6] = { PR_SET_IO_FLUSHER, 1 };
	struct dm_remote_thread th;
	struct dm_proc_stat st;
	pid_t tid = (pid_t)number;
	int rc;

	(void)dirfd;
	(void)name;
	rc = outside_kernel(plan->pid, tid, plan->stop_ms, &st);
	if (rc == -ESRCH || (rc == 0 && (dm_io_flusher_in(st.flags) || st.state == 'Z')))
		return 0; /* ended, already set, or exiting */
	if (rc) {
		f->out->io_rc = rc;
		return 1;
	}
	rc = dm_remote_attach(&th, plan->pid, tid, plan->stop_ms);
	if (rc == -ESRCH)
		return 0;
	if (rc) {
		f->out->io_rc = rc;
		return 1;
	}
	th.insn = f->insn;
	rc = dm_remote_check_insn(&th);
	if (rc) {
		(void)dm_remote_detach(&th);
		f->out->io_rc = rc;
		return 1;
	}
	f->insn = th.insn;
	struct injector in = { .th = &th, .stop_ms = plan->stop_ms };
	long ret = inject(&in, SYS_prctl, args);
	rc = dm_remote_detach(&th);
	note_stop(f->out, &th);
	if (in.engine_rc || rc) {
		f->out->io_rc = in.engine_rc ? in.engine_rc : rc;
		return f->out->io_rc != -ESRCH;
	}
	if (ret) {
		f->out->io_rc = (int)ret;
		return 1;
	}
	f->made++;
	f->out->io_threads++;
	return 0;
}

/* PR_SET_IO_FLUSHER is per thread, inherited by the threads each creates
 * afterwards: passes over the task list until every thread has it (a
 * thread created meanwhile by one that had not is caught next pass). */
static void io_flusher_step(const struct dm_remote_plan *plan, uintptr_t insn,
			    struct dm_remote_outcome *out)
{
	char path[64];

	out->io_ran = true;
	dm_proc_path(path, sizeof(path), (int)plan->pid, "task");
	for (int pass = 0; pass < 8; pass++) {
		struct flusher f = { .plan = plan, .out = out, .insn = insn };
		int rc = dm_for_each_number(AT_FDCWD, path, flusher_line, &f);

		if (rc < 0 && !out->io_rc)
			out->io_rc = rc == -ENOENT ? -ESRCH : rc;
		if (out->io_rc || f.made == 0)
			return;
	}
}

static void oom_step(const struct dm_remote_plan *plan, struct dm_remote_outcome *out)
{
	char path[64];

	out->oom_ran = true;
	dm_proc_path(path, sizeof(path), (int)plan->pid, "oom_score_adj");
	out->oom_rc = dm_write_oom_score_adj(path, plan->oom_score_adj);
}

/* Required mode with min_headroom: judged by the target's limits once
 * raised, before anything runs inside it. */
static bool headroom_short(const struct dm_remote_plan *plan, struct dm_remote_outcome *out)
{
	char path[64];
	struct dm_lock_facts f;
	int dirfd;

	if (!plan->lock->required || !plan->lock->min_headroom)
		return false;
	dm_proc_path(path, sizeof(path), (int)plan->pid, "");
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return false;
	int rc = dm_gather_lock_facts_of(dirfd, &f);
	close(dirfd);
	if (rc)
		return false;
	memset(&out->headroom_status, 0, sizeof(out->headroom_status));
	out->headroom_status.min_headroom = plan->lock->min_headroom;
	if (dm_lock_check_headroom(plan->lock, &f, &out->headroom_status) == 0)
		return false;
	out->headroom_refused = true;
	return true;
}

void dm_remote_run(const struct dm_remote_plan *plan, struct dm_remote_outcome *out)
{
	uintptr_t insn;
	int rc;

	memset(out, 0, sizeof(*out));
	/* Reading its vDSO needs the access ptrace needs (Yama included):
	 * refused here, nothing has been done to it. */
	rc = dm_remote_find_insn(plan->pid, &insn);
	if (rc) {
		out->rc = rc;
		out->stage = DM_REMOTE_ACCESS;
		return;
	}
	bool locking = plan->lock && (plan->lock->current || plan->lock->future);
	pid_t tid = 0;
	/* A process whose every thread stays in the kernel is refused
	 * before anything is changed, its limits included. */
	if (locking) {
		rc = choose_thread(plan->pid, plan->stop_ms, &tid);
		if (rc) {
			out->rc = rc;
			out->stage = DM_REMOTE_CHOOSE;
			return;
		}
	}
	if (plan->raise_memlock)
		raise_memlock(plan, out);
	if (locking && !headroom_short(plan, out)) {
		lock_step(plan, insn, tid, out);
		if (out->rc)
			return;
	}
	if (plan->io_flusher)
		io_flusher_step(plan, insn, out);
	if (plan->set_oom_score_adj)
		oom_step(plan, out);
}
