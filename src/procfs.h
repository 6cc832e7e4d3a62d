/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Parsers of /proc and cgroup files: pure functions over a caller's bytes.
 * No I/O, no allocation, no global state; they never read past len, never
 * overflow, and treat truncated, missing, duplicated (first one wins),
 * malformed and huge fields as absent or malformed rather than guessing.
 * The fuzzers call these directly.
 */
#ifndef DM_PROCFS_H
#define DM_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Calls fn for each line of buf (without its '\n'); a last line without
 * '\n' is passed too. Stops when fn returns non-zero and returns that. */
typedef int (*dm_line_fn)(void *ctx, const char *line, size_t len);
int dm_for_each_line(const char *buf, size_t len, dm_line_fn fn, void *ctx);

/* Parses an unsigned decimal at *pos, skipping blanks before it. */
bool dm_parse_u64(const char *s, size_t len, size_t *pos, uint64_t *out);

/* A file that holds one signed decimal ("-900\n", as oom_score_adj or a
 * pidfile): 0 and *out, -EINVAL for anything else. */
int dm_parse_i64_file(const char *buf, size_t len, int64_t *out);

/* ---- /proc/PID/status ---- */
enum {
	DM_ST_NAME = 1u << 0,
	DM_ST_UID = 1u << 1,
	DM_ST_VMSIZE = 1u << 2,
	DM_ST_VMLCK = 1u << 3,
	DM_ST_VMPIN = 1u << 4,
	DM_ST_VMRSS = 1u << 5,
	DM_ST_VMSWAP = 1u << 6,
	DM_ST_CAPEFF = 1u << 7,
	DM_ST_CAPBND = 1u << 8,
	DM_ST_STATE = 1u << 9,
	DM_ST_TRACER = 1u << 10,  /* TracerPid */
	DM_ST_SIGPND = 1u << 11,  /* SigPnd and ShdPnd, both */
	DM_ST_SHDPND = 1u << 12,
	DM_ST_NSPID = 1u << 13,   /* NSpid: its PID in the innermost namespace */
};

struct dm_proc_status {
	uint32_t present;   /* DM_ST_* read and well formed */
	uint32_t malformed; /* DM_ST_* present but unparsable */
	char name[64];
	char state;
	uint32_t uid; /* real uid */
	uint32_t euid, suid; /* effective and saved uid (with DM_ST_UID) */
	uint64_t vm_size, vm_lck, vm_pin, vm_rss, vm_swap; /* bytes */
	uint64_t cap_eff, cap_bnd;
	uint32_t tracer_pid; /* 0: not traced */
	uint64_t sig_pnd, shd_pnd; /* pending signals: the thread's, the process's */
	uint32_t ns_pid; /* the last NSpid field: its PID where it runs */
};

void dm_status_init(struct dm_proc_status *st);
int dm_status_parse_line(void *st, const char *line, size_t len);
void dm_status_parse(struct dm_proc_status *st, const char *buf, size_t len);

/* ---- /proc/PID/limits: the "Max locked memory" row ---- */
struct dm_limits {
	bool found;
	bool malformed;
	uint64_t memlock_soft, memlock_hard; /* UINT64_MAX = unlimited */
};

void dm_limits_init(struct dm_limits *lim);
int dm_limits_parse_line(void *lim, const char *line, size_t len);
void dm_limits_parse(struct dm_limits *lim, const char *buf, size_t len);

/* ---- /proc/net/tcp and tcp6: one socket ---- */
struct dm_tcp_entry {
	char local[40], remote[40]; /* "0100007F:2A29", as the kernel prints them */
	unsigned state;             /* 1 established, 10 listening, ... */
	uint64_t inode;
};

/* 0 and *out filled for a socket line, 1 for the header, -EINVAL otherwise. */
int dm_tcp_parse_line(const char *line, size_t len, struct dm_tcp_entry *out);

/* ---- /proc/PID/uid_map ---- */
/* True when the map is the initial user namespace's: the one line
 * "0 0 4294967295". Only there does a capability lift RLIMIT_MEMLOCK. */
bool dm_uid_map_is_initial(const char *buf, size_t len);

/* ---- /proc/PID/maps (and smaps' header lines): one mapping ---- */
struct dm_map_entry {
	uint64_t start, end, offset;
	char perms[5]; /* "r-xp" */
	uint64_t inode; /* 0: not backed by a file */
};

/* "start-end perms offset major:minor inode [path]": 0 and *out filled,
 * -EINVAL otherwise. */
int dm_maps_parse_line(const char *line, size_t len, struct dm_map_entry *out);

/* ---- /proc/PID/smaps: every mapping, classified by its lock state ---- */
struct dm_smaps {
	/* totals */
	uint32_t mappings;
	uint32_t locked_mappings;       /* VmFlags lo */
	uint32_t lockonfault_mappings;  /* VmFlags lf (also counted as locked) */
	uint32_t unlocked_inaccessible; /* ---p reservations: not lockable */
	uint32_t unlocked_special;      /* io/pf/de/mm mappings: never locked */
	uint32_t unlocked_other;        /* accessible, not locked */
	uint32_t malformed_lines;
	uint64_t size, rss, swap;               /* bytes, all mappings */
	uint64_t locked_size, locked_rss, locked_swap;
	uint64_t unlocked_other_size, unlocked_other_rss;
	uint64_t inaccessible_size;
	/* the mapping being read */
	bool in_mapping;
	bool has_flags;
	bool flag_lo, flag_lf, flag_special;
	bool inaccessible;
	uint64_t cur_size, cur_rss, cur_swap;
};

void dm_smaps_init(struct dm_smaps *sm);
int dm_smaps_parse_line(void *sm, const char *line, size_t len);
/* Accounts the last mapping; call once after the last line. */
void dm_smaps_finish(struct dm_smaps *sm);
void dm_smaps_parse(struct dm_smaps *sm, const char *buf, size_t len);

/* ---- /proc/swaps ---- */
struct dm_swap_entry {
	char path[256]; /* the kernel's octal escapes ("\040") decoded */
	char type[16];
	uint64_t size, used; /* bytes */
	int64_t priority;
};

/* 0 and *out filled for a swap line, 1 for the header, -EINVAL otherwise. */
int dm_swaps_parse_line(const char *line, size_t len, struct dm_swap_entry *out);

/* ---- /proc/PID/cgroup ---- */
struct dm_cgroup_entry {
	uint64_t hierarchy;
	bool v2;          /* "0::/path" */
	bool has_memory;  /* the controller list names memory */
	char path[512];
};

/* 0 and *out filled, -EINVAL for a malformed line. */
int dm_cgroup_parse_line(const char *line, size_t len, struct dm_cgroup_entry *out);

/* ---- cgroup limit files: "max" or a number ---- */
/* 0 and *out (UINT64_MAX for "max"), -EINVAL otherwise. Trailing '\n' ok.
 * v1's "no limit" (a page-aligned LONG_MAX) is reported as UINT64_MAX. */
int dm_parse_cgroup_limit(const char *buf, size_t len, uint64_t *out);

/* ---- /proc/PID/stat: the fields after "(comm)" ---- */
struct dm_proc_stat {
	char state;
	uint64_t ppid;
	uint64_t flags;  /* task flags: PF_MEMALLOC_NOIO etc. */
	uint64_t majflt; /* major page faults */
	/* clock ticks after boot at which it started (field 22); 0 when the
	 * line ends before it. With the PID it names one process for good. */
	uint64_t start_time;
};

/* 0, or -EINVAL when the line is not a stat line. */
int dm_stat_parse(const char *buf, size_t len, struct dm_proc_stat *out);

/* ---- /proc/self/mountinfo: the mount that holds a path ---- */
struct dm_mount_entry {
	uint32_t dev_major, dev_minor; /* st_dev of its files; FUSE: minor = connection */
	char mount_point[256]; /* octal escapes decoded */
	char fstype[32];
	char source[128];
};

/* 0 and *out filled, -EINVAL for a malformed line. */
int dm_mountinfo_parse_line(const char *line, size_t len, struct dm_mount_entry *out);

/* ---- /proc/PID/fdinfo/FD of /dev/fuse: "fuse_connection:\tN" (Linux 6.x) ---- */
/* 0 and *conn for that line, -EINVAL for any other line. */
int dm_fdinfo_fuse_connection(const char *line, size_t len, uint64_t *conn);

#endif
