/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * What the host offers a swap-serving daemon: swap devices and who serves
 * them, memory cgroups, the container or service manager, and kernel
 * support. Internal: the CLI's doctor links it from the static archive.
 * Readers only; they never wait on a FUSE mount (no stat of swap files).
 */
#ifndef DM_HOST_H
#define DM_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procfs.h"

struct dm_swap_info {
	struct dm_swap_entry entry;
	/* "loop", "nbd", "ublk", "zram", "file", "partition" */
	char kind[16];
	char backing[256]; /* loop: the backing file */
	char backing_fstype[32];
	bool user_space; /* served by a user-space process */
};

/* Fills up to max entries; *n gets how many. 0 or negative errno. */
int dm_host_swaps(struct dm_swap_info *out, size_t max, size_t *n);

struct dm_cgroup_info {
	int version; /* 1 or 2; 0 when no memory cgroup was found */
	char path[512];
	char dir[640];      /* where its files are */
	uint64_t limit;     /* in force, ancestors included; UINT64_MAX: none */
	uint64_t usage;
	uint32_t processes; /* in this very cgroup */
};

int dm_host_memory_cgroup(pid_t pid, struct dm_cgroup_info *out);

struct dm_runtime_info {
	char container[32]; /* "docker", "podman", "kubernetes", "lxc", ... or "" */
	char unit[128];     /* systemd unit from the cgroup path, or "" */
	bool systemd;       /* PID 1 is systemd */
};

void dm_host_runtime(pid_t pid, struct dm_runtime_info *out);

/* 1 supported, 0 not, negative errno when it cannot be told. */
int dm_host_supports_onfault(void);
int dm_host_supports_io_flusher(void);

/* /proc/PID/stat of pid (0: self). */
int dm_host_stat(pid_t pid, struct dm_proc_stat *out);

/* CapEff and CapBnd of pid (0: self). */
int dm_host_caps(pid_t pid, uint64_t *effective, uint64_t *bounding);

/* Task flags that PR_SET_IO_FLUSHER sets. */
#define DM_PF_MEMALLOC_NOIO 0x00080000u
#define DM_PF_LOCAL_THROTTLE 0x00100000u

#endif
