/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Error messages, their remedies and the two classifying predicates. */
#include <errno.h>

#include "duende-mlock.h"
#include "harness.h"

int main(void)
{
	CHECK_EQ_STR(duende_mlock_strerror(-EPERM),
		     "permission denied: need CAP_IPC_LOCK capability or root, or a non-zero "
		     "RLIMIT_MEMLOCK (systemd: AmbientCapabilities=CAP_IPC_LOCK; "
		     "docker: --cap-add=IPC_LOCK; ulimit -l unlimited; docker: --ulimit memlock=-1:-1)");
	CHECK_EQ_STR(duende_mlock_strerror(-ENOMEM),
		     "resource limit: RLIMIT_MEMLOCK too low or insufficient memory "
		     "(ulimit -l unlimited; systemd: LimitMEMLOCK=infinity; "
		     "docker: --ulimit memlock=-1:-1; or grant CAP_IPC_LOCK)");
	CHECK_EQ_STR(duende_mlock_strerror(-EINVAL),
		     "invalid argument: the configuration is invalid or the kernel does not "
		     "support these flags");
	CHECK_EQ_STR(duende_mlock_strerror(-EAGAIN), "would block: some pages could not be locked");
	CHECK_EQ_STR(duende_mlock_strerror(0), "success");
	CHECK_EQ_STR(duende_mlock_strerror(-ENOENT),
		     "cannot read /proc: it is not mounted here (mount -t proc proc /proc)");
	/* Any other errno is named, as the crate's Unknown(errno) does. */
	CHECK_EQ_STR(duende_mlock_strerror(-EIO), "unexpected error EIO (errno 5)");
	CHECK_EQ_STR(duende_mlock_strerror(-EBADF), "unexpected error EBADF (errno 9)");
	CHECK_EQ_STR(duende_mlock_strerror(-EHWPOISON), "unexpected error EHWPOISON (errno 133)");
	CHECK_CONTAINS(duende_mlock_strerror(-ETIMEDOUT), "not responding");
	CHECK_EQ_STR(duende_mlock_strerror(-999),
		     "unexpected error (an errno value unknown to this library)");
	CHECK_EQ_STR(duende_mlock_strerror(12345678),
		     "unexpected positive value: this library returns 0 or a negative errno");

	CHECK(duende_mlock_is_permission_error(-EPERM));
	CHECK(!duende_mlock_is_permission_error(-ENOMEM));
	CHECK(!duende_mlock_is_permission_error(EPERM)); /* positive is not ours */
	CHECK(duende_mlock_is_resource_limit(-ENOMEM));
	CHECK(!duende_mlock_is_resource_limit(-EPERM));
	CHECK(!duende_mlock_is_resource_limit(-EAGAIN));
	CHECK(!duende_mlock_is_resource_limit(0));
	return t_result();
}
