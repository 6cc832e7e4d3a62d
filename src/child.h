/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#ifndef DM_CHILD_H
#define DM_CHILD_H

#include <sys/types.h>

/* fork(2) as the kernel does it, without the C library's fork handlers
 * (pthread_atfork: the program's, and the preload shim's, which would lock
 * the child): the library's short-lived children must not look to the
 * program like its own forks. The child may only make system calls and
 * _exit (it is a child of a possibly multi-threaded process). Returns as
 * fork(). */
pid_t dm_fork_quietly(void);

#endif
