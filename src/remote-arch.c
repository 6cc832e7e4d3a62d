/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The registers of a stopped thread, per architecture (remote-arch.h). */
#define _GNU_SOURCE
#include "remote-arch.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"
#include "reader.h"
#include "text.h"

#if defined(__x86_64__)

const unsigned char dm_arch_syscall_insn[] = { 0x0f, 0x05 }; /* syscall */
const size_t dm_arch_syscall_insn_len = 2;
const size_t dm_arch_insn_align = 1;

/* The user code segment of 64-bit processes (__USER_CS). */
#define DM_X86_64_USER_CS 0x33

int dm_arch_get_regs(pid_t tid, struct dm_arch_regs *r)
{
	return ptrace(PTRACE_GETREGS, tid, NULL, &r->r) == 0 ? 0 : -errno;
}

int dm_arch_set_regs(pid_t tid, const struct dm_arch_regs *r)
{
	return ptrace(PTRACE_SETREGS, tid, NULL, &r->r) == 0 ? 0 : -errno;
}

bool dm_arch_is_native(const struct dm_arch_regs *r)
{
	return r->r.cs == DM_X86_64_USER_CS;
}

void dm_arch_prepare_call(struct dm_arch_regs *r, uintptr_t insn, long nr, const long args[6])
{
	r->r.rip = insn;
	r->r.rax = (unsigned long long)nr;
	/* No system call to restart: the kernel would otherwise rewind rip
	 * and repeat the call the thread was stopped in. */
	r->r.orig_rax = (unsigned long long)-1;
	r->r.rdi = (unsigned long long)args[0];
	r->r.rsi = (unsigned long long)args[1];
	r->r.rdx = (unsigned long long)args[2];
	r->r.r10 = (unsigned long long)args[3];
	r->r.r8 = (unsigned long long)args[4];
	r->r.r9 = (unsigned long long)args[5];
}

uintptr_t dm_arch_ip(const struct dm_arch_regs *r)
{
	return (uintptr_t)r->r.rip;
}

long dm_arch_result(const struct dm_arch_regs *r)
{
	return (long)r->r.rax;
}

long dm_arch_interrupted_call(const struct dm_arch_regs *r)
{
	return (long)r->r.orig_rax;
}

long dm_arch_interrupted_result(const struct dm_arch_regs *r)
{
	return (long)r->r.rax;
}

long dm_arch_interrupted_arg(const struct dm_arch_regs *r, int i)
{
	const unsigned long long v[6] = { r->r.rdi, r->r.rsi, r->r.rdx, r->r.r10, r->r.r8, r->r.r9 };

	return i >= 0 && i < 6 ? (long)v[i] : 0;
}

void dm_arch_reenter_call(struct dm_arch_regs *r)
{
	r->r.rax = r->r.orig_rax;
	r->r.rip -= dm_arch_syscall_insn_len;
}

bool dm_arch_can_reenter(const struct dm_arch_regs *r)
{
	(void)r;
	return true;
}

int dm_arch_read_hidden(pid_t pid, pid_t tid, struct dm_arch_regs *r)
{
	(void)pid;
	(void)tid;
	(void)r;
	return 0; /* orig_rax is a register of the set */
}

long dm_arch_restore_call(const struct dm_arch_regs *r, long args[6])
{
	(void)r;
	(void)args;
	return -1;
}

#elif defined(__aarch64__)

#include <elf.h>
#include <sys/uio.h>

#ifndef NT_ARM_SYSTEM_CALL
#define NT_ARM_SYSTEM_CALL 0x404
#endif

/* svc #0, little-endian */
const unsigned char dm_arch_syscall_insn[] = { 0x01, 0x00, 0x00, 0xd4 };
const size_t dm_arch_syscall_insn_len = 4;
const size_t dm_arch_insn_align = 4;

#define DM_PSR_MODE32_BIT 0x10

int dm_arch_get_regs(pid_t tid, struct dm_arch_regs *r)
{
	struct iovec gp = { &r->r, sizeof(r->r) };
	struct iovec nr = { &r->syscallno, sizeof(r->syscallno) };

	r->orig_x0_known = false;
	r->orig_x0 = 0;
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &gp) != 0)
		return -errno;
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_ARM_SYSTEM_CALL, &nr) != 0)
		return -errno;
	return 0;
}

int dm_arch_set_regs(pid_t tid, const struct dm_arch_regs *r)
{
	struct iovec gp = { (void *)&r->r, sizeof(r->r) };
	struct iovec nr = { (void *)&r->syscallno, sizeof(r->syscallno) };

	if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &gp) != 0)
		return -errno;
	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_ARM_SYSTEM_CALL, &nr) == 0 ? 0 : -errno;
}

bool dm_arch_is_native(const struct dm_arch_regs *r)
{
	return !(r->r.pstate & DM_PSR_MODE32_BIT);
}

void dm_arch_prepare_call(struct dm_arch_regs *r, uintptr_t insn, long nr, const long args[6])
{
	r->r.pc = insn;
	r->r.regs[8] = (unsigned long long)nr;
	for (int i = 0; i < 6; i++)
		r->r.regs[i] = (unsigned long long)args[i];
	r->syscallno = -1; /* nothing to restart */
}

uintptr_t dm_arch_ip(const struct dm_arch_regs *r)
{
	return (uintptr_t)r->r.pc;
}

long dm_arch_result(const struct dm_arch_regs *r)
{
	return (long)r->r.regs[0];
}

long dm_arch_interrupted_call(const struct dm_arch_regs *r)
{
	return r->syscallno;
}

long dm_arch_interrupted_result(const struct dm_arch_regs *r)
{
	return (long)r->r.regs[0];
}

long dm_arch_interrupted_arg(const struct dm_arch_regs *r, int i)
{
	if (i == 0)
		return (long)(r->orig_x0_known ? r->orig_x0 : r->r.regs[0]);
	return i > 0 && i < 6 ? (long)r->r.regs[i] : 0;
}

void dm_arch_reenter_call(struct dm_arch_regs *r)
{
	r->r.regs[0] = r->orig_x0;
	r->r.pc -= dm_arch_syscall_insn_len;
}

bool dm_arch_can_reenter(const struct dm_arch_regs *r)
{
	return r->orig_x0_known;
}

static bool parse_hex(const char *s, size_t len, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	size_t start;

	while (*pos < len && s[*pos] == ' ')
		(*pos)++;
	if (*pos + 2 > len || s[*pos] != '0' || s[*pos + 1] != 'x')
		return false;
	*pos += 2;
	start = *pos;
	for (; *pos < len; (*pos)++) {
		char c = s[*pos];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16u;
		if (d == 16)
			break;
		v = v << 4 | d;
	}
	*out = v;
	return *pos > start;
}

int dm_arch_read_hidden(pid_t pid, pid_t tid, struct dm_arch_regs *r)
{
	char file[48], path[96], buf[256];
	size_t len, pos = 0;
	uint64_t nr, arg0;
	struct dm_text t;
	int rc;

	dm_text_init(&t, file, sizeof(file));
	dm_text_put(&t, "task/");
	dm_text_put_u64(&t, (uint64_t)tid);
	dm_text_put(&t, "/syscall");
	dm_proc_path(path, sizeof(path), (int)pid, file);
	rc = dm_read_small(AT_FDCWD, path, buf, sizeof(buf), &len);
	if (rc)
		return rc;
	/* "NR 0xARG0 ...": stopped after a call; "-1 ..." in none */
	if (!dm_parse_u64(buf, len, &pos, &nr))
		return 0;
	if (!parse_hex(buf, len, &pos, &arg0))
		return -EPROTO;
	r->orig_x0 = arg0;
	r->orig_x0_known = true;
	return 0;
}

long dm_arch_restore_call(const struct dm_arch_regs *r, long args[6])
{
	if (!r->orig_x0_known)
		return -1;
	memset(args, 0, 6 * sizeof(args[0]));
	/* The kernel sets orig_x0 from x0 at every entry: a call that
	 * ignores its arguments puts the interrupted call's first argument
	 * back, for the restart to use. */
	args[0] = (long)r->orig_x0;
	return SYS_getpid;
}

#else

const unsigned char dm_arch_syscall_insn[] = { 0 };
const size_t dm_arch_syscall_insn_len = 0;
const size_t dm_arch_insn_align = 1;

int dm_arch_get_regs(pid_t tid, struct dm_arch_regs *r)
{
	(void)tid;
	(void)r;
	return -ENOSYS;
}

int dm_arch_set_regs(pid_t tid, const struct dm_arch_regs *r)
{
	(void)tid;
	(void)r;
	return -ENOSYS;
}

bool dm_arch_is_native(const struct dm_arch_regs *r)
{
	(void)r;
	return false;
}

void dm_arch_prepare_call(struct dm_arch_regs *r, uintptr_t insn, long nr, const long args[6])
{
	(void)r;
	(void)insn;
	(void)nr;
	(void)args;
}

uintptr_t dm_arch_ip(const struct dm_arch_regs *r)
{
	(void)r;
	return 0;
}

long dm_arch_result(const struct dm_arch_regs *r)
{
	(void)r;
	return -ENOSYS;
}

long dm_arch_interrupted_call(const struct dm_arch_regs *r)
{
	(void)r;
	return -1;
}

long dm_arch_interrupted_result(const struct dm_arch_regs *r)
{
	(void)r;
	return 0;
}

long dm_arch_interrupted_arg(const struct dm_arch_regs *r, int i)
{
	(void)r;
	(void)i;
	return 0;
}

void dm_arch_reenter_call(struct dm_arch_regs *r)
{
	(void)r;
}

bool dm_arch_can_reenter(const struct dm_arch_regs *r)
{
	(void)r;
	return false;
}

int dm_arch_read_hidden(pid_t pid, pid_t tid, struct dm_arch_regs *r)
{
	(void)pid;
	(void)tid;
	(void)r;
	return -ENOSYS;
}

long dm_arch_restore_call(const struct dm_arch_regs *r, long args[6])
{
	(void)r;
	(void)args;
	return -1;
}

#endif
