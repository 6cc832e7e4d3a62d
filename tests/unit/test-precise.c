/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The precise lock against the real kernel, read back from smaps: at
 * start a mapped file is left unlocked and unread while the heap, a memfd
 * and a written private file mapping are locked and resident; later
 * mappings made through duende_mlock_mmap_precise() keep the plan under
 * MCL_FUTURE, with mmap(2)'s own results and errno (MAP_FIXED in place,
 * EACCES leaving the old mapping intact, a mapping larger than
 * RLIMIT_MEMLOCK); a forked child keeps it without copying.
 * Usage: test-precise [DIR] (a directory on a disk file system; default .) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "harness.h"
#include "proc-util.h"

#define MiB ((size_t)1 << 20)
#define TMPFS_MAGIC 0x01021994

/* smaps of the mapping that holds addr: a "Key:" field in bytes (-1 when
 * absent), and whether VmFlags has lo. */
struct region {
	long long rss, anonymous, locked, shared_dirty;
	bool lo, lf;
};

static struct region region_of(const void *addr)
{
	struct region r = { -1, -1, -1, -1, false, false };
	unsigned long lo, hi, a = (unsigned long)addr;
	char line[512];
	int inside = 0;
	FILE *f = fopen("/proc/self/smaps", "re");

	while (f && fgets(line, sizeof(line), f)) {
		long long kb;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			inside = a >= lo && a < hi;
			continue;
		}
		if (!inside)
			continue;
		if (sscanf(line, "Rss: %lld kB", &kb) == 1)
			r.rss = kb << 10;
		else if (sscanf(line, "Anonymous: %lld kB", &kb) == 1)
			r.anonymous = kb << 10;
		else if (sscanf(line, "Locked: %lld kB", &kb) == 1)
			r.locked = kb << 10;
		else if (sscanf(line, "Shared_Dirty: %lld kB", &kb) == 1)
			r.shared_dirty = kb << 10;
		else if (strncmp(line, "VmFlags:", 8) == 0) {
			r.lo = t_has_flag(line + 8, "lo");
			r.lf = t_has_flag(line + 8, "lf");
		}
	}
	if (f)
		fclose(f);
	return r;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A sparse file of size bytes in dir, opened with flags, already unlinked. */
static int sparse_file(const char *dir, size_t size, int flags)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/test-precise.%d.XXXXXX", dir, (int)getpid());
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) != 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	if (flags != O_RDWR) {
		int again = open(path, flags | O_CLOEXEC);
		close(fd);
		fd = again;
	}
	unlink(path);
	return fd;
}

static void touch(const char *p, size_t len)
{
	volatile char sum = 0;

	for (size_t i = 0; i < len; i += 4096)
		sum = (char)(sum + p[i]);
	(void)sum;
}

/* Later mappings, made as the preload shim makes them. */
static void check_later_mappings(const char *dir)
{
	int fd = sparse_file(dir, 256 * MiB, O_RDWR), rofd = sparse_file(dir, 16 * MiB, O_RDONLY);
	struct region r;
	double t;

	CHECK(fd >= 0 && rofd >= 0);
	/* Shared file data: unlocked, not read in (MCL_FUTURE would read all
	 * 256 MiB inside mmap). errno is kept on success. */
	errno = 1234;
	t = now();
	char *shared = duende_mlock_mmap_precise(NULL, 256 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	t = now() - t;
	CHECK(shared != MAP_FAILED);
	CHECK_EQ_INT(errno, 1234);
	r = region_of(shared);
	CHECK(!r.lo);
	CHECK(r.rss < (long long)MiB);
	CHECK(t < 0.1);
	/* The same file mapped by mmap(2) itself is read in and locked. */
	char *plain = mmap(NULL, 64 * MiB, PROT_READ, MAP_SHARED, fd, 0);
	r = region_of(plain);
	CHECK(r.lo && r.rss >= (long long)(64 * MiB));
	munmap(plain, 64 * MiB);

	/* Private and writable: locked as written, nothing read in. */
	char *priv = duende_mlock_mmap_precise(NULL, 64 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(priv != MAP_FAILED);
	r = region_of(priv);
	CHECK(r.lo && (r.lf || !t_kernel_shows_lf()));
	CHECK(r.rss < (long long)MiB);
	memset(priv, 7, 4 * MiB);
	r = region_of(priv);
	CHECK(r.anonymous >= (long long)(4 * MiB) && r.locked >= (long long)(4 * MiB));

	/* Read-only private: unlocked; made writable through the precise
	 * mprotect, what is written is locked. */
	char *ro = duende_mlock_mmap_precise(NULL, 16 * MiB, PROT_READ, MAP_PRIVATE, rofd, 0);
	CHECK(ro != MAP_FAILED);
	touch(ro, 16 * MiB);
	r = region_of(ro);
	CHECK(!r.lo && r.rss >= (long long)(16 * MiB));
	CHECK_EQ_INT(duende_mlock_mprotect_precise(ro, 16 * MiB, PROT_READ | PROT_WRITE), 0);
	memset(ro, 1, 2 * MiB);
	r = region_of(ro);
	CHECK(r.lo && r.locked >= (long long)(2 * MiB));

	/* MAP_FIXED over an anonymous mapping: in place, unlocked. */
	char *anon = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(anon != MAP_FAILED && region_of(anon).lo);
	memset(anon, 'a', 8 * MiB);
	shared[0] = 's';
	char *fixed = duende_mlock_mmap_precise(anon, 4 * MiB, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	CHECK(fixed == anon);
	CHECK(fixed[0] == 's');
	CHECK(!region_of(fixed).lo);
	CHECK(anon[4 * MiB] == 'a' && region_of(anon + 4 * MiB).lo);

	/* A mapping mmap(2) refuses is refused alike, and MAP_FIXED leaves
	 * what was there: PROT_WRITE of a file opened read-only. */
	errno = 0;
	void *refused = duende_mlock_mmap_precise(anon + 4 * MiB, 4 * MiB, PROT_READ | PROT_WRITE,
						  MAP_SHARED | MAP_FIXED, rofd, 0);
	CHECK(refused == MAP_FAILED);
	CHECK_EQ_INT(errno, EACCES);
	CHECK(anon[4 * MiB] == 'a' && anon[8 * MiB - 1] == 'a');
	errno = 0;
	CHECK(duende_mlock_mmap_precise(NULL, 0, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED);
	CHECK_EQ_INT(errno, EINVAL);
	errno = 0;
	CHECK(duende_mlock_mmap_precise(NULL, MiB, PROT_READ, MAP_SHARED, fd, 1) == MAP_FAILED);
	CHECK_EQ_INT(errno, EINVAL);
	errno = 0;
	CHECK(duende_mlock_mmap_precise(NULL, MiB, PROT_READ, MAP_SHARED, 9999, 0) == MAP_FAILED);
	CHECK_EQ_INT(errno, EBADF);
	/* MAP_FIXED_NOREPLACE over a mapping: EEXIST, as mmap(2). */
	errno = 0;
	CHECK(duende_mlock_mmap_precise(anon + 4 * MiB, MiB, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE,
					fd, 0) == MAP_FAILED);
	CHECK_EQ_INT(errno, EEXIST);

	/* Swap-backed memory is made as mmap(2) makes it: locked, read in. */
	int mfd = memfd_create("test-precise", MFD_CLOEXEC);
	CHECK(mfd >= 0 && ftruncate(mfd, (off_t)(8 * MiB)) == 0);
	char *shm = duende_mlock_mmap_precise(NULL, 8 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	r = region_of(shm);
	CHECK(shm != MAP_FAILED && r.lo && r.rss >= (long long)(8 * MiB));
	char *heap = duende_mlock_mmap_precise(NULL, 8 * MiB, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = region_of(heap);
	CHECK(heap != MAP_FAILED && r.lo && r.rss >= (long long)(8 * MiB));
	close(mfd);
	close(fd);
	close(rofd);
}

/* Under a memlock limit without CAP_IPC_LOCK, MCL_FUTURE makes mmap(2)
 * of a file larger than the limit fail with EAGAIN; unlocked from the
 * start, it is not counted at all. */
static int limited_child(const char *dir)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct caps[2];
	struct rlimit rl = { 8 * MiB, 8 * MiB };
	int fd = sparse_file(dir, 512 * MiB, O_RDONLY);

	if (fd < 0 || syscall(SYS_capget, &hdr, caps) != 0)
		return 2;
	caps[0].effective &= ~(1u << CAP_IPC_LOCK);
	if (syscall(SYS_capset, &hdr, caps) != 0 || setrlimit(RLIMIT_MEMLOCK, &rl) != 0 ||
	    mlockall(MCL_FUTURE) != 0)
		return 3;
	if (mmap(NULL, 512 * MiB, PROT_READ, MAP_SHARED, fd, 0) != MAP_FAILED || errno != EAGAIN)
		return 4;
	char *p = duende_mlock_mmap_precise(NULL, 512 * MiB, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 5;
	touch(p, 512 * MiB);
	return region_of(p).lo ? 6 : 0;
}

static void check_limited(const char *dir)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(limited_child(dir));
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

/* A forked child of the precise lock: the mapped file stays unlocked, the
 * heap is locked, and nothing was copied to get there (its pages are still
 * the parent's: Shared_Dirty). */
static void check_after_fork(const struct duende_mlock_config *cfg, char *file, char *heap)
{
	int p[2], status = 0;
	char reply = 'x';

	CHECK(pipe(p) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct duende_mlock_status st;
		int rc = duende_mlock_lock_after_fork(cfg, &st);
		struct region f = region_of(file), h = region_of(heap);
		char c = rc != 0					 ? 'r'
			 : !(st.flags & DUENDE_MLOCK_F_PRECISE)		 ? 'p'
			 : f.lo						 ? 'f'
			 : !h.lo					 ? 'h'
			 : h.shared_dirty < (long long)(32 * MiB)	 ? 'c'
									 : 'y';
		(void)!write(p[1], &c, 1);
		_exit(0);
	}
	close(p[1]);
	CHECK(read(p[0], &reply, 1) == 1);
	close(p[0]);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	/* r: the lock failed, p: not precise, f: the file locked, h: the heap
	 * not locked, c: its pages copied. */
	CHECK_EQ_INT(reply, 'y');
}

int main(int argc, char **argv)
{
	struct duende_mlock_config cfg = DUENDE_MLOCK_CONFIG_INIT;
	struct duende_mlock_status st;
	const char *dir = argc > 1 ? argv[1] : ".";
	struct statfs sfs;
	char text[512];
	int rc;

	SKIP_UNDER_SANITIZER();
	if (statfs(dir, &sfs) != 0 || sfs.f_type == TMPFS_MAGIC)
		SKIP("%s is on tmpfs (or unreadable): its files are swap-backed, not file data", dir);
	int fd = sparse_file(dir, 512 * MiB, O_RDWR), mfd = memfd_create("heap-like", MFD_CLOEXEC);
	if (fd < 0 || mfd < 0 || ftruncate(mfd, (off_t)(16 * MiB)) != 0)
		SKIP("cannot make files in %s", dir);

	/* Mapped before the lock: a shared file read 128 MiB deep, a written
	 * private file mapping, a memfd and heap. */
	char *file = mmap(NULL, 512 * MiB, PROT_READ, MAP_SHARED, fd, 0);
	char *priv = mmap(NULL, 32 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	char *shm = mmap(NULL, 16 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	char *heap = mmap(NULL, 32 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(file != MAP_FAILED && priv != MAP_FAILED && shm != MAP_FAILED && heap != MAP_FAILED);
	touch(file, 128 * MiB);
	memset(priv, 3, 2 * MiB);
	memset(heap, 1, 32 * MiB);

	cfg.precise = true;
	rc = duende_mlock_lock_with_config(&cfg, &st);
	if (rc == -EPERM || rc == -ENOMEM)
		SKIP("this process may not lock (%s)", duende_mlock_strerror(rc));
	CHECK_EQ_INT(rc, 0);
	CHECK(st.flags & DUENDE_MLOCK_F_PRECISE);
	CHECK(!(st.flags & DUENDE_MLOCK_F_PRECISE_UNAVAILABLE));
	CHECK((st.flags & (DUENDE_MLOCK_F_CURRENT | DUENDE_MLOCK_F_FUTURE)) ==
	      (DUENDE_MLOCK_F_CURRENT | DUENDE_MLOCK_F_FUTURE));
	duende_mlock_explain(&st, text, sizeof(text));
	CHECK_CONTAINS(text, "precise (file data left to the kernel)");

	struct region r = region_of(file);
	CHECK(!r.lo);
	/* Not read in beyond what was touched. */
	CHECK(r.rss < (long long)(200 * MiB));
	r = region_of(priv);
	CHECK(r.lo && (r.lf || !t_kernel_shows_lf()));
	CHECK(r.locked >= (long long)(2 * MiB) && r.rss < (long long)(8 * MiB));
	r = region_of(shm);
	CHECK(r.lo && r.rss == (long long)(16 * MiB));
	r = region_of(heap);
	CHECK(r.lo && !r.lf && r.rss == (long long)(32 * MiB));

	/* The library's report agrees: locked, with file data unlocked. */
	struct duende_mlock_report rep;
	CHECK_EQ_INT(duende_mlock_report_pid(0, &rep), 0);
	CHECK(rep.verdicts & DUENDE_MLOCK_V_LOCKED);
	CHECK(rep.verdicts & DUENDE_MLOCK_V_FILE_DATA_UNLOCKED);
	CHECK_EQ_INT(rep.must_lock_unlocked, 0);
	CHECK(rep.file_unlocked_size >= 512 * MiB);
	CHECK(rep.memory[DUENDE_MLOCK_MEMORY_SHARED_FILE].resident >= 128 * MiB);
	CHECK_EQ_INT(rep.memory[DUENDE_MLOCK_MEMORY_SHARED_FILE].locked_resident, 0);
	CHECK(rep.memory[DUENDE_MLOCK_MEMORY_SHARED].locked_resident >= 16 * MiB);
	CHECK(rep.memory[DUENDE_MLOCK_MEMORY_PRIVATE_FILE].locked_anonymous >= 2 * MiB);
	CHECK(rep.swap_backed_locked == rep.swap_backed_resident);

	check_after_fork(&cfg, file, heap);
	check_later_mappings(dir);
	check_limited(dir);
	return t_result();
}
