/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The precise plan's rules on their own: what backs a mapping (mounts'
 * kinds from mountinfo, FUSE mounts served, devices in maps' hex), the
 * action for every kind of mapping, what a lock must cover, the report's
 * split of a synthetic smaps, and the plan of this very process read
 * through dm_precise_plan(). */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "harness.h"
#include "src/precise.h"
#include "src/procfs.h"

#define S(x) x, sizeof(x) - 1

static struct dm_mount_kinds mounts(void)
{
	struct dm_mount_kinds mk;

	dm_mount_kinds_init(&mk);
	dm_mount_kinds_parse_line(&mk, S("29 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw"));
	dm_mount_kinds_parse_line(&mk, S("30 29 0:26 / /dev/shm rw - tmpfs tmpfs rw"));
	dm_mount_kinds_parse_line(&mk, S("46 27 0:41 / /mnt rw - fuse.bindfs /back rw,user_id=0"));
	dm_mount_kinds_parse_line(&mk, S("47 27 0:42 / /other rw - fuse /src rw"));
	dm_mount_kinds_parse_line(&mk, S("48 27 0:43 / /proc rw - proc proc rw"));
	/* The same device mounted again keeps its first kind. */
	dm_mount_kinds_parse_line(&mk, S("49 27 254:0 /x /bind rw - ext4 /dev/vda rw"));
	dm_mount_kinds_parse_line(&mk, S("not a mountinfo line"));
	return mk;
}

static void check_mounts(void)
{
	struct dm_mount_kinds mk = mounts();

	CHECK_EQ_INT(mk.n, 5);
	CHECK_EQ_INT(dm_mount_kind(&mk, 254, 0), DM_FS_FILE);
	CHECK_EQ_INT(dm_mount_kind(&mk, 0, 26), DM_FS_MEMORY);
	CHECK_EQ_INT(dm_mount_kind(&mk, 0, 41), DM_FS_FUSE);
	CHECK_EQ_INT(dm_mount_kind(&mk, 0, 43), DM_FS_MEMORY);
	CHECK_EQ_INT(dm_mount_kind(&mk, 8, 1), DM_FS_UNKNOWN);
	CHECK(dm_mount_kinds_has_fuse(&mk));
	/* fdinfo names a connection by the kernel's dev_t: 41 for 0:41. */
	CHECK_EQ_INT(dm_dev_kernel(0, 41), 41);
	CHECK_EQ_INT(dm_dev_kernel(254, 0), 254u << 20);
	dm_mount_kinds_serve(&mk, 41);
	dm_mount_kinds_settle(&mk);
	CHECK_EQ_INT(dm_mount_kind(&mk, 0, 41), DM_FS_SERVED);
	CHECK_EQ_INT(dm_mount_kind(&mk, 0, 42), DM_FS_FILE);
	CHECK(!dm_mount_kinds_has_fuse(&mk));
	CHECK_EQ_INT(dm_fs_kind_of_type("fuseblk"), DM_FS_FUSE);
	CHECK_EQ_INT(dm_fs_kind_of_type("xfs"), DM_FS_FILE);
	CHECK_EQ_INT(dm_fs_kind_of_type("ramfs"), DM_FS_MEMORY);
	CHECK_EQ_INT(dm_fs_kind_of_type("hugetlbfs"), DM_FS_MEMORY);
	CHECK_EQ_INT(dm_fs_kind_of_type(""), DM_FS_UNKNOWN);
	/* A full table keeps what it has and knows it is full. */
	dm_mount_kinds_init(&mk);
	for (unsigned i = 0; i < DM_MOUNT_KINDS_MAX + 3; i++) {
		char line[128];
		int n = snprintf(line, sizeof(line), "%u 1 0:%u / /m%u rw - ext4 /dev/x rw", i, i + 100, i);
		dm_mount_kinds_parse_line(&mk, line, (size_t)n);
	}
	CHECK_EQ_INT(mk.n, DM_MOUNT_KINDS_MAX);
	CHECK(mk.truncated);
}

static struct dm_precise_mapping mapping(const char *maps_line, const struct dm_mount_kinds *mk)
{
	struct dm_precise_mapping m;

	memset(&m, 0, sizeof(m));
	CHECK_EQ_INT(dm_maps_parse_line(maps_line, strlen(maps_line), &m.map), 0);
	m.backing = dm_backing_of(mk, &m.map);
	return m;
}

static void check_actions(void)
{
	struct dm_mount_kinds mk = mounts();
	struct dm_precise_mapping m;

	dm_mount_kinds_serve(&mk, 41);
	dm_mount_kinds_settle(&mk);
	/* maps prints the device in hex: fe:00 is 254:0. */
	m = mapping("7f00-8f00 r--s 00000000 fe:00 12 /data/db", &mk);
	CHECK_EQ_INT(m.map.dev_major, 254);
	CHECK_EQ_INT(m.backing, DM_BACK_FILE);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_UNLOCK);
	m = mapping("7f00-8f00 rw-s 00000000 fe:00 12 /data/db", &mk);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_UNLOCK);
	/* Private, read-only and never written: file data. */
	m = mapping("7f00-8f00 r--p 00000000 fe:00 12 /data/db", &mk);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_UNLOCK);
	m.written = true; /* its copy-on-write pages are swap-backed */
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_LOCK_ONFAULT);
	m = mapping("7f00-8f00 rw-p 00000000 fe:00 12 /data/db", &mk);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_LOCK_ONFAULT);
	m = mapping("7f00-8f00 ---p 00000000 fe:00 12 /data/db", &mk);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_LOCK_ONFAULT);
	/* The program's own file, whole: code and data locked as the default
	 * lock locks them. */
	m = mapping("7f00-8f00 r--p 00000000 fe:00 13 /usr/lib/libc.so.6", &mk);
	m.program = true;
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_LOCK_READ);
	m = mapping("7f00-8f00 rw-p 00000000 fe:00 13 /usr/lib/libc.so.6", &mk);
	m.program = true;
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_LOCK_WRITE);
	/* Swap-backed memory: locked and populated, written in where private
	 * and writable, and writable shared memory too. */
	m = mapping("7f00-8f00 rw-p 00000000 00:00 0 [heap]", &mk);
	CHECK_EQ_INT(m.backing, DM_BACK_ANON);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_LOCK_WRITE);
	m = mapping("7f00-8f00 r--p 00000000 00:00 0", &mk);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_LOCK_READ);
	m = mapping("7f00-8f00 ---p 00000000 00:00 0", &mk);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_LOCK_READ);
	m = mapping("7f00-8f00 rw-s 00000000 00:01 2048 /memfd:x (deleted)", &mk);
	CHECK_EQ_INT(m.backing, DM_BACK_MEMORY);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_LOCK_WRITE);
	m = mapping("7f00-8f00 rw-s 00000000 00:1a 9 /dev/shm/seg", &mk);
	CHECK_EQ_INT(m.backing, DM_BACK_MEMORY);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_LOCK_WRITE);
	/* A file on a mount the table does not know is locked. */
	m = mapping("7f00-8f00 r--s 00000000 08:01 9 /elsewhere", &mk);
	CHECK_EQ_INT(m.backing, DM_BACK_MEMORY);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_LOCK_READ);
	/* Files of a FUSE mount it serves: locked, and never dirtied to be
	 * read in; another's FUSE mount holds file data. */
	m = mapping("7f00-8f00 rw-s 00000000 00:29 9 /mnt/file", &mk);
	CHECK_EQ_INT(m.backing, DM_BACK_SERVED);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_LOCK_READ);
	m = mapping("7f00-8f00 r--s 00000000 00:2a 9 /other/file", &mk);
	CHECK_EQ_INT(dm_precise_action(&m), DM_PRECISE_UNLOCK);
}

static void check_must_lock(void)
{
	CHECK(dm_must_lock(DM_BACK_ANON, false, false, 0));
	CHECK(dm_must_lock(DM_BACK_MEMORY, true, false, 0));
	CHECK(dm_must_lock(DM_BACK_SERVED, true, false, 0));
	CHECK(!dm_must_lock(DM_BACK_FILE, true, true, 0));
	CHECK(!dm_must_lock(DM_BACK_FILE, false, false, 0));
	CHECK(dm_must_lock(DM_BACK_FILE, false, true, 0));
	CHECK(dm_must_lock(DM_BACK_FILE, false, false, 4096));
}

/* A precise process's smaps: locked heap and memfd, a locked-on-fault
 * written private file, an unlocked shared file, an unlocked heap-like
 * mapping (what a lock must cover), and the vdso. */
static const char precise_smaps[] =
	"1000-3000 rw-p 00000000 00:00 0 [heap]\n"
	"Rss:                   8 kB\nAnonymous:             8 kB\nVmFlags: rd wr mr mw me lo ac\n"
	"3000-5000 rw-s 00000000 00:01 77 /memfd:m (deleted)\n"
	"Rss:                   8 kB\nAnonymous:             0 kB\nVmFlags: rd wr sh mr mw me ms lo\n"
	"5000-9000 rw-p 00000000 fe:00 12 /data/private\n"
	"Rss:                   8 kB\nAnonymous:             4 kB\nVmFlags: rd wr mr mw me lo lf\n"
	"9000-19000 r--s 00000000 fe:00 13 /data/shared\n"
	"Rss:                  16 kB\nAnonymous:             0 kB\nVmFlags: rd sh mr mw me ms\n"
	"19000-1a000 rw-p 00000000 00:00 0\n"
	"Rss:                   4 kB\nAnonymous:             4 kB\nVmFlags: rd wr mr mw me ac\n"
	"1a000-1b000 r-xp 00000000 00:00 0 [vdso]\n"
	"Rss:                   4 kB\nVmFlags: rd ex mr mw me de\n";

static void check_smaps_split(void)
{
	struct dm_smaps sm;

	dm_smaps_init(&sm);
	sm.mounts = mounts();
	dm_smaps_parse(&sm, precise_smaps, sizeof(precise_smaps) - 1);
	CHECK_EQ_INT(sm.mappings, 6);
	CHECK_EQ_INT(sm.kinds[DM_MEM_ANON].mappings, 2);
	CHECK_EQ_INT(sm.kinds[DM_MEM_ANON].locked_rss, 8 << 10);
	CHECK_EQ_INT(sm.kinds[DM_MEM_SHARED].locked_rss, 8 << 10);
	CHECK_EQ_INT(sm.kinds[DM_MEM_PRIVATE_FILE].locked_anonymous, 4 << 10);
	CHECK_EQ_INT(sm.kinds[DM_MEM_SHARED_FILE].rss, 16 << 10);
	CHECK_EQ_INT(sm.kinds[DM_MEM_SHARED_FILE].locked_rss, 0);
	CHECK_EQ_INT(sm.file_unlocked_size, 0x10000);
	/* The one unlocked heap-like mapping is what a lock must cover; the
	 * unlocked shared file is not. */
	CHECK_EQ_INT(sm.must_lock_unlocked, 1);
	CHECK_EQ_INT(sm.must_lock_unlocked_size, 0x1000);
	CHECK_EQ_INT(sm.unlocked_other, 2);
}

struct seen {
	int mappings, unlocked, locked, heap_write;
	uintptr_t file;
	int file_action;
};

static int note(void *ctx, const struct dm_precise_mapping *m, enum dm_precise_action a)
{
	struct seen *s = ctx;

	s->mappings++;
	s->unlocked += a == DM_PRECISE_UNLOCK;
	s->locked += a != DM_PRECISE_UNLOCK;
	if (m->map.start <= s->file && s->file < m->map.end)
		s->file_action = (int)a;
	return 0;
}

/* This process's own plan: a shared file mapped here is file data (the
 * build directory is on a disk), its own code is the program's. */
static void check_own_plan(const char *dir)
{
	char path[4096];
	struct seen s = { 0, 0, 0, 0, 0, -1 };
	struct statfs sfs;
	int fd, dirfd;

	if (statfs(dir, &sfs) != 0 || sfs.f_type == 0x01021994 /* tmpfs */) {
		fprintf(stderr, "SKIP [own plan]: %s is on tmpfs, whose files are memory\n", dir);
		return;
	}
	snprintf(path, sizeof(path), "%s/test-precise-plan.%d", dir, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
	unlink(path);
	void *p = mmap(NULL, 1 << 20, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	s.file = (uintptr_t)p;
	dirfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK_EQ_INT(dm_precise_plan(dirfd, note, &s), 0);
	close(dirfd);
	CHECK(s.mappings > 5);
	CHECK(s.locked > 3); /* code, stack, heap... */
	CHECK_EQ_INT(s.file_action, DM_PRECISE_UNLOCK);
	munmap(p, 1 << 20);
	close(fd);
}

int main(int argc, char **argv)
{
	check_mounts();
	check_actions();
	check_must_lock();
	check_smaps_split();
	check_own_plan(argc > 1 ? argv[1] : ".");
	return t_result();
}
