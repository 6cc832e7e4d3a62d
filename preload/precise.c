/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The shim's part of the precise lock (exec --precise): MCL_FUTURE locks
 * and reads in every new mapping inside mmap(2) itself, so a mapping of
 * file data must be made unlocked from the start. The program's calls to
 * mmap, mmap64 and mprotect reach the library's precise calls here, which
 * leave file data to the kernel and keep written private pages locked.
 *
 * What this cannot see: mappings made by a raw system call (a static or
 * Go program, glibc's own malloc, loader and locale code, which call the
 * kernel directly). Those are locked as MCL_FUTURE locks everything, the
 * way the default lock does. Before the lock is taken, and in a process
 * whose lock is not precise, every call goes on to the next mmap, as if
 * the shim were not there.
 */
/* mmap and mmap64 are defined here under their own names, each with its
 * own offset type: no redirection of one to the other. */
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "precise.h"

#ifdef mmap64 /* musl names mmap64 a macro of mmap */
#undef mmap64
#endif

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef void *(*mmap64_fn)(void *, size_t, int, int, int, int64_t);
typedef int (*mprotect_fn)(void *, size_t, int);

static bool active;
static mmap_fn next_mmap;
static mmap64_fn next_mmap64;
static mprotect_fn next_mprotect;
/* Private read-only file mappings made unlocked so far: only a process
 * that has some needs its mprotect(PROT_WRITE) calls looked at. */
static unsigned long private_readonly;

/* The next definitions (libc's, or another preload's), found before the
 * shim's own constructor runs, in every image the shim is loaded into. */
__attribute__((constructor(101))) static void find_next(void)
{
	next_mmap = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
	next_mmap64 = (mmap64_fn)dlsym(RTLD_NEXT, "mmap64");
	next_mprotect = (mprotect_fn)dlsym(RTLD_NEXT, "mprotect");
}

void shim_precise_start(const struct duende_mlock_status *lock)
{
	if (duende_mlock_status_is_locked(lock) && (lock->flags & DUENDE_MLOCK_F_PRECISE))
		__atomic_store_n(&active, true, __ATOMIC_RELEASE);
}

static bool is_active(void)
{
	return __atomic_load_n(&active, __ATOMIC_ACQUIRE);
}

/* Before find_next (a constructor that ran earlier), or where there is no
 * next symbol: the kernel's call, which libc's mmap makes. */
static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)
{
#if defined(SYS_mmap2)
	return (void *)syscall(SYS_mmap2, addr, len, prot, flags, fd, (long)(off >> 12));
#else
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, (long)off);
#endif
}

/* The program's own file mapping under a precise lock. */
static bool routed(int flags, int fd)
{
	return is_active() && !(flags & MAP_ANONYMOUS) && fd >= 0;
}

static void *precise_mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)
{
	if ((flags & MAP_TYPE) == MAP_PRIVATE && !(prot & (PROT_WRITE | PROT_EXEC)))
		__atomic_add_fetch(&private_readonly, 1, __ATOMIC_RELAXED);
	return duende_mlock_mmap_precise(addr, len, prot, flags, fd, off);
}

__attribute__((visibility("default"))) void *mmap(void *addr, size_t len, int prot, int flags,
						   int fd, off_t off)
{
	if (routed(flags, fd))
		return precise_mmap(addr, len, prot, flags, fd, off);
	return next_mmap ? next_mmap(addr, len, prot, flags, fd, off)
			 : sys_mmap(addr, len, prot, flags, fd, off);
}

__attribute__((visibility("default"))) void *mmap64(void *addr, size_t len, int prot, int flags,
						     int fd, int64_t off)
{
	if (routed(flags, fd))
		return precise_mmap(addr, len, prot, flags, fd, off);
	return next_mmap64 ? next_mmap64(addr, len, prot, flags, fd, off)
			   : sys_mmap(addr, len, prot, flags, fd, off);
}

__attribute__((visibility("default"))) int mprotect(void *addr, size_t len, int prot)
{
	if (is_active() && (prot & PROT_WRITE) &&
	    __atomic_load_n(&private_readonly, __ATOMIC_RELAXED))
		return duende_mlock_mprotect_precise(addr, len, prot);
	if (next_mprotect)
		return next_mprotect(addr, len, prot);
	return (int)syscall(SYS_mprotect, addr, len, prot);
}
