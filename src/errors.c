/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The library's error messages. The crate's wording, with the remedies it
 * left out: EPERM from mlockall means RLIMIT_MEMLOCK is 0 *and*
 * CAP_IPC_LOCK is missing, so either fix works. */
#include <errno.h>

#include "duende-mlock.h"
#include "platform.h"
#include "remedy.h"

DM_EXPORT const char *duende_mlock_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -EPERM:
		return "permission denied: need CAP_IPC_LOCK capability or root, or a non-zero "
		       "RLIMIT_MEMLOCK (" DM_FIX_IPC_LOCK_SYSTEMD "; " DM_FIX_IPC_LOCK_DOCKER "; "
		       DM_FIX_MEMLOCK_SHELL "; " DM_FIX_MEMLOCK_DOCKER ")";
	case -ENOMEM:
		return "resource limit: RLIMIT_MEMLOCK too low or insufficient memory "
		       "(" DM_FIX_MEMLOCK_SHELL "; " DM_FIX_MEMLOCK_SYSTEMD "; " DM_FIX_MEMLOCK_DOCKER
		       "; or grant CAP_IPC_LOCK)";
	case -EINVAL:
		return "invalid argument: the configuration is invalid or the kernel does not "
		       "support these flags";
	case -EAGAIN:
		return "would block: some pages could not be locked";
	case -ENOSYS:
		return "not supported on this platform";
	case -ENOENT:
		return "cannot read /proc: it is not mounted here (mount -t proc proc /proc)";
	case -EACCES:
		return "cannot read /proc: access denied (hidepid or a restricted /proc)";
	case -EPROTO:
		return "unexpected /proc contents: the field was missing or malformed";
	case -ESRCH:
		return "no such process";
	default:
		return "mlock failed with an unexpected errno (the negative value returned)";
	}
}

DM_EXPORT bool duende_mlock_is_permission_error(int err)
{
	return err == -EPERM;
}

DM_EXPORT bool duende_mlock_is_resource_limit(int err)
{
	return err == -ENOMEM;
}
