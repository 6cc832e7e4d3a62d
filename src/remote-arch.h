/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * What making another process's thread execute a system call takes on each
 * architecture: its registers, the instruction that enters the kernel, and
 * where the number, the arguments and the result go. x86_64 is proven on
 * the kernel; aarch64 is built; any other answers -ENOSYS.
 */
#ifndef DM_REMOTE_ARCH_H
#define DM_REMOTE_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if defined(__x86_64__) || defined(__aarch64__)
#include <sys/user.h>
#define DM_REMOTE_ARCH_SUPPORTED 1
#else
#define DM_REMOTE_ARCH_SUPPORTED 0
#endif

/* The name of the architecture the engine is built for. */
#if defined(__x86_64__)
#define DM_REMOTE_ARCH_NAME "x86_64"
#elif defined(__aarch64__)
#define DM_REMOTE_ARCH_NAME "aarch64"
#else
#define DM_REMOTE_ARCH_NAME "this architecture"
#endif

struct dm_arch_regs {
#if defined(__x86_64__)
	struct user_regs_struct r;
#elif defined(__aarch64__)
	struct user_regs_struct r;
	int syscallno; /* NT_ARM_SYSTEM_CALL: the call a restart would repeat */
	/* orig_x0, which no regset shows: read from /proc/TID/syscall while
	 * the thread is stopped after an interrupted call, and put back by
	 * the last call made (dm_arch_restore_call()). */
	bool orig_x0_known;
	uint64_t orig_x0;
#else
	int unused;
#endif
};

/* The bytes of the instruction that enters the kernel, and how many. */
extern const unsigned char dm_arch_syscall_insn[];
extern const size_t dm_arch_syscall_insn_len;
/* Instructions are aligned to this many bytes (a match elsewhere is no
 * instruction). */
extern const size_t dm_arch_insn_align;

int dm_arch_get_regs(pid_t tid, struct dm_arch_regs *r);
int dm_arch_set_regs(pid_t tid, const struct dm_arch_regs *r);
/* The thread runs code of this architecture's native 64-bit ABI (not a
 * 32-bit process on a 64-bit kernel). */
bool dm_arch_is_native(const struct dm_arch_regs *r);
/* r, changed to enter system call nr with args at the instruction at
 * insn, with no interrupted call to restart. */
void dm_arch_prepare_call(struct dm_arch_regs *r, uintptr_t insn, long nr, const long args[6]);
uintptr_t dm_arch_ip(const struct dm_arch_regs *r);
long dm_arch_result(const struct dm_arch_regs *r);
/* The system call the thread was stopped in (its number as a restart
 * would repeat it), or -1 when it was in none. */
long dm_arch_interrupted_call(const struct dm_arch_regs *r);
/* Its return value and argument i, as the interrupted call left them. */
long dm_arch_interrupted_result(const struct dm_arch_regs *r);
long dm_arch_interrupted_arg(const struct dm_arch_regs *r, int i);
/* Changes r so that, resumed, the thread enters its interrupted call
 * again with the same arguments (what the kernel does for -ERESTARTSYS
 * without a handler). */
void dm_arch_reenter_call(struct dm_arch_regs *r);
/* Whether r holds what entering the call again needs (aarch64: orig_x0). */
bool dm_arch_can_reenter(const struct dm_arch_regs *r);
/* Reads what the kernel keeps of the thread's state that the register
 * sets do not show (aarch64: orig_x0), from /proc/PID/task/TID/syscall,
 * while it is stopped. 0 or a negative errno. */
int dm_arch_read_hidden(pid_t pid, pid_t tid, struct dm_arch_regs *r);
/* A last call to make before restoring r, which puts back what the
 * injected calls overwrote of the hidden state (aarch64: a getpid whose
 * first argument is orig_x0), or -1 when none is needed. args are
 * filled. */
long dm_arch_restore_call(const struct dm_arch_regs *r, long args[6]);

#endif
