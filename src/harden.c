/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Hardening beyond mlockall: each step on its own, and the one call that
 * runs the steps a daemon asks for and records each outcome. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "duende-mlock.h"
#include "harden.h"
#include "platform.h"
#include "reader.h"
#include "report-rules.h"
#include "text.h"

#if DM_HAVE_PROCFS
#include <sys/prctl.h>
#endif
#if HAVE_PTHREAD_GETATTR_NP
#include <pthread.h>
#endif

/* Part of the kernel ABI since Linux 5.6; older headers lack the names. */
#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#endif
#ifndef PR_GET_IO_FLUSHER
#define PR_GET_IO_FLUSHER 58
#endif

#define STACK_MARGIN ((size_t)64 * 1024)

DM_EXPORT int duende_mlock_raise_memlock(uint64_t *soft_after)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return -errno;
	if (rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
			return -errno;
	}
	if (soft_after)
		*soft_after = rl.rlim_cur == RLIM_INFINITY ? DUENDE_MLOCK_UNLIMITED
							   : (uint64_t)rl.rlim_cur;
	return 0;
}

DM_EXPORT int duende_mlock_set_memlock_limit(uint64_t bytes)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = bytes == DUENDE_MLOCK_UNLIMITED || bytes >= (uint64_t)RLIM_INFINITY
					    ? RLIM_INFINITY
					    : (rlim_t)bytes;
	return setrlimit(RLIMIT_MEMLOCK, &rl) == 0 ? 0 : -errno;
}

DM_EXPORT int duende_mlock_set_io_flusher(void)
{
#if DM_HAVE_PROCFS
	return prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) == 0 ? 0 : -errno;
#else
	return -ENOSYS;
#endif
}

DM_EXPORT int duende_mlock_get_io_flusher(void)
{
#if DM_HAVE_PROCFS
	struct dm_proc_stat st;
	char buf[1024];
	size_t len;
	int saved = errno;
	int rc = dm_read_small(AT_FDCWD, "/proc/thread-self/stat", buf, sizeof(buf), &len);

	errno = saved;
	memset(&st, 0, sizeof(st));
	if (rc == 0)
		rc = dm_stat_parse(buf, len, &st);
	if (rc != 0)
		return rc < 0 ? rc : -EPROTO;
	return dm_io_flusher_in(st.flags) ? 1 : 0;
#else
	return -ENOSYS;
#endif
}

int dm_probe_io_flusher(void)
{
	/* Both PR_*_IO_FLUSHER need CAP_SYS_RESOURCE: EPERM still shows the
	 * kernel knows the option; EINVAL shows it does not. */
	if (prctl(PR_GET_IO_FLUSHER, 0, 0, 0, 0) >= 0 || errno == EPERM)
		return 1;
	return errno == EINVAL ? 0 : -errno;
}

DM_EXPORT int duende_mlock_set_oom_score_adj(int adj)
{
	return dm_write_oom_score_adj("/proc/self/oom_score_adj", adj);
}

int dm_write_oom_score_adj(const char *path, int adj)
{
	struct dm_text t;
	char num[16];
	ssize_t n;
	int fd, rc = 0;

	if (adj < DUENDE_MLOCK_OOM_SCORE_ADJ_MIN || adj > DUENDE_MLOCK_OOM_SCORE_ADJ_MAX)
		return -EINVAL;
	dm_text_init(&t, num, sizeof(num));
	dm_text_put_i64(&t, adj);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, num, t.len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != t.len)
		rc = -EIO;
	close(fd);
	return rc;
}

/* Room left on the calling thread's stack below here, or SIZE_MAX when
 * the libc cannot say. glibc reports the main thread's stack as large as
 * RLIMIT_STACK lets it grow; musl reports only what is mapped so far, so
 * there the main thread's room comes from RLIMIT_STACK, less 1 MiB taken
 * as already used. */
static size_t stack_room(void)
{
	char here;
#if !defined(__GLIBC__) && defined(SYS_gettid)
	if (syscall(SYS_gettid) == getpid()) {
		struct rlimit rl;
		const size_t used = (size_t)1 << 20;

		if (getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
			return SIZE_MAX;
		return rl.rlim_cur > used ? (size_t)rl.rlim_cur - used : 0;
	}
#endif
#if HAVE_PTHREAD_GETATTR_NP
	pthread_attr_t attr;
	void *lo;
	size_t size;

	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return SIZE_MAX;
	int rc = pthread_attr_getstack(&attr, &lo, &size);
	pthread_attr_destroy(&attr);
	if (rc != 0 || (uintptr_t)&here < (uintptr_t)lo)
		return SIZE_MAX;
	return (size_t)((uintptr_t)&here - (uintptr_t)lo);
#else
	(void)here;
	return SIZE_MAX;
#endif
}

/* The one frame allowed past the library's stack budget: it takes what it
 * was asked to touch, which duende_mlock_prefault_stack() has checked
 * against the room the thread has. */
#pragma GCC diagnostic push
#if defined(__clang__)
#pragma GCC diagnostic ignored "-Wframe-larger-than"
#else
#pragma GCC diagnostic ignored "-Wstack-usage="
#pragma GCC diagnostic ignored "-Wframe-larger-than="
#endif
static __attribute__((noinline)) void touch_stack(size_t bytes)
{
	char area[bytes];
	volatile char *p = area;
	long page = sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < bytes; i += (size_t)(page > 0 ? page : 4096))
		p[i] = 0;
	p[bytes - 1] = 0;
}
#pragma GCC diagnostic pop

DM_EXPORT int duende_mlock_prefault_stack(size_t bytes)
{
	size_t room = stack_room();

	if (bytes == 0)
		return 0;
	if (room != SIZE_MAX && (room < STACK_MARGIN || bytes > room - STACK_MARGIN))
		return -ERANGE;
	touch_stack(bytes);
	return 0;
}
