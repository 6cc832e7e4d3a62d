/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * duende_mlock_follow(): a tracer that stays, and locks every process a
 * followed one forks before it runs, or that execs the program again at
 * its first instruction. The decisions (which child is the program, which
 * a helper; how a child is locked) are made here; the caller prints.
 *
 * Every tracee is in one of few states, kept in a table (a scratch
 * mapping, no malloc): running, or awaiting the first stop of a task that
 * a fork, vfork or clone event announced, or stopped early (its first
 * stop came before its parent's event, which the kernel allows). A task
 * is resumed only with what it was stopped with: a signal-delivery stop
 * gets its signal back, a group stop is listened through (PTRACE_LISTEN),
 * so that SIGSTOP and SIGCONT work as if no tracer were there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "image.h"
#include "lock-rules.h"
#include "lock.h"
#include "platform.h"
#include "procfs.h"
#include "ptrace-abi.h"
#include "reader.h"
#include "remote-lock.h"
#include "remote.h"
#include "text.h"

/* Fork, vfork, clone and exec reported; never PTRACE_O_EXITKILL: the
 * tracer's end must never end what it follows. */
#define FOLLOW_OPTIONS \
	(PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC)

#define FOLLOW_MAX DUENDE_MLOCK_FOLLOW_MAX
/* How long detaching waits for every tracee to stop; one that does not
 * (blocked in the kernel) is detached by the kernel when the tracer
 * exits. */
#define FOLLOW_DETACH_MS 5000
/* A task stopped before its parent's event and held this long is judged
 * from /proc instead: that event can be met, and passed over, by a call
 * injected into the parent meanwhile. No task is held stopped for good. */
#define FOLLOW_EARLY_MS 100

enum task_state {
	T_FREE = 0,
	T_RUNNING,
	T_AWAIT_FIRST, /* announced by its parent's event, not stopped yet */
	T_EARLY,       /* stopped before its parent's event came */
};

enum task_kind {
	K_UNKNOWN = 0,
	K_THREAD,  /* shares its process's memory: nothing to lock */
	K_PROCESS, /* a followed process's main thread */
	K_FORKED,  /* a new process: locked in its first stop */
	K_VFORKED, /* borrows its parent's memory until it execs */
};

struct task {
	pid_t tid, tgid, parent;
	uint8_t state, kind;
	bool leader;    /* asked for: whatever it execs is the program */
	bool want_lock; /* interrupted to be locked (found unlocked) */
	bool exec_lock; /* exec'd the program: interrupted to be locked */
	int early_sig;  /* T_EARLY: the stop it waits in */
	uint64_t early_since; /* T_EARLY: when it was met (dm_remote_now_ns) */
	struct dm_image image; /* the program it follows */
	uintptr_t insn; /* a system call instruction in it, 0: to find */
};

struct follow {
	const struct duende_mlock_follow_config *cfg;
	duende_mlock_follow_fn cb;
	void *ctx;
	struct task *t;
	size_t used; /* slots in use, FOLLOW_MAX at most */
	size_t high; /* every slot in use is below it: the scans stop there */
	bool detaching;
};

static struct task *find(struct follow *f, pid_t tid)
{
	for (size_t i = 0; i < f->high; i++)
		if (f->t[i].state != T_FREE && f->t[i].tid == tid)
			return &f->t[i];
	return NULL;
}

static struct task *add(struct follow *f, pid_t tid)
{
	for (size_t i = 0; i < FOLLOW_MAX; i++)
		if (f->t[i].state == T_FREE) {
			memset(&f->t[i], 0, sizeof(f->t[i]));
			f->t[i].tid = tid;
			f->t[i].state = T_RUNNING;
			f->used++;
			if (i >= f->high)
				f->high = i + 1;
			return &f->t[i];
		}
	return NULL;
}

static void drop(struct follow *f, struct task *t)
{
	t->state = T_FREE;
	f->used--;
}

static void emit(struct follow *f, enum duende_mlock_follow_kind kind, pid_t pid, pid_t parent,
		 int rc, const struct duende_mlock_status *st)
{
	struct duende_mlock_follow_event ev;
	char path[64];
	struct dm_proc_status ps;

	if (!f->cb)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.pid = pid;
	ev.parent = parent;
	ev.rc = rc;
	if (st)
		ev.status = *st;
	dm_proc_path(path, sizeof(path), (int)pid, "status");
	if (kind != DUENDE_MLOCK_FOLLOW_ATTACHED && kind != DUENDE_MLOCK_FOLLOW_HELPER &&
	    dm_read_proc_status(AT_FDCWD, path, DM_ST_VMLCK, &ps) == 0 && (ps.present & DM_ST_VMLCK))
		ev.bytes_locked = ps.vm_lck;
	f->cb(&ev, f->ctx);
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static int resume(pid_t tid, int sig)
{
	return ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig) == 0 ? 0 : -errno;
}

static void drop_process(struct follow *f, pid_t tgid, const struct task *keep);
static pid_t parent_of(pid_t tid);

/* ---- locking a stopped task ---- */

/* The lock's status, judged by the process's own facts after the call. */
static int conclude(const struct duende_mlock_config *cfg, pid_t pid, int lock_rc, uint32_t applied,
		    struct duende_mlock_status *st)
{
	char path[64];
	struct dm_lock_facts facts;
	int dirfd;

	memset(st, 0, sizeof(*st));
	st->flags = applied;
	st->min_headroom = cfg->min_headroom;
	dm_proc_path(path, sizeof(path), (int)pid, "");
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	memset(&facts, 0, sizeof(facts));
	if (dirfd >= 0) {
		(void)dm_gather_lock_facts_of(dirfd, &facts);
		close(dirfd);
	}
	return dm_lock_conclude(cfg, lock_rc, &facts, st);
}

/* Ends a process that could not be locked before it runs: exit_group
 * made inside it, or SIGKILL where that cannot be made. */
static void end_unlocked(struct dm_remote_thread *th)
{
	const long args[6] = { DUENDE_MLOCK_FOLLOW_EXIT_UNLOCKED };
	long ret;

	if (dm_remote_syscall(th, SYS_exit_group, args, &ret, DM_REMOTE_STOP_MS) != 0 ||
	    kill(th->pid, 0) == 0)
		(void)kill(th->pid, SIGKILL);
}

/* The task t is in a ptrace stop this thread waited for (stop_sig): the
 * lock is made inside it, its registers given back, and it stays stopped
 * for the caller to resume. false: it was ended (end_unlocked) or is
 * gone. */
static bool lock_task(struct follow *f, struct task *t, int stop_sig, bool present_only,
		      enum duende_mlock_follow_kind done)
{
	struct duende_mlock_status st;
	struct dm_remote_thread th;
	struct dm_remote_plan plan;
	struct dm_remote_outcome out;
	int rc;

	memset(&plan, 0, sizeof(plan));
	memset(&out, 0, sizeof(out));
	plan.pid = t->tgid;
	plan.stop_ms = DM_REMOTE_STOP_MS;
	plan.lock = &f->cfg->lock;
	plan.present_only = present_only;
	rc = dm_remote_adopt(&th, t->tgid, t->tid, stop_sig);
	if (!rc && !t->insn)
		rc = dm_remote_find_insn(t->tgid, &t->insn);
	if (!rc) {
		th.insn = t->insn;
		dm_remote_lock_stopped(&th, &plan, &out);
		rc = out.rc;
	}
	int lock_rc = rc ? rc : out.lock_rc;
	/* A failure is judged by the process's own limits, for the words;
	 * a lock that was made costs a fork nothing more. */
	bool locked = lock_rc == 0;
	int judged = locked ? 0 : conclude(&f->cfg->lock, t->tgid, lock_rc, out.applied, &st);
	if (!locked && f->cfg->end_unlocked && th.stopped) {
		emit(f, DUENDE_MLOCK_FOLLOW_ENDING_UNLOCKED, t->tgid, t->parent,
		     judged ? judged : lock_rc ? lock_rc : -ENOMEM, &st);
		end_unlocked(&th);
		drop_process(f, t->tgid, NULL);
		return false;
	}
	if (th.stopped)
		(void)dm_remote_restore(&th);
	if (locked)
		emit(f, done, t->tgid, t->parent, 0, NULL);
	else
		emit(f, DUENDE_MLOCK_FOLLOW_LOCK_FAILED, t->tgid, t->parent,
		     lock_rc ? lock_rc : judged ? judged : -ENOMEM, &st);
	return true;
}

/* ---- leaving ---- */

/* Detaches a stopped task, handing back a signal it was to get; a task
 * in a group stop stays stopped, as without a tracer. */
static void detach_task(struct follow *f, struct task *t, int sig)
{
	(void)ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)sig);
	drop(f, t);
}

/* Every task of process tgid (threads included) but keep. */
static void drop_process(struct follow *f, pid_t tgid, const struct task *keep)
{
	for (size_t i = 0; i < f->high; i++)
		if (f->t[i].state != T_FREE && f->t[i].tgid == tgid && &f->t[i] != keep)
			drop(f, &f->t[i]);
}

/* Goes on from a stopped task: detaching it when the follow ends. */
static void go_on(struct follow *f, struct task *t, int sig)
{
	if (f->detaching)
		detach_task(f, t, sig);
	else if (resume(t->tid, sig) == -ESRCH)
		drop(f, t);
}

/* Goes on from a PTRACE_EVENT_STOP: a group stop (a stop signal) stays a
 * stop, as without a tracer, and SIGCONT ends it; the interrupt's trap
 * resumes. */
static void go_on_from_event_stop(struct follow *f, struct task *t, int sig)
{
	if (!is_stop_signal(sig))
		go_on(f, t, 0);
	else if (f->detaching)
		detach_task(f, t, 0);
	else if (ptrace(PTRACE_LISTEN, t->tid, NULL, NULL) != 0 && errno == ESRCH)
		drop(f, t);
}

/* ---- events ---- */

/* Is tid a thread of process tgid (a clone with CLONE_THREAD)? */
static bool thread_of(pid_t tgid, pid_t tid)
{
	char rel[48], path[96];
	struct dm_text t;

	dm_text_init(&t, rel, sizeof(rel));
	dm_text_put(&t, "task/");
	dm_text_put_u64(&t, (uint64_t)tid);
	dm_proc_path(path, sizeof(path), (int)tgid, rel);
	return access(path, F_OK) == 0;
}

/* A new task's first stop (SIGTRAP from the kernel's auto-attach): a
 * thread goes on, a forked child is locked first, a vforked one goes on
 * until it execs (it runs in its parent's memory, locked already). */
static void first_stop(struct follow *f, struct task *t, int sig)
{
	t->state = T_RUNNING;
	if (t->kind == K_FORKED && !lock_task(f, t, sig, true, DUENDE_MLOCK_FOLLOW_LOCKED_CHILD))
		return;
	go_on_from_event_stop(f, t, sig);
}

static void new_task(struct follow *f, struct task *parent, unsigned event)
{
	unsigned long msg = 0;
	struct task *c;
	if (ptrace(PTRACE_GETEVENTMSG, parent->tid, NULL, &msg) != 0 || msg == 0)
		return;
	c = find(f, (pid_t)msg);
	if (!c) {
		c = add(f, (pid_t)msg);
		if (!c)
			return; /* the table is full: the kernel's auto-attach
				 * stays; its first stop is met as an early one */
		c->state = T_AWAIT_FIRST;
	}
	c->parent = parent->tgid;
	c->image = parent->image;
	c->insn = parent->insn;
	if (event == PTRACE_EVENT_CLONE && thread_of(parent->tgid, c->tid)) {
		c->kind = K_THREAD;
		c->tgid = parent->tgid;
		c->leader = false;
	} else {
		c->kind = event == PTRACE_EVENT_VFORK ? K_VFORKED : K_FORKED;
		c->tgid = c->tid;
	}
	if (c->state == T_EARLY)
		first_stop(f, c, c->early_sig);
}

/* The process of t exec'd (t is its only task now): the leader, or the
 * same file again, is locked before the new program's first instruction;
 * another program is a helper, left. */
static void exec_stop(struct follow *f, struct task *t)
{
	unsigned long former = 0;
	struct dm_image im;

	if (ptrace(PTRACE_GETEVENTMSG, t->tid, NULL, &former) == 0 && former && (pid_t)former != t->tid) {
		struct task *old = find(f, (pid_t)former);

		if (old)
			drop(f, old);
	}
	drop_process(f, t->tgid, t);
	t->kind = K_PROCESS;
	t->insn = 0; /* a new address space */
	bool known = dm_image_of(t->tgid, &im) == 0;
	if (!t->leader && !(known && dm_image_same(&im, &t->image))) {
		emit(f, DUENDE_MLOCK_FOLLOW_HELPER, t->tgid, t->parent, 0, NULL);
		detach_task(f, t, 0);
		return;
	}
	if (known)
		t->image = im; /* a leader's new program is the program */
	/* The exec's stop is inside the system call, where a step would end
	 * at once in the kernel's single-step trap of the call's return: the
	 * lock is made in the interrupt's trap instead, which the kernel
	 * takes on the way out, before the program's first instruction. */
	t->exec_lock = true;
	if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) != 0 || resume(t->tid, 0) != 0)
		drop(f, t);
}

/* The exec'd program in the interrupt's trap (or a group stop that came
 * first), not one instruction run. */
static void exec_locked(struct follow *f, struct task *t, int sig)
{
	t->exec_lock = false;
	if (!lock_task(f, t, sig, false, DUENDE_MLOCK_FOLLOW_LOCKED_EXEC))
		return;
	if (f->cfg->once) {
		detach_task(f, t, 0);
		return;
	}
	go_on_from_event_stop(f, t, sig);
}

static void stopped(struct follow *f, pid_t tid, int status)
{
	struct task *t = find(f, tid);
	unsigned event = (unsigned)status >> 16;
	int sig = WSTOPSIG(status);

	if (!t) {
		/* A new task whose parent's event has not come yet. */
		t = add(f, tid);
		if (!t) {
			(void)ptrace(PTRACE_DETACH, tid, NULL, NULL);
			emit(f, DUENDE_MLOCK_FOLLOW_UNTRACKED, tid, parent_of(tid), -ENOSPC, NULL);
			return;
		}
		t->state = T_EARLY;
		t->early_sig = sig;
		t->early_since = dm_remote_now_ns();
		t->tgid = tid;
		if (f->detaching)
			detach_task(f, t, 0);
		return;
	}
	if (t->state == T_AWAIT_FIRST) {
		first_stop(f, t, sig);
		return;
	}
	if (t->state == T_EARLY)
		return; /* held until its parent's event */
	switch (event) {
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		new_task(f, t, event);
		go_on(f, t, 0);
		return;
	case PTRACE_EVENT_EXEC:
		exec_stop(f, t);
		return;
	case PTRACE_EVENT_STOP:
		/* The interrupt's trap, or a group stop: either is a stop in
		 * the kernel's signal delivery, where the lock may be made. */
		if (t->exec_lock) {
			exec_locked(f, t, sig);
			return;
		}
		if (t->want_lock && !f->detaching) {
			t->want_lock = false;
			if (!lock_task(f, t, sig, true, DUENDE_MLOCK_FOLLOW_LOCKED_RUNNING))
				return;
		}
		go_on_from_event_stop(f, t, sig);
		return;
	case 0:
		/* A signal-delivery stop: the signal goes on to it. */
		go_on(f, t, sig);
		return;
	default:
		go_on(f, t, 0);
		return;
	}
}

static void reap(struct follow *f, pid_t tid)
{
	struct task *t = find(f, tid);

	if (t)
		drop(f, t);
}

/* Every event that has come, without waiting. -ECHILD once nothing is
 * traced any more. */
static int drain(struct follow *f)
{
	int status;

	for (;;) {
		pid_t w = waitpid(-1, &status, __WALL | WNOHANG);

		if (w == 0)
			return 0;
		if (w < 0)
			return errno == EINTR ? 0 : -errno;
		if (WIFSTOPPED(status))
			stopped(f, w, status);
		else
			reap(f, w);
	}
}

/* ---- attaching ---- */

static int seize(struct follow *f, pid_t tgid, pid_t tid, bool leader, const struct dm_image *im,
		 uintptr_t insn)
{
	struct task *t;

	if (find(f, tid))
		return 0;
	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)FOLLOW_OPTIONS) != 0)
		return -errno;
	t = add(f, tid);
	if (!t) {
		(void)ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return -ENOSPC;
	}
	t->tgid = tgid;
	t->kind = tid == tgid ? K_PROCESS : K_THREAD;
	t->leader = leader && tid == tgid;
	t->image = *im;
	t->insn = insn;
	return 0;
}

struct seizing {
	struct follow *f;
	pid_t tgid;
	bool leader;
	const struct dm_image *im;
	uintptr_t insn;
	int rc;
	unsigned added;
};

static int seize_line(void *ctx, int dirfd, const char *name, uint64_t tid)
{
	struct seizing *s = ctx;
	bool had = find(s->f, (pid_t)tid) != NULL;
	int rc;

	(void)dirfd;
	(void)name;
	rc = seize(s->f, s->tgid, (pid_t)tid, s->leader, s->im, s->insn);
	if (rc == -ESRCH)
		return 0; /* ended meanwhile */
	/* A thread the kernel made (io_uring's workers) cannot be traced,
	 * and forks nothing: its process was seized. */
	if (rc == -EPERM && (pid_t)tid != s->tgid)
		return 0;
	if (rc) {
		s->rc = rc;
		return 1;
	}
	s->added += !had;
	return 0;
}

/* Every thread of process tgid: passes over its task list until no new
 * one appears (a thread created by one not yet seized). */
static int seize_process(struct follow *f, pid_t tgid, bool leader)
{
	struct dm_image im;
	char path[64];
	int rc = dm_image_of(tgid, &im);

	if (rc)
		return rc;
	uintptr_t insn = 0;
	/* Reading its memory needs the access ptrace needs; a program about
	 * to exec finds its instruction in the new program. */
	if (!f->cfg->await_exec) {
		rc = dm_remote_find_insn(tgid, &insn);
		if (rc)
			return rc;
	}
	rc = seize(f, tgid, tgid, leader, &im, insn);
	if (rc)
		return rc;
	dm_proc_path(path, sizeof(path), (int)tgid, "task");
	for (int pass = 0; pass < 8; pass++) {
		struct seizing s = { .f = f, .tgid = tgid, .leader = leader, .im = &im, .insn = insn };

		rc = dm_for_each_number(AT_FDCWD, path, seize_line, &s);
		if (s.rc)
			return s.rc;
		if (rc < 0)
			return rc == -ENOENT ? -ESRCH : rc;
		if (!s.added)
			break;
	}
	return 0;
}

static bool unlocked(pid_t pid)
{
	char path[64];
	struct dm_proc_status st;

	dm_proc_path(path, sizeof(path), (int)pid, "status");
	return dm_read_proc_status(AT_FDCWD, path, DM_ST_VMLCK, &st) == 0 &&
	       (st.present & DM_ST_VMLCK) && st.vm_lck == 0;
}

/* A running leader and what it forked of its program (forked before the
 * follow began): each found unlocked is interrupted and locked in its
 * stop. */
static int attach_tree(struct follow *f, pid_t root)
{
	pid_t pids[256];
	int n = duende_mlock_image_tree(root, pids, NULL, sizeof(pids) / sizeof(pids[0]));
	int rc;

	if (n < 0)
		return n;
	if (n > (int)(sizeof(pids) / sizeof(pids[0])))
		n = (int)(sizeof(pids) / sizeof(pids[0]));
	for (int i = 0; i < n; i++) {
		rc = seize_process(f, pids[i], pids[i] == root);
		if (rc && pids[i] == root)
			return rc;
		struct task *t = find(f, pids[i]);
		if (!rc && t && !f->cfg->await_exec && unlocked(pids[i]) &&
		    ptrace(PTRACE_INTERRUPT, pids[i], NULL, NULL) == 0)
			t->want_lock = true;
	}
	return 0;
}

/* ---- the loop ---- */

static void interrupt_all(struct follow *f)
{
	for (size_t i = 0; i < f->high; i++)
		if (f->t[i].state == T_RUNNING)
			(void)ptrace(PTRACE_INTERRUPT, f->t[i].tid, NULL, NULL);
}

static bool has_running(const struct follow *f)
{
	for (size_t i = 0; i < f->high; i++)
		if (f->t[i].state == T_RUNNING || f->t[i].state == T_AWAIT_FIRST)
			return true;
	return false;
}

/* A followed process's task (its main thread) by its process ID. */
static struct task *process_of(struct follow *f, pid_t tgid)
{
	for (size_t i = 0; i < f->high; i++)
		if (f->t[i].state != T_FREE && f->t[i].state != T_EARLY && f->t[i].tid == tgid &&
		    f->t[i].tgid == tgid)
			return &f->t[i];
	return NULL;
}

/* The parent process of tid, from its /proc/TID/stat; 0 unknown. */
static pid_t parent_of(pid_t tid)
{
	char path[48], buf[1024];
	struct dm_proc_stat st;
	size_t len;

	dm_proc_path(path, sizeof(path), (int)tid, "stat");
	if (dm_read_small(AT_FDCWD, path, buf, sizeof(buf), &len) != 0 || dm_stat_parse(buf, len, &st) != 0)
		return 0;
	return (pid_t)st.ppid;
}

/* Tasks held early past FOLLOW_EARLY_MS whose parent's event never came:
 * a thread of a followed process goes on, a child of one is taken as
 * forked (locked on fault, which copies nothing: a vforked child so
 * locked only locks its parent's memory again), anything else is let go. */
static void settle_early(struct follow *f)
{
	uint64_t now = dm_remote_now_ns();

	for (size_t i = 0; i < f->high; i++) {
		struct task *t = &f->t[i], *p = NULL;

		if (t->state != T_EARLY || now - t->early_since < (uint64_t)FOLLOW_EARLY_MS * 1000000u)
			continue;
		for (size_t j = 0; j < f->high && !p; j++) {
			struct task *q = &f->t[j];

			if (q != t && q->state != T_FREE && q->state != T_EARLY && q->tid == q->tgid &&
			    thread_of(q->tgid, t->tid))
				p = q;
		}
		if (p) {
			t->kind = K_THREAD;
			t->tgid = p->tgid;
		} else if ((p = process_of(f, parent_of(t->tid))) != NULL) {
			t->kind = K_FORKED;
			t->tgid = t->tid;
		} else {
			detach_task(f, t, 0);
			continue;
		}
		t->parent = p->tgid;
		t->image = p->image;
		t->insn = p->insn;
		first_stop(f, t, t->early_sig);
	}
}

static bool has_early(const struct follow *f)
{
	for (size_t i = 0; i < f->high; i++)
		if (f->t[i].state == T_EARLY)
			return true;
	return false;
}

/* Waits for events until nothing is followed (0) or a stop signal came
 * (its number, every task detached). */
static int loop(struct follow *f, const sigset_t *wait_set, const sigset_t *stop_signals)
{
	const struct timespec tick = { 1, 0 }, early_tick = { 0, FOLLOW_EARLY_MS * 1000000L };
	uint64_t deadline = 0;
	int stop_sig = 0;

	for (;;) {
		int rc = drain(f);

		if (rc >= 0 && !f->detaching)
			settle_early(f);

		if (rc == -ECHILD || !has_running(f))
			break;
		if (rc < 0)
			return rc;
		if (f->detaching && dm_remote_now_ns() > deadline)
			break; /* the rest is detached by the tracer's exit */
		siginfo_t si;
		int sig = sigtimedwait(wait_set, &si, has_early(f) ? &early_tick : &tick);
		if (sig > 0 && sig != SIGCHLD && stop_signals && sigismember(stop_signals, sig) == 1 &&
		    !f->detaching) {
			stop_sig = sig;
			f->detaching = true;
			deadline = dm_remote_now_ns() + (uint64_t)FOLLOW_DETACH_MS * 1000000u;
			interrupt_all(f);
		}
	}
	/* Tasks still held early (a parent that died before its event). */
	for (size_t i = 0; i < f->high; i++)
		if (f->t[i].state == T_EARLY)
			detach_task(f, &f->t[i], 0);
	return stop_sig;
}

static bool follow_config_valid(const struct duende_mlock_follow_config *c)
{
	for (size_t i = 0; i < sizeof(c->reserved8); i++)
		if (c->reserved8[i])
			return false;
	for (size_t i = 0; i < sizeof(c->reserved) / sizeof(c->reserved[0]); i++)
		if (c->reserved[i])
			return false;
	if (c->once && !c->await_exec)
		return false;
	return !c->lock.lean && !c->lock.precise && dm_lock_config_is_valid(&c->lock);
}

static int follow_run(struct follow *f, const pid_t *pids, size_t n, uint64_t stop_mask)
{
	sigset_t wait_set, stop_signals, old;
	struct sigaction chld, old_chld;
	int rc = 0;

	sigemptyset(&stop_signals);
	for (int sig = 1; sig <= 64; sig++)
		if ((stop_mask & DUENDE_MLOCK_SIGNAL_BIT(sig)) && sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP)
			(void)sigaddset(&stop_signals, sig); /* past the platform's last: refused, left out */
	wait_set = stop_signals;
	sigaddset(&wait_set, SIGCHLD);
	/* A tracee's stop is told by SIGCHLD, which an ignored SIGCHLD (or
	 * SA_NOCLDSTOP) would not send. */
	memset(&chld, 0, sizeof(chld));
	chld.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &chld, &old_chld);
	pthread_sigmask(SIG_BLOCK, &wait_set, &old);
	for (size_t i = 0; i < n && !rc; i++)
		rc = f->cfg->await_exec ? seize_process(f, pids[i], true) : attach_tree(f, pids[i]);
	if (!rc) {
		emit(f, DUENDE_MLOCK_FOLLOW_ATTACHED, pids[0], 0, 0, NULL);
		rc = loop(f, &wait_set, &stop_signals);
	} else {
		/* Nothing was done to them: leave what was seized. */
		f->detaching = true;
		interrupt_all(f);
		(void)loop(f, &wait_set, NULL);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGCHLD, &old_chld, NULL);
	return rc;
}

DM_EXPORT int duende_mlock_follow(const pid_t *pids, size_t n,
				  const struct duende_mlock_follow_config *config,
				  uint64_t stop_signals, duende_mlock_follow_fn callback, void *ctx)
{
	struct follow f;
	int rc;

	if (!pids || !n || n > FOLLOW_MAX || !config || !follow_config_valid(config))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (pids[i] <= 0 || pids[i] == getpid())
			return -EINVAL;
	if (!DM_REMOTE_ARCH_SUPPORTED)
		return -ENOSYS;
	memset(&f, 0, sizeof(f));
	f.cfg = config;
	f.cb = callback;
	f.ctx = ctx;
	f.t = mmap(NULL, FOLLOW_MAX * sizeof(struct task), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f.t == MAP_FAILED)
		return -ENOMEM;
	rc = follow_run(&f, pids, n, stop_signals);
	munmap(f.t, FOLLOW_MAX * sizeof(struct task));
	return rc;
}

DM_EXPORT const char *duende_mlock_follow_kind_name(enum duende_mlock_follow_kind kind)
{
	switch (kind) {
	case DUENDE_MLOCK_FOLLOW_ATTACHED: return "attached";
	case DUENDE_MLOCK_FOLLOW_LOCKED_CHILD: return "locked-child";
	case DUENDE_MLOCK_FOLLOW_LOCKED_EXEC: return "locked-exec";
	case DUENDE_MLOCK_FOLLOW_LOCKED_RUNNING: return "locked-running";
	case DUENDE_MLOCK_FOLLOW_HELPER: return "helper";
	case DUENDE_MLOCK_FOLLOW_LOCK_FAILED: return "lock-failed";
	case DUENDE_MLOCK_FOLLOW_ENDING_UNLOCKED: return "ending-unlocked";
	case DUENDE_MLOCK_FOLLOW_UNTRACKED: return "untracked";
	}
	return "unknown";
}
