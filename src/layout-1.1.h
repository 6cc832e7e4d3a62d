/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The layouts of release 1.1, frozen: the 1.0 and 1.1 entry points fill
 * and read exactly these for the programs built against them. Taken from
 * the released header (tests/abi/1.1/duende-mlock.h) with the names
 * changed; test-abi-compat checks them against it. Never edit.
 */
#ifndef DM_LAYOUT_1_1_H
#define DM_LAYOUT_1_1_H

#include "duende-mlock.h"

#define DM_V11_SWAPS_MAX 32
#define DM_V11_SWAP_SERVERS 8
#define DM_V11_SURVEY_FINDINGS 32
#define DM_V10_STEP_COUNT 6

struct dm_v11_report {
	pid_t pid;
	uint32_t known;  /* DUENDE_MLOCK_R_* read; other fields are 0 */
	int smaps_error; /* negative errno when smaps could not be read */
	/* The command name as the kernel holds it (/proc/PID/comm since 1.1):
	 * raw bytes, NUL-terminated, possibly not UTF-8 and possibly holding
	 * control characters; escape it before printing
	 * (duende_mlock_escape()). */
	char name[64];
	char state;      /* R, S, D, ... */
	uint32_t uid;
	bool cap_ipc_lock;
	/* status: bytes */
	uint64_t vm_size, vm_rss, vm_swap, vm_lck;
	/* smaps: resident bytes that sit in locked mappings (VmLck counts
	 * whole locked mappings, so under lock-on-fault it overstates what
	 * is pinned; this does not), and what is left out and why. */
	uint64_t locked_resident, locked_swapped, locked_size;
	uint64_t unlocked_resident, unlocked_size;
	uint64_t inaccessible_size;
	/* lockonfault_mappings: from VmFlags "lf", which Linux shows since
	 * 6.2; before, lock-on-fault mappings count as locked only. */
	uint32_t mappings, locked_mappings, lockonfault_mappings;
	uint32_t unlocked_inaccessible; /* PROT_NONE: not lockable */
	uint32_t unlocked_special;      /* vdso, vvar, I/O maps: never locked */
	uint32_t unlocked_other;        /* accessible but not locked */
	/* limits */
	uint64_t memlock_soft, memlock_hard; /* DUENDE_MLOCK_UNLIMITED */
	/* RLIMIT_MEMLOCK less VmLck: what may still be locked;
	 * DUENDE_MLOCK_UNLIMITED with CAP_IPC_LOCK or no limit. */
	uint64_t headroom;
	/* Since 1.1. status: the capability sets (CapEff, CapBnd). */
	uint64_t cap_effective, cap_bounding;
	/* Since 1.1. stat (DUENDE_MLOCK_R_STAT): the main thread's task
	 * flags (DUENDE_MLOCK_PF_*) and the process's major page faults. */
	uint64_t task_flags;
	uint64_t major_faults;
	/* Since 1.1, from /proc/PID/task (DUENDE_MLOCK_R_TASKS): its threads,
	 * how many have PR_SET_IO_FLUSHER, how many are in uninterruptible
	 * sleep (state D). */
	uint32_t threads, threads_io_flusher, threads_blocked;
	/* Since 1.1 (DUENDE_MLOCK_R_OOM): /proc/PID/oom_score_adj. */
	int32_t oom_score_adj;
	/* Since 1.1: DUENDE_MLOCK_V_* */
	uint32_t verdicts;
	uint32_t reserved32; /* must be zero */
	uint64_t reserved[1];
};

struct dm_v11_swap {
	char path[256];     /* as /proc/swaps names it, octal escapes decoded */
	char kind[16];      /* "loop", "nbd", "ublk", "zram", "file", "partition" */
	char backing[256];  /* loop: the backing file */
	char backing_fstype[32];
	bool user_space;    /* served by a user-space process */
	uint64_t size, used; /* bytes */
	int64_t priority;
	/* The processes that serve it: for a loop device over a file on a
	 * FUSE mount, those holding that mount's /dev/fuse connection; for
	 * NBD, the processes at the far end of the kernel's connections (the
	 * client of /sys/block/nbdN/pid when the server is on another host);
	 * for ublk, those holding /dev/ublkcN. */
	uint32_t nservers;
	pid_t servers[DM_V11_SWAP_SERVERS];
};

struct dm_v11_swaps {
	int error;          /* negative errno when /proc/swaps was unreadable */
	uint32_t count;
	struct dm_v11_swap area[DM_V11_SWAPS_MAX];
};

struct dm_v11_survey {
	/* The process surveyed. */
	struct dm_v11_report process;
	/* What the default lock (current and future pages) leaves: the same
	 * headroom as process.headroom, with VmSize counted as MCL_CURRENT
	 * counts it. */
	uint64_t headroom_after_lock;
	/* The caller's own standing, for the remedies it can apply. */
	uint64_t caller_memlock_hard;
	bool caller_cap_sys_resource;
	/* Surveyed from inside duende-mlock exec's preload shim (doctor --
	 * PROGRAM): the program will be run by exec, so file capabilities are
	 * no remedy for it. */
	bool preloaded;
	/* The kernel: 1 supported, 0 not, negative errno unknown. */
	int kernel_onfault;    /* MCL_ONFAULT (4.4) */
	int kernel_io_flusher; /* PR_SET_IO_FLUSHER (5.6) */
	/* The process's memory cgroup; cgroup_error is a negative errno
	 * when none was found. */
	int cgroup_error;
	struct duende_mlock_cgroup cgroup;
	/* Active swap areas and who serves them. */
	struct dm_v11_swaps swaps;
	/* Where it runs. */
	char container[32];     /* "docker", "podman", "kubernetes", ... or "" */
	char systemd_unit[128]; /* from its cgroup, or "" */
	bool systemd;           /* PID 1 is systemd */
	/* The verdict: the worst severity found (NOT_APPLICABLE alone). */
	enum duende_mlock_severity verdict;
	uint32_t nfindings;
	struct duende_mlock_finding findings[DM_V11_SURVEY_FINDINGS];
	uint64_t reserved[8];
};

/* 1.0's harden result: the steps first. */
struct dm_v10_harden_result {
	struct duende_mlock_step_result steps[DM_V10_STEP_COUNT];
	struct duende_mlock_status lock_status;
	uint64_t reserved[4];
};

#endif
