/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Makes the real kernel answer a system call with an errno for chosen
 * arguments: mlockall(2), to prove that no call is made and to refuse
 * MCL_ONFAULT with EINVAL as kernels before 4.4 do; prctl(2), to refuse an
 * option as kernels that predate it do. */
#ifndef DM_TEST_SECCOMP_UTIL_H
#define DM_TEST_SECCOMP_UTIL_H

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define T_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define T_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/* 0, or -1 when seccomp filters cannot be installed here: system call nr
 * fails with err when its first argument matches value (test: BPF_JSET,
 * any of the bits; BPF_JEQ, equal). */
static inline int t_fail_syscall_when(long nr, unsigned test, unsigned value, int err)
{
#ifdef T_AUDIT_ARCH
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, T_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | test | BPF_K, value, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)(err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0 ? 0 : -1;
#else
	(void)nr;
	(void)test;
	(void)value;
	(void)err;
	return -1;
#endif
}

/* mlockall(flags) fails with err when flags has any bit of flag_mask. */
static inline int t_fail_mlockall_when(unsigned flag_mask, int err)
{
	return t_fail_syscall_when(__NR_mlockall, BPF_JSET, flag_mask, err);
}

/* prctl(option, ...) fails with err, as on a kernel that does not know
 * the option. */
static inline int t_fail_prctl_option(unsigned option, int err)
{
	return t_fail_syscall_when(__NR_prctl, BPF_JEQ, option, err);
}

#endif
