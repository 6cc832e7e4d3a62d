/* SPDX-License-Identifier: MIT OR Apache-2.0 */
#include <errno.h>

#include "duende-mlock.h"
#include "platform.h"

DM_EXPORT const char *duende_mlock_version(void)
{
	return DUENDE_MLOCK_VERSION_STRING;
}

DM_EXPORT unsigned duende_mlock_version_number(void)
{
	return DUENDE_MLOCK_VERSION_NUMBER;
}

DM_EXPORT int duende_mlock_check_version(unsigned major, unsigned minor)
{
	/* One major version is one soname: another major is another library. */
	if (major != DUENDE_MLOCK_VERSION_MAJOR)
		return -EPROTO;
	return minor <= DUENDE_MLOCK_VERSION_MINOR ? 0 : -ENOTSUP;
}
