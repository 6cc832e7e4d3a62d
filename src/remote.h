/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The engine that makes another process execute system calls: one thread
 * at a time is stopped under ptrace (PTRACE_SEIZE + PTRACE_INTERRUPT, never
 * PTRACE_O_EXITKILL), made to execute a system call through a `syscall`
 * instruction already mapped in it (its vDSO, or its own code: no text is
 * written), and given back its registers exactly, so that a system call it
 * was stopped in is restarted, or fails with EINTR, as the kernel decides
 * after any stop.
 *
 * The rule that makes this exact: a thread is only ever resumed for good
 * from a stop inside the kernel's signal delivery (the interrupt's trap, a
 * group stop, or the SIGTRAP that the single step over the call ends in),
 * with its own registers back in place; the kernel's restart logic then
 * runs on them as after any ptrace stop.
 *
 * libc only, no malloc, no stdio: callable in the child of a fork.
 */
#ifndef DM_REMOTE_H
#define DM_REMOTE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "remote-arch.h"

/* How long a thread may take to stop before it is given up as blocked in
 * the kernel (state D, possibly on its own swap). */
#define DM_REMOTE_STOP_MS 2000
/* Signals that arrive just before an injected call are delivered and the
 * call tried again, this many times at most. Each try waits for the
 * kernel's next stop, so this bounds only a storm of signals: under
 * emulation a SIGSTOP/SIGCONT pair every 1.4 ms beat 16 tries in 2 of 20
 * locks; 256 leaves a storm of that rate about 10^-20 of a chance. */
#define DM_REMOTE_RETRIES 256

struct dm_remote_thread {
	pid_t pid, tid;
	bool seized;  /* the caller's thread traces it */
	bool stopped; /* in a ptrace stop, saved holds its registers */
	int stop_sig; /* the stop it was found in: SIGTRAP for the interrupt,
		       * a stop signal for a group stop */
	struct dm_arch_regs saved;
	uintptr_t insn; /* the system call instruction it executes */
	uint64_t stopped_at_ns; /* CLOCK_MONOTONIC */
	uint64_t held_ns;       /* how long it was held, once detached */
	/* An epoll_wait with no timeout that the interrupt ended with EINTR
	 * was entered again (as if it never returned); with a timeout it is
	 * left to return EINTR, as after SIGSTOP/SIGCONT. */
	bool reentered;
	bool eintr_left;
};

/* PTRACE_SEIZE, PTRACE_INTERRUPT and the wait for the stop, at most
 * stop_ms (signals that arrive meanwhile are passed on). -ETIMEDOUT when
 * the thread does not stop in time: it stays seized with the interrupt
 * pending, and only the exit of the calling thread undoes that (the
 * kernel then detaches it), so call this from a tracer that can exit.
 * -EPERM, -ESRCH as ptrace(2); -ENOEXEC for a thread that does not run
 * this architecture's 64-bit code. */
int dm_remote_attach(struct dm_remote_thread *th, pid_t pid, pid_t tid, int stop_ms);

/* Gives the thread its registers back and detaches it, after settling an
 * interrupted epoll_wait (see reentered). Its own pending signals are
 * delivered by the kernel as if no tracer had been there. */
int dm_remote_detach(struct dm_remote_thread *th);

/* Takes over a thread that the calling thread already holds in a ptrace
 * stop it has waited for (a forked child's first stop, an exec's event,
 * an interrupt's trap: stop_sig SIGTRAP), for dm_remote_syscall(). */
int dm_remote_adopt(struct dm_remote_thread *th, pid_t pid, pid_t tid, int stop_sig);

/* Gives the thread its registers back, as dm_remote_detach() does, and
 * leaves it stopped and traced: the caller resumes it (PTRACE_CONT). */
int dm_remote_restore(struct dm_remote_thread *th);

/* Finds a system call instruction mapped in process pid: its vDSO, else
 * its executable mappings. Needs ptrace access (process_vm_readv). */
int dm_remote_find_insn(pid_t pid, uintptr_t *insn);

/* Makes sure th->insn, found before th was stopped, is still a system
 * call instruction in it (the process may have exec'd another program
 * meanwhile, whose memory is laid out anew), else finds one again, while
 * th is stopped. 0 or a negative errno. */
int dm_remote_check_insn(struct dm_remote_thread *th);

/* The stopped thread th (attached by this thread, th->insn set) executes
 * system call nr(args) and is stopped again with its own registers; *ret
 * is what the call returned (a negative errno on failure). A signal that
 * comes just before the call is delivered first, as if no tracer were
 * there, and the call made after it. Waits as long as the call takes.
 * 0, or a negative errno from ptrace (-ESRCH: the thread ended). */
int dm_remote_syscall(struct dm_remote_thread *th, long nr, const long args[6], long *ret,
		      int stop_ms);

uint64_t dm_remote_now_ns(void);

#endif
