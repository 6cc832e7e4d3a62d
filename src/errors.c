/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The library's error messages. The crate's wording, with the remedies it
 * left out: EPERM from mlockall means RLIMIT_MEMLOCK is 0 *and*
 * CAP_IPC_LOCK is missing, so either fix works. */
#include <errno.h>

#include "duende-mlock.h"
#include "platform.h"

DM_EXPORT const char *duende_mlock_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -EPERM:
		return "permission denied: need CAP_IPC_LOCK capability or root, or a non-zero "
		       "RLIMIT_MEMLOCK (setcap cap_ipc_lock=+ep PROGRAM; ulimit -l; "
		       "docker: --cap-add=IPC_LOCK or --ulimit memlock=-1:-1)";
	case -ENOMEM:
		return "resource limit: RLIMIT_MEMLOCK too low or insufficient memory "
		       "(ulimit -l unlimited; systemd: LimitMEMLOCK=infinity; "
		       "docker: --ulimit memlock=-1:-1; or grant CAP_IPC_LOCK)";
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
