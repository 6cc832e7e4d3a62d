/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The report of a process, for the library's own use. */
#ifndef DM_REPORT_H
#define DM_REPORT_H

#include <stddef.h>
#include <sys/types.h>

#include "duende-mlock.h"

/* The size of the report as 1.0 and 1.1 knew it. */
#define DM_REPORT_SIZE_1_1 280

/* Reads the report of pid (0: this process) into size bytes at out
 * (at least DM_REPORT_SIZE_1_1): what both this version and the caller
 * know is filled, the rest zeroed. 0 or a negative errno, as
 * duende_mlock_report_pid(). */
int dm_read_report(pid_t pid, struct duende_mlock_report *out, size_t size);

/* The lock state of process pid from its report (UNKNOWN when it cannot
 * be read): what "locked" means wherever the library judges another
 * process. */
enum duende_mlock_lock_state dm_pid_lock_state(pid_t pid);

#endif
