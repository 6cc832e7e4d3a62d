/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The ptrace requests, options and events the engine and the follower
 * use, where older headers lack their names (the values are the kernel's
 * ABI), and the request's type as each libc declares it. Include after
 * <sys/ptrace.h>. */
#ifndef DM_PTRACE_ABI_H
#define DM_PTRACE_ABI_H

#include <sys/ptrace.h>

#ifndef PTRACE_SEIZE
#define PTRACE_SEIZE 0x4206
#endif
#ifndef PTRACE_INTERRUPT
#define PTRACE_INTERRUPT 0x4207
#endif
#ifndef PTRACE_LISTEN
#define PTRACE_LISTEN 0x4208
#endif
#ifndef PTRACE_EVENT_EXEC
#define PTRACE_EVENT_EXEC 4
#endif
#ifndef PTRACE_O_TRACEEXEC
#define PTRACE_O_TRACEEXEC 0x10
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

/* glibc's prototype takes the enum, musl's an int. */
#ifdef __GLIBC__
typedef enum __ptrace_request dm_ptrace_req;
#else
typedef int dm_ptrace_req;
#endif

#endif
