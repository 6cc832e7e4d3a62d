/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The lock report of any process, from its /proc directory, held open so
 * that every file read belongs to the same process. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "duende-mlock.h"
#include "lock-rules.h"
#include "platform.h"
#include "procfs.h"
#include "reader.h"

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
	memcpy(r->name, st.name, sizeof(r->name));
	r->state = st.state;
	r->uid = st.uid;
	r->vm_size = st.vm_size;
	r->vm_rss = st.vm_rss;
	r->vm_swap = st.vm_swap;
	r->vm_lck = st.vm_lck;
	r->cap_effective = st.cap_eff;
	r->cap_bounding = st.cap_bnd;
	r->cap_ipc_lock = dm_cap_in(st.cap_eff, DM_CAP_IPC_LOCK);
	r->known |= DUENDE_MLOCK_R_STATUS;
	return 0;
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

static void read_stat(int dirfd, struct duende_mlock_report *r)
{
	struct dm_proc_stat st;
	char buf[1024];
	size_t len;

	if (dm_read_small(dirfd, "stat", buf, sizeof(buf), &len) == 0 &&
	    dm_stat_parse(buf, len, &st) == 0) {
		r->task_flags = st.flags;
		r->major_faults = st.majflt;
		r->known |= DUENDE_MLOCK_R_STAT;
	}
}

static void read_smaps(int dirfd, struct duende_mlock_report *r)
{
	struct dm_smaps sm;
	char buf[4096];
	int rc;

	dm_smaps_init(&sm);
	rc = dm_read_lines(dirfd, "smaps", buf, sizeof(buf), dm_smaps_parse_line, &sm);
	if (rc < 0) {
		r->smaps_error = rc;
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

/* A process that exited while its files were read has an empty status. */
static bool still_there(int dirfd)
{
	struct dm_proc_status st;

	return dm_read_proc_status(dirfd, "status", DM_ST_NAME, &st) == 0 && (st.present & DM_ST_NAME);
}

DM_EXPORT int duende_mlock_report_pid(pid_t pid, struct duende_mlock_report *r)
{
	int dirfd, rc;

	if (!r)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->pid = pid ? pid : getpid();
	dirfd = open_pid_dir(pid);
	if (dirfd < 0)
		return dirfd;
	rc = read_status(dirfd, r);
	if (rc == 0) {
		read_limits(dirfd, r);
		read_stat(dirfd, r);
		read_smaps(dirfd, r);
		if (!still_there(dirfd))
			rc = -ESRCH;
	}
	close(dirfd);
	return rc;
}
