/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#ifndef DM_HARDEN_H
#define DM_HARDEN_H

/* Does this kernel know PR_SET_IO_FLUSHER (Linux 5.6+)? 1 yes, 0 no,
 * negative errno unknown. No privilege needed, nothing changes. */
int dm_probe_io_flusher(void);

/* Writes adj to an oom_score_adj file (this process's, or another's from
 * outside): -EINVAL outside -1000..1000, -EACCES when lowering it needs
 * CAP_SYS_RESOURCE. */
int dm_write_oom_score_adj(const char *path, int adj);

#endif
