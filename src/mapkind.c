/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* What backs a mapping: the mounts' kinds from mountinfo, and the rule
 * that tells anonymous memory, shared memory, file data and files a
 * process serves itself apart. Pure: no I/O, no allocation. */
#include <string.h>

#include "platform.h"
#include "procfs.h"

void dm_mount_kinds_init(struct dm_mount_kinds *mk)
{
	memset(mk, 0, sizeof(*mk));
}

uint32_t dm_dev_kernel(uint32_t major, uint32_t minor)
{
	return (major & 0xfffu) << 20 | (minor & 0xfffffu);
}

/* File systems whose pages live in memory only: shmem (tmpfs, devtmpfs,
 * and the internal mount behind memfd, SysV and shared anonymous
 * memory, which mountinfo never shows) is swap-backed; ramfs and
 * hugetlbfs pages cannot be dropped at all. The initial root (rootfs) is
 * one of them. */
static const char *const memory_types[] = {
	"tmpfs", "devtmpfs", "ramfs", "rootfs", "hugetlbfs", "shm",
};

/* File systems with no file data behind their files: what a mapping of
 * one holds is the kernel's (a device's registers, a table), never
 * dropped and read back. */
static const char *const special_types[] = {
	"proc", "sysfs", "devpts", "mqueue", "debugfs", "tracefs", "securityfs", "cgroup",
	"cgroup2", "pstore", "bpf", "configfs", "efivarfs", "fusectl", "binfmt_misc",
	"autofs", "nsfs", "selinuxfs",
};

static bool in(const char *const *list, size_t n, const char *type)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], type) == 0)
			return true;
	return false;
}

enum dm_fs_kind dm_fs_kind_of_type(const char *fstype)
{
	if (strcmp(fstype, "fuse") == 0 || strcmp(fstype, "fuseblk") == 0 ||
	    strncmp(fstype, "fuse.", 5) == 0 || strncmp(fstype, "fuseblk.", 8) == 0)
		return DM_FS_FUSE;
	if (in(memory_types, DM_ARRAY_SIZE(memory_types), fstype) ||
	    in(special_types, DM_ARRAY_SIZE(special_types), fstype))
		return DM_FS_MEMORY;
	return fstype[0] ? DM_FS_FILE : DM_FS_UNKNOWN;
}

static int find(const struct dm_mount_kinds *mk, uint32_t dev)
{
	for (uint32_t i = 0; i < mk->n; i++)
		if (mk->dev[i] == dev)
			return (int)i;
	return -1;
}

int dm_mount_kinds_parse_line(void *ctx, const char *line, size_t len)
{
	struct dm_mount_kinds *mk = ctx;
	struct dm_mount_entry m;
	uint32_t dev;

	if (dm_mountinfo_parse_line(line, len, &m) != 0)
		return 0;
	dev = dm_dev_kernel(m.dev_major, m.dev_minor);
	if (find(mk, dev) >= 0)
		return 0;
	if (mk->n == DM_MOUNT_KINDS_MAX) {
		mk->truncated = true;
		return 0;
	}
	mk->dev[mk->n] = dev;
	mk->kind[mk->n] = (uint8_t)dm_fs_kind_of_type(m.fstype);
	mk->n++;
	return 0;
}

enum dm_fs_kind dm_mount_kind(const struct dm_mount_kinds *mk, uint32_t major, uint32_t minor)
{
	int i = find(mk, dm_dev_kernel(major, minor));

	return i < 0 ? DM_FS_UNKNOWN : (enum dm_fs_kind)mk->kind[i];
}

void dm_mount_kinds_serve(struct dm_mount_kinds *mk, uint64_t conn)
{
	for (uint32_t i = 0; i < mk->n; i++)
		if (mk->dev[i] == conn && (mk->kind[i] == DM_FS_FUSE || mk->kind[i] == DM_FS_SERVED))
			mk->kind[i] = DM_FS_SERVED;
}

void dm_mount_kinds_settle(struct dm_mount_kinds *mk)
{
	for (uint32_t i = 0; i < mk->n; i++)
		if (mk->kind[i] == DM_FS_FUSE)
			mk->kind[i] = DM_FS_FILE;
}

bool dm_mount_kinds_has_fuse(const struct dm_mount_kinds *mk)
{
	for (uint32_t i = 0; i < mk->n; i++)
		if (mk->kind[i] == DM_FS_FUSE)
			return true;
	return false;
}

enum dm_backing dm_backing_of(const struct dm_mount_kinds *mk, const struct dm_map_entry *m)
{
	bool shared = m->perms[3] == 's';

	if (!m->inode)
		return shared ? DM_BACK_MEMORY : DM_BACK_ANON;
	switch (dm_mount_kind(mk, m->dev_major, m->dev_minor)) {
	case DM_FS_FILE:
		return DM_BACK_FILE;
	case DM_FS_SERVED:
		return DM_BACK_SERVED;
	case DM_FS_FUSE: /* not settled: whoever serves it may be this process */
	case DM_FS_MEMORY:
	case DM_FS_UNKNOWN:
	default:
		return DM_BACK_MEMORY;
	}
}

enum dm_mem_kind_index dm_mem_kind_of(enum dm_backing b, bool shared)
{
	switch (b) {
	case DM_BACK_ANON:
		return DM_MEM_ANON;
	case DM_BACK_FILE:
		return shared ? DM_MEM_SHARED_FILE : DM_MEM_PRIVATE_FILE;
	case DM_BACK_SERVED:
		return DM_MEM_SERVED_FILE;
	case DM_BACK_MEMORY:
	default:
		return DM_MEM_SHARED;
	}
}

bool dm_must_lock(enum dm_backing b, bool shared, bool writable, uint64_t anonymous)
{
	if (b != DM_BACK_FILE)
		return true;
	return !shared && (writable || anonymous > 0);
}
