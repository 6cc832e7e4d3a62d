/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The precise lock: what can deadlock on the daemon's own swap is locked
 * (anonymous and shared memory, the written pages of private file
 * mappings, the program's code, files on a FUSE mount it serves), file
 * data is left to the kernel, which drops a clean page and writes a dirty
 * shared one back to its own file. The plan (dm_precise_action) is one
 * rule; this file also applies it to the calling process, and maps file
 * data unlocked under MCL_FUTURE (duende_mlock_mmap_precise).
 *
 * Everything here is system calls and /proc reads into stack buffers: it
 * runs after fork() and from inside mmap(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "mounts.h"
#include "platform.h"
#include "precise.h"
#include "reader.h"

/* Linux 4.4 and 5.14; older kernels answer ENOSYS or EINVAL. */
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* ---- the rule ---- */

static bool perms_accessible(const char *p)
{
	return !(p[0] == '-' && p[1] == '-' && p[2] == '-');
}

/* Locked as the default lock locks it: written in for private writable
 * memory, read in otherwise. */
static enum dm_precise_action locked(bool writable, bool shared, enum dm_backing b)
{
	/* A file, even one that must stay resident, is never dirtied just to
	 * be read in. */
	bool write_in = writable && (!shared || b == DM_BACK_ANON || b == DM_BACK_MEMORY);

	return write_in ? DM_PRECISE_LOCK_WRITE : DM_PRECISE_LOCK_READ;
}

enum dm_precise_action dm_precise_action(const struct dm_precise_mapping *m)
{
	const char *p = m->map.perms;
	bool shared = p[3] == 's', writable = p[1] == 'w';

	if (m->backing != DM_BACK_FILE || m->program)
		return locked(writable, shared, m->backing);
	if (shared)
		return DM_PRECISE_UNLOCK;
	/* Private: copy-on-write pages, now or once written, are swap-backed;
	 * an inaccessible one may be made writable later. */
	if (writable || m->written || !perms_accessible(p))
		return DM_PRECISE_LOCK_ONFAULT;
	return DM_PRECISE_UNLOCK;
}

/* ---- the walk ---- */

/* Files by device and inode; a full set knows it may miss some. */
#define FILE_IDS 32
struct file_ids {
	uint32_t n;
	bool overflow;
	struct {
		uint32_t dev;
		uint64_t inode;
	} id[FILE_IDS];
};

static bool ids_have(const struct file_ids *s, uint32_t dev, uint64_t inode)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->id[i].dev == dev && s->id[i].inode == inode)
			return true;
	return false;
}

static void ids_add(struct file_ids *s, uint32_t dev, uint64_t inode)
{
	if (ids_have(s, dev, inode))
		return;
	if (s->n == FILE_IDS) {
		s->overflow = true;
		return;
	}
	s->id[s->n].dev = dev;
	s->id[s->n].inode = inode;
	s->n++;
}

struct walk {
	struct dm_mount_kinds mounts;
	struct file_ids exec;     /* files with an executable mapping */
	struct file_ids readonly; /* private read-only mappings of file data */
	dm_precise_fn fn;
	void *ctx;
	int rc;
	bool pending;
	struct dm_precise_mapping cur;
};

static uint32_t dev_of(const struct dm_map_entry *m)
{
	return dm_dev_kernel(m->dev_major, m->dev_minor);
}

/* The gate page is outside every mapping (mlock answers ENOMEM on it). */
static bool is_vsyscall(const char *line, size_t len)
{
	return len >= 11 && memcmp(line + len - 11, " [vsyscall]", 11) == 0;
}

/* Pass one: which files are the program's, and whether any private
 * read-only file mapping lies outside it. */
static int survey_line(void *ctx, const char *line, size_t len)
{
	struct walk *w = ctx;
	struct dm_map_entry m;

	if (dm_maps_parse_line(line, len, &m) != 0 || !m.inode)
		return 0;
	if (m.perms[2] == 'x')
		ids_add(&w->exec, dev_of(&m), m.inode);
	else if (m.perms[3] == 'p' && m.perms[1] != 'w' && perms_accessible(m.perms) &&
		 dm_backing_of(&w->mounts, &m) == DM_BACK_FILE)
		ids_add(&w->readonly, dev_of(&m), m.inode);
	return 0;
}

static bool needs_smaps(const struct walk *w)
{
	if (w->exec.overflow) /* every file may be the program's */
		return false;
	if (w->readonly.overflow)
		return true;
	for (uint32_t i = 0; i < w->readonly.n; i++)
		if (!ids_have(&w->exec, w->readonly.id[i].dev, w->readonly.id[i].inode))
			return true;
	return false;
}

static void flush(struct walk *w)
{
	if (!w->pending || w->rc)
		return;
	w->pending = false;
	w->rc = w->fn(w->ctx, &w->cur, dm_precise_action(&w->cur));
}

/* Pass two, over maps or smaps: a header line starts a mapping, which is
 * judged once its fields (Anonymous) are read. */
static int plan_line(void *ctx, const char *line, size_t len)
{
	struct walk *w = ctx;
	struct dm_map_entry m;
	uint64_t anon;

	if (len && ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f')) &&
	    dm_maps_parse_line(line, len, &m) == 0) {
		flush(w);
		if (is_vsyscall(line, len))
			return w->rc;
		w->cur.map = m;
		w->cur.backing = dm_backing_of(&w->mounts, &m);
		w->cur.program = m.inode && (w->exec.overflow || ids_have(&w->exec, dev_of(&m), m.inode));
		w->cur.written = false;
		w->pending = true;
	} else if (w->pending && dm_smaps_field(line, len, "Anonymous", &anon)) {
		w->cur.written = anon > 0;
	}
	return w->rc;
}

int dm_precise_plan(int dirfd, dm_precise_fn fn, void *ctx)
{
	struct walk w;
	/* A path can be PATH_MAX long: a line cut short would lose its
	 * mapping. */
	char buf[4096 + 256];
	int rc;

	memset(&w, 0, sizeof(w));
	w.fn = fn;
	w.ctx = ctx;
	(void)dm_read_mount_kinds(dirfd, &w.mounts);
	rc = dm_read_lines(dirfd, "maps", buf, sizeof(buf), survey_line, &w);
	if (rc)
		return rc;
	rc = dm_read_lines(dirfd, needs_smaps(&w) ? "smaps" : "maps", buf, sizeof(buf), plan_line, &w);
	flush(&w);
	return w.rc ? w.rc : rc;
}

/* ---- applying the plan to this process ---- */

static int sys_mlock2(uintptr_t start, size_t len, unsigned flags)
{
#ifdef SYS_mlock2
	if (syscall(SYS_mlock2, start, len, flags) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -errno;
#endif
	/* Before Linux 4.4: locked and read in at once. */
	return mlock((void *)start, len) == 0 ? 0 : -errno;
}

struct apply {
	bool after_fork;
	int first_error;
};

static int apply_here(void *ctx, const struct dm_precise_mapping *m, enum dm_precise_action a)
{
	struct apply *ap = ctx;
	uintptr_t start = (uintptr_t)m->map.start;
	size_t len = (size_t)(m->map.end - m->map.start);
	int rc;

	if (a == DM_PRECISE_UNLOCK) {
		/* A forked child starts with nothing locked. */
		if (!ap->after_fork)
			(void)munlock((void *)start, len);
		return 0;
	}
	/* Locked first, where RLIMIT_MEMLOCK is checked, faulting nothing in. */
	rc = sys_mlock2(start, len, MLOCK_ONFAULT);
	if (rc && !ap->first_error)
		ap->first_error = rc;
	if (rc || a == DM_PRECISE_LOCK_ONFAULT)
		return 0;
	if (!ap->after_fork) {
		/* Then as MCL_CURRENT locks: populated (written in where private
		 * and writable). It answers ENOMEM for what cannot be read in
		 * (PROT_NONE), which MCL_CURRENT ignores too. */
		(void)mlock((void *)start, len);
	} else if (m->map.inode && m->map.perms[0] == 'r' && a == DM_PRECISE_LOCK_READ) {
		/* The child's page tables hold its anonymous pages, not its
		 * file pages: read those in, which copies nothing. */
		(void)madvise((void *)start, len, MADV_POPULATE_READ);
	}
	return 0;
}

int dm_precise_lock_current(bool after_fork, int *lock_error)
{
	struct apply ap = { .after_fork = after_fork, .first_error = 0 };
	int dirfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	*lock_error = 0;
	if (dirfd < 0)
		return -errno;
	rc = dm_precise_plan(dirfd, apply_here, &ap);
	close(dirfd);
	*lock_error = ap.first_error;
	return rc;
}

/* ---- mappings made later ---- */

/* The raw calls: the preload shim routes mmap and mprotect here, so libc's
 * symbols would call back into it. */
static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)
{
#if defined(SYS_mmap2) /* 32-bit: the offset in 4096-byte units */
	if (off & 4095) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	return (void *)syscall(SYS_mmap2, addr, len, prot, flags, fd, (long)(off >> 12));
#else
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, (long)off);
#endif
}

static int sys_mprotect(void *addr, size_t len, int prot)
{
	return (int)syscall(SYS_mprotect, addr, len, prot);
}

static void *sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

/* What backs fd: file data only for a regular file on a mount that holds
 * it and that this process does not serve. */
static enum dm_backing fd_backing(int fd)
{
	struct dm_mount_kinds mk;
	struct dm_map_entry m;
	struct stat st;
	int dirfd;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return DM_BACK_MEMORY;
	dirfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return DM_BACK_MEMORY;
	(void)dm_read_mount_kinds(dirfd, &mk);
	close(dirfd);
	memset(&m, 0, sizeof(m));
	memcpy(m.perms, "r--s", 5);
	m.dev_major = major(st.st_dev);
	m.dev_minor = minor(st.st_dev);
	m.inode = (uint64_t)st.st_ino | 1; /* a file, whatever its number */
	return dm_backing_of(&mk, &m);
}

/* The action for a mapping mmap(2) is asked to make; locked ones are made
 * as asked. */
static enum dm_precise_action mmap_action(int prot, int flags, int fd)
{
	struct dm_precise_mapping m;

	if ((flags & MAP_ANONYMOUS) || fd < 0 || (prot & PROT_EXEC) ||
	    (flags & (MAP_LOCKED | MAP_HUGETLB)))
		return DM_PRECISE_LOCK_READ;
	memset(&m, 0, sizeof(m));
	m.map.perms[0] = (prot & PROT_READ) ? 'r' : '-';
	m.map.perms[1] = (prot & PROT_WRITE) ? 'w' : '-';
	m.map.perms[2] = '-';
	m.map.perms[3] = (flags & MAP_TYPE) == MAP_PRIVATE ? 'p' : 's';
	m.backing = fd_backing(fd);
	return dm_precise_action(&m);
}

static bool overlaps(uintptr_t a, size_t alen, uintptr_t b, size_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Under a lock of future mappings a stand-in counts against
 * RLIMIT_MEMLOCK while it is locked (EAGAIN beyond it): one page of it,
 * unlocked, then grown, is not counted at all. */
static void *grown_stand_in(void *addr, size_t len, int flags, int fd, int64_t off)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *small, *p;

	if (len <= page)
		return MAP_FAILED;
	small = sys_mmap(addr, page, PROT_NONE, flags, fd, off);
	if (small == MAP_FAILED)
		return small;
	if (munlock(small, page) != 0 ||
	    (p = sys_mremap(small, page, len, MREMAP_MAYMOVE, NULL)) == MAP_FAILED) {
		munmap(small, page);
		return MAP_FAILED;
	}
	return p;
}

/* An inaccessible stand-in for the mapping, which even MCL_FUTURE does
 * not populate: at addr when MAP_FIXED asks for it and it is free there,
 * anywhere when it is not (the caller moves it there). */
static void *stand_in(void *addr, size_t len, int flags, int fd, int64_t off)
{
	int base = flags & ~(MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_POPULATE);
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	void *p = sys_mmap(addr, len, PROT_NONE, base | (fixed ? MAP_FIXED_NOREPLACE : 0), fd, off);

	if (p == MAP_FAILED && errno == EEXIST && (flags & MAP_FIXED))
		p = sys_mmap(NULL, len, PROT_NONE, base, fd, off);
	if (p == MAP_FAILED && errno == EAGAIN)
		p = grown_stand_in(fixed ? NULL : addr, len, base, fd, off);
	return p;
}

DM_EXPORT void *duende_mlock_mmap_precise(void *addr, size_t length, int prot, int flags, int fd,
					  int64_t offset)
{
	int saved = errno;
	enum dm_precise_action a = mmap_action(prot, flags, fd);
	unsigned lock_flags = a == DM_PRECISE_LOCK_ONFAULT ? MLOCK_ONFAULT : 0;
	void *p;

	if (a != DM_PRECISE_UNLOCK && a != DM_PRECISE_LOCK_ONFAULT)
		return sys_mmap(addr, length, prot, flags, fd, offset);
	p = stand_in(addr, length, flags, fd, offset);
	if (p == MAP_FAILED)
		goto as_asked;
	if ((lock_flags ? sys_mlock2((uintptr_t)p, length, lock_flags) : munlock(p, length)) != 0 ||
	    sys_mprotect(p, length, prot) != 0)
		goto undo;
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && p != addr) {
		void *moved;

		if (!(flags & MAP_FIXED) || overlaps((uintptr_t)p, length, (uintptr_t)addr, length))
			goto undo;
		/* In place at once: what was mapped at addr stays until the
		 * move replaces it, as MAP_FIXED replaces it. */
		moved = sys_mremap(p, length, length, MREMAP_MAYMOVE | MREMAP_FIXED, addr);
		if (moved == MAP_FAILED)
			goto undo;
		p = moved;
	}
	if (flags & MAP_POPULATE)
		(void)madvise(p, length, (prot & PROT_WRITE) ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
	errno = saved;
	return p;
undo:
	munmap(p, length);
as_asked:
	/* Whatever stood in the way, mmap(2) itself says what it gives. */
	errno = saved;
	return sys_mmap(addr, length, prot, flags, fd, offset);
}

struct writable {
	uintptr_t start, end;
};

/* A private file mapping in the range made writable: locked as touched. */
static int writable_line(void *ctx, const char *line, size_t len)
{
	const struct writable *w = ctx;
	struct dm_map_entry m;
	uintptr_t lo, hi;

	if (dm_maps_parse_line(line, len, &m) != 0 || !m.inode || m.perms[3] != 'p' ||
	    m.perms[1] != 'w')
		return 0;
	if (m.start >= w->end)
		return 1; /* maps is in address order */
	lo = m.start > w->start ? (uintptr_t)m.start : w->start;
	hi = m.end < w->end ? (uintptr_t)m.end : w->end;
	if (lo < hi)
		(void)sys_mlock2(lo, hi - lo, MLOCK_ONFAULT);
	return 0;
}

DM_EXPORT int duende_mlock_mprotect_precise(void *addr, size_t length, int prot)
{
	int saved = errno, rc = sys_mprotect(addr, length, prot);
	char buf[4096 + 256];
	struct writable w = { (uintptr_t)addr, (uintptr_t)addr + length };

	if (rc != 0 || !(prot & PROT_WRITE))
		return rc;
	(void)dm_read_lines(AT_FDCWD, "/proc/self/maps", buf, sizeof(buf), writable_line, &w);
	errno = saved;
	return 0;
}
