/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The lock report of any process, from its /proc directory, held open so
 * that every file read belongs to the same process. Nothing that needs
 * the process's memory is read (cmdline, environ): a process stuck on its
 * own swap would hang the reader. smaps, which takes its memory map lock,
 * is read where a stuck read can be given up. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "layout-1.1.h"
#include "lock-rules.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"
#include "report-rules.h"
#include "report.h"
#include "text.h"

/* 1.1's report is the first part of this one. */
_Static_assert(sizeof(struct dm_v11_report) == DM_REPORT_SIZE_1_1, "1.1's report is 280 bytes");
_Static_assert(offsetof(struct duende_mlock_report, size) == offsetof(struct dm_v11_report, reserved32),
	       "the report's size takes 1.1's reserved32");
_Static_assert(offsetof(struct duende_mlock_report, verdicts) == offsetof(struct dm_v11_report, verdicts),
	       "1.1's fields stay where they were");

static int open_pid_dir(pid_t pid)
{
	char path[64];
	int fd;

	if (pid < 0)
		return -EINVAL;
	dm_proc_path(path, sizeof(path), (int)pid, "");
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return fd;
}

static int read_status(int dirfd, struct duende_mlock_report *r)
{
	struct dm_proc_status st;
	int rc = dm_read_proc_status(dirfd, "status", 0, &st);

	if (rc < 0)
		return rc == -ENOENT ? -ESRCH : rc;
	if (!(st.present & DM_ST_NAME))
		return -ESRCH; /* an empty status: the process is gone */
	r->state = st.state;
	r->uid = st.uid;
	r->vm_size = st.vm_size;
	r->vm_rss = st.vm_rss;
	r->vm_swap = st.vm_swap;
	r->vm_lck = st.vm_lck;
	r->cap_effective = st.cap_eff;
	r->cap_bounding = st.cap_bnd;
	bool initial = dm_in_initial_userns(dirfd, "");
	r->cap_ipc_lock = dm_cap_effective(st.cap_eff, DM_CAP_IPC_LOCK, initial);
	if (!initial)
		r->verdicts |= DUENDE_MLOCK_V_USER_NAMESPACE;
	/* Kernel threads and zombies whose memory is gone show no Vm* lines. */
	if (!(st.present & DM_ST_VMSIZE))
		r->verdicts |= DUENDE_MLOCK_V_NO_USER_MEMORY;
	r->known |= DUENDE_MLOCK_R_STATUS;
	return 0;
}

/* The name as the kernel holds it: status's Name: line is escaped by the
 * kernel (and loses leading blanks), comm is not. */
static void read_comm(int dirfd, struct duende_mlock_report *r)
{
	size_t len;

	if (dm_read_small(dirfd, "comm", r->name, sizeof(r->name), &len) == 0 && len &&
	    r->name[len - 1] == '\n')
		r->name[len - 1] = '\0';
}

static void read_limits(int dirfd, struct duende_mlock_report *r)
{
	struct dm_limits lim;
	char buf[512];

	dm_limits_init(&lim);
	if (dm_read_lines(dirfd, "limits", buf, sizeof(buf), dm_limits_parse_line, &lim) == 0 &&
	    lim.found) {
		r->memlock_soft = lim.memlock_soft;
		r->memlock_hard = lim.memlock_hard;
		r->known |= DUENDE_MLOCK_R_LIMITS;
		r->headroom = dm_headroom(r->cap_ipc_lock, lim.memlock_soft, r->vm_lck);
	}
}

static int read_stat_file(int dirfd, const char *path, struct dm_proc_stat *st)
{
	char buf[1024];
	size_t len;
	int rc = dm_read_small(dirfd, path, buf, sizeof(buf), &len);

	return rc ? rc : dm_stat_parse(buf, len, st);
}

static void read_stat(int dirfd, struct duende_mlock_report *r)
{
	struct dm_proc_stat st;

	if (read_stat_file(dirfd, "stat", &st) == 0) {
		r->task_flags = st.flags;
		r->major_faults = st.majflt;
		r->known |= DUENDE_MLOCK_R_STAT;
		if (st.flags & DUENDE_MLOCK_PF_KTHREAD)
			r->verdicts |= DUENDE_MLOCK_V_NO_USER_MEMORY;
	}
}

static void read_oom_score_adj(int dirfd, struct duende_mlock_report *r)
{
	char buf[32];
	size_t len;
	int64_t v;

	if (dm_read_small(dirfd, "oom_score_adj", buf, sizeof(buf), &len) == 0 &&
	    dm_parse_i64_file(buf, len, &v) == 0 && v >= DUENDE_MLOCK_OOM_SCORE_ADJ_MIN &&
	    v <= DUENDE_MLOCK_OOM_SCORE_ADJ_MAX) {
		r->oom_score_adj = (int32_t)v;
		r->known |= DUENDE_MLOCK_R_OOM;
	}
}

/* One thread: PR_SET_IO_FLUSHER and uninterruptible sleep are per thread. */
static int thread_line(void *ctx, int taskfd, const char *tid, uint64_t number)
{
	struct duende_mlock_report *r = ctx;
	char path[48];
	struct dm_text t;
	struct dm_proc_stat st;

	dm_text_init(&t, path, sizeof(path));
	dm_text_put_u64(&t, number);
	dm_text_put(&t, "/stat");
	(void)tid;
	if (read_stat_file(taskfd, path, &st) != 0)
		return 0; /* the thread ended meanwhile */
	r->threads++;
	if (dm_io_flusher_in(st.flags))
		r->threads_io_flusher++;
	if (st.state == 'D')
		r->threads_blocked++;
	return 0;
}

static void read_tasks(int dirfd, struct duende_mlock_report *r)
{
	if (dm_for_each_number(dirfd, "task", thread_line, r) == 0 && r->threads) {
		r->known |= DUENDE_MLOCK_R_TASKS;
		if (r->threads_io_flusher == r->threads)
			r->verdicts |= DUENDE_MLOCK_V_IO_FLUSHER;
	}
}

/* This very process cannot be stuck reading its own smaps, and a child
 * would need ptrace access to it (lost with PR_SET_DUMPABLE 0). */
static int read_smaps_lines(int dirfd, bool self, struct dm_smaps *sm)
{
	char buf[4096];

	if (self)
		return dm_read_lines(dirfd, "smaps", buf, sizeof(buf), dm_smaps_parse_line, sm);
	return dm_read_lines_bounded(dirfd, "smaps", dm_smaps_parse_line, sm, sizeof(*sm),
				     DUENDE_MLOCK_REPORT_STALL_MS);
}

static void read_smaps(int dirfd, bool self, struct duende_mlock_report *r)
{
	struct dm_smaps sm;
	int rc;

	dm_smaps_init(&sm);
	rc = read_smaps_lines(dirfd, self, &sm);
	if (rc < 0) {
		r->smaps_error = rc;
		if (rc == -ETIMEDOUT)
			r->verdicts |= DUENDE_MLOCK_V_NOT_RESPONDING;
		return;
	}
	dm_smaps_finish(&sm);
	r->known |= DUENDE_MLOCK_R_SMAPS;
	r->mappings = sm.mappings;
	r->locked_mappings = sm.locked_mappings;
	r->lockonfault_mappings = sm.lockonfault_mappings;
	r->unlocked_inaccessible = sm.unlocked_inaccessible;
	r->unlocked_special = sm.unlocked_special;
	r->unlocked_other = sm.unlocked_other;
	r->locked_resident = sm.locked_rss;
	r->locked_swapped = sm.locked_swap;
	r->locked_size = sm.locked_size;
	r->unlocked_resident = sm.unlocked_other_rss;
	r->unlocked_size = sm.unlocked_other_size;
	r->inaccessible_size = sm.inaccessible_size;
}

/* Locked as mlockall locks: what smaps shows when it could be read, else
 * what VmLck shows. */
static void judge_locked(struct duende_mlock_report *r)
{
	bool all_mapped_locked = !(r->known & DUENDE_MLOCK_R_SMAPS) || r->unlocked_other == 0;

	if (r->vm_lck > 0 && all_mapped_locked)
		r->verdicts |= DUENDE_MLOCK_V_LOCKED;
	r->known |= DUENDE_MLOCK_R_VERDICTS;
}

/* A process that exited while its files were read has an empty status. */
static bool still_there(int dirfd)
{
	struct dm_proc_status st;

	return dm_read_proc_status(dirfd, "status", DM_ST_NAME, &st) == 0 && (st.present & DM_ST_NAME);
}

/* The whole report, into *r (zeroed here). */
static int report(pid_t pid, struct duende_mlock_report *r)
{
	bool self = pid == 0 || pid == getpid();
	int dirfd, rc;

	memset(r, 0, sizeof(*r));
	r->size = (uint32_t)sizeof(*r);
	r->pid = pid ? pid : getpid();
	dirfd = open_pid_dir(pid);
	if (dirfd < 0)
		return dirfd;
	rc = read_status(dirfd, r);
	if (rc == 0) {
		read_comm(dirfd, r);
		read_limits(dirfd, r);
		read_stat(dirfd, r);
		read_oom_score_adj(dirfd, r);
		read_tasks(dirfd, r);
		if (!(r->verdicts & DUENDE_MLOCK_V_NO_USER_MEMORY))
			read_smaps(dirfd, self, r);
		judge_locked(r);
		if (!still_there(dirfd))
			rc = -ESRCH;
	}
	close(dirfd);
	return rc;
}

int dm_read_report(pid_t pid, struct duende_mlock_report *out, size_t size)
{
	struct duende_mlock_report r;
	size_t filled = size < sizeof(r) ? size : sizeof(r);
	int rc = report(pid, &r);

	/* A caller built against an earlier version gets the part it knows,
	 * one built against a later one zeroes beyond this version's. */
	r.size = (uint32_t)filled;
	memcpy(out, &r, filled);
	if (size > filled)
		memset((char *)out + filled, 0, size - filled);
	return rc;
}

DM_EXPORT int duende_mlock_report_pid_sized(pid_t pid, struct duende_mlock_report *out, size_t size)
{
	if (!out || size < DM_REPORT_SIZE_1_1)
		return -EINVAL;
	return dm_read_report(pid, out, size);
}

DM_EXPORT int(duende_mlock_report_pid)(pid_t pid, struct duende_mlock_report *out)
{
	int rc;

	if (!out)
		return -EINVAL;
	rc = dm_read_report(pid, out, DM_REPORT_SIZE_1_1);
	out->size = 0; /* 1.1's reserved32, which it left zero */
	return rc;
}

enum duende_mlock_lock_state dm_pid_lock_state(pid_t pid)
{
	struct duende_mlock_report r;

	if (report(pid, &r) != 0)
		return DUENDE_MLOCK_LOCK_STATE_UNKNOWN;
	return dm_lock_state(r.known, r.vm_lck, r.verdicts);
}
