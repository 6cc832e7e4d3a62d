/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The names of the library's severities, finding codes, lock states and
 * report verdicts: one table each, the only place they are spelled. Every name
 * is the enumerator after its prefix, in lower case, with blanks between
 * the words ("cannot lock"), so a reader of the JSON, the table and the
 * header sees one vocabulary. */
#include <stddef.h>

#include "duende-mlock.h"
#include "platform.h"

/* A table indexed by the enum's values and its lookup, NULL for a value
 * the table does not name (systemd's DEFINE_STRING_TABLE_LOOKUP). A
 * negative value converts to a huge index and is out of range too. */
#define DM_NAME_LOOKUP(function, type, table)                                  \
	DM_EXPORT const char *function(type value)                             \
	{                                                                      \
		size_t i = (size_t)value;                                      \
		return i < DM_ARRAY_SIZE(table) ? (table)[i] : NULL; \
	}

static const char *const severity_names[] = {
	[DUENDE_MLOCK_SEVERITY_OK] = "ok",
	[DUENDE_MLOCK_SEVERITY_WARNING] = "warning",
	[DUENDE_MLOCK_SEVERITY_CANNOT_LOCK] = "cannot lock",
	[DUENDE_MLOCK_SEVERITY_NOT_APPLICABLE] = "not applicable",
};
DM_NAME_LOOKUP(duende_mlock_severity_name, enum duende_mlock_severity, severity_names)

static const char *const finding_names[] = {
	[DUENDE_MLOCK_FOUND_CAP_IPC_LOCK] = "cap ipc lock",
	[DUENDE_MLOCK_FOUND_LIMITS_UNREADABLE] = "limits unreadable",
	[DUENDE_MLOCK_FOUND_MEMLOCK_UNLIMITED] = "memlock unlimited",
	[DUENDE_MLOCK_FOUND_MEMLOCK_SOFT_LOW] = "memlock soft low",
	[DUENDE_MLOCK_FOUND_MEMLOCK_TOO_LOW] = "memlock too low",
	[DUENDE_MLOCK_FOUND_MEMLOCK_COVERS] = "memlock covers",
	[DUENDE_MLOCK_FOUND_CAPS_UNREADABLE] = "caps unreadable",
	[DUENDE_MLOCK_FOUND_NO_IPC_LOCK_BOUND] = "no ipc lock bound",
	[DUENDE_MLOCK_FOUND_NO_SYS_RESOURCE] = "no sys resource",
	[DUENDE_MLOCK_FOUND_KERNEL_NO_ONFAULT] = "kernel no onfault",
	[DUENDE_MLOCK_FOUND_KERNEL_NO_IO_FLUSHER] = "kernel no io flusher",
	[DUENDE_MLOCK_FOUND_TASK] = "task",
	[DUENDE_MLOCK_FOUND_NO_CGROUP] = "no cgroup",
	[DUENDE_MLOCK_FOUND_CGROUP] = "cgroup",
	[DUENDE_MLOCK_FOUND_CGROUP_V1_SHARED] = "cgroup v1 shared",
	[DUENDE_MLOCK_FOUND_SWAPS_UNREADABLE] = "swaps unreadable",
	[DUENDE_MLOCK_FOUND_NO_SWAP] = "no swap",
	[DUENDE_MLOCK_FOUND_SWAP] = "swap",
	[DUENDE_MLOCK_FOUND_SWAP_USER_SPACE] = "swap user space",
	[DUENDE_MLOCK_FOUND_NO_USER_MEMORY] = "no user memory",
	[DUENDE_MLOCK_FOUND_SERVES_SWAP] = "serves swap",
	[DUENDE_MLOCK_FOUND_CGROUP_V2_SWAP] = "cgroup v2 swap",
	[DUENDE_MLOCK_FOUND_CGROUP_V2_UNPROTECTED] = "cgroup v2 unprotected",
	[DUENDE_MLOCK_FOUND_CGROUP_V2_PROTECTED] = "cgroup v2 protected",
	[DUENDE_MLOCK_FOUND_CGROUP_V2_SHARED] = "cgroup v2 shared",
	[DUENDE_MLOCK_FOUND_LOCKED_SHORT] = "locked short",
	[DUENDE_MLOCK_FOUND_DROP] = "drop",
	[DUENDE_MLOCK_FOUND_FILE_DATA_PINNED] = "file data pinned",
	[DUENDE_MLOCK_FOUND_FILE_DATA_UNPINNED] = "file data unpinned",
	[DUENDE_MLOCK_FOUND_CGROUP_V1_PROTECTION] = "cgroup v1 protection",
	[DUENDE_MLOCK_FOUND_MIN_FREE] = "min free",
};
DM_NAME_LOOKUP(duende_mlock_finding_name, enum duende_mlock_finding_code, finding_names)

static const char *const lock_state_names[] = {
	[DUENDE_MLOCK_LOCK_STATE_UNKNOWN] = "unknown",
	[DUENDE_MLOCK_LOCK_STATE_NOT_LOCKED] = "not locked",
	[DUENDE_MLOCK_LOCK_STATE_PARTLY_LOCKED] = "partly locked",
	[DUENDE_MLOCK_LOCK_STATE_LOCKED] = "locked",
	[DUENDE_MLOCK_LOCK_STATE_NOT_APPLICABLE] = "not applicable",
};
DM_NAME_LOOKUP(duende_mlock_lock_state_name, enum duende_mlock_lock_state, lock_state_names)

static const char *const memory_kind_names[DUENDE_MLOCK_MEMORY_KINDS] = {
	[DUENDE_MLOCK_MEMORY_ANONYMOUS] = "anonymous",
	[DUENDE_MLOCK_MEMORY_SHARED] = "shared",
	[DUENDE_MLOCK_MEMORY_PRIVATE_FILE] = "private file",
	[DUENDE_MLOCK_MEMORY_SHARED_FILE] = "shared file",
	[DUENDE_MLOCK_MEMORY_SERVED_FILE] = "served file",
};
DM_NAME_LOOKUP(duende_mlock_memory_kind_name, enum duende_mlock_memory_kind, memory_kind_names)

/* Indexed by the bit's position: DUENDE_MLOCK_V_* are single bits. */
static const char *const verdict_names[] = {
	[0] = "locked",         /* DUENDE_MLOCK_V_LOCKED */
	[1] = "io flusher",     /* DUENDE_MLOCK_V_IO_FLUSHER */
	[2] = "no user memory", /* DUENDE_MLOCK_V_NO_USER_MEMORY */
	[3] = "not responding", /* DUENDE_MLOCK_V_NOT_RESPONDING */
	[4] = "user namespace", /* DUENDE_MLOCK_V_USER_NAMESPACE */
	[5] = "file data unlocked", /* DUENDE_MLOCK_V_FILE_DATA_UNLOCKED */
};
_Static_assert(DUENDE_MLOCK_V_LOCKED == 1u << 0 && DUENDE_MLOCK_V_IO_FLUSHER == 1u << 1 &&
		       DUENDE_MLOCK_V_NO_USER_MEMORY == 1u << 2 &&
		       DUENDE_MLOCK_V_NOT_RESPONDING == 1u << 3 &&
		       DUENDE_MLOCK_V_USER_NAMESPACE == 1u << 4 &&
		       DUENDE_MLOCK_V_FILE_DATA_UNLOCKED == 1u << 5,
	       "verdict_names is indexed by the position of each DUENDE_MLOCK_V_* bit");

static const char *verdict_bit_name(unsigned bit)
{
	return bit < DM_ARRAY_SIZE(verdict_names) ? verdict_names[bit] : NULL;
}

DM_EXPORT const char *duende_mlock_verdict_name(uint32_t verdict)
{
	unsigned bit = 0;

	if (verdict == 0 || (verdict & (verdict - 1)) != 0)
		return NULL; /* no bit, or more than one */
	while (!(verdict >> bit & 1))
		bit++;
	return verdict_bit_name(bit);
}
