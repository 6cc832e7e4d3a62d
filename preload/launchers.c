/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The programs that run a command for someone: launchers fork for it, exec
 * wrappers exec it in their own process. The lists exec's rule follows
 * (exec-settings.h). */
#include <string.h>

#include "exec-settings.h"

bool dm_is_launcher(const char *file_name)
{
	static const char *const launchers[] = {
		/* shells */
		"sh", "dash", "bash", "ash", "ksh", "ksh93", "mksh", "zsh", "busybox",
		/* wrappers that fork the command and wait for it */
		"timeout", "setsid", "su", "runuser", "sudo", "flock", "time", "unshare",
		"nsenter", "start-stop-daemon",
		/* the inits of containers */
		"tini", "tini-static", "dumb-init", "catatonit",
	};

	for (size_t i = 0; i < DM_ARRAY_SIZE(launchers); i++)
		if (strcmp(file_name, launchers[i]) == 0)
			return true;
	return false;
}

bool dm_is_exec_wrapper(const char *file_name)
{
	static const char *const wrappers[] = {
		"env", "nice", "ionice", "nohup", "taskset", "chrt", "stdbuf", "setpriv",
		"chroot", "prlimit", "numactl", "chpst", "capsh", "setarch",
	};

	for (size_t i = 0; i < DM_ARRAY_SIZE(wrappers); i++)
		if (strcmp(file_name, wrappers[i]) == 0)
			return true;
	return false;
}
