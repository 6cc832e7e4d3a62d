/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Is a `duende-mlock guard` running on this host? Found without
 * configuration, for status's metrics and for the guard itself. */
#ifndef DM_CLI_GUARD_FIND_H
#define DM_CLI_GUARD_FIND_H

#include <sys/types.h>

/* The PID of a running `duende-mlock guard` other than the caller: a
 * process whose program is the same file as this one's (/proc/PID/exe
 * against /proc/self/exe, device and inode), or whose comm is
 * "duende-mlock" and whose argv[0] ends in "/duende-mlock" or is it (a
 * copy installed elsewhere), and whose argv[1] is "guard". 0 when none
 * runs; a negative errno when /proc cannot be listed. */
pid_t guard_find(void);

#endif
