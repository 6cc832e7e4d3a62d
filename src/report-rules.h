/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* What a process's report means: the rules that every text, format and
 * verdict of the library uses to judge a process, each written once. */
#ifndef DM_REPORT_RULES_H
#define DM_REPORT_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "duende-mlock.h"

/* Task flags (/proc/PID/stat) show PR_SET_IO_FLUSHER: it sets both. */
bool dm_io_flusher_in(uint64_t task_flags);

/* How far a process is locked, from its report's known bits, VmLck and
 * verdicts: unknown without its status, not applicable without user
 * memory, fully locked as DUENDE_MLOCK_V_LOCKED says, partly locked when
 * VmLck is above 0 but it is not, else not locked. */
enum duende_mlock_lock_state dm_lock_state(uint32_t known, uint64_t vm_lck, uint32_t verdicts);

/* A memory-limited cgroup that other processes share: there reclaim can
 * wait on writeback bound for a swap server in it, locked or not (DT-007,
 * cgroup v1; seen on v2 in some runs), so a server there needs
 * PR_SET_IO_FLUSHER on every thread besides its lock. */
bool dm_cgroup_shared_limited(const struct duende_mlock_cgroup *cg);

/* File data a lock pins, or would: more than the process could lock
 * (can_lock: its headroom, or the host's RAM; 0 for unknown) or than
 * DUENDE_MLOCK_FILE_DATA_PIN_MAX. The precise lock is advised then. */
bool dm_file_data_too_much(uint64_t file_mapped, uint64_t headroom, uint64_t mem_total);

/* The container kind a runtime's name stands for ("docker", ...). */
enum duende_mlock_container dm_container_named(const char *name);
/* The name of a container kind ("" for none). */
const char *dm_container_name(enum duende_mlock_container kind);

#endif
